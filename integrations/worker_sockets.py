"""Each Sanic worker process of a server accepts on a socket of its own (SO_REUSEPORT), so
the kernel spreads new connections evenly over the workers.

Sanic 21.12 binds one listening socket before forking its workers and shares it. Whichever
worker is back in its event loop first accepts, so the busiest one takes most connections:
under the benchmark's load one Rasa worker held 26 of 28 kept-alive connections and ran at
a full core while the other idled (README, "Speed"). With a socket per worker, the kernel
picks the worker for each new connection from its addresses.
"""

from __future__ import annotations

import socket
from functools import wraps
from ipaddress import ip_address

_installed = False


def _reusable(family: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def bound_for_workers(host: str, port: int, *, backlog: int = 100) -> socket.socket:
    """In place of sanic's bind_socket for several workers: the address is taken (a port of
    0 is chosen now, and a clash fails here, in the parent), but nothing listens on it,
    so no connection waits on a socket no worker accepts from."""
    try:
        family = socket.AF_INET6 if ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        family = socket.AF_INET
    sock = _reusable(family)
    sock.bind((host, port))
    return sock


def _listening(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


def on_own_socket(serve):
    """Sanic's per-worker serve(), given the parent's bound socket, listens on its own."""

    @wraps(serve)
    def serve_worker(**settings):
        inherited = settings.get("sock")
        if inherited is not None and not _listening(inherited):
            own = _reusable(inherited.family)
            own.bind(inherited.getsockname()[:2])
            own.listen(settings.get("backlog", 100))
            inherited.close()
            settings["sock"] = own
        return serve(**settings)

    return serve_worker


def install() -> None:
    """Patch sanic's runner (the module serve_multiple looks both names up in)."""
    global _installed
    if _installed:
        return
    from sanic.server import runners

    runners.bind_socket = bound_for_workers
    runners.serve = on_own_socket(runners.serve)
    _installed = True
