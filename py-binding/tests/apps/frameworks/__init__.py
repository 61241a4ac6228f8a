"""The same small service in five frameworks, for comparing weft with uvicorn: path and
query parameters, JSON in and out, form and multipart uploads, a streamed response, a
background task, a file, lifespan startup and shutdown, and exceptions.

Shutdown is recorded in the file named by ``$WEFT_FRAMEWORK_LOG`` (one line per event)."""

import os
from pathlib import Path

STATIC = Path(__file__).with_name("static.txt")
STATE = {"started": False, "background": []}


def log(event: str) -> None:
    path = os.environ.get("WEFT_FRAMEWORK_LOG")
    if path:
        with open(path, "a") as f:
            f.write(event + "\n")


def startup() -> None:
    STATE["started"] = True
    log("startup")


def shutdown() -> None:
    log("shutdown")


def remember(value: str) -> None:
    """The background task."""
    STATE["background"].append(value)


def lines():
    for i in range(5):
        yield f"line {i}\n"
