"""The http service against a real HTTP file server on loopback (``http_server``).

Read-only: stat by HEAD, ranged and suffix reads by GET, conditional reads, error
mapping, a server that ignores ``Range``, and listing through ImmutableIndexLayer.
Config and credentials: ``test_http_config.py``.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import pytest

from opendal_lab import (
    ConditionNotMatch,
    EntryMode,
    Error,
    ErrorStatus,
    IsADirectory,
    NotFound,
    Operator,
    PermissionDenied,
    RangeNotSatisfied,
    RateLimited,
    Unexpected,
    Unsupported,
)
from opendal_lab.core.layers.immutable_index import ImmutableIndexLayer
from opendal_lab.core.options import ReadOptions
from opendal_lab.services.http import HttpService, _http_date
from tests.behavior._support import SPECIAL_NAMES
from tests.servers import HttpServer, free_port

DATA = bytes(range(256)) * 4  # 1024 bytes, every range different


@pytest.fixture
def site(http_server: HttpServer) -> str:
    """A fresh directory on the server, holding ``f.bin`` (DATA), ``empty`` and ``d/x.txt``."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    http_server.put(f"{name}/f.bin", DATA)
    http_server.put(f"{name}/empty", b"")
    http_server.put(f"{name}/d/x.txt", b"hello")
    return name


@pytest.fixture
def op(http_server: HttpServer, site: str) -> Operator:
    return Operator("http", endpoint=http_server.url, root=site)


def requests_for(server: HttpServer, site: str) -> list[tuple[str, str | None]]:
    """``(method, Range header)`` of every request the server got for ``site``."""
    return [(m, h.get("Range")) for m, p, h in server.requests if f"/{site}/" in p]


# -- stat ----------------------------------------------------------------------------------


def test_stat_file(op: Operator, http_server: HttpServer, site: str) -> None:
    meta = op.stat("d/x.txt")
    assert meta.mode is EntryMode.FILE
    assert meta.content_length == 5
    assert meta.content_type == "text/plain"
    assert meta.etag is not None
    assert meta.etag.startswith('"')
    mtime = os.stat(http_server.root / site / "d/x.txt").st_mtime
    assert meta.last_modified is not None
    assert meta.last_modified.tzinfo is not None
    assert abs(meta.last_modified.timestamp() - mtime) < 1.0
    assert op.stat("empty").content_length == 0


def test_stat_missing_is_not_found(op: Operator, http_server: HttpServer) -> None:
    with pytest.raises(NotFound) as info:
        op.stat("missing.txt")
    err = info.value
    assert isinstance(err, FileNotFoundError)
    assert (err.operation, err.service, err.path) == ("stat", "http", "missing.txt")
    assert http_server.url in str(err)
    assert err.context["http_status"] == 404


def test_stat_dir_only_if_the_server_answers_for_it(op: Operator) -> None:
    assert op.stat("d/").mode is EntryMode.DIR
    for root in ("", "/"):
        assert op.stat(root).mode is EntryMode.DIR
    with pytest.raises(NotFound):
        op.stat("missing/")
    with pytest.raises(NotFound):
        op.stat("f.bin/")  # a file is not a directory


def test_file_path_redirected_to_a_dir_is_a_dir(op: Operator) -> None:
    assert op.stat("d").mode is EntryMode.DIR
    with pytest.raises(IsADirectory):
        op.read("d")
    assert op.exists("d/")
    assert not op.exists("nothing/")


def test_unnormalized_paths(op: Operator) -> None:
    assert op.stat("//d//x.txt").content_length == 5
    assert op.read(" /d/x.txt ") == b"hello"


def test_dot_dot_segments_are_refused(op: Operator) -> None:
    with pytest.raises(PermissionDenied, match=r"'\.\.'"):
        op.read("../escape")


# -- read ----------------------------------------------------------------------------------


def test_read_whole(op: Operator) -> None:
    assert op.read("f.bin") == DATA
    assert op.read("empty") == b""


@pytest.mark.parametrize(("offset", "size"), [(0, 1), (0, 1024), (10, 100), (1023, 1), (500, 0)])
def test_read_range(op: Operator, offset: int, size: int) -> None:
    assert op.read("f.bin", offset=offset, size=size) == DATA[offset : offset + size]


@pytest.mark.parametrize("offset", [1, 512, 1023])
def test_read_from_offset_to_end(op: Operator, offset: int) -> None:
    assert op.read("f.bin", offset=offset) == DATA[offset:]


def test_ranged_reads_send_one_range_request(
    op: Operator, http_server: HttpServer, site: str
) -> None:
    op.read("f.bin", offset=10, size=100)
    op.read("f.bin", offset=1000)
    assert requests_for(http_server, site) == [("GET", "bytes=10-109"), ("GET", "bytes=1000-")]


@pytest.mark.parametrize("suffix", [1, 10, 1024, 5000])
def test_read_suffix_is_native(
    op: Operator, http_server: HttpServer, site: str, suffix: int
) -> None:
    assert op.read("f.bin", suffix=suffix) == DATA[-suffix:]
    # One GET with a suffix range, no HEAD first: the service does it natively.
    assert requests_for(http_server, site) == [("GET", f"bytes=-{suffix}")]
    assert op.capability_report()["read_with_suffix"].state == "native"


def test_read_suffix_of_empty_file(op: Operator) -> None:
    assert op.read("empty", suffix=3) == b""


@pytest.mark.parametrize(("offset", "size"), [(1024, None), (2000, None), (1024, 1), (5000, 10)])
def test_read_past_the_end(op: Operator, offset: int, size: int | None) -> None:
    with pytest.raises(RangeNotSatisfied) as info:
        op.read("f.bin", offset=offset, size=size)
    assert info.value.operation == "read"


def test_read_range_running_past_the_end(op: Operator) -> None:
    with pytest.raises(RangeNotSatisfied):
        op.read("f.bin", offset=1000, size=100)


def test_read_empty_range(op: Operator) -> None:
    assert op.read("f.bin", offset=0, size=0) == b""
    assert op.read("empty", size=0) == b""
    with pytest.raises(RangeNotSatisfied):
        op.read("f.bin", offset=1024, size=0)
    with pytest.raises(NotFound):
        op.read("missing", size=0)


def test_read_missing_is_not_found(op: Operator, http_server: HttpServer) -> None:
    for options in ({}, {"offset": 3, "size": 4}, {"suffix": 2}):
        with pytest.raises(NotFound) as info:
            op.read("missing.bin", **options)
        assert (info.value.operation, info.value.service) == ("read", "http")
        assert http_server.url in str(info.value)


def test_read_dir_path_is_a_directory(op: Operator) -> None:
    with pytest.raises(IsADirectory):
        op.read("d/")


def test_open_reads_with_seek(op: Operator) -> None:
    with op.open("f.bin", "rb", buffer_size=64) as f:
        f.seek(700)
        assert f.read(10) == DATA[700:710]
        f.seek(-4, os.SEEK_END)
        assert f.read() == DATA[-4:]


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_special_names(http_server: HttpServer, site: str, name: str) -> None:
    http_server.put(f"{site}/{name}", b"special")
    op = Operator("http", endpoint=http_server.url, root=site)
    assert op.read(name) == b"special"
    assert op.stat(name).content_length == 7
    assert op.read(name, offset=2, size=3) == b"eci"


def test_concurrent_ranged_reads(op: Operator) -> None:
    ranges = [(i * 7 % 1000, 1 + i % 24) for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda r: op.read("f.bin", offset=r[0], size=r[1]), ranges))
    assert got == [DATA[o : o + s] for o, s in ranges]


# -- conditions ----------------------------------------------------------------------------


def test_conditional_read_and_stat(op: Operator) -> None:
    etag = op.stat("f.bin").etag
    assert etag is not None
    assert op.read("f.bin", if_match=etag) == DATA
    assert op.read("f.bin", if_match="*", offset=1, size=2) == DATA[1:3]
    assert op.read("f.bin", if_none_match='"other"') == DATA
    assert op.stat("f.bin", if_match=etag).etag == etag
    assert op.stat("f.bin", if_none_match='"other"').etag == etag
    failing: list[tuple[str, dict[str, Any]]] = [
        ("read", {"if_match": '"other"'}),
        ("read", {"if_none_match": etag}),
        ("read", {"if_none_match": "*", "suffix": 3}),
        ("read", {"if_match": '"other"', "size": 0}),
        ("stat", {"if_match": '"other"'}),
        ("stat", {"if_none_match": etag}),
    ]
    for kind, options in failing:
        with pytest.raises(ConditionNotMatch) as info:
            getattr(op, kind)("f.bin", **options)
        assert (info.value.operation, info.value.service) == (kind, "http")


def test_unsupported_read_options_are_refused(op: Operator) -> None:
    with pytest.raises(Unsupported, match="if_modified_since"):
        op.read("f.bin", if_modified_since=datetime.now(timezone.utc))
    with pytest.raises(Unsupported, match="version"):
        op.stat("f.bin", version="v1")


# -- a server that ignores Range -------------------------------------------------------------


@pytest.fixture
def norange(http_server: HttpServer, site: str) -> Operator:
    return Operator.from_uri(f"{http_server.url}/norange/{site}")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"offset": 10, "size": 100}, DATA[10:110]),
        ({"offset": 1000}, DATA[1000:]),
        ({"offset": 0, "size": 1}, DATA[:1]),
        ({"suffix": 24}, DATA[-24:]),
        ({"suffix": 5000}, DATA),
        ({}, DATA),
    ],
)
def test_server_ignoring_range_still_gives_the_right_bytes(
    norange: Operator, options: dict[str, Any], expected: bytes
) -> None:
    assert norange.read("f.bin", **options) == expected


def test_server_ignoring_range_past_the_end(norange: Operator) -> None:
    for offset, size in ((1024, None), (2000, 5), (1020, 10)):
        with pytest.raises(RangeNotSatisfied):
            norange.read("f.bin", offset=offset, size=size)
    assert norange.read("empty", suffix=4) == b""


def test_server_ignoring_range_past_the_end_in_the_service_itself(
    http_server: HttpServer, site: str
) -> None:
    # Without CompleteLayer above it, the service still refuses an offset past the end.
    service = HttpService(endpoint=http_server.url, root=f"norange/{site}")
    for offset, size in ((1024, None), (2000, 5), (1024, 1)):
        with pytest.raises(RangeNotSatisfied, match="past the end"):
            service.read("f.bin", ReadOptions(offset=offset, size=size))
    assert service.read("f.bin", ReadOptions(offset=1020, size=10)) == DATA[1020:]


def test_server_ignoring_range_keeps_the_pool_usable(norange: Operator) -> None:
    # Each partial read drops its connection rather than reusing one with body left on it.
    for i in range(20):
        assert norange.read("f.bin", offset=i, size=3) == DATA[i : i + 3]


# -- what it cannot do -----------------------------------------------------------------------


def test_native_capability_is_read_only(op: Operator) -> None:
    native = op.native_capability()
    assert set(native.enabled()) == {
        "stat",
        "stat_with_if_match",
        "stat_with_if_none_match",
        "read",
        "read_with_suffix",
        "read_with_if_match",
        "read_with_if_none_match",
        "shared",
    }
    # Nothing to simulate: no list, no write.
    assert op.capability() == native


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("write", lambda op: op.write("new.txt", b"x")),
        ("write", lambda op: op.open("new.txt", "wb")),
        ("list", lambda op: list(op.list("/"))),
        ("delete", lambda op: op.delete("f.bin")),
        ("delete", lambda op: op.remove_all("d/")),
        ("create_dir", lambda op: op.create_dir("new/")),
        ("copy", lambda op: op.copy("f.bin", "g.bin")),
        ("rename", lambda op: op.rename("f.bin", "g.bin")),
        ("presign_read", lambda op: op.presign_read("f.bin", 60)),
    ],
)
def test_unsupported_operations_name_the_service(operation: str, call: Any, op: Operator) -> None:
    with pytest.raises(Unsupported) as info:
        call(op)
    assert info.value.service == "http"
    assert info.value.operation == operation
    assert "'http'" in str(info.value)


# -- listing through ImmutableIndexLayer ------------------------------------------------------


def test_list_through_the_immutable_index(op: Operator) -> None:
    listed = op.layer(ImmutableIndexLayer(["f.bin", "empty", "d/x.txt"]))
    entries = list(listed.list("/"))
    assert [(e.path, e.metadata.mode) for e in entries] == [
        ("/", EntryMode.DIR),
        ("d/", EntryMode.DIR),
        ("empty", EntryMode.FILE),
        ("f.bin", EntryMode.FILE),
    ]
    assert [e.path for e in listed.list("/", recursive=True, start_after="d/x.txt")] == [
        "empty",
        "f.bin",
    ]
    # Every listed file can be read.
    for entry in listed.list("/", recursive=True):
        if entry.is_file:
            assert listed.read(entry.path) == op.read(entry.path)
    assert listed.capability().list
    report = listed.capability_report()
    for field in ("list", "list_with_recursive", "list_with_start_after", "list_with_limit"):
        assert report[field].state == "overridden"
        assert report[field].layer == "ImmutableIndexLayer"
    # Still read-only.
    with pytest.raises(Unsupported):
        listed.write("x", b"")


# -- errors ----------------------------------------------------------------------------------


def test_wrong_endpoint_is_one_clear_temporary_error() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    op = Operator("http", endpoint=endpoint, root="data")
    for operation, call in (("stat", op.stat), ("read", op.read)):
        with pytest.raises(Unexpected) as info:
            call("f.bin")
        err = info.value
        assert (err.operation, err.service, err.path) == (operation, "http", "f.bin")
        assert err.status is ErrorStatus.TEMPORARY
        assert f"cannot connect to {endpoint}" in str(err)
        assert "refused" in str(err).lower()
    with pytest.raises(Unexpected, match="cannot connect"):
        op.check()


@pytest.mark.parametrize(
    ("status", "kind", "temporary"),
    [
        (401, PermissionDenied, False),
        (403, PermissionDenied, False),
        (404, NotFound, False),
        (410, NotFound, False),
        (412, ConditionNotMatch, False),
        (416, RangeNotSatisfied, False),
        (418, Unexpected, False),
        (429, RateLimited, True),
        (500, Unexpected, True),
        (503, Unexpected, True),
        (301, Unexpected, False),  # a redirect without a Location
    ],
)
def test_status_mapping(
    http_server: HttpServer, status: int, kind: type[Error], temporary: bool
) -> None:
    op = Operator("http", endpoint=http_server.url, root=f"status/{status}")
    for call in (op.stat, op.read, lambda p: op.read(p, offset=1, size=2)):
        with pytest.raises(kind) as info:
            call("f.bin")
        assert type(info.value) is kind
        assert info.value.is_temporary is temporary
        assert info.value.context["http_status"] == status
        assert str(status) in str(info.value)


def test_root_stat_fails_only_when_the_server_is_unwell(http_server: HttpServer) -> None:
    assert Operator("http", endpoint=http_server.url, root="status/404").stat("/").is_dir
    Operator("http", endpoint=http_server.url, root="status/404").check()
    with pytest.raises(Unexpected):
        Operator("http", endpoint=http_server.url, root="status/503").check()


def test_http_dates() -> None:
    utc = timezone.utc
    assert _http_date("Sun, 06 Nov 1994 08:49:37 GMT") == datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=utc
    )
    assert _http_date("Sun, 06 Nov 1994 08:49:37 -0000") == datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=utc
    )
    assert _http_date("not a date") is None
    assert _http_date(None) is None


def test_check_reaches_the_server_even_behind_an_index() -> None:
    # ImmutableIndexLayer answers list from memory; check() must still ask the server.
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    op = Operator("http", endpoint=endpoint).layer(ImmutableIndexLayer(["a.txt"]))
    with pytest.raises(Unexpected) as info:
        op.check()
    assert info.value.operation == "stat"
    assert info.value.is_temporary


def test_check_passes_on_a_live_server(http_server: HttpServer) -> None:
    Operator("http", endpoint=http_server.url).layer(ImmutableIndexLayer(["a.txt"])).check()
