"""The fsspec face's bulk calls overlap their reads and writes, bounded by the operator's
ConcurrentLimitLayer: ``cat`` of many paths, ``get``/``put`` of many files, ``cat_ranges``,
an FSMap's ``getitems`` (zarr v2, kerchunk) and zarr v3 chunk reads.

Each test gates the first calls of one step until 3 are in flight (``gate_at``, with the
layer's 3 permits): a face that ran them one by one would never open the gate, one that
ran more would push ``peak`` past the permits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fsspec.callbacks import Callback

from opendal_lab import Operator
from opendal_lab.fsspec import OpendalFileSystem
from opendal_lab.layers.concurrent_limit import ConcurrentLimitLayer
from tests.core.test_bulk import gate_at
from tests.layers.slow import SlowLayer

PERMITS = 3
FILES = 12
PATHS = [f"d/{i:03}" for i in range(FILES)]
DATA = {p: b"data %d" % i for i, p in enumerate(PATHS)}


@pytest.fixture
def slow() -> Iterator[SlowLayer]:
    layer = SlowLayer()
    yield layer
    layer.release()


@pytest.fixture
def fs(slow: SlowLayer) -> OpendalFileSystem:
    op = Operator("memory", name=f"fs-bulk-{uuid.uuid4().hex}")
    op.write_many(DATA)
    return OpendalFileSystem(op.layer(slow).layer(ConcurrentLimitLayer(PERMITS)))


def test_cat_of_many_paths_overlaps_its_reads(fs: OpendalFileSystem, slow: SlowLayer) -> None:
    gate_at(slow, "read", PERMITS)
    assert fs.cat(PATHS) == DATA
    assert slow.peak == PERMITS


def test_cat_of_a_glob_overlaps_its_reads(fs: OpendalFileSystem, slow: SlowLayer) -> None:
    gate_at(slow, "read", PERMITS)
    assert fs.cat("d/00*") == {p: DATA[p] for p in PATHS[:10]}
    assert slow.peak == PERMITS


def test_cat_on_error(fs: OpendalFileSystem) -> None:
    with pytest.raises(FileNotFoundError, match="gone-1"):
        fs.cat(["d/000", "gone-1", "gone-2"])
    assert fs.cat(["d/000", "gone"], on_error="omit") == {"d/000": DATA["d/000"]}
    out = fs.cat(["d/000", "gone"], on_error="return")
    assert out["d/000"] == DATA["d/000"]
    assert isinstance(out["gone"], FileNotFoundError)
    assert fs.cat("d/001") == DATA["d/001"]  # one path: its bytes, not a dict


def test_get_of_many_files_overlaps_them(
    fs: OpendalFileSystem, slow: SlowLayer, tmp_path: Path
) -> None:
    gate_at(slow, "read", PERMITS)
    progress = Callback()
    fs.get("d", f"{tmp_path}/out", recursive=True, callback=progress)
    assert {f"d/{p.name}": p.read_bytes() for p in (tmp_path / "out").iterdir()} == DATA
    # One step per (source, target) pair fsspec planned: the files and "d" itself.
    assert (progress.size, progress.value) == (FILES + 1, FILES + 1)
    assert slow.peak == PERMITS


def test_put_of_many_files_overlaps_them(
    fs: OpendalFileSystem, slow: SlowLayer, tmp_path: Path
) -> None:
    local = []
    for i in range(FILES):
        path = tmp_path / f"{i:03}"
        path.write_bytes(b"up %d" % i)
        local.append(str(path))
    gate_at(slow, "write", PERMITS)
    fs.put(local, [f"up/{i:03}" for i in range(FILES)])
    assert dict(slow.calls) == {"write": FILES}  # one write a file: no mkdirs, no stat
    assert slow.peak == PERMITS
    assert fs.cat([f"up/{i:03}" for i in range(FILES)]) == {
        f"up/{i:03}": b"up %d" % i for i in range(FILES)
    }


def test_put_streams_a_file_larger_than_a_block(fs: OpendalFileSystem, tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"0123456789" * 5)
    fs.blocksize = 16
    progress = Callback()
    fs.put(str(tmp_path / "big"), "up/big", callback=progress)
    assert fs.cat_file("up/big") == b"0123456789" * 5
    assert progress.value == 1


def test_cat_ranges_overlaps_its_reads(fs: OpendalFileSystem, slow: SlowLayer) -> None:
    gate_at(slow, "read", PERMITS)
    assert fs.cat_ranges(PATHS, 0, 4) == [b"data"] * FILES
    assert slow.peak == PERMITS


def test_a_range_inside_the_object_is_one_read(fs: OpendalFileSystem, slow: SlowLayer) -> None:
    # zarr v3's partial reads and kerchunk's references name both ends: no stat for those.
    assert fs.cat_ranges(PATHS, 5, 6) == [b"%d" % i for i in range(10)] + [b"1"] * 2
    assert dict(slow.calls) == {"read": FILES}
    slow.calls.clear()
    # Past the end, from the end, or open-ended: the size (one stat) says where to cut.
    assert fs.cat_ranges(["d/000"] * 4, [4, -2, 3, 20], [99, None, None, 30]) == [
        b" 0",
        b" 0",
        b"a 0",
        b"",
    ]
    assert fs.cat_file("d/001", 0, 4) == b"data"
    assert fs.cat_file("d/001", 2, 100) == b"ta 1"
    assert fs.cat_file("d", 0, 4) == b""  # a directory, as before
    with pytest.raises(FileNotFoundError, match="gone"):
        fs.cat_file("gone", 0, 4)


def test_fsmap_getitems_overlaps_its_reads(fs: OpendalFileSystem, slow: SlowLayer) -> None:
    # zarr v2 and kerchunk read chunks through FSMap.getitems, which calls cat.
    gate_at(slow, "read", PERMITS)
    keys = [p.removeprefix("d/") for p in PATHS]
    assert fs.get_mapper("d").getitems(keys) == {k: DATA[f"d/{k}"] for k in keys}
    assert slow.peak == PERMITS


def test_zarr_v3_chunk_reads_overlap(fs: OpendalFileSystem, slow: SlowLayer) -> None:
    # zarr v3 wraps a sync filesystem in fsspec's AsyncFileSystemWrapper and gathers one
    # cat_file per chunk, each on a thread of the event loop; the permits bound them here too.
    zarr = pytest.importorskip("zarr")
    np = pytest.importorskip("numpy")
    store = zarr.storage.FsspecStore.from_mapper(fs.get_mapper("arr"))
    array = zarr.create_array(store, shape=(FILES,), chunks=(1,), dtype="i4")
    array[:] = np.arange(FILES)
    gate_at(slow, "read", PERMITS)
    assert array[:].tolist() == list(range(FILES))
    assert slow.peak == PERMITS
