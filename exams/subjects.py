"""The exam rules as data: each stream's subjects, their exam and coefficient, the weights and the schedule.

The defaults ship in ``exams/data/subjects.json`` and are **illustrative**, not the ministry's official tables
(the ministry edits the file). :func:`load_rules` reads it once and validates it entirely, so a mistake in the
file stops every command with :class:`vc.errors.ConfigurationError` ``subjects.invalid`` naming where it is,
instead of deliberating with it:

* ``weights``: percent of the general average per candidate type — ``enrolled`` has ``continuous``, ``regional``
  and ``national``, ``free`` has ``regional`` and ``national``; each sums to 100.
* ``continuous_assessment``: the code and labels of the continuous-assessment mark (one per enrolled candidate).
* ``subjects``: code → labels ``ar``/``fr``.
* ``calendar``: session → the first day of each exam's calendar (``national``, ``regional``) and the
  ``deliberation`` date its diplomas state (in the session's year, as the diploma schema requires).
* ``streams``: every stream of :func:`schemas.reference_data`, each a list of ``{subject, exam (regional |
  national), coefficient (1-20), day (1-10), start, end (HH:MM, start before end)}``; a subject once per stream.

The regional exam is the first-year exam: an enrolled candidate took it the year before and is convoked to the
national exam only; a free candidate sits both in the session.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import schemas
from exams.rules_file import RulesFile
from vc.errors import ConfigurationError

#: The shipped file (illustrative defaults).
DEFAULT_RULES_PATH: Final = Path(__file__).resolve().parent / "data" / "subjects.json"

ENROLLED: Final = "enrolled"
FREE: Final = "free"
CANDIDATE_TYPES: Final = (ENROLLED, FREE)

CONTINUOUS: Final = "continuous"
REGIONAL: Final = "regional"
NATIONAL: Final = "national"
CATCH_UP: Final = "catch_up"
#: The calendar's entry for the date the session's diplomas state as their deliberation date.
DELIBERATION: Final = "deliberation"
#: The exams a mark can belong to (``catch_up``: a national subject retaken at the catch-up session).
EXAMS: Final = (CONTINUOUS, REGIONAL, NATIONAL, CATCH_UP)

Exam = Literal["regional", "national"]
_TIME: Final = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass(frozen=True, slots=True)
class SubjectRule:
    """One subject of a stream: its exam, coefficient and place in the schedule."""

    code: str
    label_ar: str
    label_fr: str
    exam: Exam
    coefficient: int
    day: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class StreamRules:
    """A stream's subjects, regional then national, as the file lists them."""

    code: str
    subjects: tuple[SubjectRule, ...]

    def of_exam(self, exam: str) -> tuple[SubjectRule, ...]:
        return tuple(rule for rule in self.subjects if rule.exam == exam)

    def subject(self, code: str) -> SubjectRule | None:
        for rule in self.subjects:
            if rule.code == code:
                return rule
        return None


@dataclass(frozen=True, slots=True)
class Weights:
    """Percent of the general average each exam weighs, for one candidate type."""

    continuous: int
    regional: int
    national: int


@dataclass(frozen=True)
class ExamRules:
    """The validated file: weights, labels, calendar and streams."""

    weights: dict[str, Weights]
    continuous_code: str
    continuous_ar: str
    continuous_fr: str
    subject_labels: dict[str, tuple[str, str]]
    calendar: dict[str, dict[str, date]]
    streams: dict[str, StreamRules]
    source: str

    def stream(self, code: str) -> StreamRules:
        """The rules of stream ``code``; raises ``subjects.unknown_stream`` (the registry only holds known streams)."""
        found = self.streams.get(code)
        if found is None:
            raise ConfigurationError(
                "no exam rules for this stream",
                code="subjects.unknown_stream",
                found=code,
                expected=f"one of {', '.join(sorted(self.streams))} ({self.source})",
            )
        return found

    def deliberation_date(self, session: str) -> date:
        """The deliberation date the diplomas of ``session`` state. Raises ``subjects.no_deliberation_date``."""
        found = self.calendar.get(session, {}).get(DELIBERATION)
        if found is None:
            raise ConfigurationError(
                "the exam calendar has no deliberation date for this session",
                code="subjects.no_deliberation_date",
                found=session,
                expected=f"calendar.{session}.deliberation in {self.source}",
            )
        return found

    def exam_date(self, session: str, exam: str, day: int) -> date | None:
        """The date of ``day`` of ``exam``'s calendar in ``session``, or None when the calendar does not list it."""
        start = self.calendar.get(session, {}).get(exam)
        return None if start is None else start + timedelta(days=day - 1)


_RULES_FILE: Final = RulesFile("the exam rules file", code="subjects.invalid")
_problem = _RULES_FILE.problem
_mapping = _RULES_FILE.mapping


def _label(value: Any, where: str, source: str) -> tuple[str, str]:
    labels = _mapping(value, where, source)
    for locale in ("ar", "fr"):
        text = labels.get(locale)
        if not isinstance(text, str) or not text.strip():
            raise _problem(f"{where}.{locale}", text, "a non-empty label", source)
    return labels["ar"], labels["fr"]


def _int(value: Any, where: str, source: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _problem(where, value, f"a whole number from {low} to {high}", source)
    return value


def _time(value: Any, where: str, source: str) -> time:
    if not isinstance(value, str) or _TIME.fullmatch(value) is None:
        raise _problem(where, value, "a time HH:MM", source)
    return time.fromisoformat(value)


def parse_rules(document: Any, *, source: str) -> ExamRules:
    """Validate a rules document (see the module docstring). Raises :class:`ConfigurationError` ``subjects.invalid``."""
    top = _mapping(document, "the top level", source)
    for name in ("weights", "continuous_assessment", "subjects", "calendar", "streams"):
        if name not in top:
            raise _problem(name, "nothing", f"a member {name!r}", source)
    weights: dict[str, Weights] = {}
    raw_weights = _mapping(top["weights"], "weights", source)
    for kind, members in ((ENROLLED, (CONTINUOUS, REGIONAL, NATIONAL)), (FREE, (REGIONAL, NATIONAL))):
        entry = _mapping(raw_weights.get(kind), f"weights.{kind}", source)
        if set(entry) != set(members):
            raise _problem(f"weights.{kind}", sorted(entry), f"exactly {', '.join(members)}", source)
        values = {name: _int(entry[name], f"weights.{kind}.{name}", source, 0, 100) for name in members}
        if sum(values.values()) != 100:
            raise _problem(f"weights.{kind}", f"a sum of {sum(values.values())}", "percentages summing to 100", source)
        weights[kind] = Weights(values.get(CONTINUOUS, 0), values[REGIONAL], values[NATIONAL])
    continuous = _mapping(top["continuous_assessment"], "continuous_assessment", source)
    continuous_code = continuous.get("code")
    if not isinstance(continuous_code, str) or not re.fullmatch(r"[A-Z]{2,8}", continuous_code):
        raise _problem("continuous_assessment.code", continuous_code, "2 to 8 capital letters", source)
    continuous_ar, continuous_fr = _label(continuous, "continuous_assessment", source)
    labels: dict[str, tuple[str, str]] = {}
    for code, value in _mapping(top["subjects"], "subjects", source).items():
        if not re.fullmatch(r"[A-Z]{2,8}", code) or code == continuous_code:
            raise _problem(f"subjects.{code}", code, "2 to 8 capital letters, not the continuous assessment's", source)
        labels[code] = _label(value, f"subjects.{code}", source)
    calendar: dict[str, dict[str, date]] = {}
    for session, value in _mapping(top["calendar"], "calendar", source).items():
        try:
            schemas.ExamSession.parse(session)
        except schemas.SubjectError:
            raise _problem(f"calendar.{session}", session, "a session YYYY-normale|rattrapage", source) from None
        days: dict[str, date] = {}
        for which, text in _mapping(value, f"calendar.{session}", source).items():
            if which not in (REGIONAL, NATIONAL, DELIBERATION):
                raise _problem(f"calendar.{session}.{which}", which, "regional, national or deliberation", source)
            try:
                days[which] = date.fromisoformat(text)
            except (TypeError, ValueError):
                raise _problem(f"calendar.{session}.{which}", text, "a date YYYY-MM-DD", source) from None
        if DELIBERATION in days and days[DELIBERATION].year != int(session[:4]):
            raise _problem(
                f"calendar.{session}.{DELIBERATION}", str(days[DELIBERATION]), "a date in the session year", source
            )
        calendar[session] = days
    known_streams = {item["code"] for item in schemas.reference_data()["streams"]}
    raw_streams = _mapping(top["streams"], "streams", source)
    if set(raw_streams) != known_streams:
        raise _problem(
            "streams",
            sorted(set(raw_streams) ^ known_streams),
            f"exactly the streams of the diploma's reference data: {', '.join(sorted(known_streams))}",
            source,
        )
    streams: dict[str, StreamRules] = {}
    for code, entries in raw_streams.items():
        if not isinstance(entries, list) or not entries:
            raise _problem(f"streams.{code}", entries, "a non-empty list of subjects", source)
        rules: list[SubjectRule] = []
        for number, raw in enumerate(entries):
            where = f"streams.{code}[{number}]"
            entry = _mapping(raw, where, source)
            subject = entry.get("subject")
            if not isinstance(subject, str) or subject not in labels:
                raise _problem(f"{where}.subject", subject, "a code listed under subjects", source)
            if any(rule.code == subject for rule in rules):
                raise _problem(f"{where}.subject", subject, "each subject once per stream", source)
            raw_exam = entry.get("exam")
            if raw_exam not in (REGIONAL, NATIONAL):
                raise _problem(f"{where}.exam", raw_exam, "regional or national", source)
            exam: Exam = "regional" if raw_exam == REGIONAL else "national"
            start, end = (
                _time(entry.get("start"), f"{where}.start", source),
                _time(entry.get("end"), f"{where}.end", source),
            )
            if start >= end:
                raise _problem(where, f"{start:%H:%M}-{end:%H:%M}", "a start before the end", source)
            rules.append(
                SubjectRule(
                    code=subject,
                    label_ar=labels[subject][0],
                    label_fr=labels[subject][1],
                    exam=exam,
                    coefficient=_int(entry.get("coefficient"), f"{where}.coefficient", source, 1, 20),
                    day=_int(entry.get("day"), f"{where}.day", source, 1, 10),
                    start=start,
                    end=end,
                )
            )
        stream = StreamRules(code, tuple(rules))
        for needed in (REGIONAL, NATIONAL):
            if not stream.of_exam(needed):
                raise _problem(f"streams.{code}", f"no {needed} subject", f"at least one {needed} subject", source)
        streams[code] = stream
    return ExamRules(
        weights=weights,
        continuous_code=continuous_code,
        continuous_ar=continuous_ar,
        continuous_fr=continuous_fr,
        subject_labels=labels,
        calendar=calendar,
        streams=streams,
        source=source,
    )


def read_rules(path: Path) -> ExamRules:
    """Read and validate the rules file at ``path``. Raises :class:`ConfigurationError` ``subjects.invalid``."""
    return _RULES_FILE.read(path, parse_rules)


@functools.cache
def load_rules() -> ExamRules:
    """The shipped rules (``exams/data/subjects.json``), validated once per process."""
    return read_rules(DEFAULT_RULES_PATH)
