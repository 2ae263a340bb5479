"""The http service's config: endpoints, URIs, pickling, and credentials that never leak.

Runs against the loopback file server (``http_server``): paths below ``/basic/`` need
basic auth, below ``/bearer/`` a bearer token.
"""

from __future__ import annotations

import pickle
import uuid
from typing import Any

import pytest

from opendal_lab import ConfigInvalid, NotFound, Operator, PermissionDenied, Unexpected
from opendal_lab.services.http import HttpService
from tests.servers import HttpServer, free_port


@pytest.fixture
def site(http_server: HttpServer) -> str:
    """A fresh directory on the server holding ``d/x.txt``."""
    name = f"c-{uuid.uuid4().hex[:12]}"
    http_server.put(f"{name}/d/x.txt", b"hello")
    return name


# -- building it ---------------------------------------------------------------------------


def test_from_uri_with_and_without_root(http_server: HttpServer, site: str) -> None:
    with_root = Operator.from_uri(f"{http_server.url}/{site}/d")
    assert with_root.read("x.txt") == b"hello"
    assert with_root.info().root == f"/{site}/d/"
    bare = Operator.from_uri(http_server.url)
    assert bare.read(f"{site}/d/x.txt") == b"hello"
    assert bare.info().root == "/"
    assert bare.info().name == http_server.url


def test_https_uri_keeps_the_scheme() -> None:
    op = Operator.from_uri("https://example.invalid:8443/data/set")
    assert op.scheme == "http"
    assert op.info().name == "https://example.invalid:8443"
    assert op.info().root == "/data/set/"


def test_endpoint_path_is_a_prefix(http_server: HttpServer, site: str) -> None:
    op = Operator("http", endpoint=f"{http_server.url}/{site}/", root="d")
    assert op.read("x.txt") == b"hello"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "needs an endpoint"),
        ({"endpoint": "ftp://host"}, "endpoint must look like"),
        ({"endpoint": "http://"}, "endpoint must look like"),
        ({"endpoint": "http://h/?token=s3cr3t"}, "query"),
        ({"endpoint": "http://h", "username": "u", "token": "t"}, "not both"),
        ({"endpoint": "http://u:p@h", "username": "v"}, "both in the endpoint"),
        ({"endpoint": "http://h", "token": "t", "headers": {"Authorization": "x"}}, "both"),
        ({"endpoint": "http://h", "headers": {"X-A": 1}}, "str to str"),
        ({"endpoint": "http://h", "timeout": 0}, "timeout"),
        ({"endpoint": "http://h", "pool_size": 0}, "pool_size"),
        ({"endpoint": "http://h", "bucket": "b"}, "unknown config key"),
    ],
)
def test_bad_config(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message) as info:
        Operator("http", **config)
    assert "s3cr3t" not in str(info.value)


def test_sub_scheme_is_refused() -> None:
    with pytest.raises(ConfigInvalid, match="sub-scheme"):
        Operator.from_uri("http+x://host/")


def test_config_strings_are_coerced(http_server: HttpServer, site: str) -> None:
    op = Operator.from_uri(f"{http_server.url}/{site}?timeout=5&pool_size=2")
    assert op.read("d/x.txt") == b"hello"


def test_pickles_by_config(http_server: HttpServer, site: str) -> None:
    by_scheme = Operator("http", endpoint=http_server.url, root=site)
    by_service = Operator.from_service(HttpService(endpoint=http_server.url, root=site))
    for op in (by_scheme, by_service):
        clone = pickle.loads(pickle.dumps(op))
        assert clone.read("d/x.txt") == b"hello"


# -- credentials ---------------------------------------------------------------------------


@pytest.fixture
def secured(http_server: HttpServer, site: str) -> str:
    """A site below /basic/ and /bearer/ (both need credentials); returns its name."""
    for area in ("basic", "bearer"):
        http_server.put(f"{area}/{site}/f.txt", b"secret data")
    return site


def _no_secret(text: str, server: HttpServer) -> None:
    for secret in (server.password, server.token):
        assert secret not in text


def test_basic_auth_by_config_by_uri_and_by_endpoint(http_server: HttpServer, secured: str) -> None:
    user, password, url = http_server.user, http_server.password, http_server.url
    hostport = url.split("://")[1]
    ops = [
        Operator("http", endpoint=url, root=f"basic/{secured}", username=user, password=password),
        Operator.from_uri(f"http://{user}:{password}@{hostport}/basic/{secured}"),
        Operator("http", endpoint=f"http://{user}:{password}@{hostport}", root=f"basic/{secured}"),
    ]
    for op in ops:
        assert op.read("f.txt") == b"secret data"
        assert op.stat("f.txt").content_length == 11
        for text in (repr(op), repr(op.stack[0].access), str(op.info())):
            _no_secret(text, http_server)
        assert "auth='basic'" in repr(op.stack[0].access)
        with pytest.raises(NotFound) as info:
            op.read("missing")
        _no_secret(str(info.value) + repr(info.value), http_server)


def test_bearer_token_by_config_by_query_and_by_header(
    http_server: HttpServer, secured: str
) -> None:
    url, token = http_server.url, http_server.token
    ops = [
        Operator("http", endpoint=url, root=f"bearer/{secured}", token=token),
        Operator.from_uri(f"{url}/bearer/{secured}?token={token}"),
        Operator(
            "http",
            endpoint=url,
            root=f"bearer/{secured}",
            headers={"Authorization": f"Bearer {token}"},
        ),
    ]
    for op in ops:
        assert op.read("f.txt", offset=7) == b"data"
        _no_secret(repr(op) + repr(op.stack[0].access), http_server)


def test_missing_or_wrong_credentials_are_permission_denied(
    http_server: HttpServer, secured: str
) -> None:
    url = http_server.url
    wrong_password = "wrong-password-also-secret"
    for op in (
        Operator("http", endpoint=url, root=f"basic/{secured}"),
        Operator(
            "http", endpoint=url, root=f"basic/{secured}", username="x", password=wrong_password
        ),
        Operator("http", endpoint=url, root=f"bearer/{secured}", token=wrong_password),
    ):
        with pytest.raises(PermissionDenied) as info:
            op.read("f.txt")
        assert isinstance(info.value, PermissionError)
        assert wrong_password not in str(info.value) + repr(op)


def test_credentials_never_in_connection_errors(http_server: HttpServer) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    op = Operator(
        "http",
        endpoint=endpoint,
        username="someone",
        password=http_server.password,
        headers={"X-Api-Key": http_server.token},
    )
    with pytest.raises(Unexpected) as info:
        op.read("f.bin")
    text = str(info.value) + repr(info.value) + repr(info.value.__cause__) + repr(op)
    _no_secret(text, http_server)


def test_authorization_is_sent_and_header_values_pass_through(
    http_server: HttpServer, secured: str
) -> None:
    op = Operator(
        "http",
        endpoint=http_server.url,
        root=f"bearer/{secured}",
        token=http_server.token,
        headers={"X-Trace": "abc"},
    )
    op.read("f.txt")
    method, _, headers = http_server.requests[-1]
    assert method == "GET"
    assert headers["Authorization"] == f"Bearer {http_server.token}"
    assert headers["X-Trace"] == "abc"


def test_headers_from_a_uri_query_must_be_a_json_object() -> None:
    with pytest.raises(ConfigInvalid, match="'headers' as text must be a JSON object"):
        Operator.from_uri("http://example.invalid/?headers=x")
    with pytest.raises(ConfigInvalid, match="'headers' must be a mapping of str to str"):
        Operator.from_uri("http://example.invalid/?headers=[1]")
