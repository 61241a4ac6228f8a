"""``--uds PATH``: the Unix domain socket weft listens on, made as uvicorn makes it.

The socket file is created with mode 0o666 (any local user may connect; restrict
the directory to restrict access), or keeps the mode of the file it replaces. A
stale socket left by a server that died is replaced; any other file at the path is
an error, never deleted. At shutdown the file is removed, unless something else has
been bound to the path since."""

from __future__ import annotations

import dataclasses
import os
import socket
import stat

#: Mode of a new socket file (uvicorn's).
DEFAULT_MODE = 0o666


@dataclasses.dataclass
class UnixSocket:
    sock: socket.socket
    path: str
    #: The socket file's device and inode, to tell it from a later one at the path.
    identity: tuple

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        """Closes the socket and removes its file, if the file is still this one."""
        try:
            current = os.stat(self.path)
            ours = (current.st_dev, current.st_ino) == self.identity
        except OSError:
            ours = False
        self.sock.close()
        if ours:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def bind(path: str, backlog: int) -> UnixSocket:
    """A listening, inheritable Unix domain socket on ``path``."""
    mode = DEFAULT_MODE
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None:
        if not stat.S_ISSOCK(existing.st_mode):
            raise OSError(f"--uds {path}: the path exists and is not a socket")
        mode = stat.S_IMODE(existing.st_mode)
        # A socket file outlives the server that bound it; nothing can be accepted
        # on it any more, so it is replaced, as asyncio's create_unix_server does.
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, mode)
        sock.listen(backlog)
        created = os.stat(path)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return UnixSocket(sock, path, (created.st_dev, created.st_ino))
