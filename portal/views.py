"""The exam year's records as the pages show them, in the reader's language: registry fields with their labels,
corrections, results, and the convocation as the PDF renderer's document.

Labels of the diploma's own fields come from :mod:`schemas` (the same words as the verifier's page and the
credential); those the diploma does not carry (exam centre, candidate type) are the portal's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

import schemas
from common.pdf.convocation import ConvocationDocument, ScheduleLine, render_convocation
from exams.convocation import Convocation
from exams.personal_data import CONTESTABLE_FIELDS, Correction, DataState
from exams.registry import Candidate
from exams.results import Result, SubjectMark
from portal.messages import Locale
from portal.pages import CorrectionView, Field, MarkView, ResultView

#: Labels the diploma's vocabulary does not have.
_OWN_LABELS: Final[Mapping[str, Mapping[Locale, str]]] = {
    "examCentre": {"ar": "مركز الامتحان", "fr": "Centre d'examen"},
    "candidateType": {"ar": "صفة المترشح(ة)", "fr": "Type de candidature"},
    "familyName.ar": {"ar": "الاسم العائلي (بالعربية)", "fr": "Nom (en arabe)"},
    "familyName.lat": {"ar": "الاسم العائلي (بالحروف اللاتينية)", "fr": "Nom (en lettres latines)"},
    "givenName.ar": {"ar": "الاسم الشخصي (بالعربية)", "fr": "Prénom (en arabe)"},
    "givenName.lat": {"ar": "الاسم الشخصي (بالحروف اللاتينية)", "fr": "Prénom (en lettres latines)"},
    "birthPlace.ar": {"ar": "مكان الازدياد (بالعربية)", "fr": "Lieu de naissance (en arabe)"},
    "birthPlace.lat": {"ar": "مكان الازدياد (بالحروف اللاتينية)", "fr": "Lieu de naissance (en lettres latines)"},
}
_CANDIDATE_TYPES: Final[Mapping[str, Mapping[Locale, str]]] = {
    "enrolled": {"ar": "ممدرس(ة)", "fr": "Candidat(e) scolarisé(e)"},
    "free": {"ar": "حر(ة)", "fr": "Candidat(e) libre"},
}
_EXAMS: Final[Mapping[str, Mapping[Locale, str]]] = {
    "continuous": {"ar": "المراقبة المستمرة", "fr": "Contrôle continu"},
    "regional": {"ar": "الامتحان الجهوي", "fr": "Examen régional"},
    "national": {"ar": "الامتحان الوطني", "fr": "Examen national"},
    "catch_up": {"ar": "الدورة الاستدراكية", "fr": "Session de rattrapage"},
}
_DECISIONS: Final[Mapping[str, Mapping[Locale, str]]] = {
    "admitted": {"ar": "ناجح(ة)", "fr": "Admis(e)"},
    "not_admitted": {"ar": "غير ناجح(ة)", "fr": "Non admis(e)"},
}


def label(name: str, locale: Locale) -> str:
    """The label of a registry field (a candidates-file column name or a diploma claim)."""
    own = _OWN_LABELS.get(name)
    return own[locale] if own is not None else schemas.claim_label([name], locale)


def contestable_fields(locale: Locale) -> list[tuple[str, str]]:
    """The fields a candidate may ask to correct: (column name, label)."""
    return [(name, label(name, locale)) for name in CONTESTABLE_FIELDS]


def candidate_fields(candidate: Candidate, locale: Locale) -> list[Field]:
    """The registry data, as its candidate reads it: names in both scripts, identifiers, the exam's places."""
    pick = {"ar": 0, "fr": 1}[locale]
    rows: list[tuple[str, str, str | None]] = [
        ("familyName.ar", candidate.family_name_ar, "rtl"),
        ("givenName.ar", candidate.given_name_ar, "rtl"),
        ("familyName.lat", candidate.family_name_lat, "ltr"),
        ("givenName.lat", candidate.given_name_lat, "ltr"),
        ("birthDate", candidate.birth_date.isoformat(), "ltr"),
        ("birthPlace.ar", candidate.birth_place_ar, "rtl"),
        ("birthPlace.lat", candidate.birth_place_lat, "ltr"),
        ("cnie", candidate.cnie, "ltr"),
        ("massarCode", candidate.massar_code, "ltr"),
        ("stream", (candidate.stream_ar, candidate.stream_fr)[pick], None),
        ("optionLanguage", schemas.value_label("optionLanguage", candidate.option_language, locale), None),
        (
            "candidateType",
            _CANDIDATE_TYPES.get(candidate.candidate_type, {}).get(locale, candidate.candidate_type),
            None,
        ),
        ("school", (candidate.school_ar, candidate.school_fr)[pick], None),
        ("directorate", (candidate.directorate_ar, candidate.directorate_fr)[pick], None),
        ("academy", (candidate.academy_ar, candidate.academy_fr)[pick], None),
        ("examCentre", (candidate.exam_centre_ar, candidate.exam_centre_fr)[pick], None),
    ]
    return [
        Field(name=name, label=label(name, locale), value=value, direction=direction) for name, value, direction in rows
    ]


def full_name(candidate: Candidate | None, locale: Locale) -> str:
    """The candidate's name for a reviewer, with the Massar code (the school's own identifier)."""
    if candidate is None:
        return ""
    name = (
        f"{candidate.given_name_ar} {candidate.family_name_ar}"
        if locale == "ar"
        else f"{candidate.given_name_lat} {candidate.family_name_lat}"
    )
    return f"{name} ({candidate.massar_code})"


def correction_view(correction: Correction, locale: Locale, *, candidate: Candidate | None = None) -> CorrectionView:
    """A correction for its candidate, or (with ``candidate``) for a reviewer."""
    return CorrectionView(
        id=correction.id,
        field_label=label(correction.field, locale),
        current=correction.current,
        proposed=correction.proposed,
        comment=correction.comment,
        status=correction.state,
        reason=correction.reason,
        requested_at=correction.requested_at,
        candidate=full_name(candidate, locale),
    )


def convocation_ready(state: DataState) -> bool:
    """Whether the convocation can be had (the exam year's rule: data confirmed, or its corrections decided)."""
    return state in (DataState.CONFIRMED, DataState.SETTLED)


def _mark(value: Decimal) -> str:
    return f"{value:.2f}"


def _marks(marks: Sequence[SubjectMark], locale: Locale) -> list[MarkView]:
    return [
        MarkView(
            subject=mark.label_ar if locale == "ar" else mark.label_fr,
            component=_EXAMS.get(mark.exam, {}).get(locale, mark.exam),
            coefficient=str(mark.coefficient),
            mark=_mark(mark.mark),
        )
        for mark in marks
    ]


def result_view(result: Result, locale: Locale) -> ResultView:
    """The published result: decision, average /20, mention, and the marks per subject and exam."""
    catch_up = None
    marks = _marks(result.marks, locale)
    if result.catch_up is not None:
        outcome = result.catch_up
        mention = schemas.value_label("mention", outcome.mention, locale) if outcome.mention else None
        catch_up = " — ".join(
            part
            for part in (
                _DECISIONS.get(outcome.decision, {}).get(locale, outcome.decision),
                f"{_mark(outcome.average)} / 20",
                mention,
            )
            if part
        )
        marks += _marks(outcome.marks, locale)
    return ResultView(
        decision=result.decision,
        average=f"{_mark(result.average)} / 20",
        mention=schemas.value_label("mention", result.mention, locale) if result.mention else None,
        marks=marks,
        catch_up=catch_up,
    )


def session_labels(session: str) -> tuple[str, str]:
    """``2025-normale`` → (Arabic, French) labels of the session."""
    year, _, kind = session.partition("-")
    return (
        f"{schemas.value_label('session.type', kind, 'ar')} {year}",
        f"{schemas.value_label('session.type', kind, 'fr')} {year}",
    )


def convocation_document(convocation: Convocation) -> ConvocationDocument:
    """The exam year's convocation as the PDF renderer's document (dates ``YYYY-MM-DD``, times ``HH:MM``)."""
    candidate = convocation.candidate
    session_ar, session_fr = session_labels(convocation.session)
    return ConvocationDocument(
        family_name_ar=candidate.family_name_ar,
        given_name_ar=candidate.given_name_ar,
        family_name_lat=candidate.family_name_lat,
        given_name_lat=candidate.given_name_lat,
        cnie=candidate.cnie,
        massar_code=candidate.massar_code,
        session_ar=session_ar,
        session_fr=session_fr,
        exam_centre_ar=candidate.exam_centre_ar,
        exam_centre_fr=candidate.exam_centre_fr,
        school_ar=candidate.school_ar,
        school_fr=candidate.school_fr,
        schedule=[
            ScheduleLine(
                subject_ar=line.label_ar,
                subject_fr=line.label_fr,
                date=line.date.isoformat(),
                start=line.start.strftime("%H:%M"),
                end=line.end.strftime("%H:%M"),
            )
            for line in convocation.schedule
        ],
    )


def convocation_pdf(convocation: Convocation) -> bytes:
    """The convocation as a PDF (Arabic and French, one A4 page)."""
    return render_convocation(convocation_document(convocation))
