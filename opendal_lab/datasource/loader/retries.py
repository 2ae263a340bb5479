"""When a failed partition is read again: temporary errors, a bounded number of times.

A partition is retried when ``read_partition`` raises

- ``TemporaryPartitionError`` (or a subclass): the source's own opt-in, for failures it
  knows to be transient (a dropped connection, a busy server);
- an ``opendal_lab`` ``Error`` whose status is temporary -- what ``RetryLayer`` retries
  (``RateLimited``, a ChaosLayer failure), let through by the source.

Anything else -- a permanent error, a ``DataSourceError`` (the source broke the protocol),
any other exception -- fails the partition at once, as before.

How often: the loader option ``partition_retries`` (default ``DEFAULT_RETRIES``; ``0``
turns retries off), so up to ``partition_retries + 1`` attempts. The loader takes it out of
the options before the source sees them, so sources that refuse unknown options keep
working, on ``load``/``scan`` and on Spark/Sail (``.option("partition_retries", "5")``).
Between attempts it waits ``BASE_DELAY * 2 ** (attempt - 1)`` seconds, capped at
``MAX_DELAY`` (0.05, 0.1, 0.2, ... 1 s). Each retry is logged as a warning on the
``opendal_lab.datasource`` logger with the partition's index, spec and attempt.

The loop itself is ``partition.run_partition``, which every engine runs (threads, process
pools, Dask, and Spark's Python worker), so all of them retry alike. A retry reads the
partition from the start; what the failed attempt yielded is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping

from opendal_lab.core.errors import Error
from opendal_lab.datasource.errors import DataSourceError, TemporaryPartitionError
from opendal_lab.datasource.options import int_option

__all__ = [
    "BASE_DELAY",
    "DEFAULT_RETRIES",
    "MAX_DELAY",
    "RETRIES_OPTION",
    "delay",
    "is_temporary",
    "log",
    "take_retries",
]

RETRIES_OPTION = "partition_retries"
DEFAULT_RETRIES = 2
BASE_DELAY = 0.05
MAX_DELAY = 1.0

log = logging.getLogger("opendal_lab.datasource")


def take_retries(options: MutableMapping[str, str], source: str) -> int:
    """Remove ``partition_retries`` from ``options`` and return it (ConfigInvalid if bad)."""
    retries = int_option(options, RETRIES_OPTION, DEFAULT_RETRIES, minimum=0, source=source)
    options.pop(RETRIES_OPTION, None)
    return retries


def is_temporary(exc: BaseException) -> bool:
    """Whether reading the partition again may get past ``exc``."""
    if isinstance(exc, DataSourceError):
        return False  # the source broke the protocol: another try breaks it again
    if isinstance(exc, TemporaryPartitionError):
        return True
    return isinstance(exc, Error) and exc.is_temporary


def delay(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based)."""
    return min(BASE_DELAY * 2.0 ** (attempt - 1), MAX_DELAY)
