"""A lock for objects that travel: layers are pickled to Dask workers and Spark executors."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["FreshLock"]


class FreshLock:
    """A ``threading.Lock`` that pickles as a new, unlocked one: a layer rebuilt on a worker
    gets a lock of its own instead of failing to pickle (or sharing a held state)."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._lock.__exit__(*exc)

    def __reduce__(self) -> tuple[type[FreshLock], tuple[()]]:
        return (FreshLock, ())
