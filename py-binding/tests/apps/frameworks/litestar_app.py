from typing import Annotated, Any, Dict, Optional

from litestar import Litestar, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body
from litestar.response import File, Response, Stream

from . import STATE, STATIC, lines, remember, shutdown, startup


@get("/items/{item_id:int}")
async def item(item_id: int, q: Optional[str] = None) -> Dict[str, Any]:
    return {"item_id": item_id, "q": q, "started": STATE["started"]}


@post("/json", status_code=200)
async def echo(data: Dict[str, Any]) -> Dict[str, Any]:
    return {"received": data}


@post("/form", status_code=200)
async def form(data: Annotated[Dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Dict[str, Any]:
    return {"name": data["name"]}


@post("/upload", status_code=200)
async def upload(data: Annotated[Dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)]) -> Dict[str, Any]:
    upload = data["file"]
    return {"filename": upload.filename, "size": len(await upload.read())}


@get("/stream")
async def stream() -> Stream:
    return Stream(lines(), media_type="text/plain")


@get("/background")
async def background(value: str) -> Response:
    return Response("scheduled", media_type="text/plain", background=BackgroundTask(remember, value))


@get("/background-done")
async def background_done() -> Dict[str, Any]:
    return {"done": STATE["background"]}


@get("/file")
async def file() -> File:
    return File(path=STATIC)


@get("/sync/{n:int}", sync_to_thread=True)
def sync_endpoint(n: int) -> Dict[str, Any]:
    return {"n": n}


@get("/error")
async def error() -> None:
    raise RuntimeError("boom")


@get("/teapot")
async def teapot() -> None:
    raise HTTPException(status_code=418, detail="short and stout")


app = Litestar(
    route_handlers=[item, echo, form, upload, stream, background, background_done, file, sync_endpoint, error, teapot],
    on_startup=[startup],
    on_shutdown=[shutdown],
)
