"""The access log: one line per HTTP exchange on the ``weft.access`` logger, in
gunicorn's ``%(atom)s`` format language, which is what users of Python servers know
(uvicorn has no format option).

Atoms: ``h`` client address, ``l`` ``-``, ``u`` ``-`` (no user), ``t`` time of the
request, ``r`` request line, ``m`` method, ``U`` path, ``q`` query string, ``H``
protocol, ``s`` status, ``B`` response body bytes, ``b`` the same or ``-`` for none,
``f`` referer, ``a`` user agent, ``T`` / ``M`` / ``D`` / ``L`` duration in seconds,
milliseconds, microseconds and decimal seconds, ``p`` process id, ``{name}i`` a
request header, ``{name}o`` a response header, ``{name}e`` an environment variable.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Callable, Dict

logger = logging.getLogger("weft.access")

_ATOM = re.compile(r"%\(([^)]*)\)s")
_SIMPLE = set("hlutrmUqHsBbfaTMDLp")


def compile_format(fmt: str) -> "list[str]":
    """The atoms ``fmt`` uses; ``ValueError`` for one that does not exist."""
    atoms = _ATOM.findall(fmt)
    for atom in atoms:
        if atom in _SIMPLE:
            continue
        if len(atom) > 3 and atom[0] == "{" and atom[-2] == "}" and atom[-1] in "ioe":
            continue
        raise ValueError(f"unknown atom %({atom})s")
    try:
        fmt % {atom: "" for atom in atoms}
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{fmt!r}: {error}") from None
    return atoms


def _header(headers, name: bytes) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return "-"


class AccessLog:
    """ASGI middleware that logs each HTTP exchange once its response is complete."""

    def __init__(self, app: Callable, fmt: str):
        self.app = app
        self.fmt = fmt
        self.atoms = compile_format(fmt)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.time()
        response: Dict[str, object] = {"status": 500, "headers": (), "length": 0}

        async def logging_send(message):
            # The server checks the message first: what it refuses is not logged.
            await send(message)
            kind = message["type"]
            if kind == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = message.get("headers", ())
            elif kind == "http.response.body":
                response["length"] += len(message.get("body", b""))  # type: ignore[operator]

        try:
            await self.app(scope, receive, logging_send)
        finally:
            if logger.isEnabledFor(logging.INFO):
                logger.info(self.fmt, self._atoms(scope, response, started))

    def _atoms(self, scope, response, started: float) -> dict:
        elapsed = time.time() - started
        client = scope.get("client")
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope.get("raw_path") or scope["path"].encode()
        target = target.decode("latin-1") + ("?" + query if query else "")
        protocol = "HTTP/" + scope.get("http_version", "1.1")
        length = response["length"]
        values = {}
        for atom in self.atoms:
            if atom == "h":
                value = client[0] if client else "-"
            elif atom in "lu":
                value = "-"
            elif atom == "t":
                value = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(started))
            elif atom == "r":
                value = f"{scope['method']} {target} {protocol}"
            elif atom == "m":
                value = scope["method"]
            elif atom == "U":
                value = scope["path"]
            elif atom == "q":
                value = query
            elif atom == "H":
                value = protocol
            elif atom == "s":
                value = response["status"]
            elif atom == "B":
                value = length
            elif atom == "b":
                value = length or "-"
            elif atom == "f":
                value = _header(scope["headers"], b"referer")
            elif atom == "a":
                value = _header(scope["headers"], b"user-agent")
            elif atom == "T":
                value = int(elapsed)
            elif atom == "M":
                value = int(elapsed * 1000)
            elif atom == "D":
                value = int(elapsed * 1_000_000)
            elif atom == "L":
                value = f"{elapsed:.6f}"
            elif atom == "p":
                value = f"<{os.getpid()}>"
            else:
                name, kind = atom[1:-2], atom[-1]
                if kind == "i":
                    value = _header(scope["headers"], name.lower().encode("latin-1"))
                elif kind == "o":
                    value = _header(response["headers"], name.lower().encode("latin-1"))
                else:
                    value = os.environ.get(name, "-")
            values[atom] = value
        return values
