"""The start of every load, scan and Spark read: the source found, options and schema checked.

``prepare(source, options)`` returns a ``Prepared``: the source instance, its name, the
options as an ``Options`` (a ``dict[str, str]`` with case-insensitive names, as Spark's;
see ``options``), the declared schema (Arrow and Polars), and what pushdown
its methods take. Schema inference runs at once (a scan needs the schema to build its
LazyFrame); partition planning runs when rows are wanted (``Prepared.partitions``), so a
LazyFrame collected twice plans twice and sees partitions added in between.

Finding the source (``resolve_source``): a class, an instance, or ``python_module`` +
``python_class`` options, the route Spark's ``format("python")`` and Sail use::

    load(None, {"python_module": "opendal_lab.datasource.range",
                "python_class": "RangeSource", "rows": "1000"})

A class, given directly or by name, is instantiated with no arguments: its configuration
comes through the options every method receives, as in Spark and Sail. An instance is used
as it is (that is the way to hand a source constructor arguments).

The checks here (``check_*``) each fail with an error naming the source: the options and
the source when a load starts, the schema and the partition list when the source returns
them. The pieces ``read_partition`` yields are checked where they are read (``partition``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource.errors import SourceInvalid, SourceNotFound
from opendal_lab.datasource.filters import Filter
from opendal_lab.datasource.loader.partition import ReadPlan
from opendal_lab.datasource.loader.retries import DEFAULT_RETRIES, take_retries
from opendal_lab.datasource.options import Options
from opendal_lab.datasource.protocol import (
    METHODS,
    DataSource,
    plan_takes_filters,
    polars_schema,
    pushdown_keywords,
    source_name,
)

__all__ = [
    "CLASS_OPTION",
    "MODULE_OPTION",
    "Prepared",
    "check_options",
    "check_partitions",
    "check_schema",
    "check_source",
    "prepare",
    "resolve_source",
]


@dataclass(frozen=True, eq=False)
class Prepared:
    source: DataSource
    name: str
    options: Options
    schema: pa.Schema
    polars_schema: dict[str, pl.DataType]
    keywords: frozenset[str]  # pushdown keywords read_partition accepts
    plan_filters: bool  # plan_partitions accepts ``filters`` (to drop partitions)
    retries: int = DEFAULT_RETRIES  # the loader's ``partition_retries`` option (``retries``)

    def partitions(self, filters: list[Filter] | None = None) -> list[dict[str, Any]]:
        """The source's partition specs, checked; ``filters`` offered when it takes them."""
        options = self.options.copy()
        if filters and self.plan_filters:
            specs = self.source.plan_partitions(options, filters=list(filters))  # type: ignore[call-arg]
        else:
            specs = self.source.plan_partitions(options)
        return check_partitions(self.name, specs)

    def claimed_exact(self, filters: list[Filter]) -> list[Filter]:
        """Those of ``filters`` the source's ``exact_filters`` says ``read_partition`` applies
        exactly; none when it has no such method."""
        claim = getattr(self.source, "exact_filters", None)
        if not filters or not callable(claim):
            return []
        claimed = claim(list(filters), self.options.copy())
        # Only what was offered counts: a source cannot waive a condition it was not given.
        return [f for f in filters if f in list(claimed or [])]

    def read_plan(
        self,
        count: int,
        *,
        arrow: bool,
        kwargs: dict[str, Any] | None = None,
        need: tuple[str, ...] | None = None,
        output: tuple[str, ...] | None = None,
        reapply: pl.Expr | None = None,
        limit: int | None = None,
    ) -> ReadPlan:
        """A plan for one run; without pushdown arguments, every row and column."""
        names = tuple(self.schema.names)
        return ReadPlan(
            run_id=uuid.uuid4().hex,
            source=self.source,
            source_name=self.name,
            options=self.options,
            schema=self.schema,
            polars_schema=self.polars_schema,
            count=count,
            kwargs=kwargs or {},
            need=names if need is None else need,
            output=names if output is None else output,
            reapply=reapply,
            limit=limit,
            arrow=arrow,
            retries=self.retries,
        )

    def empty(self, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        """A frame of zero rows with the declared (or the given) columns and types."""
        schema = self.polars_schema
        if columns is not None:
            schema = {c: schema[c] for c in columns}
        return pl.DataFrame(schema=schema)


def prepare(source: Any, options: Mapping[str, Any] | None) -> Prepared:
    """Resolve ``source``, check ``options``, infer and check the schema."""
    checked = check_options(options)
    resolved = resolve_source(source, checked)
    name = source_name(resolved)
    retries = take_retries(checked, name)  # the loader's option: the source never sees it
    schema = check_schema(name, resolved.infer_schema(checked.copy()))
    return Prepared(
        source=resolved,
        name=name,
        options=checked,
        schema=schema,
        polars_schema=polars_schema(schema),
        keywords=pushdown_keywords(resolved),
        plan_filters=plan_takes_filters(resolved),
        retries=retries,
    )


MODULE_OPTION = "python_module"
CLASS_OPTION = "python_class"


def resolve_source(
    source: Any, options: Mapping[str, str] | None = None, *, require: tuple[str, ...] = METHODS
) -> DataSource:
    """The source instance for ``source`` (a class, an instance or None) and ``options``.

    With ``source=None`` the options must name it: ``python_module`` (a module to import)
    and ``python_class`` (a class in it; ``Outer.Inner`` works). Raises ConfigInvalid when
    neither route names a source, or when both do and disagree; SourceNotFound (a
    ConfigInvalid and an ImportError) naming the option when the module or the class is
    not there; SourceInvalid when the class cannot be built without arguments or the
    object lacks a method of ``require`` (the read protocol's by default; ``save`` asks
    for ``writer``).
    """
    options = options or {}
    module, qualname = options.get(MODULE_OPTION), options.get(CLASS_OPTION)
    if source is None:
        if not module or not qualname:
            missing = [o for o, v in ((MODULE_OPTION, module), (CLASS_OPTION, qualname)) if not v]
            raise ConfigInvalid(
                "no data source: pass a source class or instance, or name one with the "
                f"options {MODULE_OPTION!r} and {CLASS_OPTION!r} (missing: {', '.join(missing)})",
                operation="datasource",
            )
        source = _import_class(module, qualname)
    elif module or qualname:
        _check_same(source, module, qualname)
    name = source_name(source)
    if isinstance(source, type):
        source = _instantiate(source, name)
    check_source(source, name, require)
    return source  # type: ignore[no-any-return]


def _import_class(module_name: str, qualname: str) -> type[Any]:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise SourceNotFound(
            f"option {MODULE_OPTION}={module_name!r}: cannot import it: "
            f"{type(exc).__name__}: {exc}",
            operation="datasource",
        ) from exc
    obj: Any = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SourceNotFound(
                f"option {CLASS_OPTION}={qualname!r}: module {module_name!r} has no "
                f"class {qualname!r}",
                operation="datasource",
            ) from None
    if not isinstance(obj, type):
        raise SourceNotFound(
            f"option {CLASS_OPTION}={qualname!r}: {module_name}.{qualname} is a "
            f"{type(obj).__name__}, not a class",
            operation="datasource",
        )
    return obj


def _check_same(source: Any, module: str | None, qualname: str | None) -> None:
    cls = source if isinstance(source, type) else type(source)
    if (module and module != cls.__module__) or (qualname and qualname != cls.__qualname__):
        if module and qualname:
            # Named where its package exports it (sources.files.FileSource) is the same class.
            with contextlib.suppress(Exception):
                found: Any = importlib.import_module(module)
                for part in qualname.split("."):
                    found = getattr(found, part)
                if found is cls:
                    return
        raise ConfigInvalid(
            f"the source is {cls.__module__}.{cls.__qualname__}, but the options name "
            f"{module or '?'}.{qualname or '?'} ({MODULE_OPTION} / {CLASS_OPTION}); "
            "give one or the other",
            operation="datasource",
        )


def _instantiate(cls: type[Any], name: str) -> Any:
    try:
        return cls()
    except Exception as exc:
        raise SourceInvalid(
            f"cannot create {name}() without arguments ({type(exc).__name__}: {exc}); "
            "read configuration from the options, or pass an instance",
            source=name,
        ) from exc


def check_options(options: Mapping[str, Any] | None) -> Options:
    """A copy of ``options`` as ``Options`` (case-insensitive names); ConfigInvalid names a
    key or value that is not a string, or two names that differ only by case."""
    if options is None:
        return Options()
    if not isinstance(options, Mapping):
        raise ConfigInvalid(
            f"options must be a dict of strings, not {type(options).__name__}",
            operation="datasource",
        )
    checked: dict[str, str] = {}
    for key, value in options.items():
        if not isinstance(key, str):
            raise ConfigInvalid(
                f"option names must be strings; got {key!r} ({type(key).__name__})",
                operation="datasource",
            )
        if not isinstance(value, str):
            # Spark and Sail hand sources strings; a source tested with ints here would
            # break there. Say how to write it.
            raise ConfigInvalid(
                f"option {key!r} must be a string, as Spark's .option() gives it; "
                f"got {value!r} ({type(value).__name__}), pass {str(value)!r}",
                operation="datasource",
            )
        checked[key] = value
    return Options(checked)


def check_source(source: Any, name: str, require: tuple[str, ...] = METHODS) -> None:
    """SourceInvalid unless ``source`` (called ``name`` in errors) has the ``require``d
    methods (the read protocol's by default)."""
    missing = [m for m in require if not callable(getattr(source, m, None))]
    if missing:
        what = "a data source" if require == METHODS else "a writable data source"
        raise SourceInvalid(
            f"{name} is not {what}: it has no {', '.join(missing)} method"
            f" (it needs {', '.join(require)})",
            source=name,
        )


def check_schema(name: str, schema: Any) -> pa.Schema:
    """SourceInvalid unless ``schema`` is a ``pa.Schema`` with distinct column names."""
    if not isinstance(schema, pa.Schema):
        raise SourceInvalid(
            f"{name}.infer_schema returned {type(schema).__name__}, not a pyarrow.Schema",
            source=name,
        )
    names = schema.names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourceInvalid(
            f"{name}.infer_schema declares column(s) {', '.join(map(repr, dupes))} twice",
            source=name,
        )
    return schema


def check_partitions(name: str, partitions: Any) -> list[dict[str, Any]]:
    """SourceInvalid unless ``partitions`` is a list of dicts that JSON can carry."""
    if not isinstance(partitions, list):
        raise SourceInvalid(
            f"{name}.plan_partitions returned {type(partitions).__name__}, not a list of dicts",
            source=name,
        )
    for index, spec in enumerate(partitions):
        if not isinstance(spec, dict):
            raise SourceInvalid(
                f"{name}.plan_partitions: partition {index} is a {type(spec).__name__}, not a dict",
                source=name,
                partition=index,
            )
        for key, value in spec.items():
            if not isinstance(key, str):
                raise SourceInvalid(
                    f"{name}.plan_partitions: partition {index} has key {key!r} "
                    f"({type(key).__name__}); spec keys must be strings",
                    source=name,
                    partition=index,
                )
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise SourceInvalid(
                    f"{name}.plan_partitions: partition {index}, key {key!r}: "
                    f"{type(value).__name__} value {value!r} is not JSON-serialisable ({exc})",
                    source=name,
                    partition=index,
                ) from None
    return partitions
