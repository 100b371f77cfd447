"""`tawtiq-wallet present`: answering the real verifier's OpenID4VP requests, and refusing bad requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import segno

from tests.wallet_cli.conftest import Wallet, receive
from tests.wallet_cli.platform import CERTIFIED_NAME, REGISTRAR_NAME, RELYING_PARTY, Platform

ASKED = ["familyName", "givenName", "stream", "session", "mention"]


@pytest.fixture
def holder(wallet: Wallet, platform: Platform) -> tuple[Wallet, dict[str, str]]:
    graduate, _answer = receive(wallet, platform)
    return wallet, graduate


def disclosed_claims(result: dict[str, Any]) -> set[str]:
    claims = result["report"]["claims"]
    return {name for name in claims if name not in {"iss", "vct", "iat", "cnf", "status", "_sd_alg"}}


def test_the_verifier_reports_valid_with_exactly_the_chosen_claims(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, graduate = holder
    request = platform.verifier.request(ASKED)
    answer = wallet.json("present", request["authorization_request"], "--disclose", ",".join(ASKED))
    assert answer["answer"] == "sent"
    assert answer["disclosed"] == ASKED
    assert answer["verifier"]["authenticated"] is False
    assert answer["verifier"]["relying_party"] is None  # an anonymous request names nobody
    # The verifier's redirect_uri leads to its verdict, which the wallet read and reports.
    assert answer["verdict"] == "valid"
    assert answer["redirect_uri"].startswith(f"{platform.verifier.url}/oid4vp/outcome/")
    result = platform.verifier.wait_for_answer(request["id"])
    assert result["status"] == "answered"
    assert result["verdict"] == "valid", result["problemDetails"]
    assert disclosed_claims(result) == set(ASKED)
    assert result["report"]["claims"]["familyName"]["lat"] == graduate["familyName.lat"]
    assert "cnie" not in result["report"]["claims"]


def test_the_holder_chooses_claim_by_claim_and_withholding_one_is_warned_about(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["familyName", "givenName", "mention"])
    # yes to familyName, no to givenName, yes to mention, then confirm sending
    result = wallet("present", request["authorization_request"], input="y\nn\ny\ny\n")
    assert result.exit_code == 0, result.stderr
    assert "not disclosing givenName" in result.stderr
    assert "Send 2 claim(s) to 127.0.0.1" in result.stderr
    # The wallet read the verifier's verdict from its redirect_uri and says it, with the reason.
    assert "The verifier's verdict: invalid" in result.stdout
    answered = platform.verifier.wait_for_answer(request["id"])
    assert disclosed_claims(answered) == {"familyName", "mention"}
    # the verifier asked for givenName too, so its policy is not met: the wallet warned
    assert answered["verdict"] == "invalid"


def test_an_unknown_verifier_is_shown_as_such_before_anything_is_disclosed(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["familyName", "mention"])
    # Answer no to the final question: nothing may have been sent.
    result = wallet("present", request["authorization_request"], input="y\ny\nn\n")
    assert result.exit_code == 1
    assert "UNKNOWN VERIFIER" in result.stderr
    assert "Not authenticated" in result.stderr
    assert result.stderr.index("UNKNOWN VERIFIER") < result.stderr.index("Disclose familyName")
    assert "nothing was sent" in result.stderr
    assert platform.verifier.result(request["id"])["status"] == "retrieved"

    # After an answer the verifier is "seen"; once on the known list, it is shown with the holder's name.
    second = platform.verifier.request(["mention"])
    assert wallet("present", second["authorization_request"], "--all-requested").exit_code == 0
    third = platform.verifier.request(["mention"])
    seen = wallet("present", third["authorization_request"], "--all-requested")
    assert "UNKNOWN VERIFIER" not in seen.stderr
    assert "Not on your list of known verifiers; you answered it 1 time(s) before" in seen.stderr
    assert wallet("verifiers", "add", platform.verifier.url, "--name", "Université de test").exit_code == 0
    fourth = platform.verifier.request(["mention"])
    known = wallet.json("present", fourth["authorization_request"], "--all-requested")
    assert known["verifier"]["standing"] == "known"
    listed = wallet.json("verifiers", "list")["verifiers"]
    assert listed == [
        {**listed[0], "origin": platform.verifier.url, "name": "Université de test", "known": True, "presentations": 3}
    ]


def test_disclosing_the_cnie_needs_an_explicit_confirmation(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, graduate = holder
    request = platform.verifier.request(["familyName", "cnie"], as_relying_party=True)
    refused = wallet("present", request["authorization_request"], "--disclose", "familyName,cnie", input="n\n")
    assert refused.exit_code == 1
    assert "You are about to disclose personal data: cnie" in refused.stderr
    assert platform.verifier.result(request["id"])["status"] == "retrieved"

    confirmed = wallet("present", request["authorization_request"], "--disclose", "familyName,cnie", "--yes")
    assert confirmed.exit_code == 0, confirmed.stderr
    assert "You are about to disclose personal data: cnie" in confirmed.stderr
    assert "--yes: disclosing cnie without asking" in confirmed.stderr
    result = platform.verifier.wait_for_answer(request["id"])
    assert result["verdict"] == "valid"
    assert result["report"]["claims"]["cnie"] == graduate["cnie"]


def test_private_claims_are_not_preselected_in_the_checklist(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["familyName", "birthDate"], as_relying_party=True)
    # Enter takes the defaults: familyName yes, birthDate no; then confirm.
    result = wallet("present", request["authorization_request"], input="\n\ny\n")
    assert result.exit_code == 0, result.stderr
    assert f"Requested by {RELYING_PARTY} (authenticated by {platform.verifier.url})" in result.stderr
    assert "Disclose birthDate (Date de naissance)? [y/N]" in result.stderr
    assert disclosed_claims(platform.verifier.wait_for_answer(request["id"])) == {"familyName"}


def test_declining_tells_the_verifier(holder: tuple[Wallet, dict[str, str]], platform: Platform) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["familyName"])
    answer = wallet.json("present", request["authorization_request"], "--decline")
    assert answer == {**answer, "answer": "declined", "disclosed": []}
    result = platform.verifier.result(request["id"])
    assert result["status"] == "failed"
    assert result["wallet_error"] == "access_denied"


def test_a_request_is_read_from_a_photo_of_its_qr_code(
    holder: tuple[Wallet, dict[str, str]], platform: Platform, tmp_path: Path
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["familyName", "mention"])
    picture = tmp_path / "request.png"
    segno.make(request["authorization_request"], error="m").save(str(picture), scale=6)
    answer = wallet.json("present", str(picture), "--all-requested")
    assert answer["disclosed"] == ["familyName", "mention"]
    assert platform.verifier.wait_for_answer(request["id"])["verdict"] == "valid"


def test_the_verifiers_own_qr_png_is_read(
    holder: tuple[Wallet, dict[str, str]], platform: Platform, tmp_path: Path
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["mention"])
    png = platform.verifier.client.get(platform.verifier.url + request["qr"]["png"])
    assert png.status_code == 200
    picture = tmp_path / "screen.png"
    picture.write_bytes(png.content)
    assert wallet("present", str(picture), "--all-requested").exit_code == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--disclose", "familyName,shoeSize"], "claims a diploma does not have: shoeSize"),
        (["--disclose", "familyName.lat"], "parts of claims: familyName.lat"),
        (["--disclose", " , "], "names no claim"),
        (["--disclose", "givenName"], "the verifier did not ask for: givenName"),
        (["--disclose", "familyName", "--all-requested"], "only one of"),
    ],
)
def test_bad_disclosure_choices_are_refused_and_nothing_is_sent(
    holder: tuple[Wallet, dict[str, str]], platform: Platform, options: list[str], message: str
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["familyName", "mention"])
    before = wallet.files()
    result = wallet("present", request["authorization_request"], *options)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert wallet.files() == before
    assert platform.verifier.result(request["id"])["status"] in ("pending", "retrieved")


def test_an_answered_request_cannot_be_answered_again(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["mention"])
    assert wallet("present", request["authorization_request"], "--all-requested").exit_code == 0
    again = wallet("present", request["authorization_request"], "--all-requested")
    assert again.exit_code == 1
    assert "no longer has this request" in again.stderr


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fv.example%2Fr", "has no request_uri"),
        ("openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fq", "has no client_id"),
        ("https://verify.example/oid4vp", "neither a openid4vp:// link nor an image file"),
        (
            "openid4vp://?client_id=redirect_uri%3Ahttp%3A%2F%2Fv.example%2Fr&request_uri=http%3A%2F%2Fv.example%2Fq",
            "plain http",
        ),
    ],
)
def test_bad_request_links_are_refused(holder: tuple[Wallet, dict[str, str]], link: str, message: str) -> None:
    wallet, _graduate = holder
    before = wallet.files()
    result = wallet("present", link, "--all-requested")
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert wallet.files() == before


def test_presenting_without_a_diploma_says_so(wallet: Wallet, platform: Platform) -> None:
    request = platform.verifier.request(["mention"])
    result = wallet("present", request["authorization_request"], "--all-requested")
    assert result.exit_code == 2
    assert "the wallet holds no diploma with a dc+sd-jwt copy" in result.stderr
    assert "Receive one first" in result.stderr
    receive(wallet, platform, "--profile", "vc+sd-jwt")
    w3c_only = wallet("present", request["authorization_request"], "--all-requested")
    assert w3c_only.exit_code == 2
    assert "have only vc+sd-jwt copies" in w3c_only.stderr


def test_copies_are_used_in_turn(wallet: Wallet, platform: Platform) -> None:
    receive(wallet, platform, "--profile", "dc+sd-jwt", "--copies", "2")
    used = set()
    for _ in range(2):
        request = platform.verifier.request(["mention"])
        used.add(wallet.json("present", request["authorization_request"], "--all-requested")["copy"])
    assert len(used) == 2


def test_the_request_shows_labels_in_the_chosen_language(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.verifier.request(["familyName", "mention"])
    result = wallet("present", request["authorization_request"], "--all-requested", "--lang", "ar")
    assert result.exit_code == 0
    assert "الاسم العائلي" in result.stderr
    assert "Family name" not in result.stderr


# -- A verifier certified by a registrar (x509_hash, signed requests) --------------------------------------------


def test_a_certified_verifier_is_shown_by_its_certified_name(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.certified_verifier.request(["familyName", "mention"])
    assert request["client_id"].startswith("x509_hash:")
    assert "request_uri_method=post" in request["authorization_request"]
    result = wallet(
        "present", request["authorization_request"], "--all-requested", "--trust-anchors", str(platform.registrar_ca)
    )
    assert result.exit_code == 0, result.stderr
    assert f"Who is asking: {CERTIFIED_NAME} — certified by {REGISTRAR_NAME}" in result.stderr
    assert "UNKNOWN VERIFIER" not in result.stderr
    assert "Not authenticated" not in result.stderr
    assert "The verifier's verdict: valid." in result.stdout
    assert platform.certified_verifier.wait_for_answer(request["id"])["verdict"] == "valid"


def test_a_certified_verifier_by_value_through_the_environment_setting(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.certified_verifier.request(["mention"])
    answer = wallet.json(
        "present",
        request["authorization_request_by_value"],
        "--all-requested",
        TAWTIQ_WALLET_TRUST_ANCHORS=str(platform.registrar_ca),
    )
    assert answer["verifier"]["authenticated"] is True
    assert answer["verifier"]["certified_name"] == CERTIFIED_NAME
    assert answer["verifier"]["certified_by"] == REGISTRAR_NAME
    assert answer["verifier"]["standing"] == "certified"
    assert answer["verdict"] == "valid"


def test_a_verifier_certified_by_a_registrar_the_wallet_does_not_trust_is_refused(
    holder: tuple[Wallet, dict[str, str]], platform: Platform
) -> None:
    wallet, _graduate = holder
    request = platform.certified_verifier.request(["mention"])
    result = wallet("present", request["authorization_request"], "--all-requested")  # the shipped anchors only
    assert result.exit_code == 1
    assert "x509.untrusted" in result.stderr
    assert "not issued by a registrar this wallet trusts" in result.stderr
    assert platform.certified_verifier.result(request["id"])["status"] == "retrieved"


def test_a_trust_anchors_file_without_certificates_is_refused(
    holder: tuple[Wallet, dict[str, str]], platform: Platform, tmp_path: Path
) -> None:
    wallet, _graduate = holder
    empty = tmp_path / "anchors.pem"
    empty.write_text("# nothing here\n")
    request = platform.certified_verifier.request(["mention"])
    result = wallet("present", request["authorization_request"], "--all-requested", "--trust-anchors", str(empty))
    assert result.exit_code == 2
    assert "trust_anchors.invalid" in result.stderr
