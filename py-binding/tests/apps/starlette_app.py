"""A real Starlette application for the ASGI host tests."""

import contextlib
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route



def _log(event: str) -> None:
    path = os.environ.get("WEFT_TEST_LOG")
    if path:
        with open(path, "a") as f:
            f.write(event + "\n")


@contextlib.asynccontextmanager
async def lifespan(app):
    _log("startup")
    yield {"greeting": "hi from lifespan"}
    _log("shutdown")


async def homepage(request: Request):
    return PlainTextResponse("Hello from Starlette")


async def user(request: Request):
    return JSONResponse({"id": int(request.path_params["id"]), "q": request.query_params.get("q")})


async def greeting(request: Request):
    return PlainTextResponse(request.state.greeting)


async def upload(request: Request):
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
    return JSONResponse({"received": total})


async def stream(request: Request):
    async def numbers():
        for i in range(10):
            yield f"{i}\n"

    return StreamingResponse(numbers(), media_type="text/plain")


async def form(request: Request):
    data = await request.json()
    return JSONResponse({"echo": data})


app = Starlette(
    routes=[
        Route("/", homepage),
        Route("/users/{id:int}", user),
        Route("/greeting", greeting),
        Route("/upload", upload, methods=["POST"]),
        Route("/stream", stream),
        Route("/json", form, methods=["POST"]),
    ],
    lifespan=lifespan,
)
