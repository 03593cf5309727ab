"""A port on 127.0.0.1 for a server a test starts."""

from __future__ import annotations

import os
import socket


def loopback_port(pinned_by: str) -> int:
    """The port the environment variable `pinned_by` names (a machine whose ports are shared
    out), else any free one."""
    if os.environ.get(pinned_by):
        return int(os.environ[pinned_by])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
