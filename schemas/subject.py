"""The diploma subject as typed values: the CNIE number, the Massar code, the exam session and the subject itself.

A subject is parsed once, where it enters (an import row, a correction, a stored snapshot), travels inward
as a frozen :class:`DiplomaSubject`, and becomes claims (:meth:`DiplomaSubject.claims`) only where the
credential is built. Parsing validates against the diploma's schema (:func:`schemas.validate_subject`) and
raises :class:`SubjectError` with every problem. Identifiers are validated loosely: a CNIE is
1 or 2 Latin letters and digits (``BE123456``), a Massar code 1 letter and 9 digits; spaces and lower case
are normalised away; official spellings of names are kept as given.

No value here shows a personal identifier in its ``repr``: identifiers print masked (``Cnie('BE****56')``,
:func:`mask_identifier`) and the subject's ``repr`` leaves out names, birth date and birth place, so logging
one leaks nothing.
"""

from __future__ import annotations

import datetime as dt
import re
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

        Raises :class:`SubjectError` with every problem :func:`schemas.validate_subject` finds.
        """
        problems = validate_subject(claims, complete=True)
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


def _name(claim: Mapping[str, str]) -> BilingualName:
    return BilingualName(ar=claim["ar"], lat=claim["lat"])


def _entry(claim: Mapping[str, str]) -> CodedEntry:
    return CodedEntry(code=claim["code"], ar=claim["ar"], fr=claim["fr"])
