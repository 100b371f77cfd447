"""The identity port against the real development eID provider, over real HTTP.

A full login first; then every refusal the port owes: a forged or replayed ``state``, a replayed code, a code for
another client, an expired ID token, and — through :class:`TamperingFetcher`, which passes every request to the
real provider and rewrites only the ID token it answers, as a compromised or misconfigured provider would — an
ID token for another audience, unsigned (``alg: none``), signed by another key, with a too-low ``acr``, with
another nonce.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import ECKey

from common.fetch import HttpFetcher, Response, Timeouts, http_client
from common.identity import (
    Identity,
    IdentityError,
    IdentityProviderUnavailableError,
    LoginStart,
    OidcIdentityPort,
    OidcSettings,
)
from tests.eid.live import OTHER_SECRET, PORTAL_CALLBACK, PORTAL_SECRET, RunningEid, log_in, running_eid

TokenRewrite = Callable[[dict[str, Any], dict[str, Any]], str]


@dataclass
class TamperingFetcher:
    """The real fetcher, with the ID token of token responses rewritten by ``rewrite(header, claims)``."""

    inner: HttpFetcher
    rewrite: TokenRewrite | None = None
    sent: list[str] = field(default_factory=list)

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        self.sent.append(f"{method} {url}")
        response = self.inner.fetch(url, max_bytes=max_bytes, method=method, headers=headers, body=body)
        if self.rewrite is None or not url.endswith("/token") or response.status != 200:
            return response
        document = json.loads(response.body)
        token = jwt.decode(document["id_token"], _public_keys(url.removesuffix("/token")))
        document["id_token"] = self.rewrite(dict(token.header), dict(token.claims))
        return Response(url=response.url, status=200, headers=response.headers, body=json.dumps(document).encode())


def _public_keys(base: str) -> Any:
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(httpx.get(f"{base}/jwks").json())


@pytest.fixture
def eid(tmp_path: Path) -> Iterator[RunningEid]:
    with running_eid(tmp_path) as running:
        yield running


@pytest.fixture
def fetcher() -> Iterator[TamperingFetcher]:
    timeouts = Timeouts(connect_seconds=2, read_seconds=5, total_seconds=10)
    inner = HttpFetcher(http_client(timeouts=timeouts, user_agent="tests"), total_timeout_seconds=10)
    yield TamperingFetcher(inner)
    inner.close()


def port_for(eid: RunningEid, fetcher: TamperingFetcher, *, client: str = "portal", **options: Any) -> OidcIdentityPort:
    secret = PORTAL_SECRET if client == "portal" else OTHER_SECRET
    settings = OidcSettings(discovery_url=eid.discovery_url, client_id=client, client_secret=secret, **options)
    return OidcIdentityPort(settings, fetcher=fetcher, clock=eid.clock)


def begin(port: OidcIdentityPort, redirect_uri: str = PORTAL_CALLBACK) -> LoginStart:
    return asyncio.run(port.begin(redirect_uri=redirect_uri))


def finish(port: OidcIdentityPort, start: LoginStart, params: Mapping[str, str]) -> Identity:
    return asyncio.run(port.finish(start=start, params=params))


def refused(port: OidcIdentityPort, start: LoginStart, params: Mapping[str, str], code: str) -> IdentityError:
    with pytest.raises(IdentityError) as caught:
        finish(port, start, params)
    assert caught.value.code == code, caught.value.diagnostics()
    assert caught.value.found is not None
    assert caught.value.expected is not None
    return caught.value


def logged_in(port: OidcIdentityPort) -> tuple[LoginStart, dict[str, str]]:
    start = begin(port)
    with httpx.Client() as browser:
        return start, log_in(browser, start.authorization_url)


def resign(eid: RunningEid, change: Callable[[dict[str, Any]], None], *, key: ECKey | None = None) -> TokenRewrite:
    """A rewrite that changes the claims and signs again with the provider's own key (or ``key``)."""
    own = serialization.load_pem_private_key((eid.data_dir / "signing-key.pem").read_bytes(), password=None)

    def rewrite(header: dict[str, Any], claims: dict[str, Any]) -> str:
        change(claims)
        signer = key or ECKey.import_key(own)  # type: ignore[arg-type]
        return jwt.encode({**header, "kid": signer.thumbprint()} if key else header, claims, signer)

    return rewrite


# ---------------------------------------------------------------------------------------------- the login


def test_a_full_login_gives_the_card_holders_identity(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start = begin(port)
    assert "code_challenge_method=S256" in start.authorization_url
    assert start.state in start.authorization_url
    assert start.nonce in start.authorization_url
    assert start.code_verifier not in start.authorization_url
    with httpx.Client() as browser:
        params = log_in(browser, start.authorization_url)
    assert params["state"] == start.state
    identity = finish(port, start, params)
    assert identity.cnie == "BE123456"
    assert identity.acr == "urn:tawtiq:eid:loa:high"
    assert (identity.family_name, identity.given_name) == ("Alaoui", "Amina")
    assert (identity.family_name_ar, identity.given_name_ar) == ("العلوي", "أمينة")
    assert identity.birthdate == date(2007, 3, 14)
    assert identity.auth_time is not None
    assert abs((identity.auth_time - eid.clock.now()).total_seconds()) < 2
    assert "BE123456" not in identity.subject
    assert len(identity.subject) >= 16
    # The subject is stable per card: a second login gives the same one.
    start, params = logged_in(port)
    assert finish(port, start, params).subject == identity.subject


def test_two_cards_have_two_subjects(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    first = finish(port, *logged_in(port))
    start = begin(port)
    with httpx.Client() as browser:
        params = log_in(browser, start.authorization_url, cnie="ja 654321", pin="654321")
    second = finish(port, start, params)
    assert second.cnie == "JA654321"
    assert second.subject != first.subject


# ---------------------------------------------------------------------------------------------- state and code


def test_a_forged_state_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    refused(port, start, {**params, "state": "forged"}, "identity.state_mismatch")
    refused(port, start, {key: value for key, value in params.items() if key != "state"}, "identity.state_mismatch")


def test_a_callback_of_another_login_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    _, theirs = logged_in(port)
    mine = begin(port)
    refused(port, mine, theirs, "identity.state_mismatch")


def test_a_replayed_code_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    finish(port, start, params)
    error = refused(port, start, params, "identity.code_invalid")
    assert "invalid_grant" in str(error.found)


def test_a_code_for_another_client_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    portal = port_for(eid, fetcher)
    start, params = logged_in(portal)
    other = port_for(eid, fetcher, client="other")
    refused(other, start, params, "identity.code_invalid")
    # And the attempt spent the code: the portal cannot use it either.
    refused(portal, start, params, "identity.code_invalid")


def test_a_code_past_its_60_seconds_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    eid.clock.advance(seconds=61)
    refused(port, start, params, "identity.code_invalid")


def test_a_wrong_pkce_verifier_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    forged = LoginStart(**{**start.__dict__, "code_verifier": "x" * 60})
    refused(port, forged, params, "identity.code_invalid")


def test_a_refusal_by_the_provider_is_reported(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start = begin(port)
    error = refused(port, start, {"state": start.state, "error": "access_denied"}, "identity.provider_error")
    assert "access_denied" in str(error.found)


# ---------------------------------------------------------------------------------------------- the ID token


def test_an_expired_id_token_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(exp=claims["iat"] - 120))
    refused(port, start, params, "identity.expired")


def test_an_id_token_issued_in_the_future_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(iat=claims["iat"] + 3600, exp=claims["exp"] + 3600))
    refused(port, start, params, "identity.expired")


def test_an_id_token_for_another_audience_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(aud="other"))
    refused(port, start, params, "identity.audience")


def test_several_audiences_need_azp_naming_this_client(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(aud=["portal", "other"], azp="other"))
    refused(port, start, params, "identity.audience")
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(aud=["portal", "other"], azp="portal"))
    assert finish(port, start, params).cnie == "BE123456"


def test_an_id_token_from_another_issuer_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(iss="https://eid.example"))
    refused(port, start, params, "identity.issuer")


def test_an_unsigned_id_token_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)

    def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
        def part(value: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."

    fetcher.rewrite = unsigned
    error = refused(port, start, params, "identity.signature")
    assert "none" in str(error.found)


def test_an_id_token_with_an_hmac_algorithm_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    from joserfc.jwk import OctKey

    fetcher.rewrite = lambda header, claims: jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(PORTAL_SECRET))
    refused(port, start, params, "identity.signature")


def test_an_id_token_signed_by_another_key_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    intruder = ECKey.generate_key("P-256")
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: None, key=intruder)
    error = refused(port, start, params, "identity.signature")
    assert "kid" in str(error.found)
    # Another key presented under the provider's own kid: the signature does not verify.
    start, params = logged_in(port)

    def same_kid(header: dict[str, Any], claims: dict[str, Any]) -> str:
        return jwt.encode(header, claims, intruder)

    fetcher.rewrite = same_kid
    error = refused(port, start, params, "identity.signature")
    assert error.found == "a bad signature"


def test_a_too_low_acr_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(acr="urn:tawtiq:eid:loa:substantial"))
    error = refused(port, start, params, "identity.acr_too_low")
    assert error.found == "urn:tawtiq:eid:loa:substantial"
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.pop("acr"))
    refused(port, start, params, "identity.acr_too_low")


def test_a_substantial_login_is_enough_when_that_is_what_is_required(
    eid: RunningEid, fetcher: TamperingFetcher
) -> None:
    port = port_for(eid, fetcher, required_acr="urn:tawtiq:eid:loa:substantial")
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(acr="urn:tawtiq:eid:loa:substantial"))
    assert finish(port, start, params).acr == "urn:tawtiq:eid:loa:substantial"


def test_another_nonce_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    port = port_for(eid, fetcher)
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.update(nonce="another"))
    refused(port, start, params, "identity.nonce")
    start, params = logged_in(port)
    fetcher.rewrite = resign(eid, lambda claims: claims.pop("nonce"))
    refused(port, start, params, "identity.nonce")


# ---------------------------------------------------------------------------------------------- the provider


def test_an_unreachable_provider_is_reported(tmp_path: Path, fetcher: TamperingFetcher) -> None:
    with running_eid(tmp_path) as eid:
        url = eid.discovery_url
    settings = OidcSettings(discovery_url=url, client_id="portal", client_secret=PORTAL_SECRET)
    port = OidcIdentityPort(settings, fetcher=fetcher)
    with pytest.raises(IdentityProviderUnavailableError) as caught:
        asyncio.run(port.begin(redirect_uri=PORTAL_CALLBACK))
    assert caught.value.code == "identity.provider_unreachable"
    assert "fetch.unreachable" in str(caught.value.found)


def test_a_discovery_document_naming_another_issuer_is_refused(eid: RunningEid, fetcher: TamperingFetcher) -> None:
    other_base = eid.base.replace("127.0.0.1", "localhost")
    settings = OidcSettings(
        discovery_url=f"{other_base}/.well-known/openid-configuration", client_id="portal", client_secret=PORTAL_SECRET
    )
    port = OidcIdentityPort(settings, fetcher=fetcher)
    with pytest.raises(IdentityProviderUnavailableError) as caught:
        asyncio.run(port.begin(redirect_uri=PORTAL_CALLBACK))
    assert caught.value.code == "identity.issuer"


def test_settings_refuse_an_insecure_discovery_url_and_an_unknown_acr() -> None:
    from common.fetch import UrlRefusedError

    with pytest.raises(UrlRefusedError):
        OidcSettings(
            discovery_url="http://eid.example/.well-known/openid-configuration", client_id="a", client_secret="b"
        )
    with pytest.raises(ValueError, match="required_acr"):
        OidcSettings(
            discovery_url="https://eid.example/.well-known/openid-configuration",
            client_id="a",
            client_secret="b",
            required_acr="urn:other:loa:low",
        )
