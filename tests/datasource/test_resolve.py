"""A source given as a class, an instance, or by python_module + python_class."""

from __future__ import annotations

from typing import ClassVar

import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import (
    RangeSource,
    SourceInvalid,
    SourceNotFound,
    load,
    resolve_source,
    scan,
)
from tests.datasource.sources import NeedsArgs, Numbers, numbers

BY_NAME = {"python_module": "tests.datasource.sources", "python_class": "Numbers"}


def test_class_instance_and_name_give_the_same_rows() -> None:
    options = {"rows": "30", "partitions": "3"}
    expected = numbers(30)
    assert_frame_equal(load(Numbers, options), expected)
    assert_frame_equal(load(Numbers(), options), expected)
    assert_frame_equal(load(None, {**BY_NAME, **options}), expected)
    assert_frame_equal(scan(None, {**BY_NAME, **options}).collect(), expected)


def test_builtin_range_source_by_name() -> None:
    options = {"python_module": "opendal_lab.datasource.range", "python_class": "RangeSource"}
    df = load(None, {**options, "rows": "10", "partitions": "3"})
    assert df["id"].to_list() == list(range(10))


class Peek(Numbers):
    seen: ClassVar[dict[str, str]] = {}

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, object]]:
        self.seen.update(options)
        return super().plan_partitions(options)


def test_the_name_options_reach_the_source() -> None:
    # As in Spark: the source sees every option, python_module and python_class included.
    load(None, {"rows": "4", "python_class": "Peek", "python_module": __name__})
    assert Peek.seen == {"rows": "4", "python_class": "Peek", "python_module": __name__}
    # Given both ways, they must agree; then it is the same source.
    assert load(Peek, {"python_class": "Peek", "python_module": __name__}).height == 100


def test_an_instance_is_used_as_it_is() -> None:
    source = Numbers()
    assert resolve_source(source) is source
    assert isinstance(resolve_source(Numbers), Numbers)


def test_missing_module_names_the_option() -> None:
    with pytest.raises(SourceNotFound, match=r"option python_module='no_such_mod_xyz'") as e:
        load(None, {"python_module": "no_such_mod_xyz", "python_class": "X"})
    assert isinstance(e.value, ImportError)
    assert isinstance(e.value, ConfigInvalid)
    assert isinstance(e.value.__cause__, ModuleNotFoundError)


def test_missing_class_names_the_option_and_the_module() -> None:
    with pytest.raises(SourceNotFound, match=r"python_class='Nope'.*'tests.datasource.sources'"):
        load(None, {"python_module": "tests.datasource.sources", "python_class": "Nope"})


def test_name_of_something_not_a_class() -> None:
    with pytest.raises(SourceNotFound, match=r"python_class='not_a_class'.* function, not a cl"):
        load(None, {"python_module": "tests.datasource.sources", "python_class": "not_a_class"})


@pytest.mark.parametrize(
    ("options", "missing"),
    [
        ({}, "python_module, python_class"),
        ({"python_module": "tests.datasource.sources"}, "python_class"),
        ({"python_class": "Numbers"}, "python_module"),
    ],
)
def test_no_source_at_all(options: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigInvalid, match=rf"no data source.*\(missing: {missing}\)"):
        load(None, options)


def test_source_and_options_that_disagree() -> None:
    with pytest.raises(ConfigInvalid, match=r"the source is .*RangeSource, but the options name"):
        load(RangeSource, BY_NAME)


def test_a_class_that_needs_arguments() -> None:
    with pytest.raises(SourceInvalid, match=r"cannot create NeedsArgs\(\) without arguments"):
        load(NeedsArgs)
    assert load(NeedsArgs(5), {"rows": "5"}).height == 5
