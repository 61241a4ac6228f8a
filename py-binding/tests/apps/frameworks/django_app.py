"""Django through its ASGI handler. Django has no lifespan and no background tasks of
its own: the tests leave those two out for it."""

import json

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="weft-tests",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)

from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import (  # noqa: E402
    FileResponse,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import path  # noqa: E402

from . import STATE, STATIC, lines  # noqa: E402


async def item(request, item_id):
    return JsonResponse({"item_id": item_id, "q": request.GET.get("q"), "started": STATE["started"]})


async def echo(request):
    return JsonResponse({"received": json.loads(request.body)})


async def form(request):
    return JsonResponse({"name": request.POST["name"]})


async def upload(request):
    upload = request.FILES["file"]
    return JsonResponse({"filename": upload.name, "size": len(upload.read())})


async def stream(_request):
    async def body():
        for line in lines():
            yield line

    return StreamingHttpResponse(body(), content_type="text/plain")


async def file(_request):
    return FileResponse(open(STATIC, "rb"))


def sync_endpoint(_request, n):
    # A plain def: Django's ASGI handler runs it in a thread (asgiref).
    return JsonResponse({"n": n})


async def error(_request):
    raise RuntimeError("boom")


async def teapot(_request):
    return HttpResponse("short and stout", status=418)


urlpatterns = [
    path("items/<int:item_id>", item),
    path("json", echo),
    path("form", form),
    path("upload", upload),
    path("stream", stream),
    path("file", file),
    path("sync/<int:n>", sync_endpoint),
    path("error", error),
    path("teapot", teapot),
]

app = get_asgi_application()
