"""The identity port: how a relying party (the portal, the issuer) learns who logged in with the national eID.

The national eID's integration protocol is not public, so the platform talks to an :class:`IdentityPort`; the one
adapter, :class:`OidcIdentityPort`, speaks OpenID Connect (authorization code flow with PKCE S256, ``state`` and
``nonce``). A real provider is a matter of configuration (:class:`OidcSettings`: discovery URL, client id and
secret, the required level of assurance); the development stand-in is ``eid/``.

The caller keeps the :class:`LoginStart` of :meth:`IdentityPort.begin` in its server-side session, sends the browser
to ``authorization_url``, and hands the callback's query parameters to :meth:`IdentityPort.finish`, which returns
the :class:`Identity` or raises :class:`IdentityError`. Authlib builds the requests and checks the ID token's
registered claims; what it does not check is checked here, in the order of OpenID Connect Core §3.1.3.7.

Every request goes through the project's bounded fetcher (:mod:`common.fetch`: timeouts, size bounds, no
redirects, https or loopback http only); a provider that cannot be reached is ``identity.provider_unreachable``.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urlencode

import orjson
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from common.fetch import (
    Fetcher,
    FetchError,
    HttpFetcher,
    Response,
    Timeouts,
    UrlRefusedError,
    check_fetchable,
    http_client,
    origin_of,
)
from common.service.clock import Clock, SystemClock
from vc.errors import CredentialError, UpstreamError

#: Signature algorithms accepted on an ID token; ``none``, HMAC and anything else are refused.
ALLOWED_ALGORITHMS: Final = ("ES256", "RS256")
#: Levels of assurance of the national eID, lowest first (a login is good enough when its ``acr`` ranks at least
#: as high as the required one).
ACR_LEVELS: Final = ("urn:tawtiq:eid:loa:substantial", "urn:tawtiq:eid:loa:high")
#: Seconds of clock difference allowed on ``exp`` and ``iat``.
DEFAULT_LEEWAY_SECONDS: Final = 60
#: How long the discovery document and the keys are reused before they are fetched again.
METADATA_TTL_SECONDS: Final = 300
#: Time bounds of one request to the provider.
DEFAULT_TIMEOUTS: Final = Timeouts(connect_seconds=3.0, read_seconds=5.0, total_seconds=10.0)
#: Largest discovery document, JWKS or token response read.
MAX_DOCUMENT_BYTES: Final = 256 * 1024


class IdentityError(CredentialError):
    """A login that did not establish who the user is. ``code`` says why (``identity.state_mismatch``,
    ``identity.code_invalid``, ``identity.audience``, ``identity.expired``, ``identity.signature``,
    ``identity.nonce``, ``identity.acr_too_low``, ``identity.issuer``, ``identity.claims``,
    ``identity.provider_error``), with ``found`` and ``expected``; never a CNIE number or a name."""

    default_code = "identity.invalid"
    status_code = 401


class IdentityProviderUnavailableError(UpstreamError):
    """The identity provider could not be reached or answered something unusable (``identity.provider_unreachable``)."""

    default_code = "identity.provider_unreachable"
    status_code = 503


@dataclass(frozen=True)
class Identity:
    """What a relying party learns from a login."""

    subject: str
    cnie: str
    acr: str
    auth_time: datetime | None
    family_name: str | None
    given_name: str | None
    family_name_ar: str | None
    given_name_ar: str | None
    birthdate: date | None


@dataclass(frozen=True)
class LoginStart:
    """A login under way; kept by the caller in its server-side session until the callback."""

    authorization_url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


class IdentityPort(Protocol):
    """Who logged in: :meth:`begin` a login, :meth:`finish` it with the callback's parameters."""

    async def begin(self, *, redirect_uri: str) -> LoginStart: ...

    async def finish(self, *, start: LoginStart, params: Mapping[str, str]) -> Identity: ...


@dataclass(frozen=True)
class OidcSettings:
    """An OpenID Connect provider as a relying party knows it."""

    discovery_url: str
    client_id: str
    client_secret: str
    required_acr: str = ACR_LEVELS[-1]
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS

    def __post_init__(self) -> None:
        check_fetchable(self.discovery_url)
        if self.required_acr not in ACR_LEVELS:
            raise ValueError(f"required_acr must be one of {ACR_LEVELS}, found {self.required_acr!r}")
        if not self.client_id or not self.client_secret:
            raise ValueError("an OpenID Connect client needs its client_id and client_secret")


@dataclass(frozen=True)
class _Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class OidcIdentityPort:
    """The identity port over OpenID Connect (see the module docstring).

    ``fetcher`` does the HTTP (an :class:`common.fetch.HttpFetcher`; its calls run in a worker thread so the
    event loop is never held); ``clock`` gives the time the ID token is checked against.
    """

    def __init__(self, settings: OidcSettings, *, fetcher: Fetcher, clock: Clock | None = None) -> None:
        self.settings = settings
        self._fetcher = fetcher
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._metadata: tuple[float, _Metadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    async def begin(self, *, redirect_uri: str) -> LoginStart:
        """A fresh ``state``, ``nonce`` and PKCE verifier, and the provider's authorization URL carrying them.

        Raises :class:`IdentityProviderUnavailableError` when the discovery document cannot be had.
        """
        metadata = await asyncio.to_thread(self._discovered)
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        url = prepare_grant_uri(
            metadata.authorization_endpoint,
            client_id=self.settings.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope="openid",
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            acr_values=self.settings.required_acr,
        )
        return LoginStart(
            authorization_url=url, state=state, nonce=nonce, code_verifier=verifier, redirect_uri=redirect_uri
        )

    async def finish(self, *, start: LoginStart, params: Mapping[str, str]) -> Identity:
        """The identity the provider vouches for, from the callback's query parameters.

        Raises :class:`IdentityError` for anything that does not establish it (the codes are in its docstring),
        :class:`IdentityProviderUnavailableError` when the provider cannot be reached.
        """
        return await asyncio.to_thread(self._finish, start, dict(params))

    # ------------------------------------------------------------------------------------------ the steps

    def _finish(self, start: LoginStart, params: dict[str, str]) -> Identity:
        # (1) RFC 6749 §10.12: the state must be the one this session sent, or the callback is not ours.
        returned = params.get("state", "")
        if not returned or not hmac.compare_digest(returned.encode(), start.state.encode()):
            raise IdentityError(
                "the login's state does not match the one this session started",
                code="identity.state_mismatch",
                found="no state" if not returned else "another state",
                expected="the state sent with the authorization request",
            )
        # (2) RFC 6749 §4.1.2.1: the provider refused (the user cancelled, the request was bad).
        if "error" in params:
            raise IdentityError(
                "the identity provider refused the login",
                code="identity.provider_error",
                found=f"{params['error'][:60]}: {params.get('error_description', '')[:200]}",
                expected="an authorization code",
            )
        code = params.get("code")
        if not code:
            raise IdentityError(
                "the callback carries no authorization code",
                code="identity.code_invalid",
                found="no code",
                expected="code=...",
            )
        metadata = self._discovered()
        # (3) RFC 6749 §4.1.3, RFC 7636 §4.5: the code for tokens, with the PKCE verifier and our credentials.
        tokens = self._redeem(metadata, code=code, start=start)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise IdentityError(
                "the token response holds no ID token",
                code="identity.provider_error",
                found=sorted(tokens)[:10],
                expected="an id_token",
            )
        # (4) OpenID Connect Core §3.1.3.7 steps 6-7: the signature, by an allowed algorithm, with the JWKS's key.
        header, claims = self._verified(id_token, metadata)
        # (5) Steps 2-5, 9-11: iss, aud (and azp), exp, iat, nonce — Authlib's CodeIDToken with our values.
        self._check_claims(header, claims, metadata=metadata, nonce=start.nonce)
        # (6) Step 12: the level of assurance asked for.
        acr = claims.get("acr")
        if not isinstance(acr, str) or acr not in ACR_LEVELS:
            raise IdentityError(
                "the login's level of assurance is not one this platform knows",
                code="identity.acr_too_low",
                found=str(acr)[:100],
                expected=f"one of {ACR_LEVELS}, at least {self.settings.required_acr}",
            )
        if ACR_LEVELS.index(acr) < ACR_LEVELS.index(self.settings.required_acr):
            raise IdentityError(
                "the login's level of assurance is too low",
                code="identity.acr_too_low",
                found=acr,
                expected=f"at least {self.settings.required_acr}",
            )
        return _identity(claims, acr=acr)

    def _redeem(self, metadata: _Metadata, *, code: str, start: LoginStart) -> dict[str, Any]:
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=start.redirect_uri, code_verifier=start.code_verifier
        )
        credentials = f"{_form(self.settings.client_id)}:{_form(self.settings.client_secret)}"
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii"),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        response = self._fetch(metadata.token_endpoint, method="POST", headers=headers, body=body.encode())
        document = _json_object(response.body)
        if response.status == 200 and document is not None:
            return document
        error = str((document or {}).get("error", f"HTTP {response.status}"))[:60]
        description = str((document or {}).get("error_description", ""))[:200]
        if error == "invalid_grant":
            raise IdentityError(
                "the authorization code was refused: unknown, used already, expired, or issued to another client",
                code="identity.code_invalid",
                found=f"{error}: {description}",
                expected="a fresh code issued to this client for this login",
            )
        raise IdentityError(
            "the identity provider refused to exchange the code",
            code="identity.provider_error",
            found=f"{error}: {description}",
            expected="HTTP 200 with an ID token",
        )

    def _verified(self, id_token: str, metadata: _Metadata) -> tuple[dict[str, Any], dict[str, Any]]:
        header = _header_of(id_token)
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise IdentityError(
                "the ID token is not signed with an accepted algorithm",
                code="identity.signature",
                found=f"alg {str(algorithm)[:20]}",
                expected=f"one of {ALLOWED_ALGORITHMS}",
            )
        kid = header.get("kid")
        for refresh in (False, True):
            keys = self._key_set(metadata, refresh=refresh)
            if kid is not None and not any(key.kid == kid for key in keys.keys):
                continue  # a key we have not seen: the provider may have rotated; fetch the JWKS once more
            try:
                token = jwt.decode(id_token, keys, algorithms=[str(algorithm)])
            except BadSignatureError as exc:
                raise IdentityError(
                    "the ID token's signature does not verify with the provider's keys",
                    code="identity.signature",
                    found="a bad signature",
                    expected=f"a signature by a key of {metadata.jwks_uri}",
                ) from exc
            except JoseError as exc:
                raise IdentityError(
                    "the ID token cannot be read",
                    code="identity.signature",
                    found=type(exc).__name__,
                    expected="a signed JWT",
                ) from exc
            return dict(token.header), dict(token.claims)
        raise IdentityError(
            "the ID token is signed by a key the provider does not publish",
            code="identity.signature",
            found=f"kid {str(kid)[:80]}",
            expected=f"a key of {metadata.jwks_uri}",
        )

    def _check_claims(self, header: dict[str, Any], claims: dict[str, Any], *, metadata: _Metadata, nonce: str) -> None:
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": metadata.issuer},
            "aud": {"essential": True, "value": self.settings.client_id},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True},
        }
        token = CodeIDToken(
            claims, header, options=options, params={"nonce": nonce, "client_id": self.settings.client_id}
        )
        now = int(self._clock.now().timestamp())
        try:
            token.validate(now=now, leeway=self.settings.leeway_seconds)
        except ExpiredTokenError as exc:
            raise IdentityError(
                "the ID token has expired",
                code="identity.expired",
                found=f"exp {claims.get('exp')}",
                expected=f"after {now} (leeway {self.settings.leeway_seconds} s)",
            ) from exc
        except ClaimError as exc:
            raise _claim_error(exc, claims, metadata=metadata, client_id=self.settings.client_id, now=now) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise IdentityError(
                "the ID token has several audiences and is not authorized for this client",
                code="identity.audience",
                found=f"azp {str(claims.get('azp'))[:80]}",
                expected=f"azp {self.settings.client_id}",
            )

    # ------------------------------------------------------------------------------------------ documents

    def _discovered(self) -> _Metadata:
        with self._lock:
            cached = self._metadata
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        response = self._fetch(self.settings.discovery_url)
        document = _json_object(response.body)
        if response.status != 200 or document is None:
            raise IdentityProviderUnavailableError(
                "the identity provider's discovery document cannot be read",
                found=f"HTTP {response.status}",
                expected="HTTP 200 with a JSON object",
            )
        metadata = _metadata_of(document, discovery_url=self.settings.discovery_url)
        with self._lock:
            self._metadata = (time.monotonic() + METADATA_TTL_SECONDS, metadata)
        return metadata

    def _key_set(self, metadata: _Metadata, *, refresh: bool) -> KeySet:
        with self._lock:
            cached = self._keys
        if not refresh and cached is not None and cached[0] > time.monotonic():
            return cached[1]
        response = self._fetch(metadata.jwks_uri)
        document = _json_object(response.body)
        try:
            if response.status != 200 or document is None:
                raise ValueError(f"HTTP {response.status}")
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError, JoseError) as exc:
            raise IdentityProviderUnavailableError(
                "the identity provider's keys cannot be read",
                found=f"{metadata.jwks_uri}: {type(exc).__name__}",
                expected="a JWKS document",
            ) from exc
        with self._lock:
            self._keys = (time.monotonic() + METADATA_TTL_SECONDS, keys)
        return keys

    def _fetch(
        self, url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None, body: bytes | None = None
    ) -> Response:
        try:
            return self._fetcher.fetch(url, max_bytes=MAX_DOCUMENT_BYTES, method=method, headers=headers, body=body)
        except (FetchError, UrlRefusedError) as exc:
            raise IdentityProviderUnavailableError(
                "the identity provider cannot be reached",
                found=f"[{exc.code}] {url}",
                expected="an identity provider that answers",
            ) from exc


def http_identity_port(
    settings: OidcSettings,
    *,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    ca_file: Path | None = None,
    clock: Clock | None = None,
) -> OidcIdentityPort:
    """The port over HTTP, with the bounded fetcher (``ca_file``: extra trust anchors, e.g. a development CA)."""
    client = http_client(timeouts=timeouts, user_agent="tawtiq-identity-port", ca_file=ca_file)
    return OidcIdentityPort(
        settings, fetcher=HttpFetcher(client, total_timeout_seconds=timeouts.total_seconds), clock=clock
    )


def _metadata_of(document: dict[str, Any], *, discovery_url: str) -> _Metadata:
    values = {name: document.get(name) for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")}
    for name, value in values.items():
        if not isinstance(value, str) or origin_of(value) is None:
            raise IdentityProviderUnavailableError(
                "the identity provider's discovery document is incomplete",
                found=f"{name}: {str(value)[:100]}",
                expected="absolute https URLs for issuer, authorization_endpoint, token_endpoint, jwks_uri",
            )
    issuer = str(values["issuer"])
    # OpenID Connect Discovery 1.0 §4.3: the issuer is the discovery URL without the well-known suffix.
    if discovery_url.rstrip("/") != f"{issuer.rstrip('/')}/.well-known/openid-configuration":
        raise IdentityProviderUnavailableError(
            "the discovery document names another issuer",
            code="identity.issuer",
            found=issuer,
            expected=discovery_url.removesuffix("/.well-known/openid-configuration"),
        )
    return _Metadata(
        issuer=issuer,
        authorization_endpoint=str(values["authorization_endpoint"]),
        token_endpoint=str(values["token_endpoint"]),
        jwks_uri=str(values["jwks_uri"]),
    )


def _claim_error(
    exc: ClaimError, claims: Mapping[str, Any], *, metadata: _Metadata, client_id: str, now: int
) -> IdentityError:
    claim = exc.claim
    found = "missing" if isinstance(exc, MissingClaimError) else str(claims.get(claim))[:100]
    if claim in ("aud", "azp"):
        return IdentityError(
            "the ID token is for another client",
            code="identity.audience",
            found=f"{claim} {found}",
            expected=client_id,
        )
    if claim == "nonce":
        return IdentityError(
            "the ID token's nonce is not this login's",
            code="identity.nonce",
            found="missing" if isinstance(exc, MissingClaimError) else "another nonce",
            expected="the nonce sent with the authorization request",
        )
    if claim == "iss":
        return IdentityError(
            "the ID token is from another issuer", code="identity.issuer", found=found, expected=metadata.issuer
        )
    if claim in ("iat", "nbf"):
        return IdentityError(
            "the ID token is not valid yet", code="identity.expired", found=f"{claim} {found}", expected=f"<= {now}"
        )
    return IdentityError(
        "the ID token's claims are not usable",
        code="identity.claims",
        found=f"{claim}: {exc.description}",
        expected="the registered claims of an ID token",
    )


def _identity(claims: Mapping[str, Any], *, acr: str) -> Identity:
    subject, cnie = claims.get("sub"), claims.get("cnie")
    if not isinstance(subject, str) or not subject or not isinstance(cnie, str) or not cnie:
        raise IdentityError(
            "the ID token does not say who logged in",
            code="identity.claims",
            found="no sub" if not isinstance(subject, str) or not subject else "no cnie",
            expected="sub and cnie",
        )
    auth_time = claims.get("auth_time")
    birthdate = claims.get("birthdate")
    try:
        born = date.fromisoformat(birthdate) if isinstance(birthdate, str) else None
    except ValueError:
        born = None
    return Identity(
        subject=subject,
        cnie=cnie,
        acr=acr,
        auth_time=datetime.fromtimestamp(auth_time, UTC) if isinstance(auth_time, int | float) else None,
        family_name=_text(claims.get("family_name")),
        given_name=_text(claims.get("given_name")),
        family_name_ar=_text(claims.get("family_name#ar")),
        given_name_ar=_text(claims.get("given_name#ar")),
        birthdate=born,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _header_of(token: str) -> dict[str, Any]:
    try:
        encoded = token.split(".", 1)[0]
        header = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise IdentityError(
            "the ID token is not a JWT", code="identity.signature", found="unreadable header", expected="a JWS"
        ) from exc
    if not isinstance(header, dict):
        raise IdentityError("the ID token is not a JWT", code="identity.signature", found="header", expected="a JWS")
    return header


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _form(value: str) -> str:
    """A client credential encoded for HTTP Basic as RFC 6749 §2.3.1 asks (form-urlencoded first)."""
    return urlencode({"": value})[1:]
