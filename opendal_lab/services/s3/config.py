"""s3 config: the keys ``Operator("s3", ...)`` accepts, and the botocore client built from them.

Credentials come from ``access_key_id`` / ``secret_access_key`` (/ ``session_token``) when
given, otherwise from botocore's usual chain: ``AWS_ACCESS_KEY_ID`` and friends, the
``profile`` (or ``AWS_PROFILE``) in ``~/.aws``, container and instance roles.
``allow_anonymous=True`` sends unsigned requests (public buckets).

The HTTP client (proxy, CA bundle, TLS checks, timeouts, pool size, extra headers) takes the
keys every HTTP service shares (``core/http_client.py``), mapped to botocore's ``Config``
(``proxies``, ``connect_timeout``, ``read_timeout``, ``max_pool_connections``), the
client's ``verify``, and a ``before-call`` hook for the headers. Left unset, the CA bundle
and TLS checks are botocore's own choice (``AWS_CA_BUNDLE``, ``ca_bundle`` in ``~/.aws``).

Secrets never leave this module in text: ``S3Config.__repr__`` masks them, and every secret
in use is registered with ``redact`` so error messages and botocore's own debug logs (which
print request headers, the session token among them) show ``***`` instead.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import threading
from dataclasses import dataclass, fields
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, Literal, get_args

from opendal_lab.core.config import Check
from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.http_client import (
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
from opendal_lab.core.secrets import guard_loggers, redact, register_secret

__all__ = [
    "ATTEMPTS_ATTR",
    "MIN_PART_SIZE",
    "RETRY_MODES",
    "S3Config",
    "build_client",
    "redact",
    "register_secret",
]

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB  # S3's floor for every part but the last
MAX_PART_SIZE = 5 * 1024 * MIB
_SECRET_KEYS = ("secret_access_key", "session_token")
RetryMode = Literal["standard", "adaptive"]
ChecksumAlgorithm = Literal["crc32", "crc32c", "sha1", "sha256"]
RETRY_MODES: tuple[str, ...] = get_args(RetryMode)
_AT_LEAST_1 = Check(ge=1)


@dataclass
class S3Config:
    """Every key of the s3 service (names follow OpenDAL's S3Config where one exists): the
    one declaration of its config, bounds included, that ``S3Service``'s signature, the
    keys ``Operator("s3", ...)`` and ``s3://`` URIs take and their checks come from."""

    bucket: str = ""
    root: str = "/"
    region: str | None = None
    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    profile: str | None = None
    allow_anonymous: bool = False
    enable_virtual_host_style: bool = False
    #: Turns on version arguments (stat/read/delete by version, list versions): OpenDAL's key.
    enable_versioning: bool = False
    #: Check each common prefix of a plain list with a one-key list. Some S3-compatible
    #: servers (moto, SeaweedFS) report prefixes whose objects all carry delete markers;
    #: AWS does not. ``None``: check when ``enable_versioning`` is on.
    verify_prefixes: bool | None = None
    delete_max_size: Annotated[int, Check(ge=1, le=1000, hint="S3's DeleteObjects limit")] = 1000
    #: Part size of multipart writes (the ``chunk`` write option overrides it); >= 5 MiB.
    part_size: Annotated[
        int, Check(ge=MIN_PART_SIZE, le=MAX_PART_SIZE, says="between 5 MiB and 5 GiB")
    ] = 8 * MIB
    #: Parts in flight per writer when the write does not ask (``concurrent`` option).
    write_concurrency: Annotated[int, _AT_LEAST_1] = 4
    #: Attempts per HTTP request (the first one included), retried by botocore: 5xx,
    #: throttling (SlowDown, 503), connection errors and timeouts, with jittered exponential
    #: backoff (up to 1, 2, 4 ... s, at most 20 s). 1 turns retrying off (a RetryLayer on top
    #: then sees every temporary error). A body cut off midway through a read is read again,
    #: within the same number of attempts.
    max_attempts: Annotated[int, _AT_LEAST_1] = 4
    #: botocore's retry mode: ``standard``, or ``adaptive`` (standard plus a client-side
    #: rate limit that slows the client down while S3 throttles it).
    retry_mode: Annotated[RetryMode, Check(hint="max_attempts=1 turns retrying off")] = "standard"
    #: A checksum of every uploaded body, sent with it and checked by S3 (OpenDAL's key):
    #: buckets with Object Lock want one. ``crc32c`` needs the ``awscrt`` package. Unset,
    #: no checksum is computed but where S3 requires one (DeleteObjects); the body is still
    #: signed with SHA-256 over plain http, and over https TLS checks it.
    checksum_algorithm: ChecksumAlgorithm | None = None
    # -- the HTTP client: the keys every HTTP service shares (``core/http_client.py``) --
    http_client: HttpClientField = None
    proxy: Proxy = None
    ca_bundle: CaBundle = None
    verify_tls: VerifyTls = None
    connect_timeout: ConnectTimeout = None
    read_timeout: ReadTimeout = None
    #: The default 32 is enough for threads times write concurrency.
    pool_size: PoolSize = None
    #: Signed with the request (SigV4), not added to presigned URLs.
    headers: Headers = None

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ConfigInvalid(
                "config 'bucket' is required: Operator('s3', bucket='name', ...) or "
                "Operator.from_uri('s3://name/prefix')",
                service="s3",
            )
        if bool(self.access_key_id) != bool(self.secret_access_key):
            given, missing = (
                ("access_key_id", "secret_access_key")
                if self.access_key_id
                else ("secret_access_key", "access_key_id")
            )
            raise ConfigInvalid(
                f"config {given!r} is set but {missing!r} is not: give both, or neither to use "
                "the AWS environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE)",
                service="s3",
            )
        for key in _SECRET_KEYS:
            register_secret(getattr(self, key))
        owned = [k for k in (self.headers or {}) if k.lower() == "authorization"]
        if owned:
            raise ConfigInvalid(
                f"config 'headers': {owned[0]!r} is written by botocore's signer", service="s3"
            )
        self.client: HttpClientConfig = client_settings(self, "s3")

    @property
    def retry_policy(self) -> str:
        """How requests are retried, in a few words: ``standard, 4 attempts`` or ``off``."""
        if self.max_attempts == 1:
            return "off"
        return f"{self.retry_mode}, {self.max_attempts} attempts"

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_KEYS and value:
                value = "***"
            elif f.name == "proxy" and value:
                value = shown_proxy(value)
            elif f.name == "headers" and value:
                value = {name: "***" for name in value}
            shown.append(f"{f.name}={value!r}")
        return f"S3Config({', '.join(shown)})"


# -- the client ------------------------------------------------------------------------
_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def parse_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, fast for the two forms S3 sends.

    botocore parses every timestamp with dateutil: in a 5,000-key listing that was a
    quarter of the client's time. S3 sends ISO 8601 in bodies and RFC 1123 in headers;
    anything else goes to botocore's own parser.
    """
    if isinstance(value, str):
        try:
            if value[-1:] == "Z":
                return datetime.fromisoformat(value[:-1] + "+00:00")
            if value[:3].isalpha():
                return parsedate_to_datetime(value)
        except (ValueError, TypeError):
            pass
    from botocore.utils import parse_timestamp as slow  # type: ignore[import-untyped]

    parsed: datetime = slow(value)
    return parsed


def _session(profile: str | None) -> Any:
    import botocore.session  # type: ignore[import-untyped]

    global _LOADER
    from opendal_lab.services.s3.parsing import ParserFactory

    session = botocore.session.Session(profile=profile)
    factory = ParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    session.register_component("response_parser_factory", factory)
    # One loader for every client: parsing the S3 model is most of a client's build time.
    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _LOADER)
    return session


def resolve_region(config: S3Config) -> str:
    return (
        config.region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )


def build_client(config: S3Config) -> Any:
    """A botocore S3 client for ``config`` (credentials resolved now, as botocore does)."""
    import botocore
    import botocore.config  # type: ignore[import-untyped]
    from botocore import handlers

    from opendal_lab.services.s3.parsing import use_fast_parsing

    session = _session(config.profile)
    addressing = (
        "virtual" if config.enable_virtual_host_style else ("path" if config.endpoint else "auto")
    )
    http = config.client
    options: dict[str, Any] = {
        "max_pool_connections": http.pool_size,
        # botocore's own retries, per HTTP request; see the package docstring for why.
        "retries": {"total_max_attempts": config.max_attempts, "mode": config.retry_mode},
        "connect_timeout": http.connect_timeout,
        "read_timeout": http.read_timeout,
        "s3": {"addressing_style": addressing},
        # Options are checked once where they enter the operator.
        "parameter_validation": False,
        # A fixed User-Agent: botocore otherwise builds its own twice per request, component
        # by component, character by character (an eighth of a GetObject's client time).
        "user_agent": (
            f"opendal-lab/{importlib.metadata.version('opendal-lab')} "
            f"botocore/{botocore.__version__}"
        ),
    }
    if "request_checksum_calculation" in botocore.config.Config.OPTION_DEFAULTS:
        # botocore >= 1.36 computes a CRC32 of every body in Python by default: only where
        # asked (``checksum_algorithm``) or required, as before 1.36 (see the package docstring).
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    if http.proxy is not None:
        # botocore sends the URL's credentials as Proxy-Authorization itself.
        options["proxies"] = {"http": http.proxy, "https": http.proxy}
    if config.allow_anonymous and not config.access_key_id:
        options["signature_version"] = botocore.UNSIGNED
    kwargs: dict[str, Any] = {
        "region_name": resolve_region(config),
        "config": botocore.config.Config(**options),
    }
    # Unset, botocore's own choice stands (AWS_CA_BUNDLE, ca_bundle in ~/.aws/config). A
    # path replaces the default trust store, as in botocore and requests.
    if http.ca_bundle is not None:
        kwargs["verify"] = http.ca_bundle
    elif not http.verify:
        kwargs["verify"] = False
    if config.endpoint:
        kwargs["endpoint_url"] = config.endpoint
    if config.access_key_id:
        kwargs["aws_access_key_id"] = config.access_key_id
        kwargs["aws_secret_access_key"] = config.secret_access_key
        if config.session_token:
            kwargs["aws_session_token"] = config.session_token
    else:
        credentials = session.get_credentials() if not config.allow_anonymous else None
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()
            register_secret(frozen.secret_key)
            register_secret(frozen.token)
    client = session.create_client("s3", **kwargs)
    client.meta.events.register(
        "after-call-error.s3", _note_attempts, unique_id="opendal-lab-note-attempts"
    )
    # botocore asks for "Expect: 100-continue" before every upload body and waits for the
    # server's go-ahead: a round trip per PutObject / UploadPart (5.4 of 13.9 ms per 1 MiB
    # put on loopback) to save sending a body S3 would refuse. obstore and OpenDAL send the
    # body at once; so do we.
    client.meta.events.unregister("before-call.s3", handlers.add_expect_header)
    if http.headers:
        # before-call, not before-sign: presigned URLs (which never reach before-call) stay
        # free of headers their users would have to send.
        extra = dict(http.headers)

        def add_headers(params: dict[str, Any], **_: Any) -> None:
            params["headers"].update(extra)

        client.meta.events.register(
            "before-call.s3", add_headers, unique_id="opendal-lab-extra-headers"
        )
    use_fast_parsing(client)
    guard_loggers("botocore", "urllib3", "s3transfer")
    return client


#: The attribute ``_note_attempts`` sets on an exception that ended a call: the number
#: of attempts botocore made (a ClientError says it in ``ResponseMetadata`` instead).
ATTEMPTS_ATTR = "_opendal_lab_attempts"


def _note_attempts(exception: BaseException, context: dict[str, Any], **_: Any) -> None:
    """botocore's ``after-call-error`` hook: how many attempts a call that raised made."""
    attempt = context.get("retries", {}).get("attempt")
    if isinstance(attempt, int):
        with contextlib.suppress(AttributeError, TypeError):
            setattr(exception, ATTEMPTS_ATTR, attempt)
