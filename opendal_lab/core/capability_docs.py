"""What each capability field means for a user, in one plain sentence.

The table sits beside ``Capability`` (``capability.py`` re-exports it) so that the README,
the widgets' tooltips and their text fallbacks all say the same thing. A flag's sentence says
what a user can do when it is on; a limit's says what it bounds and that ``None`` means no
limit. ``tests/core/test_capability_docs.py`` keeps one sentence per field, no more.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from opendal_lab.core.registry import did_you_mean

__all__ = ["FIELD_DESCRIPTIONS", "describe"]

_ETAG = "the ETag given"

FIELD_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        # stat
        "stat": "Look up a file's metadata (size, last modified, ETag) without reading it.",
        "stat_with_if_match": f"Make stat fail unless the file's ETag matches {_ETAG}.",
        "stat_with_if_none_match": f"Make stat fail when the file's ETag matches {_ETAG}.",
        "stat_with_if_modified_since": (
            "Make stat fail unless the file changed after the time given."
        ),
        "stat_with_if_unmodified_since": (
            "Make stat fail when the file changed after the time given."
        ),
        "stat_with_override_cache_control": (
            "Have stat report the Cache-Control you give instead of the stored one."
        ),
        "stat_with_override_content_disposition": (
            "Have stat report the Content-Disposition you give instead of the stored one."
        ),
        "stat_with_override_content_type": (
            "Have stat report the Content-Type you give instead of the stored one."
        ),
        "stat_with_version": "Look up the metadata of an older version of a file by its id.",
        # read
        "read": "Read a file's bytes, whole or a byte range of it.",
        "read_with_if_match": f"Make a read fail unless the file's ETag matches {_ETAG}.",
        "read_with_if_none_match": f"Make a read fail when the file's ETag matches {_ETAG}.",
        "read_with_if_modified_since": (
            "Make a read fail unless the file changed after the time given."
        ),
        "read_with_if_unmodified_since": (
            "Make a read fail when the file changed after the time given, so a reader never "
            "mixes two versions."
        ),
        "read_with_override_cache_control": (
            "Have a read answer with the Cache-Control you give instead of the stored one."
        ),
        "read_with_override_content_disposition": (
            "Have a read answer with the Content-Disposition you give instead of the stored one."
        ),
        "read_with_override_content_type": (
            "Have a read answer with the Content-Type you give instead of the stored one."
        ),
        "read_with_version": "Read an older version of a file by its version id.",
        "read_with_suffix": (
            "Read the last N bytes of a file (a suffix range) without knowing its size."
        ),
        # write
        "write": "Create a file, or replace one, with the bytes given.",
        "write_can_multi": (
            "Write one file in several parts, each sent as it comes (a streaming writer)."
        ),
        "write_can_empty": "Write a file of zero bytes.",
        "write_can_append": "Add bytes to the end of an existing file (write with append=True).",
        "write_can_copy_from": (
            "Let a writer take a range of a file already stored there, copied on the server "
            "instead of sent again."
        ),
        "write_with_content_type": "Store a Content-Type with the file as it is written.",
        "write_with_content_disposition": (
            "Store a Content-Disposition (such as attachment; filename=...) with the file."
        ),
        "write_with_content_encoding": "Store a Content-Encoding (such as gzip) with the file.",
        "write_with_cache_control": "Store a Cache-Control header with the file.",
        "write_with_if_match": (
            f"Write only if the current file's ETag matches {_ETAG} (optimistic locking)."
        ),
        "write_with_if_none_match": f"Write only if the current file's ETag differs from {_ETAG}.",
        "write_with_if_not_exists": (
            "Write only if nothing exists at the path yet; otherwise fail with ConditionNotMatch."
        ),
        "write_with_user_metadata": "Store your own key-value metadata with the file.",
        "write_multi_max_size": (
            "Bounds the bytes of each part of a multi-part write; None means no limit."
        ),
        "write_multi_min_size": (
            "Sets the fewest bytes each part but the last of a multi-part write must hold; "
            "None means no limit."
        ),
        "write_total_max_size": (
            "Bounds the bytes of a whole file one write may create; None means no limit."
        ),
        # create_dir
        "create_dir": "Create a directory that exists before any file is written below it.",
        # delete
        "delete": "Delete a file; deleting a path that does not exist succeeds.",
        "delete_with_version": "Delete one version of a file by its version id.",
        "delete_with_recursive": "Delete a directory and everything below it in one call.",
        "delete_with_if_match": f"Delete a file only if its ETag matches {_ETAG}.",
        "delete_max_size": "Bounds the paths one batch delete may send; None means no limit.",
        # copy
        "copy": "Copy a file to another path on the same storage without downloading it.",
        "copy_with_if_not_exists": "Copy only if nothing exists at the target path yet.",
        "copy_with_if_match": f"Copy only if the source file's ETag matches {_ETAG}.",
        "copy_with_source_version": "Copy a given older version of the source file.",
        "copy_can_multi": "Copy a large file on the server in several parts.",
        "copy_multi_max_size": (
            "Bounds the bytes of each part of a multi-part copy; None means no limit."
        ),
        "copy_multi_min_size": (
            "Sets the fewest bytes each part but the last of a multi-part copy must hold; "
            "None means no limit."
        ),
        # restore
        "restore": "Bring back a file that was deleted, where the storage keeps deleted files.",
        "restore_with_version": "Bring back one given version of a deleted file.",
        "restore_with_if_not_exists": "Restore a file only if nothing exists at its path now.",
        # rename
        "rename": "Move a file to another path on the same storage.",
        "rename_with_if_not_exists": "Rename only if nothing exists at the target path yet.",
        # list
        "list": "List the entries of a directory.",
        "list_with_limit": (
            "Ask a listing for pages of at most N entries (a page size: every entry still comes)."
        ),
        "list_with_start_after": "Start a listing after a given path, skipping everything before.",
        "list_with_recursive": (
            "List every file and directory below a directory in one listing, not only its children."
        ),
        "list_with_versions": "List every version of each file, not only the current one.",
        "list_with_deleted": "Include deleted files (delete markers) in a listing.",
        # presign
        "presign": (
            "Hand out presigned URLs: links that let whoever holds them act on one file "
            "without credentials, until they expire."
        ),
        "presign_read": "Make a presigned URL that downloads a file.",
        "presign_stat": "Make a presigned URL that fetches a file's metadata (an HTTP HEAD).",
        "presign_write": "Make a presigned URL that uploads a file.",
        "presign_delete": "Make a presigned URL that deletes a file.",
        # shared
        "shared": (
            "Share the data: other processes and machines built with the same config see the "
            "same files."
        ),
    }
)


def describe(field: str) -> str:
    """The sentence that says what capability ``field`` means; an unknown name raises a
    ``KeyError`` that names the closest fields."""
    try:
        return FIELD_DESCRIPTIONS[field]
    except (KeyError, TypeError):
        hint = did_you_mean(field, FIELD_DESCRIPTIONS) if isinstance(field, str) else ""
        raise KeyError(
            f"no capability field {field!r}{hint}; Capability.field_names() lists all "
            f"{len(FIELD_DESCRIPTIONS)}"
        ) from None
