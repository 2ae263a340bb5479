"""``Backend``: one empty store of one service, and how to look at it around the operator."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendal_lab import Operator
from tests.servers import MotoServer

__all__ = ["Backend"]


@dataclass
class Backend:
    """One empty store of one service, and how to reach it around the operator."""

    scheme: str
    config: dict[str, Any]
    root: Path | None = None  # fs: the directory on disk
    server: MotoServer | None = None  # s3: the moto server
    bucket: str | None = None  # s3: the bucket
    _client: Any = field(default=None, repr=False)

    def operator(self, **extra: Any) -> Operator:
        """A plain operator (default stack, no optional layer) on this store."""
        return Operator(self.scheme, **{**self.config, **extra})

    @property
    def client(self) -> Any:
        """A botocore client on the moto server, built with the test credentials (s3 only)."""
        assert self.server is not None, f"{self.scheme} has no S3 client"
        if self._client is None:
            self._client = self.server.client()
        return self._client

    def leftovers(self) -> list[str]:
        """What interrupted writes left outside the operator's view: none is the goal."""
        if self.scheme == "fs":
            assert self.root is not None
            return sorted(
                os.path.relpath(os.path.join(d, name), self.root)
                for d, _, names in os.walk(self.root)
                for name in names
                if name.endswith(".opendal_lab.tmp")
            )
        if self.scheme == "s3":
            out = self.client.list_multipart_uploads(Bucket=self.bucket)
            return sorted(
                f"{u['Key']} (upload {u['UploadId'][:8]})" for u in out.get("Uploads", [])
            )
        return []

    def files_on_disk(self) -> dict[str, bytes]:
        """Every regular file under the fs root, by relative path (fs only)."""
        assert self.root is not None
        found: dict[str, bytes] = {}
        for d, _, names in os.walk(self.root):
            for name in names:
                full = os.path.join(d, name)
                found[os.path.relpath(full, self.root).replace(os.sep, "/")] = Path(
                    full
                ).read_bytes()
        return found
