"""errors.from_os_error: the one errno table fs and the fsspec bridge map OS errors with."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from opendal_lab import Operator
from opendal_lab.core import errors
from opendal_lab.core.errors import from_os_error
from opendal_lab.services.fsspec import map_error


@pytest.mark.parametrize(
    ("err", "kind"),
    [
        (OSError(errno.ENOENT, "gone"), errors.NotFound),
        (FileNotFoundError("no errno"), errors.NotFound),
        (OSError(errno.EPERM, "no"), errors.PermissionDenied),
        (OSError(errno.EEXIST, "there"), errors.AlreadyExists),
        (OSError(errno.EISDIR, "dir"), errors.IsADirectory),
        (OSError(errno.ENOTDIR, "file"), errors.NotADirectory),
        (OSError(errno.ELOOP, "Too many levels of symbolic links"), errors.PermissionDenied),
        (OSError(errno.ENOTEMPTY, "Directory not empty"), errors.Conflict),
        (OSError(errno.ENOSPC, "full"), errors.Unexpected),
        (OSError("no errno at all"), errors.Unexpected),
    ],
)
def test_one_table_for_fs_and_fsspec(err: OSError, kind: type[errors.Error]) -> None:
    mapped = from_os_error(err, operation="write", service="fs", path="p")
    assert type(mapped) is kind
    assert (mapped.operation, mapped.service, mapped.path) == ("write", "fs", "p")
    assert not mapped.is_temporary
    assert type(map_error(err, "write", "p")) is kind  # the fsspec bridge agrees


@pytest.mark.parametrize(
    "err",
    [OSError(errno.EAGAIN, "again"), OSError(errno.EBUSY, "busy"), TimeoutError("slow")],
)
def test_temporary(err: OSError) -> None:
    assert from_os_error(err).is_temporary


def test_message_is_the_os_words_unless_given() -> None:
    err = OSError(errno.ENOSPC, "No space left on device")
    assert from_os_error(err).message == "No space left on device"
    assert from_os_error(err, message="given").message == "given"
    ours = errors.NotFound("already ours")
    assert from_os_error(ours) is ours


def test_a_full_directory_on_delete_says_to_delete_recursively() -> None:
    err = OSError(errno.ENOTEMPTY, "Directory not empty")
    assert "recursive=True" in from_os_error(err, operation="delete").message
    assert from_os_error(err, operation="rename").message == "Directory not empty"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_fs_refuses_a_symlink_loop_and_lists_around_it(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    (tmp_path / "f").write_bytes(b"1")
    op = Operator("fs", root=str(tmp_path))
    for call in (lambda: op.stat("a"), lambda: op.read("a"), lambda: op.read("a/x")):
        with pytest.raises(errors.PermissionDenied):
            call()
    assert [e.path for e in op.list("/")] == ["/", "f"]  # a loop is not listed, as escapes


def test_fs_non_recursive_delete_of_a_full_directory_is_conflict(tmp_path: Path) -> None:
    op = Operator("fs", root=str(tmp_path))
    op.write("d/f", b"1")
    with pytest.raises(errors.Conflict, match="recursive=True") as info:
        op.delete("d/")
    assert (info.value.operation, info.value.path) == ("delete", "d/")
