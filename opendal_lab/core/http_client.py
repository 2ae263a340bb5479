"""HttpClientConfig: the connection settings every service that speaks HTTP takes, in one
vocabulary (the RFC's HttpClient, the piece of core the services share).

The keys
--------
=================== ================================================================
``proxy``           ``http(s)://[user:password@]host:port``: every request goes through it
                    (the credentials, if any, as ``Proxy-Authorization: Basic``)
``ca_bundle``       a PEM file of CA certificates to trust for TLS; must exist when the
                    service is built
``verify_tls``      ``False`` skips TLS certificate checks (default: checked)
``connect_timeout`` seconds to open a connection (default 10)
``read_timeout``    seconds to wait for the next bytes of an answer (default 60)
``pool_size``       connections kept open per host (default 32; more are opened when
                    threads need them, and closed after)
``headers``         extra headers sent with every request (a dict; from text, a JSON object)
=================== ================================================================

The ``s3``, ``http`` and ``obstore`` services take them the same two ways, and map them to
their client (botocore's ``Config`` and ``verify``, urllib3's ``PoolManager`` or
``ProxyManager``, obstore's ``ClientConfig``):

- as plain config keys, so ``Operator("s3", bucket="b", proxy="http://proxy:3128")``,
  ``s3://b?proxy=http://proxy:3128&connect_timeout=5`` and fsspec ``storage_options`` all
  work (text is coerced and checked like any service key);
- bundled: ``http_client=HttpClientConfig(...)`` (or a dict of the same keys), one object a
  program sets once and hands to every operator. A plain key given beside it wins over the
  bundle's value for that key; what neither sets is the service's default.

Everything is checked when the service is built: a ``ca_bundle`` that is not a readable file,
a proxy that is not an ``http(s)://host`` URL, a timeout that is not a positive finite
number, a ``pool_size`` below 1, a header that is not ``str: str`` (or would split the
request: a line break in it) are ``ConfigInvalid`` naming the key; so are
``verify_tls=False`` with a ``ca_bundle`` (one says trust nothing, the other trust these).

Where the clients differ: on ``s3`` and ``http`` the bundle replaces the default trust store
(as ``verify=path`` in botocore and requests); obstore adds it to its roots
(``root_certificate``), so public endpoints still verify there. With no ``proxy`` set, each
client keeps its habit: botocore and obstore follow ``HTTP_PROXY`` / ``HTTPS_PROXY`` from the
environment, urllib3 (the ``http`` service) goes direct. ``s3`` signs the extra headers
with each request and leaves them out of presigned URLs (and refuses ``Authorization``, its
signer's). ``http`` keeps ``timeout`` (both timeouts at once, below the specific keys) and
obstore its ``timeout`` (a whole request, body included) beside the shared keys. A proxy's
password and the
value of a header whose name says it is a credential (``Authorization``, ``Cookie``,
anything with ``key``, ``token``, ``secret``...) are registered with ``core.secrets``: they
never appear in a ``repr`` or an error message.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from opendal_lab.core.config import (
    Check,
    Voice,
    check_values,
    did_you_mean,
    is_secret,
    layer_voice,
    specs,
)
from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.secrets import register_secret

__all__ = [
    "HTTP_CLIENT_KEYS",
    "DEFAULTS",
    "CaBundle",
    "ConnectTimeout",
    "Headers",
    "HttpClientConfig",
    "HttpClientField",
    "PoolSize",
    "Proxy",
    "ReadTimeout",
    "VerifyTls",
    "client_settings",
    "proxy_without_credentials",
    "shown_proxy",
]

#: The shared keys, in the order services declare them.
HTTP_CLIENT_KEYS = (
    "proxy",
    "ca_bundle",
    "verify_tls",
    "connect_timeout",
    "read_timeout",
    "pool_size",
    "headers",
)

# The declarations each service copies into its config dataclass (``None``: not set there,
# the bundle's or the service's default applies). One alias per key keeps the vocabulary,
# its bounds and its words identical across services; a test holds them to it.
Proxy = Annotated[
    str | None, Check(doc="http(s)://[user:password@]host:port that every request goes through")
]
CaBundle = Annotated[
    str | None, Check(path=True, doc="a PEM file of CA certificates trusted for TLS")
]
VerifyTls = Annotated[bool | None, Check(doc="false: no TLS certificate checks (unset: true)")]
_SECONDS = Check(gt=0, finite=True, unit="seconds")
ConnectTimeout = Annotated[float | None, _SECONDS, Check(doc="to open a connection (unset: 10)")]
ReadTimeout = Annotated[
    float | None, _SECONDS, Check(doc="to wait for the next bytes of an answer (unset: 60)")
]
PoolSize = Annotated[int | None, Check(ge=1, doc="connections kept open per host (unset: 32)")]
Headers = Annotated[
    dict[str, str] | None,
    Check(own=True, doc="sent with every request; from text, a JSON object"),
]

# RFC 9110 token characters: what a header name may be made of.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Headers the clients write themselves: one given here would be sent twice or contradict
# the body (framing) or the URL.
_CLIENT_OWNED = {"host", "content-length", "transfer-encoding", "connection"}
_CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}
# A Python call gets no text coercion: "5" for a timeout is a TypeError.
_PYTHON_VOICE = layer_voice("HttpClientConfig")


@dataclass(frozen=True, repr=False)
class HttpClientConfig:
    """The connection settings of an HTTP service (module docstring: keys, precedence).

    ``None`` means "not set here": the service's default applies. Built from Python values
    (strict types: ``"5"`` for a timeout is a ``TypeError``) or, with ``parse``, from text.
    """

    proxy: Proxy = None
    ca_bundle: CaBundle = None
    verify_tls: VerifyTls = None
    connect_timeout: ConnectTimeout = None
    read_timeout: ReadTimeout = None
    pool_size: PoolSize = None
    headers: Headers = None

    def __post_init__(self) -> None:
        given = {k: getattr(self, k) for k in HTTP_CLIENT_KEYS if k != "headers"}
        checked = check_values(specs(HttpClientConfig), given, _PYTHON_VOICE, text=False)
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "headers", _headers(self.headers, "headers", text=False))
        if self.proxy is not None:
            _check_proxy(self.proxy, "proxy")

    @classmethod
    def parse(cls, values: Mapping[str, Any], *, key: str = "http_client") -> HttpClientConfig:
        """The settings in ``values`` (a config file's, a URI's: text is coerced, ``"5"``
        for a timeout is 5.0, headers may be a JSON object); an unknown key is refused with
        the valid ones. ``key`` names where they came from in messages."""
        if not isinstance(values, Mapping):
            raise ConfigInvalid(
                f"config {key!r} must be an HttpClientConfig or a mapping of "
                f"{', '.join(HTTP_CLIENT_KEYS)}, got {type(values).__name__}"
            )
        declared = specs(HttpClientConfig)
        rest = {k: v for k, v in values.items() if k != "headers"}
        checked = check_values(declared, rest, _text_voice(key), text=True)
        if "headers" in values:
            checked["headers"] = _headers(values["headers"], f"{key}.headers", text=True)
        return cls(**checked)

    def merged(self, over: HttpClientConfig) -> HttpClientConfig:
        """These settings with every key ``over`` sets on top; headers merge by name (any
        case), ``over``'s value winning."""
        changes = {k: getattr(over, k) for k in HTTP_CLIENT_KEYS if getattr(over, k) is not None}
        if self.headers and over.headers:
            replaced = {name.lower() for name in over.headers}
            kept = {k: v for k, v in self.headers.items() if k.lower() not in replaced}
            changes["headers"] = {**kept, **over.headers}
        return dataclasses.replace(self, **changes)

    @property
    def verify(self) -> bool:
        """Whether TLS certificates are checked (``verify_tls`` unset means yes)."""
        return self.verify_tls is not False

    def as_dict(self) -> dict[str, Any]:
        """The keys that are set, as plain values (what ``parse`` reads back)."""
        return {k: getattr(self, k) for k in HTTP_CLIENT_KEYS if getattr(self, k) is not None}

    def __repr__(self) -> str:
        shown = []
        for key, value in self.as_dict().items():
            if key == "proxy":
                value = shown_proxy(value)
            elif key == "headers":
                value = {name: "***" for name in value}
            shown.append(f"{key}={value!r}")
        return f"HttpClientConfig({', '.join(shown)})"

    def __hash__(self) -> int:
        headers = tuple(sorted((self.headers or {}).items()))
        return hash((*(getattr(self, k) for k in HTTP_CLIENT_KEYS[:-1]), headers))


#: What a service field holding a bundle is declared as (checked by ``client_settings``).
HttpClientField = Annotated[
    HttpClientConfig | dict[str, Any] | None,
    Check(
        own=True,
        expected="an HttpClientConfig or a dict of its keys",
        doc="the keys below, bundled; a key given plainly wins",
    ),
]


def client_settings(
    config: Any, scheme: str, defaults: HttpClientConfig | None = None
) -> HttpClientConfig:
    """The settings a service's client is built with: ``defaults``, then the
    ``http_client`` bundle of ``config``, then its plain keys; checked for use now (the CA
    bundle must exist), secrets registered. ``ConfigInvalid`` names the key at fault."""
    bundle = getattr(config, "http_client", None)
    if bundle is None:
        bundled = HttpClientConfig()
    elif isinstance(bundle, HttpClientConfig):
        bundled = bundle
    else:
        bundled = _for_service(scheme, lambda: HttpClientConfig.parse(bundle))
    plain = {k: getattr(config, k, None) for k in HTTP_CLIENT_KEYS}
    given = {k: v for k, v in plain.items() if v is not None}
    if "headers" in given:
        given["headers"] = _for_service(
            scheme, lambda: _headers(given["headers"], "headers", text=True)
        )
    flat = _for_service(scheme, lambda: HttpClientConfig(**given))
    settings = (DEFAULTS if defaults is None else defaults).merged(bundled).merged(flat)
    _for_service(scheme, lambda: _check_usable(settings, given))
    _register_secrets(settings)
    return settings


def _for_service(scheme: str, build: Any) -> Any:
    """``build()``, its ``ConfigInvalid`` (or ``TypeError``) worded for ``scheme``."""
    try:
        return build()
    except (ConfigInvalid, TypeError) as err:
        message = err.message if isinstance(err, ConfigInvalid) else str(err)
        raise ConfigInvalid(f"service {scheme!r}: {message}", service=scheme) from None


def _where(key: str, given: Mapping[str, Any]) -> str:
    """How a message names ``key``: plain, or inside the bundle."""
    return repr(key) if key in given else repr(f"http_client.{key}")


def _check_usable(settings: HttpClientConfig, given: Mapping[str, Any]) -> None:
    """What can only be checked at build time, where the client will be made."""
    bundle = settings.ca_bundle
    if bundle is not None:
        where = _where("ca_bundle", given)
        if not settings.verify:
            raise ConfigInvalid(
                f"config {where} is set but verify_tls is false: trust these certificates, "
                "or check none, not both"
            )
        if not os.path.exists(bundle):
            raise ConfigInvalid(f"config {where}: no such file {bundle!r}")
        if not os.path.isfile(bundle):
            raise ConfigInvalid(f"config {where}: {bundle!r} is not a file (a PEM bundle)")
        if not os.access(bundle, os.R_OK):
            raise ConfigInvalid(f"config {where}: {bundle!r} cannot be read")


def _register_secrets(settings: HttpClientConfig) -> None:
    if settings.proxy is not None:
        parts = urlsplit(settings.proxy)
        if parts.password:
            register_secret(parts.password)
            register_secret(unquote(parts.password))
    for name, value in (settings.headers or {}).items():
        if name.lower() in _CREDENTIAL_HEADERS or is_secret(name):
            register_secret(value)
            # "Bearer xyz": the part after the scheme is the secret one, alone too.
            register_secret(value.partition(" ")[2])


def _text_voice(key: str) -> Voice:
    """Messages for a bundle given as a mapping: ``config 'http_client.pool_size' ...``."""

    def invalid(message: str) -> Exception:
        return ConfigInvalid(message)

    def unknown(name: str, valid: list[str]) -> Exception:
        return ConfigInvalid(
            f"config {key!r} has no key {name!r}{did_you_mean(name, valid)}; "
            f"valid keys: {', '.join(HTTP_CLIENT_KEYS)}"
        )

    return Voice(
        subject=f"config '{key}.{{name}}'",
        wrong_type=invalid,
        wrong_value=invalid,
        shows_type=False,
        unknown=unknown,
    )


def _headers(value: Any, key: str, *, text: bool) -> dict[str, str] | None:
    """``value`` as a dict of header names to values, checked; ``None`` stays ``None``."""
    if value is None:
        return None
    if text and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigInvalid(
                f"config {key!r} as text must be a JSON object like "
                '\'{"X-Name": "value"}\', and is not valid JSON'
            ) from None
    if not isinstance(value, Mapping):
        raise ConfigInvalid(
            f"config {key!r} must be a mapping of str to str, got {type(value).__name__}"
        )
    out: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ConfigInvalid(f"config {key!r}: {name!r} is not a header name")
        if not isinstance(item, str):
            raise ConfigInvalid(
                f"config {key!r} must map str to str; header {name!r} has a {type(item).__name__}"
            )
        if "\r" in item or "\n" in item:
            # Not echoed: the value may be a credential.
            raise ConfigInvalid(f"config {key!r}: header {name!r} has a line break in its value")
        if name.lower() in _CLIENT_OWNED:
            raise ConfigInvalid(f"config {key!r}: header {name!r} is written by the client itself")
        out[name] = item
    return out


def _check_proxy(proxy: str, key: str) -> None:
    parts = urlsplit(proxy)
    shown = shown_proxy(proxy)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigInvalid(
            f"config {key!r} must look like 'http://host:port' (or https://), got {shown!r}"
        )
    try:
        parts.port  # noqa: B018  (raises for a port that is not a number in range)
    except ValueError:
        raise ConfigInvalid(f"config {key!r} has a bad port: {shown!r}") from None
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ConfigInvalid(f"config {key!r} must be a bare 'http://host:port', got {shown!r}")


def shown_proxy(proxy: str) -> str:
    """``proxy`` fit for a message: its credentials, if any, masked."""
    parts = urlsplit(proxy)
    if "@" not in parts.netloc:
        return proxy
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"***@{host}").geturl()


def proxy_without_credentials(proxy: str) -> tuple[str, str | None]:
    """``(the proxy URL without userinfo, "user:password" or None)``, for clients that
    want the credentials apart (urllib3's ``proxy_headers``)."""
    parts = urlsplit(proxy)
    if parts.username is None:
        return proxy, None
    host = parts.netloc.rpartition("@")[2]
    bare = parts._replace(netloc=host).geturl()
    return bare, f"{unquote(parts.username)}:{unquote(parts.password or '')}"


#: What an unset key means, for every service.
DEFAULTS = HttpClientConfig(verify_tls=True, connect_timeout=10.0, read_timeout=60.0, pool_size=32)
