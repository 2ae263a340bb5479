"""core.config: one declaration, one checker, messages from the declaration."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pytest

from opendal_lab import ConfigInvalid, Operator
from opendal_lab.core.config import (
    Check,
    build_config,
    checked,
    config_table,
    configured,
    specs,
)
from opendal_lab.core.registry import coerce_config
from opendal_lab.services.memory import MemoryConfig, MemoryService


@dataclass
class DemoConfig:
    root: Annotated[str, Check(path=True)] = "/"
    verbose: bool = False
    workers: Annotated[int, Check(ge=1)] = 4
    ratio: Annotated[float, Check(gt=0, finite=True)] = 1.0
    mode: Literal["fast", "safe"] = "safe"
    api_token: str | None = None


class Demo:
    @checked("Demo")
    def __init__(self, size: Annotated[int, Check(ge=0, unit="byte")] = 0, *, name: str = "x"):
        self.size = size
        self.name = name


def test_a_wrong_type_in_a_python_call_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Demo: 'size' must be an int, got str"):
        Demo("8")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'size' must be an int, got bool"):
        Demo(True)
    with pytest.raises(TypeError, match="'name' must be a str"):
        Demo(name=3)  # type: ignore[arg-type]


def test_a_bound_is_refused_with_its_unit() -> None:
    with pytest.raises(ConfigInvalid, match=r"Demo: 'size' must be >= 0 byte, got -1"):
        Demo(-1)
    assert Demo(5).size == 5
    assert inspect.signature(Demo).parameters["size"].default == 0


def test_text_values_are_coerced_in_config() -> None:
    values = {"verbose": "on", "workers": "8", "ratio": "0.5", "root": Path("/a")}
    assert coerce_config("demo", DemoConfig, values) == {
        "verbose": True,
        "workers": 8,
        "ratio": 0.5,
        "root": "/a",
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"workers": "0"}, "service 'demo': config 'workers' must be >= 1, got '0'"),
        ({"ratio": "inf"}, "config 'ratio' must be a positive, finite number, got 'inf'"),
        ({"ratio": 0}, "config 'ratio' must be a positive, finite number, got 0"),
        ({"verbose": "maybe"}, "config 'verbose' must be a bool, got 'maybe'"),
        ({"mode": "quick"}, "config 'mode' must be one of fast, safe, got 'quick'"),
    ],
)
def test_config_values_out_of_bounds_are_config_invalid(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigInvalid) as info:
        coerce_config("demo", DemoConfig, values)
    assert message in str(info.value)
    assert info.value.service == "demo"


def test_an_unknown_key_suggests_the_closest() -> None:
    with pytest.raises(ConfigInvalid) as info:
        coerce_config("demo", DemoConfig, {"wrokers": 2})
    text = str(info.value)
    assert "unknown config key 'wrokers' (did you mean 'workers'?)" in text
    assert "valid keys: api_token, mode, ratio, root, verbose, workers" in text


def test_a_secret_is_never_echoed() -> None:
    with pytest.raises(ConfigInvalid) as info:
        coerce_config("demo", DemoConfig, {"api_token": 12345678})
    assert "12345678" not in str(info.value)
    assert "config 'api_token' must be a str or None, got int" in str(info.value)


def test_an_unknown_option_suggests_the_closest() -> None:
    op = Operator("memory", name="config-options")
    with pytest.raises(TypeError, match=r"unknown option 'ofset' \(did you mean 'offset'\?\)"):
        op.read("x", ofset=1)


def test_option_bounds_and_types_come_from_the_declaration() -> None:
    op = Operator("memory", name="config-options")
    op.write("x", b"abc")
    with pytest.raises(TypeError, match=r"read\(\): option 'offset' must be int"):
        op.read("x", offset="1")
    with pytest.raises(ConfigInvalid, match="option 'suffix' must be > 0, got 0"):
        op.read("x", suffix=0)
    with pytest.raises(TypeError, match="option 'user_metadata' must be dict of str to str"):
        op.write("y", b"", user_metadata={"a": 1})


def test_a_service_signature_is_its_config_fields() -> None:
    signature = inspect.signature(MemoryService)
    assert list(signature.parameters) == ["name", "root"]
    assert signature.parameters["name"].default == "default"
    assert MemoryService(name="sig").info().name == "sig"
    assert MemoryService("sig", "/a").info().root == "/a/"
    assert MemoryService(MemoryConfig(name="sig")).info().name == "sig"
    uri = Operator.from_uri("memory://sig-uri?root=/a")
    assert (uri.info().name, uri.info().root) == ("sig-uri", "/a/")
    with pytest.raises(ConfigInvalid, match="config 'name' must be a str, got 5"):
        MemoryService(name=5)
    with pytest.raises(ConfigInvalid, match="unknown config key 'nam'"):
        MemoryService(nam="x")
    with pytest.raises(TypeError, match="given both by position and by name"):
        MemoryService("a", name="b")


def test_configured_and_build_config_work_for_any_dataclass() -> None:
    @configured()
    class DemoService:
        config_class = DemoConfig

        def __init__(self, *args: object, **values: object) -> None:
            self.config = build_config(DemoConfig, args, values, "demo")

    assert list(inspect.signature(DemoService).parameters) == list(specs(DemoConfig))
    assert DemoService(workers="3").config.workers == 3


def test_config_table_lists_keys_types_and_bounds() -> None:
    table = config_table(DemoConfig)
    assert "| `workers` | an int | `4` | >= 1 |" in table
    assert "| `mode` | one of fast, safe | `'safe'` |" in table
