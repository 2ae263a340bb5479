"""fsspec's own shared test suite (``fsspec.tests.abstract``) on OpendalFileSystem."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec.tests.abstract as abstract
import pytest

from opendal_lab import Operator
from opendal_lab.fsspec import OpendalFileSystem
from tests.servers import MotoServer


class _Fixtures(abstract.AbstractFixtures):  # type: ignore[misc]
    @pytest.fixture
    def fs_path(self) -> str:
        return "base"


class MemoryFixtures(_Fixtures):
    @pytest.fixture
    def fs(self) -> OpendalFileSystem:
        return OpendalFileSystem(scheme="memory", name=f"abstract-{uuid.uuid4().hex}")


class FsFixtures(_Fixtures):
    @pytest.fixture
    def fs(self, tmp_path: Path) -> OpendalFileSystem:
        return OpendalFileSystem(operator=Operator("fs", root=str(tmp_path / "root")))


class S3Fixtures(_Fixtures):
    @pytest.fixture
    def fs(self, moto_server: MotoServer, s3_bucket: str) -> Iterator[OpendalFileSystem]:
        return OpendalFileSystem(scheme="s3", **moto_server.config(s3_bucket))

    @pytest.fixture
    def supports_empty_directories(self, fs: OpendalFileSystem) -> bool:
        # mkdir follows the capability (issue 15): create_dir, here the SimulateLayer's marker.
        return bool(fs.operator.capability().create_dir)


class TestMemoryCopy(abstract.AbstractCopyTests, MemoryFixtures):  # type: ignore[misc]
    pass


class TestMemoryGet(abstract.AbstractGetTests, MemoryFixtures):  # type: ignore[misc]
    pass


class TestMemoryPut(abstract.AbstractPutTests, MemoryFixtures):  # type: ignore[misc]
    pass


class TestMemoryOpen(abstract.AbstractOpenTests, MemoryFixtures):  # type: ignore[misc]
    pass


class TestMemoryPipe(abstract.AbstractPipeTests, MemoryFixtures):  # type: ignore[misc]
    pass


class TestFsCopy(abstract.AbstractCopyTests, FsFixtures):  # type: ignore[misc]
    pass


class TestFsGet(abstract.AbstractGetTests, FsFixtures):  # type: ignore[misc]
    pass


class TestFsPut(abstract.AbstractPutTests, FsFixtures):  # type: ignore[misc]
    pass


class TestFsOpen(abstract.AbstractOpenTests, FsFixtures):  # type: ignore[misc]
    pass


class TestFsPipe(abstract.AbstractPipeTests, FsFixtures):  # type: ignore[misc]
    pass


class TestS3Copy(abstract.AbstractCopyTests, S3Fixtures):  # type: ignore[misc]
    pass


class TestS3Get(abstract.AbstractGetTests, S3Fixtures):  # type: ignore[misc]
    pass


class TestS3Put(abstract.AbstractPutTests, S3Fixtures):  # type: ignore[misc]
    pass


class TestS3Open(abstract.AbstractOpenTests, S3Fixtures):  # type: ignore[misc]
    pass


class TestS3Pipe(abstract.AbstractPipeTests, S3Fixtures):  # type: ignore[misc]
    pass
