"""s3 core: the wire calls, metadata parsing and the one place botocore errors are mapped.

``S3Core`` holds the client (built on first use, so building an operator or unpickling one
on a Dask worker costs nothing until it talks to S3) and turns paths into keys under the
root prefix. Every botocore exception goes through ``S3Core.error``:

=========================================================== ===================================
botocore                                                    opendal_lab
=========================================================== ===================================
NoSuchKey, NoSuchVersion, 404                               NotFound
NoSuchBucket (or a 404 HEAD on a bucket that is not there)  NotFound naming the bucket
AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,    PermissionDenied
403, expired or invalid tokens
PreconditionFailed, 412, 304                                ConditionNotMatch
InvalidRange, 416                                           RangeNotSatisfied
SlowDown, throttling codes, 429, 503                        RateLimited (temporary)
other 5xx, RequestTimeout                                   Unexpected (temporary)
NotImplemented, 501                                         Unsupported
connection errors and timeouts, a body cut off midway      Unexpected (temporary), endpoint named
no credentials found                                        ConfigInvalid naming what to set
=========================================================== ===================================

botocore has already retried what it deems transient (config ``max_attempts``): a temporary
error from a call that made more than one attempt is marked ``persistent``, with
``attempts`` in its context and in its message, so a RetryLayer above does not retry it
again; a temporary error from a single attempt (retrying off, or an error botocore does not
retry, such as a 409 conflict) stays ``temporary``.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime
from typing import Any

from opendal_lab.core.errors import (
    ConditionNotMatch,
    ConfigInvalid,
    Conflict,
    Error,
    NotFound,
    PermissionDenied,
    RangeNotSatisfied,
    RateLimited,
    Unexpected,
    Unsupported,
)
from opendal_lab.core.path import ROOT
from opendal_lab.core.types import DIR_METADATA, EntryMode, Metadata
from opendal_lab.services.s3.config import ATTEMPTS_ATTR, S3Config, build_client, redact

__all__ = ["SCHEME", "S3Core", "head_metadata"]

SCHEME = "s3"

_NOT_FOUND = {"NoSuchKey", "NoSuchVersion", "NoSuchUpload", "404", "NotFound"}
_DENIED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "403",
    "Forbidden",
    "AllAccessDisabled",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AccountProblem",
}
_CONDITION = {"PreconditionFailed", "412", "304", "NotModified"}
_RANGE = {"InvalidRange", "416"}
_THROTTLED = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequests",
    "RequestThrottled",
    "503",
    "429",
}
_TEMPORARY = {"InternalError", "RequestTimeout", "ServiceUnavailable", "RequestTimeTooSkewed"}
_CREDENTIAL_HINT = (
    "no AWS credentials found: set config 'access_key_id' and 'secret_access_key' "
    "(and 'session_token' for temporary ones), or the environment variables "
    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile with 'profile' / AWS_PROFILE; "
    "use allow_anonymous=True for a public bucket"
)


class S3Core:
    """The client, the bucket and the root prefix; wire calls and error mapping."""

    def __init__(self, config: S3Config, root: str) -> None:
        self.config = config
        self.bucket = config.bucket
        self.prefix = root.lstrip("/")  # "" or "a/b/"
        self.endpoint = config.endpoint or "the AWS S3 endpoint"
        self._client: Any = None
        self._lock = threading.Lock()
        self._bucket_seen = False  # a call succeeded: the bucket exists
        verify = config.verify_prefixes
        self.verify_prefixes = config.enable_versioning if verify is None else verify
        #: The upload parameters that make botocore send a checksum of the body.
        algorithm = config.checksum_algorithm
        self.checksum = {"ChecksumAlgorithm": algorithm.upper()} if algorithm else {}

    @property
    def client(self) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    try:
                        self._client = build_client(self.config)
                    except Exception as err:
                        raise self.error(err, "", None) from err
                client = self._client
        return client

    # -- keys ------------------------------------------------------------------------
    def key(self, path: str) -> str:
        return self.prefix if path == ROOT else self.prefix + path

    def path(self, key: str) -> str:
        return key[len(self.prefix) :] or ROOT

    # -- calls -------------------------------------------------------------------------
    def call(self, operation: str, path: str | None, method: str, **params: Any) -> Any:
        """``client.<method>(Bucket=..., **params)``, errors mapped."""
        try:
            out = getattr(self.client, method)(Bucket=self.bucket, **params)
        except Error:
            raise
        except Exception as err:
            raise self.error(err, operation, path) from None if _hide(err) else err
        self._bucket_seen = True
        return out

    def head(self, operation: str, path: str, **params: Any) -> dict[str, Any]:
        """HeadObject; a 404 says whether the object or the whole bucket is missing."""
        try:
            out: dict[str, Any] = self.client.head_object(
                Bucket=self.bucket, Key=self.key(path), **params
            )
        except Error:
            raise
        except Exception as err:
            mapped = self.error(err, operation, path)
            if isinstance(mapped, NotFound) and not self._bucket_seen:
                self._check_bucket(operation, path)
            raise mapped from err
        self._bucket_seen = True
        return out

    def _check_bucket(self, operation: str, path: str) -> None:
        # A HEAD error has no body: ask once whether the bucket itself is there.
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as err:
            mapped = self.error(err, operation, path)
            if isinstance(mapped, NotFound):
                raise self._no_bucket(operation, path) from err
            return
        self._bucket_seen = True

    def _no_bucket(self, operation: str, path: str | None) -> NotFound:
        return NotFound(
            f"bucket {self.bucket!r} does not exist at {self.endpoint}",
            operation=operation,
            service=SCHEME,
            path=path,
            context={"bucket": self.bucket},
        )

    # -- errors ------------------------------------------------------------------------
    def from_code(
        self, code: str, status: int, message: str, operation: str, path: str | None
    ) -> Error:
        """The error for an S3 error code and HTTP status (also DeleteObjects' per-key ones)."""
        kw: dict[str, Any] = {
            "operation": operation,
            "service": SCHEME,
            "path": path,
            "context": {"bucket": self.bucket},
        }
        if code == "NoSuchBucket":
            return self._no_bucket(operation, path)
        if code in _NOT_FOUND:
            return NotFound(message, **kw)
        if code in _DENIED or status == 403:
            return PermissionDenied(message, **kw)
        if code in _CONDITION or status in (304, 412):
            return ConditionNotMatch(message, **kw)
        if code in _RANGE or status == 416:
            return RangeNotSatisfied(message, **kw)
        if code in _THROTTLED or status in (429, 503):
            return RateLimited(message, **kw)
        if code == "ConditionalRequestConflict" or status == 409:
            return Conflict(message, **kw).set_temporary()
        if code in ("NotImplemented", "501"):
            return Unsupported(message, **kw)
        if status == 404:
            return NotFound(message, **kw)
        if code in _TEMPORARY or status >= 500:
            return Unexpected(message, **kw).set_temporary()
        return Unexpected(message, **kw)

    # -- retries -------------------------------------------------------------------------
    @property
    def max_attempts(self) -> int:
        return self.config.max_attempts

    def backoff(self, attempt: int) -> None:
        """Wait before attempt ``attempt + 1``, as botocore's standard mode does: a random
        time up to ``2 ** (attempt - 1)`` seconds, at most 20 s."""
        time.sleep(random.random() * min(2.0 ** (attempt - 1), 20.0))

    def gave_up(self, error: Error, attempts: int, note: str = "") -> Error:
        """Mark a temporary ``error`` after ``attempts`` attempts: persistent, and saying so."""
        if not error.is_temporary or attempts < 2:
            if note:
                _append(error, f"({note})")
            return error
        _append(error, f"(still failing after {attempts} attempts{'; ' + note if note else ''})")
        return error.set_persistent().with_context("attempts", attempts)

    def error(self, err: BaseException, operation: str, path: str | None) -> Error:
        """The opendal_lab error for a botocore (or connection) exception, marked persistent
        when botocore retried it and gave up."""
        from botocore import exceptions as bx  # type: ignore[import-untyped]

        if isinstance(err, bx.ClientError):
            meta: dict[str, Any] = err.response.get("ResponseMetadata", {})
            retried = meta.get("RetryAttempts")
            attempts = retried + 1 if isinstance(retried, int) else 1
            note = "botocore's retry quota is used up" if meta.get("RetryQuotaReached") else ""
        else:
            attempts = getattr(err, ATTEMPTS_ATTR, 1)
            note = ""
        return self.gave_up(self._map(err, operation, path, bx), attempts, note)

    def _map(self, err: BaseException, operation: str, path: str | None, bx: Any) -> Error:
        ctx = {"bucket": self.bucket}
        if isinstance(err, bx.ClientError):
            response: dict[str, Any] = err.response
            info = response.get("Error", {})
            code = str(info.get("Code", ""))
            status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            message = redact(f"{code}: {info.get('Message') or err}")
            return self.from_code(code, status, message, operation, path)
        if isinstance(err, (bx.NoCredentialsError, bx.PartialCredentialsError)):
            return ConfigInvalid(_CREDENTIAL_HINT, operation=operation, service=SCHEME, path=path)
        if isinstance(err, bx.ParamValidationError):
            return ConfigInvalid(
                redact(str(err)), operation=operation, service=SCHEME, path=path, context=ctx
            )
        if isinstance(err, (bx.HTTPClientError, bx.ConnectionError, bx.IncompleteReadError)):
            midway = isinstance(err, (bx.ResponseStreamingError, bx.IncompleteReadError))
            what = "lost the connection to {} midway" if midway else "cannot reach {}"
            return Unexpected(
                redact(f"{what.format(self.endpoint)}: {type(err).__name__}: {err}"),
                operation=operation,
                service=SCHEME,
                path=path,
                context={**ctx, "endpoint": self.endpoint},
            ).set_temporary()
        if isinstance(err, Error):
            return err
        # Any other BotoCoreError, or anything else.
        return Unexpected(
            redact(f"{type(err).__name__}: {err}"),
            operation=operation,
            service=SCHEME,
            path=path,
            context=ctx,
        )


def _append(error: Error, text: str) -> None:
    error.message = f"{error.message} {text}"
    if isinstance(error, OSError):
        error.strerror = error.message


def _hide(err: BaseException) -> bool:
    """Whether to drop the original from the chain: its text could carry a secret."""
    return redact(str(err)) != str(err)


def _str(value: Any) -> str | None:
    return value if value else None


def head_metadata(out: dict[str, Any], path: str, current: bool | None = True) -> Metadata:
    """Metadata from a HeadObject or GetObject response (``current``: asked for no version)."""
    if path.endswith("/"):
        return DIR_METADATA
    last: datetime | None = out.get("LastModified")
    return Metadata(
        EntryMode.FILE,
        content_length=out.get("ContentLength"),
        last_modified=last,
        etag=out.get("ETag"),
        content_type=_str(out.get("ContentType")),
        content_disposition=_str(out.get("ContentDisposition")),
        content_encoding=_str(out.get("ContentEncoding")),
        cache_control=_str(out.get("CacheControl")),
        version=_str(out.get("VersionId")),
        user_metadata=dict(out["Metadata"]) if out.get("Metadata") else None,
        is_current=current if out.get("VersionId") else None,
    )
