"""``syndicate run``: the worker and the HTTP server in one process, stopped cleanly by a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator

import uvicorn

from syndicate.config import Config
from syndicate.errors import SyndicateError
from syndicate.pipeline import utcnow
from syndicate.publish import publish_feeds
from syndicate.scheduler import Worker
from syndicate.server import create_app
from syndicate.storage import Storage

__all__ = ["run_service", "serve"]

log = logging.getLogger("syndicate.service")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(config: Config, storage: Storage, host: str, port: int) -> _Server:
    app = create_app(config, storage)
    return _Server(
        uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
    )


def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket here, so a taken port is a clear error, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SyndicateError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve(config: Config, storage: Storage, host: str, port: int) -> None:
    """Only the HTTP server, until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    _stop_on_signals(stop)
    sock = _listen(host, port)
    server = _server(config, storage, host, port)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await _wait_started(server, task)
    log.info("serving %s on http://%s:%d/", config.output_dir, host, port)
    await asyncio.wait(
        {task, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
    )
    server.should_exit = True
    await task


async def run_service(config: Config, storage: Storage, host: str, port: int) -> None:
    """Server first (the demo sources live on it), then the worker; both stop on a signal."""
    stop = asyncio.Event()
    _stop_on_signals(stop)
    sock = _listen(host, port)
    await asyncio.to_thread(publish_feeds, config, storage, utcnow())  # missing files first
    server = _server(config, storage, host, port)
    server_task = asyncio.create_task(server.serve(sockets=[sock]))
    await _wait_started(server, server_task)
    log.info("syndicate running on http://%s:%d/ (Ctrl-C to stop)", host, port)
    async with Worker(config, storage):
        await asyncio.wait(
            {server_task, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        log.info("stopping")
        server.should_exit = True
    await server_task
    log.info("stopped")


async def _wait_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    while not server.started:
        if task.done():
            task.result()  # re-raise why it could not start
            raise SystemExit("the server stopped before it started (is the port taken?)")
        await asyncio.sleep(0.02)
