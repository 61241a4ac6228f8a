"""A decorator-API app the server tests run in a subprocess:
``python -m tests.apps.decorated PORT [WORKERS]``."""

import asyncio
import itertools
import os
import sys
import time

import weft

app = weft.App()

# How long the slow routes take: long enough that a loaded machine answers a fast
# request well within it, which the tests judge by order rather than by a clock.
SLOW = 3.0


@app.get("/")
def index():
    return "hello"


@app.get("/users/{id}")
def user(id: int, request: weft.Request, verbose: bool = False):
    return {"id": id, "verbose": verbose, "agent": request.header("user-agent"), "version": request.http_version}


@app.get("/files/{*path}")
async def files(path: str):
    return f"file {path}"


@app.post("/echo")
async def echo(request: weft.Request):
    return weft.Response(request.body(), headers={"x-length": str(len(request.body()))}, media_type="application/octet-stream")


@app.post("/json")
def take_json(request: weft.Request):
    data = request.json()
    return {"got": data, "type": type(data).__name__}


@app.post("/text")
async def take_text(request: weft.Request):
    return request.text()


@app.post("/json-or-default")
def json_or_default(request: weft.Request):
    # BadRequestBody is a ValueError: code written for json.loads keeps working.
    try:
        return {"got": request.json()}
    except ValueError as error:
        return {"default": True, "bad_request": isinstance(error, weft.BadRequestBody)}


@app.get("/slow")
def slow():
    time.sleep(SLOW)
    return "slow"


@app.get("/slow-async")
async def slow_async():
    await asyncio.sleep(SLOW)
    return "slow async"


@app.get("/stream")
def stream():
    def chunks():
        for i in range(5):
            yield f"chunk{i};"

    return weft.Response(chunks(), media_type="text/plain")


@app.get("/astream")
async def astream():
    async def chunks():
        for i in range(3):
            await asyncio.sleep(0)
            yield b"a%d;" % i

    return weft.Response(chunks())


@app.get("/status")
def status():
    return "created", 201, {"x-extra": "1"}


@app.get("/teapot")
def teapot():
    raise weft.HTTPException(418, "short and stout")


@app.get("/boom")
def boom():
    raise RuntimeError("handler bug")


@app.get("/aboom")
async def aboom():
    raise RuntimeError("async handler bug")


@app.get("/pid")
def pid():
    return str(os.getpid())


@app.get("/none")
def nothing():
    return None


# The order in which handlers started, for the tests that depend on it.
_started = itertools.count()


@app.get("/seq")
def seq():
    return str(next(_started))


@app.get("/slow-seq")
def slow_seq():
    started = next(_started)
    time.sleep(0.6)
    return str(started)


@app.get("/sched")
def sched():
    # The scheduling policy of the handler thread this runs on.
    return str(os.sched_getscheduler(0))


@app.get("/bytes")
def raw_bytes():
    return b"raw"


@app.get("/list")
async def a_list():
    return [1, "two"]


@app.get("/method")
async def method_of(req: weft.Request):
    return {"method": req.method, "path": req.path}


@app.get("/keyword")
def keyword_only(*, request):
    return request.method


@app.get("/not-json")
def not_json():
    return {"set": {1, 2}}


@app.get("/surrogate")
def surrogate():
    return "\udc80"


if __name__ == "__main__":
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    certfile = sys.argv[3] if len(sys.argv) > 3 else None
    keyfile = sys.argv[4] if len(sys.argv) > 4 else None
    threads = int(os.environ.get("WEFT_TEST_THREADS", "4"))
    app.run(
        "127.0.0.1", port, workers=workers, threads=threads, certfile=certfile, keyfile=keyfile, shutdown_timeout=5.0
    )
