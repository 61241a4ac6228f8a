"""Hello world on weft's decorator API with an async handler."""

import sys

import weft

app = weft.App()


@app.get("/")
async def hello():
    return "Hello, world!"


if __name__ == "__main__":
    app.run("127.0.0.1", int(sys.argv[1]))
