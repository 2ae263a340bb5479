"""MetricsLayer: durations, bytes, entries and errors by kind, in a prometheus_client registry."""

from __future__ import annotations

import importlib
import json
import pickle
import subprocess
import sys
import uuid
from collections.abc import Sequence

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from opendal_lab import (
    ConfigInvalid,
    NotFound,
    Operator,
    PermissionDenied,
    RangeNotSatisfied,
    RateLimited,
)
from opendal_lab.core.access import Failures
from opendal_lab.core.options import DeleteOptions, ListOptions, StatOptions, WriteOptions
from opendal_lab.core.registry import build_layer
from opendal_lab.core.secrets import register_secret
from opendal_lab.layers.metrics import MetricsLayer, path_label

from .fake import FakeService

DURATION = "opendal_operation_duration_seconds"
BYTES = "opendal_operation_bytes"
ENTRIES = "opendal_operation_entries"
ERRORS = "opendal_operation_errors_total"


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def name() -> str:
    return f"met-{uuid.uuid4().hex}"


@pytest.fixture
def op(registry: CollectorRegistry, name: str) -> Operator:
    return Operator("memory", name=name).layer(MetricsLayer(registry))


def sample(
    registry: CollectorRegistry,
    metric: str,
    operation: str,
    *,
    namespace: str,
    scheme: str = "memory",
    **extra: str,
) -> float:
    labels = {"scheme": scheme, "namespace": namespace, "root": "/", "operation": operation}
    value = registry.get_sample_value(metric, {**labels, **extra})
    return 0.0 if value is None else value


def test_counts_durations_and_bytes(op: Operator, registry: CollectorRegistry, name: str) -> None:
    op.write("d/a.bin", b"hello")
    op.stat("d/a.bin")
    assert op.read("d/a.bin") == b"hello"
    assert op.read("d/a.bin", offset=1, size=3) == b"ell"
    op.copy("d/a.bin", "d/b.bin")
    op.rename("d/b.bin", "d/c.bin")
    op.create_dir("e/")
    op.delete("d/c.bin")

    def count(metric: str, operation: str) -> float:
        return sample(registry, f"{metric}_count", operation, namespace=name)

    for operation, calls in {
        "write": 1,
        "stat": 1,
        "read": 2,
        "copy": 1,
        "rename": 1,
        "create_dir": 1,
        "delete": 1,
    }.items():
        assert count(DURATION, operation) == calls, operation
    assert sample(registry, f"{DURATION}_sum", "read", namespace=name) > 0
    assert count(BYTES, "read") == 2
    assert sample(registry, f"{BYTES}_sum", "read", namespace=name) == 5 + 3
    assert sample(registry, f"{BYTES}_sum", "write", namespace=name) == 5
    # 5 bytes land in the smallest bucket (4 KiB); stat moves no bytes, so has no series.
    bucket = registry.get_sample_value(
        f"{BYTES}_bucket",
        {"scheme": "memory", "namespace": name, "root": "/", "operation": "write", "le": "4096.0"},
    )
    assert bucket == 1
    assert count(BYTES, "stat") == 0
    assert sample(registry, ERRORS, "read", namespace=name, error="NotFound") == 0


def test_errors_are_counted_by_kind_without_a_duration(
    op: Operator, registry: CollectorRegistry, name: str
) -> None:
    with pytest.raises(NotFound):
        op.read("missing")
    assert not op.exists("missing")
    assert not op.exists("missing")
    op.write("f", b"x")
    with pytest.raises(RangeNotSatisfied):
        op.read("f", offset=10, size=1)
    with pytest.raises(NotFound):
        op.copy("missing", "g")

    def errors(operation: str, kind: str) -> float:
        return sample(registry, ERRORS, operation, namespace=name, error=kind)

    assert errors("read", "NotFound") == 1
    assert errors("stat", "NotFound") == 2
    assert errors("read", "RangeNotSatisfied") == 1
    assert errors("copy", "NotFound") == 1
    # Like OpenDAL: a failed call counts an error and no duration.
    assert sample(registry, f"{DURATION}_count", "read", namespace=name) == 0
    assert sample(registry, f"{DURATION}_count", "stat", namespace=name) == 0


def test_writer_is_observed_once_at_close_and_not_on_abort(
    op: Operator, registry: CollectorRegistry, name: str
) -> None:
    with op.open("w.bin", "wb") as f:
        f.write(b"abc")
        f.flush()
        f.write(b"de")
    writer = op.open("x.bin", "wb")
    writer.write(b"abc")
    writer.abort()  # type: ignore[attr-defined]
    assert sample(registry, f"{DURATION}_count", "writer", namespace=name) == 1
    assert sample(registry, f"{BYTES}_count", "writer", namespace=name) == 1
    assert sample(registry, f"{BYTES}_sum", "writer", namespace=name) == 5
    assert sample(registry, f"{DURATION}_count", "write", namespace=name) == 0


def test_writer_errors_are_counted(registry: CollectorRegistry) -> None:
    fake = FakeService()
    access = MetricsLayer(registry).wrap(fake)
    fake.fail["writer.close"] = RateLimited("slow down")
    w = access.writer("a", WriteOptions())
    w.write(b"abc")
    with pytest.raises(RateLimited):
        w.close()
    assert sample(registry, ERRORS, "writer", namespace="fake", scheme="fake", error="RateLimited")
    assert sample(registry, f"{DURATION}_count", "writer", namespace="fake", scheme="fake") == 0


def test_lists_are_observed_per_listing(
    op: Operator, registry: CollectorRegistry, name: str
) -> None:
    for key in ("d/a", "d/b", "d/c"):
        op.write(key, b"x")
    assert len(list(op.list("d/"))) == 4  # d/ itself and three files
    it = op.list("d/")
    next(it)
    it.close()  # type: ignore[attr-defined]  # abandoned early: counted as far as it went
    assert sample(registry, f"{DURATION}_count", "list", namespace=name) == 2
    assert sample(registry, f"{ENTRIES}_count", "list", namespace=name) == 2
    assert sample(registry, f"{ENTRIES}_sum", "list", namespace=name) == 4 + 1


def test_a_listing_that_fails_midway_counts_an_error(registry: CollectorRegistry) -> None:
    fake = FakeService(data={"d/a": b"1", "d/b": b"2"})
    fake.fail["list.next"] = PermissionDenied("no more")
    access = MetricsLayer(registry).wrap(fake)
    it = access.list("d/", ListOptions())
    next(it)
    with pytest.raises(PermissionDenied):
        list(it)
    labels = {"namespace": "fake", "scheme": "fake"}
    assert sample(registry, ERRORS, "list", error="PermissionDenied", **labels) == 1
    assert sample(registry, f"{ENTRIES}_count", "list", **labels) == 0


class _FailingBatch(FakeService):
    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        super().delete_many(items)
        return [(path, PermissionDenied("locked", path=path)) for path, _ in items[:2]]


def test_delete_many_observes_the_batch_and_each_failure(registry: CollectorRegistry) -> None:
    access = MetricsLayer(registry).wrap(_FailingBatch())
    items = [(f"k{i}", DeleteOptions()) for i in range(5)]
    assert len(access.delete_many(items)) == 2
    labels = {"namespace": "fake", "scheme": "fake"}
    assert sample(registry, f"{ENTRIES}_sum", "delete_many", **labels) == 5
    assert sample(registry, f"{DURATION}_count", "delete_many", **labels) == 1
    assert sample(registry, ERRORS, "delete_many", error="PermissionDenied", **labels) == 2


def test_a_foreign_exception_is_labelled_by_its_type(registry: CollectorRegistry) -> None:
    fake = FakeService()
    fake.fail["stat"] = KeyError("boom")
    access = MetricsLayer(registry).wrap(fake)  # no ErrorContext below: the raw error
    with pytest.raises(KeyError):
        access.stat("a", StatOptions())
    assert sample(registry, ERRORS, "stat", namespace="fake", scheme="fake", error="KeyError")


def test_layers_on_one_registry_share_the_metrics(registry: CollectorRegistry) -> None:
    a = Operator("memory", name="share-a").layer(MetricsLayer(registry))
    b = Operator("memory", name="share-b").layer(MetricsLayer(registry))
    a2 = Operator("memory", name="share-a").layer(MetricsLayer(registry))
    for op in (a, b, a2):
        op.write("k", b"xy")
    assert sample(registry, f"{DURATION}_count", "write", namespace="share-a") == 2
    assert sample(registry, f"{DURATION}_count", "write", namespace="share-b") == 1
    # Another prefix is another set of metrics in the same registry.
    c = Operator("memory", name="share-a").layer(MetricsLayer(registry, namespace="lab"))
    c.read("k")
    assert (
        registry.get_sample_value(
            "lab_operation_bytes_sum",
            {"scheme": "memory", "namespace": "share-a", "root": "/", "operation": "read"},
        )
        == 2
    )


def test_path_label_is_opt_in_with_a_depth(registry: CollectorRegistry, name: str) -> None:
    op = Operator("memory", name=name).layer(MetricsLayer(registry, path_label_level=1))
    op.write("logs/2024/a.txt", b"abc")
    op.write("logs/2025/b.txt", b"de")
    op.write("top.txt", b"f")
    assert sample(registry, f"{BYTES}_sum", "write", namespace=name, path="logs") == 5
    assert sample(registry, f"{BYTES}_sum", "write", namespace=name, path="top.txt") == 1
    # A layer without the label cannot share these metrics: prometheus fixes label names.
    with pytest.raises(ConfigInvalid, match="path_label_level"):
        MetricsLayer(registry)
    assert isinstance(MetricsLayer(registry, namespace="nopath"), MetricsLayer)


@pytest.mark.parametrize(
    ("path", "level", "label"),
    [
        ("abc/def/ghi", 0, ""),
        ("abc/def/ghi", 1, "abc"),
        ("abc/def/ghi", 2, "abc/def"),
        ("abc/def/ghi", 3, "abc/def/ghi"),
        ("abc/def/ghi", 99, "abc/def/ghi"),
        ("d/", 1, "d"),
        ("", 1, ""),
    ],
)
def test_path_label_matches_opendal(path: str, level: int, label: str) -> None:
    assert path_label(path, level) == label


def test_registered_secrets_never_reach_a_label(registry: CollectorRegistry, name: str) -> None:
    secret = f"SECRET{uuid.uuid4().hex}"
    register_secret(secret)
    op = Operator("memory", name=name).layer(MetricsLayer(registry, path_label_level=2))
    op.write(f"keys/{secret}/a", b"x")
    exposition = "".join(f"{s.labels}" for metric in registry.collect() for s in metric.samples)
    assert secret not in exposition
    assert sample(registry, f"{BYTES}_sum", "write", namespace=name, path="keys/***") == 1


def test_labelled_children_are_looked_up_once(
    registry: CollectorRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = MetricsLayer(registry)
    looked_up: list[tuple[str, ...]] = []
    histogram = layer._families.duration
    original = histogram.labels

    def counting(*values: str) -> object:
        looked_up.append(values)
        return original(*values)

    monkeypatch.setattr(histogram, "labels", counting)
    op = Operator("memory", name="once").layer(layer)
    op.write("a", b"x")
    for _ in range(5):
        op.stat("a")
        op.read("a")
    assert [values[-1] for values in looked_up] == ["write", "stat", "read"]


def test_a_foreign_collector_with_the_same_name_is_refused_cleanly(
    registry: CollectorRegistry,
) -> None:
    Counter("opendal_operation_errors", "someone else's", registry=registry)
    with pytest.raises(ConfigInvalid, match="cannot register"):
        MetricsLayer(registry)
    # Nothing half-registered is left behind.
    assert registry.get_sample_value("opendal_operation_duration_seconds_count") is None
    names = {m.name for m in registry.collect()}
    assert names == {"opendal_operation_errors"}


def test_arguments_pickling_and_registry(registry: CollectorRegistry) -> None:
    with pytest.raises(TypeError, match="CollectorRegistry"):
        MetricsLayer("registry")  # type: ignore[arg-type]
    with pytest.raises(ConfigInvalid, match="path_label_level"):
        MetricsLayer(registry, path_label_level=-1)
    with pytest.raises(ConfigInvalid, match="path_label_level"):
        MetricsLayer(registry, path_label_level=True)
    with pytest.raises(ConfigInvalid, match="classic Prometheus name"):
        MetricsLayer(registry, namespace="not a name")
    layer = build_layer("metrics", registry=registry, namespace="built")
    assert isinstance(layer, MetricsLayer)
    assert repr(layer) == "MetricsLayer(namespace='built')"
    # A registry belongs to its process: the copy reports to the default one.
    copy = pickle.loads(pickle.dumps(MetricsLayer(registry, namespace="lab_pickled")))
    assert copy.registry is REGISTRY
    assert copy.namespace == "lab_pickled"
    Operator("memory", name="pickled").layer(copy).write("a", b"xyz")
    assert (
        REGISTRY.get_sample_value(
            "lab_pickled_operation_bytes_sum",
            {"scheme": "memory", "namespace": "pickled", "root": "/", "operation": "write"},
        )
        == 3
    )


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "opendal_lab.layers.metrics")
    with pytest.raises(ImportError, match=r"pip install 'opendal-lab\[metrics\]'"):
        importlib.import_module("opendal_lab.layers.metrics")
    with pytest.raises(ImportError, match=r"opendal-lab\[metrics\]"):
        build_layer("metrics")


def test_import_opendal_lab_leaves_prometheus_client_out() -> None:
    probe = (
        "import json, sys; import opendal_lab; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('prometheus'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
