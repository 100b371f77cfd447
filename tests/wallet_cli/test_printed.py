"""``tawtiq-wallet verify-printed``: a printed diploma's offline QR, from its text or a photo, checked against the
issuer's published keys and current status list."""

from __future__ import annotations

from pathlib import Path

from common.qr import PRINTED_ERROR, qr_png
from tests.wallet_cli.conftest import Wallet
from tests.wallet_cli.platform import Platform
from vc import SigningKey, decode_offline, issue_offline


def _check(answer: dict, name: str) -> tuple[str, str]:
    check = next(c for c in answer["checks"] if c["check"] == name)
    return check["outcome"], check["code"]


def test_a_printed_code_verifies_from_its_text_and_from_a_photo(tmp_path: Path, platform: Platform) -> None:
    wallet = Wallet(tmp_path / "w", ca_file=platform.issuer.certificate)
    text = platform.issuer.offline_qr(platform.issuer.graduate()["cnie"])
    answer = wallet.json("verify-printed", text, "--issuer", platform.issuer.url)
    assert answer["verdict"] == "valid", answer["checks"]
    assert answer["profile"] == "tq1"
    assert _check(answer, "status") == ("passed", "status.ok")
    picture = tmp_path / "diploma.png"
    picture.write_bytes(qr_png(text, scale=5, error=PRINTED_ERROR))
    assert wallet.json("verify-printed", str(picture), "--issuer", platform.issuer.url)["verdict"] == "valid"
    shown = wallet("verify-printed", text, "--issuer", platform.issuer.url, "--lang", "fr")
    assert shown.exit_code == 0, shown.stderr
    assert "printed diploma (TQ1)" in shown.stdout


def test_a_revoked_forged_or_foreign_code_is_refused(tmp_path: Path, platform: Platform) -> None:
    wallet = Wallet(tmp_path / "w", ca_file=platform.issuer.certificate)
    graduate = platform.issuer.graduate()
    text = platform.issuer.offline_qr(graduate["cnie"])
    platform.issuer.revoke(graduate["cnie"])
    revoked = wallet.json("verify-printed", text, "--issuer", platform.issuer.url, expect=1)
    assert _check(revoked, "status") == ("failed", "status.revoked")

    decoded = decode_offline(platform.issuer.offline_qr(platform.issuer.graduate()["cnie"]))
    forged = issue_offline(
        decoded.diploma,
        issuer=platform.issuer.url,
        key=SigningKey.generate(),
        issued_at=decoded.issued_at,
        status=decoded.status,
    )
    refused = wallet.json("verify-printed", forged, "--issuer", platform.issuer.url, expect=1)
    assert _check(refused, "signature") == ("failed", "offline.kid_mismatch")

    other = wallet.json("verify-printed", text, "--issuer", "https://elsewhere.example", expect=1)
    assert _check(other, "issuer_trust") == ("failed", "trust.issuer_untrusted")


def test_a_photo_without_a_code_or_a_cut_text_is_a_clear_refusal(tmp_path: Path, platform: Platform) -> None:
    wallet = Wallet(tmp_path / "w", ca_file=platform.issuer.certificate)
    blank = tmp_path / "blank.png"
    blank.write_bytes(qr_png("x")[:60])  # a PNG cut short
    result = wallet("verify-printed", str(blank), "--issuer", platform.issuer.url)
    assert result.exit_code == 2
    assert "qr.image_unreadable" in result.stderr or "truncated" in result.stderr
    text = platform.issuer.offline_qr(platform.issuer.graduate()["cnie"])
    body = text[4:]
    cut = wallet.json(
        "verify-printed", text[:4] + body[: (len(body) - 2) // 3 * 3 + 1], "--issuer", platform.issuer.url, expect=1
    )
    assert _check(cut, "format") == ("failed", "offline.base45")
    missing = wallet("verify-printed", str(tmp_path / "absent.png"), "--issuer", platform.issuer.url)
    assert missing.exit_code == 2
