"""Tests of the diploma data package: schemas, validation, mentions, type metadata, labels and contexts."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import schemas
from schemas import (
    DEFAULT_DISCLOSED_CLAIMS,
    DIPLOMA_CONTEXT_URL,
    DIPLOMA_CREDENTIAL_TYPE,
    DIPLOMA_SCHEMA_URL,
    DIPLOMA_SUBJECT_TYPE,
    DIPLOMA_VCT,
    MENTION_RANGES,
    MENTIONS,
    OPTION_LANGUAGES,
    PRIVATE_CLAIMS,
    SESSION_TYPES,
    SUBJECT_CLAIMS,
    SchemaProblem,
    claim_label,
    credential_schema,
    diploma_type_metadata,
    mention_for,
    pinned_contexts,
    reference_data,
    sample_subject,
    subject_schema,
    validate_credential,
    validate_subject,
    value_label,
)
from schemas.resources import read_bytes

LOCALES = ("ar", "fr", "en")
NS = "https://tawtiq.ma/ns/baccalaureate#"
VALUE_LISTS = {
    ("type",): (DIPLOMA_SUBJECT_TYPE,),
    ("mention",): MENTIONS,
    ("session", "type"): SESSION_TYPES,
    ("optionLanguage",): OPTION_LANGUAGES,
}


def paths_of(problems: list[SchemaProblem]) -> set[str]:
    return {problem.path for problem in problems}


def with_changes(**changes: Any) -> dict[str, Any]:
    """The sample subject with claims replaced (``None`` removes the claim)."""
    subject = sample_subject()
    for claim, value in changes.items():
        if value is None:
            subject.pop(claim, None)
        else:
            subject[claim] = value
    return subject


def sample_credential(subject: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", DIPLOMA_CONTEXT_URL],
        "id": "urn:uuid:6a1b2c3d-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", DIPLOMA_CREDENTIAL_TYPE],
        "issuer": "https://bac.example.ma",
        "validFrom": "2024-06-13T12:00:00Z",
        "credentialSubject": dict(subject) if subject is not None else sample_subject(),
        "credentialStatus": {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://bac.example.ma/status/3",
        },
        "credentialSchema": {"id": DIPLOMA_SCHEMA_URL, "type": "JsonSchema"},
    }


def schema_paths(schema: Mapping[str, Any]) -> Iterator[tuple[str, ...]]:
    """Every property path of the subject schema, following its local ``$ref``s."""
    defs = schema["$defs"]

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            node = defs[node["$ref"].removeprefix("#/$defs/")]
        return node

    def walk(node: Mapping[str, Any], prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for name, child in resolve(node).get("properties", {}).items():
            yield (*prefix, name)
            yield from walk(child, (*prefix, name))

    yield from walk(schema, ())


def claim_entries() -> dict[tuple[str, ...], Mapping[str, Any]]:
    return {tuple(entry["path"]): entry for entry in diploma_type_metadata()["claims"]}


# ----------------------------------------------------------------------------------------- constants


def test_claim_lists_are_the_binding_ones() -> None:
    assert len(SUBJECT_CLAIMS) == 15
    assert SUBJECT_CLAIMS[:3] == ("familyName", "givenName", "birthDate")
    assert SUBJECT_CLAIMS[-1] == "deliberationDate"
    assert PRIVATE_CLAIMS == ("cnie", "birthDate", "birthPlace", "massarCode")
    assert len(DEFAULT_DISCLOSED_CLAIMS) == 11
    assert set(DEFAULT_DISCLOSED_CLAIMS) | set(PRIVATE_CLAIMS) == set(SUBJECT_CLAIMS)
    assert not set(DEFAULT_DISCLOSED_CLAIMS) & set(PRIVATE_CLAIMS)
    assert DIPLOMA_VCT == "urn:ma:men:credential:baccalaureate:1"
    assert DIPLOMA_SCHEMA_URL == "https://tawtiq.ma/schemas/baccalaureate/v1.json"


def test_public_api_is_exported() -> None:
    for name in schemas.__all__:
        assert hasattr(schemas, name), name


# ------------------------------------------------------------------------------------------- schemas


@pytest.mark.parametrize(
    "document",
    [subject_schema(complete=False), subject_schema(complete=True), credential_schema()],
    ids=["partial-subject", "complete-subject", "credential"],
)
def test_schemas_are_valid_2020_12(document: Mapping[str, Any]) -> None:
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_subject_schema_variants_differ_only_in_required() -> None:
    partial, complete = subject_schema(complete=False), subject_schema(complete=True)
    assert "required" not in partial
    assert complete["required"] == list(SUBJECT_CLAIMS)
    assert complete["properties"] == partial["properties"]
    assert partial["additionalProperties"] is False
    assert set(partial["properties"]) == {"type", *SUBJECT_CLAIMS}


def test_schema_enums_match_the_constants() -> None:
    properties = subject_schema(complete=False)["properties"]
    assert tuple(properties["mention"]["enum"]) == MENTIONS
    assert tuple(properties["session"]["properties"]["type"]["enum"]) == SESSION_TYPES
    assert tuple(properties["optionLanguage"]["enum"]) == OPTION_LANGUAGES
    assert tuple(MENTION_RANGES) == MENTIONS


def test_academy_codes_are_the_twelve_regions() -> None:
    academies = reference_data()["academies"]
    codes = [academy["code"] for academy in academies]
    assert codes == [f"{number:02d}" for number in range(1, 13)]
    assert subject_schema(complete=False)["$defs"]["academy"]["properties"]["code"]["enum"] == codes
    for academy in academies:
        assert validate_subject({"academy": {k: academy[k] for k in ("code", "ar", "fr")}}, complete=False) == []


def test_reference_streams_are_valid_stream_claims() -> None:
    streams = reference_data()["streams"]
    assert {"SM-A", "PC", "SVT", "SE", "L", "SH", "STE", "STM", "SA", "AA"} <= {s["code"] for s in streams}
    for stream in streams:
        assert validate_subject({"stream": stream}, complete=False) == []


def test_credential_schema_is_self_contained_and_names_itself() -> None:
    document = credential_schema()
    assert document["$id"] == DIPLOMA_SCHEMA_URL
    assert document["$defs"]["subject"]["$id"] == schemas.SUBJECT_SCHEMA_ID
    # A third party holding only this document can validate: no reference leaves it.
    jsonschema.validate(sample_credential(), document, format_checker=Draft202012Validator.FORMAT_CHECKER)


# ----------------------------------------------------------------------------------------- validation


def test_sample_subject_is_complete_and_valid() -> None:
    subject = sample_subject()
    assert set(subject) == {"type", *SUBJECT_CLAIMS}
    assert validate_subject(subject, complete=True) == []
    assert validate_subject(subject, complete=False) == []
    assert subject["cnie"] == "BE123456"


def test_sample_subject_is_a_fresh_copy() -> None:
    first = sample_subject()
    first["familyName"]["lat"] = "CHANGED"
    assert sample_subject()["familyName"]["lat"] != "CHANGED"


def test_sample_subject_uses_reference_names() -> None:
    subject = sample_subject()
    academies = {a["code"]: a for a in reference_data()["academies"]}
    streams = {s["code"]: s for s in reference_data()["streams"]}
    academy = academies[subject["academy"]["code"]]
    assert subject["academy"] == {"code": academy["code"], "ar": academy["ar"], "fr": academy["fr"]}
    assert subject["stream"] == streams[subject["stream"]["code"]]
    assert mention_for(subject["generalAverage"]) == subject["mention"]


BAD_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("cnie lowercase", {"cnie": "be123456"}, "cnie"),
    ("cnie three letters", {"cnie": "ABC12345"}, "cnie"),
    ("cnie with dash", {"cnie": "BE-12345"}, "cnie"),
    ("cnie too many digits", {"cnie": "B123456789"}, "cnie"),
    ("cnie not a string", {"cnie": 123456}, "cnie"),
    ("massar code short", {"massarCode": "J13000000"}, "massarCode"),
    ("massar code no letter", {"massarCode": "1130000001"}, "massarCode"),
    ("birth date impossible", {"birthDate": "2006-02-30"}, "birthDate"),
    ("birth date French order", {"birthDate": "14/03/2006"}, "birthDate"),
    ("birth date without zero padding", {"birthDate": "2006-3-14"}, "birthDate"),
    ("deliberation date bad month", {"deliberationDate": "2024-13-01"}, "deliberationDate"),
    ("average below 10", {"generalAverage": 9.99, "mention": "passable"}, "generalAverage"),
    ("average above 20", {"generalAverage": 20.01, "mention": "tres_bien"}, "generalAverage"),
    ("average as a string", {"generalAverage": "15.42"}, "generalAverage"),
    ("average as a boolean", {"generalAverage": True}, "generalAverage"),
    ("average with three decimals", {"generalAverage": 15.425}, "generalAverage"),
    ("average not finite", {"generalAverage": float("nan")}, "generalAverage"),
    ("mention too high for the average", {"mention": "tres_bien"}, "mention"),
    ("mention too low for the average", {"generalAverage": 16.0}, "mention"),
    ("mention unknown", {"mention": "excellent"}, "mention"),
    ("unknown claim", {"nationalId": "X1"}, "nationalId"),
    ("session type unknown", {"session": {"year": 2024, "type": "principale"}}, "session.type"),
    ("session year as a string", {"session": {"year": "2024", "type": "normale"}}, "session.year"),
    ("session year out of range", {"session": {"year": 1900, "type": "normale"}}, "session.year"),
    ("session type missing", {"session": {"year": 2024}}, "session.type"),
    ("session extra member", {"session": {"year": 2024, "type": "normale", "month": 6}}, "session.month"),
    ("session not an object", {"session": "2024 normale"}, "session"),
    ("family name not an object", {"familyName": "EL ALAOUI"}, "familyName"),
    ("given name without Arabic script", {"givenName": {"ar": "Salma", "lat": "Salma"}}, "givenName.ar"),
    ("birth place empty Latin name", {"birthPlace": {"ar": "فاس", "lat": ""}}, "birthPlace.lat"),
    ("stream code not a string", {"stream": {"code": 1, "ar": "الآداب", "fr": "Lettres"}}, "stream.code"),
    ("school missing French name", {"school": {"code": "X1", "ar": "ثانوية"}}, "school.fr"),
    ("academy outside the twelve", {"academy": {"code": "13", "ar": "جهة", "fr": "Région"}}, "academy.code"),
    ("option language unknown", {"optionLanguage": "de"}, "optionLanguage"),
    ("type wrong", {"type": "Diploma"}, "type"),
    ("born after the deliberation", {"birthDate": "2024-07-01"}, "birthDate"),
    ("deliberation outside the session year", {"deliberationDate": "2023-06-13"}, "deliberationDate"),
]


@pytest.mark.parametrize(("changes", "path"), [case[1:] for case in BAD_FIELDS], ids=[case[0] for case in BAD_FIELDS])
def test_each_bad_field_is_reported_at_its_path(changes: dict[str, Any], path: str) -> None:
    problems = validate_subject(with_changes(**changes), complete=True)
    assert paths_of(problems) == {path}
    for problem in problems:
        assert problem.expected
        assert problem.found
        assert problem.message.startswith(f"{path}: ")


def test_mention_problem_says_which_mention_the_average_earns() -> None:
    (problem,) = validate_subject(with_changes(generalAverage=13.5, mention="bien"), complete=True)
    assert problem.path == "mention"
    assert '"assez_bien"' in problem.expected
    assert "13.5" in problem.expected


def test_private_values_are_never_echoed() -> None:
    subject = with_changes(cnie="zz99", massarCode="Q12", birthDate="31-12-2006", birthPlace={"ar": "x", "lat": "Y"})
    problems = validate_subject(subject, complete=True)
    assert paths_of(problems) == {"cnie", "massarCode", "birthDate", "birthPlace.ar"}
    for problem in problems:
        for secret in ("zz99", "Q12", "31-12-2006"):
            assert secret not in problem.found
            assert secret not in problem.message
        assert "withheld" in problem.found


def test_several_problems_are_all_reported_in_claim_order() -> None:
    subject = with_changes(cnie="x", mention="nope", school={"code": "", "ar": "ثانوية", "fr": "Lycée"})
    problems = validate_subject(subject, complete=True)
    assert [p.path for p in problems] == ["cnie", "mention", "school.code"]


def test_problem_is_a_frozen_dataclass() -> None:
    problem = SchemaProblem(path="cnie", found="x", expected="y", message="m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.path = "other"  # type: ignore[misc]


@pytest.mark.parametrize("claim", SUBJECT_CLAIMS)
def test_a_single_disclosed_claim_is_a_valid_partial_subject(claim: str) -> None:
    subject = {"type": DIPLOMA_SUBJECT_TYPE, claim: sample_subject()[claim]}
    assert validate_subject(subject, complete=False) == []
    missing = validate_subject(subject, complete=True)
    assert paths_of(missing) == set(SUBJECT_CLAIMS) - {claim}
    assert all(problem.found == "nothing" for problem in missing)


def test_default_disclosure_is_a_valid_partial_subject_but_not_a_complete_one() -> None:
    sample = sample_subject()
    disclosed = {claim: sample[claim] for claim in DEFAULT_DISCLOSED_CLAIMS}
    assert validate_subject(disclosed, complete=False) == []
    assert paths_of(validate_subject(disclosed, complete=True)) == set(PRIVATE_CLAIMS)
    assert validate_subject({}, complete=False) == []


def test_partial_subject_still_checks_the_disclosed_claims() -> None:
    assert paths_of(validate_subject({"generalAverage": 12.0, "mention": "bien"}, complete=False)) == {"mention"}
    assert paths_of(validate_subject({"cnie": "nope"}, complete=False)) == {"cnie"}


def test_mappings_and_decimals_are_accepted() -> None:
    from types import MappingProxyType

    subject = sample_subject()
    subject["generalAverage"] = Decimal("15.42")
    subject["session"] = MappingProxyType(subject["session"])
    assert validate_subject(MappingProxyType(subject), complete=True) == []


@pytest.mark.parametrize("document", [None, [], "subject", 42, {"": None}, {"generalAverage": Decimal("NaN")}])
def test_non_subjects_are_reported_not_raised(document: Any) -> None:
    problems = validate_subject(document, complete=True)
    assert problems
    assert all(isinstance(problem, SchemaProblem) for problem in problems)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(("type", *SUBJECT_CLAIMS, "other")), JSON_VALUES, max_size=8), st.booleans())
def test_validation_never_raises(subject: dict[str, Any], complete: bool) -> None:
    problems = validate_subject(subject, complete=complete)
    assert all(isinstance(problem, SchemaProblem) for problem in problems)
    assert len(problems) == len(set(problems))


def test_full_credential_validates() -> None:
    assert validate_credential(sample_credential()) == []


def test_credential_with_a_partial_subject_validates() -> None:
    sample = sample_subject()
    disclosed = {"type": DIPLOMA_SUBJECT_TYPE, **{c: sample[c] for c in DEFAULT_DISCLOSED_CLAIMS}}
    assert validate_credential(sample_credential(disclosed)) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda c: c["credentialSubject"].pop("type"), "credentialSubject.type"),
        (lambda c: c["credentialSubject"].update(cnie="b1"), "credentialSubject.cnie"),
        (lambda c: c["credentialSubject"].update(mention="passable"), "credentialSubject.mention"),
        (lambda c: c.update(validUntil="2054-01-01T00:00:00Z"), "validUntil"),
        (lambda c: c.update(type=["VerifiableCredential"]), "type"),
        (lambda c: c["@context"].reverse(), "@context.0"),
        (lambda c: c.pop("credentialStatus"), "credentialStatus"),
        (
            lambda c: c.update(credentialSchema={"id": "https://example.com/x", "type": "JsonSchema"}),
            "credentialSchema",
        ),
    ],
    ids=["subject-type", "cnie", "mention", "valid-until", "type", "context-order", "status", "schema"],
)
def test_bad_credentials_are_reported_at_their_path(change: Any, path: str) -> None:
    credential = sample_credential()
    change(credential)
    assert path in paths_of(validate_credential(credential))
    if path == "credentialSubject.cnie":
        assert all("b1" not in p.message for p in validate_credential(credential))


# -------------------------------------------------------------------------------------------- mentions


@pytest.mark.parametrize(
    ("average", "mention"),
    [
        (0, None),
        (9.99, None),
        (10, "passable"),
        (10.0, "passable"),
        (11.99, "passable"),
        (12, "assez_bien"),
        (13.99, "assez_bien"),
        (14.0, "bien"),
        (15.99, "bien"),
        (16, "tres_bien"),
        (19.99, "tres_bien"),
        (20, "tres_bien"),
        (Decimal("11.999"), "passable"),
        (Decimal("12.00"), "assez_bien"),
    ],
)
def test_mention_thresholds(average: float | Decimal, mention: str | None) -> None:
    assert mention_for(average) == mention


@pytest.mark.parametrize("average", [20.01, -0.01, float("nan"), float("inf"), Decimal("NaN"), True, "15"])
def test_mention_for_refuses_what_is_not_an_average(average: Any) -> None:
    with pytest.raises(ValueError, match="average"):
        mention_for(average)


def in_range(mention: str, value: Decimal) -> bool:
    low, high = MENTION_RANGES[mention]
    return low <= value < high or (mention == MENTIONS[-1] and value == high)


@given(st.decimals(min_value=10, max_value=20, places=2))
def test_every_decimal_average_gets_the_mention_whose_range_contains_it(average: Decimal) -> None:
    mention = mention_for(average)
    assert mention is not None
    assert in_range(mention, average)


@given(st.floats(min_value=10, max_value=20))
def test_every_float_average_gets_the_mention_whose_range_contains_it(average: float) -> None:
    mention = mention_for(average)
    assert mention is not None
    assert in_range(mention, Decimal(repr(average)))


@given(st.decimals(min_value=0, max_value=Decimal("9.99"), places=2))
def test_no_mention_below_ten(average: Decimal) -> None:
    assert mention_for(average) is None


# --------------------------------------------------------------------------------------- type metadata


def test_type_metadata_top_level_members() -> None:
    metadata = diploma_type_metadata()
    assert metadata["vct"] == DIPLOMA_VCT
    assert isinstance(metadata["name"], str)
    assert isinstance(metadata["description"], str)
    assert [entry["locale"] for entry in metadata["display"]] == list(LOCALES)
    assert all(entry["name"] for entry in metadata["display"])


def test_type_metadata_claim_entries_use_draft_member_names() -> None:
    known = {"path", "display", "mandatory", "sd", "svg_id"}
    paths = [tuple(entry["path"]) for entry in diploma_type_metadata()["claims"]]
    assert len(paths) == len(set(paths))
    for entry in diploma_type_metadata()["claims"]:
        assert all(key in known or key.startswith("tawtiq:") for key in entry), entry["path"]
        assert entry["path"]
        assert all(isinstance(part, str) for part in entry["path"])
        assert entry.get("sd", "allowed") in {"always", "allowed", "never"}
        for display in entry["display"]:
            assert set(display) <= {"locale", "label", "description"}
            assert "lang" not in display


def test_every_schema_path_has_labels_in_arabic_french_and_english() -> None:
    entries = claim_entries()
    paths = list(schema_paths(subject_schema(complete=False)))
    assert ("familyName", "ar") in paths
    assert ("stream", "code") in paths
    assert ("session", "year") in paths
    assert set(paths) == set(entries)
    for path in paths:
        labels = {d["locale"]: d["label"] for d in entries[path]["display"]}
        assert set(labels) == set(LOCALES), path
        assert all(label.strip() for label in labels.values()), path
        for locale in LOCALES:
            assert claim_label(path, locale) == labels[locale]
        assert len({claim_label(path, locale) for locale in LOCALES}) >= 2, path


@pytest.mark.parametrize("path", list(VALUE_LISTS))
def test_every_listed_value_has_labels_in_arabic_french_and_english(path: tuple[str, ...]) -> None:
    items = claim_entries()[path]["tawtiq:values"]
    assert [item["value"] for item in items] == list(VALUE_LISTS[path])
    for item in items:
        labels = {d["locale"]: d["label"] for d in item["display"]}
        assert set(labels) == set(LOCALES)
        for locale in LOCALES:
            assert value_label(".".join(path), item["value"], locale) == labels[locale]


def test_value_labels_read_well() -> None:
    assert value_label("mention", "tres_bien", "fr") == "Très bien"
    assert value_label("mention", "assez_bien", "ar") == "مستحسن"
    assert value_label("session.type", "rattrapage", "en") == "Catch-up session"
    assert value_label("session.type", "normale", "ar") == "الدورة العادية"


def test_labels_fall_back_to_english_then_to_the_name() -> None:
    assert claim_label(["generalAverage"], "de") == "General average"
    assert claim_label(["generalAverage"], "ar-MA") == claim_label(["generalAverage"], "ar")
    assert claim_label(["generalAverage"], "FR") == "Moyenne générale"
    assert claim_label(["nickname"], "fr") == "nickname"
    assert claim_label(["stream", "colour"], "ar") == "stream.colour"
    assert claim_label("stream.code", "fr") == claim_label(["stream", "code"], "fr") == "Code de la filière"
    assert value_label("mention", "bien", "de") == "Good"
    assert value_label("mention", "excellent", "fr") == "excellent"
    assert value_label("school", "x", "fr") == "x"


def test_claims_are_selectively_disclosable_units() -> None:
    entries = claim_entries()
    assert entries[("type",)]["sd"] == "never"
    for claim in SUBJECT_CLAIMS:
        assert entries[(claim,)]["sd"] == "always", claim
        assert entries[(claim,)]["mandatory"] is True, claim
    for path, entry in entries.items():
        if len(path) > 1:
            assert entry["sd"] == "never", path


def test_private_claims_are_never_disclosed_by_default() -> None:
    entries = claim_entries()
    for claim in PRIVATE_CLAIMS:
        assert entries[(claim,)]["sd"] == "always"
        assert entries[(claim,)]["tawtiq:disclosed_by_default"] is False
    by_default = tuple(c for c in SUBJECT_CLAIMS if entries[(c,)]["tawtiq:disclosed_by_default"])
    assert by_default == DEFAULT_DISCLOSED_CLAIMS
    documented = diploma_type_metadata()["tawtiq:extension_members"]
    assert set(documented) == {"tawtiq:disclosed_by_default", "tawtiq:values"}


# --------------------------------------------------------------------------------------------- contexts

W3C_CONTEXT_DIGESTS = {
    "contexts/credentials-v2.json": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    "contexts/credentials-examples-v2.json": "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
}


def test_pinned_contexts_are_the_three_documents() -> None:
    contexts = pinned_contexts()
    assert set(contexts) == {
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
        DIPLOMA_CONTEXT_URL,
    }
    for document in contexts.values():
        assert isinstance(document, dict)
        assert isinstance(document["@context"], dict)
    assert pinned_contexts() is contexts


@pytest.mark.parametrize(("path", "digest"), list(W3C_CONTEXT_DIGESTS.items()))
def test_w3c_contexts_are_byte_exact_copies(path: str, digest: str) -> None:
    assert hashlib.sha256(read_bytes(path)).hexdigest() == digest


def test_base_context_shape_the_engine_relies_on() -> None:
    base = pinned_contexts()["https://www.w3.org/ns/credentials/v2"]["@context"]
    assert base["@protected"] is True
    assert "@vocab" not in base
    vc_terms = base["VerifiableCredential"]["@context"]
    assert {"credentialSubject", "credentialStatus", "credentialSchema", "issuer", "validFrom", "validUntil"} <= set(
        vc_terms
    )
    vp_terms = base["VerifiablePresentation"]["@context"]
    assert {"holder", "verifiableCredential", "proof", "termsOfUse"} <= set(vp_terms)
    assert {"_sd", "_sd_alg", "...", "cnf", "iss", "exp", "nbf", "iat"} <= set(base)
    examples = pinned_contexts()["https://www.w3.org/ns/credentials/examples/v2"]["@context"]
    assert examples == {"@vocab": "https://www.w3.org/ns/credentials/examples#"}


def test_diploma_context_defines_every_term() -> None:
    context = pinned_contexts()[DIPLOMA_CONTEXT_URL]["@context"]
    assert context["@protected"] is True
    assert "@vocab" not in context
    for term in (*SUBJECT_CLAIMS, DIPLOMA_SUBJECT_TYPE, DIPLOMA_CREDENTIAL_TYPE):
        definition = context[term]
        iri = definition if isinstance(definition, str) else definition["@id"]
        assert iri == NS + term
    # Members of object claims are defined in the claim's property-scoped context.
    for path in schema_paths(subject_schema(complete=False)):
        if len(path) == 2:
            scoped = context[path[0]]["@context"]
            assert path[1] in scoped, path
            definition = scoped[path[1]]
            iri = definition if isinstance(definition, str) else definition["@id"]
            assert iri.startswith(NS)
            assert scoped["@protected"] is True


def test_every_shipped_document_is_a_json_object() -> None:
    for document in (
        diploma_type_metadata(),
        reference_data(),
        subject_schema(complete=False),
        credential_schema(),
        *pinned_contexts().values(),
    ):
        assert isinstance(copy.deepcopy(document), dict)
