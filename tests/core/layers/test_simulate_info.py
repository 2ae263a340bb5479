"""SWITCH_INFO: one entry per switch, in step with SWITCH_FIELDS and needed_switches."""

from __future__ import annotations

import dataclasses

import pytest

from opendal_lab import Capability
from opendal_lab.core.layers.simulate import (
    SWITCH_FIELDS,
    SWITCH_INFO,
    SWITCHES,
    SwitchInfo,
    needed_switches,
)


def test_every_switch_has_info() -> None:
    assert tuple(SWITCH_INFO) == SWITCHES
    for switch, info in SWITCH_INFO.items():
        assert isinstance(info, SwitchInfo)
        assert info.label
        assert info.label[0].isupper(), switch
        assert info.description.endswith("."), switch
        assert info.cost, switch
        assert info.extra_calls >= 0


def test_fields_are_switch_fields() -> None:
    for switch, info in SWITCH_INFO.items():
        expected = (SWITCH_FIELDS[switch],) if switch in SWITCH_FIELDS else ()
        assert info.fields == expected, switch
    assert SWITCH_INFO["stat_dir"].fields == ()
    assert SWITCH_INFO["read_with_suffix"].fields == ("read_with_suffix",)


@pytest.mark.parametrize("switch", SWITCHES)
def test_requires_is_what_needed_switches_checks(switch: str) -> None:
    info = SWITCH_INFO[switch]
    given = Capability(**dict.fromkeys(info.requires, True))
    assert needed_switches(given)[switch], f"{switch} should act on {info.requires}"
    for field in info.requires:
        assert not needed_switches(given.replace(**{field: False}))[switch], (switch, field)
    for field in info.fields:  # a native field leaves nothing to simulate
        assert not needed_switches(given.replace(**{field: True}))[switch], (switch, field)


def test_costs_name_the_calls_they_make() -> None:
    assert "write('a/', 0 B)" in SWITCH_INFO["create_dir"].cost
    assert "stat" in SWITCH_INFO["read_with_suffix"].cost
    assert SWITCH_INFO["read_with_suffix"].extra_calls == 1
    assert SWITCH_INFO["list_recursive"].per == "subdirectory"


def test_info_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SWITCH_INFO["list_limit"].label = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        SWITCH_INFO["x"] = SWITCH_INFO["list_limit"]  # type: ignore[index]
