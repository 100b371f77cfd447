"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow: offers, token, nonce, credential.

The wire protocol a wallet follows (every URL is relative to the issuer identifier ``ISS``, e.g.
``https://bac.example.ma``; all JSON is UTF-8):

1. **Offer.** The graduate receives (QR code or link) ``openid-credential-offer://?credential_offer_uri=``
   followed by the URL-encoded ``ISS/offers/<offer id>``, and separately a numeric transaction code
   (``tx_code``, 6 digits by default). ``GET ISS/offers/<id>`` answers ``application/json``::

       {"credential_issuer": "ISS",
        "credential_configuration_ids": ["BaccalaureateDiploma_dc_sd_jwt", "BaccalaureateDiploma_vc_sd_jwt"],
        "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {
            "pre-authorized_code": "<code>",
            "tx_code": {"input_mode": "numeric", "length": 6, "description": "..."}},
                   "authorization_code": {"issuer_state": "<offer reference>"}}}

   (``authorization_code`` only when the eID login is configured: :mod:`issuer.authorization`).

   An unknown offer is 404, an expired, used or locked one 410 (RFC 9457 problem details, ``code``
   ``offer.unknown`` / ``offer.gone``: this endpoint is not an OAuth one).

2. **Metadata.** ``GET ISS/.well-known/openid-credential-issuer`` and
   ``GET ISS/.well-known/oauth-authorization-server`` (see :mod:`issuer.metadata`).

3. **Token.** ``POST ISS/token`` with ``Content-Type: application/x-www-form-urlencoded``:
   ``grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code&pre-authorized_code=<code>&tx_code=<PIN>``
   (no client authentication). Success (200, ``Cache-Control: no-store``)::

       {"access_token": "<token>", "token_type": "Bearer", "expires_in": 300}

   plus ``authorization_details`` (with ``credential_identifiers``) if the request carried
   ``authorization_details`` of type ``openid_credential``. Errors (400): ``invalid_request`` (missing
   or repeated parameter, missing ``tx_code``), ``unsupported_grant_type``, ``invalid_grant`` (unknown,
   expired or already used code; wrong ``tx_code`` — after ``TAWTIQ_TX_CODE_MAX_ATTEMPTS`` wrong codes
   the offer is locked). Codes are single-use and expire with the offer.

4. **Nonce.** ``POST ISS/nonce`` (empty body) answers ``{"c_nonce": "<nonce>"}`` with
   ``Cache-Control: no-store``. A nonce is valid ``TAWTIQ_NONCE_TTL_SECONDS`` and can be used once.

5. **Credential.** ``POST ISS/credential`` with ``Authorization: Bearer <access_token>`` and
   ``Content-Type: application/json``::

       {"credential_configuration_id": "BaccalaureateDiploma_vc_sd_jwt",
        "proofs": {"jwt": ["<openid4vci-proof+jwt>", ...]}}

   (or ``credential_identifier`` instead of the configuration id after ``authorization_details``). Each
   proof binds one copy: header ``{"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": <holder key>}``,
   payload ``{"aud": "ISS", "iat": <now>, "nonce": "<c_nonce>"}`` (see :mod:`issuer.proofs`). Up to
   ``TAWTIQ_BATCH_SIZE`` proofs per request, each for a different key; one access token obtains at most
   ``TAWTIQ_MAX_COPIES_PER_TOKEN`` copies, in either or both offered configurations (one request per
   configuration). Success (200, ``Cache-Control: no-store``)::

       {"credentials": [{"credential": "<SD-JWT>"}, ...]}

   in the order of the proofs. Errors: 401 ``invalid_token`` (missing, unknown or expired token, with
   ``WWW-Authenticate: Bearer``); 400 ``invalid_credential_request``, ``unknown_credential_configuration``,
   ``unknown_credential_identifier``, ``invalid_proof``, ``invalid_nonce`` (get a fresh one and retry),
   ``invalid_encryption_parameters`` (encryption is not supported), ``credential_request_denied`` (the
   diploma is no longer active, or the token's copies are used up).
"""

from __future__ import annotations

import hmac
import json
import secrets as random
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from common.service.database import for_writing
from common.service.reads import Query, Reads
from issuer import audit
from issuer.db import affected, is_sqlite, writing
from issuer.errors import ConflictError, GoneError, NotFoundError, OAuthError
from issuer.issuance import RECORD_COLUMNS, RecordRow, sign_copies
from issuer.keyring import Keyring
from issuer.models import ACTIVE, AccessToken, CredentialOffer, Diploma, NonceUse, WalletAuthorization, table
from issuer.proofs import NonceError, ProofError, ProofRules, ValidProof, check_jwt_proof
from issuer.secrets import IssuerSecrets, sha256_hex
from issuer.settings import Settings
from vc import FormatError, Profile, PublicKey
from vc.encoding import b64url_decode, b64url_encode

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
AUTHORIZATION_CODE_GRANT: Final = "authorization_code"
OFFER_SCHEME: Final = "openid-credential-offer://"
DC_SD_JWT_CONFIGURATION: Final = "BaccalaureateDiploma_dc_sd_jwt"
VC_SD_JWT_CONFIGURATION: Final = "BaccalaureateDiploma_vc_sd_jwt"
#: Credential configuration id -> the profile its copies are issued in.
CONFIGURATIONS: Final[Mapping[str, Profile]] = {
    DC_SD_JWT_CONFIGURATION: Profile.DC_SD_JWT,
    VC_SD_JWT_CONFIGURATION: Profile.VC_SD_JWT,
}
_TX_CODE_DESCRIPTIONS: Final = {
    "ar": "أدخل الرمز السري المكون من {n} أرقام الذي توصلت به مع رمز الاستجابة السريعة.",
    "fr": "Saisissez le code secret de {n} chiffres reçu avec le QR code de votre diplôme.",
    "en": "Enter the {n}-digit code you received with your diploma's QR code.",
}


def offer_reference(offer_id: str) -> str:
    """What is stored and audited for an offer: a digest of its id (the id itself is a bearer secret)."""
    return sha256_hex("offer\x00" + offer_id)


# ---------------------------------------------------------------------------------------------- offers


@dataclass(frozen=True)
class OfferCreated:
    """A new offer. ``tx_code`` must reach the graduate by another channel than ``offer_uri``."""

    offer_uri: str
    credential_offer_uri: str
    tx_code: str
    expires_at: datetime
    configuration_ids: tuple[str, ...]
    diploma_id: str
    reference: str = field(repr=False)


def create_offer(
    db: Session,
    *,
    diploma: Diploma,
    settings: Settings,
    secrets: IssuerSecrets,
    actor: str,
    now: datetime,
    configuration_ids: Sequence[str] | None = None,
) -> OfferCreated:
    """Create an offer for an active record (both profiles by default) and audit it.

    Raises :class:`ConflictError` ``diploma.not_active`` for a revoked or suspended record.
    """
    if diploma.status != ACTIVE:
        raise ConflictError(
            f"the diploma is {diploma.status}; it cannot be offered",
            code="diploma.not_active",
            found=diploma.status,
            expected="an active diploma",
        )
    available = list(CONFIGURATIONS)
    chosen = tuple(configuration_ids or available)
    unknown = [name for name in chosen if name not in available]
    if unknown or not chosen:
        raise ConflictError(
            "unknown credential configuration", code="offer.configuration_unknown", found=unknown, expected=available
        )
    offer_id = random.token_urlsafe(32)
    tx_code = "".join(str(random.randbelow(10)) for _ in range(settings.tx_code_length))
    reference = offer_reference(offer_id)
    expires_at = now + timedelta(seconds=settings.offer_ttl_seconds)
    db.add(
        CredentialOffer(
            id=reference,
            diploma_id=diploma.id,
            code_hash=sha256_hex(secrets.offer_code(offer_id)),
            tx_code_hash=secrets.tx_code_hash(reference, tx_code),
            configuration_ids=json.dumps(list(chosen)),
            created_at=now,
            expires_at=expires_at,
            actor=actor,
        )
    )
    db.flush()
    audit.append(
        db,
        actor=actor,
        action="offer.create",
        target=diploma.id,
        at=now,
        details={"offer": reference[:16], "configurations": list(chosen), "expires_at": expires_at.isoformat()},
    )
    credential_offer_uri = settings.url(f"/offers/{offer_id}")
    return OfferCreated(
        offer_uri=f"{OFFER_SCHEME}?credential_offer_uri={quote(credential_offer_uri, safe='')}",
        credential_offer_uri=credential_offer_uri,
        tx_code=tx_code,
        expires_at=expires_at,
        configuration_ids=chosen,
        diploma_id=diploma.id,
        reference=reference,
    )


def offer_document(
    engine: Engine, *, offer_id: str, settings: Settings, secrets: IssuerSecrets, now: datetime, language: str = "en"
) -> dict[str, Any]:
    """The Credential Offer object of ``offer_id``. Raises :class:`NotFoundError` or :class:`GoneError`."""
    if not 16 <= len(offer_id) <= 128:
        raise NotFoundError("no such credential offer", code="offer.unknown")
    offer = Reads.of(engine).one(_OFFER, offer_id=offer_reference(offer_id))
    if offer is None:
        raise NotFoundError("no such credential offer", code="offer.unknown")
    if offer.redeemed_at is not None or offer.locked_at is not None or now >= offer.expires_at:
        state = "used" if offer.redeemed_at else ("locked after too many wrong codes" if offer.locked_at else "expired")
        raise GoneError(
            f"this credential offer is {state}; ask for a new one",
            code="offer.gone",
            found=state,
            expected="an offer that is unused and not expired",
        )
    description = _TX_CODE_DESCRIPTIONS.get(language, _TX_CODE_DESCRIPTIONS["en"]).format(n=settings.tx_code_length)
    grants: dict[str, Any] = {
        PRE_AUTHORIZED_GRANT: {
            "pre-authorized_code": secrets.offer_code(offer_id),
            "tx_code": {"input_mode": "numeric", "length": settings.tx_code_length, "description": description},
        }
    }
    if settings.eid_login:
        # The wallet may instead log the graduate in with the eID (issuer.authorization); issuer_state names the
        # offer, whose record must then be the logged-in graduate's. It opens nothing without that login.
        grants[AUTHORIZATION_CODE_GRANT] = {"issuer_state": offer.id}
    return {
        "credential_issuer": settings.issuer_url,
        "credential_configuration_ids": json.loads(offer.configuration_ids),
        "grants": grants,
    }


# ----------------------------------------------------------------------------------------------- token


@dataclass(frozen=True)
class TokenRequest:
    """A parsed token request of the pre-authorized code grant."""

    code: str
    tx_code: str | None
    authorization_details: tuple[str, ...] | None


def parse_token_request(form: Mapping[str, list[str]]) -> TokenRequest:
    """Check a form-encoded token request. Raises :class:`OAuthError` (RFC 6749 §5.2 codes)."""
    repeated = sorted(name for name, values in form.items() if len(values) > 1)
    if repeated:
        raise OAuthError("invalid_request", f"parameters must not be repeated: {', '.join(repeated)}")
    values = {name: values[0] for name, values in form.items()}
    grant_type = values.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", f"only the {PRE_AUTHORIZED_GRANT} grant is supported")
    code = values.get("pre-authorized_code")
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is missing")
    details: tuple[str, ...] | None = None
    if "authorization_details" in values:
        details = _parse_authorization_details(values["authorization_details"])
    return TokenRequest(code=code, tx_code=values.get("tx_code"), authorization_details=details)


def _parse_authorization_details(raw: str) -> tuple[str, ...]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise OAuthError("invalid_request", "authorization_details is not JSON") from None
    if not isinstance(parsed, list) or not parsed:
        raise OAuthError("invalid_request", "authorization_details must be a non-empty JSON array")
    chosen: list[str] = []
    for item in parsed:
        if not isinstance(item, dict) or item.get("type") != "openid_credential":
            raise OAuthError(
                "invalid_authorization_details", "each authorization detail must have type openid_credential"
            )
        configuration = item.get("credential_configuration_id")
        if not isinstance(configuration, str):
            raise OAuthError(
                "invalid_authorization_details", "each authorization detail needs a credential_configuration_id"
            )
        chosen.append(configuration)
    return tuple(dict.fromkeys(chosen))


def redeem(
    engine: Engine, *, request: TokenRequest, settings: Settings, secrets: IssuerSecrets, now: datetime
) -> dict[str, Any]:
    """Exchange a pre-authorized code and its transaction code for an access token (see the module docstring).

    A wrong transaction code is counted (and committed) before the error is raised; the offer locks
    after ``TAWTIQ_TX_CODE_MAX_ATTEMPTS`` of them. Raises :class:`OAuthError`.
    """
    failure: OAuthError | None = None
    response: dict[str, Any] = {}
    # Core statements built once, in a Core transaction (no ORM session): this runs once per graduate.
    with for_writing(engine).begin() as connection:
        offer = connection.execute(_OFFER_FOR_UPDATE, {"code_hash": sha256_hex(request.code)}).first()
        if offer is None:
            raise OAuthError("invalid_grant", "the pre-authorized code is unknown")
        target = f"offer:{offer.id[:16]}"
        if offer.redeemed_at is not None:
            raise OAuthError("invalid_grant", "the pre-authorized code has already been used")
        if offer.locked_at is not None:
            raise OAuthError(
                "invalid_grant", "the offer is locked after too many wrong transaction codes; ask for a new one"
            )
        if now >= offer.expires_at:
            raise OAuthError("invalid_grant", "the pre-authorized code has expired; ask for a new offer")
        if request.tx_code is None:
            raise OAuthError("invalid_request", "this offer requires tx_code, the code delivered with it")
        expected = secrets.tx_code_hash(offer.id, request.tx_code)
        if not hmac.compare_digest(expected, offer.tx_code_hash):
            attempts = offer.tx_attempts + 1
            left = settings.tx_code_max_attempts - attempts
            connection.execute(
                _COUNT_WRONG_CODE,
                {"offer_id": offer.id, "attempts": attempts, "locked_at": now if left <= 0 else None},
            )
            audit.append(
                connection,
                actor="wallet",
                action="offer.tx_code_wrong",
                target=target,
                at=now,
                details={"attempts": attempts, "locked": left <= 0},
            )
            failure = OAuthError(
                "invalid_grant",
                "the transaction code is wrong; "
                + (f"{left} attempt(s) left" if left > 0 else "the offer is now locked; ask for a new one"),
            )
        else:
            offered = json.loads(offer.configuration_ids)
            granted = tuple(offered)
            if request.authorization_details is not None:
                refused = [name for name in request.authorization_details if name not in offered]
                if refused:
                    raise OAuthError("invalid_authorization_details", f"not offered: {', '.join(refused)}")
                granted = request.authorization_details
            if offer.diploma_status != ACTIVE:
                raise OAuthError("invalid_grant", "the diploma of this offer is no longer available")
            access_token = random.token_urlsafe(32)
            token = {
                "token_hash": sha256_hex(access_token),
                "offer_id": offer.id,
                "diploma_id": offer.diploma_id,
                "configuration_ids": json.dumps(list(granted)),
                "created_at": now,
                "expires_at": now + timedelta(seconds=settings.access_token_ttl_seconds),
                "copies_issued": 0,
            }
            redeemed = {"redeemed_offer": offer.id, "redeemed_when": now}
            if connection.dialect.name == "postgresql":  # one round trip: the offer used up in the INSERT's statement
                granting = {f"token_{name}": value for name, value in token.items()}
                connection.execute(_INSERT_TOKEN_REDEEMING, {**granting, **redeemed})
            else:
                connection.execute(_REDEEM_OFFER, redeemed)
                connection.execute(_INSERT_TOKEN, token)
            audit.append(
                connection,
                actor="wallet",
                action="offer.redeem",
                target=offer.diploma_id,
                at=now,
                details={"offer": offer.id[:16]},
            )
            response = {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": settings.access_token_ttl_seconds,
            }
            if request.authorization_details is not None:
                response["authorization_details"] = [
                    {"type": "openid_credential", "credential_configuration_id": name, "credential_identifiers": [name]}
                    for name in granted
                ]
    if failure is not None:
        raise failure
    return response


# ----------------------------------------------------------------------------------------------- nonce


def new_nonce(*, secrets: IssuerSecrets, settings: Settings, now: datetime) -> str:
    """A fresh, unpredictable ``c_nonce``: expiry and 128 random bits, MAC-protected (no state)."""
    expiry = int((now + timedelta(seconds=settings.nonce_ttl_seconds)).timestamp())
    payload = struct.pack(">Q", expiry) + random.token_bytes(16)
    return f"{b64url_encode(payload)}.{b64url_encode(secrets.nonce_mac(payload))}"


def check_nonce(nonce: str, *, secrets: IssuerSecrets, now: datetime) -> datetime:
    """Check a nonce's MAC and expiry; return its expiry. Raises :class:`NonceError` (not its use count)."""
    try:
        encoded_payload, encoded_mac = nonce.split(".")
        payload, mac = b64url_decode(encoded_payload), b64url_decode(encoded_mac)
    except (ValueError, FormatError):
        raise NonceError("the proof nonce was not issued by this issuer; get one from the nonce endpoint") from None
    if len(payload) != 24 or not hmac.compare_digest(mac, secrets.nonce_mac(payload)):
        raise NonceError("the proof nonce was not issued by this issuer; get one from the nonce endpoint")
    expiry = datetime.fromtimestamp(struct.unpack(">Q", payload[:8])[0], UTC)
    if now >= expiry:
        raise NonceError("the proof nonce has expired; get a fresh one from the nonce endpoint")
    return expiry


# ------------------------------------------------------------------------------------------ credential


@dataclass(frozen=True)
class CredentialRequest:
    """A parsed credential request."""

    configuration_id: str | None
    identifier: str | None
    proofs: tuple[str, ...]


def parse_credential_request(body: Any, *, batch_size: int) -> CredentialRequest:
    """Check the shape of a credential request body (already parsed JSON). Raises :class:`OAuthError`."""
    if not isinstance(body, dict):
        raise OAuthError("invalid_credential_request", "the credential request must be a JSON object")
    if "credential_response_encryption" in body:
        raise OAuthError("invalid_encryption_parameters", "this issuer does not encrypt credential responses")
    configuration = body.get("credential_configuration_id")
    identifier = body.get("credential_identifier")
    if configuration is not None and identifier is not None:
        raise OAuthError(
            "invalid_credential_request", "give credential_configuration_id or credential_identifier, not both"
        )
    if configuration is None and identifier is None:
        raise OAuthError("invalid_credential_request", "credential_configuration_id is missing")
    for name, value in (("credential_configuration_id", configuration), ("credential_identifier", identifier)):
        if value is not None and (not isinstance(value, str) or not value):
            raise OAuthError("invalid_credential_request", f"{name} must be a non-empty string")
    proofs = body.get("proofs")
    if proofs is None:
        hint = " ('proof' is from an older draft; send 'proofs': {'jwt': [...]})" if "proof" in body else ""
        raise OAuthError("invalid_proof", "the request has no 'proofs'; a key proof is required" + hint)
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise OAuthError("invalid_proof", "'proofs' must be an object with exactly one proof type")
    proof_type, values = next(iter(proofs.items()))
    if proof_type != "jwt":
        raise OAuthError("invalid_proof", f"proof type {str(proof_type)[:40]!r} is not supported; use 'jwt'")
    if not isinstance(values, list) or not values:
        raise OAuthError("invalid_proof", "'proofs.jwt' must be a non-empty array of JWTs")
    if len(values) > batch_size:
        raise OAuthError("invalid_proof", f"at most {batch_size} proofs per request (batch_size)")
    if not all(isinstance(value, str) for value in values):
        raise OAuthError("invalid_proof", "each proof must be a JWT string")
    return CredentialRequest(configuration_id=configuration, identifier=identifier, proofs=tuple(values))


def _invalid_token(description: str) -> OAuthError:
    return OAuthError(
        "invalid_token",
        description,
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def issue_credentials(
    engine: Engine,
    *,
    access_token: str | None,
    request: CredentialRequest,
    settings: Settings,
    secrets: IssuerSecrets,
    keyring: Keyring,
    now: datetime,
) -> list[str]:
    """Handle a credential request end to end and return the credentials, one per proof.

    Checks the token (read), the proofs (no I/O), then in one transaction: locks the token, consumes the
    nonces, allocates the copies' status slots, signs and records the copies and audits. Raises
    :class:`OAuthError`; :class:`vc.ConfigurationError` when no key can sign.
    """
    if not access_token:
        raise OAuthError(
            "invalid_token", "an access token is required", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    token_hash = sha256_hex(access_token)
    token = Reads.of(engine).one(_TOKEN, token_hash=token_hash)
    if token is None:
        raise _invalid_token("the access token is unknown")
    if now >= token.expires_at:
        raise _invalid_token("the access token has expired")
    granted = json.loads(token.configuration_ids)
    if request.identifier is not None:
        if request.identifier not in granted:
            raise OAuthError("unknown_credential_identifier", "this access token has no such credential identifier")
        configuration = request.identifier
    else:
        assert request.configuration_id is not None
        configuration = request.configuration_id
        if configuration not in CONFIGURATIONS:
            raise OAuthError("unknown_credential_configuration", "no such credential configuration")
        if configuration not in granted:
            raise OAuthError(
                "invalid_credential_request", "this access token does not cover that credential configuration"
            )
    profile = CONFIGURATIONS[configuration]

    rules = ProofRules(
        audience=settings.issuer_url,
        algorithms=frozenset(settings.proof_algorithms),
        max_age=timedelta(seconds=settings.proof_max_age_seconds),
        clock_skew=timedelta(seconds=settings.clock_skew_seconds),
    )
    proofs: list[ValidProof] = []
    nonces: dict[str, datetime] = {}
    for position, proof in enumerate(request.proofs, start=1):
        try:
            valid = check_jwt_proof(proof, rules=rules, now=now)
            if valid.nonce not in nonces:
                nonces[valid.nonce] = check_nonce(valid.nonce, secrets=secrets, now=now)
        except ProofError as exc:
            raise OAuthError("invalid_proof", f"proof {position}: {exc}") from None
        except NonceError as exc:
            raise OAuthError("invalid_nonce", f"proof {position}: {exc}") from None
        proofs.append(valid)
    thumbprints = [proof.key.thumbprint() for proof in proofs]
    if len(set(thumbprints)) != len(thumbprints):
        raise OAuthError("invalid_proof", "each proof in a batch must prove a different key")

    # Core statements built once, in a Core transaction (no ORM session): this runs once per credential request.
    with for_writing(engine).begin() as connection:
        # Counted first, which locks the token; the whole transaction rolls back if anything below refuses.
        counting = {"locked_token": token_hash, "copies": len(proofs)}
        if connection.dialect.name == "postgresql":  # one round trip: the count's row and the diploma's, both locked
            row = connection.execute(_COUNT_COPIES_LOCKING_DIPLOMA, counting).one()
            counted, diploma = row[:3], RecordRow(*row[3:])
        else:
            counted = connection.execute(_COUNT_COPIES, counting).one()
            diploma = RecordRow(*connection.execute(_DIPLOMA_FOR_UPDATE, {"diploma_id": counted.diploma_id}).one())
        copies_issued, offer_id = counted[0], counted[2]
        if copies_issued > settings.max_copies_per_token:
            left = settings.max_copies_per_token - (copies_issued - len(proofs))
            raise OAuthError("credential_request_denied", f"this access token may obtain {max(left, 0)} more copies")
        if diploma.status != ACTIVE:
            raise OAuthError("credential_request_denied", f"the diploma is {diploma.status}")
        for nonce, expiry in nonces.items():
            if not _consume_nonce(connection, nonce=nonce, expires_at=expiry):
                raise OAuthError("invalid_nonce", "the proof nonce has already been used; get a fresh one")
        holders: list[PublicKey | None] = [proof.key for proof in proofs]
        copies = sign_copies(
            connection,
            diploma=diploma,
            profile=profile,
            holders=holders,
            channel="oid4vci",
            actor=f"wallet:offer:{offer_id[:16]}",
            settings=settings,
            keyring=keyring,
            now=now,
        )
    return [copy.credential for copy in copies]


# The statements of the wallet's requests, built once (see :func:`offer_document`, :func:`redeem`,
# :func:`issue_credentials`).
_OFFERS, _TOKENS, _DIPLOMAS, _NONCES = table(CredentialOffer), table(AccessToken), table(Diploma), table(NonceUse)
# The two reads of the flow run on connections of their own, compiled once (common.service.reads).
_OFFER: Final = Query(
    select(
        _OFFERS.c.id, _OFFERS.c.configuration_ids, _OFFERS.c.expires_at, _OFFERS.c.redeemed_at, _OFFERS.c.locked_at
    ).where(_OFFERS.c.id == bindparam("offer_id"))
)
_USE_NONCE_SQLITE: Final = sqlite.insert(_NONCES).on_conflict_do_nothing().returning(_NONCES.c.nonce_hash)
_USE_NONCE_POSTGRESQL: Final = postgresql.insert(_NONCES).on_conflict_do_nothing().returning(_NONCES.c.nonce_hash)
_OFFER_FOR_UPDATE: Final = (
    select(
        _OFFERS.c.id,
        _OFFERS.c.diploma_id,
        _OFFERS.c.tx_code_hash,
        _OFFERS.c.tx_attempts,
        _OFFERS.c.configuration_ids,
        _OFFERS.c.expires_at,
        _OFFERS.c.redeemed_at,
        _OFFERS.c.locked_at,
        _DIPLOMAS.c.status.label("diploma_status"),
    )
    .join(_DIPLOMAS, _DIPLOMAS.c.id == _OFFERS.c.diploma_id)
    .where(_OFFERS.c.code_hash == bindparam("code_hash"))
    .with_for_update(of=_OFFERS)  # the offer's row only: a status change may lock the diploma meanwhile
)
_COUNT_WRONG_CODE: Final = (
    update(_OFFERS)
    .where(_OFFERS.c.id == bindparam("offer_id"))
    .values(tx_attempts=bindparam("attempts"), locked_at=bindparam("locked_at"))  # an offer counted here is unlocked
)
_REDEEM_OFFER: Final = (
    update(_OFFERS).where(_OFFERS.c.id == bindparam("redeemed_offer")).values(redeemed_at=bindparam("redeemed_when"))
)
_INSERT_TOKEN: Final = insert(_TOKENS)
#: PostgreSQL: the token inserted and its (locked) offer marked used in one statement (a data-modifying WITH). Its
#: parameters are named after no column (``token_offer_id``...): one named after a column would be set by the
#: UPDATE too.
_INSERT_TOKEN_REDEEMING: Final = (
    insert(_TOKENS)
    .values(
        {
            name: bindparam(f"token_{name}")
            for name in (
                "token_hash",
                "offer_id",
                "diploma_id",
                "configuration_ids",
                "created_at",
                "expires_at",
                "copies_issued",
            )
        }
    )
    .add_cte(_REDEEM_OFFER.cte("redeemed_offer"))
)
_TOKEN: Final = Query(
    select(_TOKENS.c.expires_at, _TOKENS.c.configuration_ids).where(_TOKENS.c.token_hash == bindparam("token_hash"))
)
_COUNT_COPIES: Final = (
    update(_TOKENS)
    .where(_TOKENS.c.token_hash == bindparam("locked_token"))
    .values(copies_issued=_TOKENS.c.copies_issued + bindparam("copies"))
    .returning(_TOKENS.c.copies_issued, _TOKENS.c.diploma_id, _TOKENS.c.offer_id)
)
_DIPLOMA_FOR_UPDATE: Final = select(*RECORD_COLUMNS).where(_DIPLOMAS.c.id == bindparam("diploma_id")).with_for_update()
_COUNTED: Final = _COUNT_COPIES.cte("counted")
#: PostgreSQL: :data:`_COUNT_COPIES` and :data:`_DIPLOMA_FOR_UPDATE` in one statement (a data-modifying WITH).
_COUNT_COPIES_LOCKING_DIPLOMA: Final = (
    select(_COUNTED.c.copies_issued, _COUNTED.c.diploma_id, _COUNTED.c.offer_id, *RECORD_COLUMNS)
    .join_from(_COUNTED, _DIPLOMAS, _DIPLOMAS.c.id == _COUNTED.c.diploma_id)
    .with_for_update(of=_DIPLOMAS)
)


def _consume_nonce(connection: Connection, *, nonce: str, expires_at: datetime) -> bool:
    """Record a nonce as used; false if it already was (single use, even across replicas)."""
    statement = _USE_NONCE_SQLITE if is_sqlite(connection) else _USE_NONCE_POSTGRESQL
    used = {"nonce_hash": sha256_hex(nonce), "expires_at": expires_at}
    return connection.execute(statement, used).first() is not None


def purge_expired(engine: Engine, *, now: datetime) -> dict[str, int]:
    """Delete used nonces, and access tokens, offers and wallets' authorization requests (eID logins and their
    codes) that expired more than a day ago."""
    horizon = now - timedelta(days=1)
    with writing(engine) as db:
        nonces = affected(db.execute(delete(NonceUse).where(col(NonceUse.expires_at) < now)))
        tokens = affected(db.execute(delete(AccessToken).where(col(AccessToken.expires_at) < horizon)))
        offers = affected(db.execute(delete(CredentialOffer).where(col(CredentialOffer.expires_at) < horizon)))
        logins = affected(db.execute(delete(WalletAuthorization).where(col(WalletAuthorization.expires_at) < horizon)))
    return {
        "nonces": int(nonces),
        "access_tokens": int(tokens),
        "offers": int(offers),
        "authorizations": int(logins),
    }
