"""The obstore bridge: capability per store, URIs, config and credentials, error mapping, the
fsspec face. Its behavior suite runs in tests/behavior (obstore-memory, -s3, -azure)."""

from __future__ import annotations

import pickle
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest

from opendal_lab import Operator
from opendal_lab.core import errors
from opendal_lab.services.obstore import ObstoreConfig, ObstoreService, map_error
from tests.servers import HttpServer, MotoServer

NOWHERE = "http://127.0.0.1:9"  # building a store sends no request
ANONYMOUS_S3 = {"endpoint": NOWHERE, "region": "us-east-1", "allow_anonymous": True}


def _obstore(op: Operator) -> ObstoreService:
    service = op.stack[0].access
    assert isinstance(service, ObstoreService)
    return service


# -- capability ----------------------------------------------------------------------------


def test_capability_is_the_stores() -> None:
    s3 = Operator("obstore", url="s3://b", **ANONYMOUS_S3).native_capability()
    assert s3.read_with_suffix
    assert s3.presign_read
    assert s3.write_with_if_match
    assert s3.delete_max_size == 1000
    assert s3.write_multi_min_size == 5 * 1024 * 1024
    assert not s3.copy_with_if_not_exists  # S3 needs extra config for it
    assert s3.shared
    azure = Operator(
        "obstore", url="az://c", account_name="acct", account_key="a2V5", endpoint=NOWHERE
    ).native_capability()
    assert not azure.read_with_suffix  # object_store sends no suffix range to Azure
    assert azure.delete_max_size == 256
    assert azure.copy_with_if_not_exists
    memory = Operator("obstore", url="memory:///").native_capability()
    assert not memory.shared  # one store per operator
    assert memory.write_with_user_metadata
    assert not memory.presign


def test_local_store_has_no_attributes_or_compare_and_swap(tmp_path: Path) -> None:
    op = Operator("obstore", url=f"file://{tmp_path}")
    cap = op.native_capability()
    assert not cap.write_with_content_type
    assert not cap.write_with_if_match
    assert cap.write_with_if_not_exists
    op.write("a/b/c", b"x", content_type="text/plain")  # dropped, as the capability says
    assert (tmp_path / "a" / "b" / "c").read_bytes() == b"x"
    with pytest.raises(errors.Unsupported, match="if_match"):
        op.write("a/b/c", b"y", if_match='"e"')


def test_no_directories_but_prefixes() -> None:
    op = Operator("obstore", url="memory:///")
    assert not op.native_capability().create_dir
    op.create_dir("empty/")  # SimulateLayer's marker: accepted, stores nothing
    assert not op.exists("empty/")
    assert [e.path for e in op.list("/")] == ["/"]
    op.write("d/f", b"1")
    assert op.stat("d/").is_dir
    assert [e.path for e in op.list("/")] == ["/", "d/"]
    assert not op.exists("d")  # the marker never became a file `d`


def test_a_local_directory_goes_with_its_last_file(tmp_path: Path) -> None:
    op = Operator("obstore", url=f"file://{tmp_path}", root="/sub")
    op.write("d/e/f", b"1")
    assert (tmp_path / "sub" / "d" / "e" / "f").exists()
    op.delete("d/e/f")
    assert not (tmp_path / "sub" / "d").exists()


# -- URIs and config -----------------------------------------------------------------------


def test_uri_names_the_store_and_its_prefix() -> None:
    op = Operator.from_uri(
        f"obstore+s3://bkt/data/x?endpoint={NOWHERE}&region=us-east-1&allow_anonymous=true"
    )
    assert op.scheme == "obstore"
    assert (op.info().name, op.info().root) == ("bkt", "/data/x/")
    assert _obstore(op).kind == "s3"
    same = Operator.from_uri("opendal+obstore+memory:///")
    assert _obstore(same).kind == "memory"


def test_uri_without_store_scheme_says_how() -> None:
    with pytest.raises(errors.ConfigInvalid, match=r"obstore\+s3://bucket/prefix"):
        Operator.from_uri("obstore://bucket/x")


def test_uri_query_key_typo_names_the_key() -> None:
    with pytest.raises(errors.ConfigInvalid, match="did you mean 'endpoint'"):
        Operator.from_uri("obstore+s3://b?endpont=x&allow_anonymous=true")


def test_unknown_store_scheme_names_the_forms() -> None:
    with pytest.raises(errors.ConfigInvalid) as info:
        Operator("obstore", url="ftp://host/x")
    assert "obstore has no store for 'ftp://host/x'" in str(info.value)
    assert "s3://bucket/prefix" in str(info.value)


@pytest.mark.parametrize(("url", "what"), [("s3://", "bucket"), ("az:///p", "container")])
def test_url_without_bucket(url: str, what: str) -> None:
    with pytest.raises(errors.ConfigInvalid, match=f"names no {what}"):
        Operator("obstore", url=url, allow_anonymous=True)


def test_url_is_required() -> None:
    with pytest.raises(errors.ConfigInvalid, match="config 'url' is required"):
        Operator("obstore")


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("s3://b", "access_key_id and secret_access_key"),
        ("az://c", "account_key"),
        ("gs://b", "service_account_path"),
    ],
)
def test_missing_credentials_name_what_to_give(
    url: str, named: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AZURE_STORAGE_ACCOUNT_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud default credentials
    with pytest.raises(errors.ConfigInvalid) as info:
        Operator("obstore", url=url, account_name="acct")
    assert "no credentials" in str(info.value)
    assert named in str(info.value)
    # Where they are given, or the instance metadata endpoint is meant, it builds.
    Operator("obstore", url=url, account_name="acct", instance_metadata=True)


def test_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value")
    Operator("obstore", url="s3://b", endpoint=NOWHERE, region="us-east-1")


def test_half_a_key_pair_is_refused() -> None:
    with pytest.raises(errors.ConfigInvalid, match="'secret_access_key' is not"):
        Operator("obstore", url="s3://b", access_key_id="AKIA", endpoint=NOWHERE)


def test_an_option_obstore_does_not_know_is_refused_by_name() -> None:
    with pytest.raises(errors.ConfigInvalid) as info:
        Operator("obstore", url="s3://b", **ANONYMOUS_S3, options={"no_such_key": "1"})
    assert "obstore refused the s3 store" in str(info.value)
    assert "no_such_key" in str(info.value)


def test_secrets_stay_out_of_reprs() -> None:
    config = ObstoreConfig(
        url="s3://b", access_key_id="AKIA", secret_access_key="do-not-show-this-secret"
    )
    assert "do-not-show-this-secret" not in repr(config)


def test_pickled_operator_reaches_the_same_store(tmp_path: Path) -> None:
    op = Operator("obstore", url=f"file://{tmp_path}")
    op.write("k", b"v")
    assert pickle.loads(pickle.dumps(op)).read("k") == b"v"


# -- errors ------------------------------------------------------------------------------


def _obstore_error(name: str, text: str) -> Exception:
    return type(name, (Exception,), {})(text)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("FileNotFoundError", "Object at location x not found", errors.NotFound),
        ("AlreadyExistsError", "Object at location x already exists", errors.ConditionNotMatch),
        ("PreconditionError", "Request precondition failure", errors.ConditionNotMatch),
        ("NotModifiedError", "Object at location x not modified", errors.ConditionNotMatch),
        ("PermissionDeniedError", "denied", errors.PermissionDenied),
        ("UnauthenticatedError", "who are you", errors.PermissionDenied),
        ("NotSupportedError", "S3 does not support copy-if-not-exists", errors.Unsupported),
        ("ValueError", "Could not parse path: '..'", errors.ConfigInvalid),
        (
            "GenericError",
            "Server returned non-2xx status code: 416 Range",
            errors.RangeNotSatisfied,
        ),
        (
            "GenericError",
            "Server returned non-2xx status code: 403 Forbidden",
            errors.PermissionDenied,
        ),
        ("GenericError", "Server returned non-2xx status code: 429 Too Many", errors.RateLimited),
    ],
)
def test_error_kinds(name: str, text: str, kind: type[errors.Error]) -> None:
    mapped = map_error(_obstore_error(name, text), "read", "x")
    assert type(mapped) is kind
    assert (mapped.operation, mapped.service, mapped.path) == ("read", "obstore", "x")


def test_server_errors_are_temporary_and_persistent_after_retries() -> None:
    first = "Generic S3 error: Server returned non-2xx status code: 503 Service Unavailable"
    fresh = map_error(
        _obstore_error("GenericError", first + "\n\nDebug source: retries: 0"), "", None
    )
    assert fresh.is_temporary
    spent = map_error(
        _obstore_error("GenericError", first + "\n\nDebug source: retries: 10"), "", None
    )
    assert spent.status is errors.ErrorStatus.PERSISTENT
    assert spent.context["retries"] == 10
    assert "Debug source" not in spent.message


def test_invalid_key_is_config_invalid() -> None:
    op = Operator("obstore", url="memory:///")
    with pytest.raises(errors.ConfigInvalid, match="parse path"):
        op.write("a/../b", b"1")


# -- S3 on moto ----------------------------------------------------------------------------


@pytest.fixture
def s3_op(moto_server: MotoServer, s3_bucket: str) -> Operator:
    config: dict[str, Any] = moto_server.config(s3_bucket)
    config["url"] = f"s3://{config.pop('bucket')}/pre"
    return Operator("obstore", **config, allow_http=True)


def test_s3_round_trip_and_presign(
    s3_op: Operator, moto_server: MotoServer, s3_bucket: str
) -> None:
    s3_op.write("d/f.txt", b"hello", content_type="text/plain", user_metadata={"k": "v"})
    meta = s3_op.stat("d/f.txt")
    assert (meta.content_length, meta.content_type, meta.user_metadata) == (
        5,
        "text/plain",
        {"k": "v"},
    )
    body = moto_server.client().get_object(Bucket=s3_bucket, Key="pre/d/f.txt")["Body"].read()
    assert body == b"hello"  # the root is a prefix in the bucket
    request = s3_op.presign_read("d/f.txt", 60)
    with urllib.request.urlopen(request.url) as response:
        assert response.read() == b"hello"
    with pytest.raises(errors.ConditionNotMatch):
        s3_op.write("d/f.txt", b"again", if_not_exists=True)


def test_s3_missing_bucket_is_not_found(moto_server: MotoServer) -> None:
    config: dict[str, Any] = moto_server.config(f"missing-{uuid.uuid4().hex[:8]}")
    config["url"] = f"s3://{config.pop('bucket')}"
    op = Operator("obstore", **config, allow_http=True, max_retries=0)
    with pytest.raises(errors.NotFound):
        op.read("x")


# -- the fsspec face -------------------------------------------------------------------------


def test_fsspec_protocol_and_pandas_write() -> None:
    pd = pytest.importorskip("pandas")
    fs = fsspec.filesystem("opendal+obstore", url="memory:///")
    assert fs.operator.scheme == "obstore"
    fs.pipe_file("a/b", b"x")
    assert fs.cat_file("a/b") == b"x"
    assert fs.isdir("a")
    # pandas makes the parent directory first: a no-op here, as on s3fs.
    pd.DataFrame({"n": [1, 2]}).to_csv(
        "opendal://out/t.csv", storage_options={"operator": fs.operator}
    )
    assert fs.operator.read("out/t.csv") == b",n\n0,1\n1,2\n"


# -- a plain HTTP server ---------------------------------------------------------------------


def test_http_store_reads_ranges_from_a_file_server(http_server: HttpServer) -> None:
    http_server.put("pub/data.bin", b"0123456789")
    op = Operator("obstore", url=f"{http_server.url}/pub", allow_http=True)
    assert op.read("data.bin") == b"0123456789"
    assert op.read("data.bin", offset=2, size=3) == b"234"
    assert op.stat("data.bin").content_length == 10
    with pytest.raises(errors.NotFound):
        op.stat("missing.bin")
