"""SimulateLayer's RFC builders (one ``with_<switch>`` each) and simulation as configuration:
a dict, ``"none"``/``"default"``, ``simulate.<switch>`` keys in a URI query or fsspec
storage_options all reach the same layer, on memory, fs and s3 (moto)."""

from __future__ import annotations

import doctest
import inspect
import pickle
import pydoc
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsspec  # type: ignore[import-untyped]
import pytest

from opendal_lab import ConfigInvalid, Operator, SimulateLayer, Unsupported
from opendal_lab.core.layers import simulate as simulate_module
from opendal_lab.core.layers.simulate import SWITCHES, simulate_layer
from opendal_lab.layers import LoggingLayer
from tests.servers import MotoServer

# -- the builders ------------------------------------------------------------------------


@pytest.mark.parametrize("switch", SWITCHES)
@pytest.mark.parametrize("start", ["all_on", "all_off"])
def test_each_builder_flips_exactly_its_switch_in_a_new_layer(switch: str, start: str) -> None:
    base = SimulateLayer(warn_unneeded=False) if start == "all_on" else SimulateLayer.none()
    base.count(switch)
    before = dict(base.switches)
    for enabled in (True, False):
        built = getattr(base, f"with_{switch}")(enabled)
        assert isinstance(built, SimulateLayer)
        assert built is not base
        assert built.switches == {**before, switch: enabled}
        assert built.warn_unneeded is base.warn_unneeded
        assert built.counters == dict.fromkeys(SWITCHES, 0)  # a new layer counts afresh
    assert base.switches == before  # the original is unchanged
    assert base.counters[switch] == 1


@pytest.mark.parametrize("switch", SWITCHES)
def test_builders_are_real_typed_methods_that_help_shows(switch: str) -> None:
    name = f"with_{switch}"
    method = vars(SimulateLayer).get(name)  # defined on the class, not made by __getattr__
    assert callable(method), name
    assert switch in (method.__doc__ or "")
    signature = inspect.signature(method)
    assert list(signature.parameters) == ["self", "enabled"]
    assert signature.parameters["enabled"].annotation == "bool"
    assert signature.return_annotation == "SimulateLayer"
    assert name in re.sub(".\b", "", pydoc.render_doc(SimulateLayer))  # no bold


@pytest.mark.parametrize("value", ["false", 1, 0, None, "True"], ids=repr)
@pytest.mark.parametrize("switch", ["stat_dir", "read_with_suffix"])
def test_builders_refuse_a_value_that_is_not_a_bool(switch: str, value: Any) -> None:
    with pytest.raises(
        TypeError, match=rf"with_{switch}\(enabled\).*bool, got {type(value).__name__}"
    ):
        getattr(SimulateLayer(), f"with_{switch}")(value)


def test_the_module_docstring_examples_run() -> None:
    """The RFC's examples, as the module documents them (doctest)."""
    result = doctest.testmod(simulate_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 15


# -- the RFC's examples, on real services ------------------------------------------------


def _rfc_chain() -> SimulateLayer:
    return (
        SimulateLayer()
        .with_list_recursive(True)  # enable recursive listing simulation
        .with_list_start_after(True)  # enable start_after simulation
        .with_stat_dir(False)  # disable stat dir simulation
        .with_create_dir(False)  # disable create_dir simulation
    )


def test_rfc_selective_chain_on_fs(tmp_path: Path) -> None:
    layer = _rfc_chain()
    assert {k for k, on in layer.switches.items() if not on} == {"stat_dir", "create_dir"}
    op = Operator("fs", root=str(tmp_path), simulate=layer)
    for path in ("a/1", "a/b/2", "file.txt", "z.txt"):
        op.write(path, b"x")
    # fs lists one directory at a time natively: the layer walks it, and starts after a key.
    assert [e.path for e in op.list("/", recursive=True)] == [
        "/",
        "a/",
        "a/1",
        "a/b/",
        "a/b/2",
        "file.txt",
        "z.txt",
    ]
    assert [e.path for e in op.list("/", start_after="file.txt")] == ["z.txt"]
    report = op.capability_report()
    assert report["list_with_recursive"].state == "simulated"
    assert report["list_with_start_after"].state == "simulated"
    # fs has directories: stat_dir and create_dir off changes nothing there, natively.
    assert report["create_dir"].state == "native"
    op.create_dir("made/")
    assert op.stat("made/").mode.name == "DIR"
    assert layer.counters["list_recursive"] == 1
    assert layer.counters["list_start_after"] == 1


def test_rfc_default_on_fs_and_the_binding_example(tmp_path: Path) -> None:
    # `Operator::new(Fs::default())?.layer(SimulateLayer::default())`, and the binding's
    # `operator.list("", start_after="file.txt")`, which "just works".
    op = Operator("fs", root=str(tmp_path), simulate=SimulateLayer())
    for path in ("a.txt", "file.txt", "g.txt"):
        op.write(path, b"x")
    assert [e.path for e in op.list("/", start_after="file.txt")] == ["g.txt"]
    plain = Operator("fs", root=str(tmp_path))
    assert [e.path for e in plain.list("", start_after="file.txt")] == ["g.txt"]


def test_rfc_no_simulation_on_s3(moto_server: MotoServer, s3_bucket: str) -> None:
    # "Performance-critical: no simulation overhead": native capabilities only.
    config = moto_server.config(s3_bucket)
    op = Operator("s3", **config, simulate=None)
    assert "SimulateLayer" not in [level.name for level in op.stack]
    assert not any(s.state == "simulated" for s in op.capability_report().values())
    assert op.capability().create_dir is False
    with pytest.raises(Unsupported):
        op.create_dir("d/")
    simulated = Operator("s3", **config)
    simulated.create_dir("d/")
    assert simulated.stat("d/").mode.name == "DIR"


def test_rfc_binding_configuration_example(tmp_path: Path) -> None:
    """The RFC's "hypothetical" Python API, which this is now."""
    op = Operator("fs", root=str(tmp_path), simulate={"list_start_after": True, "stat_dir": False})
    assert isinstance(op.simulate, SimulateLayer)
    assert op.simulate.switches == {**dict.fromkeys(SWITCHES, True), "stat_dir": False}
    op.write("file.txt", b"x")
    op.write("next.txt", b"y")
    assert [e.path for e in op.list("/", start_after="file.txt")] == ["next.txt"]


# -- every configuration route reaches the same layer ------------------------------------

#: Switches off in the routes below, as each route writes them.
OFF = {"create_dir": False, "stat_dir": False}
OFF_TEXT = {"simulate.create_dir": "false", "simulate.stat_dir": "0"}
OFF_QUERY = "simulate.create_dir=false&simulate.stat_dir=0"

Build = Callable[..., Operator]


class Service:
    """How one service is built by keyword, by URI and by fsspec protocol."""

    def __init__(self, scheme: str, config: dict[str, Any], uri: str, uri_config: dict[str, Any]):
        self.scheme = scheme
        self.config = config
        self.uri = uri  # no query
        self.uri_config = uri_config  # what the URI does not carry (s3: endpoint, keys)

    def routes(
        self, layer: SimulateLayer | None, spec: Any, text: dict[str, str], query: str
    ) -> dict[str, Operator]:
        """One operator per route, all meant to carry the same simulate layer."""
        sep = "&" if "?" in self.uri else "?"
        default = Operator(self.scheme, **self.config)
        ops = {
            "layer object": Operator(self.scheme, **self.config, simulate=layer),
            "python keyword": Operator(self.scheme, **self.config, simulate=spec),
            "text keys": Operator(self.scheme, **self.config, **text),
            "uri query": Operator.from_uri(f"{self.uri}{sep}{query}", **self.uri_config),
            "uri + keyword": Operator.from_uri(self.uri, **self.uri_config, simulate=spec),
            "with_simulate": default.with_simulate(spec),
            "fsspec options": fsspec.filesystem(
                f"opendal+{self.scheme}", **self.config, simulate=spec, skip_instance_cache=True
            ).operator,
            "fsspec text options": fsspec.filesystem(
                "opendal", scheme=self.scheme, **self.config, **text, skip_instance_cache=True
            ).operator,
        }
        return ops


@pytest.fixture(params=["memory", "fs", "s3"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Service:
    if request.param == "memory":
        name = f"simulate-routes-{uuid.uuid4().hex[:8]}"
        return Service("memory", {"name": name}, f"memory://{name}", {})
    if request.param == "fs":
        return Service("fs", {"root": str(tmp_path)}, f"fs://{tmp_path}", {})
    moto: MotoServer = request.getfixturevalue("moto_server")
    bucket: str = request.getfixturevalue("s3_bucket")
    config = moto.config(bucket)
    return Service(
        "s3", config, f"s3://{bucket}", {k: v for k, v in config.items() if k != "bucket"}
    )


def switches_of(op: Operator) -> dict[str, bool]:
    assert isinstance(op.simulate, SimulateLayer)
    return op.simulate.switches


def _seen(op: Operator) -> tuple[Any, ...]:
    """What an operator's simulation amounts to: layer type and switches, stack, report."""
    layer = op.simulate
    switches = layer.switches if isinstance(layer, SimulateLayer) else None
    return (
        type(layer),
        switches,
        [level.name for level in op.stack],
        op.capability(),
        dict(op.capability_report()),
    )


def _assert_same(ops: dict[str, Operator]) -> None:
    first_name, first = next(iter(ops.items()))
    for name, op in ops.items():
        assert _seen(op) == _seen(first), f"{name} differs from {first_name}"


def test_switches_off_reach_the_same_layer_by_every_route(service: Service) -> None:
    layer = SimulateLayer(warn_unneeded=False).with_create_dir(False).with_stat_dir(False)
    ops = service.routes(layer, OFF, OFF_TEXT, OFF_QUERY)
    ops["python text values"] = Operator(
        service.scheme, **service.config, simulate={"create_dir": "off", "stat_dir": "no"}
    )
    _assert_same(ops)
    op = ops["uri query"]
    assert isinstance(op.simulate, SimulateLayer)
    assert op.simulate.switches == {**dict.fromkeys(SWITCHES, True), **OFF}
    assert op.simulate.warn_unneeded is False  # as the default layer: no warning from config
    if service.scheme != "fs":  # fs has create_dir natively
        assert op.capability().create_dir is False
        with pytest.raises(Unsupported):
            op.create_dir("d/")


def test_none_reaches_no_layer_by_every_route(service: Service) -> None:
    ops = service.routes(None, "none", {"simulate": "none"}, "simulate=none")
    ops["False"] = Operator(service.scheme, **service.config, simulate=False)
    ops["'NONE'"] = Operator(service.scheme, **service.config, simulate="NONE")
    _assert_same(ops)
    assert all(op.simulate is None for op in ops.values())
    assert "SimulateLayer" not in [level.name for level in ops["uri query"].stack]


def test_default_reaches_the_default_layer_by_every_route(service: Service) -> None:
    ops = service.routes(
        SimulateLayer(warn_unneeded=False), "default", {"simulate": "default"}, "simulate=default"
    )
    ops["not given"] = Operator(service.scheme, **service.config)
    ops["True"] = Operator(service.scheme, **service.config, simulate=True)
    ops["empty dict"] = Operator(service.scheme, **service.config, simulate={})
    ops["uri, no query"] = Operator.from_uri(service.uri, **service.uri_config)
    _assert_same(ops)
    assert switches_of(ops["not given"]) == dict.fromkeys(SWITCHES, True)


# -- how the parts combine ---------------------------------------------------------------


def test_switch_keys_apply_on_top_of_the_base() -> None:
    name = f"simulate-top-{uuid.uuid4().hex[:8]}"
    op = Operator.from_uri(f"memory://{name}?simulate=none&simulate.delete_recursive=true")
    assert isinstance(op.simulate, SimulateLayer)
    assert {k for k, on in op.simulate.switches.items() if on} == {"delete_recursive"}
    report = op.capability_report()
    assert report["delete_with_recursive"].state == "simulated"
    assert report["create_dir"].state == "unsupported"
    # On a layer object: the keys make a new layer from its switches.
    given = SimulateLayer(stat_dir=False)
    keys: dict[str, Any] = {"simulate.create_dir": False}
    op = Operator("memory", name=name, simulate=given, **keys)
    assert op.simulate is not given
    assert {k for k, on in switches_of(op).items() if not on} == {"stat_dir", "create_dir"}
    assert isinstance(op.simulate, SimulateLayer)
    assert op.simulate.warn_unneeded is True  # the given layer's
    # On a dict.
    op = Operator("memory", name=name, simulate={"stat_dir": False}, **{"simulate.stat_dir": "1"})
    assert switches_of(op) == dict.fromkeys(SWITCHES, True)


def test_a_keyword_wins_over_the_query_as_for_every_key() -> None:
    uri = f"memory://simulate-kw-{uuid.uuid4().hex[:8]}?simulate=none&simulate.stat_dir=false"
    op = Operator.from_uri(uri, simulate="default", **{"simulate.stat_dir": "true"})
    assert switches_of(op) == dict.fromkeys(SWITCHES, True)


def test_a_layer_object_is_used_as_given() -> None:
    layer = SimulateLayer(list_limit=False)
    op = Operator("memory", name="simulate-object", simulate=layer)
    assert op.simulate is layer
    other = LoggingLayer()
    assert Operator("memory", name="simulate-object", simulate=other).simulate is other
    assert simulate_layer(layer) is layer


def test_an_operator_built_from_config_pickles_with_its_switches() -> None:
    op = Operator("memory", name="simulate-pickle-cfg", **{"simulate.read_with_suffix": "off"})
    copy = pickle.loads(pickle.dumps(op))
    assert _seen(copy) == _seen(op)
    assert switches_of(copy)["read_with_suffix"] is False


# -- refusals ----------------------------------------------------------------------------

_CREATE_DIR_1: dict[str, Any] = {"create_dir": 1}
_CREATE_DIR_NONE: dict[str, Any] = {"create_dir": None}


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            lambda: Operator("memory", simulate={"create_dirs": False}),
            ["simulate: unknown switch 'create_dirs'", "did you mean 'create_dir'"],
        ),
        (
            lambda: Operator("memory", **{"simulate.stat_dri": "false"}),
            ["'simulate.stat_dri'", "did you mean 'stat_dir'"],
        ),
        (
            lambda: Operator.from_uri("memory://x?simulate.listrecursive=1"),
            ["'simulate.listrecursive'", "did you mean 'list_recursive'"],
        ),
        (
            lambda: fsspec.filesystem(
                "opendal+memory", name="x", simulate={"bogus": True}, skip_instance_cache=True
            ),
            ["unknown switch 'bogus'"],
        ),
    ],
    ids=["dict", "key", "uri", "fsspec"],
)
def test_an_unknown_switch_is_config_invalid_listing_the_valid_ones(
    build: Callable[[], Any], words: list[str]
) -> None:
    with pytest.raises(ConfigInvalid) as info:
        build()
    message = str(info.value)
    for word in words:
        assert word in message
    assert "switches: " + ", ".join(SWITCHES) in message
    assert info.value.service == "memory"


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            lambda: Operator("memory", simulate={"create_dir": "maybe"}),
            ["switch 'create_dir' must be a bool", "got 'maybe'"],
        ),
        (
            lambda: Operator("memory", simulate=_CREATE_DIR_1),
            ["switch 'create_dir' must be a bool", "got 1"],
        ),
        (lambda: Operator("memory", simulate=_CREATE_DIR_NONE), ["must be a bool", "got None"]),
        (
            lambda: Operator.from_uri("memory://x?simulate.stat_dir=maybe"),
            ["'simulate.stat_dir'", "got 'maybe'"],
        ),
        (
            lambda: Operator.from_uri("memory://x?simulate.stat_dir="),
            ["'simulate.stat_dir'", "got ''"],
        ),
        (
            lambda: Operator.from_uri("memory://x?simulate=maybe"),
            ["simulate='maybe' is not a simulate setting", "'none' or 'default'"],
        ),
        (lambda: Operator("memory", simulate="all"), ["simulate='all'"]),
    ],
    ids=["dict-word", "dict-int", "dict-none", "uri-key", "uri-empty", "uri-simulate", "word"],
)
def test_a_value_that_is_no_bool_or_setting_is_config_invalid(
    build: Callable[[], Any], words: list[str]
) -> None:
    with pytest.raises(ConfigInvalid) as info:
        build()
    for word in words:
        assert word in str(info.value)


def test_switch_keys_need_a_simulate_layer_below_them() -> None:
    keys: dict[str, Any] = {"simulate.create_dir": False}
    with pytest.raises(
        ConfigInvalid, match=r"simulate\.<switch> keys \(create_dir\).*LoggingLayer"
    ):
        Operator("memory", simulate=LoggingLayer(), **keys)


@pytest.mark.parametrize("spec", [1, 2.5, b"none", ["stat_dir"], SimulateLayer], ids=repr)
def test_a_python_value_of_no_simulate_type_is_a_type_error(spec: Any) -> None:
    with pytest.raises(TypeError, match="simulate must be a SimulateLayer, a dict"):
        Operator("memory", simulate=spec)
    with pytest.raises(TypeError, match="simulate must be"):
        Operator("memory").with_simulate(spec)
