"""The wallet's reading of credential offers and their PIN descriptions (OpenID4VCI §4.1)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.oid4vci import TxCode, parse_offer, parse_offer_link

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def offer(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "credential_issuer": "https://bac.example.ma",
        "credential_configuration_ids": ["BaccalaureateDiploma_dc_sd_jwt"],
        "grants": {GRANT: {"pre-authorized_code": "abc", "tx_code": {"input_mode": "numeric", "length": 6}}},
    }
    document.update(changes)
    return document


def test_an_offer_by_reference_and_by_value() -> None:
    assert parse_offer_link("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fi%2Fo%2F1") == (
        "https://i/o/1",
        None,
    )
    by_value = "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer()))
    uri, document = parse_offer_link(by_value)
    assert uri is None
    assert document is not None
    parsed = parse_offer(document)
    assert parsed.issuer == "https://bac.example.ma"
    assert parsed.tx_code == TxCode("numeric", 6, None)


def test_an_offer_with_only_the_authorization_code_grant_is_read() -> None:
    parsed = parse_offer(offer(grants={"authorization_code": {"issuer_state": "abc"}}))
    assert parsed.pre_authorized_code is None
    assert parsed.issuer_state == "abc"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (offer(credential_issuer="http://bac.example.ma"), "plain http"),
        (offer(credential_configuration_ids=[]), "names no credential configuration"),
        (offer(grants={}), "neither a pre-authorized code nor an authorization code grant"),
        (offer(grants={"authorization_code": {"issuer_state": 5}}), "issuer_state is not a short string"),
        (offer(grants={GRANT: {"pre-authorized_code": ""}}), "pre-authorized code is missing"),
        (offer(grants={GRANT: {"pre-authorized_code": "a", "tx_code": {"input_mode": "voice"}}}), "input_mode"),
        (offer(grants={GRANT: {"pre-authorized_code": "a", "tx_code": {"length": 1000}}}), "length"),
    ],
)
def test_bad_offers_are_refused(document: dict[str, Any], message: str) -> None:
    with pytest.raises(RefusedError, match=message):
        parse_offer(document)


def test_a_pin_is_checked_before_it_is_sent() -> None:
    code = TxCode("numeric", 6, None)
    assert code.check(" 123456 ") == "123456"
    assert code.check("١٢٣٤٥٦") == "123456"
    assert code.check("۱۲۳۴۵۶") == "123456"
    for wrong in ("12345", "1234567", "12a456", "١٢٣٤٥", "²³⁴⁵⁶⁷", ""):
        with pytest.raises(UsageError):
            code.check(wrong)
    assert TxCode("text", None, None).check("a-b") == "a-b"


def test_error_answers_are_read_as_oauth_objects_and_as_problem_details() -> None:
    from wallet_cli.net import Answer

    def answer(status: int, body: bytes, content_type: str) -> Answer:
        return Answer(
            url="https://bac.example.ma/x", status=status, content_type=content_type, body=body, what="issuer"
        )

    oauth = answer(400, b'{"error": "invalid_grant", "error_description": "wrong code"}', "application/json")
    assert oauth.oauth_error() == ("invalid_grant", "wrong code")
    problem = answer(
        410,
        b'{"type": "https://tawtiq.ma/ns/problems#offer.gone", "title": "the offer has expired", "status": 410,'
        b' "detail": "the offer has expired; found 2026-07-01", "code": "offer.gone"}',
        "application/problem+json",
    )
    assert problem.oauth_error() == ("offer.gone", "the offer has expired; found 2026-07-01")
    assert answer(502, b"<html>", "text/html").oauth_error() == ("http_502", "<html>")


def test_a_deeply_nested_error_answer_is_read_as_an_unreadable_error_not_a_recursion_error() -> None:
    from wallet_cli.net import Answer

    for depth in (3_000, 200):  # beyond the parser's bound, and beyond the depth the engine walks
        body = b'{"error": ' + b"[" * depth + b"]" * depth + b"}"
        deep = Answer(url="https://bac.example.ma/x", status=400, content_type="application/json", body=body, what="x")
        assert deep.oauth_error() == ("http_400", body.decode()[:200])


def deep_offer_link(depth: int) -> str:
    """An offer link whose offer carries a list nested ``depth`` levels (brackets unescaped, as pasted)."""
    head = quote('{"credential_issuer": "https://bac.example.ma", "credential_configuration_ids": ')
    return f"openid-credential-offer://?credential_offer={head}{'[' * depth}{']' * depth}{quote('}')}"


@pytest.mark.parametrize(
    ("depth", "message"),
    [
        (65, "the offer in the link is nested too deeply; found > 64 levels; expected at most 64 levels"),
        (3000, "the offer in the link is not JSON; found depth limit exceeded"),
    ],
)
def test_a_deeply_nested_offer_in_a_link_is_refused_clearly(depth: int, message: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_offer_link(deep_offer_link(depth))
    assert refused.value.code == "offer.invalid"
    assert message in str(refused.value)


def test_an_offer_nested_as_deep_as_the_engine_walks_is_read() -> None:
    _uri, document = parse_offer_link(deep_offer_link(63))
    assert document is not None
    with pytest.raises(RefusedError, match="names no credential configuration"):
        parse_offer(document)
