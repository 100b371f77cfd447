"""The verification pipeline: bytes in, a :class:`~vc.report.VerificationReport` out.

A fixed recipe establishes whether a credential or presentation is authentic (format, signature and
issuer key, validity dates, status, holder binding); the :class:`~vc.policy.Policy` decides whether it
is acceptable (issuer trust, allowed algorithms, schemas, required disclosures). The steps are numbered
below and cite RFC 9901 §7, VC-JOSE-COSE and VCDM 2.0. Nothing here does I/O: keys and status lists
come from the injected resolvers, and ``now`` is passed in.

Order of execution differs from the order of the report in one place, on purpose: issuer trust is
decided from the (unverified) issuer name *before* any key is requested, so that a token can never make
a verifier fetch keys from a server of its choosing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final

from vc import sdjwt
from vc.claims import format_claim_path, lookup
from vc.cose import CONTENT_TYPE, TYP, parse_sign1
from vc.encoding import b64url_decode, json_object
from vc.errors import (
    CredentialError,
    DisclosureError,
    FormatError,
    HolderBindingError,
    KeyResolutionError,
    SignatureError,
    StatusError,
    TawtiqError,
    UnsupportedStatusError,
    UpstreamError,
)
from vc.jose import Jws, KeyCandidates, KeyResolver, PublicKey, check_header, parse_compact
from vc.offline import OFFLINE_CREDENTIAL_TYPE, OFFLINE_PROFILE, decode_offline, kid_of
from vc.policy import HolderBinding, Policy
from vc.profiles import SD_JWT_VC_NEVER_DISCLOSABLE, Profile, issuer_of
from vc.report import Check, CheckName, Outcome, StatusInfo, Verdict, VerificationReport, verdict_of
from vc.status import StatusReference, StatusResolver, reference_uri
from vc.statuslist import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    BitstringStatusEntry,
    parse_bitstring_status_entry,
    parse_token_status_reference,
)
from vc.times import from_numeric_date, parse_numeric_date
from vc.vcdm import (
    VERIFIABLE_CREDENTIAL,
    as_list,
    parse_date_time_stamp,
    parse_envelope,
    types_of,
    validate_credential,
    validate_presentation,
)

_SKIPPED = "not checked because an earlier check failed"
#: What a malformed token raises while it is parsed and processed; RFC 9901 §7.1 refusals are DisclosureErrors.
_MALFORMED = (FormatError, DisclosureError)


class _Checks:
    """Collects one result per check; the first failure of a check wins."""

    def __init__(self) -> None:
        self.results: dict[CheckName, Check] = {}

    def passed(self, name: CheckName, code: str, message: str) -> None:
        self.results.setdefault(name, Check(name, Outcome.PASSED, code, message))

    def failed(self, name: CheckName, code: str, message: str) -> None:
        self.results[name] = Check(name, Outcome.FAILED, code, message)

    def error(self, name: CheckName, exc: TawtiqError) -> None:
        if isinstance(exc, UpstreamError):
            self.results[name] = Check(name, Outcome.NOT_CHECKED, exc.code, exc.message, blocking=True)
        else:
            self.failed(name, exc.code, exc.message)

    def not_checked(self, name: CheckName, code: str, message: str, *, blocking: bool = False) -> None:
        self.results.setdefault(name, Check(name, Outcome.NOT_CHECKED, code, message, blocking=blocking))

    def has_failed(self, name: CheckName) -> bool:
        check = self.results.get(name)
        return check is not None and check.outcome is Outcome.FAILED

    def finish(self) -> tuple[Check, ...]:
        return tuple(
            self.results.get(name) or Check(name, Outcome.NOT_CHECKED, "check.skipped", _SKIPPED) for name in CheckName
        )


@dataclass
class _Context:
    """What the pipeline has learned so far about one token."""

    checks: _Checks = field(default_factory=_Checks)
    profile: Profile | None = None
    #: The profile's name when it is not a :class:`Profile` (the offline QR's ``tq1``).
    profile_name: str | None = None
    issuer: str | None = None
    kid: str | None = None
    types: tuple[str, ...] = ()
    claims: dict[str, Any] | None = None
    disclosed: tuple[str, ...] = ()
    status: list[StatusInfo] = field(default_factory=list)
    nested: list[VerificationReport] = field(default_factory=list)
    signer: PublicKey | None = None


def verify(
    token: bytes | str,
    *,
    keys: KeyResolver,
    status: StatusResolver,
    policy: Policy,
    now: datetime,
) -> VerificationReport:
    """Verify a credential or presentation (``vc+sd-jwt``, ``dc+sd-jwt``, ``vc+jwt``, ``vp+jwt``,
    ``vp+sd-jwt``, ``vc+cose`` and ``vp+cose`` as base64, an enveloped ``data:`` URL of one of them), or an offline
    QR's ``TQ1:`` text (:mod:`vc.offline`; its report's profile is ``tq1``).

    Never raises for bad input: every problem becomes a failed check with a stable code. Raises only
    for programming errors (e.g. a naive ``now``).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    run = _Context()
    _run(token, run, keys=keys, status=status, policy=policy, now=now)
    checks = run.checks.finish()
    verdict = verdict_of(checks)
    for nested in run.nested:
        verdict = Verdict.worst(verdict, nested.verdict)
    return VerificationReport(
        verdict=verdict,
        checks=checks,
        verified_at=now,
        profile=run.profile.value if run.profile else run.profile_name,
        issuer=run.issuer,
        kid=run.kid,
        credential_types=run.types,
        claims=run.claims,
        disclosed=run.disclosed,
        status=tuple(run.status),
        trust_list_version=policy.trust.version,
        credentials=tuple(run.nested),
    )


def _run(
    token: bytes | str, run: _Context, *, keys: KeyResolver, status: StatusResolver, policy: Policy, now: datetime
) -> None:
    checks = run.checks
    # (1) Size bound first: nothing larger is parsed at all.
    size = len(token.encode("utf-8", "surrogatepass") if isinstance(token, str) else token)
    if size > policy.max_input_bytes:
        checks.failed(
            CheckName.FORMAT,
            "input.too_large",
            f"input is {size} bytes; expected at most {policy.max_input_bytes} bytes",
        )
        return
    try:
        text = _decode_text(token)
        if _OFFLINE_LIKE.match(text):  # TQ1:, or the prefix of another QR scheme (HC1:…), refused by name
            _run_offline(text, run, keys=keys, status=status, policy=policy, now=now)
            return
        # (2) Media type: the JWS typ or the COSE typ names the profile (VC-JOSE-COSE §3, SD-JWT VC §3.2.1).
        secured = _parse_cose(text) if _is_cose(text) else _parse_jose(text)
        profile, payload, sd = secured.profile, secured.payload, secured.sd
    except _MALFORMED as exc:
        checks.error(CheckName.FORMAT, exc)
        return
    run.profile = profile
    run.kid = secured.kid
    run.issuer = issuer_of(payload)
    run.types = _types(profile, payload)
    if run.issuer is None:
        checks.failed(CheckName.FORMAT, "format.issuer_missing", "the token names no issuer in clear ('iss')")
        return

    # (3) Issuer trust, decided before any key is fetched. A presentation's own signer is its holder;
    #     trust is then a question for each enveloped credential.
    if not profile.presentation:
        decision = policy.trust.decide(run.issuer, run.types)
        if not decision.trusted:
            checks.failed(CheckName.ISSUER_TRUST, decision.code, decision.message)
            checks.not_checked(
                CheckName.SIGNATURE, "signature.not_fetched", "keys are never fetched for an untrusted issuer"
            )
            return
        checks.passed(CheckName.ISSUER_TRUST, decision.code, decision.message)

    # (4) RFC 9901 §7.1 step 2 / RFC 7515: header rules, then the signature with the issuer's key.
    signed_at = _signing_time(payload)
    try:
        algorithm = secured.algorithm(policy.algorithms)
        key = keys.resolve(issuer=run.issuer, kid=secured.kid, algorithm=algorithm, signed_at=signed_at)
        key.verify(algorithm=algorithm, message=secured.signing_input, signature=secured.signature)
    except TawtiqError as exc:
        checks.error(CheckName.SIGNATURE, exc)
        return
    run.signer = key
    checks.passed(CheckName.SIGNATURE, "signature.ok", f"signed with {algorithm} by key {key.kid or '(no kid)'}")

    # (5) RFC 9901 §7.1 step 3: replace digests by the presented disclosures.
    try:
        if sd is not None:
            processed = sdjwt.process(payload, sd.disclosures)
            claims = processed.payload
            run.disclosed = tuple(format_claim_path(path) for path in processed.disclosed_paths)
            if profile is Profile.DC_SD_JWT:
                _refuse_disclosed_registered_claims(processed)
        else:
            claims = dict(payload)
    except _MALFORMED as exc:
        checks.error(CheckName.FORMAT, exc)
        return
    run.claims = claims

    # (6) The data model: VCDM 2.0 for W3C profiles, SD-JWT VC for dc+sd-jwt.
    try:
        if profile.presentation:
            _verify_presentation(claims, run, keys=keys, status=status, policy=policy, now=now)
        elif profile.w3c:
            facts = validate_credential(claims, policy.contexts)
            if facts.issuer != run.issuer:
                raise FormatError("issuer and 'iss' disagree", code="vcdm.iss_mismatch", found=run.issuer)
        else:
            _validate_sd_jwt_vc(claims)
    except _MALFORMED as exc:
        checks.error(CheckName.FORMAT, exc)
        return
    checks.passed(CheckName.FORMAT, "format.ok", f"a well-formed {profile.value}")

    # (7) RFC 9901 §7.1 step 5, VCDM 2.0 §4.9: validity dates.
    _check_validity(claims, profile, run, policy=policy, now=now)

    # (8) Status lists (Bitstring Status List / Token Status List).
    if not profile.presentation:
        _check_status(claims, profile, run, status=status, now=now)
    else:
        checks.not_checked(CheckName.STATUS, "status.presentation", "status applies to each enveloped credential")

    # (9) RFC 9901 §7.3: holder binding.
    _check_holder_binding(sd, claims, profile, run, policy=policy, now=now)

    # (10) Schemas the policy configured for the credential's types.
    _check_schema(claims, run, policy=policy)

    # (11) Policy: a status reference when the policy requires one, then required disclosures.
    missing = [format_claim_path(path) for path in policy.required_disclosures if not lookup(claims, path)]
    if policy.require_status and not profile.presentation and not _has_status_reference(claims, profile):
        checks.failed(
            CheckName.POLICY,
            "policy.status_required",
            "the credential carries no status reference, and this verifier's policy requires one "
            f"({'status' if profile is Profile.DC_SD_JWT else 'credentialStatus'}) so that it can be revoked",
        )
    elif missing:
        checks.failed(CheckName.POLICY, "policy.disclosure_missing", f"required claims were not disclosed: {missing}")
    else:
        checks.passed(CheckName.POLICY, "policy.ok", "the presentation meets the verifier's policy")


@dataclass(frozen=True)
class _Secured:
    """A parsed, not yet verified, credential or presentation: JWS or SD-JWT, or COSE_Sign1."""

    profile: Profile
    payload: Mapping[str, Any]
    kid: str | None
    signing_input: bytes
    signature: bytes
    jws_header: Mapping[str, Any] | None = None
    cose_algorithm: str | None = None
    sd: sdjwt.SdJwt | None = None

    def algorithm(self, allowed: frozenset[str]) -> str:
        """The signature algorithm once the header rules and the policy's allow-list accept it."""
        if self.jws_header is not None:
            return check_header(self.jws_header, allowed=allowed)
        assert self.cose_algorithm is not None
        if self.cose_algorithm not in allowed:
            raise SignatureError(
                "COSE algorithm is not allowed by policy",
                code="cose.alg_not_allowed",
                found=self.cose_algorithm,
                expected=f"one of {sorted(allowed)}",
            )
        return self.cose_algorithm


def _parse_jose(text: str) -> _Secured:
    jws, sd = _parse_container(text)
    profile = _profile_of(jws, selective=sd is not None)
    return _Secured(
        profile=profile,
        payload=json_object(jws.payload, what="JWT payload"),
        kid=jws.kid,
        signing_input=jws.signing_input,
        signature=jws.signature,
        jws_header=jws.header,
        sd=sd,
    )


#: A context prefix of an alphanumeric QR payload: upper-case letters and digits, then a colon.
_OFFLINE_LIKE: Final = re.compile(r"[A-Z][A-Z0-9]{1,3}:")
#: How a COSE credential starts: a ``data:`` URL of a COSE media type, or base64 of tag 18 (``d2 84`` is ``0oR``).
_COSE_STARTS: Final = ("data:application/vc+cose", "data:application/vp+cose", "0oR")
_COSE_PROFILES: Final = {profile.media_type: profile for profile in Profile if profile.cose}


def _is_cose(text: str) -> bool:
    return text.startswith(_COSE_STARTS) or text[:4].lower() == "d284"


def _parse_cose(text: str) -> _Secured:
    """A COSE-secured W3C credential or presentation (VC-JOSE-COSE §3.3), as standard base64 or a ``data:`` URL."""
    media_type = None
    if text.startswith("data:"):
        envelope = parse_envelope({"type": "EnvelopedVerifiableCredential", "id": text})
        text, media_type = envelope.content, envelope.media_type
    if text[:4].lower() == "d284":
        raise FormatError(
            "the COSE credential is written in hexadecimal",
            code="cose.encoding",
            found="hexadecimal text",
            expected="standard base64 of the COSE_Sign1 (VC-JOSE-COSE)",
        )
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FormatError(
            "the COSE credential is not base64", code="cose.encoding", found=str(exc), expected="standard base64"
        ) from exc
    message = parse_sign1(raw, max_bytes=len(raw))
    typ = message.header(TYP)
    profile = _COSE_PROFILES.get(typ) if isinstance(typ, str) else None
    if profile is None:
        raise FormatError(
            "the COSE credential's media type (typ) is not one this verifier accepts",
            code="format.media_type",
            found=typ,
            expected=sorted(_COSE_PROFILES),
        )
    if media_type is not None and media_type != profile.media_type:
        raise FormatError(
            "the data: URL's media type is not the one its COSE credential declares",
            code="format.media_type",
            found=media_type,
            expected=profile.media_type,
        )
    cty = message.header(CONTENT_TYPE)
    if cty is not None and cty != f"application/{profile.content_type}":
        raise FormatError(
            "the COSE credential's content type (cty) does not match its media type",
            code="format.media_type",
            found=cty,
            expected=f"application/{profile.content_type}",
        )
    try:
        kid = message.kid.decode("utf-8") if message.kid is not None else None
    except UnicodeDecodeError as exc:
        raise FormatError("the COSE kid is not text", code="cose.header_invalid", found=message.kid) from exc
    return _Secured(
        profile=profile,
        payload=json_object(message.payload, what="COSE payload"),
        kid=kid,
        signing_input=message.to_be_signed,
        signature=message.signature,
        cose_algorithm=message.algorithm,
    )


def _run_offline(
    text: str, run: _Context, *, keys: KeyResolver, status: StatusResolver, policy: Policy, now: datetime
) -> None:
    """The offline QR (:mod:`vc.offline`): the same checks, in the same order, as the other formats."""
    checks = run.checks
    # (2) The TQ1 layout: prefix, Base45, bounded zlib, strict CBOR, COSE_Sign1, CWT claims.
    try:
        credential = decode_offline(text)
    except _MALFORMED as exc:
        checks.error(CheckName.FORMAT, exc)
        return
    run.profile_name = OFFLINE_PROFILE
    run.issuer = credential.issuer
    run.kid = credential.kid.hex()
    run.types = (OFFLINE_CREDENTIAL_TYPE,)
    # (3) Issuer trust before any key is asked for.
    decision = policy.trust.decide(run.issuer, run.types)
    if not decision.trusted:
        checks.failed(CheckName.ISSUER_TRUST, decision.code, decision.message)
        checks.not_checked(
            CheckName.SIGNATURE, "signature.not_fetched", "keys are never fetched for an untrusted issuer"
        )
        return
    checks.passed(CheckName.ISSUER_TRUST, decision.code, decision.message)
    # (4) The signature, with the issuer's key valid at iat whose thumbprint starts with the kid. Keys the
    #     verifier holds are enough: nothing here needs a network once they are cached.
    message = credential.message
    try:
        algorithm = message.algorithm
        if algorithm not in policy.algorithms:
            raise SignatureError(
                "COSE algorithm is not allowed by policy",
                code="cose.alg_not_allowed",
                found=algorithm,
                expected=f"one of {sorted(policy.algorithms)}",
            )
        key = _offline_key(keys, issuer=run.issuer, kid=credential.kid, algorithm=algorithm, at=credential.issued_at)
        message.verify(key)
    except TawtiqError as exc:
        checks.error(CheckName.SIGNATURE, exc)
        return
    run.signer = key
    checks.passed(CheckName.SIGNATURE, "signature.ok", f"signed with {algorithm} by key {key.kid or '(no kid)'}")
    claims = credential.claims()
    run.claims = claims
    checks.passed(CheckName.FORMAT, "format.ok", "a well-formed offline QR (TQ1)")
    # (7)-(8) Validity dates, then the status when the verifier's status resolver can tell it.
    _check_validity(claims, Profile.DC_SD_JWT, run, policy=policy, now=now)
    _check_status(claims, Profile.DC_SD_JWT, run, status=status, now=now)
    if policy.holder_binding.required:
        checks.failed(
            CheckName.HOLDER_BINDING,
            "holder_binding.paper",
            "a printed credential is bound to no key, and this verification requires the holder's key",
        )
    else:
        checks.not_checked(CheckName.HOLDER_BINDING, "holder_binding.paper", "a printed credential is bound to no key")
    # (10)-(11) The subject's schema and the policy, as for the SD-JWT VC.
    _check_schema(claims, run, policy=policy)
    missing = [format_claim_path(path) for path in policy.required_disclosures if not lookup(claims, path)]
    if missing:
        checks.failed(CheckName.POLICY, "policy.disclosure_missing", f"the printed credential lacks claims: {missing}")
    else:
        checks.passed(CheckName.POLICY, "policy.ok", "the printed credential meets the verifier's policy")


def _offline_key(keys: KeyResolver, *, issuer: str, kid: bytes, algorithm: str, at: datetime) -> PublicKey:
    """The issuer's key an offline QR names by the first bytes of its thumbprint.

    With a resolver that lists its keys (:class:`~vc.jose.KeyCandidates`), the one valid at ``at`` whose thumbprint
    starts with ``kid``, then resolved by its full ``kid`` (so its window and compromise are checked); otherwise the
    issuer's one key valid at ``at``, which must match. Raises :class:`KeyResolutionError` ``offline.kid_mismatch``
    when no key of the issuer matches, and the resolver's errors.
    """
    if isinstance(keys, KeyCandidates):
        matching = [
            key for key in keys.candidates(issuer=issuer, algorithm=algorithm, signed_at=at) if kid_of(key) == kid
        ]
        if len(matching) == 1 and matching[0].kid is not None:
            return keys.resolve(issuer=issuer, kid=matching[0].kid, algorithm=algorithm, signed_at=at)
        if not matching:
            raise KeyResolutionError(
                "the QR names no key the issuer had when it claims to be signed: it is forged or altered",
                code="offline.kid_mismatch",
                found=f"kid {kid.hex()}, signed at {at.isoformat()}",
                expected=f"the first {len(kid)} bytes of the thumbprint of one of the issuer's keys valid then",
            )
    key = keys.resolve(issuer=issuer, kid=None, algorithm=algorithm, signed_at=at)
    if kid_of(key) != kid:
        raise KeyResolutionError(
            "the QR names another key than the one the issuer used at the time it claims",
            code="offline.kid_mismatch",
            found=f"kid {kid.hex()}",
            expected=f"kid {kid_of(key).hex()} (key {key.kid or key.thumbprint()})",
        )
    return key


def _decode_text(token: bytes | str) -> str:
    if isinstance(token, bytes):
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(
                "input is not valid UTF-8", code="input.encoding", found=f"byte {exc.start}", expected="UTF-8 text"
            ) from exc
    return token.strip()


def _parse_container(text: str) -> tuple[Jws, sdjwt.SdJwt | None]:
    media_type = None
    if text.startswith("data:"):
        envelope = parse_envelope({"type": "EnvelopedVerifiableCredential", "id": text})
        text, media_type = envelope.content, envelope.media_type
    if text.startswith(("{", "[")):
        raise FormatError(
            "an unsecured JSON credential proves nothing",
            code="format.unsecured",
            found="a JSON document",
            expected="a JWT or SD-JWT",
        )
    if not text.isascii():
        raise FormatError("token contains non-ASCII characters", code="format.jws", expected="base64url and '.' '~'")
    sd = sdjwt.parse(text) if "~" in text else None
    jws = parse_compact(sd.issuer_jwt, what="issuer-signed JWT") if sd is not None else parse_compact(text)
    if media_type is not None and media_type != f"application/{jws.typ}":
        raise FormatError(
            "the data: URL's media type is not the one its token declares",
            code="format.media_type",
            found=media_type,
            expected=f"application/{jws.typ}",
        )
    return jws, sd


def _profile_of(jws: Jws, *, selective: bool) -> Profile:
    typ = jws.typ
    try:
        profile = Profile(typ) if typ is not None else None
    except ValueError:
        profile = None
    if profile is None or profile.cose:
        raise FormatError(
            "the token's media type (typ) is not one this verifier accepts",
            code="format.media_type",
            found=typ,
            expected=[p.value for p in Profile if not p.cose],
        )
    if profile.selective != selective:
        raise FormatError(
            "the token's media type does not match its form",
            code="sd_jwt.missing_tilde" if profile.selective else "format.media_type",
            found=f"typ {typ} {'with' if selective else 'without'} '~' separators",
            expected="SD-JWT profiles as <JWT>~…~, JWT profiles without '~'",
        )
    cty = jws.header.get("cty")
    if cty is not None and cty != profile.content_type:
        raise FormatError(
            "the token's content type (cty) does not match its media type",
            code="format.media_type",
            found=cty,
            expected=profile.content_type,
        )
    return profile


def _types(profile: Profile, payload: Mapping[str, Any]) -> tuple[str, ...]:
    if profile is Profile.DC_SD_JWT:
        vct = payload.get("vct")
        return (vct,) if isinstance(vct, str) else ()
    return tuple(t for t in types_of(payload) if t != VERIFIABLE_CREDENTIAL)


def _signing_time(payload: Mapping[str, Any]) -> datetime | None:
    issued = payload.get("iat")
    if isinstance(issued, int) and not isinstance(issued, bool):
        # An 'iat' beyond the datetime range gives no signing time (a compromised key then refuses the token);
        # step (7) reports the claim once the signature is known to be good.
        return from_numeric_date(issued)
    try:
        return parse_date_time_stamp(payload["validFrom"], name="validFrom") if "validFrom" in payload else None
    except FormatError:
        return None


def _refuse_disclosed_registered_claims(processed: sdjwt.Processed) -> None:
    disclosed = [str(item.path[0]) for item in processed.revealed if len(item.path) == 1]
    refused = sorted(SD_JWT_VC_NEVER_DISCLOSABLE.intersection(disclosed))
    if refused:
        raise FormatError(
            "SD-JWT VC registered claims must not be selectively disclosable",
            code="sd_jwt_vc.claim_disclosable",
            found=refused,
            expected="iss, nbf, exp, cnf, vct and status in clear",
        )


def _validate_sd_jwt_vc(claims: Mapping[str, Any]) -> None:
    if not isinstance(claims.get("vct"), str) or not claims["vct"]:
        raise FormatError("SD-JWT VC has no 'vct'", code="sd_jwt_vc.vct_missing", found=claims.get("vct"))
    for name in ("vc", "vp"):
        if name in claims:
            raise FormatError("SD-JWT VC must not carry 'vc'/'vp' claims", code="vcdm.vc_vp_claim", found=name)


def _numeric_date(claims: Mapping[str, Any], name: str, *, lenient: bool) -> datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if lenient and (isinstance(value, bool) or not isinstance(value, int | float)):
        return None  # VC-JOSE-COSE test vectors carry string 'iat'; VCDM validFrom governs those credentials
    return parse_numeric_date(value, what=f"'{name}'", code="validity.claim_malformed")


def _check_validity(
    claims: Mapping[str, Any], profile: Profile, run: _Context, *, policy: Policy, now: datetime
) -> None:
    skew = policy.clock_skew
    try:
        issued = _numeric_date(claims, "iat", lenient=profile.w3c)
        expires = _numeric_date(claims, "exp", lenient=False)
        not_before = _numeric_date(claims, "nbf", lenient=False)
        valid_from = parse_date_time_stamp(claims["validFrom"], name="validFrom") if "validFrom" in claims else None
        valid_until = parse_date_time_stamp(claims["validUntil"], name="validUntil") if "validUntil" in claims else None
    except FormatError as exc:
        run.checks.failed(CheckName.VALIDITY, exc.code, exc.message)
        return
    problems: list[tuple[str, str]] = []
    if issued is not None and issued > now + skew:
        problems.append(("validity.issued_in_future", f"issued at {issued.isoformat()}, after now"))
    if expires is not None and expires <= now - skew:
        problems.append(("validity.expired", f"expired at {expires.isoformat()}"))
    if not_before is not None and not_before > now + skew:
        problems.append(("validity.not_yet_valid", f"not valid before {not_before.isoformat()}"))
    if valid_from is not None and valid_from > now + skew:
        problems.append(("validity.not_yet_valid", f"validFrom is {valid_from.isoformat()}"))
    if valid_until is not None and valid_until <= now - skew:
        problems.append(("validity.expired", f"validUntil was {valid_until.isoformat()}"))
    if problems:
        code, message = problems[0]
        run.checks.failed(CheckName.VALIDITY, code, message)
    else:
        run.checks.passed(CheckName.VALIDITY, "validity.ok", f"valid at {now.isoformat()}")


def _has_status_reference(claims: Mapping[str, Any], profile: Profile) -> bool:
    if profile is Profile.DC_SD_JWT:
        return "status" in claims
    return bool(as_list(claims.get("credentialStatus", [])))


#: Status mechanisms this verifier can check; other ``credentialStatus`` types make the status indeterminate.
SUPPORTED_STATUS_TYPES = ("BitstringStatusListEntry",)


def _status_references(claims: Mapping[str, Any], profile: Profile) -> list[StatusReference]:
    if profile is Profile.DC_SD_JWT:
        return [parse_token_status_reference(claims["status"])] if "status" in claims else []
    entries = as_list(claims.get("credentialStatus", []))
    unsupported = sorted(
        {str(entry.get("type")) for entry in entries if isinstance(entry, Mapping)}.difference(SUPPORTED_STATUS_TYPES)
    )
    if unsupported:
        raise UnsupportedStatusError(
            "the credential uses a status mechanism this verifier cannot check",
            found=unsupported,
            expected=list(SUPPORTED_STATUS_TYPES),
        )
    return [parse_bitstring_status_entry(entry) for entry in entries]


def _check_status(
    claims: Mapping[str, Any], profile: Profile, run: _Context, *, status: StatusResolver, now: datetime
) -> None:
    checks = run.checks
    try:
        references = _status_references(claims, profile)
    except FormatError as exc:
        checks.error(CheckName.STATUS, exc)
        return
    except UnsupportedStatusError as exc:
        checks.not_checked(CheckName.STATUS, exc.code, exc.message, blocking=True)
        return
    if not references:
        checks.not_checked(CheckName.STATUS, "status.none", "the credential carries no status reference")
        return
    for reference in references:
        uri = reference_uri(reference)
        try:
            snapshot = status.resolve(reference)
        except UpstreamError as exc:
            checks.error(CheckName.STATUS, exc)
            return
        except TawtiqError as exc:
            # A list we reached but could not read or verify (malformed, undecodable, badly signed) is the
            # list's fault, not the credential's: we cannot tell the status. The list's own signature and key
            # errors are renamed, so that 'signature.invalid' never seems to speak of the credential.
            code = exc.code if exc.code.startswith("status.") else "status.list_" + exc.code.replace(".", "_")
            message = f"status list {uri} cannot be used: {exc.message}"
            checks.not_checked(CheckName.STATUS, code, message, blocking=True)
            return
        data = snapshot.data
        if data.issuer != run.issuer:
            checks.failed(
                CheckName.STATUS,
                "status.issuer_mismatch",
                f"status list {uri} is signed by {data.issuer}, not by the credential's issuer {run.issuer}",
            )
            return
        purpose = reference.purpose if isinstance(reference, BitstringStatusEntry) else "revocation"
        if isinstance(reference, BitstringStatusEntry) and not data.serves(reference.purpose):
            checks.failed(
                CheckName.STATUS,
                "status.purpose_mismatch",
                f"the credential points at a {reference.purpose} entry in a list for {list(data.purposes) or None}",
            )
            return
        try:
            value = data.status_list.get(reference.index)
        except StatusError as exc:
            checks.error(CheckName.STATUS, exc)
            return
        run.status.append(
            StatusInfo(
                purpose=purpose,
                index=reference.index,
                list_uri=uri,
                value=value,
                fetched_at=snapshot.fetched_at,
                age_seconds=max(0.0, (now - snapshot.fetched_at).total_seconds()),
                stale=snapshot.stale,
                list_issued_at=data.issued_at,
            )
        )
        verdict = _status_meaning(reference, value)
        if verdict is not None:
            checks.failed(CheckName.STATUS, *verdict)
            return
    ages = ", ".join(f"{info.purpose} list {int(info.age_seconds)} s old" for info in run.status)
    checks.passed(CheckName.STATUS, "status.ok", f"not revoked or suspended ({ages})")


def _status_meaning(reference: StatusReference, value: int) -> tuple[str, str] | None:
    if isinstance(reference, BitstringStatusEntry):
        if value == 0 or reference.purpose not in ("revocation", "suspension"):
            return None
        if reference.purpose == "revocation":
            return "status.revoked", f"the credential is revoked (list index {reference.index})"
        return "status.suspended", f"the credential is suspended (list index {reference.index})"
    if value == STATUS_VALID:
        return None
    if value == STATUS_INVALID:
        return "status.revoked", f"the credential is revoked (list index {reference.index})"
    if value == STATUS_SUSPENDED:
        return "status.suspended", f"the credential is suspended (list index {reference.index})"
    return "status.unknown_value", f"the status list holds the unknown value {value:#x} for this credential"


def _check_holder_binding(
    sd: sdjwt.SdJwt | None,
    claims: Mapping[str, Any],
    profile: Profile,
    run: _Context,
    *,
    policy: Policy,
    now: datetime,
) -> None:
    checks = run.checks
    rules = policy.holder_binding
    if profile.presentation:
        _check_presentation_binding(claims, run, rules)
        return
    cnf = claims.get("cnf")
    has_kb = sd is not None and sd.key_binding_jwt is not None
    if cnf is None:
        if has_kb:
            checks.failed(CheckName.HOLDER_BINDING, "holder_binding.no_cnf", "a KB-JWT is present but no key is bound")
        elif rules.required:
            checks.failed(
                CheckName.HOLDER_BINDING, "holder_binding.no_cnf", "the credential is not bound to a holder key"
            )
        else:
            checks.not_checked(CheckName.HOLDER_BINDING, "holder_binding.not_required", "no holder key is bound")
        return
    if sd is None or not has_kb:
        if rules.required:
            checks.failed(
                CheckName.HOLDER_BINDING,
                "holder_binding.missing",
                "the credential is bound to a key but the presentation has no key-binding JWT",
            )
        else:
            checks.not_checked(
                CheckName.HOLDER_BINDING, "holder_binding.not_presented", "no key-binding JWT was presented"
            )
        return
    try:
        if not isinstance(cnf, Mapping) or not isinstance(cnf.get("jwk"), Mapping):
            raise HolderBindingError(
                "only 'cnf.jwk' holder binding is supported", code="holder_binding.cnf_unsupported", found=cnf
            )
        holder_key = PublicKey.from_jwk(cnf["jwk"])
        kb = sdjwt.verify_key_binding(
            sd,
            holder_key=holder_key,
            expect=sdjwt.KeyBindingExpectations(
                audience=rules.audience,
                nonce=rules.nonce,
                max_age=rules.max_age,
                clock_skew=policy.clock_skew,
                algorithms=policy.algorithms,
            ),
            now=now,
        )
    except CredentialError as exc:
        checks.failed(CheckName.HOLDER_BINDING, exc.code, exc.message)
        return
    unchecked = [name for name, want in (("aud", rules.audience), ("nonce", rules.nonce)) if want is None]
    note = f"; not checked by policy: {unchecked}" if unchecked else ""
    checks.passed(
        CheckName.HOLDER_BINDING,
        "holder_binding.ok",
        f"presented by the key holder to {kb['aud']!r} at {datetime.fromtimestamp(kb['iat'], UTC).isoformat()}{note}",
    )


def _check_presentation_binding(claims: Mapping[str, Any], run: _Context, rules: HolderBinding) -> None:
    """A presentation binds its holder by its own signature: that key must be the one its credentials name.

    An enveloped credential bound to a key (``cnf.jwk``) presented under another key's signature is someone
    else's credential. With holder binding required, every credential must be bound, and the presentation's
    ``aud`` and ``nonce`` must be the ones expected.
    """
    checks = run.checks
    signer = run.signer.thumbprint() if run.signer is not None else None
    unbound = 0
    for position, nested in enumerate(run.nested):
        cnf = nested.claims.get("cnf") if nested.claims is not None else None
        if not isinstance(cnf, Mapping) or not isinstance(cnf.get("jwk"), Mapping):
            unbound += 1
            continue
        try:
            bound_to = PublicKey.from_jwk(cnf["jwk"]).thumbprint()
        except TawtiqError as exc:
            checks.failed(CheckName.HOLDER_BINDING, exc.code, f"verifiableCredential[{position}]: {exc.message}")
            return
        if bound_to != signer:
            checks.failed(
                CheckName.HOLDER_BINDING,
                "holder_binding.presenter_mismatch",
                f"verifiableCredential[{position}] is bound to another key than the one that signed the presentation",
            )
            return
    if not rules.required:
        checks.not_checked(
            CheckName.HOLDER_BINDING, "holder_binding.not_required", "the presentation is signed by its holder"
        )
        return
    if unbound:
        checks.failed(
            CheckName.HOLDER_BINDING,
            "holder_binding.no_cnf",
            f"{unbound} enveloped credential(s) are bound to no key, so the presenter cannot be their holder",
        )
        return
    for name, want in (("aud", rules.audience), ("nonce", rules.nonce)):
        if want is not None and claims.get(name) != want:
            checks.failed(
                CheckName.HOLDER_BINDING,
                f"holder_binding.{name}",
                f"presentation {name} is {claims.get(name)!r}; expected {want!r}",
            )
            return
    checks.passed(
        CheckName.HOLDER_BINDING, "holder_binding.ok", "signed by the key every enveloped credential is bound to"
    )


def _check_schema(claims: Mapping[str, Any], run: _Context, *, policy: Policy) -> None:
    validators = [policy.schemas[t] for t in run.types if t in policy.schemas]
    if not validators:
        run.checks.not_checked(CheckName.SCHEMA, "schema.none", "no schema is configured for this credential type")
        return
    problems = [problem for validator in validators for problem in validator(claims)]
    if problems:
        run.checks.failed(CheckName.SCHEMA, "schema.invalid", "; ".join(problems[:5]))
    else:
        run.checks.passed(CheckName.SCHEMA, "schema.ok", "the disclosed claims match the credential's schema")


def _verify_presentation(
    claims: Mapping[str, Any],
    run: _Context,
    *,
    keys: KeyResolver,
    status: StatusResolver,
    policy: Policy,
    now: datetime,
) -> None:
    facts = validate_presentation(claims, policy.contexts)
    inner_policy = replace(
        policy,
        holder_binding=HolderBinding(required=False),
        unsafe_skip_enveloped_proofs=False,
        required_disclosures=(),
    )
    for position, envelope in enumerate(facts.envelopes):
        where = f"verifiableCredential[{position}]"
        if policy.unsafe_skip_enveloped_proofs:
            _check_envelope_structure(envelope.media_type, envelope.content, where)
            continue
        # As a data: URL, so the envelope's media type must agree with the credential's own typ.
        enveloped = f"data:{envelope.media_type},{envelope.content}"
        report = verify(enveloped, keys=keys, status=status, policy=inner_policy, now=now)
        run.nested.append(report)
    if policy.unsafe_skip_enveloped_proofs:
        run.checks.not_checked(
            CheckName.ISSUER_TRUST, "trust.unsafe_skipped", "UNSAFE: enveloped credentials were not verified"
        )
    elif run.nested:
        untrusted = [r for r in run.nested if r.check(CheckName.ISSUER_TRUST).outcome is not Outcome.PASSED]
        if untrusted:
            run.checks.failed(
                CheckName.ISSUER_TRUST, "trust.credential_untrusted", "an enveloped credential is untrusted"
            )
        else:
            run.checks.passed(CheckName.ISSUER_TRUST, "trust.ok", "every enveloped credential's issuer is trusted")
    else:
        run.checks.not_checked(CheckName.ISSUER_TRUST, "trust.no_credentials", "the presentation holds no credential")


def _check_envelope_structure(media_type: str, content: str, where: str) -> None:
    """Structure only (the unsafe conformance mode): the content must be the kind its media type says.

    A COSE credential must be a COSE_Sign1 of its media type; a JOSE one must have a protected header naming an
    algorithm and, if it names a ``typ``, the envelope's (the W3C suite's COSE presentation envelopes a JWT cut
    short after its payload, whose proof this mode does not check anyway).
    """
    if media_type in _COSE_PROFILES:
        try:
            secured = _parse_cose(content)
        except FormatError as exc:
            raise FormatError(f"{where}: {exc.summary}", code="vcdm.envelope_invalid", found=exc.found) from exc
        if secured.profile.media_type != media_type:
            raise FormatError(f"{where} has the wrong media type", code="format.media_type", found=media_type)
        return
    expected = media_type.removeprefix("application/")
    header = json_object(b64url_decode(content.split(".", 1)[0], what=f"{where} header"), what=f"{where} header")
    typ = header.get("typ")
    if not isinstance(header.get("alg"), str) or (typ is not None and typ != expected):
        raise FormatError(
            f"{where} has the wrong media type or no algorithm",
            code="format.media_type",
            found={"alg": header.get("alg"), "typ": typ},
            expected={"alg": "a JWS algorithm", "typ": expected},
        )
    if ("~" in content) != expected.endswith("sd-jwt"):
        raise FormatError(f"{where} does not match its media type", code="format.media_type", found=expected)
