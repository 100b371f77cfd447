"""OpenID for Verifiable Presentations 1.0: the verifier shows a QR code (cross-device) or a link that opens the
wallet on the same phone (same-device), the wallet answers.

Wire format (what a wallet must speak; ``{V}`` is this verifier's public URL, e.g. ``https://verify.tawtiq.ma``,
``{C}`` its Client Identifier, see :mod:`verifier.client_identity`)

1. **Authorization Request.** ``client_id`` is ``x509_hash:<hash of the access certificate>`` or
   ``x509_san_dns:<host of {V}>`` when the verifier has an access certificate from a registrar (§5.9.3, HAIP), and
   ``redirect_uri:{V}/oid4vp/response`` without one (development). By reference (RFC 9101 JAR, §5.10), shown as a
   QR code and as the same-device link::

       openid4vp://?client_id={C}&request_uri={V}%2Foid4vp%2Frequest%2F{handle}[&request_uri_method=post]

   ``request_uri_method=post`` is offered with a signed request: the wallet may ``POST`` its ``wallet_metadata``
   and a ``wallet_nonce`` (§5.10). A signed request is also offered by value:
   ``openid4vp://?client_id={C}&request=<the signed Request Object>``.

2. **Request Object retrieval**: ``GET {V}/oid4vp/request/{handle}``, or ``POST`` with the form fields
   ``wallet_metadata`` (a JSON object; its ``request_object_signing_alg_values_supported`` and
   ``client_id_prefixes_supported``, when given, must allow ES256 and this verifier's prefix) and ``wallet_nonce``
   (echoed in the Request Object), answers ``200``, ``Content-Type: application/oauth-authz-req+jwt``,
   ``Cache-Control: no-store``, with the Request Object: with a certificate a JWS, header
   ``{"alg":"ES256","typ":"oauth-authz-req+jwt","x5c":[…]}``, signed with the certified key; without one an
   *unsigned* JWT (requests with the ``redirect_uri`` prefix "cannot be signed", §5.9.3): an Unsecured JWS (OpenID
   Connect Core §6.1, RFC 7519 §6), header ``{"alg":"none","typ":"oauth-authz-req+jwt"}`` and an empty signature.
   Each retrieval is signed afresh. The payload::

       {"aud": "https://self-issued.me/v2",            (static discovery, §5.8)
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "client_id": "{C}",
        "response_uri": "{V}/oid4vp/response",
        "nonce": "<22 chars, 128 random bits, base64url>",
        "state": "<22 chars, 128 random bits, base64url>",
        "dcql_query": {"credentials": [{"id": "diploma", "format": "dc+sd-jwt",
                                        "meta": {"vct_values": ["urn:ma:men:credential:baccalaureate:1"]},
                                        "claims": [{"path": ["familyName"]}, {"path": ["givenName"]}, …]}]},
        "client_metadata": {"vp_formats_supported": {"dc+sd-jwt": {"sd-jwt_alg_values": ["ES256", "ES384", "ES512"],
                                                                   "kb-jwt_alg_values": ["ES256", "ES384", "ES512"]}},
                            "client_name": "Université Mohammed V"},   (only for an authenticated relying party)
        "iat": <NumericDate>, "exp": <NumericDate: when the transaction expires>,
        "wallet_nonce": "…"}                           (only when the wallet POSTed one)

   The protected claims (CNIE number, birth date and place, Massar code) are asked for only when the request was
   created with a relying party's token (:mod:`verifier.relying_parties`); its registered name is then
   ``client_metadata.client_name`` (OpenID Connect Dynamic Client Registration §2), vouched for by this verifier.
   An unknown handle answers ``404``; an expired or already answered transaction ``410`` (the wallet must stop,
   §5.10.2). Errors are ``{"error": "invalid_request", "error_description": "…"}``.

3. **Authorization Response** (``direct_post``, §8.2): ``POST {V}/oid4vp/response`` with
   ``Content-Type: application/x-www-form-urlencoded`` and the fields ``vp_token`` and ``state``. ``vp_token`` is
   the JSON object of §8.1 keyed by the DCQL credential query id, holding an array with exactly one presentation::

       vp_token={"diploma":["<issuer-signed JWT>~<disclosure>~…~<KB-JWT>"]}&state=<state>

   The presentation is the SD-JWT VC (``typ: dc+sd-jwt``) with the requested disclosures and a KB-JWT whose
   ``aud`` is the full ``client_id`` (``{C}``, prefix included, §14.1.2) and whose ``nonce`` is the request's;
   ``iat`` must be within ``presentation_max_age_seconds`` (default 5 min). A wallet that declines sends
   ``error=access_denied&state=<state>`` (optionally ``error_description``).

   Answer: ``200`` ``{"redirect_uri": "{V}/oid4vp/outcome/{response_code}"}`` once the response was verified —
   whatever the verdict (§8.2). The ``response_code`` is fresh, random and known only to the wallet: the page
   behind it shows the holder the verdict (HTML for a browser, the JSON of step 4 for ``Accept:
   application/json``), for ``oid4vp_result_seconds``. A declining wallet gets ``{}``. ``400``
   ``{"error": "invalid_request", …}`` for a missing or unknown ``state``, an expired transaction, a transaction
   already answered (the nonce is single-use: a replayed ``vp_token`` is refused), or a ``vp_token`` that is
   not the object above.

4. **Result** (for the party that created the request, not the wallet): ``GET {V}/oid4vp/requests/{id}`` with the
   private transaction id returned at creation; ``status`` is ``pending``, ``retrieved``, ``answered``,
   ``failed`` (the wallet declined) or ``expired``; once answered it carries ``verified``, ``verdict``,
   ``problemDetails`` and the full ``report``. The result is readable for ``oid4vp_result_seconds`` after the
   answer, then erased.

The transaction id (the bearer secret for the result), the request handle (public, in the QR code), the
``state`` (public, in the Request Object) and the response code (the holder's) are independent random values, so
nobody who merely sees the QR code can read the result (§14.3.3). The result is sealed at rest, once to the
transaction id and once to the response code (see :mod:`verifier.sealing`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlencode

from sqlalchemy import delete, update
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

import schemas
from common.diploma import PROTECTED_CLAIMS
from common.service.problems import OAuthError
from vc.encoding import check_depth, json_loads
from vc.errors import FormatError
from verifier.client_identity import ClientIdentity
from verifier.clock import Clock
from verifier.db import Database
from verifier.errors import ForbiddenError, GoneError, NotFoundError, RequestError
from verifier.models import OpenID4VPTransactionRow
from verifier.ratelimit import RateLimiter
from verifier.relying_parties import RelyingParty
from verifier.reporting import verification_response
from verifier.sealing import UnsealError, digest, open_sealed, public_key_for, seal_to
from verifier.settings import Settings
from verifier.verification import Expectations, Verifier

REQUEST_OBJECT_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"
CREDENTIAL_QUERY_ID: Final = "diploma"
SELF_ISSUED_AUDIENCE: Final = "https://self-issued.me/v2"
ALGORITHMS: Final = ("ES256", "ES384", "ES512")
_RESULT_PURPOSE: Final = b"oid4vp-result"
_HOLDER_PURPOSE: Final = b"oid4vp-holder-outcome"
_MAX_WALLET_NONCE_CHARS: Final = 256
_OPEN: Final = ("pending", "retrieved")


def dcql_query(claims: Sequence[str]) -> dict[str, Any]:
    """The DCQL query for the diploma as an SD-JWT VC, asking for ``claims`` (top-level claim names)."""
    return {
        "credentials": [
            {
                "id": CREDENTIAL_QUERY_ID,
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [schemas.DIPLOMA_VCT]},
                "claims": [{"path": [name]} for name in claims],
            }
        ]
    }


def requested_claims(claims: Sequence[str] | None, *, relying_party: RelyingParty | None = None) -> tuple[str, ...]:
    """Check a list of diploma claim names (default: those disclosed by default).

    Raises :class:`RequestError` for unknown claims or none, and :class:`ForbiddenError` ``request.protected_claims``
    when an anonymous request (no ``relying_party``) asks for a protected claim.
    """
    if claims is None:
        return schemas.DEFAULT_DISCLOSED_CLAIMS
    unknown = [name for name in claims if name not in schemas.SUBJECT_CLAIMS]
    if unknown:
        raise RequestError(
            "unknown diploma claims requested",
            code="oid4vp.claims_unknown",
            found=unknown,
            expected=list(schemas.SUBJECT_CLAIMS),
        )
    chosen = tuple(dict.fromkeys(claims))
    if not chosen:
        raise RequestError("ask for at least one claim", code="oid4vp.claims_empty", expected="one or more claims")
    protected = [name for name in chosen if name in PROTECTED_CLAIMS]
    if protected and relying_party is None:
        raise ForbiddenError(
            f"only an authenticated relying party may ask for {', '.join(protected)}",
            code="request.protected_claims",
            found=protected,
            expected="a relying party's token (Authorization: Bearer <token>, from the verifier's operator)",
        )
    return chosen


@dataclass(frozen=True)
class CreatedRequest:
    """A new transaction: the private ``id`` and what the wallet is shown."""

    id: str
    client_id: str
    request_uri: str
    authorization_request: str
    expires_at: datetime
    dcql_query: dict[str, Any]
    #: The signed request passed by value (``request=``), or None without a certificate.
    authorization_request_by_value: str | None = None


@dataclass(frozen=True)
class TransactionView:
    """What the creator of a transaction may read about it."""

    status: str
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    result: dict[str, Any] | None
    wallet_error: str | None


class OpenID4VP:
    """Creates transactions, serves their Request Objects, takes the wallet's answer and keeps the result."""

    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        settings: Settings,
        verifier: Verifier,
        limiter: RateLimiter,
        identity: ClientIdentity,
    ) -> None:
        self._database = database
        self._clock = clock
        self._settings = settings
        self._verifier = verifier
        self._limiter = limiter
        self._identity = identity

    @property
    def identity(self) -> ClientIdentity:
        """How this verifier identifies itself to wallets."""
        return self._identity

    def create(
        self, *, claims: Sequence[str] | None, client: str, relying_party: RelyingParty | None = None
    ) -> CreatedRequest:
        """Start a transaction asking for ``claims`` of the diploma, for ``relying_party`` if one authenticated.

        Raises :class:`RequestError` for bad claims, :class:`ForbiddenError` for protected claims asked anonymously,
        and :class:`~verifier.errors.RateLimitedError`.
        """
        chosen = requested_claims(claims, relying_party=relying_party)
        self._limiter.hit(
            action="oid4vp",
            client=client,
            limit=self._settings.oid4vp_rate_limit,
            window_seconds=self._settings.oid4vp_rate_window_seconds,
        )
        now = self._clock.now()
        transaction_id, handle = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = dcql_query(chosen)
        expires_at = now + timedelta(seconds=self._settings.oid4vp_transaction_seconds)
        row = OpenID4VPTransactionRow(
            id_hash=digest(transaction_id),
            request_handle=handle,
            state=secrets.token_urlsafe(16),
            nonce=secrets.token_urlsafe(16),
            dcql_query=json.dumps(query),
            created_at=now,
            expires_at=expires_at,
            status="pending",
            result_key=public_key_for(transaction_id, purpose=_RESULT_PURPOSE),
            client_name=relying_party.name if relying_party is not None else None,
        )
        by_value = None
        if self._identity.signed:
            request = self._identity.request_object(self._payload(row, wallet_nonce=None))
            by_value = "openid4vp://?" + urlencode(
                {"client_id": self._identity.client_id, "request": request}, quote_via=quote
            )
        with self._database.session() as session:
            session.add(row)
        request_uri = f"{self._settings.public_url}/oid4vp/request/{handle}"
        return CreatedRequest(
            transaction_id,
            self._identity.client_id,
            request_uri,
            self._authorization_request(request_uri),
            expires_at,
            query,
            by_value,
        )

    def _authorization_request(self, request_uri: str) -> str:
        parameters = {"client_id": self._identity.client_id, "request_uri": request_uri}
        if self._identity.signed:
            parameters["request_uri_method"] = "post"
        return "openid4vp://?" + urlencode(parameters, quote_via=quote)

    def authorization_request(self, transaction_id: str) -> str:
        """The ``openid4vp://`` URL of an open transaction (for its QR code). Raises :class:`NotFoundError`,
        :class:`GoneError` once it has expired or been answered."""
        with self._database.session() as session:
            row = session.get(OpenID4VPTransactionRow, digest(transaction_id))
        if row is None:
            raise NotFoundError("no such request", code="oid4vp.unknown")
        if row.status not in _OPEN or self._clock.now() >= row.expires_at:
            raise GoneError("this request has expired or was already answered", code="oid4vp.closed")
        return self._authorization_request(f"{self._settings.public_url}/oid4vp/request/{row.request_handle}")

    def requested_claim_names(self, transaction_id: str) -> list[str]:
        """The claims a transaction asks for (for the page). Raises :class:`NotFoundError`."""
        with self._database.session() as session:
            row = session.get(OpenID4VPTransactionRow, digest(transaction_id))
        if row is None:
            raise NotFoundError("no such request", code="oid4vp.unknown")
        return _claim_names(row.dcql_query)

    def request_object(
        self, handle: str, *, wallet_metadata: str | None = None, wallet_nonce: str | None = None
    ) -> str:
        """The Request Object for ``handle``, signed with the access certificate's key when there is one; the first
        retrieval moves the transaction to ``retrieved``. ``wallet_metadata`` and ``wallet_nonce`` come from a wallet
        that POSTed to the ``request_uri`` (§5.10); the nonce is echoed.

        Raises :class:`OAuthError` 404 for an unknown handle, 410 for an expired or answered transaction, 400 for
        wallet metadata this verifier cannot satisfy or a malformed wallet nonce.
        """
        self._check_wallet_metadata(wallet_metadata)
        if wallet_nonce is not None and (
            not wallet_nonce or len(wallet_nonce) > _MAX_WALLET_NONCE_CHARS or not wallet_nonce.isprintable()
        ):
            raise OAuthError(
                "invalid_request", f"wallet_nonce must be 1 to {_MAX_WALLET_NONCE_CHARS} printable characters"
            )
        now = self._clock.now()
        with self._database.session() as session:
            row = session.exec(
                select(OpenID4VPTransactionRow).where(col(OpenID4VPTransactionRow.request_handle) == handle)
            ).first()
            if row is None:
                raise OAuthError("invalid_request", "no such request", status_code=404)
            if row.status not in _OPEN or now >= row.expires_at:
                raise OAuthError("invalid_request", "this request has expired or was already answered", status_code=410)
            if row.status == "pending":
                row.status, row.retrieved_at = "retrieved", now
                session.add(row)
            payload = self._payload(row, wallet_nonce=wallet_nonce)
        return self._identity.request_object(payload)

    def _payload(self, row: OpenID4VPTransactionRow, *, wallet_nonce: str | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "vp_formats_supported": {
                "dc+sd-jwt": {"sd-jwt_alg_values": list(ALGORITHMS), "kb-jwt_alg_values": list(ALGORITHMS)}
            }
        }
        if row.client_name is not None:
            metadata["client_name"] = row.client_name
        payload: dict[str, Any] = {
            "aud": SELF_ISSUED_AUDIENCE,
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "client_id": self._identity.client_id,
            "response_uri": self._identity.response_uri,
            "nonce": row.nonce,
            "state": row.state,
            "dcql_query": json.loads(row.dcql_query),
            "client_metadata": metadata,
            "iat": int(row.created_at.timestamp()),
            "exp": int(row.expires_at.timestamp()),
        }
        if wallet_nonce is not None:
            payload["wallet_nonce"] = wallet_nonce
        return payload

    def _check_wallet_metadata(self, text: str | None) -> None:
        """Refuse wallet metadata (§5.10.1) this verifier cannot satisfy. Raises :class:`OAuthError` 400."""
        if text is None:
            return
        try:
            metadata = json_loads(text, what="wallet_metadata")
            check_depth(metadata, what="wallet_metadata")
        except FormatError as exc:
            raise OAuthError("invalid_request", f"wallet_metadata: {exc.summary}") from None
        if not isinstance(metadata, dict):
            raise OAuthError("invalid_request", "wallet_metadata must be a JSON object")
        algorithms = metadata.get("request_object_signing_alg_values_supported")
        if self._identity.signed and isinstance(algorithms, list) and "ES256" not in algorithms:
            raise OAuthError(
                "invalid_request", "this verifier signs requests with ES256, which the wallet does not support"
            )
        prefixes = metadata.get("client_id_prefixes_supported")
        if isinstance(prefixes, list) and self._identity.prefix not in prefixes:
            raise OAuthError(
                "invalid_request",
                f"this verifier identifies itself with the {self._identity.prefix} prefix, which the wallet does not "
                "support",
            )

    async def respond(
        self, *, state: str | None, vp_token: str | None, error: str | None, error_description: str | None
    ) -> str | None:
        """Take the wallet's Authorization Response (``direct_post``); return the ``redirect_uri`` to the holder's
        outcome page (None when the wallet declined). Raises :class:`OAuthError` (400).

        The database is used from the server's thread pool; the verification waits for issuers without a thread
        (:meth:`~verifier.verification.Verifier.verify_async`).
        """
        if not state:
            raise OAuthError("invalid_request", "state is required")
        now = self._clock.now()
        if error is not None:
            await run_in_threadpool(self._decline, state, error, now)
            return None
        if vp_token is None:
            raise OAuthError("invalid_request", "vp_token (or error) is required")
        presentation = _single_presentation(vp_token)
        row = await run_in_threadpool(self._claim, state, now)
        claims = _claim_names(row.dcql_query)
        verification = await self._verifier.verify_async(
            presentation,
            expect=Expectations(
                holder_binding=True,
                audience=self._identity.client_id,
                nonce=row.nonce,
                max_age=timedelta(seconds=self._settings.presentation_max_age_seconds),
                required_claims=tuple((name,) for name in claims),
                profiles=frozenset({"dc+sd-jwt"}),
                types=frozenset({schemas.DIPLOMA_VCT}),
                status_max_age=timedelta(seconds=self._settings.page_status_max_age_seconds),
            ),
            now=now,
        )
        result = verification_response(verification.report, verification.trusted)
        plaintext = json.dumps(result).encode("utf-8")
        sealed = seal_to(row.result_key, purpose=_RESULT_PURPOSE, plaintext=plaintext)
        response_code = secrets.token_urlsafe(16)
        for_holder = seal_to(
            public_key_for(response_code, purpose=_HOLDER_PURPOSE), purpose=_HOLDER_PURPOSE, plaintext=plaintext
        )
        await run_in_threadpool(self._store_result, row.id_hash, sealed, digest(response_code), for_holder)
        return f"{self._settings.public_url}/oid4vp/outcome/{response_code}"

    def _store_result(self, id_hash: str, sealed: bytes, response_code_hash: str, for_holder: bytes) -> None:
        with self._database.session() as session:
            session.execute(
                update(OpenID4VPTransactionRow)
                .where(col(OpenID4VPTransactionRow.id_hash) == id_hash)
                .values(result=sealed, response_code_hash=response_code_hash, holder_result=for_holder)
            )

    def holder_outcome(self, response_code: str) -> dict[str, Any]:
        """The result of the answer the holder's wallet sent, by the response code it got back (``verified``,
        ``verdict``, ``problemDetails``, ``report``). Raises :class:`NotFoundError`, :class:`GoneError` once the
        result window has closed."""
        with self._database.session() as session:
            row = session.exec(
                select(OpenID4VPTransactionRow).where(
                    col(OpenID4VPTransactionRow.response_code_hash) == digest(response_code)
                )
            ).first()
        if row is None or row.holder_result is None:
            raise NotFoundError("no such outcome", code="oid4vp.outcome_unknown")
        keep = timedelta(seconds=self._settings.oid4vp_result_seconds)
        if row.answered_at is not None and self._clock.now() >= row.answered_at + keep:
            raise GoneError("this outcome is no longer kept", code="oid4vp.result_gone")
        try:
            outcome: dict[str, Any] = json.loads(
                open_sealed(response_code, purpose=_HOLDER_PURPOSE, sealed=row.holder_result)
            )
        except UnsealError as exc:  # pragma: no cover - only with a tampered database
            raise NotFoundError("no such outcome", code="oid4vp.outcome_unknown") from exc
        return outcome

    def _find_by_state(self, state: str) -> OpenID4VPTransactionRow:
        with self._database.session() as session:
            row = session.exec(
                select(OpenID4VPTransactionRow).where(col(OpenID4VPTransactionRow.state) == state)
            ).first()
        if row is None:
            raise OAuthError("invalid_request", "unknown state: no such request")
        return row

    def _claim(self, state: str, now: datetime) -> OpenID4VPTransactionRow:
        """Move an open, unexpired transaction to ``answered`` exactly once (across replicas): the nonce is spent."""
        table = OpenID4VPTransactionRow
        with self._database.session() as session:
            claimed = session.execute(
                update(table)
                .where(col(table.state) == state, col(table.status).in_(_OPEN), col(table.expires_at) > now)
                .values(status="answered", answered_at=now)
            )
            won = getattr(claimed, "rowcount", 0) == 1
        row = self._find_by_state(state)
        if won:
            return row
        if row.status in _OPEN:
            raise OAuthError("invalid_request", "this request has expired")
        raise OAuthError("invalid_request", "this request was already answered; a response is accepted only once")

    def _decline(self, state: str, error: str, now: datetime) -> None:
        table = OpenID4VPTransactionRow
        with self._database.session() as session:
            declined = session.execute(
                update(table)
                .where(col(table.state) == state, col(table.status).in_(_OPEN), col(table.expires_at) > now)
                .values(status="failed", answered_at=now, wallet_error=error[:64])
            )
            if getattr(declined, "rowcount", 0) != 1:
                self._find_by_state(state)
                raise OAuthError("invalid_request", "this request has expired or was already answered")

    def view(self, transaction_id: str) -> TransactionView:
        """The transaction's state and, once answered, its result. Raises :class:`NotFoundError`, :class:`GoneError`."""
        now = self._clock.now()
        with self._database.session() as session:
            row = session.get(OpenID4VPTransactionRow, digest(transaction_id))
        if row is None:
            raise NotFoundError("no such request", code="oid4vp.unknown")
        keep = timedelta(seconds=self._settings.oid4vp_result_seconds)
        if row.answered_at is not None and now >= row.answered_at + keep:
            raise GoneError("the result of this request is no longer kept", code="oid4vp.result_gone")
        status = row.status
        if status in _OPEN and now >= row.expires_at:
            status = "expired"
            if now >= row.expires_at + keep:
                raise GoneError("this request expired", code="oid4vp.expired")
        result = None
        if row.result is not None:
            try:
                result = json.loads(open_sealed(transaction_id, purpose=_RESULT_PURPOSE, sealed=row.result))
            except UnsealError as exc:  # pragma: no cover - only with a tampered database
                raise NotFoundError("no such request", code="oid4vp.unknown") from exc
        elif status == "answered":
            status = "verifying"
        return TransactionView(status, row.created_at, row.expires_at, row.answered_at, result, row.wallet_error)

    def purge(self) -> int:
        """Delete transactions whose result window has closed and erase results past theirs; returns deletions.

        An answer always comes before expiry, so a transaction expired for longer than the result window has
        no readable result left.
        """
        cutoff = self._clock.now() - timedelta(seconds=self._settings.oid4vp_result_seconds)
        table = OpenID4VPTransactionRow
        with self._database.session() as session:
            deleted = session.execute(delete(table).where(col(table.expires_at) < cutoff))
            session.execute(
                update(table).where(col(table.answered_at) < cutoff).values(result=None, holder_result=None)
            )
        return int(getattr(deleted, "rowcount", 0) or 0)


def _claim_names(dcql: str) -> list[str]:
    return [str(query["path"][0]) for query in json.loads(dcql)["credentials"][0]["claims"]]


def _single_presentation(vp_token: str) -> str:
    """The one presentation of the ``vp_token`` object ``{"diploma": ["…"]}``. Raises :class:`OAuthError`."""
    try:
        value = json_loads(vp_token, what="vp_token")
        check_depth(value, what="vp_token")
    except FormatError as exc:
        raise OAuthError("invalid_request", f"{exc.summary} ({exc.found}; expected {exc.expected})") from None
    if not isinstance(value, dict) or set(value) != {CREDENTIAL_QUERY_ID}:
        raise OAuthError("invalid_request", f'vp_token must be a JSON object with the one key "{CREDENTIAL_QUERY_ID}"')
    presentations = value[CREDENTIAL_QUERY_ID]
    if not isinstance(presentations, list) or len(presentations) != 1 or not isinstance(presentations[0], str):
        raise OAuthError("invalid_request", "vp_token.diploma must be an array of exactly one presentation string")
    return presentations[0]
