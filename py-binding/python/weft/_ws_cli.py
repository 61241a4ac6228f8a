"""The WebSocket flags of ``weft app:app``, with uvicorn's names and defaults.

``add_ws_arguments(parser)`` adds them; ``Config.server_options`` turns the parsed
values into the server's keyword arguments.

``--ws-max-queue`` is accepted for uvicorn command lines but sets nothing: weft's
per-connection queue of received messages is a fixed small bound (server-smol's socket
channel), and a slow application holds the peer back through TCP instead.
"""

from __future__ import annotations

import argparse


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean, got {value!r}")


def add_ws_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("websockets")
    group.add_argument(
        "--ws",
        choices=["auto", "none", "websockets", "wsproto"],
        default="auto",
        help="WebSocket support: auto (weft's own; 'websockets' and 'wsproto' mean the same), or none (upgrades are plain HTTP)",
    )
    group.add_argument("--ws-max-size", type=int, default=16777216, help="largest message in bytes; 1009 beyond (default 16 MiB)")
    group.add_argument("--ws-max-queue", type=int, default=32, help="accepted for uvicorn compatibility; weft's queue is fixed")
    group.add_argument("--ws-ping-interval", type=float, default=20.0, help="seconds of silence before a Ping; 0 for none (default 20)")
    group.add_argument("--ws-ping-timeout", type=float, default=20.0, help="seconds a Ping may go unanswered before closing with 1011 (default 20)")
    group.add_argument(
        "--ws-per-message-deflate", type=_bool, default=True, metavar="BOOL", help="agree to permessage-deflate (default true)"
    )
