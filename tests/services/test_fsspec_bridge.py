"""The fsspec bridge: derived capability, config and URIs, error mapping, pickling, bad input."""

from __future__ import annotations

import errno
import pickle
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pyarrow.fs as pafs
import pytest
import s3fs
from fsspec.implementations.arrow import ArrowFSWrapper
from fsspec.implementations.dirfs import DirFileSystem
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from opendal_lab import Operator
from opendal_lab.core import errors
from opendal_lab.services.fsspec import FsspecService, derive_capability, map_error


def _memory_root() -> str:
    return f"/bridge-{uuid.uuid4().hex}"


# -- derived capability --------------------------------------------------------------------


def test_memory_capability_is_derived_from_its_class() -> None:
    cap = derive_capability(fsspec.filesystem("memory"))
    # MemoryFileSystem overrides find (one pass over the store) and rm(recursive=...).
    assert cap.list_with_recursive
    assert cap.delete_with_recursive
    # pipe_file(mode="create") opens "xb" itself; its pseudo_dirs make real empty dirs.
    assert cap.write_with_if_not_exists
    assert cap.create_dir
    # cp_file is its own, mv is fsspec's copy-then-delete, and it cannot sign URLs.
    assert cap.copy
    assert not cap.rename
    assert not cap.presign_read
    # fsspec has no start_after or paging: SimulateLayer's job.
    assert not cap.list_with_start_after
    assert not cap.list_with_limit
    assert not cap.shared  # the global store is one per process: workers see their own


def test_local_capability_is_derived_from_its_class() -> None:
    cap = derive_capability(LocalFileSystem())
    # LocalFileSystem has its own mv (shutil.move) but no find: recursive list is a walk.
    assert cap.rename
    assert not cap.list_with_recursive
    # pipe_file is fsspec's exists-then-write (a race): if_not_exists is not claimed.
    assert not cap.write_with_if_not_exists
    assert cap.create_dir  # real directories
    assert cap.write_can_append  # "ab" is the builtin open's append
    assert cap.read_with_suffix  # cat_file(start=-n) is fsspec's suffix read


def test_s3fs_capability_is_derived_from_its_class() -> None:
    cap = derive_capability(s3fs.S3FileSystem(anon=True, skip_instance_cache=True))
    # An async filesystem: its _find is one flat listing, _rm takes recursive, _cp_file is
    # a server-side copy, _pipe_file(mode="create") sends If-None-Match.
    assert cap.list_with_recursive
    assert cap.delete_with_recursive
    assert cap.copy
    assert cap.write_with_if_not_exists
    # sign() makes presigned GET URLs; mv is copy-then-delete; no empty directories.
    assert cap.presign_read
    assert not cap.presign_write
    assert not cap.rename
    assert not cap.create_dir


def test_private_memory_store_is_not_shared() -> None:
    fs = fsspec.filesystem("memory", global_store=False, skip_instance_cache=True)
    assert not derive_capability(fs).shared


def test_a_wrapper_shares_what_it_wraps() -> None:
    # DirFileSystem, the caching filesystems and ArrowFSWrapper delegate to another store.
    memory = fsspec.filesystem("memory")
    assert not derive_capability(DirFileSystem(path="/d", fs=memory)).shared
    assert not derive_capability(fsspec.filesystem("simplecache", fs=memory)).shared
    assert derive_capability(DirFileSystem(path="/d", fs=LocalFileSystem())).shared
    assert derive_capability(LocalFileSystem()).shared
    assert not derive_capability(ArrowFSWrapper(pafs._MockFileSystem())).shared
    assert derive_capability(ArrowFSWrapper(pafs.LocalFileSystem())).shared


def test_operator_reports_the_derived_capability_as_native() -> None:
    op = Operator("fsspec", protocol="memory", root=_memory_root())
    assert op.native_capability() == derive_capability(fsspec.filesystem("memory"))
    # SimulateLayer fills what is missing and introspection says so.
    assert op.capability_report()["list_with_start_after"].state == "simulated"


# -- config and URIs ------------------------------------------------------------------------


def test_from_uri_memory() -> None:
    root = _memory_root()
    op = Operator.from_uri(f"fsspec+memory://{root}")
    op.write("a/b", b"data")
    assert fsspec.filesystem("memory").cat_file(f"{root}/a/b") == b"data"


def test_from_uri_file(tmp_path: Path) -> None:
    op = Operator.from_uri(f"fsspec+file://{tmp_path}")
    op.write("d/f", b"local")
    assert (tmp_path / "d" / "f").read_bytes() == b"local"
    assert [e.path for e in op.list("d/")] == ["d/", "d/f"]


def test_from_uri_s3_query_keys_are_storage_options(moto_server: Any, s3_bucket: str) -> None:
    uri = (
        f"fsspec+s3://{s3_bucket}/prefix?key={moto_server.access_key_id}"
        f"&secret={moto_server.secret_access_key}&endpoint_url={moto_server.endpoint}"
        "&skip_instance_cache=true&use_ssl=false"
    )
    op = Operator.from_uri(uri)
    fs = op.stack[0].access.fs  # type: ignore[attr-defined]
    assert fs.storage_options["use_ssl"] is False  # "false" became a bool (the default's type)
    op.write("k", b"on s3")
    keys = [o["Key"] for o in moto_server.client().list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == ["prefix/k"]


def test_storage_options_pass_through() -> None:
    root = _memory_root()
    op = Operator("fsspec", protocol="memory", root=root, skip_instance_cache=True)
    fs = op.stack[0].access.fs  # type: ignore[attr-defined]
    assert isinstance(fs, MemoryFileSystem)
    op2 = Operator("fsspec", protocol="memory", root=root, storage_options={"global_store": False})
    assert op2.stack[0].access.fs.global_store is False  # type: ignore[attr-defined]
    assert not op2.native_capability().shared


def test_string_storage_option_of_wrong_shape_is_config_invalid() -> None:
    with pytest.raises(errors.ConfigInvalid, match="auto_mkdir"):
        Operator("fsspec", protocol="file", root="/tmp", auto_mkdir="maybe")


def test_filesystem_instance_passed_directly() -> None:
    fs = fsspec.filesystem("memory", global_store=False, skip_instance_cache=True)
    op = Operator.from_service(FsspecService(fs=fs, root="/inst"))
    op.write("x", b"in the instance")
    assert fs.cat_file("/inst/x") == b"in the instance"
    assert op.scheme == "fsspec"
    assert op.info().name == "memory"
    # The same instance as config: Operator("fsspec", fs=...) builds the service for you.
    same = Operator("fsspec", fs=fs, root="/inst")
    assert same.read("x") == b"in the instance"


def test_instance_and_options_together_are_refused() -> None:
    with pytest.raises(errors.ConfigInvalid, match="not both"):
        FsspecService(fs=fsspec.filesystem("memory"), anon=True)


# -- pickling -------------------------------------------------------------------------------


def test_pickled_operator_rebuilds_from_protocol_and_options() -> None:
    op = Operator("fsspec", protocol="memory", root=_memory_root())
    op.write("p", b"shared by the global store")
    clone = pickle.loads(pickle.dumps(op))
    assert clone is not op
    assert clone.read("p") == b"shared by the global store"
    clone.write("q", b"back")
    assert op.read("q") == b"back"


def test_pickled_service_operator_keeps_root(tmp_path: Path) -> None:
    op = Operator.from_service(FsspecService("file", str(tmp_path)))
    op.write("f", b"1")
    clone = pickle.loads(pickle.dumps(op))
    assert clone.info().root == op.info().root
    assert clone.read("f") == b"1"


# -- error mapping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("foreign", "kind"),
    [
        (FileNotFoundError("gone"), errors.NotFound),
        (FileExistsError("there"), errors.AlreadyExists),
        (IsADirectoryError("dir"), errors.IsADirectory),
        (NotADirectoryError("file"), errors.NotADirectory),
        (PermissionError("no"), errors.PermissionDenied),
        (NotImplementedError("nope"), errors.Unsupported),
        (OSError(errno.ENOTEMPTY, "Directory not empty"), errors.Conflict),
        (OSError(errno.EACCES, "denied"), errors.PermissionDenied),
        (OSError(22, "The requested range is not satisfiable"), errors.RangeNotSatisfied),
        (ValueError("odd"), errors.Unexpected),
    ],
)
def test_map_error(foreign: BaseException, kind: type[errors.Error]) -> None:
    mapped = map_error(foreign, "read", "p")
    assert type(mapped) is kind
    assert (mapped.operation, mapped.service, mapped.path) == ("read", "fsspec", "p")


@pytest.mark.parametrize("foreign", [TimeoutError("slow"), OSError(errno.EAGAIN, "again")])
def test_map_error_temporary(foreign: BaseException) -> None:
    assert map_error(foreign, "read", "p").is_temporary


def test_errors_keep_the_original_as_cause() -> None:
    op = Operator("fsspec", protocol="memory", root=_memory_root())
    with pytest.raises(errors.NotFound) as info:
        op.read("missing")
    assert isinstance(info.value.__cause__, FileNotFoundError)
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.service == "fsspec"


def test_dot_dot_never_leaves_the_root(tmp_path: Path) -> None:
    (tmp_path / "jail").mkdir()
    (tmp_path / "secret").write_bytes(b"s")
    op = Operator("fsspec", protocol="file", root=str(tmp_path / "jail"))
    with pytest.raises(errors.PermissionDenied):
        op.read("../secret")
    with pytest.raises(errors.PermissionDenied):
        op.write("../escaped", b"x")
    assert not (tmp_path / "escaped").exists()


# -- bad input and nothing written on failure -------------------------------------------------


def test_unknown_protocol_is_named() -> None:
    with pytest.raises(errors.ConfigInvalid, match="'nosuchproto'") as info:
        Operator("fsspec", protocol="nosuchproto")
    assert "known protocols" in str(info.value)


def test_missing_protocol_and_subscheme() -> None:
    with pytest.raises(errors.ConfigInvalid, match="protocol"):
        Operator("fsspec")
    with pytest.raises(errors.ConfigInvalid, match="fsspec\\+memory"):
        Operator.from_uri("fsspec://x")


def test_protocol_without_its_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(protocol: str) -> type:
        raise ImportError("Please install gcsfs to access Google Storage")

    monkeypatch.setattr(fsspec, "get_filesystem_class", missing)
    with pytest.raises(errors.Unsupported, match=r"'gcs'.*gcsfs"):
        Operator("fsspec", protocol="gcs", root="bucket")


def test_failed_conditional_write_writes_nothing() -> None:
    op = Operator("fsspec", protocol="memory", root=_memory_root())
    op.write("f", b"first")
    with pytest.raises(errors.ConditionNotMatch) as info:
        op.write("f", b"second", if_not_exists=True)
    assert isinstance(info.value.__cause__, FileExistsError)
    assert op.read("f") == b"first"


def test_failed_write_under_a_file_writes_nothing(tmp_path: Path) -> None:
    op = Operator("fsspec", protocol="file", root=str(tmp_path))
    op.write("f", b"file")
    with pytest.raises(errors.Error):
        op.write("f/child", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
    assert op.read("f") == b"file"


def test_aborted_writer_leaves_old_content(tmp_path: Path) -> None:
    op = Operator("fsspec", protocol="file", root=str(tmp_path))
    op.write("f", b"old")
    w = op.writer("f", buffer_size=4)
    w.write(b"new content, longer than the buffer")
    w.abort()
    assert (tmp_path / "f").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_large_writer_streams_past_the_spool() -> None:
    op = Operator("fsspec", protocol="memory", root=_memory_root())
    data = bytes(range(256)) * (40 * 1024)  # 10 MiB: past the 8 MiB in-memory spool
    with op.open("big", "wb") as f:
        f.write(data)
    assert op.read("big") == data


def test_presign_read_on_s3(moto_server: Any, s3_bucket: str) -> None:
    op = Operator(
        "fsspec",
        protocol="s3",
        root=s3_bucket,
        key=moto_server.access_key_id,
        secret=moto_server.secret_access_key,
        client_kwargs={"endpoint_url": moto_server.endpoint},
        skip_instance_cache=True,
    )
    op.write("f", b"signed")
    req = op.presign_read("f", 60)
    assert req.method == "GET"
    assert f"/{s3_bucket}/f" in req.url
    with pytest.raises(errors.Unsupported):
        op.presign_write("f", 60)


@pytest.mark.parametrize("protocol", ["memory", "file"])
def test_glob_characters_are_names_not_patterns(protocol: str, tmp_path: Path) -> None:
    root = _memory_root() if protocol == "memory" else str(tmp_path)
    op = Operator("fsspec", protocol=protocol, root=root)
    for path in ("a[1]/x", "a[1]/y/z", "a1/kept", "b*", "bb", "c?/d", "cc/kept"):
        op.write(path, b"1")
    op.remove_all("a[1]")  # fsspec's rm() would glob "a[1]" and take "a1/" too
    op.delete("b*")
    op.remove_all("c?/")
    assert [e.path for e in op.list("/", recursive=True) if e.is_file] == [
        "a1/kept",
        "bb",
        "cc/kept",
    ]


def test_remove_all_of_a_bucket_root_keeps_the_bucket(moto_server: Any, s3_bucket: str) -> None:
    op = Operator(
        "fsspec",
        protocol="s3",
        root=s3_bucket,
        key=moto_server.access_key_id,
        secret=moto_server.secret_access_key,
        client_kwargs={"endpoint_url": moto_server.endpoint},
        skip_instance_cache=True,
    )
    for path in ("a", "b/c", "d"):
        op.write(path, b"1")
    op.remove_all("/")
    assert [e.path for e in op.list("/")] == ["/"]
    client = moto_server.client()
    client.head_bucket(Bucket=s3_bucket)  # still there
    assert "Contents" not in client.list_objects_v2(Bucket=s3_bucket)
