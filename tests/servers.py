"""Real servers on loopback for the tests: an S3 server (moto in server mode), an HTTP file server.

Each pytest process (each xdist worker) starts its own server on a free port, in a
subprocess, and stops it at the end of the session. Tests get fresh buckets from
``s3_bucket`` / ``s3_versioned_bucket``; the server's state is reset after each such test.
The HTTP file server (``http_server``) runs in a thread of the test process instead.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import http.server
import mimetypes
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

MOTO_REGION = "us-east-1"
MOTO_KEY = "AKIAMOTOTESTKEY000"
MOTO_SECRET = "moto-test-secret-do-not-leak"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    url: str,
    timeout: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    any_status: bool = False,
) -> None:
    """Until ``url`` answers (with ``any_status``, an HTTP error status counts as an
    answer). With the server's ``proc``, its exit ends the wait at once; with its ``log``,
    the error shows the log's tail."""

    def tail() -> str:
        return f":\n{log.read_text()[-3000:]}" if log is not None else ""

    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}{tail()}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            if any_status:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            message = f"server at {url} did not come up in {timeout:.0f}s{tail()}"
            raise RuntimeError(message) from None
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a server process: asked politely, then killed if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@dataclass
class MotoServer:
    """A running moto S3 server and what a client needs to reach it."""

    endpoint: str
    region: str = MOTO_REGION
    access_key_id: str = MOTO_KEY
    secret_access_key: str = MOTO_SECRET
    _admin: Any = field(default=None, init=False, repr=False, compare=False)

    def client(self) -> Any:
        import botocore.session

        return botocore.session.get_session().create_client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def config(self, bucket: str, **extra: Any) -> dict[str, Any]:
        """The config for ``Operator("s3", **config)`` on ``bucket``."""
        return {
            "bucket": bucket,
            "region": self.region,
            "endpoint": self.endpoint,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            **extra,
        }

    def create_bucket(self, versioned: bool = False) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        # One client for every bucket: building one loads botocore's models (~1 s on a busy
        # machine), which made bucket setup most of the s3 behavior suite's time.
        if self._admin is None:
            self._admin = self.client()
        client = self._admin
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()


@contextlib.contextmanager
def moto_process(**env: str) -> Iterator[str]:
    """Run a moto server in its own process on a free loopback port; yield its endpoint."""
    port = free_port()
    command = "from moto.server import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", command, "-H", "127.0.0.1", "-p", str(port)],
        env=dict(os.environ, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{endpoint}/moto-api/data.json", proc=proc)
        yield endpoint
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """A moto S3 server in its own process on a loopback port, for this test session."""
    with moto_process(AWS_ACCESS_KEY_ID=MOTO_KEY, AWS_SECRET_ACCESS_KEY=MOTO_SECRET) as endpoint:
        yield MotoServer(endpoint)


@pytest.fixture
def s3_bucket(moto_server: MotoServer) -> Iterator[str]:
    """A fresh, empty, unversioned bucket; the server is reset afterwards."""
    yield moto_server.create_bucket()
    moto_server.reset()


@pytest.fixture
def s3_versioned_bucket(moto_server: MotoServer) -> Iterator[str]:
    """A fresh, empty bucket with versioning enabled; the server is reset afterwards."""
    yield moto_server.create_bucket(versioned=True)
    moto_server.reset()


# -- an HTTP file server on loopback (for the http service) -----------------------------

HTTP_USER = "reader"
HTTP_PASSWORD = "http-test-password-do-not-leak"
HTTP_TOKEN = "http-test-token-do-not-leak"


@dataclass
class HttpServer:
    """A file server over ``root``, reachable at ``url``.

    Paths below ``/basic/`` need basic auth (``user``/``password``), below ``/bearer/`` a
    bearer ``token``; ``/norange/x`` serves ``x`` ignoring ``Range`` (always 200 and the
    whole body); ``/status/NNN/...`` answers status NNN. ``requests`` logs
    ``(method, path, headers)`` of every request.
    """

    url: str
    root: Path
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    user: str = HTTP_USER
    password: str = HTTP_PASSWORD
    token: str = HTTP_TOKEN

    def put(self, path: str, data: bytes) -> Path:
        """Write ``data`` to ``root/path``, creating parents."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target


class _FileHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is used
    disable_nagle_algorithm = True  # headers and body go out in two writes
    state: HttpServer  # set on a subclass per server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _reply(self, code: int, headers: dict[str, str] | None = None, data: bytes = b"") -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if code != 304:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data and code != 304:
            self.wfile.write(data)

    def _serve(self, body: bool) -> None:
        state = self.state
        state.requests.append((self.command, self.path, dict(self.headers.items())))
        path = unquote(urlsplit(self.path).path)
        auth = self.headers.get("Authorization", "")
        basic = base64.b64encode(f"{state.user}:{state.password}".encode()).decode()
        if path.startswith("/basic/") and auth != f"Basic {basic}":
            return self._reply(401, {"WWW-Authenticate": 'Basic realm="test"'})
        if path.startswith("/bearer/") and auth != f"Bearer {state.token}":
            return self._reply(401, {"WWW-Authenticate": 'Bearer realm="test"'})
        status = re.fullmatch(r"/status/(\d{3})(/.*)?", path)
        if status:
            return self._reply(int(status.group(1)))
        ignore_range = path.startswith("/norange/")
        if ignore_range:
            path = path[len("/norange") :]
        root = state.root.resolve()
        target = (root / path.lstrip("/")).resolve()
        if not target.is_relative_to(root):
            return self._reply(404)
        if target.is_dir():
            if not path.endswith("/"):
                return self._reply(301, {"Location": quote(path) + "/"})
            listing = "\n".join(sorted(p.name for p in target.iterdir())).encode()
            return self._reply(200, {"Content-Type": "text/plain"}, listing)
        if path.endswith("/") or not target.is_file():
            return self._reply(404)
        self._file(target, ignore_range)

    def _file(self, target: Path, ignore_range: bool) -> None:
        st = target.stat()
        etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(st.st_mtime, usegmt=True),
            "Content-Type": mimetypes.guess_type(target.name)[0] or "application/octet-stream",
        }
        if_match = self.headers.get("If-Match")
        if if_match is not None and not _etag_in(etag, if_match):
            return self._reply(412)
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None and _etag_in(etag, if_none_match):
            return self._reply(304, {"ETag": etag})
        data = target.read_bytes()
        size = len(data)
        wanted = None if ignore_range else _parse_range(self.headers.get("Range"), size)
        if wanted is None:
            if not ignore_range:
                headers["Accept-Ranges"] = "bytes"
            return self._reply(200, headers, data)
        if wanted == "unsatisfiable":
            return self._reply(416, {"Content-Range": f"bytes */{size}"})
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self._reply(206, headers, data[start : end + 1])


def _etag_in(etag: str, header: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def _parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """``(start, end)`` of a single byte range, ``"unsatisfiable"``, or None (serve it all)."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if not match or not (match.group(1) or match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # suffix: the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if end < start:
        return None  # an invalid range is ignored (RFC 9110)
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """A threaded HTTP file server on a loopback port, serving a temporary directory."""
    root = tmp_path_factory.mktemp("http-root")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FileHandler)
    server.daemon_threads = True
    state = HttpServer(f"http://127.0.0.1:{server.server_address[1]}", root)
    server.RequestHandlerClass = type("_Handler", (_FileHandler,), {"state": state})
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- Dask clusters on loopback (for the dask tests) ----------------------------------------


@contextlib.contextmanager
def dask_client(processes: bool) -> Iterator[Any]:
    """A ``distributed.LocalCluster`` of two one-thread workers and a client; both closed after.

    The client is not made the default (``set_as_default=False``): tests pick it with
    ``dask.config.set(scheduler=client)``, so nothing else in the session runs on it.
    """
    import logging

    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=processes,
        # No fixed port: the scheduler (tcp with processes, else inproc) and its HTTP server
        # (metrics, even without a dashboard; 8787 unless told) bind free loopback ones, so
        # clusters of parallel test processes, or a Dask already running, never collide.
        scheduler_port=0,
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    try:
        client = distributed.Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def dask_process_client() -> Iterator[Any]:
    """A client of a local Dask cluster of two worker processes (spawned from this venv).

    Whatever runs there is pickled to another process and rebuilt: a filesystem, a task, an
    error on the way back. The workers reach loopback servers and the local disk like the tests.
    """
    with dask_client(processes=True) as client:
        yield client


@pytest.fixture(scope="session")
def dask_thread_client() -> Iterator[Any]:
    """A client of a local Dask cluster whose two workers are threads of this process."""
    with dask_client(processes=False) as client:
        yield client
