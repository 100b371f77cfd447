"""The diploma page with every party really running on free ports: the portal and the eID stand-in, the issuer
(https, its development certificate) serving the keys and status lists of the copies the portal signs, and the
verifier where the share links are made and opened.

The exam year's deliberation made the records; the portal's clock is the real time (the verifier judges the
holder's key-binding JWT against its own clock).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

import schemas
from common.service.clock import FixedClock
from common.service.database import reading, writing
from issuer.app import create_app as create_issuer_app
from issuer.devtls import ensure_self_signed
from issuer.keyring import Keyring
from issuer.models import Diploma as DiplomaRecord
from issuer.printing import DocumentSigner
from issuer.records import records_of, supersede
from issuer.settings import Settings as IssuerSettings
from issuer.settings import load_settings
from issuer.status import StatusAction, change_status
from portal.diploma import DiplomaDesk, Sealer, ShareRefusedError, VerifierUnavailableError, custody
from portal.presentation import PresentationRequestError, Responder
from portal.settings import Settings as PortalSettings
from tests.common.fake_fetcher import FakeFetcher
from tests.issuer.conftest import PASSPHRASE, environment
from tests.portal.conftest import ExamYear, make_exam_year
from tests.portal.live import Browser, RunningPortal, browser_of, error_code, running_portal
from tests.wallet_cli.platform import Server, free_port
from vc.errors import ConfigurationError
from verifier.app import create_app as create_verifier_app
from verifier.settings import Settings as VerifierSettings

HOLDER_SECRET = "held-keys-" + secrets.token_urlsafe(32)


@dataclass
class Ministry:
    """The running parties around the portal."""

    year: ExamYear
    issuer: IssuerSettings
    verifier_url: str
    portal: RunningPortal
    admitted: list[int]  # indexes of the admitted candidates (with a record)


def _admitted(year: ExamYear) -> list[int]:
    found = []
    with reading(year.engine) as db:
        for index, card in enumerate(year.cards):
            if records_of(db, cnie=card.cnie):
                found.append(index)
    return found


@pytest.fixture
def ministry(tmp_path: Path) -> Iterator[Ministry]:
    now = datetime.now(UTC)
    year = make_exam_year(tmp_path, f"sqlite:///{tmp_path / 'ministry.sqlite3'}")
    issuer_port, verifier_port = free_port(), free_port()
    issuer_url = f"https://127.0.0.1:{issuer_port}"
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    issuer = load_settings(
        environment(
            tmp_path,
            year.database_url,
            TAWTIQ_ISSUER_URL=issuer_url,
            TAWTIQ_PRINT_VERIFIER_URL=verifier_url,
            TAWTIQ_STATUS_TTL_SECONDS="1",
        )
    )
    keyring = Keyring.from_settings(issuer)
    keyring.store.create(not_before=now - timedelta(days=1))
    DocumentSigner.create_development(
        issuer.resolved_document_signer_dir, passphrase=PASSPHRASE.encode(), now=now - timedelta(days=1)
    )
    certificate, private_key = ensure_self_signed(tmp_path / "tls")
    issuer_server = Server(
        create_issuer_app(issuer, engine=year.engine, keyring=keyring),
        port=issuer_port,
        certfile=certificate,
        keyfile=private_key,
    )
    trust_list = tmp_path / "trust-list.json"
    trust_list.write_text(
        json.dumps(
            {
                "version": "test-1",
                "issuers": [
                    {
                        "id": issuer_url,
                        "name": {"ar": "وزارة التربية الوطنية", "fr": "Ministère de l'Éducation nationale"},
                        "credential_types": ["BaccalaureateDiplomaCredential", "urn:ma:men:credential:baccalaureate:1"],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    verifier_server = Server(
        create_verifier_app(
            VerifierSettings(
                environment="development",
                public_url=verifier_url,
                database_url=f"sqlite:///{tmp_path / 'verifier.sqlite3'}",
                trust_list=str(trust_list),
                ca_file=certificate,
                secret_key=SecretStr(secrets.token_urlsafe(32)),
                status_min_ttl_seconds=0,
                status_default_ttl_seconds=1,
                share_rate_limit=10_000,
                oid4vp_rate_limit=10_000,
            )
        ),
        port=verifier_port,
    )
    issuer_server.start()
    verifier_server.start()
    try:
        with running_portal(
            tmp_path,
            database_url=year.database_url,
            cards=year.cards,
            clock=FixedClock(now),
            issuer=issuer,
            audit_passphrase_file=year.passphrase_file,
            verifier_url=verifier_url,
            holder_key_secret=HOLDER_SECRET,
        ) as portal:
            yield Ministry(year=year, issuer=issuer, verifier_url=verifier_url, portal=portal, admitted=_admitted(year))
    finally:
        verifier_server.stop()
        issuer_server.stop()
        year.engine.dispose()


@pytest.fixture
def graduate(ministry: Ministry) -> Iterator[Browser]:
    with browser_of(ministry.portal) as browser:
        browser.log_in(ministry.year.cards[ministry.admitted[0]], path="/login?next=/diploma")
        yield browser


def _share_form(browser: Browser, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": browser.csrf_token("/diploma"),
        "lang": "fr",
        "claim_familyName": "on",
        "claim_givenName": "on",
        "claim_mention": "on",
        "lifetime": str(7 * 86400),
        **extra,
    }


def _share_links(page: str) -> list[str]:
    return re.findall(r'class="share-url" dir="ltr" href="([^"]+)"', page) or re.findall(
        r'href="([^"]+/s/[^"]+)" class="share-url"', page
    )


def _record_ids(year: ExamYear, index: int) -> list[str]:
    with reading(year.engine) as db:
        return [record.id for record in records_of(db, cnie=year.cards[index].cnie)]


def test_the_graduate_sees_the_diploma_as_the_ministrys_document(ministry: Ministry, graduate: Browser) -> None:
    page = graduate.get("/diploma?lang=fr")
    assert page.status_code == 200, page.text
    row = ministry.year.rows[ministry.admitted[0]]
    for value in (row["familyName.ar"], row["familyName.lat"], row["cnie"], row["birthDate"], row["birthPlace.ar"]):
        assert value in page.text
    assert 'data-state="valid"' in page.text
    assert "Historique du diplôme" in page.text
    assert 'data-version="1"' in page.text
    assert "openid-credential-offer://?credential_offer=" in page.text
    offer = re.search(r'href="(openid-credential-offer://[^"]+)"', page.text)
    assert offer is not None
    qr = graduate.get("/diploma/wallet.svg")
    assert qr.status_code == 200
    assert qr.headers["content-type"].startswith("image/svg+xml")


def test_the_printed_diploma_downloads_signed(ministry: Ministry, graduate: Browser) -> None:
    (record_id,) = _record_ids(ministry.year, ministry.admitted[0])
    answer = graduate.get(f"/diploma/{record_id}/diploma.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"%PDF")
    assert b"/ByteRange" in answer.content


def test_a_share_link_is_made_verified_listed_and_withdrawn(ministry: Ministry, graduate: Browser) -> None:
    made = graduate.post("/diploma/shares", _share_form(graduate))
    assert made.status_code == 303, made.text
    page = graduate.get("/diploma?lang=fr&done=shared")
    links = re.findall(r'href="(http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]+)"', page.text)
    assert len(links) == 1, page.text
    opened = httpx.get(links[0], headers={"Accept": "application/json"}, timeout=20)
    assert opened.status_code == 200, opened.text
    assert opened.json()["verdict"] == "valid", opened.text
    share_id = re.search(r'data-share="(\d+)"', page.text)
    assert share_id is not None
    assert graduate.get(f"/diploma/shares/{share_id.group(1)}/qr.svg").status_code == 200
    # The held key and copy are sealed at rest: nothing in the row reads as a key or a credential.
    with reading(ministry.year.engine) as db:
        row = db.execute(custody.select()).one()._mapping
    assert b"eyJ" not in row["copy_sealed"]
    assert b"PRIVATE" not in row["key_sealed"]
    assert Sealer(HOLDER_SECRET.encode()).open(row["copy_sealed"], graduate_id=row["graduate_id"]).startswith(b"eyJ")
    withdrawn = graduate.post(
        f"/diploma/shares/{share_id.group(1)}/withdraw", {"csrf_token": graduate.csrf_token("/diploma"), "lang": "fr"}
    )
    assert withdrawn.status_code == 303, withdrawn.text
    assert httpx.get(links[0], headers={"Accept": "application/json"}, timeout=20).status_code == 410
    assert 'data-state="withdrawn"' in graduate.get("/diploma").text


def test_another_graduates_diploma_by_tampered_id_is_refused(ministry: Ministry, graduate: Browser) -> None:
    (other,) = _record_ids(ministry.year, ministry.admitted[1])
    for path in (f"/diploma/{other}", f"/diploma/{other}/diploma.pdf", "/diploma/urn:uuid:not-a-record"):
        answer = graduate.get(path)
        assert answer.status_code == 404, path
        assert error_code(answer) == "diploma.unknown"
        assert ministry.year.rows[ministry.admitted[1]]["familyName.lat"] not in answer.text


def test_sharing_a_revoked_diploma_is_refused_with_the_reason(ministry: Ministry, graduate: Browser) -> None:
    (record_id,) = _record_ids(ministry.year, ministry.admitted[0])
    with writing(ministry.year.engine) as db:
        change_status(
            db,
            diploma_id=record_id,
            action=StatusAction.REVOKE,
            reason="fraude constatée",
            actor="test",
            now=datetime.now(UTC),
        )
    form = _share_form(graduate)
    answer = graduate.post("/diploma/shares", form)
    assert answer.status_code == 409, answer.text
    assert error_code(answer) == "share.diploma_not_active"
    assert "ne peut pas être partagé" in answer.text or "لا يمكن مشاركتها" in answer.text
    page = graduate.get("/diploma?lang=fr").text
    assert 'data-state="revoked"' in page
    assert "fraude constatée" in page
    assert 'action="/diploma/shares"' not in page


def test_withdrawing_someone_elses_share_is_refused(ministry: Ministry, graduate: Browser) -> None:
    assert graduate.post("/diploma/shares", _share_form(graduate)).status_code == 303
    share_id = re.search(r'data-share="(\d+)"', graduate.get("/diploma").text)
    assert share_id is not None
    with browser_of(ministry.portal) as other:
        other.log_in(ministry.year.cards[ministry.admitted[1]])
        token = other.csrf_token("/diploma")
        answer = other.post(f"/diploma/shares/{share_id.group(1)}/withdraw", {"csrf_token": token})
        assert answer.status_code == 404
        assert error_code(answer) == "share.unknown"
        assert other.get(f"/diploma/shares/{share_id.group(1)}/qr.svg").status_code == 404
    assert 'data-state="active"' in graduate.get("/diploma").text


@pytest.mark.parametrize("token", ["", "tampered-" + "0" * 55, "expired"])
def test_a_share_without_this_sessions_csrf_token_is_refused(ministry: Ministry, graduate: Browser, token: str) -> None:
    if token == "expired":
        # A token from an ended session: log out, log in again, post the old page's token.
        token = graduate.csrf_token("/diploma")
        graduate.post("/logout", {"csrf_token": token})
        graduate.log_in(ministry.year.cards[ministry.admitted[0]])
    answer = graduate.post("/diploma/shares", _share_form(graduate, csrf_token=token))
    assert answer.status_code == 403
    assert error_code(answer) == "request.csrf"
    with reading(ministry.year.engine) as db:
        assert db.execute(custody.select()).first() is None


def test_a_share_with_a_choice_outside_the_offered_ones_is_refused(graduate: Browser) -> None:
    answer = graduate.post("/diploma/shares", _share_form(graduate, lifetime="999"))
    assert answer.status_code == 400
    assert error_code(answer) == "share.lifetime"
    answer = graduate.post("/diploma/shares", {**_share_form(graduate), "claim_password": "on"})
    assert answer.status_code == 400
    assert error_code(answer) == "share.claims"


def test_a_graduate_without_a_diploma_reads_so(ministry: Ministry) -> None:
    without = next(index for index in range(len(ministry.year.cards)) if index not in ministry.admitted)
    with browser_of(ministry.portal) as browser:
        browser.log_in(ministry.year.cards[without])
        page = browser.get("/diploma")
        assert page.status_code == 200
        assert 'id="diploma-none"' in page.text


def test_on_a_phone_a_graduate_shares_the_diploma_and_the_verifier_says_valid(
    ministry: Ministry, tmp_path: Path
) -> None:
    """The done-when walk, in Chromium at phone size: the eID login, the diploma, a share link made with the
    claims chosen, its QR code, the verifier's page opened from the link saying valid; then a verifier's request
    pasted, reviewed and answered."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = os.environ.get("TAWTIQ_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.fail(f"Chromium is not installed at {chromium} (set TAWTIQ_CHROMIUM)")
    shots = Path(os.environ.get("TAWTIQ_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    card, row = ministry.year.cards[ministry.admitted[0]], ministry.year.rows[ministry.admitted[0]]
    base = ministry.portal.base
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ar-MA")
            page = context.new_page()
            page.goto(f"{base}/diploma")
            assert page.url.startswith(f"{ministry.portal.eid_base}/authorize"), "the diploma page asks for the login"
            page.fill("input[name=cnie]", card.cnie)
            page.fill("input[name=pin]", card.pin)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/diploma?lang=ar")

            assert page.inner_text("h1") == "شهادة البكالوريا"
            assert page.get_attribute("section.verdict", "data-state") == "valid"
            document = page.inner_text("#document")
            for value in (row["familyName.ar"], row["familyName.lat"], row["cnie"], row["birthDate"]):
                assert value in document
            assert page.locator("#history li").count() == 1
            _fits(page)
            page.screenshot(path=str(shots / "diploma-01-page.png"), full_page=True)

            page.uncheck("#claim-mention")
            page.check("#claim-school")
            page.select_option("#lifetime", str(86400))
            page.get_by_role("button", name="إنشاء رابط المشاركة").click()
            page.wait_for_url(re.compile(r".*/diploma\?lang=ar&done=shared.*"))
            assert "تم إنشاء الرابط" in page.inner_text("#notice")
            share = page.locator("li.share").first
            assert share.get_attribute("data-state") == "active"
            link = share.locator("a.share-url").get_attribute("href")
            assert link is not None
            assert link.startswith(f"{ministry.verifier_url}/s/")
            qr = share.locator("img.qr")
            assert qr.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code is drawn"
            _fits(page)
            share.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "diploma-02-shared.png"), full_page=True)

            page.goto(link)
            assert page.get_attribute("[data-verdict]", "data-verdict") == "valid"
            shown = page.inner_text("main")
            assert row["familyName.ar"] in shown or row["familyName.lat"] in shown
            page.screenshot(path=str(shots / "diploma-03-verifier.png"), full_page=True)

            # A verifier's OpenID4VP request opened on the same phone: pasted, reviewed, answered.
            created = _verifier_request(ministry, ["familyName", "givenName", "generalAverage"])
            page.goto(f"{base}/diploma?lang=ar")
            page.fill("#request-link", created["authorization_request"])
            page.get_by_role("button", name="عرض الطلب").click()
            assert page.locator("#asked li").count() == 3
            assert page.locator("#not-vouched").count() == 1
            _fits(page)
            page.screenshot(path=str(shots / "diploma-04-request.png"), full_page=True)
            page.get_by_role("button", name="مشاركة هذه المعطيات").click()
            assert page.get_attribute("[data-verdict]", "data-verdict") == "valid"
            page.screenshot(path=str(shots / "diploma-05-answered.png"), full_page=True)
            assert _verifier_result(ministry, created["id"])["verdict"] == "valid"
            context.close()
        finally:
            browser.close()


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"


def test_a_corrected_diploma_shows_its_history_and_shares_the_corrected_version(
    ministry: Ministry, graduate: Browser
) -> None:
    (old,) = _record_ids(ministry.year, ministry.admitted[0])
    assert graduate.post("/diploma/shares", _share_form(graduate)).status_code == 303
    with reading(ministry.year.engine) as db:
        record = db.get(DiplomaRecord, old)
        assert record is not None
        claims = json.loads(record.claims)
    claims["birthPlace"] = {**claims["birthPlace"], "lat": "Tetouan Medina"}
    _, new = supersede(
        ministry.year.engine,
        settings=ministry.issuer,
        identifier=old,
        subject=claims,
        reason="lieu de naissance corrigé",
        actor="test",
        now=datetime.now(UTC),
    )
    page = graduate.get("/diploma?lang=fr").text
    assert 'data-state="valid"' in page
    assert "Tetouan Medina" in page
    assert 'data-version="2"' in page
    assert 'data-version="1" data-state="superseded"' in page
    old_page = graduate.get(f"/diploma/{old}?lang=fr")
    assert old_page.status_code == 200
    assert 'data-state="superseded"' in old_page.text
    assert "Voir la version en vigueur" in old_page.text
    assert 'action="/diploma/shares"' not in old_page.text
    refused = graduate.get(f"/diploma/{old}/diploma.pdf")
    assert refused.status_code == 409
    assert error_code(refused) == "diploma.superseded"
    # The held copy is signed anew from the corrected record, and the link made from it verifies.
    assert graduate.post("/diploma/shares", _share_form(graduate)).status_code == 303
    with reading(ministry.year.engine) as db:
        assert db.execute(custody.select()).one()._mapping["diploma_id"] == new
    links = re.findall(r'href="(http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]+)"', graduate.get("/diploma").text)
    assert len(links) == 2
    newest = httpx.get(links[0], headers={"Accept": "application/json"}, timeout=20)
    assert newest.json()["verdict"] == "valid", newest.text


def _desk(ministry: Ministry, fetcher: Any, **settings: Any) -> DiplomaDesk:
    return DiplomaDesk(
        engine=ministry.year.engine,
        settings=ministry.portal.settings.model_copy(update=settings),
        issuer=ministry.issuer,
        fetcher=fetcher,
    )


def _current(ministry: Ministry, index: int) -> DiplomaRecord:
    with reading(ministry.year.engine) as db:
        return records_of(db, cnie=ministry.year.cards[ministry.admitted[index]].cnie)[0]


def test_what_the_verifier_answers_is_checked_before_anything_is_kept(ministry: Ministry) -> None:
    fetcher = FakeFetcher()
    desk = _desk(ministry, fetcher, verifier_url="http://127.0.0.1:9")
    record, now = _current(ministry, 0), datetime.now(UTC)
    with pytest.raises(VerifierUnavailableError) as unreachable:
        desk.share(record, claims=["familyName"], lifetime_seconds=86400, now=now)
    assert unreachable.value.code == "share.verifier_unavailable"
    fetcher.json("http://127.0.0.1:9/shares/nonce", {"nonce": "n" * 22, "audience": "https://elsewhere.example/shares"})
    with pytest.raises(VerifierUnavailableError) as foreign:
        desk.share(record, claims=["familyName"], lifetime_seconds=86400, now=now)
    assert "another site" in foreign.value.found or "another site" in str(foreign.value)
    fetcher.json("http://127.0.0.1:9/shares/nonce", {"nonce": "n" * 22, "audience": "http://127.0.0.1:9/shares"})
    fetcher.json("http://127.0.0.1:9/shares", {"code": "holder_binding.nonce", "detail": "no"}, status=400)
    with pytest.raises(ShareRefusedError) as refused:
        desk.share(record, claims=["familyName"], lifetime_seconds=86400, now=now)
    assert refused.value.code == "share.refused"
    assert desk.shares_of(record.graduate_id) == []


def test_sharing_needs_the_holder_key_secret_and_sealed_values_stay_with_their_graduate(ministry: Ministry) -> None:
    record, now = _current(ministry, 0), datetime.now(UTC)
    without = _desk(ministry, FakeFetcher(), holder_key_secret=None)
    with pytest.raises(ConfigurationError) as missing:
        without.held_copy(record, now=now)
    assert missing.value.code == "portal.holder_key_secret"
    sealer = Sealer(HOLDER_SECRET.encode())
    sealed = sealer.seal(b"a held key", graduate_id=1)
    assert sealer.open(sealed, graduate_id=1) == b"a held key"
    with pytest.raises(ConfigurationError) as moved:
        sealer.open(sealed, graduate_id=2)
    assert moved.value.code == "portal.holder_key_unreadable"
    with pytest.raises(ConfigurationError):
        Sealer(b"another secret of the portal, 32+ chars").open(sealed, graduate_id=1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"holder_key_secret": "short"}, "TAWTIQ_PORTAL_HOLDER_KEY_SECRET must be a random string"),
        ({"holder_key_secret": HOLDER_SECRET, "secret_key": HOLDER_SECRET}, "must differ"),
        ({"verifier_url": "http://verifier.example.ma"}, "must use https off loopback"),
        ({"verifier_url": "ftp://127.0.0.1/"}, "must be an absolute http(s) URL"),
    ],
)
def test_the_diploma_pages_settings_refuse_unsafe_values(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        PortalSettings(**values)


def _verifier_request(ministry: Ministry, claims: list[str]) -> dict[str, Any]:
    created = httpx.post(f"{ministry.verifier_url}/oid4vp/requests", json={"claims": claims}, timeout=20)
    assert created.status_code == 201, created.text
    document: dict[str, Any] = created.json()
    return document


def _verifier_result(ministry: Ministry, transaction: str) -> dict[str, Any]:
    answer = httpx.get(f"{ministry.verifier_url}/oid4vp/requests/{transaction}", timeout=20)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def test_a_verifiers_openid4vp_request_is_reviewed_then_answered_from_the_held_copy(
    ministry: Ministry, graduate: Browser
) -> None:
    created = _verifier_request(ministry, ["familyName", "givenName", "mention"])
    link = created["authorization_request"]
    assert link.startswith("openid4vp://")
    token = graduate.csrf_token("/diploma")
    review = graduate.post("/diploma/requests", {"csrf_token": token, "lang": "fr", "link": link})
    assert review.status_code == 200, review.text
    assert 'id="not-vouched"' in review.text, "a verifier no registrar vouches for is said to be one"
    assert re.findall(r'data-claim="([A-Za-z]+)"', review.text) == ["familyName", "givenName", "mention"]
    assert _verifier_result(ministry, created["id"])["status"] == "retrieved", "nothing answered by the review"
    done = graduate.post(
        "/diploma/requests/answer", {"csrf_token": token, "lang": "fr", "link": link, "decision": "share"}
    )
    assert done.status_code == 200, done.text
    assert 'data-verdict="valid"' in done.text
    result = _verifier_result(ministry, created["id"])
    assert result["status"] == "answered"
    assert result["verdict"] == "valid", result
    disclosed = result["report"]["claims"]
    assert set(disclosed) >= {"familyName", "givenName", "mention"}
    assert "cnie" not in disclosed, "only what was asked is disclosed"
    again = graduate.post(
        "/diploma/requests/answer", {"csrf_token": token, "lang": "fr", "link": link, "decision": "share"}
    )
    assert again.status_code == 400, "an answered request is not answered twice"
    assert error_code(again) == "presentation.expired"


def test_a_declined_request_tells_the_verifier_and_discloses_nothing(ministry: Ministry, graduate: Browser) -> None:
    created = _verifier_request(ministry, ["familyName"])
    token = graduate.csrf_token("/diploma")
    form = {"csrf_token": token, "link": created["authorization_request"], "decision": "decline"}
    done = graduate.post("/diploma/requests/answer", form)
    assert done.status_code == 200, done.text
    assert 'data-verdict="' not in done.text
    assert _verifier_result(ministry, created["id"])["status"] == "failed"
    with reading(ministry.year.engine) as db:
        assert db.execute(custody.select()).first() is None, "no key was made for a declined request"


@pytest.mark.parametrize(
    ("link", "code"),
    [
        ("https://verifier.example/not-a-request", "presentation.link"),
        ("openid4vp://?client_id=redirect_uri:x", "presentation.link"),
        ("openid4vp://?client_id=a&client_id=b&request=x", "presentation.link"),
        ("openid4vp://?client_id=redirect_uri:http://127.0.0.1:9/r&request=a.b.c", "presentation.invalid"),
    ],
)
def test_a_malformed_request_link_is_refused(graduate: Browser, link: str, code: str) -> None:
    answer = graduate.post("/diploma/requests", {"csrf_token": graduate.csrf_token("/diploma"), "link": link})
    assert answer.status_code == 400, answer.text
    assert error_code(answer) == code


def test_a_request_whose_answer_would_go_elsewhere_is_refused(ministry: Ministry, graduate: Browser) -> None:
    created = _verifier_request(ministry, ["familyName"])
    link = created["authorization_request"].replace(
        "client_id=redirect_uri%3A", "client_id=redirect_uri%3Ahttp%3A%2F%2F127.0.0.1%3A9%2Fother%3F"
    )
    assert link != created["authorization_request"]
    answer = graduate.post("/diploma/requests", {"csrf_token": graduate.csrf_token("/diploma"), "link": link})
    assert answer.status_code == 400, answer.text
    assert error_code(answer) == "presentation.invalid"
    assert "client_id differs" in answer.text


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}.c2ln"


def test_a_signed_request_needs_a_registrar_and_off_loopback_every_url_is_https(ministry: Ministry) -> None:
    responder = Responder(_desk(ministry, FakeFetcher()))
    token = _unsigned({"typ": "oauth-authz-req+jwt", "alg": "ES256"}, {"client_id": "x509_hash:abc"})
    with pytest.raises(PresentationRequestError) as unset:
        responder.fetch(f"openid4vp://?client_id=x509_hash:abc&request={token}", now=datetime.now(UTC))
    assert unset.value.code == "presentation.registrars_unset"
    production = Responder(_desk(ministry, FakeFetcher(), public_url="https://portal.example.ma"))
    link = "openid4vp://?client_id=redirect_uri:http://127.0.0.1:9/r&request_uri=http://127.0.0.1:9/request/x"
    with pytest.raises(PresentationRequestError) as plain:
        production.fetch(link, now=datetime.now(UTC))
    assert "not https" in str(plain.value)


def test_the_shared_checks_refusals_reach_the_page_under_the_portals_codes(ministry: Ministry) -> None:
    """The wallet's checks (common.oid4vp_holder) refuse; the portal says so with its own codes and what was found."""
    responder = Responder(_desk(ministry, FakeFetcher()))
    now = datetime.now(UTC)
    client_id = "redirect_uri:http://127.0.0.1:9/r"
    diploma = {"id": "diploma", "format": "dc+sd-jwt", "meta": {"vct_values": [schemas.DIPLOMA_VCT]}}

    def payload(**changes: Any) -> dict[str, Any]:
        return {
            "client_id": client_id,
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": "http://127.0.0.1:9/r",
            "nonce": "n" * 22,
            "dcql_query": {"credentials": [diploma | {"claims": [{"path": ["familyName"]}]}]},
        } | changes

    header = {"typ": "oauth-authz-req+jwt", "alg": "none"}
    cases = [
        ("presentation.invalid", "not a NumericDate", {"exp": "soon"}),
        ("presentation.expired", "expired", {"exp": int(now.timestamp()) - 3600}),
        ("presentation.invalid", "dated in the future", {"iat": int(now.timestamp()) + 3600}),
        (
            "presentation.unsupported",
            "claims a diploma does not have",
            {"dcql_query": {"credentials": [diploma | {"claims": [{"path": ["salary"]}]}]}},
        ),
        (
            "presentation.unsupported",
            "does not ask for the baccalaureate diploma",
            {"dcql_query": {"credentials": [diploma | {"meta": {"vct_values": ["urn:other"]}}]}},
        ),
    ]
    for code, text, changes in cases:
        token = _unsigned(header, payload(**changes))[: -len("c2ln")]
        with pytest.raises(PresentationRequestError) as refused:
            responder.fetch(f"openid4vp://?client_id={client_id}&request={token}", now=now)
        assert refused.value.code == code, (changes, refused.value)
        assert text in str(refused.value), refused.value
        assert str(refused.value).startswith("the verifier's request is not acceptable: "), refused.value
    optional = payload(
        dcql_query={
            "credentials": [
                diploma | {"claims": [{"path": ["familyName"]}, {"path": ["mention"]}]},
                diploma | {"id": "extra", "claims": [{"path": ["cnie"]}]},
            ],
            "credential_sets": [{"options": [["diploma"]]}, {"options": [["extra"]], "required": False}],
        }
    )
    token = _unsigned(header, optional)[: -len("c2ln")]
    checked = responder.fetch(f"openid4vp://?client_id={client_id}&request={token}", now=now)
    assert checked.claims == ("familyName", "mention"), "an optional credential set discloses nothing"
    assert [query.id for query in checked.selection.queries] == ["diploma"]
