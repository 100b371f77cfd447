"""`tawtiq-wallet receive` against the real issuer: verified copies bound to fresh keys, and every refusal."""

from __future__ import annotations

import io
import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import segno
from PIL import Image

from tests.wallet_cli.conftest import PASSPHRASE, Wallet, receive
from tests.wallet_cli.fake_issuer import MODES, fake_issuer_app
from tests.wallet_cli.platform import Platform, Server, free_port
from vc import sdjwt
from vc.encoding import json_object
from vc.jose import parse_compact, thumbprint
from wallet_cli.commands import runtime
from wallet_cli.store import Store


@contextmanager
def unchanged(wallet: Wallet) -> Iterator[None]:
    before = wallet.files()
    yield
    assert wallet.files() == before


def stored(wallet: Wallet) -> Store:
    return Store(wallet.directory)


def cnf_thumbprint(credential: str) -> str:
    payload = json_object(parse_compact(sdjwt.parse(credential).issuer_jwt).payload, what="payload")
    return thumbprint(payload["cnf"]["jwk"])


def test_a_graduate_receives_both_profiles_verified_and_bound_to_fresh_keys(wallet: Wallet, platform: Platform) -> None:
    graduate, answer = receive(wallet, platform)
    assert answer["ok"] is True
    assert sorted(copy["profile"] for copy in answer["new_copies"]) == ["dc+sd-jwt", "vc+sd-jwt"]
    assert answer["issuer"] == platform.issuer.url
    for checks in answer["checks"]:
        assert {check["outcome"] for check in checks} == {"passed"}, checks

    data = stored(wallet).read(PASSPHRASE.encode()).data
    (diploma,) = data.diplomas
    keys = [copy.signing_key() for copy in diploma.copies]
    assert len({key.public.thumbprint() for key in keys}) == 2
    for copy, key in zip(diploma.copies, keys, strict=True):
        assert cnf_thumbprint(copy.credential) == key.public.thumbprint()

    shown = wallet.json("show", diploma.id)
    values = {claim["name"]: claim["value"] for claim in shown["claims"]}
    assert values["cnie"] == graduate["cnie"]
    assert values["familyName"]["lat"] == graduate["familyName.lat"]
    labels = {claim["name"]: claim["labels"] for claim in shown["claims"]}
    assert all(labels["cnie"][language] for language in ("ar", "fr", "en"))
    assert shown["issuer_name"]["ar"].startswith("وزارة")


def test_several_copies_of_one_profile_each_with_its_own_key(wallet: Wallet, platform: Platform) -> None:
    _graduate, answer = receive(wallet, platform, "--copies", "3", "--profile", "dc+sd-jwt")
    assert [copy["profile"] for copy in answer["new_copies"]] == ["dc+sd-jwt"] * 3
    (diploma,) = stored(wallet).read(PASSPHRASE.encode()).data.diplomas
    assert len({copy.signing_key().public.thumbprint() for copy in diploma.copies}) == 3
    listed = wallet.json("list")["diplomas"]
    assert listed[0]["copies"] == {"dc+sd-jwt": 3}


def test_receiving_the_same_diploma_again_adds_copies_to_it(wallet: Wallet, platform: Platform) -> None:
    graduate, first = receive(wallet, platform, "--profile", "vc+sd-jwt")
    offer = platform.issuer.offer(graduate["cnie"])
    second = wallet.json("receive", offer.offer_uri, "--tx-code", offer.tx_code, "--profile", "dc+sd-jwt")
    assert second["diploma"] == first["diploma"]
    assert second["copies"] == 2
    assert len(wallet.json("list")["diplomas"]) == 1


def test_the_offer_is_read_from_a_screenshot_of_its_qr_code(wallet: Wallet, platform: Platform, tmp_path: Path) -> None:
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    code = io.BytesIO()
    segno.make(offer.offer_uri, error="m").save(code, kind="png", scale=5, border=4)
    screenshot = Image.new("RGB", (900, 1400), "white")
    screenshot.paste(Image.open(code).convert("RGB"), (180, 400))
    picture = tmp_path / "screenshot.png"
    screenshot.save(picture)
    result = wallet("receive", str(picture), "--tx-code", offer.tx_code)
    assert result.exit_code == 0, result.stderr
    assert "QR code read from" in result.stderr
    assert "Received and verified 2 copies" in result.stdout


def test_a_picture_without_a_qr_code_is_refused_clearly(wallet: Wallet, tmp_path: Path) -> None:
    picture = tmp_path / "cat.png"
    Image.new("RGB", (400, 300), (200, 120, 40)).save(picture)
    with unchanged(wallet):
        result = wallet("receive", str(picture), "--tx-code", "123456")
    assert result.exit_code == 1
    assert "no QR code was found" in result.stderr
    assert "qr.not_found" in result.stderr


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("GIF", "qr.image_type_unsupported", "found GIF; expected a PNG, JPEG or WebP image"),
        ("truncated", "qr.image_unreadable", "the PNG image is truncated or damaged"),
    ],
)
def test_a_picture_that_cannot_be_read_is_a_usage_error(
    wallet: Wallet, tmp_path: Path, kind: str, code: str, message: str
) -> None:
    picture = tmp_path / "offer.img"
    content = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 120, 40)).save(content, "GIF" if kind == "GIF" else "PNG")
    picture.write_bytes(content.getvalue() if kind == "GIF" else content.getvalue()[:-40])
    with unchanged(wallet):
        result = wallet("receive", str(picture), "--tx-code", "123456")
    assert result.exit_code == 2
    assert code in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("link", "exit_code", "message"),
    [
        ("https://bac.example.ma/offers/1", 2, "neither a openid-credential-offer:// link nor an image file"),
        ("openid-credential-offer://?something=else", 2, "exactly one credential_offer_uri or credential_offer"),
        ("openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fbac.example.ma%2Foffers%2F1", 1, "plain http"),
        (
            "openid-credential-offer://?credential_offer_uri=ftp%3A%2F%2Fbac.example.ma%2Foffers%2F1",
            1,
            "not an https URL",
        ),
        ("openid-credential-offer://?credential_offer=%7Bnot%20json", 2, "not JSON"),
        ("no-such-file.png", 2, "neither a openid-credential-offer:// link nor an image file"),
    ],
)
def test_bad_offer_links_are_refused_and_change_nothing(
    wallet: Wallet, link: str, exit_code: int, message: str
) -> None:
    with unchanged(wallet):
        result = wallet("receive", link, "--tx-code", "123456")
    assert result.exit_code == exit_code, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_an_unknown_offer_is_refused(wallet: Wallet, platform: Platform) -> None:
    link = f"openid-credential-offer://?credential_offer_uri={platform.issuer.url}/offers/nosuchoffer"
    with unchanged(wallet):
        result = wallet("receive", link, "--tx-code", "123456")
    assert result.exit_code == 1
    assert "does not know this offer" in result.stderr


def test_an_expired_offer_is_refused(wallet: Wallet, platform: Platform) -> None:
    from datetime import UTC, datetime, timedelta

    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"], created_at=datetime.now(UTC) - timedelta(hours=2))
    with unchanged(wallet):
        result = wallet("receive", offer.offer_uri, "--tx-code", offer.tx_code, "--json")
    assert result.exit_code == 1
    assert "expired" in result.stderr
    assert '"code": "offer.expired"' in result.stdout


def test_a_wrong_tx_code_is_refused_and_a_malformed_one_costs_no_attempt(wallet: Wallet, platform: Platform) -> None:
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    wrong = "000000" if offer.tx_code != "000000" else "111111"
    with unchanged(wallet):
        short = wallet("receive", offer.offer_uri, "--tx-code", "12")
        letters = wallet("receive", offer.offer_uri, "--tx-code", "12a456")
        refused = wallet("receive", offer.offer_uri, "--tx-code", wrong)
    assert short.exit_code == 2
    assert "must have 6 characters" in short.stderr
    assert "no attempt was used" in short.stderr
    assert letters.exit_code == 2
    assert "digits only" in letters.stderr
    assert refused.exit_code == 1
    assert "the issuer refused the code" in refused.stderr
    assert wallet("receive", offer.offer_uri, "--tx-code", offer.tx_code).exit_code == 0


def test_the_tx_code_is_asked_for_when_not_given(wallet: Wallet, platform: Platform) -> None:
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    result = wallet("receive", offer.offer_uri, input=f"{offer.tx_code}\n")
    assert result.exit_code == 0, result.stderr
    assert "Transaction code (6 digits)" in result.stderr
    assert "Enter the 6-digit code" in result.stderr
    assert offer.tx_code not in result.stderr + result.stdout


def test_the_tx_code_may_come_from_the_environment(wallet: Wallet, platform: Platform) -> None:
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    result = wallet("receive", offer.offer_uri, TAWTIQ_WALLET_TX_CODE=offer.tx_code)
    assert result.exit_code == 0, result.stderr


def test_a_wrong_passphrase_is_refused_before_the_offer_is_spent(wallet: Wallet, platform: Platform) -> None:
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    with unchanged(wallet):
        result = wallet(
            "receive", offer.offer_uri, "--tx-code", offer.tx_code, TAWTIQ_WALLET_PASSPHRASE="not it at all"
        )
    assert result.exit_code == 1
    assert "the passphrase does not open this wallet file" in result.stderr
    assert wallet("receive", offer.offer_uri, "--tx-code", offer.tx_code).exit_code == 0


def test_a_missing_wallet_is_reported(tmp_path: Path, platform: Platform) -> None:
    absent = Wallet(tmp_path / "nowhere", ca_file=platform.issuer.certificate)
    result = absent("receive", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx%2Fo", "--tx-code", "1")
    assert result.exit_code == 2
    assert "there is no wallet in" in result.stderr
    assert "tawtiq-wallet init" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_an_issuer_whose_certificate_is_not_trusted_is_refused(wallet: Wallet, platform: Platform) -> None:
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    with unchanged(wallet):
        result = wallet("receive", offer.offer_uri, "--tx-code", offer.tx_code, TAWTIQ_WALLET_CA_FILE=None)
    assert result.exit_code == 2
    assert "TLS certificate is not trusted" in result.stderr
    assert "--ca-file" in result.stderr


# ---------------------------------------------------------------------------------------------- bad issuers


@pytest.fixture(params=MODES)
def fake_issuer(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    app, offer = fake_issuer_app(f"http://127.0.0.1:{port}", request.param)
    server = Server(app, port=port)
    server.start()
    try:
        yield request.param, offer
    finally:
        server.stop()


EXPECTED_REFUSAL = {
    "foreign_key": "signature",
    "other_binding": "wallet.cnf_mismatch",
    "other_issuer": "trust.issuer_untrusted",
    "unreferenced_disclosure": "sd_jwt.unreferenced_disclosure",
    "not_a_diploma": "trust.type_not_allowed",
}


def test_a_credential_with_a_bad_signature_binding_or_issuer_is_refused(
    wallet: Wallet, fake_issuer: tuple[str, dict[str, str]]
) -> None:
    mode, offer = fake_issuer
    if mode == "honest":
        result = wallet("receive", offer["offer_uri"], "--tx-code", offer["tx_code"])
        assert result.exit_code == 0, result.stderr
        return
    with unchanged(wallet):
        result = wallet("receive", offer["offer_uri"], "--tx-code", offer["tx_code"], "--json")
    assert result.exit_code == 1, result.stderr
    assert "did not pass the wallet's checks, so nothing was stored" in result.stderr
    assert EXPECTED_REFUSAL[mode] in result.stderr
    assert '"code": "receive.copy_refused"' in result.stdout


class Tampering(httpx.BaseTransport):
    """Passes requests to the network and rewrites the credential endpoint's answer on the way back."""

    def __init__(self, certificate: Path, rewrite: str) -> None:
        self.inner = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(certificate)))
        self.rewrite = rewrite

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path != "/credential" or response.status_code != 200:
            return response
        response.read()
        credentials = response.json()["credentials"]
        if self.rewrite == "signature":
            for item in credentials:
                jwt, _, rest = item["credential"].partition("~")
                head, payload, signature = jwt.split(".")
                flipped = ("A" if signature[5] != "A" else "B").join((signature[:5], signature[6:]))
                item["credential"] = f"{head}.{payload}.{flipped}~{rest}"
        else:  # swap the copies: each one arrives bound to the other key
            credentials.reverse()
        return httpx.Response(200, json={"credentials": credentials})

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(("rewrite", "code"), [("signature", "signature.invalid"), ("swap", "wallet.cnf_mismatch")])
def test_a_copy_tampered_with_in_flight_is_refused(
    wallet: Wallet, platform: Platform, monkeypatch: pytest.MonkeyPatch, rewrite: str, code: str
) -> None:
    monkeypatch.setattr(runtime, "http_transport", lambda: Tampering(platform.issuer.certificate, rewrite))
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    with unchanged(wallet):
        result = wallet(
            "receive", offer.offer_uri, "--tx-code", offer.tx_code, "--copies", "2", "--profile", "dc+sd-jwt"
        )
    assert result.exit_code == 1
    assert code in result.stderr
    assert "nothing was stored" in result.stderr


def test_a_deeply_nested_offer_in_the_link_is_refused_clearly(wallet: Wallet) -> None:
    head = quote('{"credential_issuer": "https://bac.example.ma", "credential_configuration_ids": ')
    link = f"openid-credential-offer://?credential_offer={head}{'[' * 3000}{']' * 3000}{quote('}')}"
    with unchanged(wallet):
        result = wallet("receive", link, "--tx-code", "123456", "--json")
    assert result.exit_code == 2, result.stderr
    assert "the offer in the link is not JSON; found depth limit exceeded" in result.stderr
    assert '"code": "offer.invalid"' in result.stdout


class Deepening(httpx.BaseTransport):
    """Passes requests to the network, except that one path answers a JSON object nested ``depth`` levels."""

    def __init__(self, certificate: Path, path: str, depth: int) -> None:
        self.inner = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(certificate)))
        self.path, self.depth = path, depth

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith(self.path):
            return self.inner.handle_request(request)
        body = b'{"credential_issuer": "x", "display": ' + b"[" * self.depth + b"]" * self.depth + b"}"
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("path", ["/offers/", "/.well-known/openid-credential-issuer"])
@pytest.mark.parametrize(
    ("depth", "code", "message"),
    [
        (65, "network.too_deep", "answer is nested too deeply; found > 64 levels; expected at most 64 levels"),
        (3000, "network.not_json", "answer is not JSON; found depth limit exceeded in HTTP 200"),
    ],
)
def test_a_deeply_nested_offer_or_issuer_metadata_is_refused_clearly(
    wallet: Wallet, platform: Platform, monkeypatch: pytest.MonkeyPatch, path: str, depth: int, code: str, message: str
) -> None:
    monkeypatch.setattr(runtime, "http_transport", lambda: Deepening(platform.issuer.certificate, path, depth))
    offer = platform.issuer.offer(platform.issuer.graduate()["cnie"])
    with unchanged(wallet):
        result = wallet("receive", offer.offer_uri, "--tx-code", offer.tx_code, "--json")
    assert result.exit_code == 2, (result.stderr, result.exception)
    error = json.loads(result.stdout)["error"]
    assert error["code"] == code
    assert message in error["message"]
