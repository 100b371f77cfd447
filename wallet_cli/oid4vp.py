"""Answering a verifier: OpenID for Verifiable Presentations 1.0, ``direct_post``, cross-device or same-device.

The verifier shows an ``openid4vp://`` link (or its QR code) carrying its ``client_id`` and the Request Object by
reference (``request_uri``, fetched with GET, or with POST when ``request_uri_method=post``: the wallet then sends
its ``wallet_metadata`` and a fresh ``wallet_nonce`` that the signed answer must carry) or by value (``request``).
The link and the Request Object are read and checked by :mod:`common.oid4vp_holder` (the portal answering from the
copy the ministry holds checks them the same way): the Client Identifier Prefix (``x509_hash:`` and
``x509_san_dns:`` under the wallet's trust anchors, :mod:`wallet_cli.registrars`; ``redirect_uri:`` never evidence
of who the verifier is), the request's parameters and its DCQL query (``credential_sets`` and ``claim_sets``
honoured, the first satisfiable option chosen). Its refusals reach the holder as :class:`RefusedError` and
:class:`UsageError` with the same codes and hints.

The holder chooses which of the requested claims to disclose; the answer is
``vp_token={"<query id>": ["<SD-JWT>~…~<KB-JWT>"], …}&state=…`` with a KB-JWT whose ``aud`` is the full
``client_id`` and ``nonce`` the request's. ``error=access_denied`` declines. The verifier's answer may carry a
``redirect_uri`` (§8.2): the wallet reads the verdict there when it is on the verifier's origin.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cryptography import x509

from common import oid4vp_holder as holder
from common.fetch import same_origin
from common.oid4vp_holder import SCHEME, AuthorizationLink, PresentationRequest
from vc import TawtiqError
from wallet_cli.documents import read_object
from wallet_cli.errors import RefusedError, UsageError
from wallet_cli.net import Answer, Http, check_url, unexpected

__all__ = [
    "SCHEME",
    "WALLET_METADATA",
    "PresentationRequest",
    "VerifierAnswer",
    "decline",
    "fetch_request",
    "parse_authorization_request",
    "parse_request_object",
    "read_outcome",
    "respond",
]

#: What this wallet tells a verifier about itself when it POSTs to a request_uri (§5.10.1, §10).
WALLET_METADATA: Final = holder.wallet_metadata(("ES256", "ES384", "ES512"))


@contextmanager
def _as_wallet_errors() -> Iterator[None]:
    """The shared checks' refusals as the wallet's own (same message, code, found, expected and hint)."""
    try:
        yield
    except holder.RequestRefusedError as exc:
        raise RefusedError(exc.summary, code=exc.code, found=exc.found, expected=exc.expected, hint=exc.hint) from None
    except holder.RequestLinkError as exc:
        raise UsageError(exc.summary, code=exc.code, found=exc.found, expected=exc.expected, hint=exc.hint) from None


def parse_authorization_request(text: str) -> AuthorizationLink:
    """The parameters of an ``openid4vp://`` link (:func:`common.oid4vp_holder.parse_authorization_request`).
    Raises :class:`UsageError` ``request.invalid``/``unsupported``."""
    with _as_wallet_errors():
        return holder.parse_authorization_request(text)


def parse_request_object(
    token: str,
    *,
    client_id: str,
    request_uri: str | None,
    now: datetime,
    anchors: tuple[x509.Certificate, ...] = (),
    wallet_nonce: str | None = None,
) -> PresentationRequest:
    """Check a Request Object against the link it came from (:func:`common.oid4vp_holder.parse_request_object`,
    URLs checked by :func:`wallet_cli.net.check_url`). Raises :class:`RefusedError` with its codes."""
    with _as_wallet_errors():
        return holder.parse_request_object(
            token,
            client_id=client_id,
            request_uri=request_uri,
            now=now,
            check_url=check_url,
            anchors=anchors,
            wallet_nonce=wallet_nonce,
        )


def fetch_request(
    http: Http, link: str, *, now: datetime, anchors: tuple[x509.Certificate, ...] = ()
) -> PresentationRequest:
    """The checked request behind an ``openid4vp://`` link: by value, or fetched by reference (GET, or POST with
    the wallet's metadata and a fresh ``wallet_nonce`` when the link asks for ``request_uri_method=post``)."""
    parameters = parse_authorization_request(link)
    if parameters.request is not None:
        return parse_request_object(
            parameters.request, client_id=parameters.client_id, request_uri=None, now=now, anchors=anchors
        )
    assert parameters.request_uri is not None
    request_uri = check_url(parameters.request_uri, what="presentation request")
    fetching = holder.retrieval(parameters, metadata=WALLET_METADATA)
    if fetching.form is not None:
        answer = http.post_form(
            request_uri, fetching.form, what="verifier's request", headers={"Accept": fetching.accept}
        )
    else:
        answer = http.get(request_uri, what="verifier's request", accept=fetching.accept)
    if answer.status not in (200, 404, 410):
        raise unexpected(answer, expected="HTTP 200 with the request object")
    with _as_wallet_errors():
        holder.check_retrieved(answer.status, answer.content_type)
    return parse_request_object(
        answer.text,
        client_id=parameters.client_id,
        request_uri=request_uri,
        now=now,
        anchors=anchors,
        wallet_nonce=fetching.wallet_nonce,
    )


@dataclass(frozen=True)
class VerifierAnswer:
    """What the verifier said after receiving the presentation: where to go next, and the verdict if readable."""

    redirect_uri: str | None
    outcome: Mapping[str, Any] | None = None


def respond(http: Http, request: PresentationRequest, presentations: Mapping[str, str]) -> VerifierAnswer:
    """POST the presentations (one per chosen credential query id) to ``response_uri``; follow a ``redirect_uri``
    on the verifier's own origin to read the verdict. Raises :class:`RefusedError` when the verifier refuses."""
    token = {query_id: [presentation] for query_id, presentation in presentations.items()}
    form = {"vp_token": json.dumps(token, separators=(",", ":"))}
    if request.state is not None:
        form["state"] = request.state
    answer = _post(http, request, form)
    redirect_uri = _redirect_uri(answer)
    if redirect_uri is None or not same_origin(redirect_uri, request.response_uri):
        return VerifierAnswer(redirect_uri)
    return VerifierAnswer(redirect_uri, read_outcome(http, redirect_uri))


def read_outcome(http: Http, url: str) -> Mapping[str, Any] | None:
    """The verdict the verifier shows at ``url`` as JSON, or None when it says nothing this wallet can read."""
    try:
        answer = http.get(url, what="verifier's result")
    except TawtiqError:
        return None
    if answer.status != 200:
        return None
    try:
        document = read_object(answer.body, what="the verifier's result")
    except TawtiqError:
        return None
    return document if isinstance(document.get("verdict"), str) else None


def _redirect_uri(answer: Answer) -> str | None:
    try:
        document = read_object(answer.body, what="the verifier's answer") if answer.body.strip() else {}
    except TawtiqError:
        return None
    value = document.get("redirect_uri")
    if not isinstance(value, str):
        return None
    try:
        return check_url(value, what="verifier's result")
    except RefusedError:
        return None


def decline(http: Http, request: PresentationRequest) -> None:
    """Tell the verifier the holder declined (``error=access_denied``)."""
    form = {"error": "access_denied", "error_description": "the holder declined"}
    if request.state is not None:
        form["state"] = request.state
    _post(http, request, form)


def _post(http: Http, request: PresentationRequest, form: dict[str, str]) -> Answer:
    answer = http.post_form(request.response_uri, form, what="verifier")
    if answer.status == 200:
        return answer
    if answer.status == 400:
        _error, description = answer.oauth_error()
        raise RefusedError(
            f"the verifier did not accept the answer: {description or 'invalid request'}",
            code="request.answer_refused",
        )
    raise unexpected(answer, expected="HTTP 200")
