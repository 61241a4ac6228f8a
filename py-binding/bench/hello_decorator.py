"""Hello world on weft's decorator API (the server benchmark)."""

import sys

import weft

app = weft.App()


@app.get("/")
def hello():
    return "Hello, world!"


if __name__ == "__main__":
    app.run("127.0.0.1", int(sys.argv[1]), threads=1)
