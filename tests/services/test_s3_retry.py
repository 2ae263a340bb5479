"""s3 retries transient failures by default: a real moto server behind a fault-injecting proxy.

``tests/fault_proxy.py`` sits between the operator and moto on loopback and answers a
deterministic share of the requests with 500 InternalError, 503 SlowDown, a dropped
connection or a body cut off halfway; it counts every request and every fault. What holds:

- a default operator gets through a mixed workload from 8 threads with no failure reaching
  the caller, the data read back right, and a failed multipart part is sent again alone;
- permanent errors (404, 403, 412) are sent once, never retried;
- with ``max_attempts=1`` a fault reaches the caller as a temporary error; when retries run
  out the error is persistent and says how many attempts were made, and a RetryLayer on
  top retries the temporary one but not the persistent one;
- the retry policy shows in the stack (the service's repr) and in the botocore client.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest

import opendal_lab as od
from opendal_lab import ErrorStatus, RetryLayer
from tests.fault_proxy import FaultProxy
from tests.servers import MotoServer
from tests.workloads import run_mixed

MIB = 1024 * 1024


@pytest.fixture
def proxy(moto_server: MotoServer) -> Iterator[FaultProxy]:
    with FaultProxy(moto_server.endpoint) as proxy:
        yield proxy
    assert proxy.open_connections == 0


def proxied(
    moto_server: MotoServer, bucket: str, proxy: FaultProxy, **extra: object
) -> od.Operator:
    return od.Operator("s3", **moto_server.config(bucket, endpoint=proxy.url, **extra))


def _keys(moto_server: MotoServer, bucket: str) -> list[str]:
    pages = moto_server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


# -- transient faults never reach the caller ------------------------------------------------


def test_mixed_operations_through_faults_all_succeed(
    moto_server: MotoServer, s3_bucket: str, proxy: FaultProxy
) -> None:
    # Every 5th request fails, each kind in turn; a call fails at most twice in a row.
    proxy.configure(every=5, faults=("500", "503", "drop", "truncate"), per_call=2)
    op = proxied(moto_server, s3_bucket, proxy)

    expected = run_mixed(op, list_limit=2)  # raises the first failure
    assert sorted(_keys(moto_server, s3_bucket)) == sorted(expected)
    assert {e.path for e in op.list("/", recursive=True) if e.is_file} == set(expected)
    for path, data in expected.items():
        assert op.read(path) == data
    assert proxy.requests > 150
    assert sum(proxy.faults.values()) >= proxy.requests // 6
    assert {"500", "503", "drop"} <= set(proxy.faults)


def test_a_failed_multipart_part_is_sent_again_alone(
    moto_server: MotoServer, s3_bucket: str, proxy: FaultProxy
) -> None:
    op = proxied(moto_server, s3_bucket, proxy, part_size=5 * MIB)
    data = random.Random(7).randbytes(6 * MIB)  # two parts: 5 MiB and 1 MiB
    # Requests: CreateMultipartUpload, the two parts (in either order), then the retry of
    # the third request, which fails, then CompleteMultipartUpload.
    proxy.configure(every=3, faults=("500",), per_call=1)
    op.write("big", data)
    parts = [s for s in proxy.seen("/big?") if "partNumber=" in s.path]
    assert [s.outcome for s in parts].count("500") == 1
    assert len(parts) == 3  # one part sent twice, the other once: not the whole upload
    failed = next(s for s in parts if s.outcome == "500")
    assert [s.path for s in parts].count(failed.path) == 2
    assert len([s for s in proxy.seen("/big?uploads") if s.method == "POST"]) == 1
    assert len([s for s in proxy.seen("/big?uploadId=") if s.method == "POST"]) == 1
    assert op.read("big") == data


# -- permanent errors are sent once -----------------------------------------------------------


def test_permanent_errors_are_not_retried(
    moto_server: MotoServer, s3_bucket: str, proxy: FaultProxy
) -> None:
    proxy.configure(deny=["/denied"])
    op = proxied(moto_server, s3_bucket, proxy)

    with pytest.raises(od.NotFound) as missing:
        op.read("missing")
    assert missing.value.status is ErrorStatus.PERMANENT
    assert len(proxy.seen("/missing")) == 1

    with pytest.raises(od.PermissionDenied) as denied:
        op.read("denied/r")
    assert denied.value.status is ErrorStatus.PERMANENT
    with pytest.raises(od.PermissionDenied):
        op.write("denied/w", b"x")
    assert [(s.method, s.outcome) for s in proxy.seen("/denied/")] == [
        ("GET", "403"),
        ("PUT", "403"),
    ]

    op.write("once", b"1", if_not_exists=True)
    with pytest.raises(od.ConditionNotMatch) as condition:
        op.write("once", b"2", if_not_exists=True)
    assert condition.value.status is ErrorStatus.PERMANENT
    assert len(proxy.seen("/once")) == 2  # one request per write
    assert op.read("once") == b"1"
    for err in (missing.value, denied.value, condition.value):
        assert "attempts" not in err.context
        assert "attempts" not in str(err)


# -- retrying off, retries running out ---------------------------------------------------------

KINDS = {"500": od.Unexpected, "503": od.RateLimited, "drop": od.Unexpected}


@pytest.mark.parametrize("fault", sorted(KINDS))
def test_with_retrying_off_a_fault_reaches_the_caller_as_temporary(
    moto_server: MotoServer, s3_bucket: str, proxy: FaultProxy, fault: str
) -> None:
    op = proxied(moto_server, s3_bucket, proxy, max_attempts=1)
    proxy.configure(every=1, faults=(fault,), per_call=None)
    with pytest.raises(od.Error) as info:
        op.write("f", b"x")
    err = info.value
    assert type(err) is KINDS[fault]
    assert err.status is ErrorStatus.TEMPORARY
    assert (err.operation, err.path, err.service) == ("write", "f", "s3")
    assert "attempts" not in err.context
    assert proxy.requests == 1
    assert proxy.faults == {fault: 1}


@pytest.mark.parametrize(
    ("fault", "max_attempts"),
    [("500", None), ("503", 2), ("drop", 2), ("truncate", 2)],
)
def test_when_retries_run_out_the_error_is_persistent_and_counts_attempts(
    moto_server: MotoServer,
    s3_bucket: str,
    proxy: FaultProxy,
    fault: str,
    max_attempts: int | None,
) -> None:
    extra = {} if max_attempts is None else {"max_attempts": max_attempts}
    op = proxied(moto_server, s3_bucket, proxy, **extra)
    op.write("f", b"some bytes to read back")
    proxy.reset_counts()
    proxy.configure(every=1, faults=(fault,), per_call=None)  # every request fails

    with pytest.raises(od.Error) as info:
        op.read("f")
    err = info.value
    attempts = max_attempts or 4  # the default
    assert type(err) is {**KINDS, "truncate": od.Unexpected}[fault]
    assert err.status is ErrorStatus.PERSISTENT
    assert err.context["attempts"] == attempts
    assert f"still failing after {attempts} attempts" in str(err)
    assert (err.operation, err.path, err.service) == ("read", "f", "s3")
    assert proxy.requests == attempts
    assert proxy.faults == {fault: attempts}
    if fault == "truncate":
        assert "midway" in str(err)


def test_retry_layer_on_top_sees_temporary_and_persistent_apart(
    moto_server: MotoServer, s3_bucket: str, proxy: FaultProxy
) -> None:
    slept: list[float] = []
    layer = RetryLayer(max_times=2, sleep=slept.append)
    proxy.configure(every=1, faults=("503",), per_call=None)

    # botocore retried and gave up: persistent, so RetryLayer does not try again.
    op = proxied(moto_server, s3_bucket, proxy, max_attempts=2).layer(layer)
    with pytest.raises(od.RateLimited) as gave_up:
        op.write("f", b"x")
    assert gave_up.value.status is ErrorStatus.PERSISTENT
    assert gave_up.value.context["attempts"] == 2
    assert proxy.requests == 2
    assert slept == []

    # Retrying off in the service: each error is temporary, and RetryLayer retries it.
    proxy.reset_counts()
    op = proxied(moto_server, s3_bucket, proxy, max_attempts=1).layer(layer)
    with pytest.raises(od.RateLimited) as retried:
        op.write("f", b"x")
    assert retried.value.status is ErrorStatus.PERSISTENT
    assert retried.value.context["attempts"] == 3  # RetryLayer's count: 1 + 2 retries
    assert proxy.requests == 3
    assert len(slept) == 2


# -- the policy shows -----------------------------------------------------------------------


def test_the_stack_shows_the_retry_policy(moto_server: MotoServer, s3_bucket: str) -> None:
    op = od.Operator("s3", **moto_server.config(s3_bucket))
    service = op.stack[0].access
    assert "retries='standard, 4 attempts'" in repr(service)
    assert service.core.client.meta.config.retries == {  # type: ignore[attr-defined]
        "total_max_attempts": 4,
        "mode": "standard",
    }

    off = od.Operator("s3", **moto_server.config(s3_bucket, max_attempts=1))
    assert "retries='off'" in repr(off.stack[0].access)
    adaptive = od.Operator(
        "s3", **moto_server.config(s3_bucket, max_attempts=6, retry_mode="adaptive")
    )
    assert "retries='adaptive, 6 attempts'" in repr(adaptive.stack[0].access)
    client = adaptive.stack[0].access.core.client  # type: ignore[attr-defined]
    assert client.meta.config.retries == {"total_max_attempts": 6, "mode": "adaptive"}

    uri = f"s3://{s3_bucket}?max_attempts=2&endpoint={moto_server.endpoint}&region=us-east-1"
    from_uri = od.Operator.from_uri(uri)
    assert "retries='standard, 2 attempts'" in repr(from_uri.stack[0].access)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"max_attempts": 0}, "'max_attempts' must be >= 1"),
        ({"retry_mode": "legacy"}, "'retry_mode' must be one of standard, adaptive"),
    ],
)
def test_bad_retry_config_is_refused(
    moto_server: MotoServer, extra: dict[str, object], message: str
) -> None:
    with pytest.raises(od.ConfigInvalid, match=re.escape(message)):
        od.Operator("s3", **moto_server.config("b", **extra))
