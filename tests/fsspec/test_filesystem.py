"""OpendalFileSystem beyond fsspec's shared suite: ranges, directories, errors, URLs, pickling."""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest

import opendal_lab.fsspec as ofs
from opendal_lab import Operator
from opendal_lab.fsspec import OpendalFileSystem
from tests.servers import MotoServer


@pytest.fixture(params=["memory", "fs"])
def fs(request: pytest.FixtureRequest, tmp_path: Path) -> OpendalFileSystem:
    if request.param == "memory":
        return OpendalFileSystem(scheme="memory", name=f"fs-{uuid.uuid4().hex}")
    return OpendalFileSystem(operator=Operator("fs", root=str(tmp_path)))


def test_cat_file_ranges(fs: OpendalFileSystem) -> None:
    fs.pipe_file("r/data", b"0123456789")
    assert fs.cat_file("r/data") == b"0123456789"
    assert fs.cat_file("r/data", 2, 5) == b"234"
    assert fs.cat_file("r/data", -3) == b"789"
    assert fs.cat_file("r/data", 0, -8) == b"01"
    assert fs.cat_file("r/data", 8, 100) == b"89"  # clamped to the size, as fsspec does
    assert fs.cat_file("r/data", 20, 30) == b""
    assert fs.cat_file("r/data", 5, 2) == b""


def test_cat_ranges_runs_concurrently(fs: OpendalFileSystem) -> None:
    for i in range(4):
        fs.pipe_file(f"c/{i}", bytes(range(i, i + 10)))
    got = fs.cat_ranges(
        [f"c/{i}" for i in range(4)] + ["c/missing"], [0, 1, -2, 5, 0], [3, 4, None, 99, 1]
    )
    assert got[:4] == [bytes([0, 1, 2]), bytes([2, 3, 4]), bytes([10, 11]), bytes(range(8, 13))]
    assert isinstance(got[4], FileNotFoundError)
    with pytest.raises(FileNotFoundError):
        fs.cat_ranges(["c/missing"], [0], [1], on_error="raise")

    threads: set[int] = set()
    barrier = threading.Barrier(3, timeout=5)
    original = fs._read_span

    def slow(path: str, start: Any, end: Any, size_of: Any) -> bytes:
        threads.add(threading.get_ident())
        barrier.wait()  # passes only if three reads run at once
        return original(path, start, end, size_of)

    fs._read_span = slow  # type: ignore[method-assign]
    assert fs.cat_ranges(["c/0", "c/1", "c/2"], 0, 1) == [b"\x00", b"\x01", b"\x02"]
    assert len(threads) == 3


def test_pipe_file_create(fs: OpendalFileSystem) -> None:
    fs.pipe_file("p/once", b"a", mode="create")
    with pytest.raises(FileExistsError):
        fs.pipe_file("p/once", b"b", mode="create")
    assert fs.cat_file("p/once") == b"a"
    fs.pipe_file("p/once", b"c")
    assert fs.cat_file("p/once") == b"c"
    with pytest.raises(FileExistsError), fs.open("p/once", "xb") as f:
        f.write(b"d")


def test_info_and_ls(fs: OpendalFileSystem) -> None:
    fs.pipe({"d/f": b"abc", "d/sub/g": b"x", "top": b"12"})
    assert fs.info("d/f") == {**fs.info("d/f"), "name": "d/f", "size": 3, "type": "file"}
    assert fs.info("d") == {"name": "d", "size": 0, "type": "directory"}
    assert fs.info("/d/sub/") == {"name": "d/sub", "size": 0, "type": "directory"}
    assert fs.info("") == {"name": "", "size": 0, "type": "directory"}
    assert fs.ls("d", detail=False) == ["d/f", "d/sub"]
    assert sorted(fs.ls("", detail=False)) == ["d", "top"]
    listed = {i["name"]: i for i in fs.ls("d")}
    assert listed["d/f"]["size"] == 3
    assert listed["d/sub"]["type"] == "directory"
    assert fs.ls("d/f", detail=False) == ["d/f"]
    assert fs.isdir("d")
    assert fs.isfile("top")
    assert not fs.exists("nope")
    with pytest.raises(FileNotFoundError):
        fs.info("nope")
    with pytest.raises(FileNotFoundError):
        fs.ls("nope")


def test_find_glob_walk(fs: OpendalFileSystem) -> None:
    fs.pipe({"w/a": b"1", "w/x/b": b"2", "w/x/y/c": b"3", "w/x.txt": b"4"})
    assert fs.find("w") == ["w/a", "w/x.txt", "w/x/b", "w/x/y/c"]
    assert fs.find("w", withdirs=True) == [
        "w", "w/a", "w/x", "w/x.txt", "w/x/b", "w/x/y", "w/x/y/c"
    ]  # fmt: skip
    assert fs.find("w/a") == ["w/a"]
    assert fs.find("w", maxdepth=1) == ["w/a", "w/x.txt"]
    assert fs.find("w", detail=True)["w/x/y/c"]["size"] == 1
    assert fs.glob("w/**/*.txt") == ["w/x.txt"]
    assert fs.glob("w/x/*") == ["w/x/b", "w/x/y"]
    walked = {root: (sorted(dirs), sorted(files)) for root, dirs, files in fs.walk("w")}
    assert walked == {"w": (["x"], ["a", "x.txt"]), "w/x": (["y"], ["b"]), "w/x/y": ([], ["c"])}
    assert fs.du("w") == 4


def test_rm_recursive_and_dirs(fs: OpendalFileSystem) -> None:
    fs.pipe({"t/a": b"1", "t/s/b": b"2", "t2": b"keep"})
    fs.rm("t", recursive=True)
    assert not fs.exists("t")
    assert fs.cat_file("t2") == b"keep"
    with pytest.raises(FileNotFoundError):
        fs.rm("t", recursive=True)
    fs.rm("t2", recursive=True)  # a file, removed alone
    assert not fs.exists("t2")
    fs.pipe({"g/1.csv": b"", "g/2.csv": b"", "g/3.txt": b""})
    fs.rm("g/*.csv")
    assert fs.ls("g", detail=False) == ["g/3.txt"]
    fs.mkdir("e")
    assert fs.isdir("e")
    assert fs.ls("e") == []
    with pytest.raises(FileExistsError):
        fs.mkdir("e")
    with pytest.raises(FileExistsError):
        fs.makedirs("e")
    fs.makedirs("e", exist_ok=True)
    fs.makedirs("e/f/g")
    with pytest.raises(OSError, match="not empty"):
        fs.rmdir("e")
    fs.rmdir("e/f/g")
    assert not fs.exists("e/f/g")


def test_mv_and_copy(fs: OpendalFileSystem) -> None:
    fs.pipe_file("m/a", b"x")
    fs.mv("m/a", "m/b")
    assert not fs.exists("m/a")
    assert fs.cat_file("m/b") == b"x"
    fs.cp_file("m/b", "n/c")
    assert fs.cat_file("n/c") == b"x"
    fs.mv("n", "o", recursive=True)
    assert fs.find("o") == ["o/c"]
    assert not fs.exists("n/c")


def test_errors_are_builtins(fs: OpendalFileSystem) -> None:
    with pytest.raises(FileNotFoundError):
        fs.cat_file("missing")
    with pytest.raises(FileNotFoundError):
        fs.open("missing", "rb")
    fs.pipe_file("file", b"1")
    with pytest.raises(FileExistsError):
        fs.makedirs("file", exist_ok=True)


def test_open_read_write_and_abort(fs: OpendalFileSystem) -> None:
    with fs.open("o/big", "wb", block_size=5 * 2**20) as f:
        for _ in range(3):
            f.write(b"z" * 2 * 2**20)
    assert fs.size("o/big") == 6 * 2**20
    with fs.open("o/big", "rb") as f:
        f.seek(-3, 2)
        assert f.read() == b"zzz"

    def fail_mid_write() -> None:
        with fs.open("o/failed", "wb") as f:
            f.write(b"partial")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_mid_write()
    assert not fs.exists("o/failed")
    with fs.open("o/t.txt", "w") as tf:
        tf.write("héllo\n")
    assert fs.read_text("o/t.txt") == "héllo\n"


def test_modified_created_checksum(fs: OpendalFileSystem) -> None:
    fs.pipe_file("k", b"1")
    assert fs.modified("k") is not None
    with pytest.raises(NotImplementedError):
        fs.created("k")
    before = fs.checksum("k")
    time.sleep(0.01)
    fs.pipe_file("k", b"22")
    assert fs.checksum("k") != before


def test_pickle_sees_same_memory_store() -> None:
    name = f"pickle-{uuid.uuid4().hex}"
    fs = OpendalFileSystem(scheme="memory", name=name)
    fs.pipe_file("a", b"1")
    clone = pickle.loads(pickle.dumps(fs))
    assert clone.cat_file("a") == b"1"
    clone.pipe_file("b", b"2")
    assert fs.cat_file("b") == b"2"
    from_op = OpendalFileSystem(operator=Operator("memory", name=name))
    assert pickle.loads(pickle.dumps(from_op)).cat_file("b") == b"2"


def test_operators_with_same_repr_do_not_share_an_instance() -> None:
    a = OpendalFileSystem(operator=Operator("memory", name=f"a-{uuid.uuid4().hex}"))
    b = OpendalFileSystem(operator=Operator("memory", name=f"b-{uuid.uuid4().hex}"))
    a.pipe_file("x", b"a")
    assert not b.exists("x")


def test_protocols_are_registered_with_fsspec() -> None:
    assert ofs.OpendalFileSystem is OpendalFileSystem
    assert fsspec.get_filesystem_class("opendal") is OpendalFileSystem
    for protocol, cls in [
        ("opendal+memory", ofs.OpendalMemoryFileSystem),
        ("opendal+fs", ofs.OpendalFsFileSystem),
        ("opendal+s3", ofs.OpendalS3FileSystem),
    ]:
        assert fsspec.get_filesystem_class(protocol) is cls
        assert issubclass(cls, OpendalFileSystem)
        assert cls.protocol == protocol


def test_entry_points_name_the_protocol_classes() -> None:
    from importlib.metadata import entry_points

    specs = {ep.name: ep.value for ep in entry_points(group="fsspec.specs")}
    assert specs["opendal"] == "opendal_lab.fsspec:OpendalFileSystem"
    assert specs["opendal+memory"] == "opendal_lab.fsspec:OpendalMemoryFileSystem"
    assert specs["opendal+fs"] == "opendal_lab.fsspec:OpendalFsFileSystem"
    assert specs["opendal+s3"] == "opendal_lab.fsspec:OpendalS3FileSystem"


def test_protocol_names_the_scheme_memory() -> None:
    name = f"proto-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("opendal+memory", name=name)
    assert fs.operator.scheme == "memory"
    # The protocol's paths carry the store, as s3fs's bucket/key do (issue 15).
    fs.pipe_file(f"{name}/dir/a", b"1")
    assert OpendalFileSystem(scheme="memory", name=name).cat_file("dir/a") == b"1"
    assert fs.unstrip_protocol(f"{name}/dir/a") == f"opendal+memory://{name}/dir/a"
    assert fs._strip_protocol(f"opendal+memory://{name}/dir/a") == f"{name}/dir/a"
    assert fs._strip_protocol(f"{name}/dir/a/") == f"{name}/dir/a"
    # One cached instance whether the scheme comes from the protocol or from a URL.
    assert fsspec.filesystem("opendal+memory", name=name) is fs
    url_fs, path = fsspec.core.url_to_fs(f"opendal+memory://{name}/dir/a")
    assert url_fs is fs
    assert path == f"{name}/dir/a"
    clone = pickle.loads(pickle.dumps(fs))
    assert type(clone) is ofs.OpendalMemoryFileSystem
    assert clone.cat_file(f"{name}/dir/a") == b"1"
    with fsspec.open(fs.unstrip_protocol(f"{name}/dir/a"), "rb") as f:
        assert f.read() == b"1"


def test_protocol_names_the_scheme_fs(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"local")
    fs = fsspec.filesystem("opendal+fs", root=str(tmp_path))
    assert fs.operator.scheme == "fs"
    key = str(tmp_path / "a.txt").lstrip("/")  # the protocol's paths are absolute (issue 15)
    assert fs.cat_file(key) == b"local"
    assert pickle.loads(pickle.dumps(fs)).cat_file(key) == b"local"
    at_slash = fsspec.filesystem("opendal+fs", root="/")
    assert at_slash.unstrip_protocol(key) == f"opendal+fs:///{key}"
    assert fsspec.core.url_to_fs(f"opendal+fs://{tmp_path}/a.txt")[0] is at_slash


def test_protocol_names_the_scheme_s3(moto_server: MotoServer, s3_bucket: str) -> None:
    config = moto_server.config(s3_bucket)
    # Given in another order than the URL's bucket-first: still one cached instance.
    fs = fsspec.filesystem("opendal+s3", **dict(reversed(config.items())))
    assert fs.operator.scheme == "s3"
    fs.pipe_file(f"{s3_bucket}/k/v", b"on s3")  # the protocol's paths carry the bucket
    assert fs.unstrip_protocol(f"{s3_bucket}/k/v") == f"opendal+s3://{s3_bucket}/k/v"
    assert pickle.loads(pickle.dumps(fs)).cat_file(f"{s3_bucket}/k/v") == b"on s3"
    config.pop("bucket")
    url_fs, path = fsspec.core.url_to_fs(f"opendal+s3://{s3_bucket}/k/v", **config)
    assert url_fs is fs
    assert url_fs.cat_file(path) == b"on s3"


def test_plain_opendal_still_needs_a_scheme() -> None:
    with pytest.raises(ValueError, match="operator= or scheme="):
        fsspec.filesystem("opendal", name="x")


def test_protocol_class_refuses_another_scheme() -> None:
    with pytest.raises(ValueError, match="serves scheme 'memory', not 'fs'"):
        ofs.OpendalMemoryFileSystem(scheme="fs", root="/")
    with pytest.raises(ValueError, match="serves scheme 'memory', not 'fs'"):
        ofs.OpendalMemoryFileSystem(operator=Operator("fs", root="/"))
    op = Operator("memory", name=f"op-{uuid.uuid4().hex}")
    assert ofs.OpendalMemoryFileSystem(operator=op).operator is op


def test_read_parquet_through_the_memory_protocol() -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    name = f"pq-{uuid.uuid4().hex}"
    df = pd.DataFrame({"n": [1, 2, 3], "s": ["a", "b", "c"]})
    df.to_parquet(f"opendal+memory://{name}/x.parquet")
    got = pd.read_parquet(f"opendal+memory://{name}/x.parquet")
    pd.testing.assert_frame_equal(got, df, check_dtype=False)
    fs = fsspec.filesystem("opendal+memory", name=name)
    with fs.open(f"{name}/x.parquet", "rb") as f:
        pd.testing.assert_frame_equal(pd.read_parquet(f), df, check_dtype=False)


def test_url_forms(tmp_path: Path) -> None:
    name = f"url-{uuid.uuid4().hex}"
    with fsspec.open(f"opendal+memory://{name}/dir/a.txt", "w") as f:
        f.write("memory")
    with fsspec.open("opendal://dir/a.txt", "r", scheme="memory", name=name) as f:
        assert f.read() == "memory"
    fs = fsspec.filesystem("opendal", scheme="memory", name=name)
    assert fs.cat_file("dir/a.txt") == b"memory"
    assert fs.unstrip_protocol("dir/a.txt") == f"opendal+memory://{name}/dir/a.txt"
    fs2, path = fsspec.core.url_to_fs(f"opendal+memory://{name}/dir/a.txt")
    assert path == f"{name}/dir/a.txt"  # the protocol's paths carry the store (issue 15)
    assert fs2.cat_file(path) == b"memory"

    local = tmp_path / "sub" / "b.bin"
    with fsspec.open(f"opendal+fs://{local}", "wb") as f:
        f.write(b"on disk")
    assert local.read_bytes() == b"on disk"
    files = fsspec.open_files(f"opendal+fs://{tmp_path}/sub/*.bin")
    assert [Path("/" + of.path) for of in files] == [local]


def test_s3_url(moto_server: MotoServer, s3_bucket: str) -> None:
    config = moto_server.config(s3_bucket)
    config.pop("bucket")
    with fsspec.open(f"opendal+s3://{s3_bucket}/k/v.txt", "wb", **config) as f:
        f.write(b"on s3")
    fs, path = fsspec.core.url_to_fs(f"opendal+s3://{s3_bucket}/k/v.txt", **config)
    assert path == f"{s3_bucket}/k/v.txt"  # the protocol's paths carry the bucket (issue 15)
    assert fs.cat_file(path) == b"on s3"
    assert fs.ls(f"{s3_bucket}/k", detail=False) == [f"{s3_bucket}/k/v.txt"]
    assert fs.isdir(f"{s3_bucket}/k")
    fs.rm(f"{s3_bucket}/k", recursive=True)
    assert not fs.exists(f"{s3_bucket}/k")


def test_append_where_the_service_can(tmp_path: Path) -> None:
    fs = OpendalFileSystem(operator=Operator("fs", root=str(tmp_path)))
    assert fs.operator.capability().write_can_append
    with fs.open("log", "ab") as f:
        f.write(b"one\n")
    with fs.open("log", "ab") as f:
        f.write(b"two\n")
    assert fs.cat_file("log") == b"one\ntwo\n"
