from contextlib import asynccontextmanager
from typing import Optional

from fastapi import BackgroundTasks, FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel

from . import STATE, STATIC, lines, remember, shutdown, startup


@asynccontextmanager
async def lifespan(_app):
    startup()
    yield
    shutdown()


app = FastAPI(lifespan=lifespan)


class Item(BaseModel):
    item_id: int
    q: Optional[str] = None
    started: bool


@app.get("/items/{item_id}", response_model=Item)
async def item(item_id: int, q: Optional[str] = None):
    return Item(item_id=item_id, q=q, started=STATE["started"])


@app.post("/json")
async def echo(payload: dict):
    return {"received": payload}


@app.post("/form")
async def form(name: str = Form(...)):
    return {"name": name}


@app.post("/upload")
async def upload(file: UploadFile = File(...)):
    data = await file.read()
    return {"filename": file.filename, "size": len(data)}


@app.get("/stream")
async def stream():
    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/background")
async def background(tasks: BackgroundTasks, value: str):
    tasks.add_task(remember, value)
    return PlainTextResponse("scheduled")


@app.get("/background-done")
async def background_done():
    return {"done": STATE["background"]}


@app.get("/file")
async def file():
    return FileResponse(STATIC)


@app.get("/sync/{n}")
def sync_endpoint(n: int):
    # A plain def: FastAPI runs it in a worker thread through anyio.
    return {"n": n}


@app.get("/error")
async def error():
    raise RuntimeError("boom")


@app.get("/teapot")
async def teapot():
    raise HTTPException(status_code=418, detail="short and stout")
