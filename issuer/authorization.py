"""OpenID4VCI 1.0 authorization code flow (§5, RFC 6749 §4.1, RFC 7636): a wallet obtains the diploma through the
graduate's eID login instead of a PIN handed over by someone.

The wire protocol (every URL relative to the issuer identifier ``ISS``):

1. **Authorization request.** The wallet sends the graduate's browser to
   ``GET ISS/authorize?response_type=code&client_id=<wallet>&redirect_uri=<URI>&code_challenge=<S256>
   &code_challenge_method=S256&state=<wallet state>`` with ``scope=<configuration id>...`` or
   ``authorization_details=[{"type": "openid_credential", "credential_configuration_id": ...}]``, or
   ``issuer_state`` from a credential offer (which then names the configurations). ``redirect_uri`` is an
   ``https`` URI or an ``http`` one to a loopback host (RFC 8252 §7.3, a wallet on the same device). A request
   whose ``redirect_uri`` is unusable is refused with a problem (400), never redirected; other bad requests go
   back to the wallet with the OAuth error. The issuer keeps the request and sends the browser to the eID login
   (:mod:`common.identity`), setting a cookie that binds the login to this browser.
2. **The eID's callback** ``GET ISS/authorize/callback?code&state``: the login is finished through the identity
   port (state, code, ID token, level of assurance), the graduate is identified by the CNIE, and their current
   active diploma record is found (with ``issuer_state``: the offer's record, which must be theirs). The browser
   goes back to the wallet with ``error=access_denied`` (a refused login, no diploma record, another graduate's
   offer) or ``error=temporarily_unavailable`` (the eID cannot be reached); otherwise on to step 3.
3. **Consent** ``GET ISS/authorize/consent?request=<reference>``: the issuer's page shows the graduate which diploma
   (their name, session, mention) is about to go to which wallet (the ``client_id`` and the redirect URI's host: "a
   wallet on this device" for a loopback one, a plain warning for a remote one, since wallets are not
   authenticated). ``POST ISS/authorize/consent`` (``request``, ``csrf_token``, ``decision=confirm|refuse``) from
   that page, in the browser that started the request (its cookie) and with the page's token (an HMAC of the
   cookie and the request: cross-site, other-browser and other-request posts are refused). Confirm: the browser
   goes back to the wallet with ``<redirect_uri>?code=<code>&state=<wallet state>&iss=ISS`` (RFC 9207); refuse:
   with ``error=access_denied`` and nothing is issued (RFC 6749 §4.1.2.1). One decision per request; the page
   expires with the request (``TAWTIQ_AUTHORIZATION_LOGIN_SECONDS`` from step 1). Without this step a graduate
   tricked into opening an attacker's authorization link would bind the diploma to the attacker's wallet unseen.
4. **Token.** ``POST ISS/token`` with ``grant_type=authorization_code&code&redirect_uri&code_verifier&client_id``
   (a public client: no secret). The code is single use, valid ``TAWTIQ_AUTHORIZATION_CODE_SECONDS``, bound to
   the client, the redirect URI and the PKCE challenge; the answer is the pre-authorized flow's (an access token
   for the record), and the nonce and credential steps are the same (:mod:`issuer.oid4vci`): each copy is bound
   to the wallet's key.

Nothing personal is stored or audited: the record's id, digests of the states and codes, the level of assurance.
The consent page shows the graduate's own name, after their login, and is never cached (``no-store``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from sqlalchemy import Engine, select
from sqlmodel import col

import schemas
from common.identity import Identity, LoginStart
from issuer import audit
from issuer.db import reading, writing
from issuer.errors import IssuerError, OAuthError
from issuer.models import ACTIVE, AccessToken, CredentialOffer, Diploma, Graduate, WalletAuthorization
from issuer.oid4vci import CONFIGURATIONS
from issuer.secrets import sha256_hex
from issuer.settings import Settings
from vc.urls import is_loopback_host

#: The cookie that ties the eID callback to the browser that made the authorization request.
BROWSER_COOKIE: Final = "tawtiq_authorize"
_PKCE_CHALLENGE_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_SINGLE: Final = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "authorization_details",
    "issuer_state",
)


class AuthorizationRequestError(IssuerError):
    """An authorization request that cannot even be answered by a redirect (its redirect URI is unusable)."""

    default_code = "authorize.invalid"


@dataclass(frozen=True)
class WalletRedirect:
    """Where the browser goes back to the wallet: its redirect URI with a code, or with an OAuth error."""

    url: str


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request of a wallet."""

    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    configuration_ids: tuple[str, ...]
    offer_id: str | None

    def error(self, error: str, description: str) -> WalletRedirect:
        """The redirect that tells the wallet ``error`` (RFC 6749 §4.1.2.1)."""
        return _back(self.redirect_uri, {"error": error, "error_description": description}, state=self.state)


def parse_authorization_request(params: Mapping[str, list[str]]) -> AuthorizationRequest | WalletRedirect:
    """Check a wallet's authorization request (the module docstring, step 1).

    Raises :class:`AuthorizationRequestError` while the redirect URI is not known to be usable; afterwards,
    returns the :class:`WalletRedirect` that carries the error back to the wallet.
    """
    values = {name: items[0] for name, items in params.items() if items}
    redirect_uri = values.get("redirect_uri", "")
    problem = _redirect_uri_problem(redirect_uri)
    if problem is not None or len(params.get("redirect_uri", [])) > 1:
        raise AuthorizationRequestError(
            "the wallet's redirect URI cannot be used, so the request is not answered by a redirect",
            found=redirect_uri[:200] or "no redirect_uri",
            expected=problem or "one redirect_uri",
        )
    client_id = values.get("client_id", "")
    if not client_id or len(client_id) > 200:
        raise AuthorizationRequestError(
            "the authorization request names no client", found="client_id missing or too long", expected="client_id"
        )
    state = values.get("state")

    def refuse(error: str, description: str) -> WalletRedirect:
        return _back(redirect_uri, {"error": error, "error_description": description}, state=state)

    repeated = sorted(name for name in _SINGLE if len(params.get(name, [])) > 1)
    if repeated:
        return refuse("invalid_request", f"parameters must not be repeated: {', '.join(repeated)}")
    if values.get("response_type") != "code":
        return refuse("unsupported_response_type", "only response_type=code is supported")
    challenge = values.get("code_challenge", "")
    if values.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
        return refuse("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
    if not set(challenge) <= _PKCE_CHALLENGE_CHARS:
        return refuse("invalid_request", "code_challenge is not base64url")
    chosen: list[str] = []
    if "scope" in values:
        scopes = values["scope"].split()
        unknown = [scope for scope in scopes if scope not in CONFIGURATIONS]
        if unknown or not scopes:
            return refuse("invalid_scope", f"unknown scope; expected some of {', '.join(CONFIGURATIONS)}")
        chosen += scopes
    if "authorization_details" in values:
        try:
            chosen += _authorization_details(values["authorization_details"])
        except OAuthError as exc:
            return refuse(exc.error, exc.summary)
    offer_id = values.get("issuer_state")
    if offer_id is not None and (len(offer_id) != 64 or not all(c in "0123456789abcdef" for c in offer_id)):
        return refuse("invalid_request", "issuer_state is not one this issuer gave")
    if not chosen and offer_id is None:
        return refuse("invalid_request", "name the credential: scope, authorization_details or issuer_state")
    return AuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
        configuration_ids=tuple(dict.fromkeys(chosen)),
        offer_id=offer_id,
    )


def begin(
    engine: Engine,
    *,
    request: AuthorizationRequest,
    login: LoginStart,
    browser_secret: str,
    settings: Settings,
    now: datetime,
) -> WalletRedirect | None:
    """Keep the request while the graduate logs in; ``None``, or the error for an unusable ``issuer_state``."""
    configuration_ids = request.configuration_ids
    with writing(engine) as db:
        if request.offer_id is not None:
            offer = db.get(CredentialOffer, request.offer_id)
            if offer is None or now >= offer.expires_at or offer.locked_at is not None:
                return request.error("invalid_request", "issuer_state names no offer in force; ask for a new one")
            offered = tuple(json.loads(offer.configuration_ids))
            if not configuration_ids:
                configuration_ids = offered
            elif not set(configuration_ids) <= set(offered):
                return request.error("invalid_scope", "the credential asked for is not in the offer")
        db.add(
            WalletAuthorization(
                id=_login_reference(login.state),
                browser_hash=sha256_hex(browser_secret),
                login=json.dumps(asdict(login)),
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                wallet_state=request.state,
                code_challenge=request.code_challenge,
                configuration_ids=json.dumps(list(configuration_ids)),
                offer_id=request.offer_id,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.authorization_login_seconds),
            )
        )
    return None


@dataclass(frozen=True)
class PendingLogin:
    """A request waiting for the eID's callback: the login to finish, and where to send errors."""

    reference: str
    login: LoginStart
    request: AuthorizationRequest


def pending(engine: Engine, *, state: str, browser_secret: str | None, now: datetime) -> PendingLogin:
    """The request an eID callback belongs to. Raises :class:`AuthorizationRequestError` (no redirect: the
    callback cannot be trusted to name a wallet) for an unknown, expired or spent login, or another browser."""
    reference = _login_reference(state)
    with reading(engine) as db:
        row = db.get(WalletAuthorization, reference)
    if row is None or row.logged_in_at is not None or now >= row.expires_at:
        raise AuthorizationRequestError(
            "this login is unknown, expired or already used; start again from the wallet",
            code="authorize.login_unknown",
            found="unknown" if row is None else ("used" if row.logged_in_at else "expired"),
            expected="the callback of a login started in the last minutes",
        )
    _check_browser(row, browser_secret)
    request = AuthorizationRequest(
        client_id=row.client_id,
        redirect_uri=row.redirect_uri,
        state=row.wallet_state,
        code_challenge=row.code_challenge,
        configuration_ids=tuple(json.loads(row.configuration_ids)),
        offer_id=row.offer_id,
    )
    return PendingLogin(reference=reference, login=LoginStart(**json.loads(row.login)), request=request)


@dataclass(frozen=True)
class ConsentNeeded:
    """The graduate has logged in and their record is found: the browser goes to the consent page of ``reference``."""

    reference: str


def complete(
    engine: Engine, *, login: PendingLogin, identity: Identity, now: datetime
) -> ConsentNeeded | WalletRedirect:
    """The graduate logged in: their current diploma record is kept for the consent page, or ``access_denied``
    (no record, another graduate's offer) goes back to the wallet. No code is made before the graduate confirms
    (:func:`decide`)."""
    request = login.request
    with writing(engine) as db:
        row = db.execute(
            select(WalletAuthorization).where(col(WalletAuthorization.id) == login.reference).with_for_update()
        ).scalar_one_or_none()
        if row is None or row.logged_in_at is not None:
            return request.error("access_denied", "this login was already used; start again from the wallet")
        diploma = _current_record(db, cnie=identity.cnie)
        if request.offer_id is not None:
            offer = db.get(CredentialOffer, request.offer_id)
            offered = db.get(Diploma, offer.diploma_id) if offer is not None else None
            if offered is None or diploma is None or _graduate_of(db, offered) != _graduate_of(db, diploma):
                return request.error("access_denied", "the credential offer is for another graduate")
            diploma = offered if offered.status == ACTIVE and offered.replaced_by is None else None
        if diploma is None:
            return request.error(
                "access_denied",
                "no diploma record for this identity: the ministry has no active diploma for this CNIE",
            )
        row.logged_in_at = now
        row.acr = identity.acr[:200]
        row.diploma_id = diploma.id
        db.add(row)
        db.flush()
        audit.append(
            db,
            actor="wallet",
            action="authorization.login",
            target=diploma.id,
            at=now,
            details={"authorization": login.reference[:16], "acr": identity.acr},
        )
    return ConsentNeeded(reference=login.reference)


# ----------------------------------------------------------------------------------------------- consent


@dataclass(frozen=True)
class ConsentRequest:
    """What the consent page shows: the graduate's own diploma (they have logged in) and the wallet asking for it.

    ``on_this_device`` when the redirect URI is a loopback one (a native wallet on the graduate's device), else
    ``redirect_host`` is a remote host the issuer cannot vouch for. Its ``repr`` shows no personal data.
    """

    reference: str
    csrf_token: str = field(repr=False)
    client_id: str
    redirect_host: str
    on_this_device: bool
    family_name: schemas.BilingualName = field(repr=False)
    given_name: schemas.BilingualName = field(repr=False)
    session: schemas.ExamSession
    mention: str
    expires_at: datetime


def consent_token(*, browser_secret: str, reference: str) -> str:
    """The consent form's CSRF token: an HMAC of the browser's cookie and the request, so a page's token is good
    only in that browser and for that request, and a reload shows the same token (nothing more is stored)."""
    digest = hmac.new(browser_secret.encode(), b"consent\x00" + reference.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def awaiting_consent(engine: Engine, *, reference: str, browser_secret: str | None, now: datetime) -> ConsentRequest:
    """The request whose consent page ``reference`` names. Raises :class:`AuthorizationRequestError`
    ``authorize.consent_unknown`` (unknown, not logged in, already decided, expired) or ``authorize.other_browser``."""
    with reading(engine) as db:
        row = _awaiting(db.get(WalletAuthorization, reference) if _is_reference(reference) else None, now=now)
        _check_browser(row, browser_secret)
        diploma = db.get(Diploma, row.diploma_id)
        if diploma is None:  # pragma: no cover - records are never deleted
            raise _consent_unknown("unknown")
        claims = json.loads(diploma.claims)
    parts = urlsplit(row.redirect_uri)
    return ConsentRequest(
        reference=reference,
        csrf_token=consent_token(browser_secret=str(browser_secret), reference=reference),
        client_id=row.client_id,
        redirect_host=parts.hostname or "",
        on_this_device=is_loopback_host(parts.hostname),
        family_name=schemas.BilingualName(**claims["familyName"]),
        given_name=schemas.BilingualName(**claims["givenName"]),
        session=schemas.ExamSession(claims["session"]["year"], claims["session"]["type"]),
        mention=str(claims["mention"]),
        expires_at=row.expires_at,
    )


def decide(
    engine: Engine,
    *,
    reference: str,
    browser_secret: str | None,
    csrf_token: str,
    confirm: bool,
    settings: Settings,
    now: datetime,
) -> WalletRedirect:
    """The graduate's answer on the consent page: with ``confirm``, the code for the record goes back to the wallet;
    without, ``access_denied`` and nothing is issued. Either way the request is spent.

    Raises :class:`AuthorizationRequestError` (no redirect: the post cannot be trusted to name a wallet)
    ``authorize.consent_unknown`` (unknown, not logged in, already decided, expired), ``authorize.other_browser``
    or ``authorize.csrf`` (a token missing or not this page's).
    """
    code = random.token_urlsafe(32)
    with writing(engine) as db:
        found = (
            db.execute(
                select(WalletAuthorization).where(col(WalletAuthorization.id) == reference).with_for_update()
            ).scalar_one_or_none()
            if _is_reference(reference)
            else None
        )
        row = _awaiting(found, now=now)
        _check_browser(row, browser_secret)
        expected = consent_token(browser_secret=str(browser_secret), reference=reference)
        if not hmac.compare_digest(csrf_token.encode(), expected.encode()):
            raise AuthorizationRequestError(
                "the answer was not sent from this request's consent page",
                code="authorize.csrf",
                status_code=403,
                found="no csrf_token" if not csrf_token else "another page's csrf_token",
                expected="the csrf_token of the consent page shown in this browser",
            )
        if confirm:
            row.code_hash = sha256_hex(code)
            row.code_expires_at = now + timedelta(seconds=settings.authorization_code_seconds)
        else:
            row.refused_at = now
        db.add(row)
        db.flush()
        audit.append(
            db,
            actor="wallet",
            action="authorization.consent" if confirm else "authorization.refused",
            target=str(row.diploma_id),
            at=now,
            details={"authorization": reference[:16]},
        )
        redirect_uri, state = row.redirect_uri, row.wallet_state
    if not confirm:
        return _back(
            redirect_uri,
            {"error": "access_denied", "error_description": "the graduate refused to add the diploma to this wallet"},
            state=state,
        )
    return _back(redirect_uri, {"code": code, "iss": settings.issuer_url}, state=state)


def _is_reference(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _consent_unknown(found: str) -> AuthorizationRequestError:
    return AuthorizationRequestError(
        "this request is unknown, expired or already answered; start again from the wallet",
        code="authorize.consent_unknown",
        found=found,
        expected="a request whose eID login has just ended, answered once, before it expires",
    )


def _awaiting(row: WalletAuthorization | None, *, now: datetime) -> WalletAuthorization:
    """``row`` if it waits for the graduate's answer, else the error saying why not."""
    if row is None:
        raise _consent_unknown("unknown")
    if row.logged_in_at is None or row.diploma_id is None:
        raise _consent_unknown("not logged in")
    if row.code_hash is not None or row.refused_at is not None:
        raise _consent_unknown("already answered")
    if now >= row.expires_at:
        raise _consent_unknown("expired")
    return row


def _check_browser(row: WalletAuthorization, browser_secret: str | None) -> None:
    if browser_secret is None or not hmac.compare_digest(sha256_hex(browser_secret), row.browser_hash):
        raise AuthorizationRequestError(
            "this request was started in another browser",
            code="authorize.other_browser",
            status_code=403,
            found="no cookie" if browser_secret is None else "another browser's cookie",
            expected="the browser the wallet sent to the login",
        )


def refused_login(login: PendingLogin, *, error: str, description: str) -> WalletRedirect:
    """The redirect telling the wallet that the eID login did not succeed."""
    return login.request.error(error, description)


# ----------------------------------------------------------------------------------------------- token


@dataclass(frozen=True)
class CodeTokenRequest:
    """A token request of the authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5)."""

    code: str
    redirect_uri: str
    code_verifier: str
    client_id: str


def parse_code_token_request(values: Mapping[str, str]) -> CodeTokenRequest:
    """The parameters of an authorization code token request. Raises :class:`OAuthError` ``invalid_request``."""
    missing = [name for name in ("code", "redirect_uri", "code_verifier", "client_id") if not values.get(name)]
    if missing:
        raise OAuthError("invalid_request", f"missing: {', '.join(missing)}")
    verifier = values["code_verifier"]
    if not 43 <= len(verifier) <= 128 or not set(verifier) <= _PKCE_CHALLENGE_CHARS | set(".~"):
        raise OAuthError("invalid_request", "code_verifier is not a PKCE verifier (43-128 unreserved characters)")
    return CodeTokenRequest(
        code=values["code"],
        redirect_uri=values["redirect_uri"],
        code_verifier=verifier,
        client_id=values["client_id"],
    )


def redeem_code(engine: Engine, *, request: CodeTokenRequest, settings: Settings, now: datetime) -> dict[str, Any]:
    """Exchange an authorization code for an access token to the record it opens. Raises :class:`OAuthError`
    ``invalid_grant`` for an unknown, used or expired code, another client's, another redirect URI, a wrong
    verifier or a record no longer active. The code is spent by the first request naming it."""
    with writing(engine) as db:
        row = db.execute(
            select(WalletAuthorization)
            .where(col(WalletAuthorization.code_hash) == sha256_hex(request.code))
            .with_for_update()
        ).scalar_one_or_none()
        if row is None or row.redeemed_at is not None:
            raise OAuthError("invalid_grant", "the authorization code is unknown or was already used")
        row.redeemed_at = now
        db.add(row)
        db.flush()
        failure = _code_problem(row, request, now=now)
        if failure is None:
            diploma = db.get(Diploma, row.diploma_id) if row.diploma_id else None
            if diploma is None or diploma.status != ACTIVE:
                failure = "the diploma of this authorization is no longer active"
        if failure is None:
            access_token = random.token_urlsafe(32)
            db.add(
                AccessToken(
                    token_hash=sha256_hex(access_token),
                    offer_id=f"authz:{row.id[:32]}",
                    diploma_id=str(row.diploma_id),
                    configuration_ids=row.configuration_ids,
                    created_at=now,
                    expires_at=now + timedelta(seconds=settings.access_token_ttl_seconds),
                )
            )
            audit.append(
                db,
                actor="wallet",
                action="authorization.redeem",
                target=str(row.diploma_id),
                at=now,
                details={"authorization": row.id[:16]},
            )
    # The code is spent (committed) whatever the outcome: a failed attempt cannot be retried with it.
    if failure is not None:
        raise OAuthError("invalid_grant", failure)
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": settings.access_token_ttl_seconds}


def _code_problem(row: WalletAuthorization, request: CodeTokenRequest, *, now: datetime) -> str | None:
    if row.code_expires_at is None or now >= row.code_expires_at:
        return "the authorization code has expired"
    if not hmac.compare_digest(row.client_id.encode(), request.client_id.encode()):
        return "the authorization code was issued to another client"
    if row.redirect_uri != request.redirect_uri:
        return "the redirect_uri differs from the authorization request's"
    digest = hashlib.sha256(request.code_verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    if not hmac.compare_digest(challenge, row.code_challenge):
        return "the code_verifier does not match the code_challenge (PKCE)"
    return None


# ----------------------------------------------------------------------------------------------- helpers


def _current_record(db: Any, *, cnie: str) -> Diploma | None:
    """The graduate's current active record: not superseded, active, the newest session first."""
    statement = (
        select(Diploma)
        .join(Graduate, col(Graduate.id) == col(Diploma.graduate_id))
        .where(col(Graduate.cnie) == schemas.normalise_identifier(cnie))
        .where(col(Diploma.replaced_by).is_(None))
        .where(col(Diploma.status) == ACTIVE)
        .order_by(col(Diploma.session).desc(), col(Diploma.version).desc())
    )
    diploma: Diploma | None = db.execute(statement).scalars().first()
    return diploma


def _graduate_of(db: Any, diploma: Diploma) -> str | None:
    graduate = db.get(Graduate, diploma.graduate_id)
    return graduate.cnie if graduate is not None else None


def _login_reference(state: str) -> str:
    return sha256_hex("authorize\x00" + state)


def _redirect_uri_problem(uri: str) -> str | None:
    if not uri or len(uri) > 2000:
        return "an absolute redirect URI"
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        return "a redirect URI without a fragment (RFC 6749 §3.1.2)"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return None
    return "https, or http to a loopback address for a wallet on this device (RFC 8252 §7.3)"


def _authorization_details(raw: str) -> list[str]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise OAuthError("invalid_request", "authorization_details is not JSON") from None
    if not isinstance(parsed, list) or not parsed:
        raise OAuthError("invalid_request", "authorization_details must be a non-empty JSON array")
    chosen = []
    for item in parsed:
        configuration = item.get("credential_configuration_id") if isinstance(item, dict) else None
        if not isinstance(item, dict) or item.get("type") != "openid_credential" or configuration not in CONFIGURATIONS:
            raise OAuthError(
                "invalid_authorization_details", "each entry: openid_credential with a known configuration"
            )
        chosen.append(str(configuration))
    return chosen


def _back(uri: str, params: Mapping[str, str], *, state: str | None) -> WalletRedirect:
    values = dict(params)
    if state is not None:
        values["state"] = state
    separator = "&" if urlsplit(uri).query else "?"
    return WalletRedirect(url=f"{uri}{separator}{urlencode(values)}")
