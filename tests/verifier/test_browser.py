"""The verification page in a real headless Chromium (Debian's, driven by Playwright): what a person sees."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
from PIL import Image

import schemas
from common.qr import PRINTED_ERROR, qr_png
from tests.verifier.live import serving
from tests.verifier.wallet import authorization_parameters, decode_unsigned_jwt, presentation_for
from vc import present
from verifier.app import create_app

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("TAWTIQ_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (set TAWTIQ_CHROMIUM; .ci/run installs it)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def base(make_settings, clock) -> Iterator[str]:
    with serving(lambda url: create_app(make_settings(public_url=url), clock=clock)) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    opened = context.new_page()
    yield opened
    context.close()


def label(name: str, locale: str) -> str:
    return schemas.claim_label([name], locale)


def test_pasting_a_diploma_in_arabic(page, base, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    page.goto(f"{base}/")
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.inner_text("h1") == "التحقق من شهادة البكالوريا"
    page.get_by_label("رابط المشاركة أو نص الشهادة").fill(diploma.token)
    page.get_by_role("button", name="تحقّق", exact=True).click()

    assert page.get_attribute("html", "dir") == "rtl"
    verdict = page.locator("section.verdict")
    assert verdict.get_attribute("data-verdict") == "valid"
    assert page.inner_text("#verdict") == "صالحة — تم التحقق منها"
    claims = page.locator("dl.claims")
    assert label("familyName", "ar") in claims.inner_text()
    assert "العلوي" in claims.inner_text()
    assert "وزارة التربية الوطنية" in page.inner_text("main")
    assert page.inner_text(".trust-list-version") == "2026-07-01.1"
    assert "0 ثانية" in page.inner_text("dl.facts")
    checks = page.locator("ol.checks li")
    assert checks.count() == 8
    assert "التوقيع صحيح" in page.inner_text("ol.checks")


def test_a_name_that_lies_reads_marked_and_cannot_reorder_the_page(page, base, issuer, holder):
    subject = schemas.sample_subject()
    subject["givenName"] = {"ar": "سلمى", "lat": "Salma\u202eLIAF ENO"}
    diploma = issuer.issue_w3c(holder, subject=subject)
    page.goto(f"{base}/?lang=fr")
    page.get_by_label("Lien de partage ou texte du justificatif").fill(diploma.token)
    page.get_by_role("button", name="Vérifier", exact=True).click()

    flagged = page.locator("dl.claims bdi.refused-characters")
    assert flagged.count() == 1
    assert flagged.inner_text() == "Salma[U+202E]LIAF ENO", "the override is shown, not obeyed"
    assert "ONE FAIL" not in page.inner_text("main")
    assert "EL ALAOUI" in page.inner_text("dl.claims"), "the values around it read as they are"


def test_pasting_a_diploma_in_french_then_switching_to_english(page, base, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    page.goto(f"{base}/?lang=fr")
    assert page.get_attribute("html", "dir") == "ltr"
    page.get_by_label("Lien de partage ou texte du justificatif").fill(diploma.token)
    page.get_by_role("button", name="Vérifier", exact=True).click()
    assert page.inner_text("#verdict") == "Valide — vérifié"
    assert label("generalAverage", "fr") in page.inner_text("dl.claims")
    assert "EL ALAOUI" in page.inner_text("dl.claims")
    assert "Ministère de l'Éducation nationale" in page.inner_text("main")
    assert "Signature valide" in page.inner_text("ol.checks")

    page.get_by_role("button", name="English").click()
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#verdict") == "Valid — verified"
    assert "Disclosed data" in page.inner_text("main")


def test_a_revoked_diploma_is_shown_as_not_valid(page, base, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    issuer.revoke(diploma)
    page.goto(f"{base}/?lang=ar")
    page.get_by_label("رابط المشاركة أو نص الشهادة").fill(diploma.token)
    page.get_by_role("button", name="تحقّق", exact=True).click()
    assert page.locator("section.verdict").get_attribute("data-verdict") == "invalid"
    assert page.inner_text("#verdict") == "غير صالحة"
    assert "ألغت الجهة المصدرة هذه الشهادة" in page.inner_text("ol.checks")
    assert "لا تعتمد عليها" in page.inner_text("main")


def test_the_reason_of_a_revoked_diploma_is_in_the_banner_on_a_phone(page, base, issuer, holder):
    diploma = issuer.issue_w3c(holder)
    issuer.revoke(diploma)
    page.goto(f"{base}/?lang=en")
    page.get_by_label("Share link or credential text").fill(diploma.token)
    page.get_by_role("button", name="Verify", exact=True).click()
    reason = page.locator("section.verdict #verdict-reason")
    assert reason.inner_text().startswith("Revoked by the issuer (in the status list published on ")
    box = reason.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= page.viewport_size["height"]  # seen without scrolling, on a 390×844 phone


def test_uploading_a_screenshot_of_a_share_link_qr(page, base, issuer, holder, clock, tmp_path):
    api = httpx.Client(base_url=base)
    nonce = api.post("/shares/nonce").json()
    presentation = present(
        issuer.issue_w3c(holder).token,
        disclose=[("credentialSubject", n) for n in ("familyName", "givenName", "stream", "mention")],
        key=holder,
        audience=nonce["audience"],
        nonce=nonce["nonce"],
        now=clock.now(),
    )
    share = api.post("/shares", json={"presentation": presentation}).json()
    assert share["url"].startswith(base)
    # A phone screenshot: the QR code on a larger, busy screen.
    code = Image.open(io.BytesIO(_png(share["url"])))
    screen = Image.new("RGB", (1080, 2340), (240, 240, 245))
    screen.paste(code.convert("RGB"), (140, 700))
    path = tmp_path / "screenshot.png"
    screen.save(path)

    page.goto(f"{base}/?lang=fr")
    page.get_by_label("Photo ou capture d'écran du code QR").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier la photo").click()
    assert f"/s/{share['id']}" in page.url
    assert page.inner_text("#verdict") == "Valide — vérifié"
    assert "Présenté par son titulaire le 2026-07-01" in page.inner_text("main")
    assert label("familyName", "fr") in page.inner_text("dl.claims")
    assert label("cnie", "fr") not in page.inner_text("dl.claims")


def test_a_photo_of_a_printed_diploma_on_a_phone(page, base, issuer, tmp_path):
    printed = issuer.issue_offline()
    code = Image.open(io.BytesIO(qr_png(printed.token, scale=5, error=PRINTED_ERROR)))
    sheet = Image.new("RGB", (1240, 1754), (250, 248, 240))  # an A4 page at 150 dpi
    sheet.paste(code.convert("RGB"), (820, 1300))
    path = tmp_path / "diploma.jpg"
    sheet.rotate(3, expand=True, fillcolor=(200, 200, 200)).save(path, quality=85)

    page.goto(f"{base}/?lang=fr")
    page.get_by_label("Photo ou capture d'écran du code QR").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier la photo").click()
    assert page.inner_text("#verdict") == "Valide — vérifié"
    card = page.inner_text("section.offline")
    assert "Signature vérifiée hors ligne" in card
    assert "Statut ajouté d'après la liste de l'émetteur publiée à 12:00 UTC." in card
    assert label("familyName", "fr") in page.inner_text("dl.claims")
    assert label("stream", "fr") in page.inner_text("dl.claims")


def test_an_image_without_a_qr_code_is_explained(page, base, tmp_path):
    path = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), "white").save(path)
    page.goto(f"{base}/")
    page.get_by_label("صورة أو لقطة شاشة لرمز QR").set_input_files(str(path))
    page.get_by_role("button", name="تحقّق من الصورة").click()
    assert "لم يُعثر على رمز QR في الصورة" in page.inner_text("[role=alert]")


def test_asking_a_wallet_updates_the_page_when_it_answers(page, base, issuer, holder, clock):
    page.goto(f"{base}/?lang=fr")
    assert page.get_by_label(label("cnie", "fr")).count() == 0  # only a registered relying party may ask for it
    page.get_by_label(label("givenName", "fr")).uncheck()
    page.get_by_role("button", name="Créer le code QR").click()
    assert page.inner_text("h1") == "Scannez ce code avec le portefeuille"
    page.wait_for_load_state("load")
    assert page.locator("img.qr").evaluate("image => image.naturalWidth") > 0
    link = page.get_by_role("link", name="Ouvrir le portefeuille de cet appareil").get_attribute("href")
    assert link.startswith("openid4vp://?client_id=redirect_uri%3A")

    wallet = httpx.Client()
    request_uri = authorization_parameters(link)["request_uri"]
    _, request_object = decode_unsigned_jwt(wallet.get(request_uri).text)
    asked = [c["path"][0] for c in request_object["dcql_query"]["credentials"][0]["claims"]]
    assert "cnie" not in asked
    assert "givenName" not in asked
    assert "familyName" in asked
    sync_api.expect(page.locator("#oid4vp-status")).to_contain_text("portefeuille a ouvert", timeout=10_000)
    presentation = presentation_for(
        request_object, credential=issuer.issue_sd_jwt_vc(holder).token, holder=holder, now=clock.now()
    )
    answer = wallet.post(
        request_object["response_uri"],
        data={"vp_token": f'{{"diploma": ["{presentation}"]}}', "state": request_object["state"]},
    )
    assert answer.status_code == 200

    page.wait_for_url("**/result?lang=fr", timeout=10_000)
    assert page.inner_text("#verdict") == "Valide — vérifié"
    assert label("familyName", "fr") in page.inner_text("dl.claims")
    assert label("givenName", "fr") not in page.inner_text("dl.claims")


def test_a_withdrawn_link_shows_that_it_is_gone(page, base, issuer, holder, clock):
    api = httpx.Client(base_url=base)
    nonce = api.post("/shares/nonce").json()
    presentation = present(
        issuer.issue_w3c(holder).token,
        disclose=[("credentialSubject", "familyName")],
        key=holder,
        audience=nonce["audience"],
        nonce=nonce["nonce"],
        now=clock.now(),
    )
    share = api.post("/shares", json={"presentation": presentation}).json()
    api.delete(f"/shares/{share['id']}", headers={"Authorization": f"Bearer {share['revoke_token']}"})
    response = page.goto(f"{base}/s/{share['id']}?lang=fr")
    assert response is not None
    assert response.status == 410
    assert page.inner_text("h1") == "Ce lien n'est plus disponible"
    assert page.inner_text("#gone-reason") == "Son titulaire l'a retiré."


def _png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def test_a_form_sent_from_another_site_is_refused_with_a_page(page, base):
    page.set_content(
        f'<form method="post" action="{base}/verify?lang=en"><input name="input" value="x">'
        '<button type="submit">Send</button></form>'
    )
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{base}/verify?lang=en")
    assert "This request was refused because it came from another site." in page.get_by_role("alert").inner_text()
