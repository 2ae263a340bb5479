"""Path rules shared by every service.

- Normalize: trim surrounding whitespace and leading ``/``, collapse repeated ``/``.
  ``""`` and ``"/"`` are the root, spelled ``"/"``.
- A path that ends in ``/`` names a directory; any other names a file.
- A NUL character is never valid.

Confining a path to a root (``..``, symlinks) is the job of services that have one
(see ``services/fs/backend.py``).
"""

from __future__ import annotations

from opendal_lab.core.errors import ConfigInvalid

__all__ = ["ROOT", "basename", "is_dir", "join", "normalize", "parent"]

ROOT = "/"


def normalize(path: str, operation: str = "") -> str:
    """The canonical form of ``path``; raises ``TypeError`` or ``ConfigInvalid`` on bad input."""
    if type(path) is not str:
        if isinstance(path, str):
            path = str(path)
        else:
            raise TypeError(f"{operation or 'path'}: path must be str, got {type(path).__name__}")
    if (  # most paths are already canonical
        path
        and path[0] != "/"
        and "//" not in path
        and not path[0].isspace()
        and not path[-1].isspace()
        and "\x00" not in path
    ):
        return path
    if "\x00" in path:
        raise ConfigInvalid(f"path {path!r} contains a NUL character", operation=operation)
    path = path.strip()
    while "//" in path:
        path = path.replace("//", "/")
    path = path.lstrip("/")
    return path or ROOT


def is_dir(path: str) -> bool:
    return path.endswith("/")


def parent(path: str) -> str:
    """The directory holding ``path``: ``a/b/c`` → ``a/b/``, ``a/b/`` → ``a/``, ``a`` → ``/``."""
    cut = path.rstrip("/").rfind("/")
    return path[: cut + 1] if cut >= 0 else ROOT


def basename(path: str) -> str:
    """The last segment, keeping a directory's trailing ``/``."""
    if path == ROOT:
        return ROOT
    trimmed = path.rstrip("/")
    return trimmed[trimmed.rfind("/") + 1 :] + ("/" if path.endswith("/") else "")


def join(directory: str, name: str) -> str:
    """``directory`` (a dir path or the root) joined with a relative ``name``."""
    return name if directory == ROOT else directory + name
