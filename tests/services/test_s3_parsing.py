"""s3's response parser (``services/s3/parsing.py``) answers what botocore's own does.

Every call the s3 service makes is sent twice against moto, once through the service's
client and once through a stock botocore client, and the parsed responses must be equal
(request ids, dates and bodies aside). Errors must map to the same codes, and a 200 answer
carrying an ``<Error>`` (S3 does that) or a cut-off body must still be retried.
"""

from __future__ import annotations

from typing import Any

import pytest

from opendal_lab.services.s3 import parsing
from opendal_lab.services.s3.config import S3Config, build_client
from opendal_lab.services.s3.parsing import check_200_error
from tests.servers import MotoServer

_VOLATILE = {"ResponseMetadata", "Body"}


def _clean(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if k not in _VOLATILE}


def _both(ours: Any, stock: Any, method: str, **params: Any) -> tuple[Any, Any]:
    mine, theirs = getattr(ours, method)(**params), getattr(stock, method)(**params)
    return _clean(mine), _clean(theirs)


@pytest.fixture
def clients(moto_server: MotoServer, s3_versioned_bucket: str) -> tuple[Any, Any, str]:
    ours = build_client(S3Config(**moto_server.config(s3_versioned_bucket)))
    stock = moto_server.client()
    bucket = s3_versioned_bucket
    keys = ["a/1", "a/2", "a/b/3", "c d/é&<x>", "z"]
    for key in keys:
        stock.put_object(Bucket=bucket, Key=key, Body=key.encode())
    stock.delete_object(Bucket=bucket, Key="z")  # a delete marker
    stock.put_object(Bucket=bucket, Key="a/1", Body=b"again")  # a second version
    return ours, stock, bucket


def test_lists_parse_as_botocore_does(clients: tuple[Any, Any, str]) -> None:
    ours, stock, bucket = clients
    for params in (
        {},
        {"Delimiter": "/"},
        {"Prefix": "a/", "Delimiter": "/"},
        {"MaxKeys": 2},
        {"StartAfter": "a/2"},
        {"Prefix": "nothing/"},
        {"FetchOwner": True},
    ):
        mine, theirs = _both(ours, stock, "list_objects_v2", Bucket=bucket, **params)
        assert mine == theirs, params
        assert mine.get("Contents") or mine.get("CommonPrefixes") or "Prefix" in params
    for params in ({}, {"Delimiter": "/"}, {"MaxKeys": 1}):
        mine, theirs = _both(ours, stock, "list_object_versions", Bucket=bucket, **params)
        assert mine == theirs, params
    mine, _ = _both(ours, stock, "list_object_versions", Bucket=bucket)
    assert mine["DeleteMarkers"]
    assert len(mine["Versions"]) == 6
    # The listed objects went through the per-shape plans, not botocore's generic walk.
    assert parsing._PLANS["Object"]
    assert parsing._PLANS["ObjectVersion"]


def test_other_calls_parse_as_botocore_does(clients: tuple[Any, Any, str]) -> None:
    ours, stock, bucket = clients
    mine, theirs = _both(ours, stock, "head_object", Bucket=bucket, Key="a/2")
    assert mine == theirs
    mine, theirs = _both(ours, stock, "get_object", Bucket=bucket, Key="a/1", Range="bytes=0-1")
    assert mine == theirs
    mine, theirs = _both(
        ours, stock, "copy_object", Bucket=bucket, Key="copy", CopySource=f"{bucket}/a/2"
    )
    assert mine.keys() == theirs.keys()
    assert mine["CopyObjectResult"]["ETag"]
    delete = {"Objects": [{"Key": "a/2"}, {"Key": "missing"}]}
    mine, theirs = _both(ours, stock, "delete_objects", Bucket=bucket, Delete=delete)
    assert [d["Key"] for d in mine["Deleted"]] == [d["Key"] for d in theirs["Deleted"]]
    mine, theirs = _both(ours, stock, "get_bucket_versioning", Bucket=bucket)
    assert mine == theirs == {"Status": "Enabled"}
    up = ours.create_multipart_upload(Bucket=bucket, Key="mp")
    assert up["UploadId"]
    assert up["Key"] == "mp"
    part = ours.upload_part(
        Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"x"
    )
    done = ours.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["Key"] == "mp"
    assert done["ETag"]


def test_errors_parse_as_botocore_does(clients: tuple[Any, Any, str]) -> None:
    from botocore.exceptions import ClientError

    ours, stock, bucket = clients
    for client in (ours, stock):
        with pytest.raises(ClientError) as caught:
            client.get_object(Bucket=bucket, Key="missing")
        assert caught.value.response["Error"]["Code"] == "NoSuchKey"
        with pytest.raises(ClientError) as caught:
            client.list_objects_v2(Bucket="no-such-bucket-here")
        assert caught.value.response["Error"]["Code"] == "NoSuchBucket"


class _Model:
    """Enough of an operation model for botocore's "should this 200 be checked" test."""

    has_event_stream_output = False

    def __init__(self, output_shape: Any) -> None:
        self.output_shape = output_shape


def test_a_200_with_an_error_or_a_cut_body_is_a_500(clients: tuple[Any, Any, str]) -> None:
    ours = clients[0]
    model = _Model(ours.meta.service_model.operation_model("ListObjectsV2").output_shape)
    for body in (
        b'<?xml version="1.0"?><Error><Code>InternalError</Code></Error>',
        b'<?xml version="1.0"?><ListBucketResult><Contents><Key>a',
    ):
        response = {"status_code": 200, "body": body, "context": {}}
        check_200_error(model, response)
        assert response["status_code"] == 500
    good = {"status_code": 200, "body": b"<ListBucketResult/>", "context": {}}
    check_200_error(model, good)
    assert good["status_code"] == 200
    assert good["context"]
