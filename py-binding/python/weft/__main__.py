"""``python -m weft module:app``: serve an ASGI 3 application."""

from .asgi import main

if __name__ == "__main__":
    main()
