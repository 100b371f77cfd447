"""The engine's figures: issuing and verifying a diploma against raw ES256 and the ``sd-jwt`` reference.

Every subject is timed in rounds interleaved with its baselines (raw ES256 signatures, the reference
implementation on the same claims), so the ratios hold on a shared machine. In-process, no services: the
whole engine run takes seconds.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import schemas
from common.diploma import diploma_contexts, diploma_policy, diploma_trust_list
from vc import (
    BitOrder,
    HolderBinding,
    SigningKey,
    StaticKeyResolver,
    StaticStatusResolver,
    StatusList,
    StatusSnapshot,
    issue,
    issue_bitstring_status_list,
    present,
    verify,
    verify_status_list_token,
)

ISSUER = "https://bac.example.ma"
AUDIENCE = "https://admissions.um5.example.ma"
NONCE = "bench-nonce-0001"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def interleaved(subjects: dict[str, Callable[[], object]], *, rounds: int, per_round: int) -> dict[str, float]:
    """Median over ``rounds`` of the mean time per call (µs) of each subject, rounds interleaved.

    Interleaving spreads machine noise over every subject alike, which keeps the ratios honest.
    """
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for function in subjects.values():
        function()  # warm caches and lazy imports
    gc.disable()
    try:
        for _ in range(rounds):
            for name, function in subjects.items():
                start = time.perf_counter()
                for _ in range(per_round):
                    function()
                samples[name].append((time.perf_counter() - start) / per_round * 1e6)
    finally:
        gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def run(*, quick: bool) -> dict[str, Any]:
    """Issue and verify costs of a 15-claim diploma against raw ES256 and the sd-jwt reference."""
    from jwcrypto.jwk import JWK
    from sd_jwt.common import SDObj
    from sd_jwt.holder import SDJWTHolder
    from sd_jwt.issuer import SDJWTIssuer
    from sd_jwt.verifier import SDJWTVerifier

    now = datetime.now(UTC).replace(microsecond=0)
    contexts = diploma_contexts()
    issuer_key, holder_key = SigningKey.generate(), SigningKey.generate()
    subject = schemas.sample_subject()
    lists = {purpose: f"{ISSUER}/status/bitstring/{purpose[0]}1" for purpose in ("revocation", "suspension")}
    credential = schemas.w3c_credential(
        subject,
        issuer=ISSUER,
        credential_id="urn:uuid:4f1c2b7e-0c1d-4a5e-9d7b-3b2a1c0d9e8f",
        status=[schemas.BitstringEntry(purpose, url, 4242) for purpose, url in lists.items()],
    )

    def ours_issue() -> str:
        return issue(
            credential,
            key=issuer_key,
            issued_at=now,
            contexts=contexts,
            disclosable=schemas.W3C_DISCLOSABLE,
            holder=holder_key.public,
        )

    credential_token = ours_issue()
    presentation = present(
        credential_token,
        disclose=[("credentialSubject", name) for name in schemas.DEFAULT_DISCLOSED_CLAIMS],
        key=holder_key,
        audience=AUDIENCE,
        nonce=NONCE,
        now=now,
    )
    keys = StaticKeyResolver({ISSUER: [issuer_key.public]})
    empty = StatusList.from_entries(size=131_072, bits=1, order=BitOrder.MSB_FIRST, entries=[])
    snapshots = {}
    for purpose, url in lists.items():
        token = issue_bitstring_status_list(
            uri=url, issuer=ISSUER, purpose=purpose, status_list=empty, key=issuer_key, issued_at=now, contexts=contexts
        )
        data = verify_status_list_token(token, uri=url, keys=keys, algorithms=frozenset({"ES256"}), now=now)
        snapshots[url] = StatusSnapshot(data=data, fetched_at=now)
    status = StaticStatusResolver(snapshots)
    trust = diploma_trust_list(ISSUER, version="bench")
    binding = HolderBinding(required=True, audience=AUDIENCE, nonce=NONCE)
    policy = diploma_policy(trust=trust, holder_binding=binding, check_schemas=False)
    policy_with_schema = diploma_policy(trust=trust, holder_binding=binding)
    report = verify(presentation, keys=keys, status=status, policy=policy, now=now)
    if not report.valid:
        raise RuntimeError(f"benchmark presentation does not verify: {report.to_dict()}")

    # The reference implementation on the same claims: the same 15 subject claims disclosable, decoys on.
    reference_issuer_key = JWK.from_json(json.dumps({**issuer_key.public.jwk, "d": _private_d(issuer_key)}))
    reference_holder_key = JWK.from_json(json.dumps({**holder_key.public.jwk, "d": _private_d(holder_key)}))
    reference_claims = {
        **{name: value for name, value in credential.items() if name != "credentialSubject"},
        "iss": ISSUER,
        "credentialSubject": {
            (SDObj(name) if name in schemas.SUBJECT_CLAIMS else name): value
            for name, value in credential["credentialSubject"].items()
        },
    }

    def reference_issue() -> str:
        issued = SDJWTIssuer(
            reference_claims,
            reference_issuer_key,
            holder_key=reference_holder_key,
            sign_alg="ES256",
            add_decoy_claims=True,
        )
        return str(issued.sd_jwt_issuance)

    holder = SDJWTHolder(reference_issue())
    holder.create_presentation(
        {"credentialSubject": dict.fromkeys(schemas.DEFAULT_DISCLOSED_CLAIMS, True)},
        nonce=NONCE,
        aud=AUDIENCE,
        holder_key=reference_holder_key,
        sign_alg="ES256",
    )
    reference_presentation = holder.sd_jwt_presentation
    reference_public = JWK.from_json(json.dumps(dict(issuer_key.public.jwk)))

    def reference_verify() -> object:
        return SDJWTVerifier(
            reference_presentation, lambda iss, header: reference_public, expected_aud=AUDIENCE, expected_nonce=NONCE
        ).get_verified_payload()

    message = credential_token.split("~", 1)[0].encode("ascii")
    private = issuer_key.key
    assert isinstance(private, ec.EllipticCurvePrivateKey)  # SigningKey.generate() makes a P-256 key
    der = private.sign(message, ec.ECDSA(hashes.SHA256()))
    public = issuer_key.public.key
    assert isinstance(public, ec.EllipticCurvePublicKey)

    def raw_verify() -> None:
        public.verify(der, message, ec.ECDSA(hashes.SHA256()))

    rounds, per_round = (7, 60) if quick else (15, 150)
    _log(f"engine: {rounds} interleaved rounds of {per_round} calls each")
    timings = interleaved(
        {
            "raw_sign": lambda: issuer_key.sign(message),
            "raw_verify": raw_verify,
            "issue": ours_issue,
            "verify": lambda: verify(presentation, keys=keys, status=status, policy=policy, now=now),
            "verify_with_schema": lambda: verify(
                presentation, keys=keys, status=status, policy=policy_with_schema, now=now
            ),
            "reference_issue": reference_issue,
            "reference_verify": reference_verify,
        },
        rounds=rounds,
        per_round=per_round,
    )
    return {
        "raw_es256_sign_us": round(timings["raw_sign"], 1),
        "raw_es256_verify_us": round(timings["raw_verify"], 1),
        "issue_diploma_15_disclosable_us": round(timings["issue"], 1),
        "issue_vs_raw_sign": round(timings["issue"] / timings["raw_sign"], 2),
        "verify_presentation_kb_status_us": round(timings["verify"], 1),
        "verify_vs_raw_verify": round(timings["verify"] / (2 * timings["raw_verify"]), 2),
        "verify_with_schema_us": round(timings["verify_with_schema"], 1),
        "verify_with_schema_vs_raw_verify": round(timings["verify_with_schema"] / (2 * timings["raw_verify"]), 2),
        "reference_issue_us": round(timings["reference_issue"], 1),
        "reference_verify_us": round(timings["reference_verify"], 1),
        "speedup_issue_vs_reference": round(timings["reference_issue"] / timings["issue"], 2),
        "speedup_verify_vs_reference": round(timings["reference_verify"] / timings["verify"], 2),
        "targets": {"issue_vs_raw_sign": "<= 4", "verify_vs_raw_verify": "<= 1.5"},
    }


def _private_d(key: SigningKey) -> str:
    from vc.encoding import b64url_encode

    private = key.key
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    size = (private.curve.key_size + 7) // 8
    return b64url_encode(private.private_numbers().private_value.to_bytes(size, "big"))
