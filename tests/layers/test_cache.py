"""CacheLayer: bounded LRU of reads, dropped by writes through the same operator."""

from __future__ import annotations

import pickle
import threading
import uuid
from typing import Any

import pytest

from opendal_lab import ConfigInvalid, Operator
from opendal_lab.core.access import BaseLayer, LayeredAccess
from opendal_lab.core.options import ReadOptions
from opendal_lab.core.registry import build_layer
from opendal_lab.layers.cache import CacheLayer


class _CountReads(LayeredAccess):
    layer: CountReadsLayer

    def read(self, path: str, opts: ReadOptions) -> bytes:
        data = self.inner.read(path, opts)
        self.layer.reads.append((path, opts.offset, opts.size))
        self.layer.gate.wait()  # lets a test hold a read that has its bytes but not returned
        return data


class CountReadsLayer(BaseLayer):
    access_class = _CountReads

    def __init__(self) -> None:
        self.reads: list[tuple[str, int, int | None]] = []
        self.gate = threading.Event()
        self.gate.set()


def stack(**cache: Any) -> tuple[Operator, Operator, CountReadsLayer, CacheLayer]:
    raw = Operator("memory", name=f"cache-{uuid.uuid4().hex}")
    counter, layer = CountReadsLayer(), CacheLayer(**cache)
    return raw, raw.layer(counter).layer(layer), counter, layer


def test_repeated_and_ranged_reads_hit() -> None:
    raw, op, counter, cache = stack()
    raw.write("a", b"0123456789")
    assert op.read("a") == b"0123456789"
    assert op.read("a") == b"0123456789"
    assert op.read("a", offset=2, size=3) == b"234"  # sliced from the cached whole
    assert op.read("a", offset=8) == b"89"
    assert counter.reads == [("a", 0, None)]
    assert (cache.stats.hits, cache.stats.misses) == (3, 1)
    with op.open("a", "rb") as f:
        f.seek(5)
        assert f.read(2) == b"56"
    assert len(counter.reads) == 1


def test_writes_through_the_operator_invalidate() -> None:
    raw, op, _, _ = stack()
    op.write("a", b"old")
    assert op.read("a") == b"old"
    op.write("a", b"new")
    assert op.read("a") == b"new"
    with op.open("a", "wb") as f:
        f.write(b"streamed")
    assert op.read("a") == b"streamed"
    op.copy("a", "b")
    assert op.read("b") == b"streamed"
    op.write("a", b"again")
    op.copy("a", "b")
    assert op.read("b") == b"again"
    op.rename("b", "c")
    assert op.read("c") == b"again"
    op.delete("c")
    assert not op.exists("c")
    op.write("d/x", b"1")
    assert op.read("d/x") == b"1"
    op.delete("d/", recursive=True)
    raw.write("d/x", b"2")  # written behind the cache's back, after it was dropped
    assert op.read("d/x") == b"2"


def test_changes_behind_its_back_are_not_seen() -> None:
    raw, op, _, _ = stack()
    raw.write("a", b"v1")
    assert op.read("a") == b"v1"
    raw.write("a", b"v2")
    assert op.read("a") == b"v1"  # documented: only writes through this operator invalidate


def test_bounded_lru() -> None:
    raw, op, counter, cache = stack(max_bytes=100, max_item_bytes=60)
    for name in "abc":
        raw.write(name, name.encode() * 40)
    raw.write("big", b"x" * 61)
    op.read("a")
    op.read("b")
    op.read("a")  # a is now the most recent
    op.read("c")  # 120 bytes > 100: b goes
    assert cache.stats.evictions == 1
    assert cache.stats.bytes == 80
    counter.reads.clear()
    op.read("a")
    op.read("b")
    assert [p for p, _, _ in counter.reads] == ["b"]
    op.read("big")
    op.read("big")
    assert [p for p, _, _ in counter.reads] == ["b", "big", "big"]  # never kept


def test_conditional_and_suffix_reads_go_below() -> None:
    raw, op, counter, _ = stack()
    meta = raw.write("a", b"abc")
    op.read("a")
    op.read("a", if_match=meta.etag)
    op.read("a", suffix=1)
    assert len(counter.reads) == 3


def test_a_read_racing_a_write_does_not_store_stale_data() -> None:
    raw, op, counter, _ = stack()
    raw.write("a", b"old")
    counter.gate.clear()
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(op.read("a")))
    reader.start()
    while not counter.reads:
        pass
    op.write("a", b"new")  # invalidates while the read of b"old" is in flight
    counter.gate.set()
    reader.join()
    assert got == [b"old"]
    assert op.read("a") == b"new"


def test_arguments_pickling_and_registry() -> None:
    with pytest.raises(TypeError, match="max_bytes must be int"):
        CacheLayer(max_bytes="1MB")  # type: ignore[arg-type]
    with pytest.raises(ConfigInvalid, match="max_item_bytes must be > 0"):
        CacheLayer(max_item_bytes=0)
    layer = CacheLayer(max_bytes=1000)
    clone = pickle.loads(pickle.dumps(layer))
    assert (clone.max_bytes, clone.max_item_bytes, clone.stats.entries) == (1000, 250, 0)
    assert isinstance(build_layer("cache", max_bytes=10), CacheLayer)
