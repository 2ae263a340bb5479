"""A counting forward HTTP proxy on loopback, for the HTTP client settings' tests.

Unlike ``tests/fault_proxy.py`` (a reverse proxy: the client takes it for the server), this
is what a client's ``proxy`` setting points at: each request arrives in absolute form
(``GET http://host:port/path HTTP/1.1``) and is forwarded to the host it names. A request
not in absolute form, that is one from a client that did not treat it as a proxy, is
answered 400 and counted apart (``direct``). Plain ``http://`` targets only: ``CONNECT``
(https through the proxy) is answered 405.

It records each request (``ProxySeen``: method, URL, headers), so a test can check that a
client went through it, with the headers it was given and its ``Proxy-Authorization``::

    with ForwardProxy() as proxy:
        op = Operator("http", endpoint=server.url, proxy=proxy.url)
        op.read("f")
    assert proxy.seen[-1].url.startswith(server.url)
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ForwardProxy", "ProxySeen"]

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


@dataclass(frozen=True)
class ProxySeen:
    """One request the proxy forwarded."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class ForwardProxy:
    """See the module docstring. ``requests``: how many it forwarded."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self.seen: list[ProxySeen] = []
        self.direct = 0
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> int:
        with self._lock:
            return len(self.seen)

    def with_credentials(self, user: str, password: str) -> str:
        """This proxy's URL with ``user:password@`` in it."""
        return self.url.replace("://", f"://{user}:{password}@", 1)

    def _record(self, seen: ProxySeen) -> None:
        with self._lock:
            self.seen.append(seen)

    def start(self) -> ForwardProxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="forward-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> ForwardProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._forward()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def do_CONNECT(self) -> None:
        self._reply(405, b"this test proxy forwards plain http only")

    def _forward(self) -> None:
        proxy: ForwardProxy = self.server.proxy  # type: ignore[attr-defined]
        body = self._body()
        target = urlsplit(self.path)
        if target.scheme != "http" or not target.hostname:
            with proxy._lock:
                proxy.direct += 1
            return self._reply(400, b"not a proxy request (absolute-form URL expected)")
        headers = dict(self.headers.items())
        proxy._record(ProxySeen(self.command, self.path, headers))
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=proxy.timeout)
        try:
            path = target.path or "/"
            conn.putrequest(
                self.command,
                path + (f"?{target.query}" if target.query else ""),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for key, value in headers.items():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    conn.putheader(key, value)
            if body or self.command in ("PUT", "POST"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for key, value in resp.getheaders():
                low = key.lower()
                if low in _HOP_BY_HOP or low in ("server", "date"):
                    continue
                if low == "content-length" and self.command != "HEAD":
                    continue
                self.send_header(key, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD" and data:
                self.wfile.write(data)
        except (OSError, http.client.HTTPException) as err:
            self._reply(502, f"upstream failed: {err}".encode())
        finally:
            conn.close()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
