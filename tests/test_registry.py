"""Schemes, plugins, URIs and config coercion; ``import opendal_lab`` stays light."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import opendal_lab.core.registry as registry
from opendal_lab import (
    BaseLayer,
    Capability,
    ConfigInvalid,
    EntryMode,
    LayeredAccess,
    Metadata,
    NotFound,
    Operator,
    Service,
    SimulateLayer,
    Unsupported,
    layer_names,
    register_layer,
    register_service,
    schemes,
)
from opendal_lab.core.options import ReadOptions, StatOptions
from opendal_lab.core.registry import build_layer

# The plugin in tests/plugin_pkg (scheme demo-kv, layer upper-path), installed if missing.
pytestmark = pytest.mark.usefixtures("demo_plugin")


@pytest.fixture(autouse=True)
def _isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run-time registrations made by a test vanish after it."""
    monkeypatch.setattr(registry.REGISTRY, "services", {})
    monkeypatch.setattr(registry.REGISTRY, "layers", {})
    monkeypatch.setattr(registry.REGISTRY, "aliases", {})


@dataclass
class TunedConfig:
    label: str = "x"
    verbose: bool = False
    retries: int = 0
    ratio: float = 1.0


class TunedService(Service):
    """A service whose config has bool/int/float keys, to see URI strings coerced."""

    scheme = "tuned"
    config_class = TunedConfig
    native = Capability(stat=True)

    def __init__(
        self, label: str = "x", verbose: bool = False, retries: int = 0, ratio: float = 1.0
    ) -> None:
        super().__init__(name=label)
        self.config = TunedConfig(label, verbose, retries, ratio)

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        return {"label": host}


def tuned(op: Operator) -> TunedConfig:
    service = op.stack[0].access
    assert isinstance(service, TunedService)
    return service.config


# -- schemes and plugins -----------------------------------------------------------------


def test_schemes_list_builtins_and_the_plugin() -> None:
    found = schemes()
    assert {"memory", "fs", "demo-kv"} <= set(found)
    assert found == sorted(found)


def test_plugin_service_works_through_the_default_stack() -> None:
    op = Operator("demo-kv", bucket="b1")
    assert op.scheme == "demo-kv"
    assert op.info().name == "b1"
    op.write("k", b"value")
    assert op.read("k") == b"value"
    assert op.read("k", suffix=3) == b"lue"  # simulated on a service without suffix reads
    assert [e.path for e in op.list("/")] == ["k"]
    with pytest.raises(ConfigInvalid, match="bucket"):
        Operator("demo-kv", region="x")


def test_plugin_layer_by_name() -> None:
    assert "upper-path" in layer_names()
    layer = build_layer("upper-path")
    op = Operator("memory", name=f"registry-{uuid.uuid4().hex}").layer(layer)
    op.write("f", b"quiet")
    assert op.read("f") == b"QUIET"
    assert [level.name for level in op.stack][-1] == type(layer).__name__


def test_builtin_layer_by_name_takes_options() -> None:
    layer = build_layer("simulate", stat_dir=False)
    assert isinstance(layer, SimulateLayer)
    assert layer.switches["stat_dir"] is False
    for name in ("error_context", "complete", "correctness_check", "capability_check"):
        assert name in layer_names()
        assert callable(build_layer(name).wrap)


def test_unknown_layer_names_the_available_ones() -> None:
    with pytest.raises(ConfigInvalid) as info:
        build_layer("no-such-layer")
    assert "upper-path" in str(info.value)
    assert "simulate" in str(info.value)


def test_unknown_scheme_names_the_available_ones() -> None:
    with pytest.raises((Unsupported, ConfigInvalid)) as info:
        Operator("no-such-scheme")
    text = str(info.value)
    assert "'no-such-scheme'" in text
    for scheme in ("memory", "fs", "demo-kv"):
        assert scheme in text


def test_unknown_scheme_suggests_the_closest() -> None:
    with pytest.raises(Unsupported) as info:
        Operator("memroy")
    text = str(info.value)
    assert "did you mean 'memory'?" in text
    assert "available schemes: demo-kv, fs," in text


def test_unknown_layer_suggests_the_closest() -> None:
    with pytest.raises(ConfigInvalid) as info:
        Operator("memory", name=f"registry-{uuid.uuid4().hex}", layers=["retyr"])
    text = str(info.value)
    assert "'retyr'" in text
    assert "did you mean 'retry'?" in text
    assert "available layers: cache, capability_check," in text


RETRY_OPTIONS = ("max_times", "factor", "min_delay", "max_delay", "jitter", "notify", "sleep")


@pytest.mark.parametrize(
    "layers",
    [
        [{"name": "retry", "max_tims": 5}],
        [("retry", {"max_tims": 5})],
    ],
    ids=["dict", "pair"],
)
def test_layer_option_typo_names_the_layer_and_its_options(layers: list[object]) -> None:
    with pytest.raises(ConfigInvalid) as info:
        Operator("memory", name=f"registry-{uuid.uuid4().hex}", layers=layers)  # type: ignore[arg-type]
    text = str(info.value)
    assert "layer 'retry'" in text
    assert "'max_tims'" in text
    assert "did you mean 'max_times'?" in text
    assert "valid options: " + ", ".join(RETRY_OPTIONS) in text


def test_layer_option_typo_through_fsspec_storage_options() -> None:
    import fsspec

    with pytest.raises(ConfigInvalid) as info:
        fsspec.filesystem(
            "opendal",
            scheme="memory",
            name=f"registry-{uuid.uuid4().hex}",
            layers=[{"name": "timeout", "io_timout": 1}],
        )
    text = str(info.value)
    assert "layer 'timeout'" in text
    assert "did you mean 'io_timeout'" in text
    assert "valid options: timeout, io_timeout, max_workers" in text


def test_every_builtin_layer_refuses_an_unknown_option_by_name() -> None:
    for name in registry.builtin_layer_names():
        with pytest.raises(ConfigInvalid) as info:
            build_layer(name, no_such_option=1)
        assert "'no_such_option'" in str(info.value)
        if name != "capability_override":  # takes any capability field; names them itself
            assert f"layer {name!r}" in str(info.value)
            assert "valid options: " in str(info.value)


def test_missing_required_layer_option_is_named() -> None:
    with pytest.raises(ConfigInvalid) as info:
        build_layer("concurrent_limit")
    assert str(info.value).endswith(
        "layer 'concurrent_limit' needs option 'permits'; valid options: permits, timeout"
    )


def test_valid_layer_options_come_from_the_signature() -> None:
    assert registry.layer_options(SimulateLayer) == dict.fromkeys(
        (
            "list_recursive",
            "list_start_after",
            "list_limit",
            "stat_dir",
            "create_dir",
            "delete_recursive",
            "read_with_suffix",
            "warn_unneeded",
        ),
        False,
    )
    register_layer("factory", lambda **anything: SimulateLayer())
    assert registry.layer_options(registry.layer_class("factory")) is None  # **kwargs: any
    assert isinstance(build_layer("factory", whatever=1), SimulateLayer)


def test_register_service_at_run_time() -> None:
    assert "tuned" not in schemes()
    register_service("tuned", TunedService)
    assert "tuned" in schemes()
    op = Operator("tuned", label="lab", verbose=True)
    assert tuned(op) == TunedConfig("lab", True, 0, 1.0)
    assert op.native_capability() == Capability(stat=True)


def test_run_time_registration_wins_over_a_plugin() -> None:
    register_service("demo-kv", TunedService)
    assert isinstance(Operator("demo-kv").stack[0].access, TunedService)


class HelperNamedInfoService(Service):
    """A plugin service with a ``_info`` helper: the base's own attributes must not shadow it."""

    scheme = "helper-info"
    native = Capability(stat=True, read=True)

    def __init__(self, name: str = "h") -> None:
        super().__init__(name=name)
        self.data = {"k": b"value"}

    def _info(self, path: str) -> Metadata:
        if path not in self.data:
            raise NotFound(f"no {path}", operation="stat", service=self.scheme, path=path)
        return Metadata(EntryMode.FILE, content_length=len(self.data[path]))

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._info(path)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        self._info(path)
        return self.data[path]


class _HelperNamedInfoAccess(LayeredAccess):
    def _info(self, path: str) -> str:
        return path.upper()

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._info(path).encode() + b":" + self.inner.read(path, opts)


class HelperNamedInfoLayer(BaseLayer):
    access_class = _HelperNamedInfoAccess


def test_a_service_may_define_a_helper_named_info() -> None:
    register_service("helper-info", HelperNamedInfoService)
    op = Operator("helper-info", name="lab")
    assert op.info().name == "lab"
    assert op.info().scheme == "helper-info"
    assert op.stat("k").content_length == 5
    assert op.read("k") == b"value"
    with pytest.raises(FileNotFoundError):
        op.stat("missing")


def test_a_layer_access_may_define_a_helper_named_info() -> None:
    op = Operator("memory", name=f"registry-{uuid.uuid4().hex}").layer(HelperNamedInfoLayer())
    op.write("f", b"x")
    assert op.read("f") == b"F:x"
    assert op.info().scheme == "memory"


def test_register_layer_at_run_time() -> None:
    register_layer("my-sim", SimulateLayer)
    assert "my-sim" in layer_names()
    assert isinstance(build_layer("my-sim", create_dir=False), SimulateLayer)


# -- URIs --------------------------------------------------------------------------------


def test_memory_uri_names_the_store_and_the_prefix() -> None:
    name = f"registry-{uuid.uuid4().hex}"
    op = Operator.from_uri(f"memory://{name}/pre/fix")
    assert (op.scheme, op.info().name, op.info().root) == ("memory", name, "/pre/fix/")
    op.write("k", b"v")
    whole = Operator("memory", name=name)
    assert whole.read("pre/fix/k") == b"v"
    assert Operator.from_uri(f"memory://{name}").read("pre/fix/k") == b"v"


@pytest.mark.parametrize("scheme", ["fs", "file"])
def test_fs_and_file_uris_take_an_absolute_root(scheme: str, tmp_path: Path) -> None:
    root = tmp_path / "data dir"
    op = Operator.from_uri(f"{scheme}://{root.as_posix().replace(' ', '%20')}")
    assert op.scheme == "fs"
    assert op.info().root == str(root)
    op.write("a.txt", b"hi")
    assert (root / "a.txt").read_bytes() == b"hi"


def test_uri_query_is_config_coerced_from_strings() -> None:
    register_service("tuned", TunedService)
    op = Operator.from_uri("tuned://host?verbose=true&retries=8&ratio=0.5")
    assert tuned(op) == TunedConfig("host", True, 8, 0.5)
    op = Operator.from_uri("tuned://host?verbose=off&retries=-2")
    assert tuned(op) == TunedConfig("host", False, -2, 1.0)


def test_keyword_config_wins_over_the_uri() -> None:
    register_service("tuned", TunedService)
    op = Operator.from_uri("tuned://host?retries=8", retries=3, label="kw")
    assert tuned(op) == TunedConfig("kw", False, 3, 1.0)


@pytest.mark.parametrize(
    ("query", "key"),
    [("verbose=maybe", "verbose"), ("retries=many", "retries"), ("ratio=half", "ratio")],
)
def test_uncoercible_config_is_config_invalid(query: str, key: str) -> None:
    register_service("tuned", TunedService)
    with pytest.raises(ConfigInvalid) as info:
        Operator.from_uri(f"tuned://host?{query}")
    assert repr(key) in str(info.value)
    assert "'tuned'" in str(info.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Operator.from_uri("memory://x?colour=red"),
        lambda: Operator("memory", colour="red"),
    ],
    ids=["uri", "keyword"],
)
def test_unknown_config_key_lists_the_valid_ones(make: object) -> None:
    with pytest.raises(ConfigInvalid) as info:
        make()  # type: ignore[operator]
    text = str(info.value)
    assert "'colour'" in text
    assert "valid keys: name, root" in text
    assert info.value.service == "memory"


def test_config_of_the_wrong_type_is_config_invalid() -> None:
    with pytest.raises(ConfigInvalid, match="'name'"):
        Operator("memory", name=5)


@pytest.mark.parametrize("uri", ["memory", "memory:/x", "", "://x", "/abs/path", "no scheme"])
def test_bad_uri_is_config_invalid(uri: str) -> None:
    with pytest.raises(ConfigInvalid) as info:
        Operator.from_uri(uri)
    assert "memory" in str(info.value)  # names the available schemes


def test_uri_of_an_unknown_scheme_names_the_available_ones() -> None:
    with pytest.raises((Unsupported, ConfigInvalid), match=r"available schemes: .*memory"):
        Operator.from_uri("nope://x")


def test_uri_must_be_a_str() -> None:
    with pytest.raises(TypeError):
        Operator.from_uri(b"memory://x")  # type: ignore[arg-type]


# -- import cost -------------------------------------------------------------------------

_IMPORT_PROBE = """
import json, sys
before = set(sys.modules)
import opendal_lab
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_import_is_light() -> None:
    """``import opendal_lab`` loads the core and nothing heavy: asserted on the modules it
    imports (in a fresh process), which is what makes it fast, not on a clock."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, check=True
    )
    new: set[str] = set(json.loads(out.stdout))
    tops = {m.split(".")[0] for m in new}
    for heavy in ("polars", "fsspec", "ipywidgets", "opendal", "pyarrow", "pandas", "numpy"):
        assert heavy not in tops, f"import opendal_lab imported {heavy}"
    assert {m for m in tops if m not in sys.stdlib_module_names} <= {
        "opendal_lab",
        "typing_extensions",
    }
    assert {"opendal_lab.core.operator", "opendal_lab.core.registry"} <= new
    # Services, the fsspec face, data sources, widgets and the extras' layers load on use.
    lazy = ("opendal_lab.services.", "opendal_lab.datasource", "opendal_lab.widgets")
    assert not {m for m in new if m.startswith(lazy)}
    for module in ("fsspec", "metrics", "tracing", "timeout", "throttle", "cache", "route"):
        name = f"opendal_lab.{module}" if module == "fsspec" else f"opendal_lab.layers.{module}"
        assert name not in new, f"import opendal_lab imported {name}"


# -- stacks described by names (URI queries, config dicts) ---------------------------------
def test_layers_by_name_dict_and_pair() -> None:
    from opendal_lab.layers.capability_override import CapabilityOverrideLayer
    from opendal_lab.layers.recorder import RecorderLayer
    from opendal_lab.layers.retry import RetryLayer

    op = Operator(
        "memory",
        name="by-name",
        layers=[
            "retry",
            {"name": "capability_override", "spec": "delete=false"},
            ("recorder", {"capacity": 5}),
        ],
    )
    user = [level.layer for level in op.stack[-3:]]
    assert isinstance(user[0], RetryLayer)
    assert isinstance(user[1], CapabilityOverrideLayer)
    assert isinstance(user[2], RecorderLayer)
    assert user[2].capacity == 5
    assert not op.capability().delete


def test_layers_from_a_uri_query_sit_below_keyword_layers() -> None:
    from opendal_lab.layers.recorder import RecorderLayer

    recorder = RecorderLayer()
    op = Operator.from_uri("memory://uri-layers?layers=logging,mime_guess", layers=[recorder])
    assert [level.name for level in op.stack[-3:]] == [
        "LoggingLayer",
        "MimeGuessLayer",
        "RecorderLayer",
    ]
    op.write("a.csv", b"x")
    assert recorder.calls[-1].operation == "write"
    assert op.stat("a.csv").content_type == "text/csv"


@pytest.mark.parametrize(
    ("layers", "error", "message"),
    [
        (
            "retyr",
            ConfigInvalid,
            r"unknown layer 'retyr' \(did you mean 'retry'\?\); available layers: .*retry",
        ),
        ([{"max_times": 3}], ConfigInvalid, "needs a 'name'"),
        ([42], TypeError, "is not a layer"),
        ({"name": "retry"}, TypeError, "layers must be a list"),
        ([("retry", {"max_tims": 3})], ConfigInvalid, "layer 'retry' has no option 'max_tims'"),
    ],
)
def test_bad_layer_descriptions(layers: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Operator("memory", name="bad-layers", layers=layers)  # type: ignore[arg-type]


def test_every_builtin_layer_is_exported_by_class_name() -> None:
    import opendal_lab.layers as layers

    exported = {getattr(layers, name) for name in layers.__all__ if name.endswith("Layer")}
    for name in registry.layer_names():
        if name in registry.builtin_layer_names():
            assert registry.layer_class(name) in exported, name
    with pytest.raises(AttributeError, match="no attribute 'NopeLayer'"):
        layers.NopeLayer  # noqa: B018


def test_missing_entry_points_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built-ins register through entry points: an uninstalled checkout is told so."""
    monkeypatch.setattr(registry, "_plugins", {"opendal_lab.services": {}})
    with pytest.raises(Unsupported, match="entry points are missing: install the package"):
        Operator("memory")
