from quart import Quart, abort, jsonify, request, send_file

from . import STATE, STATIC, lines, remember, shutdown, startup

app = Quart(__name__)


@app.before_serving
async def on_startup():
    startup()


@app.after_serving
async def on_shutdown():
    shutdown()


@app.get("/items/<int:item_id>")
async def item(item_id):
    return jsonify({"item_id": item_id, "q": request.args.get("q"), "started": STATE["started"]})


@app.post("/json")
async def echo():
    return jsonify({"received": await request.get_json()})


@app.post("/form")
async def form():
    data = await request.form
    return jsonify({"name": data["name"]})


@app.post("/upload")
async def upload():
    files = await request.files
    data = files["file"].read()
    return jsonify({"filename": files["file"].filename, "size": len(data)})


@app.get("/stream")
async def stream():
    async def body():
        for line in lines():
            yield line.encode()

    return body(), 200, {"content-type": "text/plain"}


@app.get("/background")
async def background():
    app.add_background_task(remember, request.args["value"])
    return "scheduled"


@app.get("/background-done")
async def background_done():
    return jsonify({"done": STATE["background"]})


@app.get("/file")
async def file():
    return await send_file(STATIC)


@app.get("/sync/<int:n>")
def sync_endpoint(n):
    # A plain def: Quart runs it in an executor thread.
    return jsonify({"n": n})


@app.get("/error")
async def error():
    raise RuntimeError("boom")


@app.get("/teapot")
async def teapot():
    abort(418)
