"""The memory service's ordering: keys written in any order list sorted, at a million keys,
whatever mix of writes, deletes and listings came before (new keys join the sorted index
only when something lists). And its store: one per name, per process."""

from __future__ import annotations

import pickle
import random
import uuid

import opendal_lab as od
from opendal_lab.core.options import DEFAULT_WRITE


def _operator() -> od.Operator:
    return od.Operator("memory", name=f"order-{uuid.uuid4().hex[:8]}")


def test_a_million_keys_written_in_random_order_list_sorted() -> None:
    op = _operator()
    keys = [f"k{i:07d}" for i in range(1_000_000)]
    random.Random(16).shuffle(keys)
    service = op.stack[0].access
    for key in keys:  # the service itself: a million operator calls would cost the suite ~5 s
        service.write(key, b"", DEFAULT_WRITE)
    op.write("k0999999", b"last")  # and one through the operator, overwriting

    listed = [entry.path for entry in op.list("/", recursive=True)]

    assert listed == ["/", *sorted(keys)]
    assert op.read("k0999999") == b"last"
    page = [e.path for e in op.list("/", recursive=True, start_after="k0500000")]
    assert page[:2] == ["k0500001", "k0500002"]
    assert len(page) == 499_999


def test_writes_deletes_and_listings_interleaved_stay_sorted() -> None:
    op = _operator()
    rng = random.Random(7)
    present: set[str] = set()
    for step in range(3_000):
        key = f"d{rng.randrange(5)}/f{rng.randrange(400):03d}"
        if rng.random() < 0.3:
            op.delete(key)
            present.discard(key)
        else:
            op.write(key, key.encode())
            present.add(key)
        if step % 97 == 0:  # a listing merges the keys written since the last one
            listed = [e.path for e in op.list("/", recursive=True) if not e.is_dir]
            assert listed == sorted(present)
    after = "d2/f200"
    listed = [e.path for e in op.list("/", recursive=True, start_after=after) if not e.is_dir]
    assert listed == sorted(k for k in present if k > after)
    dirs = [e.path for e in op.list("/")]
    assert dirs == ["/", *sorted({k.split("/")[0] + "/" for k in present})]
    assert all(op.read(k) == k.encode() for k in present)


def test_a_key_written_and_deleted_before_any_listing_is_not_listed() -> None:
    op = _operator()
    op.write("a", b"1")
    op.write("b", b"2")
    op.delete("a")  # still waiting to join the sorted keys
    assert [e.path for e in op.list("/")] == ["/", "b"]
    op.delete("b")  # now in the sorted keys
    op.write("c", b"3")
    op.rename("c", "a")
    assert [e.path for e in op.list("/")] == ["/", "a"]
    assert op.read("a") == b"3"


def test_a_pickled_operator_sees_the_named_store_in_this_process() -> None:
    op = _operator()
    op.write("k", b"seen by every copy")
    clone = pickle.loads(pickle.dumps(op))
    assert clone is not op
    assert clone.read("k") == b"seen by every copy"
    clone.write("from-clone", b"back")
    assert op.read("from-clone") == b"back"
    # Not shared: the store lives in this process, so a worker process would see its own.
    assert not op.native_capability().shared
    assert not op.capability().shared
