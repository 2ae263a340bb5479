"""FileSource's options: parsed from strings once, checked with errors that name the option.

Every option is a string (Spark's ``.option()``), so the same dict configures the source in
Python, on Sail and on Spark. Options the source does not know go to the operator as its
config (``endpoint``, ``region``, ``access_key_id``, ...), checked against the service's
config keys so a typo fails here, not deep in a worker. The operator itself is built from
``uri`` plus that config once per process and kept (``operator_for``): every partition of a
load on a worker reuses one client instead of opening its own.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.operator import Operator
from opendal_lab.core.registry import parse_uri, service_class
from opendal_lab.datasource.api import Options, bool_option, int_option, option_error

__all__ = [
    "FORMATS",
    "FileFormatError",
    "FileOptions",
    "HIVE_TYPES",
    "SCHEMA_MODES",
    "format_of",
    "operator_for",
    "parse_options",
]

FORMATS = ("parquet", "csv", "ndjson")
SCHEMA_MODES = ("strict", "union")  # see evolution
_FORMAT_NAMES = {"parquet": "parquet", "csv": "csv", "ndjson": "ndjson", "jsonl": "ndjson"}
_EXTENSIONS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}
# Types a hive_schema option may name, and the Polars type each becomes.
HIVE_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int8": pl.Int8(),
    "int16": pl.Int16(),
    "int32": pl.Int32(),
    "int64": pl.Int64(),
    "uint8": pl.UInt8(),
    "uint16": pl.UInt16(),
    "uint32": pl.UInt32(),
    "uint64": pl.UInt64(),
    "float32": pl.Float32(),
    "float64": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
}
_FRAMEWORK = frozenset({"python_module", "python_class"})


class FileFormatError(ValueError):
    """A file the source cannot read as declared: not in its format, or unlike the first file.

    ``path`` is the file, relative to the operator's root. It pickles whole, so it comes back
    from a Dask worker as it was raised.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message, path)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class FileOptions:
    """The parsed options (see ``files`` for what each means)."""

    uri: str | None
    path: str
    format: str | None  # None: inferred from the extension
    partitioning: str  # "auto" | "file" | "row_group"
    partition_bytes: int | None  # target of a packed partition; None: partitions.auto_target
    hive: bool | None  # None: when the first file's directories say key=value
    hive_schema: dict[str, pl.DataType]
    header: bool
    separator: str
    sample_bytes: int
    ranged: str  # "auto" | "always" | "never"
    schema_mode: str  # "strict" | "union" (evolution)
    partition_by: tuple[str, ...]
    compression: str | None
    write_id: str | None
    operator_config: dict[str, str]

    def schema_key(self) -> tuple[Any, ...]:
        """What the declared schema depends on (cache key of ``FileSource.infer_schema``)."""
        hive = tuple((k, str(v)) for k, v in self.hive_schema.items())
        config = tuple(sorted(self.operator_config.items()))
        return (
            self.uri,
            config,
            self.path,
            self.format,
            self.hive,
            hive,
            self.header,
            self.schema_mode,
        )


def parse_options(options: Mapping[str, str], *, has_operator: bool) -> FileOptions:
    """Parse ``options``; ConfigInvalid names a missing, unknown or malformed one.

    Names are case-insensitive (``Path=`` is ``path=``), whatever mapping is given."""
    options = Options(options)
    own = {f.name for f in dataclasses.fields(FileOptions)} - {"operator_config"}
    rest = {k: v for k, v in options.items() if k not in own and k not in _FRAMEWORK}
    uri = options.get("uri") or None
    if uri is None and not has_operator:
        raise _invalid("option 'uri' is required (an operator URI such as 's3://bucket/dir')")
    if uri is not None and has_operator:
        raise _invalid("give option 'uri' or an operator to FileSource(operator=...), not both")
    if rest:
        _check_operator_keys(uri, rest, has_operator)
    fmt = options.get("format") or None
    if fmt is not None:
        if fmt.lower() not in _FORMAT_NAMES:
            raise _invalid(f"option 'format' must be one of {', '.join(FORMATS)}, not {fmt!r}")
        fmt = _FORMAT_NAMES[fmt.lower()]
    partitioning = _choice(options, "partitioning", ("auto", "file", "row_group"), "auto")
    if partitioning == "row_group" and fmt not in (None, "parquet"):
        raise _invalid(f"partitioning 'row_group' needs parquet files, not {fmt}")
    separator = options.get("separator", ",")
    if len(separator) != 1:
        raise _invalid(f"option 'separator' must be one character, not {separator!r}")
    hive_raw = options.get("hive", "auto").lower()
    return FileOptions(
        uri=uri,
        path=options.get("path", ""),
        format=fmt,
        partitioning=partitioning,
        partition_bytes=_partition_bytes(options),
        hive=None
        if hive_raw == "auto"
        else bool_option(options, "hive", "auto", source="FileSource"),
        hive_schema=_hive_schema(options.get("hive_schema", "")),
        header=bool_option(options, "header", "true", source="FileSource"),
        separator=separator,
        sample_bytes=int_option(options, "sample_bytes", 1 << 20, minimum=1, source="FileSource"),
        ranged=_choice(options, "ranged", ("auto", "always", "never"), "auto"),
        schema_mode=_choice(options, "schema_mode", SCHEMA_MODES, "strict"),
        partition_by=tuple(c.strip() for c in options.get("partition_by", "").split(",") if c),
        compression=options.get("compression") or None,
        write_id=options.get("write_id") or None,
        operator_config=rest,
    )


def _partition_bytes(options: Mapping[str, str]) -> int | None:
    if options.get("partition_bytes", "auto").lower() == "auto":
        return None
    return int_option(options, "partition_bytes", None, minimum=1, source="FileSource")


def format_of(path: str) -> str | None:
    """The format a file name's extension says, or None."""
    name = path.rsplit("/", 1)[-1].lower()
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    return None


_OPERATORS: dict[tuple[str, tuple[tuple[str, str], ...]], Operator] = {}
_OPERATORS_LOCK = threading.Lock()
_OPERATORS_KEPT = 32


def operator_for(uri: str, config: Mapping[str, str]) -> Operator:
    """The operator for ``uri`` and ``config``, built once per process and then reused."""
    key = (uri, tuple(sorted(config.items())))
    with _OPERATORS_LOCK:
        op = _OPERATORS.get(key)
    if op is not None:
        return op
    op = Operator.from_uri(uri, **config)
    with _OPERATORS_LOCK:
        if len(_OPERATORS) >= _OPERATORS_KEPT:
            _OPERATORS.pop(next(iter(_OPERATORS)))  # the oldest: insertion order
        return _OPERATORS.setdefault(key, op)


def _check_operator_keys(uri: str | None, rest: Mapping[str, str], has_operator: bool) -> None:
    own = sorted({f.name for f in dataclasses.fields(FileOptions)} - {"operator_config"})
    if has_operator or uri is None:
        raise _invalid(
            f"unknown option(s) {', '.join(map(repr, sorted(rest)))}; FileSource takes "
            f"{', '.join(own)} (operator config goes with 'uri', not with an operator object)"
        )
    scheme, _ = parse_uri(uri)
    config_class = getattr(service_class(scheme), "config_class", None)
    if config_class is None:
        return  # a service without a declared config: let it judge its own keys
    known = {f.name for f in dataclasses.fields(config_class)} | {"layers", "simulate"}
    # simulate.<switch> keys are the operator's too; it checks the switch names.
    unknown = sorted(k for k in set(rest) - known if not k.startswith("simulate."))
    if unknown:
        raise _invalid(
            f"unknown option(s) {', '.join(map(repr, unknown))}: neither a FileSource option "
            f"({', '.join(own)}) nor a config key of service {scheme!r} "
            f"({', '.join(sorted(known))})"
        )


def _hive_schema(raw: str) -> dict[str, pl.DataType]:
    """``"year:int64, country:string"`` as names and Polars types."""
    out: dict[str, pl.DataType] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        name, sep, type_name = item.partition(":")
        dtype = HIVE_TYPES.get(type_name.strip().lower())
        if not sep or not name.strip() or dtype is None:
            raise _invalid(
                f"option 'hive_schema': {item.strip()!r} is not 'name:type' with a type of "
                f"{', '.join(HIVE_TYPES)}"
            )
        out[name.strip()] = dtype
    return out


def _choice(options: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = options.get(name, default).lower()
    if value not in allowed:
        raise _invalid(f"option {name!r} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _invalid(message: str) -> ConfigInvalid:
    return option_error("FileSource", message)
