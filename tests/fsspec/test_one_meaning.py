"""One URL, one service (issue 15): ``opendal+<scheme>://`` is the native service in
``Operator.from_uri`` and in fsspec alike; ``opendal-rs+<scheme>://`` is the Rust binding bridge.
A missing object read through pyarrow names its store."""

from __future__ import annotations

import importlib.util
import re
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest

from opendal_lab import Operator
from opendal_lab.core.registry import parse_uri, schemes
from opendal_lab.fsspec import OpendalFileSystem

# Each registered URL form: (URL, the module its optional dependency needs, or None).
FORMS: list[tuple[str, str | None]] = [
    ("memory://one-{u}/d", None),
    ("opendal+memory://one-{u}/d", None),
    ("fs://{tmp}/d", None),
    ("file://{tmp}/d", None),
    ("opendal+fs://{tmp}/d", None),
    ("s3://bucket-{u}/d", "boto3"),
    ("opendal+s3://bucket-{u}/d", "boto3"),
    ("http://127.0.0.1:9/d", "urllib3"),
    ("https://127.0.0.1:9/d", "urllib3"),
    ("opendal+http://127.0.0.1:9/d", "urllib3"),
    ("fsspec+memory://one-{u}/d", None),
    ("opendal+fsspec+memory://one-{u}/d", None),
    ("opendal-rs+memory://", "opendal"),
    ("opendal-rs+fs://{tmp}/d", "opendal"),
    ("obstore+memory:///d", "obstore"),
    ("opendal+obstore+memory:///d", "obstore"),
    ("obstore+file://{tmp}/d", "obstore"),
]
S3_CONFIG = {"endpoint": "http://127.0.0.1:9", "region": "us-east-1"}


def test_every_builtin_scheme_has_a_form() -> None:
    named = {parse_uri(url.format(u="x", tmp="/tmp"))[0] for url, dep in FORMS if _has(dep)}
    builtin = {"memory", "fs", "s3", "http", "fsspec", "opendal", "obstore"}
    assert named >= set(schemes()) & builtin


def _has(module: str | None) -> bool:
    return module is None or importlib.util.find_spec(module) is not None


@pytest.mark.parametrize(("form", "dependency"), FORMS, ids=[f[0].split(":")[0] for f in FORMS])
def test_operator_and_fsspec_reach_the_same_service(
    form: str, dependency: str | None, tmp_path: Path
) -> None:
    if not _has(dependency):
        pytest.skip(f"{form}: optional dependency {dependency} is not installed")
    url = form.format(u=uuid.uuid4().hex, tmp=tmp_path)
    extra: dict[str, Any] = S3_CONFIG if parse_uri(url)[0] == "s3" else {}
    service = type(Operator.from_uri(url, **extra).stack[0].access)
    scheme, config = parse_uri(url)
    if {"scheme", "protocol"} & set(config):
        # A bridge's own "scheme"/"protocol" key cannot sit beside fsspec's: give an operator.
        fs = fsspec.filesystem("opendal", operator=Operator(scheme, **config, **extra))
    else:
        fs = fsspec.filesystem("opendal", scheme=scheme, **config, **extra)
    assert type(fs.operator.stack[0].access) is service
    protocol = url.partition("://")[0]
    if protocol in fsspec.available_protocols() and protocol.startswith("opendal"):
        opened = fsspec.open(url, **extra).fs
        assert isinstance(opened, OpendalFileSystem)
        assert type(opened.operator.stack[0].access) is service
        assert opened.operator.scheme == scheme


def test_opendal_plus_is_native_and_opendal_rs_plus_the_binding() -> None:
    pytest.importorskip("opendal")
    name = f"two-{uuid.uuid4().hex}"
    native = Operator.from_uri(f"opendal+memory://{name}")
    assert native.scheme == "memory"
    native.write("k", b"native")
    with fsspec.open(f"opendal+memory://{name}/k", "rb") as f:
        assert f.read() == b"native"  # what fsspec opens is the same store
    binding = Operator.from_uri("opendal-rs+memory://")
    assert binding.scheme == "opendal"
    assert not binding.exists("k")


def test_missing_parquet_names_its_store() -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    store = f"nope-{uuid.uuid4().hex}"
    with pytest.raises(FileNotFoundError, match=re.escape(f"{store}/x.parquet")):
        pd.read_parquet(f"opendal+memory://{store}/x.parquet")


def test_missing_parquet_message_of_the_issue() -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    with pytest.raises(FileNotFoundError, match=re.escape("nope/x.parquet")):
        pd.read_parquet("opendal+memory://nope/x.parquet")
