"""s3 service against a real S3 server (moto in server mode on loopback).

What the behavior suite does not reach: versions, presigned requests sent over HTTP,
multipart uploads (parts, concurrency, abort), conditional writes, metadata, batch delete,
root prefixes, URIs, bad input and secrets, and many threads at once.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import opendal_lab as od
from opendal_lab.services.s3 import S3Config
from opendal_lab.services.s3.core import S3Core
from tests.servers import MotoServer, free_port, moto_process
from tests.workloads import run_mixed

MIB = 1024 * 1024


@pytest.fixture
def op(moto_server: MotoServer, s3_bucket: str) -> od.Operator:
    return od.Operator("s3", **moto_server.config(s3_bucket))


@pytest.fixture
def vop(moto_server: MotoServer, s3_versioned_bucket: str) -> od.Operator:
    return od.Operator("s3", **moto_server.config(s3_versioned_bucket, enable_versioning=True))


def _send(request: od.PresignedRequest, data: bytes | None = None) -> tuple[int, bytes]:
    headers = dict(request.headers)
    if data is not None:  # urllib would say form data, which moto's server would parse
        headers.setdefault("Content-Type", "application/octet-stream")
    req = urllib.request.Request(request.url, data=data, method=request.method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read()


def _keys(moto_server: MotoServer, bucket: str) -> list[str]:
    out = moto_server.client().list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in out.get("Contents", [])]


def _uploads(moto_server: MotoServer, bucket: str) -> list[Any]:
    return list(moto_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []))


# -- capability --------------------------------------------------------------------------


def test_native_capability(op: od.Operator, vop: od.Operator) -> None:
    cap = op.native_capability()
    assert cap.list_with_recursive
    assert cap.list_with_start_after
    assert cap.list_with_limit
    assert cap.read_with_suffix
    assert cap.write_can_multi
    assert cap.copy
    assert cap.delete_max_size == 1000
    assert cap.write_multi_min_size == 5 * MIB
    assert not cap.create_dir
    assert not cap.rename
    assert not cap.write_can_append
    assert not cap.stat_with_version
    assert not cap.list_with_versions
    vcap = vop.native_capability()
    assert vcap.stat_with_version
    assert vcap.read_with_version
    assert vcap.delete_with_version
    assert vcap.list_with_versions
    assert vcap.list_with_deleted
    assert op.capability_report()["create_dir"].state == "simulated"


# -- versions ----------------------------------------------------------------------------


def test_versions_stat_read_delete_list(vop: od.Operator) -> None:
    v1 = vop.write("f", b"one").version
    v2 = vop.write("f", b"second").version
    assert v1
    assert v2
    assert v1 != v2
    assert vop.stat("f", version=v1).content_length == 3
    assert vop.stat("f").version == v2
    assert vop.read("f", version=v1) == b"one"
    assert vop.read("f", version=v1, offset=1, size=2) == b"ne"
    assert vop.read("f") == b"second"

    entries = [e for e in vop.list("/", versions=True) if e.path == "f"]
    assert [e.metadata.version for e in entries] == [v2, v1]
    assert [e.metadata.is_current for e in entries] == [True, False]
    assert [e.metadata.content_length for e in entries] == [6, 3]

    vop.delete("f")  # a delete marker on top
    assert not vop.exists("f")
    assert vop.read("f", version=v1) == b"one"
    with_deleted = [e for e in vop.list("/", versions=True, deleted=True) if e.path == "f"]
    assert [e.metadata.is_deleted for e in with_deleted] == [True, False, False]
    assert with_deleted[0].metadata.is_current
    assert [e.path for e in vop.list("/", versions=True)] == ["/", "f", "f"]
    # deleted without versions: the current entries and the delete markers
    only = [e for e in vop.list("/", deleted=True) if e.path == "f"]
    assert [e.metadata.is_deleted for e in only] == [True]

    vop.delete("f", version=v1)
    with pytest.raises(od.NotFound):
        vop.read("f", version=v1)
    versions = [e.metadata.version for e in vop.list("/", versions=True) if e.path == "f"]
    assert versions == [v2]
    vop.delete("f", version=v1)  # a missing version: fine, as a missing path


def test_versions_unsupported_without_config(op: od.Operator) -> None:
    op.write("f", b"x")
    with pytest.raises(od.Unsupported, match="version"):
        op.stat("f", version="abc")


# -- presign -----------------------------------------------------------------------------


def test_presign_get_put_head_delete(op: od.Operator) -> None:
    put = op.presign_write("dir/p.txt", 60)
    assert put.method == "PUT"
    assert _send(put, b"presigned body")[0] == 200
    assert op.read("dir/p.txt") == b"presigned body"

    status, body = _send(op.presign_read("dir/p.txt", 60))
    assert (status, body) == (200, b"presigned body")

    head = op.presign_stat("dir/p.txt", 60)
    assert head.method == "HEAD"
    assert _send(head) == (200, b"")

    delete = op.presign_delete("dir/p.txt", 60)
    assert delete.method == "DELETE"
    assert _send(delete)[0] == 204
    assert not op.exists("dir/p.txt")
    with pytest.raises(urllib.error.HTTPError) as info:
        _send(op.presign_read("dir/p.txt", 60))
    assert info.value.code == 404


def test_presign_refuses_more_than_a_week(op: od.Operator) -> None:
    with pytest.raises(od.ConfigInvalid, match="7 days"):
        op.presign_read("f", 8 * 24 * 3600)


# -- multipart ---------------------------------------------------------------------------


class _PartCounter:
    """Counts UploadPart calls and the most that were in flight at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parts = 0
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()
        original = S3Core.call

        def call(core: S3Core, operation: str, path: str | None, method: str, **kw: Any) -> Any:
            if method != "upload_part":
                return original(core, operation, path, method, **kw)
            with self._lock:
                self.parts += 1
                self.active += 1
                self.peak = max(self.peak, self.active)
            try:
                return original(core, operation, path, method, **kw)
            finally:
                with self._lock:
                    self.active -= 1

        monkeypatch.setattr(S3Core, "call", call)


def test_multipart_write_in_chunks(
    op: od.Operator, monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer, s3_bucket: str
) -> None:
    counter = _PartCounter(monkeypatch)
    data = random.Random(1).randbytes(13 * MIB + 12345)
    with op.open("big/blob", "wb", chunk=5 * MIB, concurrent=3) as f:
        for start in range(0, len(data), MIB // 2):
            f.write(data[start : start + MIB // 2])
    assert counter.parts == 3  # 5 + 5 + 3 MiB
    assert counter.peak > 1  # parts went up side by side
    meta = op.stat("big/blob")
    assert meta.content_length == len(data)
    assert meta.etag is not None
    assert meta.etag.strip('"').endswith("-3")
    assert op.read("big/blob") == data
    assert op.read("big/blob", offset=5 * MIB - 10, size=20) == data[5 * MIB - 10 : 5 * MIB + 10]
    assert _uploads(moto_server, s3_bucket) == []


def test_multipart_whole_write_above_part_size(op: od.Operator) -> None:
    data = random.Random(2).randbytes(17 * MIB)
    assert op.write("whole", data).content_length == len(data)
    assert op.read("whole") == data
    assert op.stat("whole").etag.strip('"').endswith("-3")  # type: ignore[union-attr]


def test_multipart_abort_leaves_nothing(
    op: od.Operator, moto_server: MotoServer, s3_bucket: str
) -> None:
    f = op.open("aborted", "wb", chunk=5 * MIB, concurrent=2)
    f.write(os.urandom(12 * MIB))
    f.flush()
    assert len(_uploads(moto_server, s3_bucket)) == 1  # parts are up already
    f.abort()  # type: ignore[attr-defined]
    assert not op.exists("aborted")
    assert _keys(moto_server, s3_bucket) == []
    assert _uploads(moto_server, s3_bucket) == []


def test_multipart_exception_in_with_block_aborts(
    op: od.Operator, moto_server: MotoServer, s3_bucket: str
) -> None:
    def write_then_fail() -> None:
        with op.open("boom", "wb", chunk=5 * MIB) as f:
            f.write(os.urandom(11 * MIB))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not op.exists("boom")
    assert _uploads(moto_server, s3_bucket) == []


def _upload_headers(op: od.Operator) -> list[tuple[str, set[str]]]:
    """(operation, lower-cased header names) of every upload the operator sends from now."""
    seen: list[tuple[str, set[str]]] = []

    def note(request: Any, event_name: str, **_: Any) -> None:
        seen.append((event_name.rsplit(".", 1)[-1], {k.lower() for k in request.headers}))

    client = op.stack[0].access.core.client
    for name in ("PutObject", "UploadPart"):
        client.meta.events.register_last(f"before-send.s3.{name}", note)
    return seen


def _checksums(headers: set[str]) -> set[str]:
    return {h for h in headers if h.startswith("x-amz-checksum-")}


def test_uploads_carry_no_checksum_nor_expect_by_default(op: od.Operator) -> None:
    # A CRC of every body in Python and a 100-continue round trip per upload were most of
    # what a put cost beyond obstore's; S3 checks the SHA-256 signed body (or TLS) anyway.
    seen = _upload_headers(op)
    data = random.Random(3).randbytes(6 * MIB)
    op.write("small", b"x" * 2 * MIB)
    op.write("parts", data, chunk=5 * MIB)
    assert {name for name, _ in seen} == {"PutObject", "UploadPart"}
    for _, headers in seen:
        assert not _checksums(headers)
        assert "expect" not in headers
    assert op.read("parts") == data


def test_user_agent_names_opendal_lab(op: od.Operator) -> None:
    # Fixed once per client: botocore's own is rebuilt twice per request.
    agents: list[str] = []

    def note(request: Any, **_: Any) -> None:
        agent = request.headers["User-Agent"]
        agents.append(agent.decode() if isinstance(agent, bytes) else agent)

    op.stack[0].access.core.client.meta.events.register_last("before-send.s3", note)
    op.write("ua", b"x")
    assert op.read("ua") == b"x"
    assert len(agents) == 2
    assert all(agent.startswith(f"opendal-lab/{od.__version__} botocore/") for agent in agents)


def test_checksum_algorithm_is_sent_on_every_upload(
    moto_server: MotoServer, s3_bucket: str
) -> None:
    op = od.Operator("s3", **moto_server.config(s3_bucket, checksum_algorithm="crc32"))
    seen = _upload_headers(op)
    data = random.Random(4).randbytes(6 * MIB)
    op.write("small", b"abc")
    op.write("parts", data, chunk=5 * MIB)
    assert [name for name, _ in seen] == ["PutObject", "UploadPart", "UploadPart"]
    for _, headers in seen:
        assert _checksums(headers) == {"x-amz-checksum-crc32"}
    assert op.read("small") == b"abc"
    assert op.read("parts") == data
    with pytest.raises(od.ConfigInvalid, match="checksum_algorithm"):
        od.Operator("s3", **moto_server.config(s3_bucket, checksum_algorithm="md5"))


def test_chunk_below_the_s3_minimum_is_refused(op: od.Operator) -> None:
    with pytest.raises(od.ConfigInvalid, match="5 MiB"):
        op.open("f", "wb", chunk=MIB)


# -- conditional writes ------------------------------------------------------------------


def test_conditional_writes(op: od.Operator) -> None:
    op.write("c", b"first", if_not_exists=True)
    with pytest.raises(od.ConditionNotMatch) as info:
        op.write("c", b"second", if_not_exists=True)
    assert info.value.service == "s3"
    assert info.value.operation == "write"
    etag = op.stat("c").etag
    with pytest.raises(od.ConditionNotMatch):
        op.write("c", b"x", if_match='"0000"')
    op.write("c", b"third", if_match=etag)
    assert op.read("c") == b"third"
    with pytest.raises(od.ConditionNotMatch):
        op.write("missing", b"x", if_match=etag)
    with pytest.raises(od.Unsupported, match="if_none_match"):
        op.write("c", b"x", if_none_match=etag)


def test_conditional_multipart_write(
    op: od.Operator, moto_server: MotoServer, s3_bucket: str
) -> None:
    op.write("c", b"old")
    with pytest.raises(od.ConditionNotMatch), op.open("c", "wb", if_not_exists=True) as f:
        f.write(os.urandom(9 * MIB))
    assert op.read("c") == b"old"
    assert _uploads(moto_server, s3_bucket) == []
    with op.open("fresh", "wb", if_not_exists=True, chunk=5 * MIB) as f:
        f.write(os.urandom(6 * MIB))
    assert op.stat("fresh").content_length == 6 * MIB


def test_conditional_reads(op: od.Operator) -> None:
    op.write("r", b"data")
    etag = op.stat("r").etag
    assert op.read("r", if_match=etag) == b"data"
    with pytest.raises(od.ConditionNotMatch):
        op.read("r", if_none_match=etag)
    with pytest.raises(od.ConditionNotMatch):
        op.stat("r", if_match='"nope"')


# -- metadata ----------------------------------------------------------------------------


def test_metadata_round_trip(op: od.Operator) -> None:
    written = op.write(
        "m.csv",
        b"a,b\n",
        content_type="text/csv",
        content_disposition='attachment; filename="m.csv"',
        cache_control="max-age=60",
        content_encoding="identity",
        user_metadata={"owner": "lab", "run": "42"},
    )
    assert written.etag
    meta = op.stat("m.csv")
    assert meta.content_type == "text/csv"
    assert meta.content_disposition == 'attachment; filename="m.csv"'
    assert meta.cache_control == "max-age=60"
    assert meta.content_encoding == "identity"
    assert meta.user_metadata == {"owner": "lab", "run": "42"}
    assert meta.etag == written.etag
    op.copy("m.csv", "copy.csv")  # CopyObject keeps the metadata
    assert op.stat("copy.csv").user_metadata == {"owner": "lab", "run": "42"}
    with op.open("big.bin", "wb", content_type="application/x-big", chunk=5 * MIB) as f:
        f.write(os.urandom(6 * MIB))
    assert op.stat("big.bin").content_type == "application/x-big"


# -- batch delete ------------------------------------------------------------------------


def test_batch_delete_2500(
    op: od.Operator, monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer, s3_bucket: str
) -> None:
    paths = [f"many/{i:05d}" for i in range(2500)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: op.write(p, b""), paths))
    op.write("kept", b"k")
    batches: list[int] = []
    original = S3Core.call

    def call(core: S3Core, operation: str, path: str | None, method: str, **kw: Any) -> Any:
        if method == "delete_objects":
            batches.append(len(kw["Delete"]["Objects"]))
        return original(core, operation, path, method, **kw)

    monkeypatch.setattr(S3Core, "call", call)
    op.delete_many(paths)
    assert batches == [1000, 1000, 500]
    assert _keys(moto_server, s3_bucket) == ["kept"]


def test_batch_delete_reports_failures(op: od.Operator) -> None:
    access = op.stack[0].access
    failures = access.delete_many([("a", od.core.options.DeleteOptions(version="bad-version"))])
    # moto accepts any version id for a missing key; a real failure comes back per key
    assert all(isinstance(err, od.Error) and err.path == path for path, err in failures)


# -- root prefix and URIs ----------------------------------------------------------------


def test_root_prefix_isolation(moto_server: MotoServer, s3_bucket: str) -> None:
    a = od.Operator("s3", **moto_server.config(s3_bucket, root="/team-a/"))
    b = od.Operator("s3", **moto_server.config(s3_bucket, root="team-b"))
    a.write("data/x", b"from a")
    b.write("data/x", b"from b")
    assert a.read("data/x") == b"from a"
    assert b.read("data/x") == b"from b"
    assert [e.path for e in a.list("/", recursive=True)] == ["/", "data/x"]
    assert sorted(_keys(moto_server, s3_bucket)) == ["team-a/data/x", "team-b/data/x"]
    a.remove_all("/")
    assert _keys(moto_server, s3_bucket) == ["team-b/data/x"]
    assert b.read("data/x") == b"from b"


def test_from_uri(moto_server: MotoServer, s3_bucket: str) -> None:
    uri = f"s3://{s3_bucket}/pre/fix?region={moto_server.region}&endpoint={moto_server.endpoint}"
    op = od.Operator.from_uri(
        uri,
        access_key_id=moto_server.access_key_id,
        secret_access_key=moto_server.secret_access_key,
    )
    assert op.info().root == "/pre/fix/"
    op.write("f", b"x")
    assert _keys(moto_server, s3_bucket) == ["pre/fix/f"]
    with pytest.raises(od.ConfigInvalid, match="sub-scheme"):
        od.Operator.from_uri(f"s3+x://{s3_bucket}/")


def test_pickle_rebuilds_the_client(op: od.Operator) -> None:
    import pickle

    op.write("p", b"x")
    service = op.stack[0].access
    clone = od.Operator.from_service(pickle.loads(pickle.dumps(service)))
    assert clone.read("p") == b"x"


# -- bad input ---------------------------------------------------------------------------


def test_no_bucket_is_config_invalid(moto_server: MotoServer) -> None:
    config = moto_server.config("")
    with pytest.raises(od.ConfigInvalid, match="bucket") as info:
        od.Operator("s3", **config)
    assert info.value.service == "s3"
    with pytest.raises(od.ConfigInvalid, match="bucket"):
        od.Operator.from_uri("s3:///just/a/path")


def test_half_credentials_are_config_invalid(moto_server: MotoServer) -> None:
    with pytest.raises(od.ConfigInvalid, match="secret_access_key"):
        od.Operator("s3", bucket="b", access_key_id="AKIA")


def test_missing_bucket_is_not_found_naming_it(moto_server: MotoServer) -> None:
    op = od.Operator("s3", **moto_server.config("no-such-bucket-here"))
    for call, operation in (
        (lambda: op.write("f", b"x"), "write"),
        (lambda: op.stat("f"), "stat"),
        (lambda: op.read("f"), "read"),
        (lambda: list(op.list("/")), "list"),
    ):
        with pytest.raises(od.NotFound) as info:
            call()
        err = info.value
        assert "no-such-bucket-here" in str(err)
        assert err.service == "s3"
        assert err.operation == operation
    assert "no-such-bucket-here" not in [
        b["Name"] for b in moto_server.client().list_buckets()["Buckets"]
    ]


def test_wrong_endpoint_is_temporary_naming_it(moto_server: MotoServer) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    # Retrying off: the error stays temporary (test_s3_retry.py covers retries running out).
    config = {**moto_server.config("bucket"), "endpoint": endpoint, "max_attempts": 1}
    op = od.Operator("s3", **config)
    with pytest.raises(od.Unexpected) as info:
        op.write("f", b"x")
    err = info.value
    assert err.is_temporary
    assert endpoint in str(err)
    assert err.service == "s3"
    assert err.operation == "write"
    assert err.path == "f"
    with pytest.raises(od.Unexpected, match=r"127\.0\.0\.1"):
        op.stat("f")


def test_missing_credentials_say_what_to_set(
    moto_server: MotoServer, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config = moto_server.config(s3_bucket)
    del config["access_key_id"], config["secret_access_key"]
    op = od.Operator("s3", **config)
    with pytest.raises(od.ConfigInvalid) as info:
        op.write("f", b"x")
    message = str(info.value)
    for hint in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "access_key_id", "AWS_PROFILE"):
        assert hint in message
    assert info.value.operation == "write"
    assert _keys(moto_server, s3_bucket) == []


@pytest.fixture(scope="module")
def auth_server() -> Iterator[tuple[str, str, str]]:
    """A moto server that checks credentials (``INITIAL_NO_AUTH_ACTION_COUNT``).

    The first three requests go unchecked: they create an IAM user with an allow-all
    policy and its access key. From then on moto refuses unknown keys and bad signatures.
    """
    with moto_process(INITIAL_NO_AUTH_ACTION_COUNT="3") as endpoint:
        import botocore.session

        iam = botocore.session.get_session().create_client(
            "iam",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="AKIAUNCHECKED0000000",
            aws_secret_access_key="unchecked",
        )
        iam.create_user(UserName="lab")
        iam.put_user_policy(
            UserName="lab",
            PolicyName="all",
            PolicyDocument='{"Version": "2012-10-17", "Statement": '
            '[{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
        )
        key = iam.create_access_key(UserName="lab")["AccessKey"]
        yield endpoint, key["AccessKeyId"], key["SecretAccessKey"]


def test_wrong_credentials_are_permission_denied(auth_server: tuple[str, str, str]) -> None:
    endpoint, key_id, secret = auth_server
    good = od.Operator(
        "s3", bucket="auth", endpoint=endpoint, access_key_id=key_id, secret_access_key=secret
    )
    good.stack[0].access.core.client.create_bucket(Bucket="auth")  # type: ignore[attr-defined]
    good.write("ok", b"fine")
    wrong_secret = "wrong-secret-for-a-real-key"
    for key, sec in ((key_id, wrong_secret), ("AKIANOSUCHKEY0000000", wrong_secret)):
        bad = od.Operator(
            "s3", bucket="auth", endpoint=endpoint, access_key_id=key, secret_access_key=sec
        )
        with pytest.raises(od.PermissionDenied) as info:
            bad.write("bad", b"x")
        err = info.value
        assert err.service == "s3"
        assert err.operation == "write"
        assert err.path == "bad"
        assert wrong_secret not in str(err)
        assert wrong_secret not in repr(err)
        with pytest.raises(od.PermissionDenied):
            bad.read("ok")
    assert [e.path for e in good.list("/")] == ["/", "ok"]  # nothing written


# -- secrets -----------------------------------------------------------------------------


def test_secrets_never_show(
    moto_server: MotoServer, s3_bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = moto_server.secret_access_key
    token = "session-token-that-must-not-leak-123"
    caplog.set_level(logging.DEBUG)
    op = od.Operator("s3", **moto_server.config(s3_bucket, session_token=token))
    texts = [repr(op), str(op), repr(op.stack[0].access), repr(op.info())]
    texts.append(repr(op.stack[0].access._cfg))  # type: ignore[attr-defined]
    op.write("f", b"x")
    op.read("f")
    list(op.list("/"))
    errors: list[BaseException] = []
    for call in (
        lambda: op.read("missing"),
        lambda: op.write("f", b"y", if_not_exists=True),
        lambda: od.Operator("s3", **moto_server.config("no-such-bucket-x")).write("f", b""),
        lambda: od.Operator(
            "s3",
            **{
                **moto_server.config(s3_bucket),
                "endpoint": "http://127.0.0.1:9",
                "max_attempts": 1,
            },
        ).stat("f"),
    ):
        try:
            call()
        except od.Error as err:
            errors.append(err)
    assert len(errors) == 4
    for err in errors:
        texts += [str(err), repr(err), str(err.__cause__), repr(err.__cause__)]
    records = caplog.records
    assert any(r.name.startswith("botocore") for r in records)  # botocore did log at DEBUG
    assert any("Sending http request" in r.getMessage() for r in records)
    texts += [r.getMessage() for r in records]
    for text in texts:
        assert secret not in text
        assert token not in text
    # botocore logs the request headers, the session token among them: masked
    assert any("X-Amz-Security-Token" in t and "***" in t for t in texts)


# -- threads -----------------------------------------------------------------------------


def test_threads_mixed_operations(op: od.Operator, moto_server: MotoServer, s3_bucket: str) -> None:
    expected = run_mixed(op, steps=200)
    assert sorted(_keys(moto_server, s3_bucket)) == sorted(expected)
    for path, data in expected.items():
        assert op.read(path) == data


# -- the error table -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "kind", "temporary"),
    [
        ("NoSuchKey", 404, od.NotFound, False),
        ("404", 404, od.NotFound, False),
        ("NoSuchBucket", 404, od.NotFound, False),
        ("AccessDenied", 403, od.PermissionDenied, False),
        ("InvalidAccessKeyId", 403, od.PermissionDenied, False),
        ("SignatureDoesNotMatch", 403, od.PermissionDenied, False),
        ("PreconditionFailed", 412, od.ConditionNotMatch, False),
        ("304", 304, od.ConditionNotMatch, False),
        ("InvalidRange", 416, od.RangeNotSatisfied, False),
        ("SlowDown", 503, od.RateLimited, True),
        ("ThrottlingException", 400, od.RateLimited, True),
        ("InternalError", 500, od.Unexpected, True),
        ("BadGateway", 502, od.Unexpected, True),
        ("NotImplemented", 501, od.Unsupported, False),
        ("MalformedXML", 400, od.Unexpected, False),
    ],
)
def test_error_table(
    moto_server: MotoServer, code: str, status: int, kind: type[od.Error], temporary: bool
) -> None:
    core = S3Core(S3Config(**moto_server.config("b")), "/")
    err = core.from_code(code, status, f"{code}: message", "read", "p")
    assert type(err) is kind
    assert err.is_temporary is temporary
    assert (err.service, err.operation, err.path) == ("s3", "read", "p")
    if code == "NoSuchBucket":
        assert "'b'" in str(err)
