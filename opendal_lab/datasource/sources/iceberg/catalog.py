"""IcebergSource's options, its catalog, and the table and snapshot they name.

``parse_options`` checks the options (the names in ``OPTIONS`` and the ``catalog.`` /
``storage.`` prefixes) into an ``IcebergConfig``; ``open_table`` loads the table from the
catalog; ``pick_snapshot`` resolves ``snapshot_id`` / ``as_of``. Every error is a
``ConfigInvalid`` naming IcebergSource and the option, except a table the catalog does not
hold: ``NotFound`` (as FileSource's for a path that matches nothing), naming the table and
the catalog and listing the tables of that namespace.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot

from opendal_lab.core.errors import ConfigInvalid, NotFound
from opendal_lab.core.secrets import register_secret
from opendal_lab.datasource.api import Options, int_option, option_error
from opendal_lab.datasource.sources.iceberg.fileio import PROPERTY_PREFIX, PY_IO_IMPL

__all__ = [
    "OPTIONS",
    "PREFIXES",
    "IcebergConfig",
    "invalid",
    "open_table",
    "parse_options",
    "pick_snapshot",
]

SOURCE = "IcebergSource"
OPTIONS = ("catalog_uri", "catalog_name", "table", "snapshot_id", "as_of", "io")
PREFIXES = ("catalog.", "storage.")
# Options the loader, Spark or Sail may pass along: never ours to reject.
_FOREIGN = ("python_module", "python_class", "path")
# Names whose values are credentials: never shown in a message or a log line.
_SECRET_WORDS = ("secret", "password", "token", "credential")


def invalid(message: str) -> ConfigInvalid:
    """The ConfigInvalid for a bad option: ``"IcebergSource: <message>"``."""
    return option_error(SOURCE, message)


@dataclass(frozen=True)
class IcebergConfig:
    """The checked options: which catalog, which table, which snapshot."""

    catalog_name: str
    properties: tuple[tuple[str, str], ...]  # the catalog's, FileIO's included
    identifier: tuple[str, ...]  # namespace parts then the table name
    snapshot_id: int | None
    as_of_ms: int | None

    @property
    def table(self) -> str:
        return ".".join(self.identifier)

    @property
    def key(self) -> tuple[Any, ...]:
        """What the table and snapshot depend on (a cache key)."""
        return (self.catalog_name, self.properties, self.identifier)

    def catalog_properties(self) -> dict[str, str]:
        return dict(self.properties)

    def where(self) -> str:
        """The catalog, for messages: its name and URI (never a credential)."""
        uri = dict(self.properties).get("uri")
        return f"catalog {self.catalog_name!r}" + (f" ({_redact(uri)})" if uri else "")


def parse_options(options: dict[str, str]) -> IcebergConfig:
    """The options checked (module docstring of ``iceberg``); ConfigInvalid names the bad one."""
    options = Options(options)
    for key in options:
        if key in OPTIONS or key in _FOREIGN or key.startswith(PREFIXES):
            continue
        hint = next(iter(difflib.get_close_matches(key, OPTIONS, n=1)), None)
        raise invalid(
            f"unknown option {key!r}"
            + (f" (did you mean {hint!r}?)" if hint else "")
            + f"; the options are {', '.join(OPTIONS)}, and catalog.<property> / "
            "storage.<key> for the catalog and the warehouse's operator"
        )
    properties: dict[str, str] = {
        key[len("catalog.") :]: value
        for key, value in options.items()
        if key.startswith("catalog.")
    }
    uri = options.get("catalog_uri", "").strip()
    if uri:
        if "uri" in properties and properties["uri"] != uri:
            raise invalid("options 'catalog_uri' and 'catalog.uri' differ; give one")
        properties.setdefault("type", "sql")
        properties["uri"] = uri
        _check_sqlite(uri)
    elif not properties:
        raise invalid(
            "option 'catalog_uri' is required (the SQL catalog: sqlite:////abs/catalog.db), "
            "or catalog.<property> options for another catalog (catalog.type=rest, catalog.uri=...)"
        )
    if properties.get("type") == "sql":
        # Reading must not create an empty catalog where a path was mistyped.
        properties.setdefault("init_catalog_tables", "false")
    io = options.get("io", "opendal").strip().lower()
    if io not in ("opendal", "pyiceberg"):
        raise invalid(f"option 'io' must be opendal or pyiceberg, not {io!r}")
    if io == "opendal":
        properties.setdefault("py-io-impl", PY_IO_IMPL)
    for key, value in options.items():
        if key.startswith("storage."):
            properties[PROPERTY_PREFIX + key[len("storage.") :]] = value
    for key, value in properties.items():
        if any(word in key for word in _SECRET_WORDS):
            register_secret(value)
    register_secret(urlsplit(uri).password if "://" in uri else None)
    return IcebergConfig(
        catalog_name=options.get("catalog_name", "default").strip() or "default",
        properties=tuple(sorted(properties.items())),
        identifier=_identifier(options.get("table", "")),
        snapshot_id=_snapshot_id(options),
        as_of_ms=_as_of(options),
    )


def open_table(config: IcebergConfig) -> Table:
    """The table, loaded from its catalog; NotFound lists the namespace's tables."""
    catalog = open_catalog(config)
    try:
        return catalog.load_table(config.identifier)
    except NoSuchTableError:
        raise NotFound(
            f"{SOURCE}: {config.where()} has no table {config.table!r}"
            + _siblings(catalog, config.identifier[:-1]),
            operation="iceberg",
            path=config.table,
        ) from None
    except Exception as exc:
        raise ConfigInvalid(
            f"{SOURCE}: loading table {config.table!r} from {config.where()} failed: {exc}",
            operation="iceberg",
            path=config.table,
        ) from exc


def open_catalog(config: IcebergConfig) -> Catalog:
    """The catalog the options name; ConfigInvalid when PyIceberg cannot open it."""
    try:
        return load_catalog(config.catalog_name, **config.catalog_properties())
    except Exception as exc:
        raise ConfigInvalid(
            f"{SOURCE}: cannot open {config.where()}: {exc}", operation="iceberg"
        ) from exc


def pick_snapshot(table: Table, config: IcebergConfig) -> Snapshot | None:
    """The snapshot to read: the one named, the one current at ``as_of``, or the current one."""
    if config.snapshot_id is not None:
        snapshot = table.snapshot_by_id(config.snapshot_id)
        if snapshot is None:
            known = [s.snapshot_id for s in table.snapshots()]
            shown = ", ".join(map(str, known[-5:])) or "none"
            raise invalid(
                f"option 'snapshot_id': table {config.table!r} has no snapshot "
                f"{config.snapshot_id} (its latest: {shown})"
            )
        return snapshot
    if config.as_of_ms is not None:
        snapshot = table.snapshot_as_of_timestamp(config.as_of_ms)
        if snapshot is None:
            history = table.history()
            first = (
                f"its first snapshot is at {_iso(history[0].timestamp_ms)}"
                if history
                else "it has no snapshot"
            )
            raise invalid(
                f"option 'as_of' {_iso(config.as_of_ms)} is before any snapshot of table "
                f"{config.table!r}: {first}"
            )
        return snapshot
    return table.current_snapshot()


# -- helpers --------------------------------------------------------------------------


def _identifier(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split("."))
    if len(parts) < 2 or not all(parts):
        raise invalid(
            f"option 'table' must be 'namespace.table' (a dotted namespace is allowed), "
            f"not {text!r}"
        )
    return parts


def _snapshot_id(options: Options) -> int | None:
    value = int_option(options, "snapshot_id", None, minimum=-(2**63), source=SOURCE)
    if value is not None and "as_of" in options:
        raise invalid("options 'snapshot_id' and 'as_of' both pick a snapshot; give one")
    return value


def _as_of(options: Options) -> int | None:
    raw = options.get("as_of")
    if raw is None:
        return None
    text = raw.strip()
    if text.lstrip("-").isdigit():
        return int(text)  # epoch milliseconds
    try:
        # Python 3.10's fromisoformat does not read a trailing Z.
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise invalid(
            f"option 'as_of' must be an ISO timestamp (2024-05-01T12:00:00Z; UTC when no "
            f"offset is given) or epoch milliseconds, not {raw!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _check_sqlite(uri: str) -> None:
    """A SQLite catalog file must exist: SQLite would create an empty one on connect."""
    if not uri.startswith("sqlite:") or ":memory:" in uri or "mode=memory" in uri:
        return
    path = unquote(urlsplit(uri).path)
    if uri.startswith("sqlite:////"):
        path = "/" + path.lstrip("/")
    elif uri.startswith("sqlite:///"):
        path = path[1:]
    if path and not os.path.exists(path):
        raise invalid(f"option 'catalog_uri': the SQLite catalog {path!r} does not exist")


def _siblings(catalog: Catalog, namespace: tuple[str, ...]) -> str:
    try:
        tables = [".".join(t) for t in catalog.list_tables(namespace)]
    except NoSuchNamespaceError:
        try:
            names = [".".join(n) for n in catalog.list_namespaces()]
        except Exception:
            return f"; namespace {'.'.join(namespace)!r} does not exist"
        return (
            f"; namespace {'.'.join(namespace)!r} does not exist (namespaces: "
            f"{', '.join(names) or 'none'})"
        )
    except Exception:
        return ""
    return f" (tables in {'.'.join(namespace)!r}: {', '.join(tables) or 'none'})"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds")


def _redact(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@")
    return uri
