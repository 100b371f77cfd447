"""Receiving a diploma through the graduate's eID login: OpenID4VCI 1.0 authorization code flow (§5, RFC 7636,
RFC 8252).

The wallet is a native app on the graduate's device. It listens on a loopback port for the redirect
(``http://127.0.0.1:<port>/callback``, RFC 8252 §7.3), builds the authorization request (PKCE S256, a fresh
``state``, ``scope`` = the configurations wanted, ``issuer_state`` when it came from an offer), and has the
browser open it — the issuer sends it on to the eID login, then back to the listener with a code. The wallet checks
the ``state`` and the ``iss`` of the answer (RFC 9207), redeems the code with its PKCE verifier, and asks for the
copies exactly as in the pre-authorized flow (:func:`wallet_cli.oid4vci.issue_and_verify`): each bound to a fresh
key, each verified before anything is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from wallet_cli.documents import answer_object
from wallet_cli.errors import NetworkError, RefusedError, UsageError
from wallet_cli.net import Http, unexpected
from wallet_cli.oid4vci import (
    Configuration,
    IssuerMetadata,
    Offer,
    Received,
    choose_configurations,
    fetch_metadata,
    fetch_offer,
    issue_and_verify,
)

#: The wallet's client identifier (a public client: it has no secret; RFC 8252 §8.4).
CLIENT_ID: Final = "tawtiq-wallet"
#: How long the wallet waits for the graduate to log in, by default.
DEFAULT_LOGIN_SECONDS: Final = 300
_DONE_PAGE: Final = (
    '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Tawtiq</title>'
    "<p>Vous pouvez revenir au portefeuille. · يمكنك العودة إلى المحفظة. · You can return to the wallet.</p></html>"
).encode()


@dataclass(frozen=True)
class LoginRequest:
    """An authorization request under way: where the browser goes, and what the answer must match."""

    authorization_url: str
    redirect_uri: str
    state: str
    code_verifier: str


class LoopbackListener:
    """A one-shot HTTP listener on ``127.0.0.1`` for the authorization response (RFC 8252 §7.3).

    It answers every request on ``/callback`` with a short page, keeps the first one's query parameters, and
    ignores anything else (another path gets 404). Use it as a context manager; :meth:`wait` returns the parameters.
    """

    def __init__(self) -> None:
        received: list[dict[str, str]] = []
        arrived = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/callback":
                    self.send_error(404)
                    return
                if not received:
                    received.append(dict(parse_qsl(parts.query)))
                    arrived.set()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(_DONE_PAGE)

            def log_message(self, format: str, *args: object) -> None:
                """Nothing is logged: the query holds the code."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._received = received
        self._arrived = arrived
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/callback"

    def __enter__(self) -> LoopbackListener:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, *, timeout_seconds: float) -> dict[str, str]:
        """The authorization response's parameters. Raises :class:`UsageError` ``login.timeout``."""
        if not self._arrived.wait(timeout_seconds):
            raise UsageError(
                f"no answer from the login within {timeout_seconds:g} seconds",
                code="login.timeout",
                hint="Open the printed address in a browser on this device and log in with your eID.",
            )
        return self._received[0]


def login_request(
    metadata: IssuerMetadata,
    *,
    configurations: Sequence[Configuration],
    redirect_uri: str,
    issuer_state: str | None = None,
) -> LoginRequest:
    """The authorization request (OpenID4VCI §5.1.2) with a fresh ``state`` and PKCE verifier.

    Raises :class:`RefusedError` ``login.unsupported`` when the issuer offers no authorization code flow.
    """
    if metadata.authorization_endpoint is None:
        raise RefusedError(
            "this issuer does not offer the eID login (no authorization code grant in its metadata)",
            code="login.unsupported",
            hint="Receive the diploma from an offer and its PIN instead.",
        )
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": " ".join(configuration.id for configuration in configurations),
    }
    if issuer_state:
        params["issuer_state"] = issuer_state
    separator = "&" if urlsplit(metadata.authorization_endpoint).query else "?"
    return LoginRequest(
        authorization_url=f"{metadata.authorization_endpoint}{separator}{urlencode(params)}",
        redirect_uri=redirect_uri,
        state=state,
        code_verifier=verifier,
    )


def redeem_login(http: Http, metadata: IssuerMetadata, request: LoginRequest, answer: dict[str, str]) -> str:
    """The access token for the authorization response ``answer``.

    Raises :class:`RefusedError`: ``login.state_mismatch`` (not the answer to this request), ``login.issuer_mismatch``
    (RFC 9207: another issuer answered), ``login.refused`` (the issuer or the eID refused; its reason is shown),
    ``login.code_refused`` (the token endpoint refused the code).
    """
    state = answer.get("state", "")
    if not hmac.compare_digest(state.encode(), request.state.encode()):
        raise RefusedError(
            "the login's answer is not the answer to this wallet's request",
            code="login.state_mismatch",
            found="no state" if not state else "another state",
            expected="the state the wallet sent",
        )
    if "iss" in answer and answer["iss"].rstrip("/") != metadata.issuer:
        raise RefusedError(
            "the login's answer comes from another issuer",
            code="login.issuer_mismatch",
            found=answer["iss"][:200],
            expected=metadata.issuer,
        )
    if "error" in answer:
        raise RefusedError(
            f"the issuer refused: {answer.get('error_description') or answer['error']}",
            code="login.refused",
            found=answer["error"][:60],
        )
    code = answer.get("code")
    if not code:
        raise RefusedError("the login's answer carries no code", code="login.refused", found=sorted(answer))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.code_verifier,
        "client_id": CLIENT_ID,
    }
    response = http.post_form(metadata.token_endpoint, form, what="token endpoint")
    if response.status == 400:
        error, description = response.oauth_error()
        raise RefusedError(
            f"the issuer refused the login's code: {description or error}",
            code="login.code_refused",
            found=error,
            hint="Start again: a code can be used once and for a minute only.",
        )
    if response.status != 200:
        raise unexpected(response, expected="HTTP 200 with an access token")
    body = answer_object(response)
    token = body.get("access_token")
    if not isinstance(token, str) or not token or str(body.get("token_type", "")).lower() != "bearer":
        raise NetworkError(
            "the token endpoint answered without a bearer access token", code="network.unexpected_answer"
        )
    return token


def receive_with_login(
    http: Http,
    *,
    issuer: str | None = None,
    link: str | None = None,
    open_url: Callable[[str], None],
    profiles: Sequence[str] = (),
    copies: int = 1,
    timeout_seconds: float = DEFAULT_LOGIN_SECONDS,
    now: Callable[[], datetime],
    progress: Callable[[str], None] = lambda _message: None,
) -> Received:
    """The whole flow: an offer ``link`` (with an authorization code grant) or an ``issuer`` URL; ``open_url``
    shows the authorization URL to the graduate (prints it, opens a browser). Raises what the steps raise."""
    if (issuer is None) == (link is None):
        raise UsageError("give either an offer or --issuer", code="login.usage")
    if link is not None:
        offer = fetch_offer(http, link)
        if offer.issuer_state is None:
            raise UsageError(
                "this offer has no authorization code grant: receive it with its PIN instead",
                code="offer.no_login",
            )
    else:
        assert issuer is not None
        offer = Offer(issuer=issuer.rstrip("/"), configuration_ids=(), pre_authorized_code=None, tx_code=None)
    metadata = fetch_metadata(http, offer.issuer)
    if not offer.configuration_ids:
        offer = Offer(
            issuer=offer.issuer,
            configuration_ids=tuple(metadata.configurations),
            pre_authorized_code=None,
            tx_code=None,
        )
    configurations = choose_configurations(offer, metadata, profiles)
    with LoopbackListener() as listener:
        request = login_request(
            metadata,
            configurations=configurations,
            redirect_uri=listener.redirect_uri,
            issuer_state=offer.issuer_state or None,
        )
        open_url(request.authorization_url)
        answer = listener.wait(timeout_seconds=timeout_seconds)
    progress("login answered; redeeming its code")
    token = redeem_login(http, metadata, request, answer)
    progress("code accepted; asking for the signed copies")
    return issue_and_verify(
        http, metadata, token=token, configurations=configurations, copies=copies, now=now, progress=progress
    )
