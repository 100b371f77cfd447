"""DCQL credential_sets and claim_sets (OpenID4VP 1.0 §6.4): the first satisfiable option is chosen.

The queries follow the shape of the specification's own examples (Appendix D: the ``pid`` / ``other_pid`` /
``pid_reduced_cred_1`` + ``pid_reduced_cred_2`` / optional ``nice_to_have`` credential sets, and the claim sets
``[a, c, d, e]`` then ``[a, b, e]``), with the diploma standing in for the credentials a diploma wallet holds.
"""

from __future__ import annotations

from typing import Any

import pytest

import schemas
from common.oid4vp_holder import RequestRefusedError, parse_dcql, select

SPEC_PID_VCT = "https://credentials.example.com/identity_credential"
EVERY_CLAIM = frozenset(schemas.SUBJECT_CLAIMS)


def query(
    query_id: str, *, vct: str = schemas.DIPLOMA_VCT, claims: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": query_id,
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct]},
        "claims": [{"path": [name]} for name in (claims or ["familyName", "givenName"])],
        **extra,
    }


def spec_credential_sets(*, pid: str, other_pid: str, reduced: str) -> dict[str, Any]:
    return {
        "credentials": [
            query("pid", vct=pid),
            query("other_pid", vct=other_pid),
            query("pid_reduced_cred_1", vct=reduced, claims=["familyName"]),
            query("pid_reduced_cred_2", vct=reduced, claims=["mention"]),
            query("nice_to_have", claims=["generalAverage"]),
        ],
        "credential_sets": [
            {"options": [["pid"], ["other_pid"], ["pid_reduced_cred_1", "pid_reduced_cred_2"]]},
            {"required": False, "options": [["nice_to_have"]]},
        ],
    }


def test_credential_sets_the_first_option_the_diploma_answers() -> None:
    dcql = parse_dcql(
        spec_credential_sets(pid=SPEC_PID_VCT, other_pid=schemas.DIPLOMA_VCT, reduced=schemas.DIPLOMA_VCT)
    )
    selection = select(dcql, available=EVERY_CLAIM)
    assert [q.id for q in selection.queries] == ["other_pid"]
    assert selection.claims == ("familyName", "givenName")
    # The optional set is not answered: nothing more is disclosed than is needed.
    assert selection.left_out == ("nice_to_have",)


def test_credential_sets_the_first_option_wins_when_several_are_satisfiable() -> None:
    dcql = parse_dcql(
        spec_credential_sets(pid=schemas.DIPLOMA_VCT, other_pid=schemas.DIPLOMA_VCT, reduced=schemas.DIPLOMA_VCT)
    )
    assert [q.id for q in select(dcql, available=EVERY_CLAIM).queries] == ["pid"]


def test_credential_sets_an_option_of_two_queries() -> None:
    dcql = parse_dcql(spec_credential_sets(pid=SPEC_PID_VCT, other_pid=SPEC_PID_VCT, reduced=schemas.DIPLOMA_VCT))
    selection = select(dcql, available=EVERY_CLAIM)
    assert [q.id for q in selection.queries] == ["pid_reduced_cred_1", "pid_reduced_cred_2"]
    assert [q.claims for q in selection.queries] == [("familyName",), ("mention",)]
    assert selection.claims == ("familyName", "mention")


def test_credential_sets_a_required_set_nothing_answers() -> None:
    dcql = parse_dcql(spec_credential_sets(pid=SPEC_PID_VCT, other_pid=SPEC_PID_VCT, reduced=SPEC_PID_VCT))
    with pytest.raises(RequestRefusedError) as refused:
        select(dcql, available=EVERY_CLAIM)
    assert refused.value.code == "request.unsatisfiable"
    assert refused.value.expected == [["pid"], ["other_pid"], ["pid_reduced_cred_1", "pid_reduced_cred_2"]]
    assert "baccalaureate" in str(refused.value.found)


def test_credential_sets_an_option_whose_claims_the_holders_diploma_lacks_is_skipped() -> None:
    document = spec_credential_sets(pid=schemas.DIPLOMA_VCT, other_pid=schemas.DIPLOMA_VCT, reduced=schemas.DIPLOMA_VCT)
    document["credentials"][0]["claims"] = [{"path": ["generalAverage"]}]
    available = EVERY_CLAIM - {"generalAverage"}
    assert [q.id for q in select(parse_dcql(document), available=available).queries] == ["other_pid"]


def claim_sets_query() -> dict[str, Any]:
    # The specification's claim sets: a, c, d, e preferred; a, b, e otherwise.
    claims = [
        {"id": "a", "path": ["familyName"]},
        {"id": "b", "path": ["mention"]},
        {"id": "c", "path": ["stream"]},
        {"id": "d", "path": ["session"]},
        {"id": "e", "path": ["generalAverage"]},
    ]
    return {
        "credentials": [{**query("diploma"), "claims": claims, "claim_sets": [["a", "c", "d", "e"], ["a", "b", "e"]]}]
    }


def test_claim_sets_the_first_set_when_the_diploma_has_it() -> None:
    selection = select(parse_dcql(claim_sets_query()), available=EVERY_CLAIM)
    assert selection.claims == ("familyName", "stream", "session", "generalAverage")


def test_claim_sets_the_next_set_when_a_claim_of_the_first_is_missing() -> None:
    selection = select(parse_dcql(claim_sets_query()), available=EVERY_CLAIM - {"session"})
    assert selection.claims == ("familyName", "mention", "generalAverage")


def test_claim_sets_none_satisfiable() -> None:
    with pytest.raises(RequestRefusedError) as refused:
        select(parse_dcql(claim_sets_query()), available=EVERY_CLAIM - {"generalAverage"})
    assert refused.value.code == "request.claims_missing"
    assert refused.value.found == ["generalAverage"]


def test_claim_sets_with_a_claim_no_diploma_has_fall_back() -> None:
    document = claim_sets_query()
    document["credentials"][0]["claims"][2] = {"id": "c", "path": ["shoeSize"]}
    assert select(parse_dcql(document), available=EVERY_CLAIM).claims == ("familyName", "mention", "generalAverage")


def test_without_credential_sets_every_query_is_needed() -> None:
    both = {"credentials": [query("first"), query("second", claims=["mention"])]}
    assert [q.id for q in select(parse_dcql(both), available=EVERY_CLAIM).queries] == ["first", "second"]
    with pytest.raises(RequestRefusedError) as refused:
        select(parse_dcql({"credentials": [query("first"), query("pid", vct=SPEC_PID_VCT)]}), available=EVERY_CLAIM)
    assert refused.value.code == "request.not_a_diploma"


@pytest.mark.parametrize(
    ("document", "code", "message"),
    [
        (
            {**claim_sets_query(), "credentials": [{**claim_sets_query()["credentials"][0], "claim_sets": [["z"]]}]},
            "request.invalid",
            "claim set names claims",
        ),
        ({"credentials": [query("d")], "credential_sets": [{"options": []}]}, "request.invalid", "no options"),
        (
            {"credentials": [query("d")], "credential_sets": [{"options": [["d"]], "required": "yes"}]},
            "request.invalid",
            "no options",
        ),
        (
            {"credentials": [query("d", claims=None) | {"claims": [{"path": ["mention"], "values": ["Très bien"]}]}]},
            "request.unsupported",
            "given values",
        ),
        (
            {"credentials": [query("d", trusted_authorities=[{"type": "aki", "values": ["x"]}])]},
            "request.unsupported",
            "trusted_authorities",
        ),
        ({"credentials": [query("not an id!")]}, "request.invalid", "not an identifier"),
        (
            {
                "credentials": [
                    {**query("d"), "claims": [{"id": "a", "path": ["mention"]}, {"id": "a", "path": ["stream"]}]}
                ]
            },
            "request.invalid",
            "repeats a claim id",
        ),
        ({"credentials": [{**query("d"), "claims": [{"path": ["mention", True]}]}]}, "request.invalid", "path"),
    ],
)
def test_malformed_or_unsupported_queries(document: dict[str, Any], code: str, message: str) -> None:
    with pytest.raises(RequestRefusedError) as refused:
        select(parse_dcql(document), available=EVERY_CLAIM)
    assert refused.value.code == code
    assert message in str(refused.value)
