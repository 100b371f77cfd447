"""The diploma subject as typed values: the CNIE number, the Massar code, the exam session and the subject itself.

A subject is parsed once, where it enters (an import row, a correction, a stored snapshot), travels inward
as a frozen :class:`DiplomaSubject`, and becomes claims (:meth:`DiplomaSubject.claims`) only where the
credential is built. Parsing validates against the diploma's schema (:func:`schemas.validate_subject`) and
raises :class:`SubjectError` with every problem. Identifiers are validated loosely: a CNIE is
1 or 2 Latin letters and digits (``BE123456``), a Massar code 1 letter and 9 digits; spaces and lower case
are normalised away; official spellings of names are kept as given, NFC-normalised.

Every text of a subject (names in both scripts, the place of birth, the school and the other entries, every
string) passes one rule, :func:`checked_text`, wherever it enters: control characters, invisible format
characters (bidi overrides, isolates and marks, zero-width characters) and the markup characters ``<`` and
``>`` are refused, naming the character by its code point (``U+202E RIGHT-TO-LEFT OVERRIDE``) and never
echoing the value. A foreign credential is not bound by this rule: :func:`marked_text` and :func:`isolated`
show such a value with the refused characters made visible, isolated from the text around it.

No value here shows a personal identifier in its ``repr``: identifiers print masked (``Cnie('BE****56')``,
:func:`mask_identifier`) and the subject's ``repr`` leaves out names, birth date and birth place, so logging
one leaks nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Self

from schemas.diploma import average_as_decimal
from schemas.validation import SchemaProblem, validate_subject

_SPACES: Final = re.compile(r"\s+")
_CNIE: Final = re.compile(r"([A-Z]{1,2})([0-9]{1,8})")
_MASSAR_CODE: Final = re.compile(r"[A-Z][0-9]{9}")
_SESSION_NAME: Final = re.compile(r"([0-9]{4})-(normale|rattrapage)")
_FIRST_YEAR, _LAST_YEAR = 1950, 2100


class SubjectError(ValueError):
    """A diploma subject, or one of its values, that does not conform; ``problems`` say what and where.

    The problems never hold the value of a personal identifier, so the error can be logged and shown.
    """

    def __init__(self, message: str, problems: Sequence[SchemaProblem]) -> None:
        super().__init__(message + ": " + "; ".join(problem.message for problem in problems))
        self.problems = list(problems)


def normalise_identifier(text: str) -> str:
    """An identifier as it is stored: without spaces, in upper case (``be 123 456`` → ``BE123456``)."""
    return _SPACES.sub("", text).upper()


def mask_identifier(text: str) -> str:
    """An identifier fit for display: two characters kept at each end (``BE123456`` → ``BE****56``).

    Enough to tell two graduates apart, not enough to copy the number; four characters or fewer are hidden
    whole. Any string is accepted, so a malformed identifier can be shown masked too.
    """
    if len(text) <= 4:
        return "*" * len(text)
    return text[:2] + "*" * (len(text) - 4) + text[-2:]


# ---------------------------------------------------------------------------------------------- text

#: Unicode categories refused in any text of a subject: controls (Cc, tab and line ends included: a name is
#: one line), format characters (Cf: the bidi embeddings, overrides and isolates U+202A–U+202E and
#: U+2066–U+2069, the marks U+200E, U+200F and U+061C, the zero-width U+200B–U+200D, U+2060 and U+FEFF, the
#: soft hyphen), line and paragraph separators, surrogates and private-use characters. All of them are
#: invisible or reorder what is displayed, so a name holding one can read differently from what is stored.
#: ZWNJ (U+200C) and ZWJ (U+200D) are refused in Arabic too: Arabic script joins letters by itself, the
#: official civil-status spellings do not use them (they matter in Persian and Urdu, not in Moroccan names),
#: and a name that differs from another only by an invisible joiner is exactly what must not be issued.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})
#: Printable characters refused as well: markup has no place in a name and would be the first tool of an
#: injection into a page that forgot to escape.
_REFUSED_MARKUP: Final = frozenset("<>")
#: Names of the C0/C1 controls, which the Unicode database leaves unnamed.
_CONTROL_NAMES: Final[Mapping[int, str]] = {
    0x00: "NULL",
    0x09: "CHARACTER TABULATION",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}
TEXT_EXPECTED: Final = (
    "text without control, invisible formatting (bidi override or isolate, zero-width) or markup (< >) characters"
)


def is_refused_character(char: str) -> bool:
    """Whether ``char`` may not appear in a subject's text (see :data:`_REFUSED_CATEGORIES`)."""
    return char in _REFUSED_MARKUP or unicodedata.category(char) in _REFUSED_CATEGORIES


def character_name(char: str) -> str:
    """A character by code point and name, fit to show whatever it is: ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    code = ord(char)
    unnamed = {"Cc": "<control>", "Cs": "<surrogate>", "Co": "<private use>"}.get(unicodedata.category(char))
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(code) or unnamed or "<unnamed>"
    return f"U+{code:04X} {name}"


def text_problem(text: str, *, path: str) -> SchemaProblem | None:
    """The problem of one text of a subject at ``path`` (``"givenName.lat"``), or ``None`` when it is acceptable.

    The problem names the refused characters by code point and their positions, never the text itself.
    """
    if text.isprintable() and "<" not in text and ">" not in text:
        return None  # the common case, decided in C: every refused category is unprintable to Python
    refused: dict[str, int] = {}
    for position, char in enumerate(text, start=1):
        if is_refused_character(char):
            refused.setdefault(char, position)
    if not refused:
        return None
    found = ", ".join(f"{character_name(char)} at character {position}" for char, position in refused.items())
    return SchemaProblem(path, found, TEXT_EXPECTED, f"{path}: found {found}, expected {TEXT_EXPECTED}")


def checked_text(text: str, *, path: str) -> str:
    """``text`` NFC-normalised, once it passes the rule of every subject text (the module docstring).

    This is the one check of text entering a subject, whatever its field. Raises :class:`SubjectError`
    naming ``path`` and each refused character by code point (never the value).
    """
    problem = text_problem(text, path=path)
    if problem is not None:
        raise SubjectError("text with refused characters", [problem])
    return unicodedata.normalize("NFC", text)


def checked_texts(value: Any, *, path: str = "") -> tuple[Any, list[SchemaProblem]]:
    """``value`` with every string in it passed through :func:`checked_text`, and the problems found.

    Mappings and lists are copied and walked (paths ``"familyName.ar"``, ``"items.0"``); other values are
    kept as they are. A refused string is kept unchanged in the copy, its problem reported instead.
    """
    problems: list[SchemaProblem] = []

    def walk(item: Any, where: str) -> Any:
        if isinstance(item, str):
            problem = text_problem(item, path=where or "the text")
            if problem is not None:
                problems.append(problem)
                return item
            return unicodedata.normalize("NFC", item)
        if isinstance(item, Mapping):
            return {key: walk(member, f"{where}.{key}" if where else str(key)) for key, member in item.items()}
        if isinstance(item, list | tuple):
            return [walk(member, f"{where}.{index}" if where else str(index)) for index, member in enumerate(item)]
        return item

    return walk(value, path), problems


def marked_text(text: str) -> str:
    """``text`` for display, every invisible or reordering character replaced by its code point (``[U+202E]``).

    For values this platform did not check, such as another issuer's credential: nothing hidden is shown as
    nothing, and nothing reorders the text around it. ``<`` and ``>`` are left to the display's own escaping.
    """
    if text.isprintable():
        return text

    def shown(char: str) -> str:
        return f"[U+{ord(char):04X}]" if unicodedata.category(char) in _REFUSED_CATEGORIES else char

    return "".join(map(shown, text))


def isolated(text: str) -> str:
    """``text`` for a terminal line: :func:`marked_text`, inside U+2068 FIRST STRONG ISOLATE … U+2069.

    The isolate keeps an Arabic value from reordering the Latin text around it, and the reverse.
    """
    return "\u2068" + marked_text(text) + "\u2069"


def _withheld(text: str) -> str:
    return f"a string of {len(text)} characters (value withheld)"


@dataclass(frozen=True, slots=True)
class Cnie:
    """A CNIE (national electronic identity card) number: 1 or 2 Latin letters, then 1 to 8 digits.

    Build it with :meth:`parse`; ``str()`` gives the number, :meth:`masked` a form fit for display.
    """

    value: str

    def __post_init__(self) -> None:
        if _CNIE.fullmatch(self.value) is None:
            raise SubjectError(
                "not a CNIE number",
                [
                    SchemaProblem(
                        "cnie",
                        _withheld(self.value),
                        "1 or 2 Latin letters followed by 1 to 8 digits, e.g. BE123456",
                        f"cnie: found {_withheld(self.value)}, expected 1 or 2 Latin letters followed by digits",
                    )
                ],
            )

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse a CNIE number written with spaces or in lower case. Raises :class:`SubjectError`."""
        return cls(normalise_identifier(text))

    def masked(self) -> str:
        """The number fit for display: ``BE****56`` (see :func:`mask_identifier`)."""
        return mask_identifier(self.value)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Cnie({self.masked()!r})"


@dataclass(frozen=True, slots=True)
class MassarCode:
    """A Massar student code: one Latin letter, then 9 digits. Build it with :meth:`parse`."""

    value: str

    def __post_init__(self) -> None:
        if _MASSAR_CODE.fullmatch(self.value) is None:
            raise SubjectError(
                "not a Massar code",
                [
                    SchemaProblem(
                        "massarCode",
                        _withheld(self.value),
                        "one Latin letter followed by 9 digits, e.g. J130000001",
                        f"massarCode: found {_withheld(self.value)}, expected one letter followed by 9 digits",
                    )
                ],
            )

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse a Massar code written with spaces or in lower case. Raises :class:`SubjectError`."""
        return cls(normalise_identifier(text))

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"MassarCode({mask_identifier(self.value)!r})"


@dataclass(frozen=True, slots=True, eq=False)
class ExamSession:
    """An exam session, written ``2024-normale`` or ``2024-rattrapage``; the ``session`` claim is its :meth:`claim`.

    Two sessions are equal when their year and type are, whatever subclass built them.
    """

    year: int
    type: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``YYYY-normale|rattrapage`` (any case, surrounding spaces). Raises :class:`SubjectError`."""
        match = _SESSION_NAME.fullmatch(text.strip().lower())
        if match is None or not _FIRST_YEAR <= int(match.group(1)) <= _LAST_YEAR:
            expected = "YYYY-normale or YYYY-rattrapage, e.g. 2024-normale"
            raise SubjectError(
                "not an exam session",
                [
                    SchemaProblem(
                        "session", repr(text[:40]), expected, f"session: found {text[:40]!r}, expected {expected}"
                    )
                ],
            )
        return cls(int(match.group(1)), match.group(2))

    def claim(self) -> dict[str, Any]:
        """The ``session`` claim: ``{"year": 2024, "type": "normale"}``."""
        return {"year": self.year, "type": self.type}

    def __str__(self) -> str:
        return f"{self.year}-{self.type}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExamSession):
            return NotImplemented
        return (self.year, self.type) == (other.year, other.type)

    def __hash__(self) -> int:
        return hash((self.year, self.type))


@dataclass(frozen=True, slots=True)
class BilingualName:
    """A person's or a place's official name in Arabic and Latin script (never transliterated)."""

    ar: str
    lat: str

    def claim(self) -> dict[str, str]:
        return {"ar": self.ar, "lat": self.lat}


@dataclass(frozen=True, slots=True)
class CodedEntry:
    """An entry of the ministry's reference data (stream, academy, directorate, school): code, Arabic, French."""

    code: str
    ar: str
    fr: str

    def claim(self) -> dict[str, str]:
        return {"code": self.code, "ar": self.ar, "fr": self.fr}


@dataclass(frozen=True, slots=True)
class DiplomaSubject:
    """The fifteen claims about a graduate, valid against the diploma's complete schema.

    Build it with :meth:`parse`; :meth:`claims` gives the claims in display order, as they are stored and
    signed. Its ``repr`` shows no personal data.
    """

    family_name: BilingualName = field(repr=False)
    given_name: BilingualName = field(repr=False)
    birth_date: dt.date = field(repr=False)
    birth_place: BilingualName = field(repr=False)
    cnie: Cnie
    massar_code: MassarCode
    stream: CodedEntry
    option_language: str
    session: ExamSession
    general_average: Decimal
    mention: str
    academy: CodedEntry
    directorate: CodedEntry
    school: CodedEntry
    deliberation_date: dt.date

    @classmethod
    def parse(cls, claims: Mapping[str, Any]) -> Self:
        """Parse the claims of a complete subject (a ``"type"`` member is allowed and dropped).

        Every string passes :func:`checked_text` (and is NFC-normalised) before the schema is checked.
        Raises :class:`SubjectError` with every problem :func:`checked_text` and
        :func:`schemas.validate_subject` find; a refused text's other problems are left out, since they
        would describe its value.
        """
        claims, text_problems = checked_texts(claims)
        refused = [problem.path for problem in text_problems]
        problems = [
            *text_problems,
            *(problem for problem in validate_subject(claims, complete=True) if not _about(problem.path, refused)),
        ]
        if problems:
            raise SubjectError("not a valid diploma subject", problems)
        return cls(
            family_name=_name(claims["familyName"]),
            given_name=_name(claims["givenName"]),
            birth_date=dt.date.fromisoformat(claims["birthDate"]),
            birth_place=_name(claims["birthPlace"]),
            cnie=Cnie(claims["cnie"]),
            massar_code=MassarCode(claims["massarCode"]),
            stream=_entry(claims["stream"]),
            option_language=claims["optionLanguage"],
            session=ExamSession(claims["session"]["year"], claims["session"]["type"]),
            general_average=average_as_decimal(claims["generalAverage"]),
            mention=claims["mention"],
            academy=_entry(claims["academy"]),
            directorate=_entry(claims["directorate"]),
            school=_entry(claims["school"]),
            deliberation_date=dt.date.fromisoformat(claims["deliberationDate"]),
        )

    def claims(self) -> dict[str, Any]:
        """The claims in display order (:data:`schemas.SUBJECT_CLAIMS`), as JSON values.

        The average is a whole number when it has no decimals (``15``), else a float (``15.42``).
        """
        average = self.general_average
        claims: dict[str, Any] = {
            "familyName": self.family_name.claim(),
            "givenName": self.given_name.claim(),
            "birthDate": self.birth_date.isoformat(),
            "birthPlace": self.birth_place.claim(),
            "cnie": str(self.cnie),
            "massarCode": str(self.massar_code),
            "stream": self.stream.claim(),
            "optionLanguage": self.option_language,
            "session": self.session.claim(),
            "generalAverage": int(average) if average == average.to_integral_value() else float(average),
            "mention": self.mention,
            "academy": self.academy.claim(),
            "directorate": self.directorate.claim(),
            "school": self.school.claim(),
            "deliberationDate": self.deliberation_date.isoformat(),
        }
        return claims


def _about(path: str, refused: Sequence[str]) -> bool:
    """Whether a problem at ``path`` is about a refused text: at it, inside it, or an object holding it."""
    return bool(path) and any(
        path == text or path.startswith(text + ".") or text.startswith(path + ".") for text in refused
    )


def _name(claim: Mapping[str, str]) -> BilingualName:
    return BilingualName(ar=claim["ar"], lat=claim["lat"])


def _entry(claim: Mapping[str, str]) -> CodedEntry:
    return CodedEntry(code=claim["code"], ar=claim["ar"], fr=claim["fr"])
