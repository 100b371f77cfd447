"""The diploma subject as typed values: parsed once, identifiers normalised and masked, claims round-trip exactly."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from schemas import (
    SUBJECT_CLAIMS,
    Cnie,
    DiplomaSubject,
    ExamSession,
    MassarCode,
    SubjectError,
    sample_subject,
    sd_jwt_vc_claims,
    w3c_credential,
)


def _claims(**changes: Any) -> dict[str, Any]:
    claims = sample_subject()
    del claims["type"]
    claims.update(changes)
    return claims


# ------------------------------------------------------------------------------------------ identifiers


@pytest.mark.parametrize(("written", "stored"), [("BE123456", "BE123456"), (" be 123 456 ", "BE123456"), ("a1", "A1")])
def test_a_cnie_is_normalised(written: str, stored: str) -> None:
    assert str(Cnie.parse(written)) == stored


@pytest.mark.parametrize("bad", ["", "123456", "ABC123", "BE", "BE1234567890", "B-123", "É12345"])
def test_a_malformed_cnie_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(SubjectError) as refused:
        Cnie.parse(bad)
    (problem,) = refused.value.problems
    assert problem.path == "cnie"
    assert "BE123456" in problem.expected
    assert "withheld" in problem.found
    if bad:
        assert bad not in str(refused.value)


def test_a_cnie_shows_only_its_letters_and_last_two_digits() -> None:
    cnie = Cnie.parse("BE123456")
    assert cnie.masked() == "BE****56"
    assert repr(cnie) == "Cnie('BE****56')"
    assert "123456" not in repr(cnie)
    assert Cnie.parse("A1234").masked() == "A1*34"
    assert Cnie.parse("AB12").masked() == "****", "a short number is hidden whole"


def test_a_massar_code_is_normalised_validated_and_masked() -> None:
    assert str(MassarCode.parse("j 130000001")) == "J130000001"
    assert repr(MassarCode.parse("J130000001")) == "MassarCode('J1******01')"
    with pytest.raises(SubjectError, match="massarCode"):
        MassarCode.parse("J12")


def test_identifiers_are_frozen_values() -> None:
    cnie = Cnie.parse("BE123456")
    assert cnie == Cnie("BE123456")
    assert len({cnie, Cnie.parse("be123456")}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        cnie.value = "BE000000"  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ sessions


def test_a_session_is_parsed_and_equal_by_value() -> None:
    session = ExamSession.parse(" 2024-Rattrapage ")
    assert (session.year, session.type, str(session)) == (2024, "rattrapage", "2024-rattrapage")
    assert session.claim() == {"year": 2024, "type": "rattrapage"}

    class Named(ExamSession):
        __slots__ = ()

    assert Named(2024, "rattrapage") == session
    assert hash(Named(2024, "rattrapage")) == hash(session)
    assert session != ExamSession(2024, "normale")


@pytest.mark.parametrize("bad", ["2024", "2024-summer", "24-normale", "3024-normale", ""])
def test_a_bad_session_name_says_what_is_expected(bad: str) -> None:
    with pytest.raises(SubjectError, match="YYYY-normale or YYYY-rattrapage"):
        ExamSession.parse(bad)


# ------------------------------------------------------------------------------------------ the subject


def test_the_claims_round_trip_exactly_in_display_order() -> None:
    claims = _claims()
    subject = DiplomaSubject.parse(claims)
    assert subject.claims() == claims
    assert tuple(subject.claims()) == SUBJECT_CLAIMS
    assert DiplomaSubject.parse(subject.claims()) == subject
    assert DiplomaSubject.parse(sample_subject()) == subject, "the subject's JSON-LD type is allowed and dropped"


def test_the_subject_is_typed() -> None:
    subject = DiplomaSubject.parse(_claims())
    assert subject.cnie == Cnie("BE123456")
    assert subject.session == ExamSession(2024, "normale")
    assert subject.general_average == Decimal("15.42")
    assert subject.birth_date.isoformat() == "2006-03-14"
    assert (subject.family_name.lat, subject.stream.code) == ("EL ALAOUI", "PC")


@pytest.mark.parametrize(("written", "claimed"), [(15, 15), (15.0, 15), (15.5, 15.5), (15.42, 15.42)])
def test_an_average_without_decimals_is_a_whole_number(written: float, claimed: float) -> None:
    average = DiplomaSubject.parse(_claims(generalAverage=written, mention="bien")).claims()["generalAverage"]
    assert (average, type(average)) == (claimed, type(claimed))


def test_an_invalid_subject_is_refused_with_every_problem() -> None:
    with pytest.raises(SubjectError) as refused:
        DiplomaSubject.parse(_claims(cnie="123", mention="passable", birthDate="2006-02-30"))
    assert {problem.path for problem in refused.value.problems} == {"cnie", "mention", "birthDate"}
    with pytest.raises(SubjectError, match="school"):
        DiplomaSubject.parse({name: value for name, value in _claims().items() if name != "school"})


def test_the_repr_of_a_subject_shows_no_personal_data() -> None:
    shown = repr(DiplomaSubject.parse(_claims(birthPlace={"ar": "فاس", "lat": "Fès"})))
    for personal in ("BE123456", "J130000001", "2006-03-14", "EL ALAOUI", "Salma", "Fès", "فاس"):
        assert personal not in shown


def test_the_credential_builders_take_the_typed_subject() -> None:
    subject = DiplomaSubject.parse(_claims())
    typed = w3c_credential(subject, issuer="https://issuer.example", credential_id="urn:uuid:x", status=[])
    plain = w3c_credential(_claims(), issuer="https://issuer.example", credential_id="urn:uuid:x", status=[])
    assert typed == plain
    assert typed["validFrom"] == "2024-06-13T00:00:00Z"
    assert sd_jwt_vc_claims(subject, issuer="https://issuer.example") == sd_jwt_vc_claims(
        _claims(), issuer="https://issuer.example"
    )
