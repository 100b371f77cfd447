"""Claim paths: how callers name a claim inside a credential (for disclosure, selection and policy).

A path is a tuple of object member names (``str``), array indexes (``int``) and ``None`` for "every
element of this array" — the claims-path pointer of SD-JWT VC and OpenID4VP DCQL. The text form
``credentialSubject.address.street``, ``phoneNumbers[0]`` or ``nationalities[*]`` is accepted wherever
a person types a path (the W3C test suite's ``--sd`` argument, the wallet's ``--disclose``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeAlias

from vc.errors import FormatError

PathElement: TypeAlias = str | int | None
ClaimPath: TypeAlias = tuple[PathElement, ...]

_SEGMENT: Final = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]|(\.)")


def parse_claim_path(text: str) -> ClaimPath:
    """Parse ``a.b[0].c`` / ``a[*]`` into a claim path. Raises :class:`FormatError` (``claims.path_invalid``)."""
    if not text or text.startswith(".") or text.endswith(".") or ".." in text:
        raise _bad_path(text)
    path: list[PathElement] = []
    position = 0
    expect_name = True
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            raise _bad_path(text)
        name, index, dot = match.groups()
        if dot:
            expect_name = True
        elif name is not None:
            if not expect_name:
                raise _bad_path(text)
            path.append(name)
            expect_name = False
        else:
            if not path or expect_name:  # an index belongs to the name before it: "a[0]", not "[0]" or "a.[0]"
                raise _bad_path(text)
            path.append(None if index == "*" else int(index))
            expect_name = False
        position = match.end()
    return tuple(path)


def as_claim_path(value: str | Sequence[PathElement]) -> ClaimPath:
    """Accept a path as text or as a sequence (DCQL/JSON form); validate its elements."""
    if isinstance(value, str):
        return parse_claim_path(value)
    path = tuple(value)
    if path and all(type(element) is str for element in path):
        return path  # the common case, names only
    if not path or any(
        not (element is None or isinstance(element, str | int)) or element is True or element is False
        for element in path
    ):
        raise FormatError(
            "claim path must be a non-empty list of names, indexes or null",
            code="claims.path_invalid",
            found=value,
            expected='e.g. ["credentialSubject", "familyName"]',
        )
    if any(isinstance(element, int) and element < 0 for element in path):
        raise FormatError("claim path indexes must be non-negative", code="claims.path_invalid", found=value)
    return path


def format_claim_path(path: ClaimPath) -> str:
    """The text form of a path, e.g. ``credentialSubject.phoneNumbers[0]``."""
    out = ""
    for element in path:
        if isinstance(element, str):
            out += ("." if out else "") + element
        else:
            out += "[*]" if element is None else f"[{element}]"
    return out


def path_matches(pattern: ClaimPath, path: ClaimPath) -> bool:
    """True when ``path`` equals ``pattern``, where ``None`` in the pattern matches any array index."""
    return len(pattern) == len(path) and all(
        want == have or (want is None and isinstance(have, int)) for want, have in zip(pattern, path, strict=True)
    )


def is_prefix(prefix: ClaimPath, path: ClaimPath) -> bool:
    """True when ``prefix`` (with ``None`` wildcards) names ``path`` or one of its ancestors."""
    return len(prefix) <= len(path) and path_matches(prefix, path[: len(prefix)])


def lookup(document: Any, path: ClaimPath) -> list[Any]:
    """Every value ``path`` selects in ``document`` (several when the path has ``None`` wildcards)."""
    current = [document]
    for element in path:
        following: list[Any] = []
        for node in current:
            if isinstance(element, str) and isinstance(node, dict) and element in node:
                following.append(node[element])
            elif isinstance(element, int) and isinstance(node, list) and element < len(node):
                following.append(node[element])
            elif element is None and isinstance(node, list):
                following.extend(node)
        current = following
    return current


def claim_paths(paths: Iterable[str | Sequence[PathElement]]) -> tuple[ClaimPath, ...]:
    """Normalise many paths at once."""
    return tuple(as_claim_path(path) for path in paths)


def _bad_path(text: str) -> FormatError:
    return FormatError(
        "claim path is not well formed",
        code="claims.path_invalid",
        found=text,
        expected="names separated by '.', with [n] or [*] for array elements, e.g. credentialSubject.familyName",
    )
