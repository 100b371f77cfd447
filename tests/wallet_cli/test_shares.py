"""Share links at the real verifier, `verify` against the real issuer, and what a revocation does to both."""

from __future__ import annotations

import json
import ssl
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.wallet_cli.conftest import Wallet, receive
from tests.wallet_cli.platform import Platform
from wallet_cli.commands import runtime
from wallet_cli.durations import describe, parse_duration
from wallet_cli.errors import UsageError


def test_a_share_link_verifies_with_exactly_the_chosen_claims(wallet: Wallet, platform: Platform) -> None:
    graduate, _answer = receive(wallet, platform)
    made = wallet.json(
        "share", "--verifier", platform.verifier.url, "--disclose", "familyName,givenName,mention", "--expires", "30d"
    )
    assert made["verdict"] == "valid"
    assert made["url"].startswith(f"{platform.verifier.url}/s/")
    opened = platform.verifier.open_share(made["url"])
    assert opened.status_code == 200
    body = opened.json()
    assert body["verdict"] == "valid"
    claims = body["report"]["claims"]
    assert {"familyName", "givenName", "mention"} <= set(claims)
    assert not {"cnie", "birthDate", "birthPlace", "massarCode", "generalAverage", "school"} & set(claims)
    assert claims["familyName"]["lat"] == graduate["familyName.lat"]
    listed = wallet.json("shares", "--live")["shares"]
    assert [(item["id"], item["state"], item["live"]) for item in listed] == [(made["id"], "active", "valid")]


def test_revocation_shows_in_verify_and_in_the_share_link(wallet: Wallet, platform: Platform) -> None:
    graduate, answer = receive(wallet, platform)
    made = wallet.json("share", "--verifier", platform.verifier.url, "--disclose", "familyName,mention")
    assert wallet.json("verify", answer["diploma"])["verdict"] == "valid"

    platform.issuer.revoke(graduate["cnie"])
    time.sleep(1.2)  # the status lists' ttl in this platform is one second

    result = wallet("verify", answer["diploma"], "--json")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "invalid"
    for copy in report["copies"]:
        status = next(check for check in copy["checks"] if check["check"] == "status")
        assert status["code"] == "status.revoked", status
        others = [check for check in copy["checks"] if check["check"] != "status"]
        assert {check["outcome"] for check in others} == {"passed"}
    text = wallet("verify", answer["diploma"])
    assert "INVALID" in text.stdout
    assert "status.revoked" in text.stdout

    opened = platform.verifier.open_share(made["url"]).json()
    assert opened["verdict"] == "invalid"
    assert [problem["checkCode"] for problem in opened["problemDetails"]] == ["status.revoked"]
    assert wallet.json("shares", "--live")["shares"][0]["live"] == "invalid"


def test_a_withdrawn_link_is_gone(wallet: Wallet, platform: Platform) -> None:
    receive(wallet, platform)
    made = wallet.json("share", "--verifier", platform.verifier.url, "--disclose", "mention", "--expires", "1h")
    withdrawn = wallet.json("unshare", made["id"][:6])
    assert withdrawn == {"ok": True, "id": made["id"], "withdrawn": True, "was_active": True}
    assert platform.verifier.open_share(made["url"]).status_code == 410
    listed = wallet.json("shares")["shares"]
    assert listed[0]["state"] == "withdrawn"
    again = wallet("unshare", made["id"])
    assert again.exit_code == 2
    assert "already withdrawn" in again.stderr


def test_the_link_qr_code_is_printed_and_saved(wallet: Wallet, platform: Platform, tmp_path: Path) -> None:
    receive(wallet, platform)
    png, svg = tmp_path / "link.png", tmp_path / "link.svg"
    result = wallet(
        "share", "--verifier", platform.verifier.url, "--disclose", "mention", "--png", str(png), "--svg", str(svg)
    )
    assert result.exit_code == 0, result.stderr
    url = next(line for line in result.stdout.splitlines() if line.startswith("http"))
    assert "█" in result.stdout
    (decoded,) = zxingcpp.read_barcodes(Image.open(png))
    assert decoded.text == url
    assert svg.read_text().lstrip().startswith("<?xml")


def test_sharing_the_cnie_asks_first(wallet: Wallet, platform: Platform) -> None:
    receive(wallet, platform)
    before = wallet.files()
    result = wallet("share", "--verifier", platform.verifier.url, "--disclose", "familyName,cnie", input="n\n")
    assert result.exit_code == 1
    assert "You are about to disclose personal data: cnie" in result.stderr
    assert wallet.files() == before


def test_a_share_uses_the_w3c_copy_when_asked(wallet: Wallet, platform: Platform) -> None:
    receive(wallet, platform)
    made = wallet.json(
        "share", "--verifier", platform.verifier.url, "--disclose", "familyName,mention", "--profile", "vc+sd-jwt"
    )
    body = platform.verifier.open_share(made["url"]).json()
    assert body["verdict"] == "valid"
    assert body["report"]["profile"] == "vc+sd-jwt"


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--expires", "7x"], 2, "--expires is not a duration"),
        (["--expires", "0d"], 2, "longer than zero"),
        (["--expires", "400d"], 2, "too long"),
        (["--expires", "10m"], 1, "the verifier refused the share"),
        (["--disclose", "nickname"], 2, "claims a diploma does not have"),
        (["--verifier", "http://verify.example.ma"], 1, "plain http"),
        (["--verifier", "not a url"], 1, "not an https URL"),
    ],
)
def test_bad_share_options_are_refused_and_change_nothing(
    wallet: Wallet, platform: Platform, options: list[str], code: int, message: str
) -> None:
    receive(wallet, platform)
    arguments = {"--verifier": platform.verifier.url, "--disclose": "mention", "--expires": "7d"}
    for name, value in zip(options[::2], options[1::2], strict=True):
        arguments[name] = value
    before = wallet.files()
    result = wallet("share", *[part for pair in arguments.items() for part in pair])
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert wallet.files() == before


def test_verify_of_an_unknown_diploma_is_a_usage_error(wallet: Wallet) -> None:
    result = wallet("verify", "nope")
    assert result.exit_code == 2
    assert "no diploma with id 'nope'" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", timedelta(hours=1)),
        ("7d", timedelta(days=7)),
        ("30D", timedelta(days=30)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        (" 12h ", timedelta(hours=12)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "1.5h", "-1d", "7 days", "1y", "0h", "999999d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_duration(text)
    assert refused.value.code == "duration.invalid"


def test_durations_are_described() -> None:
    assert describe(timedelta(days=7)) == "7 days"
    assert describe(timedelta(hours=1)) == "1 hour"
    assert describe(timedelta(minutes=90)) == "90 minutes"


class Outage(httpx.BaseTransport):
    """The network as seen during an outage: the issuer does not answer at all, or its status lists fail."""

    def __init__(self, certificate: Path, *, what: str) -> None:
        self.inner = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(certificate)))
        self.what = what

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.what == "issuer":
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path.startswith("/status/"):
            return httpx.Response(503, text="maintenance")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(("what", "code"), [("issuer", "issuer.keys_unavailable"), ("status", "status.unavailable")])
def test_verify_says_indeterminate_when_the_issuer_cannot_answer(
    wallet: Wallet, platform: Platform, monkeypatch: pytest.MonkeyPatch, what: str, code: str
) -> None:
    _graduate, answer = receive(wallet, platform)
    monkeypatch.setattr(runtime, "http_transport", lambda: Outage(platform.issuer.certificate, what=what))
    result = wallet("verify", answer["diploma"], "--json")
    assert result.exit_code == 2, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "indeterminate"
    for copy in report["copies"]:
        assert code in [check["code"] for check in copy["checks"]]
        assert "failed" not in [check["outcome"] for check in copy["checks"]]
