"""Answering a verifier's OpenID4VP 1.0 request from the copy the ministry holds for the graduate (same device: the
graduate pastes the ``openid4vp://`` link the verifier's page shows on their phone).

The portal plays the wallet's part of :mod:`verifier.oid4vp`'s protocol, over HTTP with the bounded fetcher:

1. ``openid4vp://?client_id=…&request_uri=…`` (or ``request=…`` by value) is read; the Request Object is fetched
   (``GET``; ``POST`` with the portal's metadata and a fresh ``wallet_nonce`` when the link asks for it).
2. The Request Object is checked as the graduate's wallet checks it, by the same code (:mod:`common.oid4vp_holder`):
   ``typ``; with ``x509_hash:`` / ``x509_san_dns:`` a signature by the leaf of an ``x5c`` chain valid for a
   verifier's access up to a registrar of ``TAWTIQ_PORTAL_REGISTRARS_FILE`` (the leaf's hash or DNS name is the
   client id, and the answer goes to a host it names); with ``redirect_uri:`` an unsigned request whose
   ``response_uri`` is the client id's (a verifier no registrar vouches for, said so on the page);
   ``response_type=vp_token``, ``response_mode=direct_post``, the audience, a fresh nonce, dates, ``client_metadata``
   and a DCQL query a diploma answers (``credential_sets`` and ``claim_sets`` honoured, the first satisfiable option
   chosen). Its refusals become :class:`PresentationRequestError` with the portal's codes (``presentation.*``, and
   the ``x509.*`` codes of the chain).
3. The graduate reviews who asks and what (a page); on their command (a CSRF-checked form) the request is fetched
   and checked again, a ``dc+sd-jwt`` copy is signed to the held key, and the presentation of exactly the claims
   each chosen credential query asks, with a KB-JWT for the client id and nonce, is posted to ``response_uri``;
   declining posts ``error=access_denied``. The verifier's outcome, read from its ``redirect_uri`` on its own
   origin, is shown.

A server fetching URLs a browser names must not reach its own network: off development (a portal served on a
loopback host), every URL must be https (the fetcher refuses credentials in URLs and redirects).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from cryptography import x509

from common import oid4vp_holder as holder
from common.fetch import FetchError, UrlRefusedError, same_origin
from issuer.db import writing
from issuer.issuance import sign_copies
from issuer.models import Diploma
from keys.x509 import load_trust_anchors
from portal.diploma import CUSTODY_CHANNEL, DiplomaDesk, VerifierUnavailableError
from portal.errors import RequestError
from vc import Profile, present
from vc.urls import is_loopback_host

#: What the portal tells a verifier about itself when it POSTs to a request_uri: the held copies are ES256.
WALLET_METADATA: Final = holder.wallet_metadata(("ES256",))
_MAX_LINK_CHARS: Final = 8 * 1024
_MAX_REQUEST_BYTES: Final = 64 * 1024
#: The shared checks' codes the pages explain under a code of their own; the ``x509.*`` codes are kept.
_CODES: Final = {
    "request.expired": "presentation.expired",
    "request.wallet_nonce": "presentation.wallet_nonce",
    "request.signature_invalid": "presentation.signature",
    "request.unsupported": "presentation.unsupported",
    "request.alg_refused": "presentation.unsupported",
    "request.not_a_diploma": "presentation.unsupported",
    "request.claims_unknown": "presentation.unsupported",
    "request.claims_missing": "presentation.unsupported",
    "request.unsatisfiable": "presentation.unsupported",
}


class PresentationRequestError(RequestError):
    """A request link or Request Object this portal does not answer (400): malformed, expired, unsigned where it
    must be signed, signed by a verifier no registrar vouches for, or asking for something no diploma holds."""

    default_code = "presentation.invalid"


def _refuse(message: str, *, code: str = "presentation.invalid", found: Any = None, expected: Any = None) -> Exception:
    return PresentationRequestError(
        f"the verifier's request is not acceptable: {message}", code=code, found=found, expected=expected
    )


@contextmanager
def _as_portal_errors() -> Iterator[None]:
    """The shared checks' refusals as the portal's: a link that cannot be read is ``presentation.link``."""
    try:
        yield
    except holder.RequestLinkError as exc:
        raise _refuse(exc.summary, code="presentation.link", found=exc.found, expected=exc.expected) from None
    except holder.RequestRefusedError as exc:
        code = exc.code if exc.code.startswith("x509.") else _CODES.get(exc.code, "presentation.invalid")
        message = exc.summary.removeprefix("the presentation request is not acceptable: ")
        raise _refuse(message, code=code, found=exc.found, expected=exc.expected) from None


@dataclass(frozen=True)
class PresentationRequest:
    """A checked request for the diploma (who asks, where the answer goes) and what the held copy sends for it."""

    checked: holder.PresentationRequest
    selection: holder.Selection

    @property
    def client_id(self) -> str:
        return self.checked.client_id

    @property
    def response_uri(self) -> str:
        return self.checked.response_uri

    @property
    def nonce(self) -> str:
        return self.checked.nonce

    @property
    def state(self) -> str | None:
        return self.checked.state

    @property
    def expires_at(self) -> datetime | None:
        return self.checked.expires_at

    @property
    def relying_party(self) -> str | None:
        """``client_metadata.client_name`` (the relying party the verifier says it asks for), or None."""
        return self.checked.relying_party

    @property
    def certified_name(self) -> str | None:
        """The verifier's name as its registrar certified it; None for ``redirect_uri:``."""
        return self.checked.certified.name if self.checked.certified else None

    @property
    def registrar(self) -> str | None:
        return self.checked.certified.registrar if self.checked.certified else None

    @property
    def verifier_host(self) -> str:
        return self.checked.verifier_host

    @property
    def claims(self) -> tuple[str, ...]:
        """Every diploma claim the chosen credential queries need, in the verifier's order."""
        return self.selection.claims


@dataclass(frozen=True)
class Answered:
    """What the verifier said: its verdict when it shows one on its own origin."""

    verifier_host: str
    verdict: str | None


class Responder:
    """Reads, checks and answers requests for one portal (its desk, its trust anchors, its development mode)."""

    def __init__(self, desk: DiplomaDesk) -> None:
        self._desk = desk
        host = urlsplit(desk.settings.public_url).hostname or ""
        self._development = urlsplit(desk.settings.public_url).scheme == "http" and is_loopback_host(host)

    def _anchors(self) -> tuple[x509.Certificate, ...]:
        path = self._desk.settings.registrars_file
        return () if path is None else load_trust_anchors(path)

    def _check_url(self, url: Any, *, what: str) -> str:
        if not isinstance(url, str) or not url:
            raise _refuse(f"its {what} is missing", found=type(url).__name__, expected="an https URL")
        parts = urlsplit(url)
        if parts.scheme != "https" and not self._development:
            raise _refuse(f"its {what} is not https", found=url[:120], expected="an https URL")
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
            raise _refuse(f"its {what} is not a URL this portal fetches", found=url[:120], expected="an https URL")
        return url

    # -- 1. the link and the Request Object

    def fetch(self, link: str, *, now: datetime) -> PresentationRequest:
        """The checked request behind ``link``. Raises :class:`PresentationRequestError` (``presentation.*``,
        ``x509.*``) and :class:`VerifierUnavailableError`."""
        text = link.strip()
        if len(text) > _MAX_LINK_CHARS:
            raise _refuse(
                "this is not a presentation request link",
                code="presentation.link",
                found=f"{len(text)} characters",
                expected=f"at most {_MAX_LINK_CHARS}",
            )
        with _as_portal_errors():
            parameters = holder.parse_authorization_request(text)
        anchors = self._anchors()
        if parameters.client_id.partition(":")[0] in (holder.X509_HASH, holder.X509_SAN_DNS) and not anchors:
            raise _refuse(
                "the portal knows no registrar to check the verifier's certificate with",
                code="presentation.registrars_unset",
                found="TAWTIQ_PORTAL_REGISTRARS_FILE unset",
                expected="the registrars' CA certificates (PEM)",
            )
        token, request_uri, wallet_nonce = parameters.request, None, None
        if token is None:
            request_uri = self._check_url(parameters.request_uri, what="request_uri")
            fetching = holder.retrieval(parameters, metadata=WALLET_METADATA)
            headers = {"Accept": fetching.accept}
            body: bytes | None = None
            if fetching.form is not None:
                body = urlencode(fetching.form).encode("ascii")
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            try:
                response = self._desk.fetcher.fetch(
                    request_uri, max_bytes=_MAX_REQUEST_BYTES, method=fetching.method, headers=headers, body=body
                )
            except (FetchError, UrlRefusedError) as exc:
                raise VerifierUnavailableError(
                    "the verifier cannot be reached", found=f"[{exc.code}] {exc.summary}"[:200], expected=request_uri
                ) from exc
            token, wallet_nonce = response.body.decode("ascii", "replace"), fetching.wallet_nonce
        with _as_portal_errors():
            if request_uri is not None:
                holder.check_retrieved(response.status, response.content_type)
            checked = holder.parse_request_object(
                token,
                client_id=parameters.client_id,
                request_uri=request_uri,
                now=now,
                check_url=self._check_url,
                anchors=anchors,
                wallet_nonce=wallet_nonce,
            )
            return PresentationRequest(checked, checked.selection())

    # -- 3. the answer

    def answer(self, record: Diploma, request: PresentationRequest, *, now: datetime) -> Answered:
        """Present the claims ``request`` asks for from a ``dc+sd-jwt`` copy bound to the held key, post it, and read
        the verifier's outcome. Raises what :meth:`DiplomaDesk.held_copy` raises, :class:`PresentationRequestError`
        ``presentation.answer_refused`` and :class:`VerifierUnavailableError`."""
        desk = self._desk
        key, _copy = desk.held_copy(record, now=now)
        with writing(desk.engine) as db:
            fresh = db.get(Diploma, record.id)
            assert fresh is not None
            (copy,) = sign_copies(
                db,
                diploma=fresh,
                profile=Profile.DC_SD_JWT,
                holders=[key.public],
                channel=CUSTODY_CHANNEL,
                actor="portal:graduate",
                settings=desk.issuer,
                keyring=desk.keyring,
                now=now,
            )
        token = {
            query.id: [
                present(
                    copy.credential,
                    disclose=[[name] for name in query.claims],
                    key=key,
                    audience=request.client_id,
                    nonce=request.nonce,
                    now=now,
                )
            ]
            for query in request.selection.queries
        }
        form = {"vp_token": json.dumps(token, separators=(",", ":"))}
        return self._post(request, form)

    def decline(self, request: PresentationRequest) -> Answered:
        """Tell the verifier the graduate declined."""
        return self._post(request, {"error": "access_denied", "error_description": "the holder declined"})

    def _post(self, request: PresentationRequest, form: dict[str, str]) -> Answered:
        if request.state is not None:
            form["state"] = request.state
        status, document = self._call("POST", request.response_uri, body=urlencode(form).encode("ascii"))
        if status == 400:
            raise _refuse(
                "the verifier did not accept the answer",
                code="presentation.answer_refused",
                found=str(document.get("error_description") or document.get("error") or "")[:200],
            )
        if status != 200:
            raise VerifierUnavailableError(
                "the verifier did not take the answer", found=f"HTTP {status}", expected="HTTP 200"
            )
        redirect = document.get("redirect_uri")
        verdict: str | None = None
        if isinstance(redirect, str) and same_origin(redirect, request.response_uri):
            try:
                outcome_status, outcome = self._call("GET", redirect)
            except VerifierUnavailableError:
                outcome_status, outcome = 0, {}
            found = outcome.get("verdict")
            verdict = found if outcome_status == 200 and isinstance(found, str) else None
        return Answered(verifier_host=request.verifier_host, verdict=verdict)

    def _call(self, method: str, url: str, *, body: bytes | None = None) -> tuple[int, Mapping[str, Any]]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response = self._desk.fetcher.fetch(
                url, max_bytes=_MAX_REQUEST_BYTES, method=method, headers=headers, body=body
            )
        except (FetchError, UrlRefusedError) as exc:
            raise VerifierUnavailableError(
                "the verifier cannot be reached", found=f"[{exc.code}] {exc.summary}"[:200], expected=url
            ) from exc
        try:
            document = json.loads(response.body) if response.body else {}
        except ValueError:
            document = {}
        return response.status, document if isinstance(document, dict) else {}
