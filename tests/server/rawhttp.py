"""A raw HTTP/1.1 client over sockets on 127.0.0.1, for the server's protocol tests: it
sends bytes as given and reads whole replies, so that tests see exactly what went over
the wire (keep-alive, pipelining, split requests, closing)."""

from __future__ import annotations

import socket
from dataclasses import dataclass

TIMEOUT = 10.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]  # in order, names lowercase
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)


def request(path: str, method: str = "GET", version: str = "1.1", **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Connection:
    """One client connection that reads whole replies (Content-Length or until close)."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def reply(self, head_request: bool = False) -> Reply:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionError(f"closed before a whole head: {self.buffer[:200]!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        first, *lines = head.decode("latin-1").split("\r\n")
        headers = [(k.strip().lower(), v.strip()) for k, v in (x.split(":", 1) for x in lines)]
        status = int(first.split(" ")[1])
        length = next((int(v) for k, v in headers if k == "content-length"), None)
        if head_request or status in (204, 304):
            length = 0
        if length is None:  # until the server closes
            while self._fill():
                pass
            length = len(self.buffer)
        while len(self.buffer) < length:
            if not self._fill():
                raise ConnectionError("closed inside a body")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Reply(status, headers, body)

    def closed_by_server(self) -> bool:
        """Whether the server closed the connection (within the socket timeout); a reset
        counts: a server closing with unread data from the client resets it."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def exchange(base: str, data: bytes, head_request: bool = False) -> Reply:
    conn = Connection(base)
    try:
        conn.send(data)
        return conn.reply(head_request)
    finally:
        conn.close()


def comparable(reply: Reply) -> Reply:
    return Reply(reply.status, [h for h in reply.headers if h[0] != "date"], reply.body)
