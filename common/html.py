"""A minimal, escaping HTML builder: every value is escaped unless it is already :class:`Markup` built here.

Shared by the services with pages (the verifier's page, the candidate portal, the eID stand-in's login). Each has a
handful of templates; Jinja2 is not among our dependencies, and plain functions that can only produce escaped text
make an injection impossible by construction rather than by care.
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
