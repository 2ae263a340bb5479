"""Errors: one base that carries kind, status and context; one class per kind.

Each kind also subclasses the builtin exception Python code already catches, so fsspec,
pandas and plain ``except FileNotFoundError`` work unchanged::

    Exception
    └── Error                               kind, status, operation, service, path, context
        ├── Unexpected          (OSError)   anything the service could not classify
        │   └── Timeout         (TimeoutError)  a call outlived TimeoutLayer's budget
        ├── Unsupported         (NotImplementedError)
        ├── ConfigInvalid       (ValueError)   bad config, option or path
        ├── NotFound            (FileNotFoundError)
        ├── PermissionDenied    (PermissionError)
        ├── IsADirectory        (IsADirectoryError)
        ├── NotADirectory       (NotADirectoryError)
        ├── AlreadyExists       (FileExistsError)
        ├── RateLimited         (OSError)
        ├── IsSameFile          (shutil.SameFileError)
        ├── ConditionNotMatch   (OSError)   if_match / if_none_match / if_not_exists failed
        ├── RangeNotSatisfied   (ValueError)
        └── Conflict            (OSError)   a concurrent change got there first

Status says whether trying again can help: ``permanent`` (no), ``temporary`` (maybe),
``persistent`` (it was temporary, and still failed after retries).

``from_os_error`` turns an ``OSError`` into one of these by one errno table, the one every
service that meets OS errors uses (fs, the fsspec bridge).
"""

from __future__ import annotations

import enum
import errno
import shutil
from typing import Any

from typing_extensions import Self

__all__ = [
    "AlreadyExists",
    "ConditionNotMatch",
    "ConfigInvalid",
    "Conflict",
    "Error",
    "ErrorKind",
    "ErrorStatus",
    "IsADirectory",
    "IsSameFile",
    "NotADirectory",
    "NotFound",
    "PermissionDenied",
    "RangeNotSatisfied",
    "RateLimited",
    "Timeout",
    "Unexpected",
    "Unsupported",
    "error_class",
    "from_os_error",
]


class ErrorKind(str, enum.Enum):
    UNEXPECTED = "Unexpected"
    UNSUPPORTED = "Unsupported"
    CONFIG_INVALID = "ConfigInvalid"
    NOT_FOUND = "NotFound"
    PERMISSION_DENIED = "PermissionDenied"
    IS_A_DIRECTORY = "IsADirectory"
    NOT_A_DIRECTORY = "NotADirectory"
    ALREADY_EXISTS = "AlreadyExists"
    RATE_LIMITED = "RateLimited"
    IS_SAME_FILE = "IsSameFile"
    CONDITION_NOT_MATCH = "ConditionNotMatch"
    RANGE_NOT_SATISFIED = "RangeNotSatisfied"
    CONFLICT = "Conflict"


class ErrorStatus(str, enum.Enum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    PERSISTENT = "persistent"


class Error(Exception):
    """Base of every opendal_lab error.

    ``operation``, ``service`` and ``path`` say where it happened; ``context`` holds the
    rest (``from``/``to``, byte counts, the layers it passed). ``__cause__`` keeps the
    original foreign exception when one was mapped.
    """

    kind: ErrorKind = ErrorKind.UNEXPECTED
    _errno: int | None = None

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        service: str = "",
        path: str | None = None,
        status: ErrorStatus = ErrorStatus.PERMANENT,
        context: dict[str, Any] | None = None,
    ) -> None:
        # OSError subclasses take (errno, strerror) so `e.errno` is meaningful too.
        if self._errno is not None and isinstance(self, OSError):
            super().__init__(self._errno, message)
        else:
            super().__init__(message)
        self.message = message
        self.operation = operation
        self.service = service
        self.path = path
        self.status = status
        self.context: dict[str, Any] = dict(context) if context else {}

    # -- context, added on the way out --------------------------------------------
    def with_operation(self, operation: str) -> Self:
        """Set the operation if none was set yet (the innermost name wins)."""
        if not self.operation:
            self.operation = operation
        return self

    def with_context(self, key: str, value: Any) -> Self:
        self.context.setdefault(key, value)
        return self

    def fill(self, operation: str, service: str, path: str | None) -> Self:
        """Fill operation, service and path where they are still blank."""
        if not self.operation:
            self.operation = operation
        if not self.service:
            self.service = service
        if self.path is None:
            self.path = path
        return self

    # -- status ----------------------------------------------------------------
    @property
    def is_temporary(self) -> bool:
        return self.status is ErrorStatus.TEMPORARY

    def set_temporary(self) -> Self:
        self.status = ErrorStatus.TEMPORARY
        return self

    def set_persistent(self) -> Self:
        """Mark a temporary error that retries could not get past."""
        if self.status is ErrorStatus.TEMPORARY:
            self.status = ErrorStatus.PERSISTENT
        return self

    def set_permanent(self) -> Self:
        self.status = ErrorStatus.PERMANENT
        return self

    # -- display ----------------------------------------------------------------
    def __str__(self) -> str:
        where = f" at {self.operation}" if self.operation else ""
        text = f"{self.kind.value} ({self.status.value}){where} => {self.message}"
        ctx: dict[str, Any] = {}
        if self.service:
            ctx["service"] = self.service
        if self.path is not None:
            ctx["path"] = self.path
        ctx.update(self.context)
        if ctx:
            text += ", context: { " + ", ".join(f"{k}: {v}" for k, v in ctx.items()) + " }"
        if self.__cause__ is not None:
            text += f", source: {type(self.__cause__).__name__}: {self.__cause__}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (Dask workers); keep every field.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[Error], message: str, state: dict[str, Any]) -> Error:
    err = cls(message)
    err.__dict__.update(state)
    return err


class Unexpected(Error, OSError):
    kind = ErrorKind.UNEXPECTED
    _errno = errno.EIO


class Timeout(Unexpected, TimeoutError):
    """A call that did not finish within its budget (TimeoutLayer); temporary by default.

    Its kind stays ``Unexpected`` (OpenDAL has no timeout kind), so ``error_class`` and
    kind-based handling are unchanged; ``except TimeoutError`` catches it too.
    """

    _errno = errno.ETIMEDOUT

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("status", ErrorStatus.TEMPORARY)
        super().__init__(message, **kwargs)


class Unsupported(Error, NotImplementedError):
    kind = ErrorKind.UNSUPPORTED


class ConfigInvalid(Error, ValueError):
    kind = ErrorKind.CONFIG_INVALID


class NotFound(Error, FileNotFoundError):
    kind = ErrorKind.NOT_FOUND
    _errno = errno.ENOENT


class PermissionDenied(Error, PermissionError):
    kind = ErrorKind.PERMISSION_DENIED
    _errno = errno.EACCES


class IsADirectory(Error, IsADirectoryError):
    kind = ErrorKind.IS_A_DIRECTORY
    _errno = errno.EISDIR


class NotADirectory(Error, NotADirectoryError):
    kind = ErrorKind.NOT_A_DIRECTORY
    _errno = errno.ENOTDIR


class AlreadyExists(Error, FileExistsError):
    kind = ErrorKind.ALREADY_EXISTS
    _errno = errno.EEXIST


class RateLimited(Error, OSError):
    kind = ErrorKind.RATE_LIMITED
    _errno = errno.EBUSY

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("status", ErrorStatus.TEMPORARY)
        super().__init__(message, **kwargs)


class IsSameFile(Error, shutil.SameFileError):
    kind = ErrorKind.IS_SAME_FILE
    _errno = errno.EINVAL


class ConditionNotMatch(Error, OSError):
    kind = ErrorKind.CONDITION_NOT_MATCH
    _errno = errno.EEXIST


class RangeNotSatisfied(Error, ValueError):
    kind = ErrorKind.RANGE_NOT_SATISFIED


class Conflict(Error, OSError):
    kind = ErrorKind.CONFLICT
    _errno = errno.EAGAIN


_BY_KIND: dict[ErrorKind, type[Error]] = {
    cls.kind: cls
    for cls in (
        Unexpected,
        Unsupported,
        ConfigInvalid,
        NotFound,
        PermissionDenied,
        IsADirectory,
        NotADirectory,
        AlreadyExists,
        RateLimited,
        IsSameFile,
        ConditionNotMatch,
        RangeNotSatisfied,
        Conflict,
    )
}


def error_class(kind: ErrorKind | str) -> type[Error]:
    """The exception class for a kind, by enum or by name (``"NotFound"``)."""
    return _BY_KIND[ErrorKind(kind)]


# -- from an OSError ------------------------------------------------------------------------
# One table for every service that meets OS errors (fs, the fsspec bridge). The builtin
# subclass decides first (``FileNotFoundError("gone")`` may carry no errno), then the errno.
_BY_OS_TYPE: tuple[tuple[type[OSError], type[Error]], ...] = (
    (FileNotFoundError, NotFound),
    (FileExistsError, AlreadyExists),
    (IsADirectoryError, IsADirectory),
    (NotADirectoryError, NotADirectory),
    (PermissionError, PermissionDenied),
)
_BY_ERRNO: dict[int, type[Error]] = {
    errno.ENOENT: NotFound,
    errno.EACCES: PermissionDenied,
    errno.EPERM: PermissionDenied,
    errno.EISDIR: IsADirectory,
    errno.ENOTDIR: NotADirectory,
    errno.EEXIST: AlreadyExists,
    # A symlink the OS would not follow: fs opens with O_NOFOLLOW, so this is first a link
    # where none may be, and a loop (too many levels) is a link that never resolves, so
    # never shown to stay inside the root. Both are refusals, as every link out of the
    # root is (tests/test_security.py): PermissionDenied, permanent. Not NotFound: there
    # is something there, and trying again cannot help.
    errno.ELOOP: PermissionDenied,
    # A directory that still has entries, where an empty one (or none) was needed: the
    # state conflicts with the request (a non-recursive delete of a full directory, or an
    # entry added while a recursive delete ran). Not Unexpected: it is well understood.
    errno.ENOTEMPTY: Conflict,
}
_TEMPORARY_ERRNOS = frozenset({errno.EAGAIN, errno.EINTR, errno.EBUSY, errno.ETIMEDOUT})
# What a service tells the user for an errno in one operation, instead of the OS's words.
_HINTS: dict[tuple[str, int], str] = {
    ("delete", errno.ENOTEMPTY): "directory is not empty; delete it with recursive=True",
}


def from_os_error(
    err: OSError,
    *,
    operation: str = "",
    service: str = "",
    path: str | None = None,
    message: str | None = None,
) -> Error:
    """Our error for an ``OSError`` (one of ours is returned as it is); chain it yourself.

    ``message`` defaults to the OS's words (``strerror``). Busy, interrupted, would-block,
    timed-out and connection errors are temporary.
    """
    if isinstance(err, Error):
        return err
    cls = next((ours for builtin, ours in _BY_OS_TYPE if isinstance(err, builtin)), None)
    if cls is None:
        cls = _BY_ERRNO.get(err.errno, Unexpected) if err.errno is not None else Unexpected
    text = _HINTS.get((operation, err.errno or 0)) or message or err.strerror or str(err)
    mapped = cls(text or type(err).__name__, operation=operation, service=service, path=path)
    if err.errno in _TEMPORARY_ERRNOS or isinstance(err, (TimeoutError, ConnectionError)):
        mapped.set_temporary()
    return mapped
