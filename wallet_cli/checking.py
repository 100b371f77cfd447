"""Checking a diploma copy as the wallet sees it: the issuer's published keys, current status, holder binding.

The wallet runs the engine's verification pipeline (:func:`vc.verify`) on a presentation it makes to itself
— every disclosure, and a key-binding JWT signed with the copy's holder key — so one report covers the
issuer's signature (against the key history the issuer publishes at ``/.well-known/jwt-vc-issuer``), the
disclosures, the data model and schema, the status (lists fetched from the issuer and verified with the same
key history) and the binding of the copy to the wallet's key. Only the issuer's own origin is ever asked.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import schemas
from common.diploma import diploma_policy, diploma_trust_list
from common.fetch import FetchError, UrlRefusedError, same_origin
from common.issuer_keys import IssuerKeysError, fetch_issuer_keys, key_document_url
from keys import KeyHistory
from vc import (
    CredentialError,
    HolderBinding,
    Outcome,
    Policy,
    SigningKey,
    StatusSnapshot,
    UpstreamError,
    VerificationReport,
    sdjwt,
    verify,
    verify_status_list_token,
)
from vc.encoding import json_object
from vc.jose import KeyResolver, PublicKey, parse_compact, thumbprint
from vc.report import CheckName
from vc.status import StatusReference, reference_uri
from wallet_cli.errors import NetworkError, RefusedError
from wallet_cli.model import DC_SD_JWT, PROFILES, VC_SD_JWT
from wallet_cli.net import MAX_ANSWER_BYTES, Http, network_error, origin_of

#: The audience of the presentation the wallet makes to itself to check a copy (never sent anywhere).
SELF_CHECK_AUDIENCE: Final = "urn:tawtiq:wallet:self-check"
#: Signature algorithms the wallet accepts from issuers.
ALGORITHMS: Final = frozenset({"ES256", "ES384", "ES512", "EdDSA"})


@dataclass(frozen=True)
class CopyFacts:
    """What a copy says about itself, read without verifying anything."""

    profile: str
    issuer: str | None
    holder_thumbprint: str | None
    subject: dict[str, Any]


def read_copy(credential: str) -> CopyFacts:
    """The profile, issuer, holder key thumbprint and diploma claims of a copy, without verifying it.

    Raises :class:`vc.CredentialError` if it is not an SD-JWT of one of the diploma's profiles.
    """
    parsed = sdjwt.parse(credential.strip())
    jws = parse_compact(parsed.issuer_jwt, what="credential")
    if jws.typ not in PROFILES:
        raise CredentialError(
            "the credential is not a diploma in a profile this wallet keeps",
            code="wallet.profile_unknown",
            found=jws.typ,
            expected=list(PROFILES),
        )
    payload = json_object(jws.payload, what="credential payload")
    processed = sdjwt.process(payload, parsed.disclosures).payload
    issuer = processed.get("iss") if jws.typ == DC_SD_JWT else processed.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    cnf = processed.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    holder = thumbprint(jwk) if isinstance(jwk, Mapping) else None
    claims = processed.get("credentialSubject") if jws.typ == VC_SD_JWT else processed
    subject = (
        {name: value for name, value in claims.items() if name in schemas.SUBJECT_CLAIMS}
        if isinstance(claims, Mapping)
        else {}
    )
    return CopyFacts(
        profile=jws.typ, issuer=issuer if isinstance(issuer, str) else None, holder_thumbprint=holder, subject=subject
    )


def fetch_key_history(http: Http, issuer: str) -> KeyHistory:
    """The issuer's key history, found and read by the shared reader (:mod:`common.issuer_keys`): SD-JWT VC issuer
    metadata with ``jwks`` or a same-origin ``jwks_uri`` (or a did:web document), the key set read as RFC 7517
    defines it.

    Raises :class:`NetworkError` when it cannot be fetched or the issuer's publication is not usable (the copy
    may be fine: its issuer's site is not), and :class:`RefusedError` for an issuer URL the wallet may not ask.
    """
    try:
        found = fetch_issuer_keys(http.fetcher, issuer, max_bytes=MAX_ANSWER_BYTES)
    except IssuerKeysError as exc:
        raise NetworkError(
            f"the issuer's published keys cannot be used: {exc.summary}",
            code=exc.code,
            found=exc.found,
            expected=exc.expected,
        ) from exc
    except FetchError as exc:
        raise network_error(exc, what="issuer's key metadata", url=key_document_url(issuer)) from exc
    except UrlRefusedError as exc:
        raise RefusedError(
            f"the issuer's address may not be asked: {exc.summary}", code="url.invalid", found=issuer
        ) from exc
    assert found.history is not None  # asked without an ETag, so never "not modified"
    return found.history


class UnavailableKeys:
    """A :class:`vc.KeyResolver` for an issuer whose keys could not be fetched: the signature is "not checked",
    so the verdict is ``indeterminate`` with the reason — never "invalid" for a network failure."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        raise UpstreamError(
            f"the issuer's keys cannot be fetched now: {self.reason}", code="issuer.keys_unavailable", found=issuer
        )


class HttpStatusResolver:
    """A :class:`vc.StatusResolver` fetching status lists from the issuer's own origin, verified with its keys.

    A list elsewhere is never fetched; a list that cannot be fetched makes the status ``not checked``
    (:class:`vc.UpstreamError`), never "revoked" and never "valid". Lists are kept for one command run.
    """

    def __init__(self, http: Http, *, issuer: str, keys: KeyResolver, now: datetime) -> None:
        self._http = http
        self._issuer = issuer
        self._keys = keys
        self._now = now
        self._cache: dict[str, StatusSnapshot] = {}

    def resolve(self, reference: StatusReference) -> StatusSnapshot:
        uri = reference_uri(reference)
        if uri in self._cache:
            return self._cache[uri]
        if not same_origin(uri, self._issuer):
            raise UpstreamError(
                "the status list is not on the issuer's own site, so the wallet does not fetch it",
                code="status.list_untrusted_origin",
                found=uri,
                expected=origin_of(self._issuer),
            )
        try:
            answer = self._http.get(uri, what="status list", accept="application/statuslist+jwt, application/vc+jwt")
        except (NetworkError, RefusedError) as exc:
            raise UpstreamError(
                f"the status list cannot be fetched: {exc.summary}", code="status.unavailable", found=uri
            ) from exc
        if answer.status != 200:
            raise UpstreamError(
                "the status list cannot be fetched", code="status.unavailable", found=f"HTTP {answer.status} for {uri}"
            )
        data = verify_status_list_token(
            answer.text.strip(), uri=uri, keys=self._keys, algorithms=ALGORITHMS, now=self._now
        )
        snapshot = StatusSnapshot(data=data, fetched_at=self._now)
        self._cache[uri] = snapshot
        return snapshot


def self_presentation(credential: str, key: SigningKey, *, nonce: str, now: datetime) -> str:
    """Every disclosure of ``credential`` with a KB-JWT by ``key`` for :data:`SELF_CHECK_AUDIENCE`."""
    parsed = sdjwt.parse(credential.strip())
    presented = sdjwt.serialize(parsed.issuer_jwt, parsed.disclosures)
    return presented + sdjwt.key_binding_jwt(
        presentation=presented, key=key, audience=SELF_CHECK_AUDIENCE, nonce=nonce, issued_at=now
    )


def policy_for(issuer: str, *, nonce: str) -> Policy:
    """Trust exactly ``issuer`` for the diploma, require the binding to the wallet's own key."""
    return diploma_policy(
        trust=diploma_trust_list(issuer, version="wallet"),
        holder_binding=HolderBinding(required=True, audience=SELF_CHECK_AUDIENCE, nonce=nonce),
        algorithms=ALGORITHMS,
    )


def check_copy(
    credential: str,
    key: SigningKey,
    *,
    issuer: str,
    keys: KeyResolver,
    status: HttpStatusResolver,
    now: datetime,
) -> VerificationReport:
    """Verify a copy held with ``key`` as coming from ``issuer``, with its current status."""
    nonce = secrets.token_urlsafe(16)
    presentation = self_presentation(credential, key, nonce=nonce, now=now)
    return verify(presentation, keys=keys, status=status, policy=policy_for(issuer, nonce=nonce), now=now)


def check_printed(
    text: str, *, issuer: str, keys: KeyResolver, status: HttpStatusResolver, now: datetime
) -> VerificationReport:
    """Verify a printed diploma's offline QR (``TQ1:``) as coming from ``issuer``: a code naming another issuer fails
    the trust check before any key is used. No holder binding: a printed code is bound to no key."""
    policy = diploma_policy(
        trust=diploma_trust_list(issuer, version="wallet"),
        holder_binding=HolderBinding(required=False),
        algorithms=ALGORITHMS,
    )
    return verify(text, keys=keys, status=status, policy=policy, now=now)


def acceptance_problems(report: VerificationReport, *, proved_thumbprint: str, facts: CopyFacts) -> list[str]:
    """Why a just-received copy must be refused (empty when it may be stored).

    Every check must pass, except that a status the wallet could not fetch is only warned about (the
    copy was issued a moment ago; ``verify`` tells later). The copy must be bound to the key the wallet
    proved, not merely to some key.
    """
    problems = [
        f"{check.name}: [{check.code}] {check.message}"
        for check in report.checks
        if check.outcome is Outcome.FAILED
        or (
            check.outcome is Outcome.NOT_CHECKED
            and check.name is not CheckName.STATUS
            and check.name is not CheckName.POLICY
        )
    ]
    if facts.holder_thumbprint != proved_thumbprint:
        problems.append(
            "holder_binding: [wallet.cnf_mismatch] the copy is bound to another key than the one this wallet proved "
            f"(cnf.jwk thumbprint {facts.holder_thumbprint or 'missing'}, expected {proved_thumbprint})"
        )
    return problems
