"""http: read-only access to the files any HTTP(S) server serves, over urllib3.

- ``stat`` is a ``HEAD``: length, etag, last modified, content type and friends.
  ``stat("d/")`` is a DIR only if the server answers for ``d/`` (a directory index);
  otherwise NotFound. ``stat("/")`` is a DIR whenever the server answers at all, so
  ``op.check()`` tells whether it can be reached. A file path the server redirects to its
  ``/`` form (``d`` → ``d/``, as Python's ``http.server`` does) is a DIR, like on fs.
- ``read`` is a ``GET`` with a ``Range`` header: ``bytes=a-b`` for offset and size,
  ``bytes=-N`` for a native suffix read. A server that ignores ``Range`` and sends the
  whole body still gives the right bytes (the service cuts them out).
- ``if_match`` / ``if_none_match`` become ``If-Match`` / ``If-None-Match``; a 412, or a
  304 to ``If-None-Match``, is ``ConditionNotMatch``.
- No write, list or delete: ``ImmutableIndexLayer`` makes it listable from a known set of
  keys. Redirects are followed; urllib3 drops ``Authorization`` when one leaves the host.
- No retries here (connection errors come back as temporary ``Unexpected`` errors naming
  the endpoint): retrying is RetryLayer's job. Bodies are not decoded: ranges and lengths
  refer to the bytes the server stores, as the HTTP spec has it.

Config: ``endpoint`` (``https://host[:port][/prefix]``), ``root`` (a path below it),
``username`` + ``password`` (basic auth) or ``token`` (bearer), ``timeout`` (seconds, connect
and read at once), and the keys every HTTP service shares (``core/http_client.py``:
``proxy``, ``ca_bundle``, ``verify_tls``, ``connect_timeout``, ``read_timeout``,
``pool_size`` (connections kept per host; threads beyond it get extra ones), ``headers``
(every request), or all of them bundled in ``http_client``), mapped to urllib3's
``PoolManager`` (a ``ProxyManager`` behind a proxy). ``Operator.from_uri(
"https://[user:password@]host[:port]/root?proxy=http://proxy:3128")`` works too.
Credentials and header values never appear in ``repr`` or in error messages.
"""

from __future__ import annotations

import base64
import dataclasses
import http
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, NoReturn
from urllib.parse import quote, unquote, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, ResponseError

from opendal_lab.core.access import Service
from opendal_lab.core.capability import Capability
from opendal_lab.core.config import Check, build_config, configured
from opendal_lab.core.errors import (
    ConditionNotMatch,
    ConfigInvalid,
    Error,
    ErrorStatus,
    IsADirectory,
    NotFound,
    PermissionDenied,
    RangeNotSatisfied,
    RateLimited,
    Unexpected,
)
from opendal_lab.core.http_client import (
    DEFAULTS,
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
    proxy_without_credentials,
    shown_proxy,
)
from opendal_lab.core.options import ReadOptions, StatOptions
from opendal_lab.core.path import ROOT
from opendal_lab.core.registry import Registry, refuse_subscheme
from opendal_lab.core.types import DIR_METADATA, EntryMode, Metadata

__all__ = ["SCHEME", "HttpConfig", "HttpService", "register"]

SCHEME = "http"
# Redirects only: retrying failures is RetryLayer's job, and counted retries inside urllib3
# would hide them from it (and multiply its backoff).
_RETRIES = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=10)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)|bytes \*/(\d+)")


@dataclass
class HttpConfig:
    """The http service's config: its one declaration (``HttpService``'s signature, the
    keys ``Operator("http", ...)`` and ``http(s)://`` URIs take, and their checks)."""

    endpoint: str = ""
    root: str = "/"
    username: str | None = None
    password: str | None = None
    token: str | None = None
    #: Both timeouts at once, where ``connect_timeout`` / ``read_timeout`` are not set.
    timeout: Annotated[
        float | None,
        Check(gt=0, finite=True, unit="seconds", doc="connect and read, where those are unset"),
    ] = None
    # -- the HTTP client: the keys every HTTP service shares (``core/http_client.py``) --
    http_client: HttpClientField = None
    proxy: Proxy = None
    ca_bundle: CaBundle = None
    verify_tls: VerifyTls = None
    connect_timeout: ConnectTimeout = None
    read_timeout: ReadTimeout = None
    pool_size: PoolSize = None
    headers: Headers = None

    def __repr__(self) -> str:
        shown = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None and f.name in ("password", "token"):
                value = "***"
            elif f.name == "proxy" and value:
                value = shown_proxy(value)
            elif f.name == "headers" and value:
                value = {name: "***" for name in value}
            shown.append(f"{f.name}={value!r}")
        return f"HttpConfig({', '.join(shown)})"


@configured()
class HttpService(Service):
    scheme = SCHEME
    config_class = HttpConfig
    native = Capability(
        stat=True,
        stat_with_if_match=True,
        stat_with_if_none_match=True,
        read=True,
        read_with_suffix=True,
        read_with_if_match=True,
        read_with_if_none_match=True,
        shared=True,
    )

    def __init__(self, *args: Any, **values: Any) -> None:
        """The fields of ``HttpConfig`` (or one ``HttpConfig``), checked; the signature
        shown is theirs."""
        given: HttpConfig = build_config(HttpConfig, args, values, SCHEME)
        username, password, token = given.username, given.password, given.token
        defaults = DEFAULTS
        if given.timeout is not None:
            both = HttpClientConfig(connect_timeout=given.timeout, read_timeout=given.timeout)
            defaults = defaults.merged(both)
        client = client_settings(given, SCHEME, defaults)
        headers = client.headers
        origin, prefix, url_user, url_password = _split_endpoint(given.endpoint)
        if url_user is not None:
            if username is not None or token is not None:
                raise _bad_config("credentials given both in the endpoint and as config")
            username, password = url_user, url_password
        root = "/" + given.root.strip("/") + "/" if given.root.strip("/") else "/"
        super().__init__(root=root, name=origin)
        self._origin = origin
        self._prefix = prefix.rstrip("/") + root  # the URL path of the root, unquoted
        self._headers = _base_headers(headers, username, password, token)
        self._config = dataclasses.replace(given, headers=dict(headers) if headers else None)
        self._auth = "basic" if username is not None else "bearer" if token else None
        self._client = client
        self._pool = _pool_manager(client)

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        """``http://[user:password@]host[:port]/root`` (or ``https://``)."""
        refuse_subscheme(SCHEME, subscheme)
        userinfo, at, hostport = host.rpartition("@")
        config = {"endpoint": f"{given}://{hostport}", "root": path or "/"}
        if at:
            user, colon, password = userinfo.partition(":")
            config["username"] = user
            if colon:
                config["password"] = password
        return config

    @property
    def client(self) -> HttpClientConfig:
        """The HTTP client settings in use (defaults, ``http_client`` and plain keys)."""
        return self._client

    @property
    def pool(self) -> urllib3.PoolManager:
        """urllib3's pool underneath (a ``ProxyManager`` behind a proxy)."""
        return self._pool

    def __reduce__(self) -> tuple[Any, ...]:
        # A pool does not pickle; workers open their own from the same config.
        return (_rebuild, (dataclasses.asdict(self._config),))

    def __repr__(self) -> str:
        auth = f", auth={self._auth!r}" if self._auth else ""
        return f"HttpService(endpoint={self._origin!r}, root={self._access_info.root!r}{auth})"

    # -- stat & read ---------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        resp = self._send("HEAD", path, _conditions(opts.if_match, opts.if_none_match))
        if path == ROOT and resp.status < 500 and resp.status != 429:
            return DIR_METADATA  # the root exists if the server answers at all
        if resp.status >= 300:
            self._fail(resp, "HEAD", path)
        if path.endswith("/") or self._went_to_dir(resp, path):
            return DIR_METADATA
        return _metadata(resp.headers)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if opts.size == 0:  # no Range says "no bytes": check the object, send nothing
            conditions = StatOptions(if_match=opts.if_match, if_none_match=opts.if_none_match)
            length = self.stat(path, conditions).content_length
            if opts.offset and length is not None and opts.offset >= length:
                raise _past_end(opts.offset, length, path)
            return b""
        headers = _conditions(opts.if_match, opts.if_none_match)
        if opts.suffix is not None:
            headers["Range"] = f"bytes=-{opts.suffix}"
        elif opts.offset or opts.size is not None:
            end = "" if opts.size is None else str(opts.offset + opts.size - 1)
            headers["Range"] = f"bytes={opts.offset}-{end}"
        resp = self._send("GET", path, headers, stream=True)
        try:
            if resp.status == 416 and opts.suffix is not None and _content_range(resp)[1] == 0:
                return b""  # the last N bytes of an empty file are no bytes
            if resp.status >= 300:
                resp.drain_conn()  # error bodies are small: keep the connection
                self._fail(resp, "GET", path)
            if self._went_to_dir(resp, path):
                raise IsADirectory("the server redirects this path to a directory", path=path)
            if resp.status == 206:
                start = _content_range(resp)[0]
                if opts.suffix is None and start is not None and start != opts.offset:
                    raise Unexpected(
                        f"asked {self._origin} for bytes from {opts.offset}, got from {start}",
                        path=path,
                    )
                data = resp.read()
                return data if opts.size is None else data[: opts.size]
            return self._cut(resp, opts, path)  # 200: the server ignored Range
        except HTTPError as err:
            raise self._transport_error(err) from _reason(err)
        finally:
            # A body read to its end has already given its connection back; one left
            # half-read (a server that ignored Range) must not be reused.
            resp.close()
            resp.release_conn()

    def _cut(self, resp: urllib3.BaseHTTPResponse, opts: ReadOptions, path: str) -> bytes:
        """The asked bytes of a whole body, reading no further than needed."""
        if opts.suffix is not None:
            return resp.read()[-opts.suffix :]
        if opts.size is None:
            body = resp.read()
            if opts.offset and opts.offset >= len(body):
                raise _past_end(opts.offset, len(body), path)
            return body[opts.offset :]
        head = resp.read(opts.offset + opts.size)
        if opts.offset >= len(head):
            raise _past_end(opts.offset, len(head), path)
        return head[opts.offset :]

    def _went_to_dir(self, resp: urllib3.BaseHTTPResponse, path: str) -> bool:
        """Whether a file path was redirected to its directory form (``d`` → ``d/``)."""
        final = resp.geturl()
        return (
            final is not None
            and not path.endswith("/")
            and unquote(urlsplit(final).path) == self._url_path(path) + "/"
        )

    # -- the wire ------------------------------------------------------------------
    def _url_path(self, path: str) -> str:
        if ".." in path.split("/"):
            raise PermissionDenied("path has a '..' segment, which could leave the root", path=path)
        return self._prefix + ("" if path == ROOT else path)

    def _send(
        self, method: str, path: str, headers: dict[str, str], stream: bool = False
    ) -> urllib3.BaseHTTPResponse:
        url = self._origin + quote(self._url_path(path), safe="/")
        try:
            return self._pool.request(
                method,
                url,
                headers={**self._headers, **headers},
                preload_content=not stream,
                decode_content=False,
            )
        except HTTPError as err:
            raise self._transport_error(err) from _reason(err)

    # -- errors: every status and transport failure is mapped here ----------------------
    def _fail(self, resp: urllib3.BaseHTTPResponse, method: str, path: str) -> NoReturn:
        status = resp.status
        try:
            phrase = resp.reason or http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        said = f"{self._origin} answered {status} {phrase} to {method} {self._url_path(path)}"
        cls: type[Error] = Unexpected
        temporary = status >= 500 or status == 408
        if status in (404, 410):
            cls = NotFound
        elif status in (401, 403):
            cls = PermissionDenied
        elif status in (304, 412):
            cls = ConditionNotMatch
            said = f"the condition did not hold: {said}"
        elif status == 416:
            cls = RangeNotSatisfied
        elif status == 429:
            cls, temporary = RateLimited, True
        elif status < 400:
            said = f"unexpected redirect or status: {said}"
        status_kind = ErrorStatus.TEMPORARY if temporary else ErrorStatus.PERMANENT
        raise cls(said, path=path, status=status_kind, context={"http_status": status})

    def _transport_error(self, err: HTTPError) -> Error:
        reason = _reason(err)
        if isinstance(reason, urllib3.exceptions.SSLError):
            return Unexpected(f"TLS with {self._origin} failed: {_why(reason)}")
        if isinstance(reason, ResponseError):  # what urllib3 raises for a redirect loop
            return Unexpected(f"{self._origin} answered with too many redirects")
        if isinstance(reason, NewConnectionError):
            what = f"cannot connect to {self._origin}: {_why(reason)}"
        elif isinstance(reason, urllib3.exceptions.ReadTimeoutError):
            what = f"{self._origin} did not answer in time"
        elif isinstance(reason, urllib3.exceptions.TimeoutError):
            what = f"timed out connecting to {self._origin}"
        else:
            what = f"connection to {self._origin} failed: {_why(reason)}"
        return Unexpected(what, status=ErrorStatus.TEMPORARY)


def _pool_manager(client: HttpClientConfig) -> urllib3.PoolManager:
    """urllib3's pool for ``client``: a ``ProxyManager`` when there is a proxy (it tunnels
    https with CONNECT and sends http to the proxy in absolute form)."""
    tls: dict[str, Any] = {}
    if client.ca_bundle is not None:
        tls = {"cert_reqs": "CERT_REQUIRED", "ca_certs": client.ca_bundle}
    elif not client.verify:
        tls = {"cert_reqs": "CERT_NONE"}
    options: dict[str, Any] = {
        "num_pools": 8,
        "maxsize": client.pool_size,
        "block": False,  # never wait for a connection: open one more and drop it after
        "retries": _RETRIES,
        "timeout": urllib3.Timeout(connect=client.connect_timeout, read=client.read_timeout),
        **tls,
    }
    if client.proxy is None:
        return urllib3.PoolManager(**options)
    # urllib3 does not read credentials from the proxy URL: they go as a header.
    url, credentials = proxy_without_credentials(client.proxy)
    proxy_headers = urllib3.make_headers(proxy_basic_auth=credentials) if credentials else None
    return urllib3.ProxyManager(url, proxy_headers=proxy_headers, **options)


def _past_end(offset: int, length: int, path: str) -> RangeNotSatisfied:
    return RangeNotSatisfied(f"offset {offset} is past the end ({length} bytes)", path=path)


def _rebuild(config: dict[str, Any]) -> HttpService:
    return HttpService(**config)


def _bad_config(message: str) -> ConfigInvalid:
    return ConfigInvalid(message, service=SCHEME)


def _split_endpoint(endpoint: str) -> tuple[str, str, str | None, str | None]:
    """``(scheme://host[:port], unquoted path prefix, username, password)``."""
    if not isinstance(endpoint, str) or not endpoint:
        raise _bad_config("service 'http' needs an endpoint like 'https://example.com'")
    parts = urlsplit(endpoint.strip())
    hostport = parts.netloc.rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not hostport:
        shown = f"{parts.scheme}://{hostport}{parts.path}" if parts.scheme else hostport
        raise _bad_config(f"endpoint must look like 'https://host[:port]', got {shown!r}")
    if parts.query or parts.fragment:
        # Not echoed: a query string is where tokens tend to hide.
        raise _bad_config("endpoint must not have a query or fragment; use 'token' or 'headers'")
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return f"{parts.scheme}://{hostport}", unquote(parts.path), user, password


def _base_headers(
    headers: Mapping[str, str] | None,
    username: str | None,
    password: str | None,
    token: str | None,
) -> dict[str, str]:
    if headers is not None and not isinstance(headers, Mapping):
        raise _bad_config(f"headers must be a mapping of str to str, got {type(headers).__name__}")
    out: dict[str, str] = {}
    for key, value in (headers or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise _bad_config(f"headers must map str to str; header {key!r} does not")
        out[key] = value
    if username is not None or token is not None:
        if username is not None and token is not None:
            raise _bad_config("give either username/password or token, not both")
        if any(k.lower() == "authorization" for k in out):
            raise _bad_config("credentials given both as config and in the Authorization header")
        if username is not None:
            pair = f"{username}:{password or ''}".encode()
            out["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            out["Authorization"] = f"Bearer {token}"
    return out


def _conditions(if_match: str | None, if_none_match: str | None) -> dict[str, str]:
    pairs = (("If-Match", if_match), ("If-None-Match", if_none_match))
    return {name: value for name, value in pairs if value is not None}


def _metadata(headers: Mapping[str, str]) -> Metadata:
    length = headers.get("Content-Length")
    return Metadata(
        EntryMode.FILE,
        content_length=int(length) if length is not None and length.isdigit() else None,
        last_modified=_http_date(headers.get("Last-Modified")),
        etag=headers.get("ETag"),
        content_type=headers.get("Content-Type"),
        content_disposition=headers.get("Content-Disposition"),
        content_encoding=headers.get("Content-Encoding"),
        cache_control=headers.get("Cache-Control"),
        content_md5=headers.get("Content-MD5"),
    )


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # HTTP dates are GMT; a "-0000" zone parses as naive.
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _content_range(resp: urllib3.BaseHTTPResponse) -> tuple[int | None, int | None]:
    """``(first byte, full length)`` as a ``Content-Range`` header states them."""
    match = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
    if not match:
        return None, None
    total = match.group(3) or match.group(4)
    first = int(match.group(1)) if match.group(1) else None
    return first, int(total) if total and total != "*" else None


def _reason(err: HTTPError) -> BaseException:
    """What went wrong: urllib3 wraps it in MaxRetryError even when no retry was allowed."""
    return err.reason if isinstance(err, MaxRetryError) and err.reason is not None else err


def _why(err: BaseException) -> str:
    """The innermost OS-level reason in an exception chain, else the exception's type."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return str(seen.strerror)
        seen = seen.__cause__ or seen.__context__
    return type(err).__name__


def register(registry: Registry) -> None:
    """Make the scheme known (the entry point ``opendal_lab.services`` calls this)."""
    registry.add_service(SCHEME, HttpService, aliases=("https",))
