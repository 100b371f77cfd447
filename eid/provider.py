"""The provider's protocol: OpenID Connect authorization code flow with PKCE, on Authlib's authorization server.

Authlib runs the protocol (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1): parameter checks, client
authentication at the token endpoint (``client_secret_basic`` or ``client_secret_post``), the redirect URI match,
the PKCE comparison, the ID token. What it leaves to us, and this module does:

* **Refuse before redirecting**: an unknown client or a redirect URI that is not registered is answered with a
  page (:class:`LoginRefusedError`), never by sending the browser to that URI (RFC 6749 §4.1.2.1).
* **PKCE S256 required** of every client, confidential ones too, and ``plain`` refused; ``scope`` must hold
  ``openid``; ``nonce`` is required.
* **Codes**: single use (taken out of the store by the first token request that names them, whatever its outcome),
  short-lived (``code_seconds``), bound to their client, redirect URI and PKCE challenge.
* **The card and its PIN** (:meth:`Provider.log_in`): a bounded number of wrong PINs per card, then the card is
  blocked for ``pin_lockout_seconds``.

State lives in this process (one process serves it: a development stand-in). Time comes from the injected clock.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urlencode

from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import grants as oidc_grants
from joserfc.jwk import ECKey

from common.service.clock import Clock
from eid.directory import CNIE_PATTERN, Client, Person
from eid.settings import Settings
from eid.signing import ALGORITHM, ProviderKeys

#: Level of assurance of a login with the card and its PIN (what this stand-in gives), and the one below it.
ACR_HIGH: Final = "urn:tawtiq:eid:loa:high"
ACR_SUBSTANTIAL: Final = "urn:tawtiq:eid:loa:substantial"
ACR_VALUES: Final = (ACR_SUBSTANTIAL, ACR_HIGH)
#: RFC 8176 methods of a card-and-PIN login: a hardware-secured key, unlocked with a PIN.
AMR: Final = ("hwk", "pin")
SCOPES: Final = ("openid", "profile")
#: The claims every ID token carries (the discovery document lists them).
CLAIMS: Final = (
    "iss", "aud", "exp", "iat", "nonce", "auth_time", "sub", "acr", "amr",
    "cnie", "family_name", "given_name", "family_name#ar", "given_name#ar", "birthdate",
)  # fmt: skip


class LoginRefusedError(Exception):
    """An authorization request refused with a page, not a redirect: the client or its redirect URI is unknown,
    or the login page expired or was not sent from itself. ``code`` is stable, ``status`` the HTTP status."""

    def __init__(self, code: str, *, status: int = 400, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.status = status
        self.detail = detail


class LoginOutcome(StrEnum):
    """What became of a card and PIN typed on the login page."""

    UNKNOWN_CARD = "unknown_card"
    MALFORMED_CARD = "malformed_card"
    MALFORMED_PIN = "malformed_pin"
    WRONG_PIN = "wrong_pin"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class LoginFailed:
    """A login refused on the page itself (the form is shown again): why, and the attempts left on that card."""

    outcome: LoginOutcome
    attempts_left: int | None = None


@dataclass(frozen=True)
class HttpAnswer:
    """What Authlib answers: a status, a body (a JSON object or text), headers."""

    status: int
    body: Mapping[str, Any] | str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@dataclass(frozen=True)
class LoginPage:
    """An authorization request that passed every check and waits for the card and PIN."""

    transaction: str
    csrf_token: str
    client_id: str
    ui_locales: str
    #: The authorization request's parameters (the page's language switch repeats them).
    params: tuple[tuple[str, str], ...]


@dataclass
class _Transaction:
    params: tuple[tuple[str, str], ...]
    csrf_token: str
    expires_at: datetime


@dataclass
class _Failures:
    count: int = 0
    blocked_until: datetime | None = None


@dataclass
class AuthorizationCode:
    """A code as kept until it is redeemed (Authlib's ``AuthorizationCodeMixin`` methods)."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str
    code_challenge: str
    code_challenge_method: str
    cnie: str
    auth_time: int
    expires_at: datetime
    acr: str = ACR_HIGH

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(AMR)


class _RegisteredClient:
    """A :class:`Client` as Authlib asks about it (``ClientMixin``)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # every request names its redirect URI (OpenID Connect Core §3.1.2.1)

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.client.redirect_uris  # exact string comparison (RFC 9700 §4.1.3)

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.client.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class _Request(OAuth2Request):  # type: ignore[misc]
    """An HTTP request as Authlib reads it: the query (authorization) or the form (token) as its payload."""

    def __init__(
        self, method: str, uri: str, params: Iterable[tuple[str, str]], headers: Mapping[str, str] | None = None
    ) -> None:
        # Authlib reads "Authorization" by that spelling: keep the framework's case-insensitive headers.
        super().__init__(method=method, uri=uri, headers=headers if headers is not None else {})
        pairs = list(params)
        first: dict[str, str] = {}
        for key, value in pairs:
            first.setdefault(key, value)
        self._values = first
        self.payload = BasicOAuth2Payload(first)
        self.payload._datalist = {key: [v for k, v in pairs if k == key] for key in first}

    @property
    def args(self) -> dict[str, str]:
        return self._values

    @property
    def form(self) -> dict[str, str]:
        return self._values


class _S256Required(CodeChallenge):  # type: ignore[misc]
    """RFC 7636 with S256 only, and required of every client."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - Authlib's class attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "PKCE is required: code_challenge with code_challenge_method=S256",
                redirect_uri=redirect_uri,
                state=grant.request.payload.state,
            )
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class Provider:
    """The provider's state and protocol; the routes call :meth:`start_login`, :meth:`log_in`, :meth:`token`."""

    def __init__(
        self,
        *,
        settings: Settings,
        keys: ProviderKeys,
        people: Mapping[str, Person],
        clients: Mapping[str, Client],
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.people = dict(people)
        self.clients = dict(clients)
        self.clock = clock
        self._lock = threading.Lock()
        self._transactions: dict[str, _Transaction] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._failures: dict[str, _Failures] = {}
        self._server = _Server(self)

    # ------------------------------------------------------------------------------------------ authorization

    def start_login(self, uri: str, params: Iterable[tuple[str, str]]) -> LoginPage | HttpAnswer:
        """Check an authorization request: a login page to show, or an error redirect to the client.

        Raises :class:`LoginRefusedError` (``eid.unknown_client``, ``eid.redirect_uri``, ``eid.bad_request``) when the
        client or its redirect URI cannot be trusted with a redirect.
        """
        pairs = tuple(params)
        request = _Request("GET", uri, pairs)
        try:
            self._server.get_consent_grant(request)
        except OAuth2Error as error:
            return self._refusal(request, error)
        now = self.clock.now()
        transaction = secrets.token_urlsafe(24)
        csrf = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_expired(now)
            if len(self._transactions) >= self.settings.max_pending_logins:
                raise LoginRefusedError(
                    "eid.busy", status=503, detail=f"{len(self._transactions)} login pages are open; try again shortly"
                )
            self._transactions[transaction] = _Transaction(
                params=pairs, csrf_token=csrf, expires_at=now + timedelta(seconds=self.settings.login_seconds)
            )
        values = dict(pairs)
        return LoginPage(
            transaction=transaction,
            csrf_token=csrf,
            client_id=values.get("client_id", ""),
            ui_locales=values.get("ui_locales", ""),
            params=pairs,
        )

    def login_request(self, *, transaction: str, csrf_token: str) -> LoginPage:
        """The waiting request a login form belongs to, once its CSRF token matches.

        Raises :class:`LoginRefusedError` ``eid.login_expired`` (unknown or expired) or ``eid.csrf`` (token mismatch).
        """
        now = self.clock.now()
        with self._lock:
            kept = self._transactions.get(transaction)
            if kept is None or kept.expires_at <= now:
                raise LoginRefusedError("eid.login_expired", detail="this login page has expired; start again")
            if not hmac.compare_digest(kept.csrf_token.encode(), csrf_token.encode()):
                raise LoginRefusedError("eid.csrf", status=403, detail="the form was not sent from this login page")
        values = dict(kept.params)
        return LoginPage(
            transaction=transaction,
            csrf_token=kept.csrf_token,
            client_id=values.get("client_id", ""),
            ui_locales=values.get("ui_locales", ""),
            params=kept.params,
        )

    def log_in(self, *, page: LoginPage, uri: str, cnie: str, pin: str) -> HttpAnswer | LoginFailed:
        """Check the card and PIN for a waiting request (from :meth:`login_request`); on success the redirect that
        carries the code back to the client, and the request is spent."""
        cnie = "".join(cnie.split()).upper()
        if not CNIE_PATTERN.fullmatch(cnie):
            return LoginFailed(LoginOutcome.MALFORMED_CARD)
        if not pin.isascii() or not pin.isdigit() or len(pin) != 6:
            return LoginFailed(LoginOutcome.MALFORMED_PIN)
        now = self.clock.now()
        person = self.people.get(cnie)
        if person is None:
            return LoginFailed(LoginOutcome.UNKNOWN_CARD)
        with self._lock:
            failures = self._failures.setdefault(cnie, _Failures())
            if failures.blocked_until is not None:
                if failures.blocked_until > now:
                    return LoginFailed(LoginOutcome.BLOCKED, attempts_left=0)
                failures.count, failures.blocked_until = 0, None
            if not person.pin_matches(pin):
                failures.count += 1
                left = self.settings.max_pin_attempts - failures.count
                if left <= 0:
                    failures.blocked_until = now + timedelta(seconds=self.settings.pin_lockout_seconds)
                    return LoginFailed(LoginOutcome.BLOCKED, attempts_left=0)
                return LoginFailed(LoginOutcome.WRONG_PIN, attempts_left=left)
            self._failures.pop(cnie, None)
            kept = self._transactions.pop(page.transaction, None)
        if kept is None:
            raise LoginRefusedError("eid.login_expired", detail="this login page has expired; start again")
        request = _Request("GET", uri, kept.params)
        try:
            grant = self._server.get_consent_grant(request, end_user=person)
        except OAuth2Error as error:
            return self._refusal(request, error)
        return self._server.create_authorization_response(request, grant_user=person, grant=grant)  # type: ignore[no-any-return]

    def _refusal(self, request: _Request, error: OAuth2Error) -> HttpAnswer:
        if not error.redirect_uri:
            values = request.payload.data
            client = values.get("client_id")
            if client is None or client not in self.clients:
                raise LoginRefusedError("eid.unknown_client", detail="this service is not registered with the eID")
            if values.get("redirect_uri") not in self.clients[client].redirect_uris:
                raise LoginRefusedError("eid.redirect_uri", detail="this redirect URI is not registered")
            raise LoginRefusedError("eid.bad_request", detail=str(error.description or error.error))
        return self._server.handle_error_response(request, error)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------------------------------ token

    def token(self, uri: str, form: Iterable[tuple[str, str]], headers: Mapping[str, str]) -> HttpAnswer:
        """The token endpoint's answer (RFC 6749 §5.1 or §5.2) to a form and its headers."""
        return self._server.create_token_response(_Request("POST", uri, form, headers))  # type: ignore[no-any-return]

    # ------------------------------------------------------------------------------------------ stores

    def save_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        person: Person = request.user
        now = self.clock.now()
        with self._lock:
            self._codes[code] = AuthorizationCode(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=data["redirect_uri"],
                scope=request.scope,
                nonce=data["nonce"],
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                cnie=person.cnie,
                auth_time=int(now.timestamp()),
                expires_at=now + timedelta(seconds=self.settings.code_seconds),
            )

    def take_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The code, removed from the store whatever happens next; ``None`` if unknown, expired or another
        client's."""
        with self._lock:
            kept = self._codes.pop(code, None)
        if kept is None or kept.expires_at <= self.clock.now() or kept.client_id != client_id:
            return None
        return kept

    def nonce_in_use(self, nonce: str, client_id: str) -> bool:
        with self._lock:
            return any(c.nonce == nonce and c.client_id == client_id for c in self._codes.values())

    def _forget_expired(self, now: datetime) -> None:
        for key in [k for k, t in self._transactions.items() if t.expires_at <= now]:
            del self._transactions[key]
        for key in [k for k, c in self._codes.items() if c.expires_at <= now]:
            del self._codes[key]

    # ------------------------------------------------------------------------------------------ discovery

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3)."""
        base = self.settings.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(SCOPES),
            "claims_supported": list(CLAIMS),
            "acr_values_supported": list(ACR_VALUES),
            "ui_locales_supported": ["ar", "fr"],
            "claims_locales_supported": ["ar", "fr"],
        }


class _Server(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server wired to a :class:`Provider`: clients, codes and tokens from it, answers as values."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.provider = provider
        self.register_token_generator("default", self._bearer_token)
        self.register_grant(_CodeGrant, [_S256Required(), _OpenIdCode(provider)])

    def query_client(self, client_id: str) -> _RegisteredClient | None:
        client = self.provider.clients.get(client_id)
        return _RegisteredClient(client) if client is not None else None

    def save_token(self, token: Mapping[str, Any], request: Any) -> None:
        """Nothing to keep: the stand-in serves no user-info or other resource the access token would open."""

    def create_oauth2_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Iterable[tuple[str, str]]) -> HttpAnswer:
        return HttpAnswer(status=status, body=body, headers=tuple(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals are listened to."""

    def _bearer_token(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "access_token": secrets.token_urlsafe(32),
            "expires_in": self.provider.settings.id_token_seconds,
            "scope": kwargs.get("scope") or "",
        }


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The code grant with our checks: ``openid`` in the scope, codes from the provider's store."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if "openid" not in (self.request.scope or "").split():
            raise InvalidScopeError(
                "the scope must include openid", redirect_uri=redirect_uri, state=self.request.payload.state
            )
        return redirect_uri

    @property
    def provider(self) -> Provider:
        provider: Provider = self.server.provider
        return provider

    def save_authorization_code(self, code: str, request: Any) -> None:
        self.provider.save_code(code, request)

    def query_authorization_code(self, code: str, client: _RegisteredClient) -> AuthorizationCode | None:
        return self.provider.take_code(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Already gone: :meth:`Provider.take_code` removed it when it was named."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Person | None:
        return self.provider.people.get(authorization_code.cnie)


class _OpenIdCode(oidc_grants.OpenIDCode):  # type: ignore[misc]
    """The ID token: ES256 with the provider's key and ``kid``, times from its clock, the card holder's claims."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return self.provider.nonce_in_use(nonce, request.payload.client_id)

    def resolve_client_private_key(self, client: Any) -> ECKey:
        return self.provider.keys.signing_key

    def get_client_algorithm(self, client: Any) -> str:
        return ALGORITHM

    def get_encode_header(self, client: Any) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": self.provider.keys.kid, "typ": "JWT"}

    def get_client_claims(self, client: _RegisteredClient) -> dict[str, Any]:
        now = int(self.provider.clock.now().timestamp())
        return {
            "iss": self.provider.settings.issuer,
            "aud": client.get_client_id(),
            "iat": now,
            "exp": now + self.provider.settings.id_token_seconds,
        }

    def generate_user_info(self, user: Person, scope: str) -> dict[str, Any]:
        return {
            "sub": self.provider.keys.subject_of(user.cnie),
            "cnie": user.cnie,
            "family_name": user.family_name,
            "given_name": user.given_name,
            "family_name#ar": user.family_name_ar,
            "given_name#ar": user.given_name_ar,
            "birthdate": user.birthdate.isoformat(),
        }


def authorization_query(params: Mapping[str, str]) -> str:
    """``params`` as a query string (tests and the login page's language switch build URLs with it)."""
    return urlencode(params)
