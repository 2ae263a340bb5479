"""Schemes and layer names: what is installed, and how to build it from config or a URI.

Built-in services are listed here by dotted path and imported on first use, so
``import opendal_lab`` stays light. Third-party packages add services through the entry
point group ``opendal_lab.services`` (name = scheme, value = a ``Service`` subclass) and
layers through ``opendal_lab.layers`` (name = layer name, value = a layer class)::

    [project.entry-points."opendal_lab.services"]
    kv = "my_pkg.kv:KvService"

A scheme registered at run time with ``register_service`` wins over both.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.metadata
import importlib.util
import inspect
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from opendal_lab.core.errors import ConfigInvalid, Unsupported

__all__ = [
    "build_layer",
    "build_layers",
    "build_service",
    "coerce_config",
    "did_you_mean",
    "layer_class",
    "layer_names",
    "layer_options",
    "parse_uri",
    "register_layer",
    "refresh_plugins",
    "refuse_subscheme",
    "register_service",
    "schemes",
    "service_class",
]

# scheme -> (dotted path, modules it needs, extra to install)
_BUILTIN_SERVICES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "memory": ("opendal_lab.services.memory:MemoryService", (), ""),
    "fs": ("opendal_lab.services.fs:FsService", (), ""),
    "s3": ("opendal_lab.services.s3:S3Service", ("botocore",), "s3"),
    "fsspec": ("opendal_lab.services.fsspec:FsspecService", ("fsspec",), "fsspec"),
    "opendal": ("opendal_lab.services.opendal:OpendalService", ("opendal",), "opendal"),
    "http": ("opendal_lab.services.http:HttpService", ("urllib3",), "http"),
}
_ALIASES = {"file": "fs", "https": "http"}
_BUILTIN_LAYERS: dict[str, str] = {
    "error_context": "opendal_lab.core.layers.error_context:ErrorContextLayer",
    "simulate": "opendal_lab.core.layers.simulate:SimulateLayer",
    "complete": "opendal_lab.core.layers.complete:CompleteLayer",
    "correctness_check": "opendal_lab.core.layers.correctness_check:CorrectnessCheckLayer",
    "capability_check": "opendal_lab.core.layers.capability_check:CapabilityCheckLayer",
    "immutable_index": "opendal_lab.core.layers.immutable_index:ImmutableIndexLayer",
    "chaos": "opendal_lab.layers.chaos:ChaosLayer",
    "retry": "opendal_lab.layers.retry:RetryLayer",
    "capability_override": "opendal_lab.layers.capability_override:CapabilityOverrideLayer",
    "mime_guess": "opendal_lab.layers.mime_guess:MimeGuessLayer",
    "logging": "opendal_lab.layers.logging:LoggingLayer",
    "timeout": "opendal_lab.layers.timeout:TimeoutLayer",
    "concurrent_limit": "opendal_lab.layers.concurrent_limit:ConcurrentLimitLayer",
    "throttle": "opendal_lab.layers.throttle:ThrottleLayer",
    "metrics": "opendal_lab.layers.metrics:MetricsLayer",
    "tracing": "opendal_lab.layers.tracing:TracingLayer",
    "recorder": "opendal_lab.layers.recorder:RecorderLayer",
    "route": "opendal_lab.layers.route:RouteLayer",
    "cache": "opendal_lab.layers.cache:CacheLayer",
}

_registered_services: dict[str, Any] = {}
_registered_layers: dict[str, Any] = {}
_plugins: dict[str, dict[str, importlib.metadata.EntryPoint]] = {}
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


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _installed(modules: tuple[str, ...]) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


# -- services --------------------------------------------------------------------------
def register_service(scheme: str, service: type | Callable[..., Any]) -> None:
    """Make ``scheme`` build ``service(**config)`` in this process."""
    _registered_services[scheme] = service


def schemes() -> list[str]:
    """Every scheme that can be built here: built-ins whose dependencies are installed,
    plugins from entry points, and services registered at run time."""
    found = {s for s, (_, needs, _) in _BUILTIN_SERVICES.items() if _installed(needs)}
    found.update(_entry_points("opendal_lab.services"))
    found.update(_registered_services)
    return sorted(found)


def service_class(scheme: str) -> Any:
    """The service class (or factory) for ``scheme``; ``Unsupported`` names the alternatives."""
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be str, got {type(scheme).__name__}")
    scheme = _ALIASES.get(scheme, scheme)
    if scheme in _registered_services:
        return _registered_services[scheme]
    if scheme in _BUILTIN_SERVICES:
        target, needs, extra = _BUILTIN_SERVICES[scheme]
        if not _installed(needs):
            raise Unsupported(
                f"service {scheme!r} needs {', '.join(needs)}: pip install 'opendal-lab[{extra}]'",
                service=scheme,
            )
        return _load(target)
    plugin = _entry_points("opendal_lab.services").get(scheme)
    if plugin is not None:
        return plugin.load()
    available = schemes()
    raise Unsupported(
        f"unknown scheme {scheme!r}{did_you_mean(scheme, [*available, *_ALIASES])}; "
        f"available schemes: {', '.join(available)}",
        service=scheme,
    )


def coerce_config(scheme: str, config_class: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``values`` against the fields of ``config_class``; strings become bool/int/float.

    URIs and environment variables only carry strings, so ``"true"`` and ``"8"`` are accepted
    where a bool or an int is expected.
    """
    fields = {f.name: str(f.type) for f in dataclasses.fields(config_class)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigInvalid(
                f"unknown config key {key!r}{did_you_mean(key, fields)} for service "
                f"{scheme!r}; valid keys: {', '.join(sorted(fields)) or '(none)'}",
                service=scheme,
            )
        out[key] = _coerce(scheme, key, fields[key], value)
    return out


_SECRET_WORDS = ("secret", "password", "token", "key", "credential")


def _coerce(scheme: str, key: str, annotation: str, value: Any) -> Any:
    def bad(expected: str) -> ConfigInvalid:
        # Never echo what might be a credential: name its type instead.
        secret = any(word in key.lower() for word in _SECRET_WORDS)
        shown = type(value).__name__ if secret else repr(value)
        return ConfigInvalid(
            f"config {key!r} of service {scheme!r} must be {expected}, got {shown}",
            service=scheme,
        )

    if value is None:
        if "None" in annotation:
            return None
        raise bad(annotation)
    if annotation.startswith("bool"):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "true",
            "1",
            "yes",
            "on",
            "false",
            "0",
            "no",
            "off",
        ):
            return value.lower() in ("true", "1", "yes", "on")
        raise bad("a bool")
    if annotation.startswith("int"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise bad("an int")
    if annotation.startswith("float"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad("a number") from None
    if annotation.startswith("str"):
        if isinstance(value, str):
            return value
        if hasattr(value, "__fspath__"):
            return str(value.__fspath__())
        raise bad("a str")
    return value


def build_service(scheme: str, config: Mapping[str, Any]) -> Any:
    """A service instance for ``scheme`` from ``config`` (checked and coerced)."""
    cls = service_class(scheme)
    config_class = getattr(cls, "config_class", None)
    values = coerce_config(scheme, config_class, config) if config_class else dict(config)
    try:
        return cls(**values)
    except TypeError as err:
        raise ConfigInvalid(f"bad config for service {scheme!r}: {err}", service=scheme) from err


def parse_uri(uri: str) -> tuple[str, dict[str, Any]]:
    """``(scheme, config)`` for a URI; the service decides what host and path mean.

    ``service+sub://...`` names a service and a sub-scheme, for bridges to other libraries:
    ``fsspec+gcs://bucket/dir`` is the fsspec bridge over gcsfs, ``opendal+s3://...`` the
    opendal binding's s3. The service's ``config_from_uri(host, path, subscheme)`` hook gets
    the sub-scheme (``None`` for a plain URI) and the original scheme is kept as
    ``uri_scheme`` when it is an alias (``https``) so the service can tell.
    """
    if not isinstance(uri, str):
        raise TypeError(f"uri must be str, got {type(uri).__name__}")
    parts = urlsplit(uri)
    if not parts.scheme or "://" not in uri:
        raise ConfigInvalid(
            f"{uri!r} is not a URI like 'scheme://...'; available schemes: {', '.join(schemes())}"
        )
    given, _, subscheme = parts.scheme.partition("+")
    scheme = _ALIASES.get(given, given)
    cls = service_class(scheme)
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
    _registered_layers[name] = layer


def layer_names() -> list[str]:
    return sorted({*_BUILTIN_LAYERS, *_entry_points("opendal_lab.layers"), *_registered_layers})


def layer_class(name: str) -> Any:
    if name in _registered_layers:
        return _registered_layers[name]
    if name in _BUILTIN_LAYERS:
        return _load(_BUILTIN_LAYERS[name])
    plugin = _entry_points("opendal_lab.layers").get(name)
    if plugin is not None:
        return plugin.load()
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
