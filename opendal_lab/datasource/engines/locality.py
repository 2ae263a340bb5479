"""Whether an executor's workers can reach a source's storage, checked before any task runs.

A ``memory://`` store lives in one process: a partition read on another process (a
``ProcessPoolExecutor``, a Dask cluster of worker processes) finds it empty and fails with
``NotFound`` and no hint. ``check_reachable(executor, source, options, name)`` raises
``ConfigInvalid`` instead, before the first partition is submitted, saying what to use.

The source's storage: a source may say where its data lives with a ``storage(options)``
method returning an ``Operator`` (``FileSource`` does), or hold one as ``operator``; a
source with neither is not checked. The operator is process-local when its service does
not declare the capability ``shared`` ("other processes and machines ... see the same
files"): memory, fsspec's memory filesystem, the opendal and obstore memory stores.

Where tasks run: a ``ThreadPoolExecutor`` runs them here; a ``ProcessPoolExecutor`` in
other processes; a Dask ``Client.get_executor()`` in its workers' processes, unless every
worker is in this process (a ``LocalCluster(processes=False)``: ``inproc://`` addresses).
Any other executor is taken to run them here (nothing is refused that might work).
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Mapping
from typing import Any

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.operator import Operator

__all__ = ["check_reachable", "process_local", "runs_elsewhere", "storage_of"]


def runs_elsewhere(executor: cf.Executor) -> bool:
    """Whether ``executor`` runs its tasks in processes other than this one."""
    if isinstance(executor, cf.ProcessPoolExecutor):
        return True
    if isinstance(executor, cf.ThreadPoolExecutor):
        return False
    client = getattr(executor, "_client", None)  # distributed.cfexecutor.ClientExecutor
    info = getattr(client, "scheduler_info", None)
    if not callable(info):
        return False
    workers = info().get("workers", {})
    return any(not str(address).startswith("inproc://") for address in workers)


def storage_of(source: Any, options: Mapping[str, str]) -> Operator | None:
    """The operator ``source`` reads from with ``options``, when it says."""
    storage = getattr(source, "storage", None)
    if callable(storage):
        found = storage(options)
        return found if isinstance(found, Operator) else None
    operator = getattr(source, "operator", None)
    return operator if isinstance(operator, Operator) else None


def process_local(operator: Operator) -> bool:
    """Whether ``operator``'s data is seen only by this process (module docstring)."""
    return not operator.stack[0].capability.shared


def check_reachable(
    executor: cf.Executor, source: Any, options: Mapping[str, str], name: str
) -> None:
    """ConfigInvalid when ``executor`` runs tasks elsewhere and the storage is per process."""
    if not runs_elsewhere(executor):
        return
    operator = storage_of(source, options)
    if operator is None or not process_local(operator):
        return
    raise ConfigInvalid(
        f"{name}: its storage ({operator.scheme}://, {operator!r}) lives in this process "
        f"only, but the executor ({type(executor).__name__}) runs partitions in other "
        "processes, which would find it empty; put the data on a shared service (fs, s3), "
        "or run on threads (no executor, a ThreadPoolExecutor, or a Dask "
        "LocalCluster(processes=False))",
        operation="datasource",
    )
