"""MetricsLayer: Prometheus metrics per service and operation, through ``prometheus_client``.

::

    from prometheus_client import CollectorRegistry, generate_latest
    registry = CollectorRegistry()
    op = Operator("memory").layer(MetricsLayer(registry))
    op.write("a.csv", b"x,y")
    print(generate_latest(registry).decode())
    # opendal_operation_bytes_sum{namespace="default",operation="write",root="/",...} 3.0

The names and labels follow OpenDAL's ``PrometheusClientLayer`` (its ``observe`` module):

============================================ ========= =======================================
metric                                       type      observed
============================================ ========= =======================================
``opendal_operation_duration_seconds``       histogram every call that succeeded; a writer
                                                       from creation to close, a listing from
                                                       the call to the end of its iteration
``opendal_operation_bytes``                  histogram bytes of each read, write and writer
``opendal_operation_entries``                histogram entries of each listing, paths of each
                                                       ``delete_many``
``opendal_operation_errors_total``           counter   every failure, by ``error`` kind
                                                       (``NotFound``, ``RateLimited``, ...)
============================================ ========= =======================================

Labels: ``scheme``, ``namespace`` (the service's name: memory store, bucket), ``root``,
``operation`` (``stat``, ``read``, ``write``, ``writer``, ``list``, ``delete``,
``delete_many``, ``create_dir``, ``copy``, ``rename``, ``presign``), and on the error counter
``error``. A ``path`` label is off by default, as in OpenDAL: paths are unbounded, and every
label value is a time series. ``path_label_level=N`` turns it on with the first N segments
of the path (``N=1``: ``logs/2024/a.txt`` is counted as ``logs``; copy and rename by their
source; a ``delete_many`` batch has none, each path it failed to delete its own). Label
values pass through ``core.secrets.redact``. Buckets are OpenDAL's defaults. As in OpenDAL,
a failed call counts an error and no duration, so calls = duration count + errors; an
aborted writer counts neither, one dropped before close or abort an ``Unexpected`` error,
and a listing stopped early counts as far as it went.

``namespace`` is the metric name prefix (prometheus_client's term), not the label. The
metrics are registered once per registry and namespace and shared by every MetricsLayer on
that pair: building one layer per operator is fine. Labelled children are looked up once
per (operation, path label) and kept, so a call costs two clock reads and one observe.

A layer pickled to another process (Dask workers) reports to that process's default
``REGISTRY``: a registry belongs to one process. Needs ``pip install 'opendal-lab[metrics]'``.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Annotated, Any

from opendal_lab.core.access import Access, BaseLayer, Failures
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import ConfigInvalid, Error
from opendal_lab.core.secrets import redact
from opendal_lab.core.wrapping import OperationObserver

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
except ImportError as _missing:  # the extra is not installed
    raise ImportError(
        "MetricsLayer needs prometheus_client: pip install 'opendal-lab[metrics]'"
    ) from _missing

__all__ = [
    "BYTES_BUCKETS",
    "DURATION_SECONDS_BUCKETS",
    "ENTRIES_BUCKETS",
    "MetricsLayer",
    "path_label",
]

_KIB = 1024.0
_MIB = 1024 * _KIB
_GIB = 1024 * _MIB
#: OpenDAL's ``DEFAULT_BYTES_BUCKETS``: small files up to the 5 GiB single-upload limit.
BYTES_BUCKETS = (
    *(4 * _KIB, 64 * _KIB, 256 * _KIB),
    *(1 * _MIB, 4 * _MIB, 16 * _MIB, 64 * _MIB, 256 * _MIB),
    *(1 * _GIB, 5 * _GIB),
)
#: OpenDAL's ``DEFAULT_ENTRIES_BUCKETS``.
ENTRIES_BUCKETS = (1.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0)
#: OpenDAL's ``DEFAULT_DURATION_SECONDS_BUCKETS``: 1 ms to 1 min.
DURATION_SECONDS_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# prometheus_client accepts any UTF-8 name now; most scrapers and queries do not.
_NAMESPACE = Annotated[
    str,
    Check(
        pattern=r"(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?",
        says="a classic Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
    ),
]
_BASE_LABELS = ("scheme", "namespace", "root", "operation")


def path_label(path: str, level: int) -> str:
    """The first ``level`` segments of ``path`` (OpenDAL's ``path_label_value``)."""
    if level <= 0 or not path:
        return ""
    parts = path.split("/", level)
    return "/".join(parts[:level]) if len(parts) > level else path


class _Families:
    """The four metrics of one (registry, namespace), shared by every layer on it."""

    __slots__ = ("bytes", "duration", "entries", "errors", "labelnames")

    def __init__(self, registry: CollectorRegistry, namespace: str, labelnames: tuple[str, ...]):
        self.labelnames = labelnames
        made: list[Any] = []
        try:
            self.duration = Histogram(
                "operation_duration_seconds",
                "Duration of opendal operations in seconds, from start to completion",
                labelnames,
                namespace=namespace,
                registry=registry,
                buckets=DURATION_SECONDS_BUCKETS,
            )
            made.append(self.duration)
            self.bytes = Histogram(
                "operation_bytes",
                "Bytes transferred by each opendal read, write and writer",
                labelnames,
                namespace=namespace,
                registry=registry,
                buckets=BYTES_BUCKETS,
            )
            made.append(self.bytes)
            self.entries = Histogram(
                "operation_entries",
                "Entries of each opendal listing or batch delete",
                labelnames,
                namespace=namespace,
                registry=registry,
                buckets=ENTRIES_BUCKETS,
            )
            made.append(self.entries)
            self.errors = Counter(
                "operation_errors_total",
                "Failed opendal operations, by error kind",
                (*labelnames, "error"),
                namespace=namespace,
                registry=registry,
            )
        except ValueError as err:
            for metric in made:  # leave the registry as it was
                registry.unregister(metric)
            raise ConfigInvalid(
                f"MetricsLayer: cannot register its metrics with namespace {namespace!r}: {err}"
            ) from err


_SHARED: weakref.WeakKeyDictionary[CollectorRegistry, dict[str, _Families]] = (
    weakref.WeakKeyDictionary()
)
_SHARED_LOCK = threading.Lock()


def _families_for(registry: CollectorRegistry, namespace: str, with_path: bool) -> _Families:
    labelnames = (*_BASE_LABELS, "path") if with_path else _BASE_LABELS
    with _SHARED_LOCK:
        by_namespace = _SHARED.setdefault(registry, {})
        families = by_namespace.get(namespace)
        if families is None:
            families = by_namespace[namespace] = _Families(registry, namespace, labelnames)
        elif families.labelnames != labelnames:
            # prometheus_client fixes the label names of a metric when it is registered.
            raise ConfigInvalid(
                f"MetricsLayer: the {namespace!r} metrics in this registry have labels "
                f"{families.labelnames}, this layer needs {labelnames}; give layers with and "
                "without path_label_level different namespaces or registries"
            )
        return families


#: operation, path, perf_counter() at the start
_Token = tuple[str, str | None, float]
#: Operations whose size counts entries (the rest count bytes).
_COUNTED = frozenset({"list", "delete_many"})


class _MetricsAccess(OperationObserver[_Token]):
    layer: MetricsLayer

    def __init__(self, inner: Access, layer: MetricsLayer) -> None:
        super().__init__(inner, layer)
        info = self._access_info
        self._base = (info.scheme, redact(info.name), redact(info.root))
        self._level = layer.path_label_level
        families = layer._families
        self._duration = families.duration
        self._bytes = families.bytes
        self._entries = families.entries
        self._errors = families.errors
        # Labelled children by (operation[, path label]): labels() takes a lock and builds
        # a key on every call, far more than the observe itself.
        self._durations: dict[str, Histogram] = {}
        self._sizes: dict[str, Histogram] = {}
        self._counts: dict[str, Histogram] = {}
        self._errored: dict[str, Counter] = {}

    def _child(
        self, metric: Any, cache: dict[str, Any], op: str, path: str | None, *extra: str
    ) -> Any:
        if self._level:
            label = path_label(path or "", self._level)
            key = "\0".join((op, label, *extra))
        else:
            label = ""
            key = f"{op}\0{extra[0]}" if extra else op
        child = cache.get(key)
        if child is None:
            name = "presign" if op.startswith("presign_") else op  # one label for all presigns
            values = (*self._base, name, redact(label)) if self._level else (*self._base, name)
            child = cache[key] = metric.labels(*values, *extra)
        return child

    def _error(self, op: str, path: str | None, err: BaseException) -> None:
        kind = err.kind.value if isinstance(err, Error) else type(err).__name__
        self._child(self._errors, self._errored, op, path, kind).inc()

    def _start(self, operation: str, path: str | None, target: str | None, opts: object) -> _Token:
        return operation, path, time.perf_counter()  # copy and rename count by their source

    def _finish(self, token: _Token, error: BaseException | None, size: int | None) -> None:
        op, path, started = token
        if error is not None:
            self._error(op, path, error)
            return
        # Every successful call ends here: skip the general lookup when there is no path label.
        child = None if self._level else self._durations.get(op)
        if child is None:
            child = self._child(self._duration, self._durations, op, path)
        child.observe(time.perf_counter() - started)
        if size is not None:
            if op in _COUNTED:
                self._child(self._entries, self._counts, op, path).observe(size)
            else:
                self._child(self._bytes, self._sizes, op, path).observe(size)

    def _abort(self, token: _Token, error: BaseException | None, size: int | None) -> None:
        # An aborted writer counts neither; a listing stopped early counts as far as it went.
        if token[0] != "writer" or error is not None:
            self._finish(token, error, size)

    def _failed(self, token: _Token, error: BaseException, size: int | None) -> None:
        self._error(token[0], token[1], error)

    def _failures(self, token: _Token, failures: Failures, size: int) -> None:
        for path, failure in failures:
            self._error("delete_many", path, failure)


class MetricsLayer(BaseLayer):
    """Records duration, bytes, entries and errors of every operation in Prometheus metrics.

    Parameters
    ----------
    registry:
        Where the metrics live; ``prometheus_client.REGISTRY`` when not given.
    namespace:
        Prefix of the metric names (``opendal`` gives ``opendal_operation_bytes``).
    path_label_level:
        0 (default): no ``path`` label. N > 0: a ``path`` label with the first N segments.
    """

    access_class = _MetricsAccess

    @checked("MetricsLayer", quoted=False)
    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        namespace: _NAMESPACE = "opendal",
        *,
        path_label_level: Annotated[int, Check(own=True)] = 0,
    ) -> None:
        if registry is None:
            registry = REGISTRY
        # Not declared: a bool here has always been ConfigInvalid, not a TypeError.
        if (
            isinstance(path_label_level, bool)
            or not isinstance(path_label_level, int)
            or path_label_level < 0
        ):
            raise ConfigInvalid(
                f"MetricsLayer: path_label_level must be an int >= 0, got {path_label_level!r}"
            )
        self.registry = registry
        self.namespace = namespace
        self.path_label_level = path_label_level
        self._families = _families_for(registry, namespace, path_label_level > 0)

    def __getstate__(self) -> dict[str, Any]:
        # A registry holds locks and belongs to its process: the copy uses the default one.
        return {"namespace": self.namespace, "path_label_level": self.path_label_level}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.registry = REGISTRY
        self.namespace = state["namespace"]
        self.path_label_level = state["path_label_level"]
        self._families = _families_for(REGISTRY, self.namespace, self.path_label_level > 0)

    def __repr__(self) -> str:
        level = f", path_label_level={self.path_label_level}" if self.path_label_level else ""
        return f"MetricsLayer(namespace={self.namespace!r}{level})"
