"""Layers show through the fsspec face: a switched-off simulation fails the matching call."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendal_lab import Operator
from opendal_lab.fsspec import OpendalFileSystem
from opendal_lab.layers import SimulateLayer


def filesystem(scheme: str, tmp_path: Path, **switches: bool) -> OpendalFileSystem:
    config: dict[str, Any] = (
        {"root": str(tmp_path)} if scheme == "fs" else {"name": f"layers-{uuid.uuid4().hex}"}
    )
    op = Operator(scheme, **config).with_simulate(SimulateLayer(**switches))
    fs = OpendalFileSystem(operator=op)
    fs.pipe({"d/e/f.txt": b"hello", "d/g.txt": b"world"})
    return fs


# (service, switch turned off, the fsspec call, the capability field named, its argument)
CASES: list[tuple[str, str, Callable[[OpendalFileSystem], Any], str]] = [
    ("fs", "list_recursive", lambda fs: fs.find("d"), "list_with_recursive"),
    ("fs", "list_recursive", lambda fs: fs.du("d"), "list_with_recursive"),
    ("memory", "create_dir", lambda fs: fs.makedirs("new/dir"), "create_dir"),
    ("memory", "create_dir", lambda fs: fs.mkdir("new"), "create_dir"),
]


@pytest.mark.parametrize(
    ("scheme", "switch", "call", "field"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_switched_off_simulation_fails_clearly(
    tmp_path: Path, scheme: str, switch: str, call: Callable[[OpendalFileSystem], Any], field: str
) -> None:
    fs = filesystem(scheme, tmp_path)
    call(fs)  # with the switch on, the call works

    fs = filesystem(scheme, tmp_path / "off", **{switch: False})
    with pytest.raises(NotImplementedError) as info:
        call(fs)
    message = str(info.value)
    assert f"capability {field} is false" in message
    assert f"SimulateLayer's {switch!r} switch can simulate it" in message
    assert f"service {scheme!r}" in message


def test_switched_off_stat_dir_says_which_switch(tmp_path: Path) -> None:
    fs = filesystem("memory", tmp_path)
    assert fs.info("d/e")["type"] == "directory"
    assert fs.isdir("d")

    fs = filesystem("memory", tmp_path, stat_dir=False)
    assert not fs.isdir("d")  # fsspec's own answer: False, not an exception
    with pytest.raises(FileNotFoundError) as info:
        fs.info("d/e")
    assert "'stat_dir' switch (turned off)" in str(info.value)
    assert info.value.path == "d/e"  # type: ignore[attr-defined]  (the path asked for)


def test_switched_off_delete_recursive_leaves_everything(tmp_path: Path) -> None:
    """fsspec's rm(recursive) falls back to deleting what it finds; nothing is half-deleted."""
    fs = filesystem("memory", tmp_path, delete_recursive=False)
    fs.rm("d", recursive=True)  # memory lists natively recursive: fsspec deletes file by file
    assert not fs.exists("d/g.txt")
    assert not fs.exists("d/e/f.txt")


# -- a Chaos + Retry stack under pandas ----------------------------------------------------
pd = pytest.importorskip("pandas")

CHAOS_RETRY = [
    {"name": "chaos", "error_rate": 0.2, "seed": 7},
    {"name": "retry", "max_times": 10, "min_delay": 0.0001, "max_delay": 0.001},
]


def test_chaos_and_retry_under_pandas(base_url: str, storage_options: dict[str, Any]) -> None:
    """Written and read back through a stack that fails one call in five: the same frame."""
    frame = pd.DataFrame({"n": range(5000), "s": [f"row {i}" for i in range(5000)]})
    options = {**storage_options, "layers": CHAOS_RETRY, "info_expiry_time": 0}
    frame.to_parquet(f"{base_url}/t.parquet", storage_options=options, row_group_size=500)
    frame.to_csv(f"{base_url}/t.csv", index=False, storage_options=options)
    for _ in range(3):
        got = pd.read_parquet(f"{base_url}/t.parquet", storage_options=options)
        pd.testing.assert_frame_equal(got, frame)
        got = pd.read_parquet(f"{base_url}/t.parquet", columns=["s"], storage_options=options)
        pd.testing.assert_frame_equal(got, frame[["s"]])
        pd.testing.assert_frame_equal(
            pd.read_csv(f"{base_url}/t.csv", storage_options=options), frame
        )

    # The chaos was real: the same stack without Retry fails, naming the injection.
    fs = fsspec_filesystem(base_url, {**options, "layers": CHAOS_RETRY[:1]})
    chaos = fs.operator.stack[-1].layer
    with pytest.raises(OSError, match="injected by ChaosLayer"):  # noqa: PT012
        for _ in range(50):
            pd.read_parquet(f"{base_url}/t.parquet", filesystem=fs)
    assert sum(chaos.injected.values()) > 0  # type: ignore[union-attr]


def fsspec_filesystem(url: str, options: dict[str, Any]) -> OpendalFileSystem:
    import fsspec

    fs, _ = fsspec.core.url_to_fs(url, **options)
    assert isinstance(fs, OpendalFileSystem)
    return fs
