"""A minimal, escaping HTML builder: every value is escaped unless it is already :class:`Markup` built here.

Shared by the services with pages (the verifier's page, the candidate portal, the eID stand-in's login). Each has a
handful of templates; Jinja2 is not among our dependencies, and plain functions that can only produce escaped text
make an injection impossible by construction rather than by care.

For the pages of a peak, :class:`Template` keeps HTML built once with :func:`tag` around named :func:`slot` places
and fills it per request; each value goes through :func:`escape` exactly as :func:`tag` would pass it, so a filled
template is the HTML :func:`tag` would have built with the values in place, at a fraction of the cost.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable
from typing import TypeAlias

Child: TypeAlias = "Markup | str | int | float | Iterable[Markup | str | int | float | None] | None"

_VOID = frozenset({"meta", "link", "input", "img", "br", "hr"})


class Markup(str):
    """Text that is already HTML (made only by this module)."""

    __slots__ = ()


#: The characters :func:`html.escape` replaces; text without any of them is returned as it is.
_SPECIAL = re.compile("[&<>\"']")


def escape(value: object) -> Markup:
    """``value`` as HTML text: escaped, unless it already is :class:`Markup`."""
    if isinstance(value, Markup):
        return value
    text = str(value)
    # Most values (labels, names, numbers) hold no special character: a search is cheaper than five replaces.
    return Markup(html.escape(text, quote=True) if _SPECIAL.search(text) else text)


def _children(children: Iterable[Child]) -> str:
    parts: list[str] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, Markup):
            parts.append(child)
        elif isinstance(child, str | int | float):
            parts.append(escape(child))
        else:
            parts.append(_children(child))
    return "".join(parts)


@functools.cache
def _attribute_name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def tag(element: str, /, *children: Child, **attributes: str | int | bool | None) -> Markup:
    """``<element attributes>children</element>``. ``class_`` → ``class``, ``aria_label`` → ``aria-label``;
    ``True`` gives a bare attribute, ``None``/``False`` omits it."""
    rendered = [f"<{element}"]
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        if value is True:
            rendered.append(f" {_attribute_name(key)}")
        else:
            rendered.append(f' {_attribute_name(key)}="{escape(value)}"')
    rendered.append(">")
    if element in _VOID:
        return Markup("".join(rendered))
    rendered.append(_children(children))
    rendered.append(f"</{element}>")
    return Markup("".join(rendered))


def join(*children: Child) -> Markup:
    """Several children as one piece of HTML."""
    return Markup(_children(children))


#: A slot in HTML built for a :class:`Template`: its name between two NUL characters, which no text of ours holds.
_SLOT = re.compile("\x00([a-z][a-z0-9_]*)\x00")


def slot(name: str) -> Markup:
    """The place of the value ``name`` in HTML built for a :class:`Template`: an element's text or an attribute's
    value (never whether an attribute or an element is there: that is chosen before filling)."""
    if not _SLOT.fullmatch(f"\x00{name}\x00"):
        raise ValueError(f"a slot name is lower-case letters, digits and _: {name!r}")
    return Markup(f"\x00{name}\x00")


class Template:
    """HTML built once around :func:`slot` places, filled many times by :meth:`fill`."""

    __slots__ = ("_first", "_required", "_steps")

    def __init__(self, built: Markup) -> None:
        """``built``: what :func:`tag` made with :func:`slot` values. Raises ValueError if it holds a NUL that is not
        a slot's (a template would then cut it wrongly)."""
        pieces = _SLOT.split(built)
        parts, names = pieces[0::2], pieces[1::2]
        if any("\x00" in part for part in parts):
            raise ValueError("a template's HTML holds a NUL character outside its slots")
        self._first = parts[0]
        self._steps = tuple(zip(names, parts[1:], strict=True))
        self._required = frozenset(names)

    def fill(self, **values: Markup | str | int | float) -> Markup:
        """The HTML with each slot's value escaped by :func:`escape` (:class:`Markup` as it is). Raises KeyError
        unless ``values`` names exactly the template's slots."""
        if values.keys() != self._required:
            raise KeyError(f"a template needs exactly {sorted(self._required)}, got {sorted(values)}")
        rendered = [self._first]
        for name, part in self._steps:
            rendered.append(escape(values[name]))
            rendered.append(part)
        return Markup("".join(rendered))
