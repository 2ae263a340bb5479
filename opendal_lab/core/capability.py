"""What a storage stack can do: one frozen dataclass with every field of OpenDAL's.

A service declares its *native* capability as one literal. Each layer may edit it in
its ``capability()`` method; ``Operator`` walks the stack and records which layer changed
which field, so widgets, checks and tests read one answer and never recompute it.

Field naming, as in OpenDAL:

- an operation is a lower-case word: ``read``, ``write``, ``create_dir``;
- a sub-operation joins two words: ``presign_read``;
- a variant says what the operation can do: ``write_can_append``;
- an argument says what it accepts: ``read_with_version``;
- a limit says its bound: ``write_multi_min_size``, ``delete_max_size`` (``None`` = no limit).

Every field starts with the name of its group (``stat``, ``read``, ``write``, ``create_dir``,
``delete``, ``copy``, ``restore``, ``rename``, ``list``, ``presign``, ``shared``).

``describe(field)`` says in one sentence what a field means for a user (the table,
``FIELD_DESCRIPTIONS``, lives in ``capability_docs.py``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from opendal_lab.core.capability_docs import FIELD_DESCRIPTIONS, describe

__all__ = ["FIELD_DESCRIPTIONS", "GROUPS", "Capability", "describe", "group_of"]


@dataclass(frozen=True, slots=True)
class Capability:
    """The operations and arguments a stack supports, and its size limits."""

    # stat
    stat: bool = False
    stat_with_if_match: bool = False
    stat_with_if_none_match: bool = False
    stat_with_if_modified_since: bool = False
    stat_with_if_unmodified_since: bool = False
    stat_with_override_cache_control: bool = False
    stat_with_override_content_disposition: bool = False
    stat_with_override_content_type: bool = False
    stat_with_version: bool = False

    # read
    read: bool = False
    read_with_if_match: bool = False
    read_with_if_none_match: bool = False
    read_with_if_modified_since: bool = False
    read_with_if_unmodified_since: bool = False
    read_with_override_cache_control: bool = False
    read_with_override_content_disposition: bool = False
    read_with_override_content_type: bool = False
    read_with_version: bool = False
    read_with_suffix: bool = False

    # write
    write: bool = False
    write_can_multi: bool = False
    write_can_empty: bool = False
    write_can_append: bool = False
    write_can_copy_from: bool = False
    write_with_content_type: bool = False
    write_with_content_disposition: bool = False
    write_with_content_encoding: bool = False
    write_with_cache_control: bool = False
    write_with_if_match: bool = False
    write_with_if_none_match: bool = False
    write_with_if_not_exists: bool = False
    write_with_user_metadata: bool = False
    write_multi_max_size: int | None = None
    write_multi_min_size: int | None = None
    write_total_max_size: int | None = None

    # create_dir
    create_dir: bool = False

    # delete
    delete: bool = False
    delete_with_version: bool = False
    delete_with_recursive: bool = False
    delete_with_if_match: bool = False
    delete_max_size: int | None = None

    # copy
    copy: bool = False
    copy_with_if_not_exists: bool = False
    copy_with_if_match: bool = False
    copy_with_source_version: bool = False
    copy_can_multi: bool = False
    copy_multi_max_size: int | None = None
    copy_multi_min_size: int | None = None

    # restore
    restore: bool = False
    restore_with_version: bool = False
    restore_with_if_not_exists: bool = False

    # rename
    rename: bool = False
    rename_with_if_not_exists: bool = False

    # list
    list: bool = False
    list_with_limit: bool = False
    list_with_start_after: bool = False
    list_with_recursive: bool = False
    list_with_versions: bool = False
    list_with_deleted: bool = False

    # presign
    presign: bool = False
    presign_read: bool = False
    presign_stat: bool = False
    presign_write: bool = False
    presign_delete: bool = False

    # shared
    shared: bool = False

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every field, in declaration (and so group) order."""
        return _FIELDS

    def replace(self, **changes: Any) -> Capability:
        """A copy with ``changes`` applied; an unknown field raises ``TypeError``."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, bool | int | None]:
        return {name: getattr(self, name) for name in _FIELDS}

    def enabled(self) -> tuple[str, ...]:
        """The fields that are true or carry a limit."""
        return tuple(name for name in _FIELDS if getattr(self, name) not in (False, None))

    def diff(self, other: Capability) -> dict[str, tuple[Any, Any]]:
        """``{field: (mine, theirs)}`` for every field that differs."""
        return {
            name: (getattr(self, name), getattr(other, name))
            for name in _FIELDS
            if getattr(self, name) != getattr(other, name)
        }

    def __repr__(self) -> str:
        return f"Capability({', '.join(self.enabled())})"


_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Capability))


def group_of(field: str) -> str:
    """The group a capability field belongs to: ``read_with_version`` → ``read``."""
    if field.startswith("create_dir"):
        return "create_dir"
    return field.split("_", 1)[0]


GROUPS: dict[str, tuple[str, ...]] = {}
for _name in _FIELDS:
    GROUPS.setdefault(group_of(_name), ())
    GROUPS[group_of(_name)] += (_name,)
del _name
