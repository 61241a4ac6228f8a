from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

from . import STATE, STATIC, lines, remember, shutdown, startup


@asynccontextmanager
async def lifespan(_app):
    startup()
    yield
    shutdown()


async def item(request):
    return JSONResponse(
        {
            "item_id": request.path_params["item_id"],
            "q": request.query_params.get("q"),
            "started": STATE["started"],
        }
    )


async def echo(request):
    return JSONResponse({"received": await request.json()})


async def form(request):
    data = await request.form()
    return JSONResponse({"name": data["name"]})


async def upload(request):
    data = await request.form()
    upload = data["file"]
    return JSONResponse({"filename": upload.filename, "size": len(await upload.read())})


async def stream(_request):
    return StreamingResponse(lines(), media_type="text/plain")


async def background(request):
    task = BackgroundTask(remember, request.query_params["value"])
    return PlainTextResponse("scheduled", background=task)


async def background_done(_request):
    return JSONResponse({"done": STATE["background"]})


async def file(_request):
    return FileResponse(STATIC)


def sync_endpoint(request):
    # A plain def: Starlette runs it in a worker thread through anyio.
    return JSONResponse({"n": request.path_params["n"]})


async def error(_request):
    raise RuntimeError("boom")


async def teapot(_request):
    raise HTTPException(status_code=418, detail="short and stout")


app = Starlette(
    lifespan=lifespan,
    routes=[
        Route("/items/{item_id:int}", item),
        Route("/json", echo, methods=["POST"]),
        Route("/form", form, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/stream", stream),
        Route("/background", background),
        Route("/background-done", background_done),
        Route("/file", file),
        Route("/sync/{n:int}", sync_endpoint),
        Route("/error", error),
        Route("/teapot", teapot),
    ],
)
