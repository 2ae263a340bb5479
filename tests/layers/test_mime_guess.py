"""MimeGuessLayer: content types from extensions, where nobody gave one and the stack keeps it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from opendal_lab import ConfigInvalid, Operator
from opendal_lab.core.registry import build_layer
from opendal_lab.layers.mime_guess import MimeGuessLayer, guess_type


def memory() -> Operator:
    return Operator("memory", name=f"mime-{uuid.uuid4().hex}")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b.csv", "text/csv"),
        ("T.PARQUET", "application/vnd.apache.parquet"),
        ("x.json", "application/json"),
        ("notes.md", "text/markdown"),
        ("archive.tar.gz", "application/x-tar"),
        ("noext", None),
        (".hidden", None),
        ("dir.d/file", None),
        ("weird.zzzz", None),
    ],
)
def test_guess_type(path: str, expected: str | None) -> None:
    assert guess_type(path) == expected


def test_write_stores_the_guess_where_the_service_keeps_types() -> None:
    raw = memory()
    op = raw.layer(MimeGuessLayer())
    op.write("t.csv", b"a,b\n")
    assert raw.stat("t.csv").content_type == "text/csv"  # stored, not only reported
    with op.open("w.json", "wb") as f:
        f.write(b"{}")
    assert raw.stat("w.json").content_type == "application/json"


def test_given_type_wins() -> None:
    raw = memory()
    op = raw.layer(MimeGuessLayer())
    op.write("t.csv", b"x", content_type="application/octet-stream")
    assert op.stat("t.csv").content_type == "application/octet-stream"


def test_stat_and_list_fill_untyped_metadata(tmp_path: Path) -> None:
    op = Operator("fs", root=str(tmp_path)).layer(MimeGuessLayer())
    assert not op.capability().write_with_content_type
    op.write("d/t.parquet", b"PAR1")  # fs keeps no type: the write is not refused
    assert op.stat("d/t.parquet").content_type == "application/vnd.apache.parquet"
    entries = {e.path: e.metadata.content_type for e in op.list("d/")}
    assert entries == {"d/": None, "d/t.parquet": "application/vnd.apache.parquet"}
    assert Operator("fs", root=str(tmp_path)).stat("d/t.parquet").content_type is None


def test_custom_types_and_bad_arguments() -> None:
    op = memory().layer(MimeGuessLayer({".LAB": "application/x-lab"}))
    op.write("a.lab", b"x")
    assert op.stat("a.lab").content_type == "application/x-lab"
    with pytest.raises(ConfigInvalid, match=r"must start with '\.'"):
        MimeGuessLayer({"csv": "text/csv"})
    with pytest.raises(TypeError, match="must be a mapping"):
        MimeGuessLayer(["csv"])  # type: ignore[arg-type]
    assert isinstance(build_layer("mime_guess"), MimeGuessLayer)
