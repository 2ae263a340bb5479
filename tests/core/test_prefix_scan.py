"""core.prefix_scan: the one sorted-key prefix scan memory and ImmutableIndexLayer list with."""

from __future__ import annotations

import pytest

from opendal_lab.core.prefix_scan import after_subtree, keys_from, list_keys, scan
from opendal_lab.core.types import DIR_METADATA, EntryMode, Metadata

KEYS = sorted(["a", "d/", "d/e/f", "d/e/g", "d/f", "d/g/", "d0", "dx/y", "z"])


def _scan(
    dir_key: str, recursive: bool = False, start_after: str | None = None
) -> list[tuple[str, bool]]:
    return list(scan(keys_from(KEYS), dir_key, dir_key, recursive, start_after, skip=dir_key))


def test_a_level_shows_sub_directories_once() -> None:
    assert _scan("d/") == [("d/e/", True), ("d/f", False), ("d/g/", True)]
    assert _scan("") == [("a", False), ("d/", True), ("d0", False), ("dx/", True), ("z", False)]


def test_recursive_shows_every_key_below() -> None:
    assert _scan("d/", recursive=True) == [
        ("d/e/f", False),
        ("d/e/g", False),
        ("d/f", False),
        ("d/g/", False),
    ]


@pytest.mark.parametrize(
    ("start_after", "expected"),
    [("d/e/", ["d/f", "d/g/"]), ("d/e/f", ["d/f", "d/g/"]), ("d/", ["d/e/", "d/f", "d/g/"])],
)
def test_start_after_drops_what_is_not_after(start_after: str, expected: list[str]) -> None:
    assert [k for k, _ in _scan("d/", start_after=start_after)] == expected


def test_a_file_prefix_lists_its_parent_and_keeps_what_starts_with_it() -> None:
    found = list(scan(keys_from(KEYS), "", "d", False, None))
    assert found == [("d/", True), ("d0", False), ("dx/", True)]


def test_keys_may_run_past_the_prefix_and_be_asked_again() -> None:
    asked: list[str] = []

    def keys(start: str) -> list[str]:
        asked.append(start)
        return [k for k in KEYS if k >= start]

    assert [k for k, _ in scan(keys, "", "", False, None)] == ["a", "d/", "d0", "dx/", "z"]
    assert asked == ["", after_subtree("d/"), after_subtree("dx/")]


def test_after_subtree() -> None:
    assert after_subtree("d/") == "d0"


def _list(path: str, base: str = "", **kw: object) -> list[tuple[str, EntryMode]]:
    stored = sorted(base + k for k in KEYS)
    meta = {k: Metadata(EntryMode.DIR if k.endswith("/") else EntryMode.FILE) for k in stored}
    found = list_keys(
        keys_from(stored),
        meta.get,
        path,
        bool(kw.get("recursive")),
        kw.get("start_after"),  # type: ignore[arg-type]
        base,
    )
    return [(e.path, e.metadata.mode) for e in found]


@pytest.mark.parametrize("base", ["", "r/"])
def test_list_keys(base: str) -> None:
    D, F = EntryMode.DIR, EntryMode.FILE
    assert _list("d/", base) == [("d/", D), ("d/e/", D), ("d/f", F), ("d/g/", D)]
    assert _list("d/e/", base) == [("d/e/", D), ("d/e/f", F), ("d/e/g", F)]  # implied, no key
    assert _list("d", base) == [("d/", D), ("d0", F), ("dx/", D)]
    assert _list("missing/", base) == []
    assert _list("/", base)[:2] == [("/", D), ("a", F)]
    assert _list("d/", base, start_after="d/e/g") == [("d/f", F), ("d/g/", D)]
    assert [p for p, _ in _list("d/", base, recursive=True)] == [
        "d/",
        "d/e/f",
        "d/e/g",
        "d/f",
        "d/g/",
    ]


def test_list_keys_skips_a_key_gone_since_it_was_read() -> None:
    stored = ["d/a", "d/b"]
    found = list_keys(keys_from(stored), {"d/b": DIR_METADATA}.get, "d/", False, None)
    assert [e.path for e in found] == ["d/", "d/b"]


@pytest.mark.parametrize("root", ["/", "/sub/"])
def test_memory_lists_across_pages(root: str) -> None:
    from opendal_lab import Operator
    from opendal_lab.services import memory

    name = f"prefix-scan-{root.strip('/')}"
    op = Operator("memory", name=name, root=root)
    paths = [f"many/{i:05d}" for i in range(memory._PAGE * 2 + 7)] + ["many/zz/x", "other"]
    for p in paths:
        op.write(p, b"")
    listed = [e.path for e in op.list("many/")]
    assert listed == ["many/", *paths[:-2], "many/zz/"]
    assert [e.path for e in op.list("many/", start_after="many/01500")][:2] == [
        "many/01501",
        "many/01502",
    ]
    assert [e.path for e in op.list("/", recursive=True)] == ["/", *paths]
    memory.clear_stores()
