"""Every capability field has one plain sentence, and only fields have one."""

from __future__ import annotations

import pytest

from opendal_lab.core import capability
from opendal_lab.core.capability import FIELD_DESCRIPTIONS, Capability, describe


def test_every_field_has_a_sentence() -> None:
    for field in Capability.field_names():
        text = describe(field)
        assert text, field
        assert text.strip() == text, field
        assert text[0].isupper(), field
        assert text.endswith("."), field


def test_no_sentence_for_a_non_field() -> None:
    assert set(FIELD_DESCRIPTIONS) == set(Capability.field_names())


def test_limits_say_none_means_no_limit() -> None:
    limits = [f for f in Capability.field_names() if getattr(Capability(), f) is None]
    assert limits
    for field in limits:
        assert "None means no limit" in describe(field), field


def test_known_sentence() -> None:
    assert "last N bytes" in describe("read_with_suffix")
    assert "without knowing its size" in describe("read_with_suffix")


def test_unknown_field_names_the_closest() -> None:
    with pytest.raises(KeyError, match="read_with_suffix") as info:
        describe("read_with_sufix")
    assert "did you mean" in str(info.value)
    with pytest.raises(KeyError, match="no capability field"):
        describe("nothing_like_any_field_at_all")


def test_the_table_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        FIELD_DESCRIPTIONS["read"] = "x"  # type: ignore[index]


def test_exported() -> None:
    assert "FIELD_DESCRIPTIONS" in capability.__all__
    assert "describe" in capability.__all__
