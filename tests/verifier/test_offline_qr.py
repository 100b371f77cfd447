"""The printed diploma's offline QR (``TQ1:``) at the verifier: pasted, photographed, sent to the VC-API.

The signature checks with the issuer keys the verifier holds (no network needed once they are cached), the status
is added when the issuer's list can be reached and the page says which; a forged or altered code is refused with
its reason; a photo that is blurred, cropped or of something else gets a clear message, never a crash.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFilter

import schemas
from common.qr import PRINTED_ERROR, qr_png
from tests.verifier.fake_issuer import Answer, FakeIssuer
from vc import SigningKey
from verifier.messages import CHECK_MESSAGES, PAGE_ERRORS, UI, VERDICT_REASONS, VERDICTS

ORIGIN = {"Origin": "https://verify.test.example"}


def _text(page: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def paste(client: Any, text: str, locale: str = "en") -> Any:
    return client.post("/verify", data={"input": text, "lang": locale}, headers=ORIGIN)


def photo(client: Any, image: bytes, locale: str = "en", name: str = "photo.png") -> Any:
    return client.post("/verify/qr", files={"image": (name, image, "image/png")}, data={"lang": locale}, headers=ORIGIN)


def api(client: Any, text: str) -> dict[str, Any]:
    response = client.post("/credentials/verify", json={"verifiableCredential": text})
    assert response.status_code == 200, response.text
    return response.json()


def _check(answer: dict[str, Any], name: str) -> tuple[str, str]:
    check = next(c for c in answer["report"]["checks"] if c["check"] == name)
    return check["outcome"], check["code"]


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def _printed_photo(text: str) -> Image.Image:
    """The QR as printed on the diploma (level Q), on a sheet photographed slightly rotated, in JPEG."""
    code = Image.open(io.BytesIO(qr_png(text, scale=6, error=PRINTED_ERROR))).convert("L")
    sheet = Image.new("L", (code.width + 400, code.height + 500), 235)
    ImageDraw.Draw(sheet).text((40, 40), "Royaume du Maroc - Baccalaureat", fill=40)
    sheet.paste(code, (200, 250))
    return sheet.rotate(4, expand=True, fillcolor=200)


def test_the_vc_api_verifies_a_pasted_offline_qr_with_its_status(client, issuer: FakeIssuer):
    printed = issuer.issue_offline()
    answer = api(client, printed.token)
    assert answer["verified"] is True, answer["problemDetails"]
    assert answer["report"]["profile"] == "tq1"
    assert _check(answer, "status") == ("passed", "status.ok")
    assert answer["report"]["claims"]["streamCode"]
    issuer.revoke(printed)
    issuer.clock.advance(seconds=issuer.ttl_seconds + 1)
    revoked = api(client, printed.token)
    assert _check(revoked, "status") == ("failed", "status.revoked")
    assert any(p["title"] == "CREDENTIAL_REVOKED" for p in revoked["problemDetails"])


def test_offline_the_signature_still_checks_and_the_page_says_the_status_was_not(client, issuer: FakeIssuer):
    printed = issuer.issue_offline()
    api(client, issuer.issue_w3c(SigningKey.generate()).token)  # the verifier has fetched and holds the keys
    issuer.overrides["/status/tsl/1"] = Answer(503, b"no network")
    answer = api(client, printed.token)
    assert _check(answer, "signature") == ("passed", "signature.ok")
    assert _check(answer, "status") == ("not_checked", "status.unavailable")
    assert answer["verdict"] == "indeterminate"
    page = _text(paste(client, printed.token))
    assert UI["offline_signature"]["en"] in page
    assert UI["status_offline"]["en"] in page
    stream = schemas.DiplomaSubject.parse(schemas.sample_subject()).stream
    assert stream.fr in page  # the QR carries the stream's code; the page names it from the reference data


@pytest.mark.parametrize("locale", ["ar", "fr", "en"])
def test_the_page_says_when_the_status_was_checked(client, issuer: FakeIssuer, locale):
    page = _text(paste(client, issuer.issue_offline().token, locale))
    assert VERDICTS["valid"][locale] in page
    assert UI["offline_signature"][locale] in page
    assert UI["offline_status_checked"][locale].format(time="12:00 UTC") in page


def test_a_photo_of_the_printed_code_verifies(client, issuer: FakeIssuer):
    printed = issuer.issue_offline()
    page = photo(client, _jpeg(_printed_photo(printed.token)), name="diploma.jpg")
    assert page.status_code == 200, page.text
    text = _text(page)
    assert VERDICTS["valid"]["en"] in text
    assert UI["offline_heading"]["en"] in text


def test_a_forged_code_is_refused_with_the_reason(client, issuer: FakeIssuer):
    forged = issuer.issue_offline(key=SigningKey.generate())
    answer = api(client, forged.token)
    assert _check(answer, "signature") == ("failed", "offline.kid_mismatch")
    text = _text(photo(client, _jpeg(_printed_photo(forged.token))))
    assert VERDICTS["invalid"]["en"] in text
    assert VERDICT_REASONS["offline.kid_mismatch"]["en"] in text


def test_an_altered_code_is_refused(client, issuer: FakeIssuer):
    text = issuer.issue_offline().token
    position = len(text) // 2
    altered = text[:position] + ("0" if text[position] != "0" else "1") + text[position + 1 :]
    answer = api(client, altered)
    assert answer["verified"] is False
    assert answer["verdict"] == "invalid"


def test_a_truncated_code_says_it_is_cut_short(client, issuer: FakeIssuer):
    text = issuer.issue_offline().token
    body = text[4:]
    truncated = text[:4] + body[: (len(body) - 2) // 3 * 3 + 1]
    page = _text(paste(client, truncated))
    assert CHECK_MESSAGES["offline.base45"]["en"] in page


def test_another_schemes_code_is_named(client):
    answer = api(client, "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IUKRG*I.I")
    assert _check(answer, "format") == ("failed", "offline.prefix")
    assert answer["problemDetails"][0]["title"] == "PARSING_ERROR"


def test_a_blurred_photo_gets_a_clear_message(client, issuer: FakeIssuer):
    blurred = _printed_photo(issuer.issue_offline().token).filter(ImageFilter.GaussianBlur(9))
    page = photo(client, _jpeg(blurred))
    assert page.status_code == 422
    assert PAGE_ERRORS["qr.not_found"]["en"] in _text(page)


def test_a_cropped_photo_gets_a_clear_message(client, issuer: FakeIssuer):
    sheet = _printed_photo(issuer.issue_offline().token)
    cropped = sheet.crop((0, 0, sheet.width // 2, sheet.height // 2 + 60))
    page = photo(client, _jpeg(cropped))
    assert page.status_code == 422
    assert PAGE_ERRORS["qr.not_found"]["en"] in _text(page)


def test_a_photo_of_something_else_gets_a_clear_message(client):
    picture = Image.new("RGB", (900, 600), (90, 140, 200))
    draw = ImageDraw.Draw(picture)
    for step in range(0, 900, 40):
        draw.ellipse((step, 200 + step % 120, step + 90, 290 + step % 120), fill=(240, 200, 60))
    page = photo(client, _jpeg(picture))
    assert page.status_code == 422
    assert PAGE_ERRORS["qr.not_found"]["en"] in _text(page)


def test_a_presentation_endpoint_refuses_a_printed_code_as_unbound(client, issuer: FakeIssuer):
    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": issuer.issue_offline().token, "options": {"challenge": "n", "domain": "d"}},
    )
    answer = response.json()
    assert answer["verified"] is False
    assert _check(answer, "holder_binding") == ("failed", "holder_binding.paper")


def test_with_the_issuer_gone_the_held_keys_still_check_the_signature(client, issuer: FakeIssuer):
    printed = issuer.issue_offline()
    assert api(client, printed.token)["verified"] is True  # keys and list fetched and held
    issuer.stop()
    issuer.clock.advance(hours=30)  # past the held list's stale allowance (24 h), within the keys' (7 days)
    answer = api(client, printed.token)
    assert _check(answer, "signature") == ("passed", "signature.ok")
    assert _check(answer, "status") == ("not_checked", "status.unavailable")
    page = _text(paste(client, printed.token, "fr"))
    assert UI["offline_signature"]["fr"] in page
    assert UI["status_offline"]["fr"] in page
    assert VERDICTS["indeterminate"]["fr"] in page
