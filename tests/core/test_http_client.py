"""The HTTP client settings every HTTP service shares (``core/http_client.py``).

One vocabulary (the same keys, types and bounds on ``s3``, ``http`` and ``obstore``),
checked at build time, mapped to each client: a counting forward proxy on loopback
(``tests/forward_proxy.py``) sees the requests of each service when ``proxy`` is set, the
extra headers reach the wire, a CA bundle makes TLS to a loopback server with a private CA
work (and a missing one is refused at build), and timeouts and pool size reach botocore's,
urllib3's and obstore's client config.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import re
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from opendal_lab import ConfigInvalid, Operator, Unexpected
from opendal_lab.core.config import specs
from opendal_lab.core.http_client import HTTP_CLIENT_KEYS, HttpClientConfig
from opendal_lab.core.secrets import redact
from opendal_lab.services.http import HttpConfig, HttpService
from opendal_lab.services.obstore import ObstoreConfig, ObstoreService
from opendal_lab.services.s3 import S3Config, S3Service
from tests.forward_proxy import ForwardProxy
from tests.servers import HttpServer, MotoServer

CONFIGS = {"s3": S3Config, "http": HttpConfig, "obstore": ObstoreConfig}
PROXY_USER = "proxy-user"
PROXY_PASSWORD = "proxy-password-do-not-leak"


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    # The environment's proxy settings must not decide where the requests go.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with ForwardProxy() as running:
        yield running


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _header(headers: dict[str, str], name: str) -> str | None:
    """A header by name in any case (reqwest sends them lower-case)."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


# -- one vocabulary ------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", sorted(CONFIGS))
def test_every_http_service_declares_the_same_keys(scheme: str) -> None:
    declared = specs(CONFIGS[scheme])
    shared = specs(HttpClientConfig)
    for key in HTTP_CLIENT_KEYS:
        assert key in declared, f"{scheme} lacks {key!r}"
        assert declared[key] == shared[key], f"{scheme}: {key!r} is declared differently"
    assert "http_client" in declared


def test_text_is_coerced_and_checked() -> None:
    settings = HttpClientConfig.parse(
        {
            "connect_timeout": "5",
            "read_timeout": "0.5",
            "pool_size": "3",
            "verify_tls": "false",
            "headers": '{"X-A": "1"}',
        }
    )
    assert (settings.connect_timeout, settings.read_timeout, settings.pool_size) == (5.0, 0.5, 3)
    assert settings.verify_tls is False
    assert settings.headers == {"X-A": "1"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"connect_timeout": "0"}, "'http_client.connect_timeout' must be a positive"),
        ({"read_timeout": "-1"}, "'http_client.read_timeout' must be a positive"),
        ({"read_timeout": "inf"}, "'http_client.read_timeout' must be a positive, finite"),
        ({"connect_timeout": "soon"}, "'http_client.connect_timeout' must be a number"),
        ({"pool_size": "0"}, "'http_client.pool_size' must be >= 1"),
        ({"pool_size": "many"}, "'http_client.pool_size' must be an int"),
        ({"verify_tls": "maybe"}, "'http_client.verify_tls' must be a bool"),
        ({"pool_sise": "3"}, "has no key 'pool_sise' \\(did you mean 'pool_size'\\?\\)"),
        ({"proxy": "socks5://h:1"}, "'proxy' must look like 'http://host:port'"),
        ({"proxy": "http://h:99999"}, "'proxy' has a bad port"),
        ({"proxy": "http://h:1/path?x=1"}, "bare 'http://host:port'"),
        ({"headers": "X-A: 1"}, "JSON object"),
        ({"headers": '{"X A": "1"}'}, "'X A' is not a header name"),
        ({"headers": '{"X-A": 1}'}, "must map str to str"),
        ({"headers": '{"X-A": "1\\r\\nX-B: 2"}'}, "line break"),
        ({"headers": '{"Host": "h"}'}, "written by the client itself"),
    ],
)
def test_bad_values_are_refused_naming_the_key(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message):
        HttpClientConfig.parse(values)


def test_python_values_are_not_coerced() -> None:
    with pytest.raises(TypeError, match="'connect_timeout' must be a number of seconds"):
        HttpClientConfig(connect_timeout="5")  # type: ignore[arg-type]
    assert HttpClientConfig(connect_timeout=5).connect_timeout == 5.0


def test_plain_keys_win_over_the_bundle_and_headers_merge() -> None:
    bundle = HttpClientConfig(connect_timeout=3, pool_size=4, headers={"X-A": "1", "X-B": "2"})
    svc = HttpService(endpoint="http://h", http_client=bundle, pool_size=9, headers={"x-b": "3"})
    client = svc.client
    assert (client.connect_timeout, client.read_timeout, client.pool_size) == (3.0, 60.0, 9)
    assert client.headers == {"X-A": "1", "x-b": "3"}


def test_http_timeout_is_the_default_of_both_timeouts() -> None:
    svc = HttpService(endpoint="http://h", timeout=7, read_timeout=2)
    assert (svc.client.connect_timeout, svc.client.read_timeout) == (7.0, 2.0)


def test_proxy_credentials_and_header_values_stay_out_of_text() -> None:
    proxy = f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:3128"
    settings = HttpClientConfig(proxy=proxy, headers={"Authorization": "Bearer tok-do-not-leak"})
    cfg = S3Config(bucket="b", http_client=settings, proxy=proxy)
    for text in (repr(settings), repr(cfg), repr(HttpConfig(endpoint="http://h", proxy=proxy))):
        assert PROXY_PASSWORD not in text
        assert "tok-do-not-leak" not in text
        assert "***@127.0.0.1:3128" in text
    assert redact(f"failed via {proxy} with tok-do-not-leak") == (
        "failed via http://proxy-user:***@127.0.0.1:3128 with ***"
    )
    with pytest.raises(ConfigInvalid) as info:
        HttpClientConfig(proxy=f"http://u:{PROXY_PASSWORD}@h:99999")
    assert PROXY_PASSWORD not in str(info.value)


# -- refused at build time -----------------------------------------------------------------


def _build(scheme: str, **http: Any) -> Any:
    if scheme == "s3":
        return Operator("s3", bucket="b", region="us-east-1", allow_anonymous=True, **http)
    if scheme == "http":
        return Operator("http", endpoint="http://127.0.0.1:9", **http)
    return Operator("obstore", url="s3://b", allow_anonymous=True, region="us-east-1", **http)


@pytest.mark.parametrize("scheme", sorted(CONFIGS))
def test_a_missing_ca_bundle_is_refused_at_build(scheme: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(
        ConfigInvalid, match=re.escape(f"config 'ca_bundle': no such file '{missing}'")
    ):
        _build(scheme, ca_bundle=missing)
    with pytest.raises(ConfigInvalid, match=r"'http_client\.ca_bundle': no such file"):
        _build(scheme, http_client={"ca_bundle": missing})
    with pytest.raises(ConfigInvalid, match="is not a file"):
        _build(scheme, ca_bundle=tmp_path)


@pytest.mark.parametrize(
    "uri",
    [
        "s3://b?region=us-east-1&allow_anonymous=true&ca_bundle={missing}",
        "http://127.0.0.1:9/?ca_bundle={missing}",
        "obstore+s3://b?region=us-east-1&allow_anonymous=true&ca_bundle={missing}",
    ],
)
def test_a_missing_ca_bundle_in_a_uri_is_refused(uri: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(ConfigInvalid, match="config 'ca_bundle': no such file") as info:
        Operator.from_uri(uri.format(missing=missing))
    assert missing in str(info.value)


@pytest.mark.parametrize("scheme", sorted(CONFIGS))
@pytest.mark.parametrize(
    ("http", "message"),
    [
        ({"connect_timeout": 0}, "'connect_timeout' must be a positive"),
        ({"read_timeout": "nan"}, "'read_timeout' must be a positive"),
        ({"pool_size": "0"}, "'pool_size' must be >= 1"),
        ({"proxy": "ftp://h:1"}, "'proxy' must look like"),
        ({"headers": {"X-A": 1}}, "must map str to str"),
        ({"http_client": {"timeout": 1}}, "has no key 'timeout'"),
        ({"http_client": "proxy=x"}, "must be an HttpClientConfig or a mapping"),
    ],
)
def test_bad_settings_are_refused_by_every_service(
    scheme: str, http: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigInvalid, match=message) as info:
        _build(scheme, **http)
    assert f"service {scheme!r}" in str(info.value)


@pytest.mark.parametrize("scheme", sorted(CONFIGS))
def test_verify_off_with_a_ca_bundle_is_a_contradiction(scheme: str, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked before the contradiction\n")
    with pytest.raises(ConfigInvalid, match="verify_tls is false"):
        _build(scheme, ca_bundle=str(bundle), verify_tls=False)


def test_s3_refuses_an_authorization_header() -> None:
    with pytest.raises(ConfigInvalid, match="written by botocore's signer"):
        _build("s3", headers={"Authorization": "x"})


def test_obstore_local_store_refuses_http_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid, match="'proxy' is an HTTP client setting"):
        Operator("obstore", url=f"file://{tmp_path}", proxy="http://127.0.0.1:3128")
    with pytest.raises(ConfigInvalid, match="memory store makes no HTTP requests"):
        Operator("obstore", url="memory:///", http_client={"pool_size": 2})


def test_obstore_client_options_may_not_say_it_twice() -> None:
    with pytest.raises(ConfigInvalid, match=r"client_options 'proxy_url'.*give it once"):
        _build("obstore", proxy="http://h:1", client_options={"proxy_url": "http://h:2"})
    # Said once (in client_options alone), it stands over the default.
    op = _build("obstore", client_options={"pool_max_idle_per_host": "5"})
    assert _service(op, ObstoreService).store.client_options["pool_max_idle_per_host"] == "5"


# -- the settings reach each client ----------------------------------------------------------


def _service(op: Operator, cls: type[Any]) -> Any:
    service = op.stack[0].access
    assert isinstance(service, cls)
    return service


def test_s3_settings_reach_botocore(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")  # botocore reads it per connection
    op = _build(
        "s3",
        proxy="http://127.0.0.1:3128",
        ca_bundle=str(bundle),
        connect_timeout="2.5",
        read_timeout=7,
        pool_size=5,
    )
    client = _service(op, S3Service).core.client
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout, config.max_pool_connections) == (
        2.5,
        7.0,
        5,
    )
    assert config.proxies == {"http": "http://127.0.0.1:3128", "https": "http://127.0.0.1:3128"}
    assert client._endpoint.http_session._verify == str(bundle)
    unverified = _service(_build("s3", verify_tls=False), S3Service).core.client
    assert unverified._endpoint.http_session._verify is False


def test_s3_defaults_are_the_shared_defaults() -> None:
    config = _service(_build("s3"), S3Service).core.client.meta.config
    assert (config.connect_timeout, config.read_timeout, config.max_pool_connections) == (
        10.0,
        60.0,
        32,
    )
    assert config.proxies is None


def test_http_settings_reach_urllib3(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    svc = _service(
        Operator.from_uri(
            "http://127.0.0.1:9/?proxy=http://u:p4ss@127.0.0.1:3128&connect_timeout=2"
            f"&read_timeout=3&pool_size=4&ca_bundle={bundle}"
        ),
        HttpService,
    )
    pool = svc.pool
    assert isinstance(pool, urllib3.ProxyManager)
    assert pool.proxy is not None
    assert pool.proxy.url == "http://127.0.0.1:3128"
    assert pool.proxy_headers["proxy-authorization"] == _basic("u", "p4ss")
    kw = pool.connection_pool_kw
    assert (kw["maxsize"], kw["ca_certs"], kw["cert_reqs"]) == (4, str(bundle), "CERT_REQUIRED")
    assert (kw["timeout"].connect_timeout, kw["timeout"].read_timeout) == (2.0, 3.0)
    plain = _service(_build("http", verify_tls=False), HttpService).pool
    assert type(plain) is urllib3.PoolManager
    assert plain.connection_pool_kw["cert_reqs"] == "CERT_NONE"


def test_http_pickles_with_its_settings() -> None:
    import pickle

    op = _build("http", http_client=HttpClientConfig(pool_size=3), read_timeout=4)
    clone = _service(pickle.loads(pickle.dumps(op)), HttpService)
    assert (clone.client.pool_size, clone.client.read_timeout) == (3, 4.0)


def test_obstore_settings_reach_its_client_config(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    ca = _TlsFiles.make(tmp_path)
    bundle.write_bytes(ca.ca_pem)
    op = _build(
        "obstore",
        proxy="http://127.0.0.1:3128",
        ca_bundle=str(bundle),
        connect_timeout=2,
        read_timeout=3,
        pool_size=4,
        headers={"X-Trace": "abc"},
    )
    options = _service(op, ObstoreService).store.client_options
    assert options["proxy_url"] == "http://127.0.0.1:3128"
    assert options["root_certificate"] == ca.ca_pem
    # obstore hands durations back as its duration strings.
    assert (options["connect_timeout"], options["read_timeout"]) == ("2s", "3s")
    assert options["pool_max_idle_per_host"] == "4"
    assert options["default_headers"] == {"x-trace": b"abc"}
    unverified = _service(_build("obstore", verify_tls=False), ObstoreService)
    assert unverified.store.client_options["allow_invalid_certificates"] == "true"


# -- on the wire: a forward proxy sees every request -------------------------------------------


def _proxied(proxy: ForwardProxy) -> str:
    return proxy.with_credentials(PROXY_USER, PROXY_PASSWORD)


def test_s3_goes_through_the_proxy(
    moto_server: MotoServer, s3_bucket: str, proxy: ForwardProxy
) -> None:
    bundle = HttpClientConfig(proxy=_proxied(proxy), headers={"X-Trace": "s3-through-proxy"})
    op = Operator("s3", **moto_server.config(s3_bucket), http_client=bundle, max_attempts=1)
    op.write("d/f.txt", b"hello")
    assert op.read("d/f.txt") == b"hello"
    assert "d/f.txt" in [e.path for e in op.list("d/")]
    assert proxy.direct == 0
    methods = [s.method for s in proxy.seen]
    assert {"PUT", "GET"} <= set(methods)
    assert len(methods) >= 3
    for seen in proxy.seen:
        assert seen.url.startswith(f"{moto_server.endpoint}/{s3_bucket}")
        assert _header(seen.headers, "Proxy-Authorization") == _basic(PROXY_USER, PROXY_PASSWORD)
        assert _header(seen.headers, "X-Trace") == "s3-through-proxy"
        # Signed with the request: moto checks the signature, and accepted it.
        assert "x-trace" in (_header(seen.headers, "Authorization") or "")
    # Presigned URLs carry no extra header their users would have to send.
    assert "x-trace" not in op.presign_read("d/f.txt", 60).url.lower()


def test_http_goes_through_the_proxy(http_server: HttpServer, proxy: ForwardProxy) -> None:
    site = f"p-{uuid.uuid4().hex[:12]}"
    http_server.put(f"{site}/f.bin", b"0123456789")
    op = Operator.from_uri(
        f"{http_server.url}/{site}?proxy={_proxied(proxy)}&headers=" + '{"X-Trace":"via-http"}'
    )
    assert op.read("f.bin", offset=2, size=3) == b"234"
    assert op.stat("f.bin").content_length == 10
    assert [(s.method, s.url) for s in proxy.seen] == [
        ("GET", f"{http_server.url}/{site}/f.bin"),
        ("HEAD", f"{http_server.url}/{site}/f.bin"),
    ]
    assert proxy.direct == 0
    for seen in proxy.seen:
        assert _header(seen.headers, "Proxy-Authorization") == _basic(PROXY_USER, PROXY_PASSWORD)
    # The extra header reached the server; the proxy's credentials did not.
    served = [h for _, p, h in http_server.requests if f"/{site}/" in p]
    assert len(served) == 2
    for headers in served:
        assert headers["X-Trace"] == "via-http"
        assert _header(headers, "Proxy-Authorization") is None


def test_obstore_goes_through_the_proxy(
    moto_server: MotoServer, s3_bucket: str, proxy: ForwardProxy
) -> None:
    config: dict[str, Any] = moto_server.config(s3_bucket)
    config["url"] = f"s3://{config.pop('bucket')}/pre"
    op = Operator(
        "obstore",
        **config,
        allow_http=True,
        max_retries=0,
        proxy=_proxied(proxy),
        headers={"X-Trace": "obstore-through-proxy"},
    )
    op.write("f.txt", b"hello")
    assert op.read("f.txt") == b"hello"
    assert proxy.direct == 0
    assert {"PUT", "GET"} <= {s.method for s in proxy.seen}
    for seen in proxy.seen:
        assert seen.url.startswith(f"{moto_server.endpoint}/{s3_bucket}/pre/")
        assert _header(seen.headers, "Proxy-Authorization") == _basic(PROXY_USER, PROXY_PASSWORD)
        assert _header(seen.headers, "X-Trace") == "obstore-through-proxy"
    body = moto_server.client().get_object(Bucket=s3_bucket, Key="pre/f.txt")["Body"].read()
    assert body == b"hello"


def test_without_a_proxy_nothing_goes_through_it(
    http_server: HttpServer, proxy: ForwardProxy
) -> None:
    http_server.put("direct/f", b"x")
    assert Operator("http", endpoint=http_server.url).read("direct/f") == b"x"
    assert proxy.requests == 0


# -- a CA bundle on the wire: TLS to a loopback server signed by a private CA -------------------


class _TlsFiles:
    """A private CA and a server certificate for 127.0.0.1 it signed (PEM bytes)."""

    def __init__(self, ca_pem: bytes, cert_pem: bytes, key_pem: bytes) -> None:
        self.ca_pem, self.cert_pem, self.key_pem = ca_pem, cert_pem, key_pem

    @classmethod
    def make(cls, tmp_path: Path) -> _TlsFiles:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "opendal-lab test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        key_pem = key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(ca.public_bytes(pem), cert.public_bytes(pem), key_pem)


class _Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        data = b"over tls"
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if body:
            self.wfile.write(data)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https server on loopback whose certificate a private CA signed: (url, CA file)."""
    files = _TlsFiles.make(tmp_path)
    (tmp_path / "server.pem").write_bytes(files.cert_pem + files.key_pem)
    (tmp_path / "ca.pem").write_bytes(files.ca_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "server.pem")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", tmp_path / "ca.pem"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_http_trusts_the_ca_bundle(tls_server: tuple[str, Path]) -> None:
    url, ca = tls_server
    with pytest.raises(Unexpected, match="TLS with"):
        Operator("http", endpoint=url).read("f")
    assert Operator("http", endpoint=url, ca_bundle=str(ca)).read("f") == b"over tls"
    unverified = Operator("http", endpoint=url, verify_tls=False)
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):  # urllib3's, each request
        assert unverified.read("f") == b"over tls"


def test_obstore_trusts_the_ca_bundle(tls_server: tuple[str, Path]) -> None:
    url, ca = tls_server
    untrusted = Operator("obstore", url=url, max_retries=0)
    with pytest.raises(Unexpected, match="UnknownIssuer"):
        untrusted.read("f")
    trusted = Operator("obstore", url=url, ca_bundle=str(ca), max_retries=0)
    assert trusted.read("f") == b"over tls"
    unverified = Operator("obstore", url=url, verify_tls=False, max_retries=0)
    assert unverified.read("f") == b"over tls"
