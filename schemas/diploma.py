"""The baccalaureate diploma's identifiers, claim names and grading rules, and one sample graduate.

Everything here is plain data or a pure function of its arguments. The names are binding: the engine,
the issuer, the verifier and the wallet refer to the claims by these names.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

#: JSON-LD context of the diploma terms; pinned locally (see ``pinned_contexts``), never fetched.
DIPLOMA_CONTEXT_URL: Final = "https://tawtiq.ma/ns/baccalaureate/v1"
#: ``type`` of the W3C credential, next to ``VerifiableCredential``.
DIPLOMA_CREDENTIAL_TYPE: Final = "BaccalaureateDiplomaCredential"
#: ``type`` of the credential subject node; never selectively disclosable.
DIPLOMA_SUBJECT_TYPE: Final = "BaccalaureateDiploma"
#: ``vct`` of the SD-JWT VC profile, and of the type metadata document.
DIPLOMA_VCT: Final = "urn:ma:men:credential:baccalaureate:1"
#: ``credentialSchema.id`` of the W3C profile; the document is ``credential_schema()``.
DIPLOMA_SCHEMA_URL: Final = "https://tawtiq.ma/schemas/baccalaureate/v1.json"
#: ``$id`` of the credential-subject schema, embedded in the credential schema.
SUBJECT_SCHEMA_ID: Final = "https://tawtiq.ma/schemas/baccalaureate/v1/subject.json"

#: The fifteen claims about the graduate, in display order. Each is one selectively disclosable unit.
SUBJECT_CLAIMS: Final[tuple[str, ...]] = (
    "familyName",
    "givenName",
    "birthDate",
    "birthPlace",
    "cnie",
    "massarCode",
    "stream",
    "optionLanguage",
    "session",
    "generalAverage",
    "mention",
    "academy",
    "directorate",
    "school",
    "deliberationDate",
)
#: Personal identifiers: disclosable, but never disclosed unless a verifier asks and the holder agrees.
PRIVATE_CLAIMS: Final[tuple[str, ...]] = ("cnie", "birthDate", "birthPlace", "massarCode")
#: The claims a wallet preselects when the holder shares the diploma without a specific request.
DEFAULT_DISCLOSED_CLAIMS: Final[tuple[str, ...]] = tuple(c for c in SUBJECT_CLAIMS if c not in PRIVATE_CLAIMS)

#: Mentions from the lowest to the highest.
MENTIONS: Final[tuple[str, ...]] = ("passable", "assez_bien", "bien", "tres_bien")
#: Exam sessions: the regular session and the catch-up session.
SESSION_TYPES: Final[tuple[str, ...]] = ("normale", "rattrapage")
#: Languages of the international baccalaureate option; ``ar`` is the standard baccalaureate.
OPTION_LANGUAGES: Final[tuple[str, ...]] = ("ar", "fr", "en", "es")

#: Lowest average (out of 20) that earns the baccalaureate.
PASSING_AVERAGE: Final = Decimal("10.00")
#: Highest possible average.
MAXIMUM_AVERAGE: Final = Decimal("20.00")
#: Each mention's range ``[low, high)``; the top range also contains 20.00 itself.
MENTION_RANGES: Final[Mapping[str, tuple[Decimal, Decimal]]] = {
    "passable": (Decimal("10.00"), Decimal("12.00")),
    "assez_bien": (Decimal("12.00"), Decimal("14.00")),
    "bien": (Decimal("14.00"), Decimal("16.00")),
    "tres_bien": (Decimal("16.00"), Decimal("20.00")),
}


def average_as_decimal(average: float | Decimal) -> Decimal:
    """Return ``average`` as the decimal number it is written as (``15.42`` → ``Decimal('15.42')``).

    Floats go through their shortest ``repr`` so that binary rounding never moves an average across a
    threshold. Raises :class:`ValueError` for NaN, infinities and non-numbers (including booleans).
    """
    if isinstance(average, bool) or not isinstance(average, int | float | Decimal):
        raise ValueError(f"an average must be a number, not {type(average).__name__}")
    if isinstance(average, float) and not math.isfinite(average):
        raise ValueError(f"an average must be finite, not {average!r}")
    try:
        value = Decimal(repr(average)) if isinstance(average, float) else Decimal(average)
    except InvalidOperation as exc:  # pragma: no cover - every finite int/float/Decimal converts
        raise ValueError(f"{average!r} is not a decimal number") from exc
    if not value.is_finite():
        raise ValueError(f"an average must be finite, not {average!r}")
    return value


def mention_for(average: float | Decimal) -> str | None:
    """Return the mention earned with ``average`` (out of 20), or ``None`` below 10.00 (not admitted).

    Thresholds: ``passable`` [10, 12), ``assez_bien`` [12, 14), ``bien`` [14, 16), ``tres_bien`` [16, 20].
    Raises :class:`ValueError` if ``average`` is not a finite number between 0 and 20.
    """
    value = average_as_decimal(average)
    if not Decimal(0) <= value <= MAXIMUM_AVERAGE:
        raise ValueError(f"an average is out of 20, found {value}")
    if value < PASSING_AVERAGE:
        return None
    for mention in reversed(MENTIONS):
        if value >= MENTION_RANGES[mention][0]:
            return mention
    raise AssertionError("unreachable: the lowest range starts at the passing average")  # pragma: no cover


_SAMPLE_SUBJECT: Final[Mapping[str, Any]] = {
    "type": DIPLOMA_SUBJECT_TYPE,
    "familyName": {"ar": "العلوي", "lat": "EL ALAOUI"},
    "givenName": {"ar": "سلمى", "lat": "Salma"},
    "birthDate": "2006-03-14",
    "birthPlace": {"ar": "الدار البيضاء", "lat": "Casablanca"},
    "cnie": "BE123456",
    "massarCode": "J130000001",
    "stream": {"code": "PC", "ar": "العلوم الفيزيائية", "fr": "Sciences Physiques"},
    "optionLanguage": "fr",
    "session": {"year": 2024, "type": "normale"},
    "generalAverage": 15.42,
    "mention": "bien",
    "academy": {
        "code": "06",
        "ar": "الأكاديمية الجهوية للتربية والتكوين لجهة الدار البيضاء-سطات",
        "fr": "Académie Régionale d'Éducation et de Formation de la région Casablanca-Settat",
    },
    "directorate": {"code": "0601", "ar": "المديرية الإقليمية أنفا", "fr": "Direction Provinciale Anfa"},
    "school": {
        "code": "0601A012",
        "ar": "الثانوية التأهيلية المسيرة",
        "fr": "Lycée qualifiant Al Massira",
    },
    "deliberationDate": "2024-06-13",
}


def sample_subject() -> dict[str, Any]:
    """Return a fresh copy of one realistic, complete and valid diploma subject (a 2024 graduate).

    The identifiers are sample values, not a real person's. Callers may modify the returned dict.
    """
    return copy.deepcopy(dict(_SAMPLE_SUBJECT))
