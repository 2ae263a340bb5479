"""One way to declare and check options and config: a field's type, its bounds, its message.

Everything a user hands us by name goes through here: per-operation options
(``core/options.py``), service config (``registry.coerce_config`` and each service's
``__init__``) and the arguments of the optional layers. One declaration says what a value
may be; one checker (``Spec.check``) enforces it; the error messages are written from the
declaration, in the voice of whoever asked (``Voice``).

Declaring
---------
A dataclass field or a function parameter is declared by its annotation; bounds and
wording go next to it, in ``Annotated``::

    @dataclass
    class HttpConfig:
        timeout: Annotated[float, Check(gt=0, finite=True, unit="seconds")] = 60.0

    @checked("RetryLayer")
    def __init__(self, max_times: Annotated[int, Check(ge=0)] = 3, ...) -> None: ...

Types understood: ``bool``, ``int``, ``float`` (an int is accepted and made a float),
``str`` (``Check(path=True)``: a path-like object too), ``datetime``, ``dict`` /
``dict[K, V]`` / ``Mapping`` (items checked when typed), ``Literal[...]``, ``Callable``,
any class (``isinstance``), unions of these, and ``X | None``. Anything else (an
``Iterable[str]``, a ``TypeVar``) is left to its owner, as is a field declared
``Check(own=True)``.

Text: a URI query, an environment variable or a config file carries strings, so where
values come from text (``text=True``: service config) ``"true"``/``"off"``, ``"8"`` and
``"0.5"`` become bool, int and float, and a path-like object is accepted as a str. A
Python call (options, layer arguments) gets no such help: ``"8"`` for an int is a
``TypeError``.

Secrets: a value whose name holds one of ``SECRET_WORDS`` is never echoed; the message
names its type instead.

Why our own helper and not pydantic or attrs
--------------------------------------------
``import opendal_lab`` must stay light (``tests/test_registry.py::test_import_is_light``:
nothing outside the standard library but ``typing_extensions``), and pydantic brings a
compiled core and its own import cost to every user, including those who never configure
anything. attrs would mean rewriting every config class and option class as attrs classes,
for validators we can write in a page. Every config and option was already a dataclass,
and the messages are part of our interface (tests match on them), which a library would
word its own way. So: the standard library's ``dataclasses`` and ``typing.Annotated``,
plus this module.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import functools
import inspect
import math
import os
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, Union

from opendal_lab.core.errors import ConfigInvalid

__all__ = [
    "FALSE",
    "SECRET_WORDS",
    "TRUE",
    "Check",
    "Refused",
    "Spec",
    "Voice",
    "build_config",
    "check_values",
    "checked",
    "config_signature",
    "config_table",
    "configured",
    "did_you_mean",
    "is_secret",
    "layer_voice",
    "service_voice",
    "specs",
]

#: A name holding one of these is a secret: its value never appears in a message.
SECRET_WORDS = ("secret", "password", "token", "key", "credential")

#: The words a flag may be written with in text (URIs, env, Spark options), either case.
TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")

F = TypeVar("F", bound=Callable[..., Any])


def flag(text: str) -> bool | None:
    """``text`` read as a flag (``TRUE`` or ``FALSE``, any case); None if it is neither."""
    lowered = text.lower()
    return True if lowered in TRUE else False if lowered in FALSE else None


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


@dataclass(frozen=True)
class Check:
    """What a value may be beyond its type, declared next to it in ``Annotated``.

    ``ge``/``gt``/``le``: bounds; ``finite``: refuse infinities and NaN; ``pattern``: a
    str must match it (whole); ``unit``: named in messages (``"seconds"``, ``"byte"``);
    ``expected``: the type's description when the generated one will not do; ``says``:
    the same for the bounds; ``hint``: added to a refused value's message; ``path``: a str
    may be given as a path-like object; ``own``: checked by its owner, not here; ``doc``:
    one line for the config table.
    """

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    finite: bool = False
    pattern: str | None = None
    unit: str = ""
    expected: str = ""
    says: str = ""
    hint: str = ""
    path: bool = False
    own: bool = False
    doc: str = ""

    def merged(self, other: Check) -> Check:
        """This check with what ``other`` sets on top (nested ``Annotated``)."""
        changes = {
            f.name: getattr(other, f.name)
            for f in dataclasses.fields(other)
            if getattr(other, f.name) != f.default
        }
        return dataclasses.replace(self, **changes)


class Refused(Exception):
    """A value a ``Spec`` refused: ``wrong_type`` or a value out of its bounds.

    ``expected`` completes "must be ...". Callers turn it into their error with a ``Voice``.
    """

    def __init__(self, expected: str, *, wrong_type: bool) -> None:
        super().__init__(expected)
        self.expected = expected
        self.wrong_type = wrong_type


_SCALARS: dict[Any, str] = {bool: "bool", int: "int", float: "float", str: "str"}
_ABSTRACT_MAPPINGS = (collections.abc.Mapping, typing.Mapping)


@dataclass(frozen=True)
class Spec:
    """What one field or parameter accepts, compiled from its annotation."""

    kind: str  # bool int float str datetime dict mapping literal callable class union any
    check: Check = Check()
    optional: bool = False
    cls: type | None = None  # kind "class"
    choices: tuple[Any, ...] = ()  # kind "literal"
    items: tuple[Spec, Spec] | None = None  # typed dict/mapping: (key, value)
    members: tuple[Spec, ...] = ()  # kind "union"

    # -- describing ---------------------------------------------------------------------
    def expected(self, articles: bool = True) -> str:
        """What "must be ..." says for a value of the wrong type."""
        text = self.check.expected or self._type_words(articles)
        return f"{text} or None" if self.optional else text

    def _type_words(self, articles: bool) -> str:
        kind = self.kind
        if kind == "union":
            return " or ".join(m.expected(articles) for m in self.members)
        if kind == "literal":
            return "one of " + ", ".join(str(c) for c in self.choices)
        if kind == "callable":
            return "callable"
        if kind == "float":
            words = "a number" if articles else "number"
            return f"{words} of {self.check.unit}" if self.check.unit else words
        if kind == "class" and self.cls is not None:
            name = self.cls.__name__
        elif kind in ("dict", "mapping") and self.items is not None:
            key, value = (s._type_words(False) for s in self.items)
            name = f"{'dict' if kind == 'dict' else 'mapping'} of {key} to {value}"
        elif kind == "str" and self.check.path:
            name = "str or path-like"
        else:
            name = kind
        if not articles:
            return name
        return ("an " if name[0] in "aeiou" else "a ") + name

    def bounds(self) -> str:
        """What "must be ..." says for a value of the right type out of its bounds."""
        c = self.check
        if c.says:
            return c.says
        if self.kind == "literal":
            return self._type_words(True)
        if c.pattern is not None:
            return f"a str matching {c.pattern}"
        limits = []
        if c.ge is not None and c.le is not None:
            limits.append(f"between {_num(c.ge)} and {_num(c.le)}")
        else:
            limits += [f">= {_num(c.ge)}"] if c.ge is not None else []
            limits += [f"<= {_num(c.le)}"] if c.le is not None else []
        positive = self.kind == "float" and c.gt == 0
        if c.gt is not None and not positive:
            limits.append(f"> {_num(c.gt)}")
        text = " and ".join(limits)
        if self.kind != "float":
            return f"{text} {c.unit}" if c.unit else text
        words = "a " + ("positive, " if positive else "") + ("finite " if c.finite else "")
        words += "number" + (f" of {c.unit}" if c.unit else "")
        return f"{words} {text}" if text else words

    # -- checking -----------------------------------------------------------------------
    def __call__(self, value: Any, *, text: bool = False, articles: bool = True) -> Any:
        """``value``, converted where its kind says so (int to float, text to a number);
        ``Refused`` when it is not what this spec accepts."""
        if value is None:
            if self.optional or self.kind == "any":
                return None
            raise Refused(self.expected(articles), wrong_type=True)
        if self.check.own:
            return value
        value = self._typed(value, text, articles)
        self._in_bounds(value)
        return value

    def _typed(self, value: Any, text: bool, articles: bool) -> Any:
        kind = self.kind
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if text and isinstance(value, str) and (read := flag(value)) is not None:
                return read
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if text and isinstance(value, str):
                try:
                    return int(value)
                except ValueError:
                    pass
        elif kind == "float":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if text and isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
        elif kind == "str":
            if isinstance(value, str):
                return value
            if (text or self.check.path) and isinstance(value, os.PathLike):
                return os.fspath(value)
        elif kind == "literal":
            if value in self.choices:
                return value
            raise Refused(self.bounds(), wrong_type=False)
        elif kind in ("dict", "mapping"):
            if isinstance(value, dict if kind == "dict" else Mapping):
                self._items(value, articles)
                return value
        elif kind == "callable":
            if callable(value):
                return value
        elif kind == "union":
            for member in self.members:
                try:
                    return member(value, text=text, articles=articles)
                except Refused:
                    continue
        elif kind in ("datetime", "class"):
            if isinstance(value, self.cls):  # type: ignore[arg-type]
                return value
        else:  # "any": its owner checks it
            return value
        raise Refused(self.expected(articles), wrong_type=True)

    def _items(self, value: Mapping[Any, Any], articles: bool) -> None:
        if self.items is None:
            return
        key_spec, value_spec = self.items
        for key, item in value.items():
            try:
                key_spec(key)
                value_spec(item)
            except Refused:
                raise Refused(self.expected(articles), wrong_type=True) from None

    def _in_bounds(self, value: Any) -> None:
        c = self.check
        if self.kind in ("int", "float"):
            if (
                (c.ge is not None and not value >= c.ge)  # `not >=`: NaN is refused too
                or (c.gt is not None and not value > c.gt)
                or (c.le is not None and not value <= c.le)
                or (c.finite and not math.isfinite(value))
            ):
                raise Refused(self.bounds(), wrong_type=False)
        elif c.pattern is not None and not re.fullmatch(c.pattern, value):
            raise Refused(self.bounds(), wrong_type=False)


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def spec_of(annotation: Any, check: Check | None = None) -> Spec:
    """The ``Spec`` of a resolved annotation (``Annotated`` checks included)."""
    check = check or Check()
    if typing.get_origin(annotation) is Annotated:
        base, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, Check):
                check = check.merged(extra)
        return spec_of(base, check)
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = typing.get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        optional = len(rest) < len(args)
        if len(rest) == 1:
            return dataclasses.replace(spec_of(rest[0], check), optional=optional)
        members = tuple(spec_of(a) for a in rest)
        return Spec("union", check, optional, members=members)
    if origin is Literal:
        return Spec("literal", check, choices=typing.get_args(annotation))
    if annotation in _SCALARS:
        return Spec(_SCALARS[annotation], check)
    if annotation is datetime:
        return Spec("datetime", check, cls=datetime)
    if annotation is dict or origin is dict:
        return Spec("dict", check, items=_item_specs(annotation))
    if annotation in _ABSTRACT_MAPPINGS or origin in _ABSTRACT_MAPPINGS:
        return Spec("mapping", check, items=_item_specs(annotation))
    if origin is collections.abc.Callable or annotation is collections.abc.Callable:
        return Spec("callable", check)
    if isinstance(annotation, type) and annotation.__module__ not in ("typing", "builtins"):
        return Spec("class", check, cls=annotation)
    return Spec("any", check)


def _item_specs(annotation: Any) -> tuple[Spec, Spec] | None:
    args = typing.get_args(annotation)
    return (spec_of(args[0]), spec_of(args[1])) if len(args) == 2 else None


_SPECS: dict[Any, dict[str, Spec]] = {}


def specs(declared: Any) -> dict[str, Spec]:
    """``{name: Spec}`` for a dataclass's fields or a function's parameters, in order
    (computed once per class or function).

    A dataclass field's ``metadata={"check": Check(...)}`` counts as well as ``Annotated``.
    """
    found = _SPECS.get(declared)
    if found is None:
        found = _SPECS[declared] = _compile(declared)
    return found


def _compile(declared: Any) -> dict[str, Spec]:
    hints = typing.get_type_hints(declared, include_extras=True)
    if dataclasses.is_dataclass(declared):
        return {
            f.name: spec_of(hints[f.name], f.metadata.get("check"))
            for f in dataclasses.fields(declared)
        }
    params = inspect.signature(declared).parameters.values()
    return {
        p.name: spec_of(hints.get(p.name, Any))
        for p in params
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


# -- voices: how a refusal is told ---------------------------------------------------------
@dataclass(frozen=True)
class Voice:
    """How one owner words a refused value: ``{subject} must be {expected}, got {shown}``.

    ``subject`` is formatted with ``name`` (``"option {name!r}"``); ``articles`` says
    ``an int`` rather than ``int``; ``wrong_type`` and ``wrong_value`` make the exception
    from the message (a wrong type in a Python call is a ``TypeError``); ``shows_type``: a
    wrong type's message shows the value's type (``"got str"``), else its repr (a secret
    always shows its type); ``unknown`` makes the error for a name that is not declared.
    """

    subject: str = "{name!r}"
    articles: bool = True
    wrong_type: Callable[[str], Exception] = TypeError
    wrong_value: Callable[[str], Exception] = ConfigInvalid
    shows_type: bool = True
    unknown: Callable[[str, list[str]], Exception] | None = None

    def refusal(self, name: str, value: Any, refused: Refused) -> Exception:
        secret = is_secret(name)
        if secret or (refused.wrong_type and self.shows_type):
            shown = type(value).__name__
        else:
            shown = repr(value)
        message = f"{self.subject.format(name=name)} must be {refused.expected}, got {shown}"
        if refused.wrong_type:
            return self.wrong_type(message)
        return self.wrong_value(message)

    def check(self, name: str, spec: Spec, value: Any, *, text: bool = False) -> Any:
        try:
            return spec(value, text=text, articles=self.articles)
        except Refused as refused:
            if not refused.wrong_type and spec.check.hint:
                refused.expected += f" ({spec.check.hint})"
            raise self.refusal(name, value, refused) from None


def layer_voice(owner: str, *, quoted: bool = True, articles: bool = True) -> Voice:
    """``"RetryLayer: 'max_times' must be an int, got str"``: a TypeError for a wrong type,
    ``ConfigInvalid`` for a value out of bounds."""

    def wrong_type(message: str) -> Exception:
        return TypeError(f"{owner}: {message}")

    def wrong_value(message: str) -> Exception:
        return ConfigInvalid(f"{owner}: {message}")

    return Voice(
        subject="{name!r}" if quoted else "{name}",
        articles=articles,
        wrong_type=wrong_type,
        wrong_value=wrong_value,
    )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def service_voice(scheme: str, valid: Iterable[str]) -> Voice:
    """``"service 's3': config 'max_attempts' must be >= 1, got 0"``, always ``ConfigInvalid``
    (config comes from URIs and files as often as from code)."""
    names = list(valid)

    def invalid(message: str) -> Exception:
        return ConfigInvalid(f"service {scheme!r}: {message}", service=scheme)

    def unknown(key: str, _: list[str]) -> Exception:
        return ConfigInvalid(
            f"unknown config key {key!r}{did_you_mean(key, names)} for service "
            f"{scheme!r}; valid keys: {', '.join(sorted(names)) or '(none)'}",
            service=scheme,
        )

    return Voice(
        subject="config {name!r}",
        wrong_type=invalid,
        wrong_value=invalid,
        shows_type=False,
        unknown=unknown,
    )


def check_values(
    declared: Mapping[str, Spec], values: Mapping[str, Any], voice: Voice, *, text: bool = False
) -> dict[str, Any]:
    """``values`` checked (and converted) against ``declared``; ``None`` passes for a field
    that allows it. A name that is not declared is ``voice.unknown``'s error."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        spec = declared.get(name)
        if spec is None:
            if voice.unknown is None:
                raise TypeError(f"unexpected keyword {name!r}; valid: {', '.join(declared)}")
            raise voice.unknown(name, list(declared))
        out[name] = voice.check(name, spec, value, text=text)
    return out


# -- functions whose parameters are the declaration (layers) -------------------------------
def checked(owner: str, *, quoted: bool = True, articles: bool = True) -> Callable[[F], F]:
    """Check the arguments of an ``__init__`` against its own annotations (``Annotated``
    bounds included) before it runs; what it receives is converted (an int for a float
    becomes a float). Defaults are trusted. ``inspect.signature`` still shows the original.

    ``quoted=False`` names the parameter bare (``capacity must be > 0``), ``articles=False``
    says ``int`` rather than ``an int``.
    """
    voice = layer_voice(owner, quoted=quoted, articles=articles)

    def decorate(init: F) -> F:
        signature = inspect.signature(init)

        @functools.wraps(init)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            declared = specs(init)  # resolved on first use: annotations may name later things
            bound = signature.bind(self, *args, **kwargs)
            arguments = bound.arguments
            for name, value in arguments.items():
                spec = declared.get(name)
                if spec is not None:
                    arguments[name] = voice.check(name, spec, value)
            return init(*bound.args, **bound.kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


# -- dataclasses that are the declaration (service config) ---------------------------------
def build_config(
    config_class: type[Any], args: tuple[Any, ...], values: Mapping[str, Any], scheme: str
) -> Any:
    """An instance of ``config_class`` from a service's ``__init__`` arguments.

    ``args`` is either one instance of ``config_class`` (``values`` then replace its fields)
    or field values in declaration order, as the dataclass itself takes them. Every value
    is checked as config from text (``"8"`` for an int is fine).
    """
    declared = specs(config_class)
    voice = service_voice(scheme, declared)
    if len(args) == 1 and isinstance(args[0], config_class):
        return dataclasses.replace(args[0], **check_values(declared, values, voice, text=True))
    if len(args) > len(declared):
        raise TypeError(
            f"{scheme} takes at most {len(declared)} positional config values "
            f"({', '.join(declared)}), got {len(args)}"
        )
    given = dict(zip(declared, args, strict=False))
    for name in values:
        if name in given:
            raise TypeError(f"{scheme}: config {name!r} given both by position and by name")
    given.update(values)
    return config_class(**check_values(declared, given, voice, text=True))


def config_signature(config_class: type[Any], *extra: inspect.Parameter) -> inspect.Signature:
    """The signature a service built from ``config_class`` shows: one parameter per field
    (default and annotation from the field), then ``extra``."""
    hints = typing.get_type_hints(config_class)
    params = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=_default(f),
            annotation=hints[f.name],
        )
        for f in dataclasses.fields(config_class)
    ]
    return inspect.Signature([*params, *extra])


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return inspect.Parameter.empty


def configured(*extra: inspect.Parameter) -> Callable[[type[Any]], type[Any]]:
    """Class decorator: the service's signature is its ``config_class``'s fields (plus
    ``extra`` parameters), so ``inspect.signature(MemoryService)`` and ``help()`` show what
    the ``__init__(*args, **values)`` it has really takes."""

    def decorate(cls: type[Any]) -> type[Any]:
        cls.__signature__ = config_signature(cls.config_class, *extra)
        return cls

    return decorate


def config_table(config_class: type[Any]) -> str:
    """A Markdown table of ``config_class``'s keys: type, default and what is allowed."""
    rows = ["| key | type | default | allowed |", "| --- | --- | --- | --- |"]
    declared = specs(config_class)
    for f in dataclasses.fields(config_class):
        spec = declared[f.name]
        default = _default(f)
        shown = "(required)" if default is inspect.Parameter.empty else f"`{default!r}`"
        c = spec.check
        limited = (c.ge, c.gt, c.le, c.pattern) != (None,) * 4 or c.finite or c.says
        bounds = spec.bounds() if limited else ""
        allowed = "; ".join(filter(None, [bounds, spec.check.doc]))
        rows.append(f"| `{f.name}` | {spec.expected()} | {shown} | {allowed} |")
    return "\n".join(rows)
