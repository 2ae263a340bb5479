"""URLs of the face: what an ``opendal+<scheme>://`` URL names, and the URL of an operator's data.

Nothing here knows a scheme: the registry's ``parse_uri`` (each service's ``config_from_uri``)
says what a URL's host names, and the same parser checks every URL handed out.

- :func:`split_url`: ``(scheme, store, key)``: the host read by the service's parser gives the
  store's config (``{"name": ...}``, ``{"bucket": ...}``); a host that names no store (an fs
  URL's) is the key's first segment, so ``opendal+fs://tmp/x`` is ``/tmp/x`` as url_to_fs reads it.
- :func:`url_bases`: the URL prefixes naming an operator's root, found by round trip: the
  operator's ``info().name`` as host must parse back to a store holding that name.
- :func:`merge_url_config`: storage_options plus what the URL names; a key both give
  differently is refused with ``ConfigInvalid`` naming both values.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import fsspec  # type: ignore[import-untyped]
from fsspec.utils import stringify_path  # type: ignore[import-untyped]

from opendal_lab.core.errors import ConfigInvalid, Error
from opendal_lab.core.operator import Operator
from opendal_lab.core.registry import NATIVE_PREFIX, parse_uri, service_class

#: ``opendal+<scheme>``: the fsspec protocol of the native service ``<scheme>``.
PREFIX = NATIVE_PREFIX + "+"
#: The protocol that serves any service, given as ``scheme=`` or ``operator=``.
ANY = NATIVE_PREFIX
# _get_kwargs_from_urls puts what the URL names under this key, not beside storage_options'
# own keys: fsspec would merge the two with dict(**a, **b), a TypeError when both set one.
FROM_URL = "_opendal_from_url"
# Where the URL's data lies: the config key every service roots its paths at.
ROOT = "root"


def takes_root(scheme: str) -> bool:
    """Whether service ``scheme`` has a ``root`` (a plugin's may not: a zip archive)."""
    cls = service_class(scheme)
    declared = getattr(cls, "config_class", None)
    if declared is not None:
        return ROOT in {f.name for f in dataclasses.fields(declared)}
    try:
        return ROOT in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def scheme_of(protocol: str) -> str | None:
    """The native scheme an ``opendal+<scheme>`` protocol names; None for any other."""
    return protocol[len(PREFIX) :] or None if protocol.startswith(PREFIX) else None


def split_url(url: str) -> tuple[str, dict[str, Any], str] | None:
    """``(scheme, store config, key)`` of an ``opendal+<scheme>://`` URL; None for other paths."""
    protocol, sep, rest = stringify_path(url).partition("://")
    if not sep or scheme_of(protocol) is None:
        return None
    host, _, path = rest.partition("/")
    scheme, store = parse_uri(f"{protocol}://{host}")
    store.pop(ROOT, None)
    key = path if store else f"{host}/{path}"
    return scheme, store, key.strip("/")


def url_bases(operator: Operator) -> tuple[str, ...]:
    """The URL prefixes naming ``operator``'s root, the canonical one first; () if none can.

    A prefix is offered only when its protocol is registered with fsspec and the service's
    own URL parser reads its host back as this store, so every URL handed out reopens it.
    """
    info = operator.info()
    protocol = PREFIX + operator.scheme
    if protocol not in fsspec.available_protocols():
        return ()
    below = info.root.strip("/")
    below = below + "/" if below else ""
    host = info.name
    store = _store_of(protocol, host)
    if store is None or (host and host not in store.values()) or (not host and store):
        return ()
    bases = [f"{protocol}://{host}/{below}"]
    if host and _store_of(protocol, "") == store:  # a host-less URL names the same store
        bases.append(f"{protocol}:///{below}")
    return tuple(bases)


def _store_of(protocol: str, host: str) -> dict[str, Any] | None:
    if any(c in host for c in "/?#"):
        return None
    try:
        split = split_url(f"{protocol}://{host}/")
    except (Error, ValueError):
        return None  # the service cannot be reached by URL (a bridge needs a sub-scheme)
    return None if split is None or split[2] else split[1]


def merge_url_config(from_url: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` (storage_options) plus what the URL names; refuse a key both set differently."""
    url = from_url.get("url", "")
    merged = dict(given)
    for key, value in from_url.items():
        if key == "url":
            continue
        if key in given and not _same_config(key, given[key], value):
            hint = (
                "; a URL names an absolute path, so its root is '/': drop 'root' from "
                "storage_options, or give filesystem(protocol, root=...) paths relative to "
                "that root"
                if key == ROOT
                else f"; drop {key!r} from storage_options or change the URL"
            )
            raise ConfigInvalid(
                f"{key!r} is given twice and differs: the URL {url!r} says {value!r}, "
                f"storage_options say {given[key]!r}{hint}"
            ).with_context("key", key)
        merged[key] = value
    return merged


def _same_config(key: str, a: Any, b: Any) -> bool:
    if a == b:
        return True
    if key == ROOT and isinstance(a, str) and isinstance(b, str):  # "/" and "//" alike
        return a.strip("/") == b.strip("/") == ""
    return False
