"""The registry: which schemes and layer names exist, and how to build them from config or a URI.

The registry registers nothing itself. Services and layers reach it the same way whether
they are built in or third-party:

- **entry points**, read on first use. Group ``opendal_lab.services``: name = a scheme (or
  an alias), value = the service module's ``register(registry)`` (or, for a small plugin,
  the ``Service`` subclass itself). Group ``opendal_lab.layers``: name = a layer name,
  value = the layer class. opendal_lab's own ``pyproject.toml`` lists its built-ins there,
  which is also the one list of built-in layers; a missing optional dependency is named
  with the extra that installs it (``s3 = "...:register [s3]"``)::

      [project.entry-points."opendal_lab.services"]
      kv = "my_pkg.kv:register"  # register(registry): registry.add_service("kv", KvService)

- **at run time**, ``register_service(scheme, cls)`` and ``register_layer(name, cls)``,
  which win over entry points.

Nothing is imported before it is asked for, so ``import opendal_lab`` loads no service.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from opendal_lab.core.config import (
    check_values,
    did_you_mean,
    service_voice,
    specs,
)
from opendal_lab.core.errors import ConfigInvalid, Unsupported

__all__ = [
    "REGISTRY",
    "Registry",
    "build_layer",
    "build_layers",
    "build_service",
    "builtin_layer_names",
    "coerce_config",
    "did_you_mean",
    "layer_class",
    "layer_names",
    "layer_options",
    "parse_uri",
    "refresh_plugins",
    "refuse_subscheme",
    "register_layer",
    "register_service",
    "schemes",
    "service_class",
]

_SERVICES = "opendal_lab.services"
_LAYERS = "opendal_lab.layers"
_DIST = "opendal-lab"


class Registry:
    """Schemes and layer names known in this process (what ``register`` functions fill)."""

    def __init__(self) -> None:
        self.services: dict[str, Any] = {}
        self.layers: dict[str, Any] = {}
        self.aliases: dict[str, str] = {}

    def add_service(
        self, scheme: str, service: type | Callable[..., Any], *, aliases: Iterable[str] = ()
    ) -> None:
        """Make ``scheme`` and its aliases (``file`` for ``fs``) build ``service(**config)``."""
        self.services[scheme] = service
        for alias in aliases:
            self.aliases[alias] = scheme

    def add_layer(self, name: str, layer: type | Callable[..., Any]) -> None:
        """Make ``name`` build ``layer(**options)`` in stack descriptions (URIs, config)."""
        self.layers[name] = layer


#: The process's registry: ``register(registry)`` functions receive it.
REGISTRY = Registry()
_plugins: dict[str, dict[str, importlib.metadata.EntryPoint]] = {}
_extras_ok: dict[str, bool] = {}
_lock = threading.Lock()


def _entry_points(group: str) -> dict[str, importlib.metadata.EntryPoint]:
    with _lock:
        if group not in _plugins:
            _plugins[group] = {ep.name: ep for ep in importlib.metadata.entry_points(group=group)}
        return _plugins[group]


def refresh_plugins() -> None:
    """Forget the cached entry points (after installing a plugin in a running process)."""
    with _lock:
        _plugins.clear()
        _extras_ok.clear()


def _extra_installed(ep: importlib.metadata.EntryPoint) -> bool:
    """Whether the distributions an entry point's extras need are installed."""
    if not ep.extras or ep.dist is None:
        return True
    key = f"{ep.dist.name}[{','.join(ep.extras)}]"
    if key not in _extras_ok:
        needed = [
            re.match(r"[A-Za-z0-9._-]+", req).group(0)  # type: ignore[union-attr]
            for req in ep.dist.requires or ()
            if any(re.search(rf"extra\s*==\s*['\"]{x}['\"]", req) for x in ep.extras)
        ]
        _extras_ok[key] = all(_has_distribution(name) for name in needed)
    return _extras_ok[key]


def _has_distribution(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _load_service(name: str, ep: importlib.metadata.EntryPoint) -> Any:
    """Load ``ep`` and let it register; an import error names what to install."""
    try:
        value = ep.load()
    except ImportError as err:
        missing = err.name or str(err)
        how = (
            f"pip install 'opendal-lab[{ep.extras[0]}]'" if ep.extras else f"pip install {missing}"
        )
        raise Unsupported(f"service {name!r} needs {missing}: {how}", service=name) from err
    return value


# -- services --------------------------------------------------------------------------
def register_service(scheme: str, service: type | Callable[..., Any]) -> None:
    """Make ``scheme`` build ``service(**config)`` in this process."""
    REGISTRY.add_service(scheme, service)


def schemes() -> list[str]:
    """Every scheme that can be built here: entry points whose dependencies are installed
    (built-ins and plugins alike) and services registered at run time."""
    found = {n for n, ep in _entry_points(_SERVICES).items() if _extra_installed(ep)}
    found.update(REGISTRY.services)
    return sorted(found - set(REGISTRY.aliases) - _aliases_of_entry_points())


def _aliases_of_entry_points() -> set[str]:
    # Names sharing one register function are a scheme and its aliases (``fs`` and
    # ``file``); the scheme is the one named like the module that registers it.
    by_value: dict[str, list[str]] = {}
    for name, ep in _entry_points(_SERVICES).items():
        by_value.setdefault(ep.value, []).append(name)
    aliases: set[str] = set()
    for value, names in by_value.items():
        module = value.partition(":")[0].rsplit(".", 1)[-1]
        if len(names) > 1:
            aliases.update(n for n in names if n != module)
    return aliases


def service_class(scheme: str) -> Any:
    """The service class (or factory) for ``scheme``; ``Unsupported`` names the alternatives."""
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be str, got {type(scheme).__name__}")
    scheme = REGISTRY.aliases.get(scheme, scheme)
    if scheme in REGISTRY.services:
        return REGISTRY.services[scheme]
    ep = _entry_points(_SERVICES).get(scheme)
    if ep is not None:
        value = _load_service(scheme, ep)
        if isinstance(value, type):  # a plugin's Service class, registered under its name
            REGISTRY.add_service(ep.name, value)
        else:
            value(REGISTRY)
        scheme = REGISTRY.aliases.get(scheme, scheme)
        if scheme in REGISTRY.services:
            return REGISTRY.services[scheme]
    available = schemes()
    raise Unsupported(
        f"unknown scheme {scheme!r}{did_you_mean(scheme, available)}; "
        f"available schemes: {', '.join(available) or '(none)'}{_unregistered_hint()}",
        service=scheme,
    )


def _unregistered_hint() -> str:
    # The built-ins are entry points too: without them the package was not installed (or was
    # installed before they existed), which "unknown scheme 'memory'" alone would not say.
    ours = [ep for ep in _entry_points(_SERVICES).values() if ep.dist and ep.dist.name == _DIST]
    if ours:
        return ""
    return (
        "; opendal_lab's own entry points are missing: install the package "
        "(pip install -e . in a checkout) so its built-in services register"
    )


def coerce_config(scheme: str, config_class: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``values`` against the fields of ``config_class``; strings become bool/int/float.

    URIs and environment variables only carry strings, so ``"true"`` and ``"8"`` are accepted
    where a bool or an int is expected. The fields' declarations (``core.config``) say what
    else is allowed; a secret's value never appears in the message.
    """
    declared = specs(config_class)
    return check_values(declared, values, service_voice(scheme, declared), text=True)


def build_service(scheme: str, config: Mapping[str, Any]) -> Any:
    """A service instance for ``scheme`` from ``config`` (checked and coerced)."""
    cls = service_class(scheme)
    config_class = getattr(cls, "config_class", None)
    values = coerce_config(scheme, config_class, config) if config_class else dict(config)
    try:
        return cls(**values)
    except TypeError as err:
        raise ConfigInvalid(f"bad config for service {scheme!r}: {err}", service=scheme) from err


#: ``opendal+<scheme>://`` names this package's own service ``<scheme>`` (what the fsspec
#: protocol of the same name opens); ``opendal-rs+<scheme>://`` names the Rust binding's
#: ``<scheme>`` through the ``opendal`` bridge service.
NATIVE_PREFIX = "opendal"
BINDING_PREFIX = "opendal-rs"
_BINDING_SERVICE = "opendal"


def parse_uri(uri: str) -> tuple[str, dict[str, Any]]:
    """``(scheme, config)`` for a URI; the service decides what host and path mean.

    ``service+sub://...`` names a service and a sub-scheme, for bridges to other libraries:
    ``fsspec+gcs://bucket/dir`` is the fsspec bridge over gcsfs, ``opendal-rs+s3://...`` the
    Rust opendal binding's s3 (the ``opendal`` bridge). ``opendal+<scheme>://...`` is the
    same URL as ``<scheme>://...``: this package's own service, as the fsspec protocol
    ``opendal+<scheme>`` reads it, so one URL means one thing everywhere. The service's
    ``config_from_uri(host, path, subscheme, given)`` hook gets the sub-scheme (``None`` for
    a plain URI) and the scheme as given (``https`` for the ``http`` service, say).
    """
    if not isinstance(uri, str):
        raise TypeError(f"uri must be str, got {type(uri).__name__}")
    parts = urlsplit(uri)
    if not parts.scheme or "://" not in uri:
        raise ConfigInvalid(
            f"{uri!r} is not a URI like 'scheme://...'; available schemes: {', '.join(schemes())}"
        )
    given, _, subscheme = parts.scheme.partition("+")
    if given == NATIVE_PREFIX and subscheme:
        return parse_uri(uri.partition("+")[2])
    if given == BINDING_PREFIX:
        given = _BINDING_SERVICE
    cls = service_class(given)
    scheme = REGISTRY.aliases.get(given, given)
    hook = getattr(cls, "config_from_uri", None)
    if hook is None:
        raise ConfigInvalid(f"service {scheme!r} cannot be built from a URI", service=scheme)
    config: dict[str, Any] = hook(
        unquote(parts.netloc), unquote(parts.path), subscheme or None, given
    )
    config.update(parse_qsl(parts.query, keep_blank_values=True))
    return scheme, config


def refuse_subscheme(scheme: str, subscheme: str | None) -> None:
    """For services that are not bridges: ``memory+x://`` is a mistake, say so."""
    if subscheme:
        raise ConfigInvalid(
            f"service {scheme!r} takes no sub-scheme, got '{scheme}+{subscheme}://'",
            service=scheme,
        )


# -- layers ----------------------------------------------------------------------------
def register_layer(name: str, layer: type | Callable[..., Any]) -> None:
    REGISTRY.add_layer(name, layer)


def layer_names() -> list[str]:
    return sorted({*_entry_points(_LAYERS), *REGISTRY.layers})


def builtin_layer_names() -> list[str]:
    """The layers opendal_lab itself ships (its own entry points)."""
    return sorted(
        n
        for n, ep in _entry_points(_LAYERS).items()
        if ep.dist is not None and ep.dist.name == _DIST
    )


def layer_class(name: str) -> Any:
    if name in REGISTRY.layers:
        return REGISTRY.layers[name]
    ep = _entry_points(_LAYERS).get(name)
    if ep is not None:
        return ep.load()  # a missing extra raises the layer module's own ImportError
    available = layer_names()
    raise ConfigInvalid(
        f"unknown layer {name!r}{did_you_mean(name, available)}; "
        f"available layers: {', '.join(available)}"
    )


_KEYWORD = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def layer_options(layer: Any) -> dict[str, bool] | None:
    """The options a layer class takes, from its ``__init__`` signature, each with whether
    it is required; ``None`` when it takes any keyword (``**fields``) or has no signature
    Python can read."""
    try:
        params = inspect.signature(layer).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name: p.default is inspect.Parameter.empty for p in params if p.kind in _KEYWORD}


def _check_layer_options(name: str, layer: Any, options: Mapping[str, Any]) -> None:
    """Refuse an option the layer does not take, or a missing required one, naming the
    layer and its options (a typo in a config file must not end as a bare TypeError)."""
    valid = layer_options(layer)
    if valid is None:
        return
    shown = ", ".join(valid) or "(none)"
    for key in options:
        if key not in valid:
            raise ConfigInvalid(
                f"layer {name!r} has no option {key!r}{did_you_mean(key, valid)}; "
                f"valid options: {shown}"
            )
    missing = [key for key, required in valid.items() if required and key not in options]
    if missing:
        raise ConfigInvalid(
            f"layer {name!r} needs option {', '.join(map(repr, missing))}; valid options: {shown}"
        )


def build_layer(name: str, **options: Any) -> Any:
    """The layer ``name`` built with ``options``; a wrong option names the valid ones."""
    layer = layer_class(name)
    _check_layer_options(name, layer, options)
    return layer(**options)


def build_layers(specs: Any) -> list[Any]:
    """Layers from a stack description, innermost first.

    Each item is a layer object, a name (``"retry"``), a mapping with ``name`` plus options
    (``{"name": "retry", "max_times": 5}``) or a ``(name, options)`` pair. A string is a
    comma-separated list of names, as in a URI query: ``?layers=logging,retry``.
    """
    if isinstance(specs, str):
        specs = [name.strip() for name in specs.split(",") if name.strip()]
    if isinstance(specs, Mapping) or not isinstance(specs, Iterable):
        raise TypeError(f"layers must be a list of layers, names or dicts, got {specs!r}")
    layers: list[Any] = []
    for spec in specs:
        if isinstance(spec, str):
            layers.append(build_layer(spec))
        elif isinstance(spec, Mapping):
            options = dict(spec)
            name = options.pop("name", None)
            if not isinstance(name, str):
                raise ConfigInvalid(f"a layer given as a dict needs a 'name': {spec!r}")
            layers.append(build_layer(name, **options))
        elif isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
            layers.append(build_layer(spec[0], **dict(spec[1])))
        else:
            layers.append(spec)  # a layer object: Operator checks it has wrap()
    return layers
