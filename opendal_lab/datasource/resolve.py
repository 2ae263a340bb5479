"""Finding the source: a class, an instance, or ``python_module`` + ``python_class`` options.

The options route is the one Spark's ``format("python")`` and Sail use::

    load(None, {"python_module": "opendal_lab.datasource.range",
                "python_class": "RangeSource", "rows": "1000"})

A class, given directly or by name, is instantiated with no arguments: its configuration
comes through the options every method receives, as in Spark and Sail. An instance is used
as it is (that is the way to hand a source constructor arguments).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource.errors import SourceInvalid, SourceNotFound
from opendal_lab.datasource.protocol import DataSource, source_name
from opendal_lab.datasource.validate import check_source

__all__ = ["MODULE_OPTION", "CLASS_OPTION", "resolve_source"]

MODULE_OPTION = "python_module"
CLASS_OPTION = "python_class"


def resolve_source(source: Any, options: Mapping[str, str] | None = None) -> DataSource:
    """The source instance for ``source`` (a class, an instance or None) and ``options``.

    With ``source=None`` the options must name it: ``python_module`` (a module to import)
    and ``python_class`` (a class in it; ``Outer.Inner`` works). Raises ConfigInvalid when
    neither route names a source, or when both do and disagree; SourceNotFound (a
    ConfigInvalid and an ImportError) naming the option when the module or the class is
    not there; SourceInvalid when the class cannot be built without arguments or the
    object lacks a protocol method.
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
    if isinstance(source, type):
        source = _instantiate(source)
    check_source(source)
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
        if module and qualname and _named(module, qualname) is cls:
            return  # named where it is exported (a package's __init__), not where defined
        raise ConfigInvalid(
            f"the source is {cls.__module__}.{cls.__qualname__}, but the options name "
            f"{module or '?'}.{qualname or '?'} ({MODULE_OPTION} / {CLASS_OPTION}); "
            "give one or the other",
            operation="datasource",
        )


def _named(module: str, qualname: str) -> Any:
    try:
        return _import_class(module, qualname)
    except SourceNotFound:
        return None


def _instantiate(cls: type[Any]) -> Any:
    try:
        return cls()
    except Exception as exc:
        name = source_name(cls)
        raise SourceInvalid(
            f"cannot create {name}() without arguments ({type(exc).__name__}: {exc}); "
            "read configuration from the options, or pass an instance",
            source=name,
        ) from exc
