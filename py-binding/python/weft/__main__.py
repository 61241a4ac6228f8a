"""``python -m weft module:app``: the ``weft`` command (``weft.cli``)."""

from .cli import main

if __name__ == "__main__":
    main()
