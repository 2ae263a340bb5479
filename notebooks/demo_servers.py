"""Local servers the notebooks talk to: an S3 endpoint (moto) on loopback.

::

    from demo_servers import start_moto

    moto = start_moto(buckets=["lab"])   # ready when this returns
    s3 = Operator("s3", bucket="lab", **moto.options)
    ...
    moto.stop()

The notebooks import this module by name: Jupyter, nbval and ``jupyter nbconvert --execute``
all start the kernel in the notebook's folder, which is this one. It needs ``moto[server]``
(``binder/requirements.txt`` and the ``dev`` extra install it).

moto runs in a child process, so its request handling never competes with the notebook's
own work, and it dies with the notebook's kernel: the child serves until its standard input
closes, which happens when ``stop()`` is called or when the kernel exits for any reason.
It binds port 0, so the system picks a free port and no other server can take it between a
check and the bind; the child reports the port once its socket is listening, so there is
nothing to poll and no sleep.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MotoServer", "start_moto"]

REGION = "us-east-1"
ACCESS_KEY_ID = "moto"
SECRET_ACCESS_KEY = "moto-secret"

# Run in the child: bind, report the port on stdout, serve until stdin closes.
_CHILD = """
import logging, sys
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()  # returns once the socket listens
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the parent closes the pipe or exits
server.stop()
"""


@dataclass
class MotoServer:
    """A running moto S3 server: where it is, what a client needs, and how to stop it."""

    endpoint: str
    process: subprocess.Popen[str] = field(repr=False)

    @property
    def options(self) -> dict[str, str]:
        """The s3 service's keys for this server (``Operator("s3", bucket=..., **options)``,
        or ``storage_options`` for an ``opendal+s3://`` URL)."""
        return {
            "endpoint": self.endpoint,
            "region": REGION,
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": SECRET_ACCESS_KEY,
        }

    def client(self) -> Any:
        """A botocore S3 client for this server (to make buckets, or look behind the scenes)."""
        import botocore.session

        return botocore.session.get_session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def stop(self) -> None:
        """Stop the server and wait for its process to end (calling it twice is fine)."""
        if self.process.poll() is None and self.process.stdin is not None:
            self.process.stdin.close()  # the child's cue to shut down
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_moto(buckets: Iterable[str] = ()) -> MotoServer:
    """Start moto's S3 server on a free loopback port and make ``buckets`` (moto starts with
    none); return once it answers."""
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "-c", _CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the child listens, or exits
    if not line.strip().isdigit():
        process.kill()
        process.wait()
        log.seek(0)
        raise RuntimeError(f"moto did not start (is moto[server] installed?):\n{log.read()}")
    server = MotoServer(f"http://127.0.0.1:{int(line)}", process)
    try:
        client = server.client()
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
    except BaseException:
        server.stop()
        raise
    return server
