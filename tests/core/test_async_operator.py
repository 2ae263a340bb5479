"""AsyncOperator: the Operator's calls as coroutines, through the very same stack."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from opendal_lab import NotFound, Operator
from opendal_lab.core.async_operator import AsyncOperator
from opendal_lab.core.pool import DEFAULT_CONCURRENCY
from opendal_lab.layers.concurrent_limit import ConcurrentLimitLayer
from tests.core.test_bulk import gate_at
from tests.layers.slow import SlowLayer

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: an xdist worker that ran the browser tests
    keeps Playwright's event loop running in its main thread, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main).result()


@pytest.fixture
def slow() -> Iterator[SlowLayer]:
    layer = SlowLayer()
    yield layer
    layer.release()


def test_gathered_reads_overlap_up_to_the_permits(slow: SlowLayer) -> None:
    op = Operator("memory", name=f"aop-{uuid.uuid4().hex}")
    op.write_many({f"k{i}": b"%d" % i for i in range(12)})
    aop = AsyncOperator.from_operator(op.layer(slow).layer(ConcurrentLimitLayer(3)))
    gate_at(slow, "read", 3)

    async def main() -> list[bytes]:
        return await asyncio.gather(*(aop.read(f"k{i}") for i in range(12)))

    assert run(main()) == [b"%d" % i for i in range(12)]
    assert slow.peak == 3  # the layer's permits, reached and never passed


def test_concurrency_bounds_one_async_operator(slow: SlowLayer) -> None:
    op = Operator("memory", name=f"aop-{uuid.uuid4().hex}")
    op.write_many({f"k{i}": b"x" for i in range(8)})
    aop = AsyncOperator.from_operator(op.layer(slow), concurrency=2)
    gate_at(slow, "read", 2)

    async def main() -> list[bytes]:
        return await asyncio.gather(*(aop.read(f"k{i}") for i in range(8)))

    assert run(main()) == [b"x"] * 8
    assert slow.peak == 2


def test_the_calls_and_their_errors_are_the_operators() -> None:
    aop = AsyncOperator("memory", name=f"aop-{uuid.uuid4().hex}")
    assert aop.scheme == "memory"
    assert aop.capability() == aop.to_operator().capability()
    assert repr(aop).endswith(f"concurrency {DEFAULT_CONCURRENCY}>")

    async def main() -> None:
        meta = await aop.write("d/a", b"hello", content_type="text/plain")
        assert meta.content_length == 5
        assert await aop.read("d/a", offset=1, size=3) == b"ell"
        assert (await aop.stat("d/a")).content_length == 5
        assert await aop.exists("d/a")
        await aop.copy("d/a", "d/b")
        await aop.rename("d/b", "d/c")
        await aop.write_many({f"d/m{i}": b"m" for i in range(3)})
        assert await aop.read_many(["d/m0", "d/m2"]) == [b"m", b"m"]
        assert [m.content_length for m in await aop.stat_many(["d/a", "d/c"])] == [5, 5]
        names = [e.path async for e in await aop.list("d/")]
        assert names == ["d/", "d/a", "d/c", "d/m0", "d/m1", "d/m2"]
        assert [e.path async for e in await aop.scan("d/") if e.is_file][:1] == ["d/a"]
        with pytest.raises(NotFound) as caught:
            await aop.read("d/gone")
        assert caught.value.path == "d/gone"
        await aop.delete("d/a")
        assert not await aop.exists("d/a")
        await aop.remove_all("d/")
        assert [e async for e in await aop.list("d/")] == []
        await aop.check()

    run(main())


def test_a_long_listing_comes_in_batches_and_can_be_closed_early() -> None:
    op = Operator("memory", name=f"aop-{uuid.uuid4().hex}")
    op.write_many({f"l/{i:04}": b"" for i in range(600)})
    aop = AsyncOperator.from_operator(op)

    async def main() -> tuple[int, str]:
        count = sum([1 async for e in await aop.list("l/") if e.is_file])
        entries = await aop.list("l/")
        first = await entries.__anext__()
        await entries.aclose()  # type: ignore[attr-defined]
        assert [e async for e in entries] == []
        return count, first.path

    assert run(main()) == (600, "l/")


def test_one_async_operator_serves_two_event_loops() -> None:
    aop = AsyncOperator("memory", name=f"aop-{uuid.uuid4().hex}")
    run(aop.write("k", b"v"))
    assert run(aop.read("k")) == b"v"  # a fresh loop, a semaphore of its own
    layered = aop.layer(ConcurrentLimitLayer(4))
    assert repr(layered).endswith("concurrency 4>")
