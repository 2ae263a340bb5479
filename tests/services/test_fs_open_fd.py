"""``FsService.open_fd``: the descriptor ``read`` reads from, after the same jail checks.

FileSource hands it to Polars (``datasource/sources/files/local.py``), which maps the file
through it; so it must refuse exactly what ``read`` refuses, and what it returns must stay
the inode checked whatever happens to the path afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from opendal_lab import IsADirectory, NotFound, PermissionDenied
from opendal_lab.core.options import DEFAULT_READ
from opendal_lab.services.fs import FsService

SECRET = b"OUTSIDE-SECRET"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    top = tmp_path / "root"
    (top / "d").mkdir(parents=True)
    (top / "d" / "f.bin").write_bytes(b"inside")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f.bin").write_bytes(SECRET)
    return top


@pytest.fixture
def service(root: Path) -> FsService:
    return FsService(root=str(root))


def read_fd(service: FsService, path: str) -> bytes:
    fd = service.open_fd(path)
    try:
        return os.pread(fd, 1 << 16, 0)
    finally:
        os.close(fd)


def outside_links(root: Path) -> Iterator[str]:
    """Paths under ``root`` that lead out of it through a symlink, one way or another."""
    out = root.parent / "outside"
    os.symlink(out / "f.bin", root / "file_out")
    yield "file_out"
    os.symlink(out, root / "dir_out")
    yield "dir_out/f.bin"
    os.symlink("../../outside/f.bin", root / "d" / "rel_out")
    yield "d/rel_out"
    os.symlink("file_out", root / "chain")
    yield "chain"


def test_open_fd_reads_the_file(service: FsService, root: Path) -> None:
    assert read_fd(service, "d/f.bin") == b"inside"
    os.symlink("f.bin", root / "d" / "link")
    os.symlink("d", root / "alias")
    assert read_fd(service, "d/link") == b"inside"  # links that stay inside are followed
    assert read_fd(service, "alias/f.bin") == b"inside"


def test_open_fd_refuses_what_read_refuses(service: FsService, root: Path) -> None:
    for path in outside_links(root):
        with pytest.raises(PermissionDenied):
            service.open_fd(path)
        with pytest.raises(PermissionDenied):
            service.read(path, DEFAULT_READ)
    with pytest.raises(PermissionDenied, match=r"'\.\.'"):
        service.open_fd("d/../../outside/f.bin")
    with pytest.raises(NotFound):
        service.open_fd("d/missing.bin")
    with pytest.raises(NotFound):
        service.open_fd("d/f.bin/below")
    for path in ("d", "d/"):
        with pytest.raises(IsADirectory):
            service.open_fd(path)


def test_open_fd_leaves_no_descriptor_on_refusal(service: FsService, root: Path) -> None:
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("counts descriptors in /proc/self/fd (Linux)")
    paths = [*outside_links(root), "d", "d/missing.bin"]
    os.close(service.open_fd("d/f.bin"))  # warm up
    before = len(os.listdir("/proc/self/fd"))
    for path in paths:
        with pytest.raises((PermissionDenied, NotFound, IsADirectory)):
            service.open_fd(path)
    assert len(os.listdir("/proc/self/fd")) == before


def test_the_descriptor_stays_the_inode_checked(service: FsService, root: Path) -> None:
    fd = service.open_fd("d/f.bin")
    try:
        # The path now leads out of the root: what the descriptor reads does not move.
        os.replace(root / "d" / "f.bin", root / "moved.bin")
        os.symlink(root.parent / "outside" / "f.bin", root / "d" / "f.bin")
        assert os.pread(fd, 100, 0) == b"inside"
        with pytest.raises(PermissionDenied):
            service.open_fd("d/f.bin")
    finally:
        os.close(fd)
