"""The authorization code flow's storage and rules on both databases, and the issuer without an eID login.

The whole flow over HTTP, with the real eID stand-in and wallet, is in ``tests/wallet_cli/test_login.py``; here the
domain functions run on SQLite and PostgreSQL with an :class:`Identity` as the identity port would return it, and
the graduate's answer on the consent page as :func:`issuer.authorization.decide` receives it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import col

from common.identity import Identity, LoginStart
from issuer import authorization
from issuer.app import create_app
from issuer.db import reading
from issuer.errors import OAuthError
from issuer.keyring import Keyring
from issuer.models import AuditEvent, WalletAuthorization
from issuer.settings import Settings, load_settings
from tests.issuer.conftest import Clock, Cohort, OfferFactory, environment
from vc import ConfigurationError

CALLBACK = "http://127.0.0.1:9/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def identity(cnie: str) -> Identity:
    return Identity(
        subject="s",
        cnie=cnie,
        acr="urn:tawtiq:eid:loa:high",
        auth_time=None,
        family_name=None,
        given_name=None,
        family_name_ar=None,
        given_name_ar=None,
        birthdate=None,
    )


def started(
    engine: Engine, settings: Settings, clock: Clock, *, challenge: str, **params: str
) -> authorization.PendingLogin:
    query = {
        "response_type": "code",
        "client_id": "wallet",
        "redirect_uri": CALLBACK,
        "state": "w",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "BaccalaureateDiploma_vc_sd_jwt",
        **params,
    }
    request = authorization.parse_authorization_request({k: [v] for k, v in query.items()})
    assert isinstance(request, authorization.AuthorizationRequest)
    login = LoginStart(
        authorization_url="https://eid.example/authorize",
        state=secrets.token_urlsafe(16),
        nonce="n",
        code_verifier="v",
        redirect_uri="https://issuer.example/authorize/callback",
    )
    refused = authorization.begin(
        engine, request=request, login=login, browser_secret="browser", settings=settings, now=clock()
    )
    assert refused is None
    return authorization.pending(engine, state=login.state, browser_secret="browser", now=clock())


def code_of(redirect: authorization.WalletRedirect) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(redirect.url).query))


def logged_in(
    engine: Engine, settings: Settings, clock: Clock, pending: authorization.PendingLogin, cnie: str
) -> authorization.ConsentNeeded | authorization.WalletRedirect:
    return authorization.complete(engine, login=pending, identity=identity(cnie), now=clock())


def answered(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    pending: authorization.PendingLogin,
    cnie: str,
    *,
    confirm: bool = True,
) -> authorization.WalletRedirect:
    """The login ends for ``cnie`` and the graduate answers the consent page (or the login's error)."""
    outcome = logged_in(engine, settings, clock, pending, cnie)
    if isinstance(outcome, authorization.WalletRedirect):
        return outcome
    page = authorization.awaiting_consent(engine, reference=outcome.reference, browser_secret="browser", now=clock())
    return authorization.decide(
        engine,
        reference=outcome.reference,
        browser_secret="browser",
        csrf_token=page.csrf_token,
        confirm=confirm,
        settings=settings,
        now=clock(),
    )


def test_a_login_gives_a_single_use_code_for_the_graduates_record(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    verifier, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge)
    params = code_of(answered(engine, settings, clock, pending, cohort.cnies[0]))
    assert params["state"] == "w"
    assert params["iss"] == settings.issuer_url
    request = authorization.CodeTokenRequest(
        code=params["code"], redirect_uri=CALLBACK, code_verifier=verifier, client_id="wallet"
    )
    token = authorization.redeem_code(engine, request=request, settings=settings, now=clock())
    assert token["token_type"] == "Bearer"
    with pytest.raises(OAuthError, match="already used"):
        authorization.redeem_code(engine, request=request, settings=settings, now=clock())
    with reading(engine) as db:
        events = db.execute(select(col(AuditEvent.action), col(AuditEvent.details))).all()
    actions = [action for action, _ in events]
    assert "authorization.login" in actions
    assert "authorization.consent" in actions
    assert "authorization.redeem" in actions
    for _action, details in events:
        assert cohort.cnies[0] not in str(details)


def test_the_login_callback_is_spent_and_bound_to_its_browser(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    _, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge)
    state = pending.login.state
    with pytest.raises(authorization.AuthorizationRequestError) as caught:
        authorization.pending(engine, state=state, browser_secret="another", now=clock())
    assert caught.value.code == "authorize.other_browser"
    answered(engine, settings, clock, pending, cohort.cnies[1])
    with pytest.raises(authorization.AuthorizationRequestError) as caught:
        authorization.pending(engine, state=state, browser_secret="browser", now=clock())
    assert caught.value.code == "authorize.login_unknown"


def test_a_login_page_left_too_long_is_refused(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    _, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge)
    clock.advance(seconds=settings.authorization_login_seconds + 1)
    with pytest.raises(authorization.AuthorizationRequestError) as caught:
        authorization.pending(engine, state=pending.login.state, browser_secret="browser", now=clock())
    assert caught.value.found == "expired"


def test_the_consent_page_shows_the_graduates_own_record_and_expires_with_the_request(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    _, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge, redirect_uri="https://wallet.example/cb")
    outcome = logged_in(engine, settings, clock, pending, cohort.cnies[5])
    assert isinstance(outcome, authorization.ConsentNeeded)
    page = authorization.awaiting_consent(engine, reference=outcome.reference, browser_secret="browser", now=clock())
    assert (page.client_id, page.redirect_host, page.on_this_device) == ("wallet", "wallet.example", False)
    with reading(engine) as db:
        row = db.get(WalletAuthorization, outcome.reference)
        assert row is not None
        assert row.code_hash is None  # nothing for the wallet before the graduate confirms
    assert cohort.cnies[5] not in repr(page)
    assert page.family_name.lat not in repr(page)
    clock.advance(seconds=settings.authorization_login_seconds + 1)
    with pytest.raises(authorization.AuthorizationRequestError) as caught:
        authorization.awaiting_consent(engine, reference=outcome.reference, browser_secret="browser", now=clock())
    assert (caught.value.code, caught.value.found) == ("authorize.consent_unknown", "expired")
    with pytest.raises(authorization.AuthorizationRequestError) as caught:
        authorization.decide(
            engine,
            reference=outcome.reference,
            browser_secret="browser",
            csrf_token=page.csrf_token,
            confirm=True,
            settings=settings,
            now=clock(),
        )
    assert caught.value.found == "expired"


def test_a_consent_token_is_good_for_one_browser_and_one_request() -> None:
    token = authorization.consent_token(browser_secret="browser", reference="a" * 64)
    assert token == authorization.consent_token(browser_secret="browser", reference="a" * 64)
    assert token != authorization.consent_token(browser_secret="another", reference="a" * 64)
    assert token != authorization.consent_token(browser_secret="browser", reference="b" * 64)


def test_a_refusal_issues_nothing(engine: Engine, settings: Settings, clock: Clock, cohort: Cohort) -> None:
    _, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge)
    params = code_of(answered(engine, settings, clock, pending, cohort.cnies[6], confirm=False))
    assert params["error"] == "access_denied"
    assert params["state"] == "w"
    assert "code" not in params
    with reading(engine) as db:
        rows = db.execute(select(WalletAuthorization)).scalars().all()
        assert [row.code_hash for row in rows] == [None]
        assert "authorization.refused" in db.execute(select(col(AuditEvent.action))).scalars().all()


def test_an_expired_code_is_refused(engine: Engine, settings: Settings, clock: Clock, cohort: Cohort) -> None:
    verifier, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge)
    params = code_of(answered(engine, settings, clock, pending, cohort.cnies[2]))
    clock.advance(seconds=61)
    request = authorization.CodeTokenRequest(
        code=params["code"], redirect_uri=CALLBACK, code_verifier=verifier, client_id="wallet"
    )
    with pytest.raises(OAuthError, match="expired"):
        authorization.redeem_code(engine, request=request, settings=settings, now=clock())


def test_no_record_means_access_denied(engine: Engine, settings: Settings, clock: Clock, cohort: Cohort) -> None:
    _, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge)
    params = code_of(answered(engine, settings, clock, pending, "ZZ999999"))
    assert params["error"] == "access_denied"
    assert "no diploma record for this identity" in params["error_description"]
    assert "code" not in params


def test_an_offer_is_only_for_its_graduate(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort, make_offer: OfferFactory
) -> None:
    offer = make_offer(cohort.cnies[3])
    _, challenge = pkce()
    pending = started(engine, settings, clock, challenge=challenge, issuer_state=offer.reference)
    other = code_of(answered(engine, settings, clock, pending, cohort.cnies[4]))
    assert other["error"] == "access_denied"
    pending = started(engine, settings, clock, challenge=challenge, issuer_state=offer.reference)
    own = code_of(answered(engine, settings, clock, pending, cohort.cnies[3]))
    assert "code" in own


def test_an_unknown_issuer_state_goes_back_to_the_wallet(engine: Engine, settings: Settings, clock: Clock) -> None:
    request = authorization.parse_authorization_request(
        {
            "response_type": ["code"],
            "client_id": ["w"],
            "redirect_uri": [CALLBACK],
            "code_challenge": [pkce()[1]],
            "code_challenge_method": ["S256"],
            "issuer_state": ["a" * 64],
        }
    )
    assert isinstance(request, authorization.AuthorizationRequest)
    login = LoginStart(authorization_url="u", state="s", nonce="n", code_verifier="v", redirect_uri="r")
    refused = authorization.begin(
        engine, request=request, login=login, browser_secret="b", settings=settings, now=clock()
    )
    assert refused is not None
    assert code_of(refused)["error"] == "invalid_request"


def test_without_an_eid_login_there_is_no_authorization_endpoint(client: TestClient) -> None:
    answer = client.get("/authorize", params={"client_id": "w", "redirect_uri": CALLBACK})
    assert answer.status_code == 404
    assert answer.json()["code"] == "authorize.not_configured"
    token = client.post("/token", data={"grant_type": "authorization_code", "code": "x"})
    assert token.json()["error"] == "unsupported_grant_type"
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert "authorization_endpoint" not in metadata


def test_an_insecure_eid_discovery_url_stops_the_issuer(
    tmp_path: Path, database_url: str, engine: Engine, keyring: Keyring
) -> None:
    settings = load_settings(
        environment(
            tmp_path,
            database_url,
            TAWTIQ_IDENTITY_DISCOVERY_URL="http://eid.example/.well-known/openid-configuration",
            TAWTIQ_IDENTITY_CLIENT_ID="issuer",
            TAWTIQ_IDENTITY_CLIENT_SECRET="s" * 40,
        )
    )
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings, engine=engine, keyring=keyring)
    assert caught.value.code == "identity.settings"


def test_stale_authorization_requests_are_purged(
    engine: Engine, settings: Settings, clock: Clock, cohort: Cohort
) -> None:
    from issuer.oid4vci import purge_expired

    _, challenge = pkce()
    started(engine, settings, clock, challenge=challenge)
    assert purge_expired(engine, now=clock())["authorizations"] == 0
    clock.advance(days=1, seconds=settings.authorization_login_seconds + 1)
    assert purge_expired(engine, now=clock())["authorizations"] == 1


def test_an_unreachable_eid_is_a_503_before_anything_is_kept(
    tmp_path: Path, database_url: str, engine: Engine, keyring: Keyring, clock: Clock
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings = load_settings(
        environment(
            tmp_path,
            database_url,
            TAWTIQ_IDENTITY_DISCOVERY_URL=f"http://127.0.0.1:{closed}/.well-known/openid-configuration",
            TAWTIQ_IDENTITY_CLIENT_ID="issuer",
            TAWTIQ_IDENTITY_CLIENT_SECRET="s" * 40,
        )
    )
    with TestClient(create_app(settings, engine=engine, keyring=keyring, clock=clock)) as client:
        answer = client.get(
            "/authorize",
            params={
                "response_type": "code",
                "client_id": "w",
                "redirect_uri": CALLBACK,
                "code_challenge": pkce()[1],
                "code_challenge_method": "S256",
                "scope": "BaccalaureateDiploma_dc_sd_jwt",
            },
            follow_redirects=False,
        )
    assert answer.status_code == 503
    assert answer.json()["code"] == "identity.provider_unreachable"
    with reading(engine) as db:
        assert db.execute(select(WalletAuthorization)).first() is None
