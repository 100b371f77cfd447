"""The page's verdict names its decisive reason in the page's language, says how old the status data is, and tells
a wallet answer that withheld requested claims from an invalid one."""

from __future__ import annotations

import json
import re

import pytest

import schemas
from tests.verifier.fake_issuer import Answer, FakeIssuer
from tests.verifier.wallet import fetch_request_object, post_response, presentation_for
from vc.encoding import b64url_decode, b64url_encode
from verifier.messages import CHECK_MESSAGES, LISTED_SINCE, VERDICT_REASONS, VERDICTS, WITHHELD
from verifier.reasons import decisive_check

ORIGIN = {"Origin": "https://verify.test.example"}
LOCALES = ["ar", "fr", "en"]


def banner(client, text: str, locale: str) -> str:
    """The text of the verdict banner of the page answering ``text`` pasted, tags removed."""
    page = client.post("/verify", data={"input": text, "lang": locale}, headers=ORIGIN)
    assert page.status_code == 200, page.text
    section = re.search(r'<section class="verdict[^"]*".*?</section>', page.text, re.S)
    assert section is not None
    return " ".join(re.sub(r"<[^>]+>", " ", section.group(0)).split()).replace("&#x27;", "'")


def tampered(token: str) -> str:
    header, payload, signature = token.split("~", 1)[0].split(".")
    claims = json.loads(b64url_decode(payload))
    claims["_sd"] = claims["_sd"][1:]
    forged = ".".join((header, b64url_encode(json.dumps(claims).encode()), signature))
    return forged + "~" + token.split("~", 1)[1]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_revoked_diploma_says_revoked_in_the_banner(client, issuer: FakeIssuer, holder, locale):
    diploma = issuer.issue_w3c(holder)
    issuer.revoke(diploma)
    text = banner(client, diploma.token, locale)
    assert VERDICTS["invalid"][locale] in text
    assert CHECK_MESSAGES["status.revoked"][locale] in text
    assert LISTED_SINCE[locale].format(date="2026-07-01 12:00 UTC") in text  # when the issuer signed that list


@pytest.mark.parametrize("locale", LOCALES)
def test_a_suspended_diploma_says_suspended_in_the_banner(client, issuer: FakeIssuer, holder, locale):
    diploma = issuer.issue_w3c(holder)
    issuer.suspend(diploma)
    assert CHECK_MESSAGES["status.suspended"][locale] in banner(client, diploma.token, locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_an_untrusted_issuer_is_named_as_the_reason(client, clock, tls, holder, locale):
    stranger = FakeIssuer(clock=clock, tls=tls)
    try:
        text = banner(client, stranger.issue_w3c(holder).token, locale)
        assert VERDICT_REASONS["trust.issuer_untrusted"][locale] in text
    finally:
        stranger.stop()


@pytest.mark.parametrize("locale", LOCALES)
def test_a_signature_that_does_not_match_is_named_as_the_reason(client, issuer: FakeIssuer, holder, locale):
    text = banner(client, tampered(issuer.issue_sd_jwt_vc(holder).token), locale)
    assert VERDICT_REASONS["signature.invalid"][locale] in text


@pytest.mark.parametrize("locale", LOCALES)
def test_an_unreachable_status_list_is_what_could_not_be_checked(client, issuer: FakeIssuer, holder, locale):
    diploma = issuer.issue_sd_jwt_vc(holder)
    issuer.overrides["/status/tsl/1"] = Answer(503, b"down for maintenance")
    text = banner(client, diploma.token, locale)
    assert VERDICTS["indeterminate"][locale] in text
    assert VERDICT_REASONS["status.unavailable"][locale] in text


@pytest.mark.parametrize("text", ["hello", "aGVsbG8gd29ybGQsIHRoaXMgaXMgcmFuZG9tIGJhc2U2NA==", "e30.e30", "{}"])
def test_nonsense_is_not_a_credential_rather_than_an_untrusted_issuer(client, text):
    for locale in LOCALES:
        shown = banner(client, text, locale)
        assert VERDICT_REASONS["not_a_credential"][locale] in shown, shown
    page = client.post("/verify", data={"input": text, "lang": "en"}, headers=ORIGIN).text
    assert "Issuer not on the trust list" not in page


def test_a_link_to_another_site_is_refused_as_not_ours(client):
    page = client.post("/verify", data={"input": "https://example.org/diploma/1", "lang": "en"}, headers=ORIGIN)
    assert page.status_code == 400
    assert "Only links of this service are opened" in page.text
    assert "Issuer not on the trust list" not in page.text


def test_the_decisive_reason_follows_the_documented_priority():
    def check(name: str, outcome: str, code: str) -> dict[str, str]:
        return {"check": name, "outcome": outcome, "code": code}

    report = {
        "verdict": "invalid",
        "checks": [
            check("format", "passed", "format.ok"),
            check("signature", "passed", "signature.ok"),
            check("validity", "failed", "validity.expired"),
            check("status", "not_checked", "status.unavailable"),
            check("schema", "not_checked", "check.skipped"),
        ],
        "credentials": [{"checks": [check("status", "failed", "status.revoked")]}],
    }
    assert decisive_check(report) == check("status", "failed", "status.revoked")
    report["credentials"] = []
    assert decisive_check(report) == check("validity", "failed", "validity.expired")
    report["checks"] = [c for c in report["checks"] if c["outcome"] != "failed"]
    assert decisive_check(report) == check("status", "not_checked", "status.unavailable")
    assert decisive_check({"verdict": "valid", "checks": []}) is None


def age_lines(client, text: str, locale: str) -> list[str]:
    page = client.post("/verify", data={"input": text, "lang": locale}, headers=ORIGIN).text
    return [" ".join(line.split()) for line in re.findall(r'<li class="status-age[^"]*">(.*?)</li>', page, re.S)]


def api_verify(client, token: str) -> dict:
    return client.post("/credentials/verify", json={"verifiableCredential": token}).json()


def test_a_page_revalidates_status_older_than_a_minute_while_the_api_keeps_the_ttl(
    client, issuer: FakeIssuer, holder, clock
):
    diploma = issuer.issue_sd_jwt_vc(holder)
    assert api_verify(client, diploma.token)["verdict"] == "valid"
    issuer.revoke(diploma)
    clock.advance(seconds=61)
    assert api_verify(client, diploma.token)["verdict"] == "valid"  # within the issuer's TTL: the kept copy
    assert CHECK_MESSAGES["status.revoked"]["en"] in banner(client, diploma.token, "en")
    requests = [headers for _, path, headers in issuer.requests if path == "/status/tsl/1"]
    assert len(requests) == 2
    assert requests[1]["if-none-match"].startswith('"')


def test_an_unchanged_list_is_revalidated_cheaply_and_the_age_line_says_when_it_was_published(
    client, issuer: FakeIssuer, holder, clock
):
    diploma = issuer.issue_sd_jwt_vc(holder)
    assert age_lines(client, diploma.token, "en") == [
        "revocation: status as published by the issuer at 12:00 UTC, 0 s ago"
    ]
    clock.advance(seconds=45)
    assert age_lines(client, diploma.token, "fr") == [
        "révocation : statut tel que publié par l'émetteur à 12:00 UTC, il y a 45 s".replace("'", "&#x27;")
    ]
    assert issuer.count("/status/tsl/1") == 1  # 45 s is within the page's bound
    clock.advance(seconds=30)
    assert age_lines(client, diploma.token, "ar") == [
        "الإلغاء: الحالة كما نشرتها الجهة المصدرة على الساعة 12:01 UTC، قبل 0 ثانية"
    ]
    requests = [(answer, headers) for answer, path, headers in issuer.requests if path == "/status/tsl/1"]
    assert len(requests) == 2


def test_a_kept_copy_used_during_an_outage_is_labelled_with_its_age(client, issuer: FakeIssuer, holder, clock):
    diploma = issuer.issue_sd_jwt_vc(holder)
    age_lines(client, diploma.token, "en")
    issuer.overrides["/status/tsl/1"] = Answer(503, b"down for maintenance")
    clock.advance(minutes=3)
    assert age_lines(client, diploma.token, "en") == [
        "revocation: could not refresh; status as published by the issuer at 12:00 UTC, 3 min ago"
    ]
    assert age_lines(client, diploma.token, "ar") == [
        "الإلغاء: تعذّر التحديث؛ الحالة كما نشرتها الجهة المصدرة على الساعة 12:00 UTC، قبل 3 دقائق"
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_wallet_answer_withholding_a_requested_claim_is_authentic_but_incomplete(
    client, issuer: FakeIssuer, holder, clock, locale
):
    created = client.post("/oid4vp/requests", json={"claims": ["familyName", "givenName", "mention"]}).json()
    request_object = fetch_request_object(client, created["authorization_request"])
    presentation = presentation_for(
        request_object,
        credential=issuer.issue_sd_jwt_vc(holder).token,
        holder=holder,
        now=clock.now(),
        claims=["familyName", "givenName"],
    )
    assert post_response(client, request_object, presentation).status_code == 200
    state = client.get(created["status_uri"]).json()
    assert state["verified"] is False
    assert [p["title"] for p in state["problemDetails"]] == ["CLAIMS_NOT_SHARED"]
    assert state["problemDetails"][0]["type"] == "https://tawtiq.ma/ns/problems#CLAIMS_NOT_SHARED"

    page = client.get(f"/oid4vp/{created['id']}/result?lang={locale}").text
    section = re.search(r'<section class="verdict withheld".*?</section>', page, re.S)
    assert section is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", section.group(0)).split()).replace("&#x27;", "'")
    assert WITHHELD["heading"][locale] in text
    assert WITHHELD["reason"][locale].format(claims=schemas.claim_label(["mention"], locale)) in text
    assert VERDICTS["invalid"][locale] not in text
