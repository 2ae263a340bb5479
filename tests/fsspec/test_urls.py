"""URLs of the fsspec face (issue 13): an fs face without a root is rooted at ``/``, every URL
handed out opens the same object again, URL and storage_options never silently disagree, and a
missing object's error names its store and whole path."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import fsspec
import pytest

from opendal_lab import ConfigInvalid, Operator
from opendal_lab.fsspec import OpendalFileSystem
from opendal_lab.layers.recorder import RecorderLayer
from tests.servers import MotoServer


def _reopens(fs: OpendalFileSystem, key: str, data: bytes, **options: object) -> str:
    """The URL of ``key``, checked to open the same bytes both ways: fresh and on ``fs``."""
    url = fs.unstrip_protocol(key)
    with fsspec.open(url, "rb", **options) as f:
        assert f.read() == data
    assert fs.cat_file(url) == data
    assert fs._strip_protocol(url) == key
    return url


# -- 1. the fs face without a root is rooted at "/" ------------------------------------
def test_fs_face_without_root_maps_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    target = tmp_path / "x" / "y"
    fs = fsspec.filesystem("opendal+fs")
    assert fs.operator.info().root == "/"
    fs.pipe(str(target), b"abs")
    assert target.read_bytes() == b"abs"
    assert list(cwd.iterdir()) == []  # nothing below the current directory
    assert fs.cat(str(target)) == b"abs"
    assert fsspec.filesystem("opendal+fs", root="/") is fs  # one cached instance
    assert OpendalFileSystem(scheme="fs").operator.info().root == "/"


# -- 3. every URL handed out reopens the same object ------------------------------------
def test_memory_urls_reopen() -> None:
    name = f"urls-{uuid.uuid4().hex}"
    named = OpendalFileSystem(operator=Operator("memory", name=name))
    named.pipe_file("d/a", b"named")
    assert _reopens(named, "d/a", b"named") == f"opendal+memory://{name}/d/a"

    rooted = OpendalFileSystem(operator=Operator("memory", name=name, root="/pre/fix"))
    rooted.pipe_file("k", b"rooted")
    assert _reopens(rooted, "k", b"rooted") == f"opendal+memory://{name}/pre/fix/k"


def test_unnamed_memory_url_names_the_default_store() -> None:
    op = Operator("memory")
    assert op.info().name == "default"
    fs = OpendalFileSystem(operator=op)
    key = f"unnamed-{uuid.uuid4().hex}"
    fs.pipe_file(key, b"default")
    try:
        assert _reopens(fs, key, b"default") == f"opendal+memory://default/{key}"
        assert fs.cat_file(f"opendal+memory:///{key}") == b"default"  # empty netloc: default
    finally:
        fs.rm_file(key)


def test_fs_urls_are_absolute_os_paths(tmp_path: Path) -> None:
    at_slash = fsspec.filesystem("opendal+fs")
    file = tmp_path / "a" / "b.bin"
    at_slash.pipe_file(str(file), b"slash")
    key = str(file).lstrip("/")
    assert _reopens(at_slash, key, b"slash") == f"opendal+fs://{file}"

    rooted = OpendalFileSystem(operator=Operator("fs", root=str(tmp_path)))
    url = _reopens(rooted, "a/b.bin", b"slash")
    assert url == f"opendal+fs://{os.path.realpath(tmp_path)}/a/b.bin"
    in_root = f"{os.path.realpath(tmp_path)}/a/b.bin".lstrip("/")  # protocol paths are absolute
    assert fsspec.filesystem("opendal+fs", root=str(tmp_path)).unstrip_protocol(in_root) == url
    # Without the third slash the path is absolute all the same, as url_to_fs reads it.
    assert rooted.cat_file(f"opendal+fs:/{tmp_path}/a/b.bin") == b"slash"
    assert at_slash.cat_file(f"opendal+fs:/{file}") == b"slash"


def test_s3_urls_reopen_with_the_same_options(moto_server: MotoServer, s3_bucket: str) -> None:
    config = moto_server.config(s3_bucket)
    fs = OpendalFileSystem(operator=Operator("s3", **config, root="/under"))
    fs.pipe_file("k/v", b"on s3")
    config.pop("bucket")
    url = _reopens(fs, "k/v", b"on s3", **config)
    assert url == f"opendal+s3://{s3_bucket}/under/k/v"


def test_a_url_names_the_service_not_the_layers(tmp_path: Path) -> None:
    recorder = RecorderLayer()
    fs = OpendalFileSystem(operator=Operator("fs", root=str(tmp_path), layers=[recorder]))
    fs.pipe_file("k", b"layered")
    with fsspec.open(fs.unstrip_protocol("k"), "rb") as f:
        assert f.read() == b"layered"  # the same object, reached without the recorder


def test_where_no_url_can_name_the_store_it_opens_nothing_else() -> None:
    fs = OpendalFileSystem(operator=Operator("memory", name=""))
    fs.pipe_file("k", b"unnameable")
    url = fs.unstrip_protocol("k")
    assert url == "opendal://k"
    with pytest.raises(ValueError, match="operator= or scheme="):
        fsspec.open(url, "rb").open()


def test_a_url_of_another_store_is_refused_not_read_here() -> None:
    a = OpendalFileSystem(operator=Operator("memory", name=f"a-{uuid.uuid4().hex}"))
    other = f"b-{uuid.uuid4().hex}"
    with pytest.raises(ValueError, match="not in this filesystem"):
        a.cat_file(f"opendal+memory://{other}/k")


def test_a_url_outside_the_fs_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    fs = OpendalFileSystem(operator=Operator("fs", root=str(tmp_path / "in")))
    with pytest.raises(ValueError, match="not in this filesystem"):
        fs.exists(f"opendal+fs://{tmp_path}/elsewhere")


# -- 4. URL and storage_options ----------------------------------------------------------
def test_fs_url_and_a_different_root_option_are_refused(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"n": [1, 2]})
    path = tmp_path / "x.parquet"
    df.to_parquet(f"opendal+fs://{path}")
    with pytest.raises(ConfigInvalid) as info:
        pd.read_parquet(f"opendal+fs://{path}", storage_options={"root": str(tmp_path)})
    message = str(info.value)
    assert "'root'" in message
    assert f"opendal+fs://{path}" in message
    assert "says '/'" in message
    assert repr(str(tmp_path)) in message
    assert isinstance(info.value, ValueError)
    # The same value from both sides is accepted.
    got = pd.read_parquet(f"opendal+fs://{path}", storage_options={"root": "/"})
    pd.testing.assert_frame_equal(got, df)


def test_memory_url_and_a_different_name_option_are_refused() -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    name = f"collide-{uuid.uuid4().hex}"
    df = pd.DataFrame({"n": [1, 2]})
    url = f"opendal+memory://{name}/x.parquet"
    df.to_parquet(url)
    with pytest.raises(ConfigInvalid, match=rf"'name'.*says '{name}'.*say 'other'"):
        pd.read_parquet(url, storage_options={"name": "other"})
    with pytest.raises(ConfigInvalid, match="'name'"):
        fsspec.open(url, "rb", name="other").open()
    pd.testing.assert_frame_equal(pd.read_parquet(url, storage_options={"name": name}), df)


# -- 5. a missing object names its store and whole path ----------------------------------
def test_not_found_names_the_store_and_the_whole_path() -> None:
    pd = pytest.importorskip("pandas")
    store = f"nope-{uuid.uuid4().hex}"
    url = f"opendal+memory://{store}/dir/x.csv"
    named = re.escape(url)
    with pytest.raises(FileNotFoundError, match=named):
        pd.read_csv(url)
    with pytest.raises(FileNotFoundError, match=named):
        fsspec.open(url, "rb").open()
    fs = fsspec.filesystem("opendal+memory", name=store)
    for call in (fs.info, fs.cat_file, lambda p: fs.cat_file(p, 0, 1), fs.open):
        with pytest.raises(FileNotFoundError, match=named):
            call(f"{store}/dir/x.csv")  # the protocol's paths carry the store (issue 15)
    with pytest.raises(FileNotFoundError, match=named):
        fs.cp_file(f"{store}/dir/x.csv", f"{store}/y")


def test_not_found_on_fs_names_the_absolute_path(tmp_path: Path) -> None:
    fs = OpendalFileSystem(operator=Operator("fs", root=str(tmp_path)))
    url = f"opendal+fs://{os.path.realpath(tmp_path)}/m"
    with pytest.raises(FileNotFoundError, match=re.escape(url)):
        fs.cat_file("m")
