"""A write that dies halfway leaves the previous content or nothing, never a partial file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from opendal_lab import NotFound, Operator

#: Writes 64 KiB chunks to TARGET forever, flushing each, and says "started" after a few.
WRITER = """
import sys, time
from opendal_lab import Operator

op = Operator("fs", root=sys.argv[1])
chunk = b"N" * 65536
with op.open(sys.argv[2], "wb", buffer_size=65536) as f:
    for i in range(10**9):
        f.write(chunk)
        f.flush()
        if i == 4:
            print("started", flush=True)
        time.sleep(0.001)
"""

TARGET = "dir/big.bin"


def _partial_files(root: Path) -> list[Path]:
    """Files on disk under ``root`` other than the target: the dead writer's leftovers."""
    return [p for p in root.rglob("*") if p.is_file() and p != root / TARGET]


def _kill_midway(root: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), TARGET],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "started", proc.stderr.read() if proc.stderr else line
        # Wait until the dead-to-be writer has put real bytes on disk, so the kill lands midway.
        deadline = time.monotonic() + 10
        while not any(p.stat().st_size >= 5 * 65536 for p in _partial_files(root)):
            assert time.monotonic() < deadline, "the writer never wrote its chunks to disk"
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def _visible(op: Operator) -> list[str]:
    return [e.path for e in op.list("/", recursive=True) if e.path != "/"]


@pytest.mark.parametrize("old", [b"old content\n", None], ids=["over-old", "new-file"])
def test_killed_write_leaves_old_content_or_nothing(tmp_path: Path, old: bytes | None) -> None:
    op = Operator("fs", root=str(tmp_path))
    if old is not None:
        op.write(TARGET, old)
    else:
        op.create_dir("dir/")
    _kill_midway(tmp_path)
    # The partial data exists on disk (the kill really was midway) ...
    assert _partial_files(tmp_path)
    # ... but never at the target, and never through the operator.
    fresh = Operator("fs", root=str(tmp_path))
    if old is None:
        assert not (tmp_path / TARGET).exists()
        with pytest.raises(NotFound):
            fresh.read(TARGET)
        assert not fresh.exists(TARGET)
        assert _visible(fresh) == ["dir/"]
        assert [e.path for e in fresh.list("dir/")] == ["dir/"]
    else:
        assert (tmp_path / TARGET).read_bytes() == old
        assert fresh.read(TARGET) == old
        assert fresh.stat(TARGET).content_length == len(old)
        assert _visible(fresh) == ["dir/", TARGET]
        entries = {e.path: e for e in fresh.list("dir/")}
        assert list(entries) == ["dir/", TARGET]
        assert entries[TARGET].metadata.content_length == len(old)


def test_a_new_write_after_a_killed_one_succeeds(tmp_path: Path) -> None:
    op = Operator("fs", root=str(tmp_path))
    op.write(TARGET, b"old")
    _kill_midway(tmp_path)
    op.write(TARGET, b"new")
    assert op.read(TARGET) == b"new"
    assert _visible(op) == ["dir/", TARGET]


class Boom(Exception):
    pass


def _write_then_fail(op: Operator, path: str, mode: str, data: bytes | str, **opts: int) -> None:
    """Write ``data`` inside ``with op.open(...)`` and raise before the block ends."""
    with op.open(path, mode, **opts) as f:
        f.write(data)
        raise Boom


@pytest.fixture(params=["memory", "fs"])
def op(request: pytest.FixtureRequest, tmp_path: Path) -> Operator:
    if request.param == "memory":
        return Operator("memory", name=f"killed-write-{uuid.uuid4().hex}")
    return Operator("fs", root=str(tmp_path))


@pytest.mark.parametrize("old", [b"old content", None], ids=["over-old", "new-file"])
@pytest.mark.parametrize("buffer_size", [4, 1 << 20], ids=["flushed", "buffered"])
def test_exception_inside_a_with_block_leaves_old_content(
    op: Operator, tmp_path: Path, old: bytes | None, buffer_size: int
) -> None:
    if old is not None:
        op.write("f.bin", old)
    with pytest.raises(Boom):
        _write_then_fail(op, "f.bin", "wb", b"partial data", buffer_size=buffer_size)
    if old is None:
        assert not op.exists("f.bin")
    else:
        assert op.read("f.bin") == old
    assert _visible(op) == ([] if old is None else ["f.bin"])
    if op.scheme == "fs":  # no temporary file left behind either
        assert sorted(p.name for p in tmp_path.iterdir()) == ([] if old is None else ["f.bin"])


def test_text_mode_exception_leaves_old_content(op: Operator) -> None:
    op.write("t.txt", b"old")
    with pytest.raises(Boom):
        _write_then_fail(op, "t.txt", "w", "new text")
    assert op.read("t.txt") == b"old"


def test_explicit_abort_leaves_old_content(op: Operator) -> None:
    op.write("f.bin", b"old")
    f = op.open("f.bin", "wb", buffer_size=2)
    f.write(b"partial")
    f.abort()  # type: ignore[attr-defined]
    assert op.read("f.bin") == b"old"


def test_text_mode_without_exception_commits(op: Operator) -> None:
    op.write("t.txt", b"old")
    with op.open("t.txt", "w") as f:
        f.write("new text ✓")
    assert op.read("t.txt") == "new text ✓".encode()
    assert f.metadata is not None  # type: ignore[attr-defined]
    assert f.metadata.content_length == len("new text ✓".encode())  # type: ignore[attr-defined]
