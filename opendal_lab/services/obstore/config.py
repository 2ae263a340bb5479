"""obstore config: the keys ``Operator("obstore", ...)`` accepts, and the obstore store built
from them.

``url`` names the store and where in it the operator is rooted, as obstore reads URLs:
``s3://bucket/prefix``, ``gs://bucket/prefix``, ``az://container/prefix`` (the account from
``account_name``), ``https://host/path`` (a plain HTTP/WebDAV server), ``file:///abs/dir``,
``memory:///``. ``root`` goes below the URL's path. The common store options have keys of
their own, named as our ``s3`` service names them where it has one (``endpoint``, ``region``,
``access_key_id``, ``allow_anonymous``, ``enable_virtual_host_style``); anything else
obstore's builders take goes in ``options`` (``{"request_payer": "true"}``), checked by
obstore itself. The HTTP client takes the keys every HTTP service shares
(``core/http_client.py``: ``proxy``, ``ca_bundle``, ``verify_tls``, ``connect_timeout``,
``read_timeout``, ``pool_size``, ``headers``, or ``http_client``), mapped to obstore's
``ClientConfig`` (``proxy_url``, ``root_certificate``, ``allow_invalid_certificates``,
``connect_timeout``, ``read_timeout``, ``pool_max_idle_per_host``, ``default_headers``);
``timeout`` stays obstore's own (a whole request, body included) and ``client_options``
takes any other ``ClientConfig`` key. A local or memory store refuses the HTTP keys: it
makes no requests.

Credentials are checked before any request: obstore, lacking keys, asks the cloud's
instance metadata endpoint, which off the cloud either fails with an error that does not
say what is missing or, where the address does not answer, retries for minutes. So a store
that needs credentials and is given none (no key here, none of its environment variables,
no ``credential_provider``) is refused with ``ConfigInvalid`` naming what to give, unless
``instance_metadata=True`` says the metadata endpoint is where they are.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from opendal_lab.core.config import Check
from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.http_client import (
    HTTP_CLIENT_KEYS,
    CaBundle,
    ConnectTimeout,
    Headers,
    HttpClientConfig,
    HttpClientField,
    PoolSize,
    Proxy,
    ReadTimeout,
    VerifyTls,
    client_settings,
    shown_proxy,
)
from opendal_lab.core.secrets import register_secret

__all__ = ["KINDS", "ObstoreConfig", "build_store", "store_kind"]

SCHEME = "obstore"
MIB = 1024 * 1024
_AT_LEAST_1 = Check(ge=1)
_SECONDS = Check(gt=0, finite=True, unit="seconds")

#: URL scheme -> the kind of store obstore builds for it (obstore's ``parse_scheme``).
KINDS = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "az": "azure",
    "adl": "azure",
    "azure": "azure",
    "abfs": "azure",
    "abfss": "azure",
    "http": "http",
    "https": "http",
    "file": "local",
    "memory": "memory",
}
_URL_FORMS = (
    "'s3://bucket/prefix', 'gs://bucket/prefix', 'az://container/prefix', "
    "'https://host/path', 'file:///abs/dir', 'memory:///'"
)
_SECRET_KEYS = ("secret_access_key", "session_token", "account_key", "sas_key")

# The shared HTTP client keys -> the obstore ``ClientConfig`` key each one sets.
_CLIENT_NAMES = {
    "proxy": "proxy_url",
    "ca_bundle": "root_certificate",
    "verify_tls": "allow_invalid_certificates",
    "connect_timeout": "connect_timeout",
    "read_timeout": "read_timeout",
    "pool_size": "pool_max_idle_per_host",
    "headers": "default_headers",
}

# Environment variables that hand obstore credentials of each kind (object_store's names).
_CREDENTIAL_ENV = {
    "s3": (
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_SKIP_SIGNATURE",
    ),
    "azure": (
        "AZURE_STORAGE_ACCOUNT_KEY",
        "AZURE_STORAGE_ACCESS_KEY",
        "AZURE_STORAGE_SAS_KEY",
        "AZURE_STORAGE_TOKEN",
        "AZURE_STORAGE_CLIENT_SECRET",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_STORAGE_USE_EMULATOR",
        "AZURE_USE_AZURE_CLI",
        "AZURE_SKIP_SIGNATURE",
    ),
    "gcs": (
        "GOOGLE_SERVICE_ACCOUNT",
        "GOOGLE_SERVICE_ACCOUNT_PATH",
        "GOOGLE_SERVICE_ACCOUNT_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_SKIP_SIGNATURE",
    ),
}
# Store option keys (ours or obstore's, in ``options``) that carry credentials.
_CREDENTIAL_OPTIONS = {
    "s3": ("access_key_id", "web_identity_token_file", "skip_signature"),
    "azure": (
        "account_key",
        "access_key",
        "sas_key",
        "sas_token",
        "token",
        "bearer_token",
        "client_secret",
        "federated_token_file",
        "use_azure_cli",
        "use_emulator",
        "skip_signature",
    ),
    "gcs": ("service_account", "service_account_path", "service_account_key", "skip_signature"),
}
_CREDENTIAL_HINTS = {
    "s3": "access_key_id and secret_access_key (or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY), or allow_anonymous=true for a public bucket; obstore does not "
    "read ~/.aws profiles",
    "azure": "account_key (or AZURE_STORAGE_ACCOUNT_KEY), a SAS key in options "
    "{'sas_key': ...}, use_emulator=true for Azurite, or allow_anonymous=true",
    "gcs": "options {'service_account_path': ...} (or GOOGLE_APPLICATION_CREDENTIALS), or "
    "allow_anonymous=true",
}
# gcloud's application default credentials, which object_store also reads.
_GCLOUD_ADC = Path("~/.config/gcloud/application_default_credentials.json")


@dataclass
class ObstoreConfig:
    """Every key of the obstore service: the one declaration that ``ObstoreService``'s
    signature, ``Operator("obstore", ...)``, ``obstore+<scheme>://`` URIs and their checks
    come from."""

    #: The store and its prefix, as obstore reads URLs.
    url: Annotated[str, Check(doc="s3://, gs://, az://, http(s)://, file://, memory://")] = ""
    #: A directory below the URL's path that every key is relative to.
    root: str = "/"
    endpoint: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    #: Azure: the storage account (also from an ``abfs://container@account...`` URL).
    account_name: str | None = None
    account_key: str | None = None
    #: Azure: talk to Azurite with its well-known account and key.
    use_emulator: bool = False
    #: Send unsigned requests (public buckets and containers).
    allow_anonymous: bool = False
    #: Take credentials from the cloud's instance metadata endpoint (EC2, Azure VMs, GCE).
    instance_metadata: bool = False
    #: S3: ``https://bucket.endpoint`` rather than ``https://endpoint/bucket``.
    enable_virtual_host_style: bool = False
    #: Plain ``http://`` endpoints (Azurite, MinIO, moto on loopback).
    allow_http: bool = False
    #: Any other key obstore's store builder takes, by obstore's name.
    options: dict[str, Any] | None = None
    #: obstore's HTTP client options (``ClientConfig``), by obstore's names.
    client_options: dict[str, Any] | None = None
    #: A callable obstore asks for credentials (``obstore.auth`` has providers).
    credential_provider: Callable[..., Any] | None = None
    #: Retries per request on transient failures (5xx, throttling, dropped connections).
    max_retries: Annotated[int, Check(ge=0)] = 10
    #: Seconds a request (and its retries) may take, overall.
    timeout: Annotated[float, _SECONDS] = 60.0
    #: Multipart part size of streaming writes (the ``chunk`` write option overrides it).
    part_size: Annotated[int, Check(ge=5 * MIB, says="at least 5 MiB")] = 8 * MIB
    #: Parts in flight per streaming write (the ``concurrent`` write option overrides it).
    write_concurrency: Annotated[int, _AT_LEAST_1] = 8
    # -- the HTTP client: the keys every HTTP service shares (``core/http_client.py``) --
    http_client: HttpClientField = None
    proxy: Proxy = None
    #: Added to obstore's trusted roots (``root_certificate``), not replacing them.
    ca_bundle: CaBundle = None
    verify_tls: VerifyTls = None
    connect_timeout: ConnectTimeout = None
    read_timeout: ReadTimeout = None
    pool_size: PoolSize = None
    headers: Headers = None

    def __post_init__(self) -> None:
        if not self.url:
            raise ConfigInvalid(
                f"config 'url' is required: Operator('obstore', url='s3://bucket/prefix') or "
                f"Operator.from_uri('obstore+s3://bucket/prefix'); url forms: {_URL_FORMS}",
                service=SCHEME,
            )
        store_kind(self.url)  # refuses an unknown scheme or a URL without a bucket
        if bool(self.access_key_id) != bool(self.secret_access_key):
            given, missing = (
                ("access_key_id", "secret_access_key")
                if self.access_key_id
                else ("secret_access_key", "access_key_id")
            )
            raise ConfigInvalid(
                f"config {given!r} is set but {missing!r} is not: give both, or neither",
                service=SCHEME,
            )
        for key in _SECRET_KEYS:
            register_secret(getattr(self, key, None))
        for key, value in (self.options or {}).items():
            if any(word in key for word in ("secret", "key", "token", "password")):
                register_secret(str(value))
        self.client: HttpClientConfig = client_settings(self, SCHEME)
        http_keys = [k for k in ("http_client", *HTTP_CLIENT_KEYS) if getattr(self, k) is not None]
        if http_keys and store_kind(self.url) in ("local", "memory"):
            raise ConfigInvalid(
                f"config {http_keys[0]!r} is an HTTP client setting, and a "
                f"{store_kind(self.url)} store makes no HTTP requests",
                service=SCHEME,
            )
        both = [
            name
            for key, name in _CLIENT_NAMES.items()
            if name in (self.client_options or {}) and self._sets(key)
        ]
        if both:
            raise ConfigInvalid(
                f"client_options {both[0]!r} and the HTTP client setting it comes from are "
                "both given: give it once",
                service=SCHEME,
            )

    def _sets(self, key: str) -> bool:
        """Whether the user set the shared key ``key`` (plainly or in ``http_client``)."""
        if getattr(self, key) is not None:
            return True
        bundle = self.http_client
        if isinstance(bundle, HttpClientConfig):
            return getattr(bundle, key) is not None
        return isinstance(bundle, Mapping) and bundle.get(key) is not None

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value and (f.name in _SECRET_KEYS or f.name == "options"):
                value = "***" if f.name != "options" else {k: "***" for k in value}
            elif f.name == "proxy" and value:
                value = shown_proxy(value)
            elif f.name == "headers" and value:
                value = {name: "***" for name in value}
            shown.append(f"{f.name}={value!r}")
        return f"ObstoreConfig({', '.join(shown)})"


def store_kind(url: str) -> str:
    """``s3``, ``gcs``, ``azure``, ``http``, ``local`` or ``memory`` for a store URL;
    ``ConfigInvalid`` for a scheme obstore has no store for, or a URL that names no bucket."""
    parts = urlsplit(url)
    kind = KINDS.get(parts.scheme.lower())
    if kind is None or "://" not in url:
        raise ConfigInvalid(
            f"obstore has no store for {url!r}: give one of {_URL_FORMS}", service=SCHEME
        )
    if kind in ("s3", "gcs", "azure", "http") and not parts.netloc:
        what = {"s3": "bucket", "gcs": "bucket", "azure": "container", "http": "host"}[kind]
        raise ConfigInvalid(
            f"the url {url!r} names no {what}: {parts.scheme}://<{what}>/<prefix>",
            service=SCHEME,
        )
    return kind


def store_url(cfg: ObstoreConfig) -> str:
    """``cfg.url`` with ``cfg.root`` appended to its path (obstore's prefix)."""
    parts = urlsplit(cfg.url)
    below = "/".join(p for p in (parts.path.strip("/"), cfg.root.strip("/")) if p)
    path = "/" + below if below else ("/" if parts.scheme in ("file", "memory") else "")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def build_store(cfg: ObstoreConfig) -> tuple[Any, str]:
    """The obstore store for ``cfg`` and its kind; obstore's refusals become ``ConfigInvalid``."""
    import obstore.store

    # Typed Any: obstore's stubs want TypedDicts per store kind, built here as plain dicts.
    from_url: Any = obstore.store.from_url
    kind = store_kind(cfg.url)
    url = store_url(cfg)
    if kind == "local":
        # automatic_cleanup: a directory goes with its last file, as a prefix does.
        return from_url(url, mkdir=True, automatic_cleanup=True), kind
    if kind == "memory":
        return from_url(url), kind
    options = _store_options(cfg, kind)
    _check_credentials(cfg, kind, options)
    client = _client_options(cfg.client)
    client["timeout"] = timedelta(seconds=cfg.timeout)
    if cfg.allow_http:
        client["allow_http"] = True
    client.update(cfg.client_options or {})
    retry = {"max_retries": cfg.max_retries, "retry_timeout": timedelta(seconds=cfg.timeout)}
    extra: dict[str, Any] = {}
    if cfg.credential_provider is not None:
        extra["credential_provider"] = cfg.credential_provider
    try:
        store = from_url(url, client_options=client, retry_config=retry, **extra, **options)
    except Exception as err:
        from opendal_lab.services.obstore.core import map_error

        mapped = map_error(err, "", None)
        raise ConfigInvalid(
            f"obstore refused the {kind} store {url!r}: {mapped.message}", service=SCHEME
        ) from err
    return store, kind


def _client_options(http: HttpClientConfig) -> dict[str, Any]:
    """The shared HTTP client settings under obstore's ``ClientConfig`` names."""
    # Never None after client_settings: DEFAULTS sets both.
    assert http.connect_timeout is not None
    assert http.read_timeout is not None
    client: dict[str, Any] = {
        "connect_timeout": timedelta(seconds=http.connect_timeout),
        "read_timeout": timedelta(seconds=http.read_timeout),
        "pool_max_idle_per_host": str(http.pool_size),
    }
    if http.proxy is not None:
        client["proxy_url"] = http.proxy  # reqwest sends its credentials itself
    if http.ca_bundle is not None:
        client["root_certificate"] = Path(http.ca_bundle).read_bytes()
    elif not http.verify:
        client["allow_invalid_certificates"] = True
    if http.headers:
        client["default_headers"] = dict(http.headers)
    return client


def _store_options(cfg: ObstoreConfig, kind: str) -> dict[str, Any]:
    """Our keys under obstore's names for ``kind``, then ``cfg.options`` on top."""
    out: dict[str, Any] = {}
    if kind == "s3":
        named = {
            "endpoint": cfg.endpoint,
            "region": cfg.region,
            "access_key_id": cfg.access_key_id,
            "secret_access_key": cfg.secret_access_key,
            "session_token": cfg.session_token,
        }
        out.update({k: v for k, v in named.items() if v is not None})
        if cfg.enable_virtual_host_style:
            out["virtual_hosted_style_request"] = True
    elif kind == "azure":
        named = {
            "endpoint": cfg.endpoint,
            "account_name": cfg.account_name,
            "account_key": cfg.account_key,
        }
        out.update({k: v for k, v in named.items() if v is not None})
        if cfg.use_emulator:
            out["use_emulator"] = True
    elif kind == "gcs" and cfg.endpoint is not None:
        out["base_url"] = cfg.endpoint
    if cfg.allow_anonymous and kind in ("s3", "azure", "gcs"):
        out["skip_signature"] = True
    out.update(cfg.options or {})
    for key in ("region", "endpoint", "account_name", "account_key", "access_key_id"):
        if key in out and kind == "http":
            raise ConfigInvalid(f"config {key!r} means nothing to an http store", service=SCHEME)
    return out


def _check_credentials(cfg: ObstoreConfig, kind: str, options: dict[str, Any]) -> None:
    """Refuse a cloud store that has no credentials from anywhere (module docstring)."""
    if kind not in _CREDENTIAL_ENV or cfg.instance_metadata or cfg.credential_provider:
        return
    if any(options.get(key) for key in _CREDENTIAL_OPTIONS[kind]):
        return
    if any(os.environ.get(name) for name in _CREDENTIAL_ENV[kind]):
        return
    if kind == "gcs" and _GCLOUD_ADC.expanduser().is_file():
        return
    raise ConfigInvalid(
        f"no credentials for the {kind} store {cfg.url!r}: give {_CREDENTIAL_HINTS[kind]}; "
        "instance_metadata=true takes them from the cloud's instance metadata endpoint",
        service=SCHEME,
    )
