"""Finding the files of a FileSource, and the hive columns their directories name.

``path`` is a glob relative to the operator's root, matched against whole paths: ``*`` and
``?`` stay within one segment, ``**`` spans any number of them (``**/`` also none, so
``data/**/*.parquet`` finds ``data/a.parquet``), ``[...]`` is a set. A path without glob
characters names one file, or -- when it is not a file -- a directory read whole
(recursively, as Polars and Spark read one). The listing starts at the glob's literal
directory prefix and is recursive; files and directories whose names start with ``_`` or
``.`` below that prefix are skipped (``_SUCCESS``, ``.crc``, ``_temporary/``), as Spark
skips them. Files come out sorted by path, so partitions have a stable order.

Hive partitioning: directories between the prefix and the file named ``key=value`` become
columns (``data/year=2024/country=NL/part-0.parquet``). Values are percent-decoded;
``__HIVE_DEFAULT_PARTITION__`` (Hive's and Spark's name for NULL) and an empty value are
null. Their types are inferred over every listed file, the way Polars does for the common
cases: Int64 if every non-null value is an integer, else Float64 if every one is a number,
else String; the option ``hive_schema`` (``"year:int64,country:string"``) sets them
instead. Every file must have the same keys in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

import polars as pl

from opendal_lab.core.errors import ConfigInvalid, NotFound
from opendal_lab.core.operator import Operator
from opendal_lab.core.types import Metadata
from opendal_lab.datasource.sources.files.options import FileFormatError

__all__ = [
    "HIVE_NULL",
    "FileEntry",
    "Listing",
    "glob_regex",
    "hive_dir",
    "hive_types",
    "list_files",
    "typed_hive_values",
]

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
_GLOB_CHARS = re.compile(r"[*?\[]")
_INT = re.compile(r"[+-]?\d+\Z")


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the operator's root
    size: int | None
    hive: tuple[tuple[str, str | None], ...]  # (key, decoded value or None), in path order


@dataclass(frozen=True)
class Listing:
    files: list[FileEntry]
    hive_keys: tuple[str, ...]  # the first file's keys (every file has the same)
    where: str  # "'data/*.parquet' on s3://bucket": for messages


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for the whole path (module docstring for the syntax)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise ConfigInvalid(f"FileSource: option 'path': unclosed '[' in {pattern!r}")
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append(f"[^{body[1:]}]" if body.startswith("!") else f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def list_files(op: Operator, path: str, *, hive: bool | None, where: str) -> Listing:
    """The files ``path`` names on ``op`` (module docstring), with their hive values.

    ``hive``: True / False, or None to decide by the first file's directories.
    """
    pattern = path.lstrip("/")
    single = None if _GLOB_CHARS.search(pattern) or pattern.endswith("/") else _file(op, pattern)
    if single is not None:
        base = pattern.rsplit("/", 1)[0] + "/" if "/" in pattern else ""
        return _listing([(pattern, single.content_length)], base, hive, where)
    regex: re.Pattern[str] | None = None
    if _GLOB_CHARS.search(pattern):
        segments = pattern.split("/")
        literal = next(i for i, s in enumerate(segments) if _GLOB_CHARS.search(s))
        base = "".join(s + "/" for s in segments[:literal])
        regex = glob_regex(pattern)
    else:
        base = pattern.rstrip("/") + "/" if pattern.strip("/") else ""
    found: list[tuple[str, int | None]] = []
    for entry in op.list(base or "/", recursive=True):
        if not entry.is_file or (regex is not None and not regex.match(entry.path)):
            continue
        rest = entry.path[len(base) :]
        if any(part[:1] in ("_", ".") for part in rest.split("/")):
            continue
        found.append((entry.path, entry.metadata.content_length))
    found.sort()
    return _listing(found, base, hive, where)


def _file(op: Operator, path: str) -> Metadata | None:
    """The metadata of ``path`` if it is a file (else it may be a directory)."""
    if not path:
        return None
    try:
        meta = op.stat(path)
    except NotFound:
        return None
    return meta if meta.is_file else None


def _listing(
    entries: Sequence[tuple[str, int | None]], base: str, hive: bool | None, where: str
) -> Listing:
    files: list[FileEntry] = []
    keys: tuple[str, ...] | None = None
    for path, size in entries:
        values = _hive_values(path[len(base) :]) if hive is not False else ()
        if keys is None:
            keys = tuple(k for k, _ in values) if hive is not False else ()
            first = path
            if hive is None and not keys:
                hive = False  # auto: the first file has no key=value directories
        if hive is False:
            values = ()
        elif tuple(k for k, _ in values) != keys:
            raise FileFormatError(
                f"{path}: its hive directories name {_keys(values)}, but {first} has "
                f"{_keys(keys)}; every file of {where} needs the same keys in the same order "
                "(or set hive=false)",
                path,
            )
        files.append(FileEntry(path, size, values))
    return Listing(files, keys or (), where)


def _keys(items: Iterable[object]) -> str:
    names = [i[0] if isinstance(i, tuple) else i for i in items]
    return ", ".join(map(repr, names)) or "no keys"


def _hive_values(rest: str) -> tuple[tuple[str, str | None], ...]:
    out: list[tuple[str, str | None]] = []
    for part in rest.split("/")[:-1]:
        key, sep, raw = part.partition("=")
        if not sep or not key:
            continue
        value = unquote(raw)
        out.append((unquote(key), None if value in ("", HIVE_NULL) else value))
    return tuple(out)


def hive_types(listing: Listing, declared: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    """Each hive key's type: ``declared`` (the hive_schema option), else inferred."""
    out: dict[str, pl.DataType] = {}
    for i, key in enumerate(listing.hive_keys):
        if key in declared:
            out[key] = declared[key]
            continue
        values = {f.hive[i][1] for f in listing.files} - {None}
        out[key] = _infer(v for v in values if v is not None)
    unknown = sorted(set(declared) - set(out))
    if unknown and listing.files:
        raise ConfigInvalid(
            f"FileSource: option 'hive_schema' names {', '.join(map(repr, unknown))}, which "
            f"no directory of {listing.where} does (hive keys: {_keys(listing.hive_keys)})",
            operation="datasource",
        )
    return out


def _infer(values: Iterable[str]) -> pl.DataType:
    seen = list(values)
    if all(_INT.match(v) and -(2**63) <= int(v) < 2**63 for v in seen):
        return pl.Int64()
    try:
        for v in seen:
            float(v)
    except ValueError:
        return pl.String()
    return pl.Float64()


def typed_hive_values(
    path: str, raw: dict[str, str | None], types: dict[str, pl.DataType]
) -> pl.DataFrame:
    """The hive values of one file as a one-row frame of the declared types."""
    columns = []
    for key, dtype in types.items():
        value = raw.get(key)
        try:
            if dtype == pl.Boolean and value is not None:
                # Polars casts no string to Boolean; Hive and Spark write true / false.
                flag = {"true": True, "false": False}[value.lower()]
                columns.append(pl.Series(key, [flag], pl.Boolean))
            else:
                columns.append(pl.Series(key, [value], pl.String).cast(dtype, strict=True))
        except (pl.exceptions.PolarsError, KeyError):
            raise FileFormatError(
                f"{path}: hive directory {key}={raw.get(key)} does not parse as {dtype}, "
                f"the type declared for {key!r}",
                path,
            ) from None
    return pl.DataFrame(columns)


def hive_dir(keys: Sequence[str], values: Sequence[object]) -> str:
    """``"year=2024/country=NL/"`` for writing: values escaped, None as HIVE_NULL."""
    parts = []
    for key, value in zip(keys, values, strict=True):
        text = HIVE_NULL if value is None else _text(value)
        parts.append(f"{quote(key, safe='')}={quote(text, safe='') or HIVE_NULL}/")
    return "".join(parts)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
