"""A minimal, escaping HTML builder: every value is escaped unless it is already :class:`Markup` built here.

Shared by the services with pages (the verifier's page, the candidate portal, the eID stand-in's login). Each has a
handful of templates; Jinja2 is not among our dependencies, and plain functions that can only produce escaped text
make an injection impossible by construction rather than by care.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TypeAlias

Child: TypeAlias = "Markup | str | int | float | Iterable[Markup | str | int | float | None] | None"

_VOID = frozenset({"meta", "link", "input", "img", "br", "hr"})


class Markup(str):
    """Text that is already HTML (made only by this module)."""

    __slots__ = ()


def escape(value: object) -> Markup:
    """``value`` as HTML text: escaped, unless it already is :class:`Markup`."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def _children(children: Iterable[Child]) -> Markup:
    parts: list[str] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, str | int | float):
            parts.append(escape(child))
        else:
            parts.append(_children(child))
    return Markup("".join(parts))


def _attribute_name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def tag(element: str, /, *children: Child, **attributes: str | int | bool | None) -> Markup:
    """``<element attributes>children</element>``. ``class_`` → ``class``, ``aria_label`` → ``aria-label``;
    ``True`` gives a bare attribute, ``None``/``False`` omits it."""
    rendered = []
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        if value is True:
            rendered.append(f" {_attribute_name(key)}")
        else:
            rendered.append(f' {_attribute_name(key)}="{escape(value)}"')
    opening = f"<{element}{''.join(rendered)}>"
    if element in _VOID:
        return Markup(opening)
    return Markup(f"{opening}{_children(children)}</{element}>")


def join(*children: Child) -> Markup:
    """Several children as one piece of HTML."""
    return _children(children)
