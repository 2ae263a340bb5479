"""The opendal bridge: capability mapping, URIs, error mapping, normalizations, bad input."""

from __future__ import annotations

import pickle
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import opendal
import pytest

from opendal_lab import Capability, Operator
from opendal_lab.core import errors
from opendal_lab.services.opendal import OpendalService, map_capability, map_error

# -- capability ------------------------------------------------------------------------------


def test_native_capability_is_the_bindings_field_by_field() -> None:
    binding = opendal.Operator("memory")
    op = Operator("opendal", scheme="memory")
    native = op.native_capability()
    for name in Capability.field_names():
        theirs = getattr(binding.capability(), name, None)
        if theirs is not None and name != "write_with_cache_control":
            assert getattr(native, name) == theirs, name


def test_memory_capability() -> None:
    cap = Operator("opendal", scheme="memory").native_capability()
    assert cap.create_dir
    assert cap.list_with_recursive
    assert cap.write_with_if_not_exists
    assert not cap.copy
    assert not cap.rename
    assert not cap.shared  # one store per binding operator
    # The binding takes cache_control on write but its Metadata cannot show it back.
    assert opendal.Operator("memory").capability().write_with_cache_control
    assert not cap.write_with_cache_control


def test_fs_capability(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    cap = op.native_capability()
    assert cap.copy
    assert cap.rename
    assert cap.write_can_append
    assert cap.shared
    assert not cap.list_with_recursive  # the binding reports none: SimulateLayer walks
    assert op.capability().list_with_recursive
    assert op.capability_report()["list_with_recursive"].state == "simulated"


def test_map_capability_ignores_fields_the_binding_lacks() -> None:
    fake = SimpleNamespace(read=True, stat=True, write_multi_max_size=5, no_such_field=True)
    cap = map_capability(fake)
    assert cap.read
    assert cap.stat
    assert cap.write_multi_max_size == 5
    assert not cap.read_with_suffix  # the binding has no such field: off


# -- URIs and config -------------------------------------------------------------------------


def test_from_uri_memory() -> None:
    op = Operator.from_uri("opendal-rs+memory://")
    op.write("a", b"1")
    assert op.read("a") == b"1"
    assert op.scheme == "opendal"
    assert op.info().name == "memory"


def test_from_uri_fs(tmp_path: Path) -> None:
    op = Operator.from_uri(f"opendal-rs+fs://{tmp_path}")
    op.write("d/f", b"on disk")
    assert (tmp_path / "d" / "f").read_bytes() == b"on disk"
    assert op.info().root == str(tmp_path)


def test_options_become_strings(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=tmp_path)  # a PathLike
    op.write("f", b"x")
    assert (tmp_path / "f").exists()


def test_pickled_fs_operator_rebuilds(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    op.write("f", b"kept")
    clone = pickle.loads(pickle.dumps(op))
    assert clone.read("f") == b"kept"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "NotFound",
        "PermissionDenied",
        "IsADirectory",
        "NotADirectory",
        "AlreadyExists",
        "IsSameFile",
        "ConditionNotMatch",
        "RateLimited",
        "RangeNotSatisfied",
        "Conflict",
        "Unsupported",
        "ConfigInvalid",
        "Unexpected",
    ],
)
def test_each_binding_exception_maps_to_our_kind(name: str) -> None:
    foreign = getattr(opendal.exceptions, name)(f"{name} (permanent) at stat => boom\n\nContext:")
    mapped = map_error(foreign, "stat", "p")
    assert type(mapped) is errors.error_class(name)
    assert mapped.message == "boom"
    assert (mapped.operation, mapped.service, mapped.path) == ("stat", "opendal", "p")


def test_status_is_kept() -> None:
    foreign = opendal.exceptions.Unexpected("Unexpected (temporary) at read => flaky")
    assert map_error(foreign, "read", "p").is_temporary


def test_short_read_is_range_not_satisfied() -> None:
    foreign = opendal.exceptions.Unexpected(
        "Unexpected (permanent) at read => reader got too little data\n\nContext:\n   expect: 9"
    )
    assert type(map_error(foreign, "read", "p")) is errors.RangeNotSatisfied


def test_foreign_non_binding_error_is_unexpected() -> None:
    assert type(map_error(RuntimeError("x"), "read", "p")) is errors.Unexpected


def test_errors_keep_the_binding_exception_as_cause() -> None:
    op = Operator("opendal", scheme="memory")
    with pytest.raises(errors.NotFound) as info:
        op.stat("missing")
    assert isinstance(info.value.__cause__, opendal.exceptions.NotFound)
    assert isinstance(info.value, FileNotFoundError)  # what the binding's is not
    assert info.value.operation == "stat"


def test_non_empty_dir_delete_is_conflict(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    op.write("d/f", b"x")
    with pytest.raises(errors.Conflict):
        op.delete("d/")
    assert op.read("d/f") == b"x"


# -- normalizations -------------------------------------------------------------------------


def test_fs_listing_is_sorted_with_the_dir_first(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    for name in ("d/c", "d/a", "d/b/x", "d/a0"):
        op.write(name, b"1")
    assert [e.path for e in op.list("d/")] == ["d/", "d/a", "d/a0", "d/b/", "d/c"]
    assert next(iter(op.list("d/"))).metadata.content_length is None


def test_memory_listing_yields_the_dir_itself() -> None:
    op = Operator("opendal", scheme="memory")
    op.write("d/f", b"1")
    assert [e.path for e in op.list("d/")] == ["d/", "d/f"]
    assert [e.path for e in op.list("/")] == ["/", "d/"]
    assert [e.path for e in op.list("missing/")] == []


def test_recursive_delete_keeps_prefix_siblings() -> None:
    op = Operator("opendal", scheme="memory")
    for name in ("x/a", "xy", "x.txt"):
        op.write(name, b"1")
    op.delete("x", recursive=True)
    assert sorted(e.path for e in op.list("/", recursive=True)) == ["/", "x.txt", "xy"]


def test_remove_all_of_root_keeps_the_root(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    op.write("a/b", b"1")
    op.remove_all("/")
    assert tmp_path.is_dir()
    assert list(tmp_path.iterdir()) == []


def test_read_from_the_end_is_range_not_satisfied() -> None:
    op = Operator("opendal", scheme="memory")
    op.write("f", b"12345")
    with pytest.raises(errors.RangeNotSatisfied):
        op.read("f", offset=5)
    assert op.read("f", offset=4) == b"5"


def test_memory_stat_has_the_time_of_our_write() -> None:
    op = Operator("opendal", scheme="memory")
    before = datetime.now().astimezone()
    op.write("f", b"1")
    modified = op.stat("f").last_modified
    assert modified is not None
    assert modified >= before
    op.delete("f")
    op.write("f", b"2")
    assert op.stat("f").last_modified >= modified  # type: ignore[operator]


# -- bad input and nothing written on failure ------------------------------------------------


def test_unknown_scheme_is_named_with_the_alternatives() -> None:
    with pytest.raises(errors.Unsupported, match="'nosuch'") as info:
        Operator("opendal", scheme="nosuch")
    assert "available" in str(info.value)
    assert "memory" in str(info.value)


def test_missing_scheme() -> None:
    with pytest.raises(errors.ConfigInvalid, match="scheme"):
        Operator("opendal")
    with pytest.raises(errors.ConfigInvalid, match="opendal-rs\\+memory"):
        Operator.from_uri("opendal://x")


def test_bad_option_value() -> None:
    with pytest.raises(errors.ConfigInvalid, match="root"):
        Operator("opendal", scheme="fs", root=["not", "a", "path"])
    with pytest.raises(errors.ConfigInvalid, match="refused"):
        Operator("opendal", scheme="fs")  # the binding wants a root


def test_failed_conditional_write_writes_nothing(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    op.write("f", b"first")
    with pytest.raises(errors.ConditionNotMatch) as info:
        op.write("f", b"second", if_not_exists=True)
    assert isinstance(info.value.__cause__, opendal.exceptions.ConditionNotMatch)
    assert op.read("f") == b"first"


def test_aborted_writer_leaves_nothing_on_fs(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    op.write("old", b"old")
    for path in ("old", "new"):
        w = op.writer(path, buffer_size=4)
        w.write(b"0123456789" * 100)
        w.abort()
    assert (tmp_path / "old").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_large_writer_streams_through_the_binding(tmp_path: Path) -> None:
    op = Operator("opendal", scheme="fs", root=str(tmp_path))
    data = bytes(range(256)) * (40 * 1024)  # 10 MiB: past the in-memory spool
    with op.open("big", "wb") as f:
        f.write(data)
    assert (tmp_path / "big").read_bytes() == data


def test_service_passed_directly() -> None:
    service = OpendalService("memory")
    op = Operator.from_service(service)
    op.write("f", b"1")
    assert service.binding.read("f") == b"1"


def test_presign_through_the_async_operator(moto_server: Any, s3_bucket: str) -> None:
    op = Operator(
        "opendal",
        scheme="s3",
        bucket=s3_bucket,
        region=moto_server.region,
        endpoint=moto_server.endpoint,
        access_key_id=moto_server.access_key_id,
        secret_access_key=moto_server.secret_access_key,
    )
    op.write("f", b"signed")
    req = op.presign_read("f", 60)
    assert req.method == "GET"
    assert f"/{s3_bucket}/f?" in req.url
    assert op.presign_write("f", 60).method == "PUT"
