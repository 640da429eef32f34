"""The server protocol's own cost per request, in one process: read before vs parsed.

    .venv/bin/python bench/protocol.py [--requests N] [--rounds R]    (part of make bench)

``bench/serve.py`` measures whole servers over loopback, where wrk, the kernel and the
event loop share two cores with the server and runs vary by several percent. This one
feeds requests straight into one ``FileFastPath`` (``server/protocol.py``) with a
transport that only counts what is written, so the Python work per request is all that is
timed. The file is ``bench/serve.py``'s 50-entry Atom feed; every request is a partner's
conditional GET answered 304:
  - baseline: each request different (a counting ``X-Poll`` header), so each is parsed
    and looked up in the remembered answers (``server/files.py``), and noted as seen
    once (``server/repeats.py``);
  - measured: the same request each time, as a poller sends it, answered without parsing.
Prints µs per request (the median of the rounds, and the best) and the ratio. Run it on
an older checkout (copy this file and ``serve.py`` there) to compare versions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from serve import URL_PATH, build_feed  # bench/serve.py, which puts this checkout on sys.path
from uvicorn.server import ServerState

from syndicate.config import load_config
from syndicate.server import create_app
from syndicate.server.protocol import FileFastPath


class CountingTransport:
    """Stands in for uvloop's transport: counts the 304s, keeps the head of the last other
    answer, drops the rest."""

    def __init__(self) -> None:
        self.not_modified = 0
        self.other_head = b""

    def write(self, data: bytes) -> None:
        if data.startswith(b"HTTP/1.1 304 "):
            self.not_modified += 1
        elif data.startswith(b"HTTP/"):
            self.other_head = data

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        raise SystemExit("the server closed the connection: the requests are wrong")

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


def connection(config_path: Path) -> tuple[FileFastPath, CountingTransport]:
    app = create_app(load_config(config_path, env={}))
    config = uvicorn.Config(app, access_log=False, log_level="warning", limit_concurrency=1000)
    config.load()
    loop = asyncio.new_event_loop()
    protocol = FileFastPath(config, ServerState(), {}, _loop=loop)
    transport = CountingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport


def etag_of(protocol: FileFastPath, transport: CountingTransport) -> bytes:
    protocol.data_received(b"GET %s HTTP/1.1\r\nHost: bench\r\n\r\n" % URL_PATH.encode())
    for line in transport.other_head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"etag":
            return value.strip()
    raise SystemExit("no ETag in the answer")


def per_request(feed: Callable[[bytes], None], requests: list[bytes]) -> float:
    """µs per request for feeding ``requests`` one by one."""
    start = time.perf_counter()
    for request in requests:
        feed(request)
    return (time.perf_counter() - start) / len(requests) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests a round")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config_path, _ = build_feed(Path(tmp), 60)
        protocol, transport = connection(config_path)
        head = (
            b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: partner-site/2.1\r\n"
            b"Accept: application/atom+xml\r\nIf-None-Match: %s\r\n"
        ) % (URL_PATH.encode(), etag_of(protocol, transport))
        parsed, repeated = [], []
        for round_ in range(args.rounds):  # interleaved, so drift hits both alike
            new = [head + b"X-Poll: %d-%d\r\n\r\n" % (round_, i) for i in range(args.requests)]
            parsed.append(per_request(protocol.data_received, new))
            same = [head + b"\r\n" for _ in range(args.requests)]  # new objects, as read
            repeated.append(per_request(protocol.data_received, same))
        expected = 2 * args.rounds * args.requests
        if transport.not_modified != expected:
            raise SystemExit(f"{transport.not_modified} answers of {expected} were 304s")
    base, measured = statistics.median(parsed), statistics.median(repeated)
    print(f"{'scenario':<44} {'µs/request':>11} {'best':>7}")
    print(f"{'baseline: 304, each request new (parsed)':<44} {base:>11.2f} {min(parsed):>7.2f}")
    print(f"{'304, the same request (read before)':<44} {measured:>11.2f} {min(repeated):>7.2f}")
    print(f"ratio read before / parsed: {measured / base:.2f} ({args.rounds} rounds, median)")


if __name__ == "__main__":
    main()
