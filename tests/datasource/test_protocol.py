"""The protocol's checks: each broken source fails with an error naming the source and the fault."""

from __future__ import annotations

import datetime
import pickle
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import (
    BaseDataSource,
    DataSource,
    PartitionFailed,
    SchemaMismatch,
    SourceInvalid,
    load,
    pushdown_keywords,
    scan,
)
from tests.datasource.sources import SCHEMA, Numbers, Obedient, Recorder


class NoRead:
    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        return SCHEMA

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        return [{}]


class BadSchema(Numbers):
    def infer_schema(self, options: dict[str, str]) -> Any:
        return {"n": "int64"}


class DupSchema(Numbers):
    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        return pa.schema([("n", pa.int64()), ("n", pa.string())])


class Partitions(Numbers):
    """plan_partitions returns whatever the ``plan`` attribute holds."""

    plan: Any = None

    def plan_partitions(self, options: dict[str, str]) -> Any:
        return self.plan


def partitions(plan: Any) -> Partitions:
    source = Partitions()
    source.plan = plan
    return source


class ReturnsBatch(Numbers):
    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Any:
        return next(iter(self.batches(spec, options)))


class YieldsDicts(Numbers):
    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        yield {"n": [1, 2]}


def test_missing_method_names_the_class_and_the_method() -> None:
    with pytest.raises(SourceInvalid, match=r"NoRead is not a data source.*read_partition") as e:
        load(NoRead)
    assert e.value.source == "NoRead"
    assert "infer_schema" not in str(e.value).split("(")[0]  # only the missing one is named


def test_schema_must_be_an_arrow_schema() -> None:
    with pytest.raises(SourceInvalid, match=r"BadSchema.infer_schema returned dict, not a py"):
        load(BadSchema)
    with pytest.raises(SourceInvalid, match=r"BadSchema"):
        scan(BadSchema)  # a scan checks at once, not at collect


def test_schema_columns_must_be_distinct() -> None:
    with pytest.raises(SourceInvalid, match=r"DupSchema.*'n' twice"):
        load(DupSchema)


@pytest.mark.parametrize(
    ("plan", "message", "index"),
    [
        (({"a": 1},), r"returned tuple, not a list of dicts", None),
        ([{"a": 1}, "p1"], r"partition 1 is a str, not a dict", 1),
        ([{}, {}, {"when": datetime.date(2024, 1, 1)}], r"partition 2, key 'when': date", 2),
        ([{"x": float("nan")}], r"partition 0, key 'x'", 0),
        ([{1: "a"}], r"partition 0 has key 1 \(int\)", 0),
    ],
)
def test_partition_list_is_checked(plan: Any, message: str, index: int | None) -> None:
    with pytest.raises(SourceInvalid, match=message) as e:
        load(partitions(plan))
    assert "Partitions.plan_partitions" in str(e.value)
    assert e.value.partition == index


def test_zero_partitions_is_an_empty_frame_with_the_schema() -> None:
    df = load(partitions([]))
    assert df.height == 0
    assert df.columns == ["n", "s", "f", "d"]
    assert scan(partitions([])).collect().columns == ["n", "s", "f", "d"]


def test_read_partition_must_be_an_iterator() -> None:
    with pytest.raises(
        SourceInvalid,
        match=r"ReturnsBatch.read_partition, partition 0: .*"
        r"RecordBatch, not an iterator",
    ):
        load(ReturnsBatch, {"partitions": "1"})


def test_pieces_must_be_arrow_or_polars() -> None:
    with pytest.raises(
        SourceInvalid,
        match=r"YieldsDicts.read_partition, partition 0 yielded"
        r" a builtins.dict",
    ):
        load(YieldsDicts, {"partitions": "1"})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rows": 10}, r"option 'rows' must be a string.*pass '10'"),
        ({1: "x"}, r"option names must be strings"),
    ],
)
def test_options_must_be_strings(options: Any, message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message):
        load(Numbers, options)


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(ConfigInvalid, match=r"options must be a dict of strings, not list"):
        load(Numbers, [("rows", "1")])  # type: ignore[arg-type]


def test_pushdown_keywords_come_from_the_signature() -> None:
    assert pushdown_keywords(Numbers()) == frozenset()
    assert pushdown_keywords(Recorder()) == {"columns", "filters", "limit", "predicate"}
    assert Obedient().pushdown == {"columns", "filters", "limit"}

    class Kw:
        def read_partition(self, spec: Any, options: Any, **kwargs: Any) -> Iterator[Any]:
            yield from ()

    assert pushdown_keywords(Kw()) == {"columns", "filters", "limit", "predicate"}


def test_sources_satisfy_the_protocol() -> None:
    assert isinstance(Numbers(), DataSource)
    assert not isinstance(NoRead(), DataSource)


def test_base_class_is_abstract() -> None:
    class Half(BaseDataSource):
        def infer_schema(self, options: dict[str, str]) -> pa.Schema:
            return SCHEMA

    with pytest.raises(TypeError, match="abstract"):
        Half()  # type: ignore[abstract]


def test_errors_pickle_with_their_fields() -> None:
    err = SchemaMismatch("m", source="S", partition=3, column="n", expected="int64", actual="int32")
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.partition, back.column, back.actual) == (
        SchemaMismatch,
        "m",
        3,
        "n",
        "int32",
    )
    failed = pickle.loads(
        pickle.dumps(PartitionFailed("x", source="S", partition=1, spec={"a": 1}))
    )
    assert failed.spec == {"a": 1}
    assert isinstance(failed, RuntimeError)
