"""A fault-injecting HTTP proxy on loopback, in front of a real server (moto, for s3).

``FaultProxy(upstream)`` listens on a free loopback port and forwards each request to
``upstream``, except that it answers a deterministic share of them with a fault:

- ``every=N``: the N-th, 2N-th, ... request it receives is faulted (``every=1``: all of them);
- ``faults``: the kinds used, in turn: ``"500"`` (InternalError), ``"503"`` (SlowDown),
  ``"drop"`` (the connection closes without an answer), ``"truncate"`` (a GET is forwarded,
  then the answer stops halfway through its body and the connection closes; other methods
  are dropped instead);
- ``per_call=K``: at most K faults per client call, told apart by botocore's
  ``amz-sdk-invocation-id`` header (the same on every retry of one call), so a call that
  retries is certain to get through (``None``: no limit, for retries that must run out);
- ``deny``: requests whose path contains one of these strings are answered 403 AccessDenied
  (whatever ``every`` says);
- ``latency``: seconds each request waits before it is forwarded, the round trip of a far
  away store (bench/bench_concurrency.py puts 20 ms in front of moto).

It counts what it saw: ``requests``, ``faults`` (a Counter by kind) and ``log`` (one
``Seen(method, path, outcome)`` per request, ``outcome`` being ``"forwarded"`` or the fault).
Connections are bounded (``max_connections``) and ``stop()`` closes the open ones, so no
thread is left behind. Use it as a context manager::

    with FaultProxy(moto.endpoint, every=3, faults=("500", "503")) as proxy:
        op = Operator("s3", **moto.config(bucket, endpoint=proxy.url))
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FAULT_KINDS", "FaultProxy", "Seen"]

FAULT_KINDS = ("500", "503", "drop", "truncate")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
}
_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "403": (403, "AccessDenied", "Access Denied"),
}


@dataclass(frozen=True)
class Seen:
    """One request the proxy received, and what it did with it."""

    method: str
    path: str
    outcome: str  # "forwarded", or the fault: "500", "503", "drop", "truncate", "403"


class FaultProxy:
    """See the module docstring."""

    def __init__(
        self,
        upstream: str,
        *,
        every: int = 0,
        faults: Iterable[str] = ("500",),
        per_call: int | None = 1,
        deny: Iterable[str] = (),
        max_connections: int = 64,
        timeout: float = 30.0,
        latency: float = 0.0,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"upstream must be http://host:port, got {upstream!r}")
        self.upstream = (parts.hostname, parts.port)
        self.timeout = timeout
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, got {latency}")
        self.latency = latency
        self._lock = threading.Lock()
        self.configure(every=every, faults=faults, per_call=per_call, deny=deny)
        self.reset_counts()
        self._server = _Server(("127.0.0.1", 0), _Handler, self, max_connections)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None

    # -- what to inject ---------------------------------------------------------------
    def configure(
        self,
        *,
        every: int = 0,
        faults: Iterable[str] = ("500",),
        per_call: int | None = 1,
        deny: Iterable[str] = (),
    ) -> None:
        """Set what to inject from the next request on (counts are kept)."""
        kinds = tuple(faults)
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not kinds:
            raise ValueError(f"faults must be some of {FAULT_KINDS}, got {kinds}")
        if every < 0:
            raise ValueError(f"every must be >= 0, got {every}")
        with self._lock:
            self.every = every
            self.kinds = kinds
            self.per_call = per_call
            self.deny = tuple(deny)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests = 0
            self.faults: Counter[str] = Counter()
            self.log: list[Seen] = []
            self._by_call: Counter[str] = Counter()
            self._next_kind = 0

    def seen(self, contains: str) -> list[Seen]:
        """The requests whose path contains ``contains``."""
        with self._lock:
            return [s for s in self.log if contains in s.path]

    def _decide(self, method: str, path: str, headers: Any) -> str:
        with self._lock:
            self.requests += 1
            call = headers.get("amz-sdk-invocation-id") or f"anonymous-{self.requests}"
            outcome = "forwarded"
            if any(d in path for d in self.deny):
                outcome = "403"
            elif (
                self.every
                and self.requests % self.every == 0
                and (self.per_call is None or self._by_call[call] < self.per_call)
            ):
                outcome = self.kinds[self._next_kind % len(self.kinds)]
                self._next_kind += 1
                self._by_call[call] += 1
                if outcome == "truncate" and method != "GET":
                    outcome = "drop"
            if outcome != "forwarded":
                self.faults[outcome] += 1
            self.log.append(Seen(method, path, outcome))
            return outcome

    # -- running ----------------------------------------------------------------------
    @property
    def open_connections(self) -> int:
        """Client connections being served now (0 once ``stop()`` returned)."""
        return self._server.open_connections()

    def start(self) -> FaultProxy:
        thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fault-proxy", daemon=True
        )
        thread.start()
        self._thread = thread
        return self

    def stop(self) -> None:
        """Stop accepting, close every open connection, and wait for the handler threads."""
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()  # joins the handler threads (they are not daemons)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], proxy: FaultProxy, limit: int
    ) -> None:
        super().__init__(address, handler)
        self.proxy = proxy
        self._slots = threading.BoundedSemaphore(limit)
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=self.proxy.timeout):
            self.shutdown_request(request)  # too many connections: refuse this one
            return
        with self._live_lock:
            self._live.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._done(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done(request)

    def _done(self, request: Any) -> None:
        with self._live_lock:
            self._live.discard(request)
        self._slots.release()

    def open_connections(self) -> int:
        with self._live_lock:
            return len(self._live)

    def close_connections(self) -> None:
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-request is not the proxy's failure


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._upstream: http.client.HTTPConnection | None = None

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        if self._upstream is not None:
            self._upstream.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._proxy()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    # -- one request ------------------------------------------------------------------
    def _proxy(self) -> None:
        body = self._body()
        outcome = self.server.proxy._decide(self.command, self.path, self.headers)
        if outcome == "drop":
            self.close_connection = True
            return
        if outcome in _ERRORS:
            return self._error(*_ERRORS[outcome])
        if self.server.proxy.latency:
            time.sleep(self.server.proxy.latency)  # the simulated network, not a wait for state
        try:
            status, headers, data = self._forward(body)
        except (OSError, http.client.HTTPException) as err:
            return self._error(502, "BadGateway", f"upstream failed: {err}")
        if outcome == "truncate" and len(data) >= 2:
            self._send(status, headers, data, cut=len(data) // 2)
            self.close_connection = True
            return
        self._send(status, headers, data)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        if body or self.command in ("PUT", "POST"):
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        for fresh in (False, True):
            conn = self._connection(fresh)
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for key, value in headers:
                    conn.putheader(key, value)
                conn.endheaders(body or None)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self._upstream = None
                if fresh:
                    raise
                continue  # an idle upstream connection went away: once more on a new one
            if resp.will_close:
                conn.close()
                self._upstream = None
            return resp.status, resp.getheaders(), data
        raise AssertionError("unreachable")

    def _connection(self, fresh: bool) -> http.client.HTTPConnection:
        if fresh or self._upstream is None:
            host, port = self.server.proxy.upstream
            self._upstream = http.client.HTTPConnection(
                host, port, timeout=self.server.proxy.timeout
            )
        return self._upstream

    def _send(
        self, status: int, headers: list[tuple[str, str]], data: bytes, cut: int | None = None
    ) -> None:
        self.send_response(status)
        for key, value in headers:
            low = key.lower()
            if low in _HOP_BY_HOP or (low == "content-length" and self.command != "HEAD"):
                continue
            if low in ("server", "date"):
                continue  # send_response wrote its own
            self.send_header(key, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304) and data:
            self.wfile.write(data if cut is None else data[:cut])
        self.wfile.flush()

    def _error(self, status: int, code: str, message: str) -> None:
        data = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            "<RequestId>fault-proxy</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", "fault-proxy")]
        if self.command == "HEAD":
            headers.append(("Content-Length", "0"))
        self._send(status, headers, b"" if self.command == "HEAD" else data)


@contextlib.contextmanager
def fault_proxy(upstream: str, **options: Any) -> Iterator[FaultProxy]:
    """``FaultProxy(upstream, **options)``, started, and stopped on the way out."""
    with FaultProxy(upstream, **options) as proxy:
        yield proxy
