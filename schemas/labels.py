"""Display labels of the diploma's claims and values, in Arabic, French and English, from the type metadata.

Labels come from the SD-JWT VC Type Metadata (:func:`diploma_type_metadata`): a claim's ``display``
entries, and for claims with a closed list of values (``mention``, ``session.type``, ``optionLanguage``,
``type``) the ``tawtiq:values`` extension member. A locale is matched exactly, then by its primary
language (``ar-MA`` → ``ar``); when there is no label for it, English is used, then the raw name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Final

from schemas.resources import diploma_type_metadata

#: Locales every label exists in.
LOCALES: Final[tuple[str, ...]] = ("ar", "fr", "en")
#: Locale used when a label is missing in the requested one.
FALLBACK_LOCALE: Final = "en"
#: Extension member on claim entries holding the labels of each value.
VALUES_MEMBER: Final = "tawtiq:values"
#: Extension member on top-level claim entries: whether a wallet preselects the claim for disclosure.
DISCLOSED_BY_DEFAULT_MEMBER: Final = "tawtiq:disclosed_by_default"


@cache
def _claims_by_path() -> Mapping[tuple[str, ...], Mapping[str, Any]]:
    entries = diploma_type_metadata().get("claims", [])
    return {tuple(entry["path"]): entry for entry in entries}


def _pick(display: Iterable[Mapping[str, Any]], locale: str, member: str) -> str | None:
    """Return ``member`` of the display entry that best matches ``locale``, falling back to English."""
    entries = [entry for entry in display if isinstance(entry.get(member), str)]
    wanted = locale.lower()
    for candidate in (wanted, wanted.split("-")[0], FALLBACK_LOCALE):
        for entry in entries:
            tag = str(entry.get("locale", "")).lower()
            if tag == candidate or tag.split("-")[0] == candidate:
                return str(entry[member])
    return None


def claim_label(path: Sequence[str], locale: str) -> str:
    """Return the label of the claim at ``path`` (e.g. ``["stream", "code"]``) in ``locale``.

    A dotted string (``"stream.code"``) is accepted too. Falls back to the English label, then to the
    dotted path itself for a claim the metadata does not describe. Never raises for an unknown claim
    or locale.
    """
    if isinstance(path, str):
        path = path.split(".")
    entry = _claims_by_path().get(tuple(path))
    label = _pick(entry.get("display", ()), locale, "label") if entry else None
    return label if label is not None else ".".join(path)


def value_label(claim: str, value: str, locale: str) -> str:
    """Return the label of ``value`` of ``claim`` (dotted: ``"mention"``, ``"session.type"``) in ``locale``.

    Falls back to the English label, then to ``value`` itself for a value or claim without labels.
    Never raises for an unknown claim, value or locale.
    """
    entry = _claims_by_path().get(tuple(claim.split(".")))
    for item in entry.get(VALUES_MEMBER, ()) if entry else ():
        if item.get("value") == value:
            label = _pick(item.get("display", ()), locale, "label")
            if label is not None:
                return label
    return value
