"""Several Sanic workers each accept on their own socket, so connections opened at once
are spread over the workers instead of one worker taking them in a burst."""

from __future__ import annotations

import asyncio
import collections
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.ports import free_port

ROOT = Path(__file__).resolve().parents[2]

SERVER = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[2])
    from sanic import Sanic, response
    from integrations import worker_sockets
    worker_sockets.install()
    app = Sanic("workers")

    @app.get("/")
    async def pid(request):
        return response.text(str(os.getpid()))

    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=2, access_log=False)
""")


@pytest.fixture
def two_workers(tmp_path):
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    port = free_port()
    server = subprocess.Popen([sys.executable, str(script), str(port), str(ROOT)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the two-worker server did not start")
                time.sleep(0.2)
        time.sleep(1)  # the second worker up too
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def _listening_sockets(port: int) -> int:
    """Listening TCP sockets on the port (state 0A in /proc/net/tcp), one per socket."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows
               if row.split()[1].endswith(f":{port:04X}") and row.split()[3] == "0A")


async def _answering_workers(port: int, connections: int) -> collections.Counter:
    opened = await asyncio.gather(*[asyncio.open_connection("127.0.0.1", port)
                                    for _ in range(connections)])
    for _reader, writer in opened:
        writer.write(b"GET / HTTP/1.1\r\nHost: workers\r\n\r\n")
        await writer.drain()
    answered = collections.Counter()
    for reader, writer in opened:
        answer = await reader.read(1000)
        answered[answer.split(b"\r\n\r\n", 1)[1].decode()] += 1
        writer.close()
    return answered


def test_each_worker_listens_and_takes_a_share_of_connections_opened_at_once(two_workers):
    assert _listening_sockets(two_workers) == 2
    answered = asyncio.run(_answering_workers(two_workers, 32))
    assert len(answered) == 2, answered
    # An even split by the kernel's hash gives 16 each; 5 or fewer has odds of 1 in 10,000.
    assert min(answered.values()) >= 6, answered
