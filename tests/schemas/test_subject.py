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
    character_name,
    checked_text,
    checked_texts,
    isolated,
    marked_text,
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


# ------------------------------------------------------------------------------------------------- text


#: (text, the code point the problem must name)
REFUSED_TEXTS = [
    ("Salma\u202eLIAF ENO", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("Sal\u200bma", "U+200B ZERO WIDTH SPACE"),
    ("Sal\x00ma", "U+0000 NULL"),
    ("Sal\tma", "U+0009 CHARACTER TABULATION"),
    ("Sal\nma", "U+000A LINE FEED"),
    ("<script>alert(1)</script>", "U+003C LESS-THAN SIGN"),
    ("Salma\u2066x\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("Salma\u200f", "U+200F RIGHT-TO-LEFT MARK"),
    ("سلمى\u061c", "U+061C ARABIC LETTER MARK"),
    ("سل\u200cمى", "U+200C ZERO WIDTH NON-JOINER"),
    ("\ufeffSalma", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("Sal\u2060ma", "U+2060 WORD JOINER"),
    ("Sal\u2028ma", "U+2028 LINE SEPARATOR"),
]


@pytest.mark.parametrize(("text", "code_point"), REFUSED_TEXTS)
def test_text_with_a_refused_character_is_refused_by_code_point_without_echoing_it(text: str, code_point: str) -> None:
    with pytest.raises(SubjectError) as refused:
        checked_text(text, path="givenName.lat")
    (problem,) = refused.value.problems
    assert problem.path == "givenName.lat"
    assert code_point in problem.found
    assert code_point in str(refused.value)
    assert text not in str(refused.value)
    assert "Sal" not in problem.message


def test_acceptable_text_comes_back_nfc_normalised() -> None:
    assert checked_text("Cafe\u0301", path="x") == "Caf\u00e9"
    assert checked_text("العَلَوي", path="x") == "العَلَوي"  # Arabic with its vowel marks
    assert checked_text("Aït Ben Haddou-d'Oc", path="x") == "Aït Ben Haddou-d'Oc"
    assert checked_text("Lycée Sciences & Techniques", path="x") == "Lycée Sciences & Techniques"
    assert checked_text("Abd\u00a0Allah", path="x") == "Abd\u00a0Allah"  # a no-break space is printable text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("familyName.ar", {"ar": "العلوي\u202e", "lat": "Alaoui"}),
        ("givenName.lat", {"ar": "سلمى", "lat": "Salma\u200b"}),
        ("birthPlace.lat", {"ar": "فاس", "lat": "Fes\x00"}),
        ("school.fr", {"code": "30030S01", "ar": "ثانوية", "fr": "<b>Lycée</b>"}),
    ],
)
def test_every_text_of_a_subject_passes_the_rule(path: str, value: dict[str, str]) -> None:
    with pytest.raises(SubjectError) as refused:
        DiplomaSubject.parse(_claims(**{path.split(".")[0]: value}))
    assert [problem.path for problem in refused.value.problems] == [path]
    assert all(part not in str(refused.value) for part in ("Salma", "Fes", "Lycée", "العلوي"))


def test_a_parsed_subject_holds_nfc_text() -> None:
    subject = DiplomaSubject.parse(_claims(familyName={"ar": "العلوي", "lat": "Ale\u0301"}))
    assert subject.family_name.lat == "Al\u00e9"


def test_checked_texts_walks_objects_and_arrays() -> None:
    value, problems = checked_texts({"a": ["x", "y\u202e"], "b": {"c": "e\u0301"}, "n": 3})
    assert value == {"a": ["x", "y\u202e"], "b": {"c": "\u00e9"}, "n": 3}
    assert [problem.path for problem in problems] == ["a.1"]


def test_foreign_text_is_shown_marked_and_isolated() -> None:
    assert marked_text("Salma\u202eLIAF ENO") == "Salma[U+202E]LIAF ENO"
    assert marked_text("Salma") == "Salma"
    assert isolated("سلمى") == "\u2068سلمى\u2069"
    assert isolated("a\u2069b") == "\u2068a[U+2069]b\u2069", "a value cannot close its own isolate"
    assert character_name("\x01") == "U+0001 <control>"
