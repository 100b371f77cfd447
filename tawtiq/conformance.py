"""The W3C VC-JOSE-COSE test-suite command: ``tawtiq conformance issue|verify``.

Implements exactly the contract the suite's runner calls (``tests/test-util.js``)::

    tawtiq conformance issue|verify --input FILE --key FILE --feature FEATURE [--sd JSON] --output FILE

and always writes ``{"result": "success"|"failure"|"indeterminate"|"error", "data": ...}`` to the output
file, because the runner reads only that file. The suite tests the *securing mechanism*, so verification
here verifies with the key file's key whoever the token names (but trusts no issuer list), does not require
holder binding, and checks the structure — not the proofs — of enveloped credentials inside presentations
(their issuers' keys are not given). Time rules are applied at ``--at`` or, by default, at the token's own
issuance time: the suite's fixed vectors expired in December 2024.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from common.diploma import diploma_contexts
from vc import (
    ConfigurationError,
    FormatError,
    HolderBinding,
    Policy,
    Profile,
    PublicKey,
    SigningKey,
    StaticKeyResolver,
    TawtiqError,
    TrustList,
    UnavailableStatusResolver,
    Verdict,
    issue,
    verify,
)
from vc.cose import parse_sign1
from vc.encoding import b64url_decode, json_loads
from vc.policy import UnsafePolicyWarning


class Feature(StrEnum):
    CREDENTIAL_JOSE = "credential_jose"
    PRESENTATION_JOSE = "presentation_jose"
    CREDENTIAL_SDJWT = "credential_sdjwt"
    PRESENTATION_SDJWT = "presentation_sdjwt"
    CREDENTIAL_COSE = "credential_cose"
    PRESENTATION_COSE = "presentation_cose"


PROFILES = {
    Feature.CREDENTIAL_JOSE: Profile.VC_JWT,
    Feature.PRESENTATION_JOSE: Profile.VP_JWT,
    Feature.CREDENTIAL_SDJWT: Profile.VC_SD_JWT,
    Feature.PRESENTATION_SDJWT: Profile.VP_SD_JWT,
    Feature.CREDENTIAL_COSE: Profile.VC_COSE,
    Feature.PRESENTATION_COSE: Profile.VP_COSE,
}


class ConformanceInputError(Exception):
    """The command was called with an unreadable or malformed file or argument (result ``error``)."""


def write_result(output: Path, result: str, data: Any) -> None:
    """Write the result file atomically: the runner never sees half a file."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump({"result": result, "data": data}, stream, ensure_ascii=False, indent=2)
            stream.write("\n")
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_verification_method(path: Path) -> tuple[str, SigningKey | None, PublicKey]:
    """Read a suite key file ``{id, type: JsonWebKey, controller, publicKeyJwk, secretKeyJwk}``."""
    document = _read_json(path, what="key file")
    if not isinstance(document, Mapping) or document.get("type") != "JsonWebKey":
        raise ConformanceInputError(f"{path}: expected a JsonWebKey verification method")
    controller = document.get("controller")
    if not isinstance(controller, str) or not controller:
        raise ConformanceInputError(f"{path}: the verification method has no 'controller'")
    try:
        public = PublicKey.from_jwk(document["publicKeyJwk"])
        secret = document.get("secretKeyJwk")
        signing = SigningKey.from_jwk(secret) if isinstance(secret, Mapping) else None
    except (KeyError, TawtiqError) as exc:
        raise ConformanceInputError(f"{path}: the key cannot be read: {exc}") from exc
    return controller, signing, public


def _read_json(path: Path, *, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConformanceInputError(f"cannot read {what} {path}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConformanceInputError(f"{what} {path} is not JSON: {exc}") from exc


def run_issue(*, input_path: Path, key_path: Path, feature: Feature, sd: list[str], now: datetime) -> tuple[str, Any]:
    """Sign the input document; ``failure`` when it is not a valid credential or presentation."""
    if feature not in PROFILES:
        return "error", f"feature {feature} is not supported by this implementation"
    profile = PROFILES[feature]
    _, signing, _ = load_verification_method(key_path)
    if signing is None:
        raise ConformanceInputError(f"{key_path}: no 'secretKeyJwk' to sign with")
    document = _read_json(input_path, what="input")
    if not isinstance(document, Mapping):
        return "failure", "the input is not a JSON object"
    if sd and not profile.selective:
        raise ConformanceInputError(f"--sd is only meaningful for SD-JWT features, not {feature}")
    try:
        token = issue(
            document, key=signing, issued_at=now, profile=profile, contexts=diploma_contexts(), disclosable=sd
        )
    except (FormatError, ConfigurationError) as exc:
        return "failure", f"[{exc.code}] {exc}"
    return "success", token


def _unverified_payload(text: str) -> Any:
    """The payload of a JWS, SD-JWT or base64 COSE_Sign1, read without verifying anything."""
    text = text.strip()
    if text.startswith("0oR"):  # base64 of a tagged COSE_Sign1 (d2 84)
        return json_loads(parse_sign1(base64.b64decode(text + "=" * (-len(text) % 4))).payload)
    return json_loads(b64url_decode(text.split("~", 1)[0].split(".")[1]))


def _token_time(text: str) -> datetime | None:
    """The issuance time a token claims (``iat``, else ``validFrom``), read without verifying it."""
    try:
        payload = _unverified_payload(text)
    except (IndexError, ValueError, TawtiqError):
        return None
    if not isinstance(payload, Mapping):
        return None
    issued = payload.get("iat")
    if isinstance(issued, int) and not isinstance(issued, bool):
        return datetime.fromtimestamp(issued, UTC)
    for name in ("iat", "validFrom"):
        value = payload.get(name)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                continue
    return None


class _KeyFileResolver:
    """The key file's key for whoever the token names as its signer: the suite tests the securing mechanism, and its
    COSE presentation names a holder (``did:example:…``) other than the key file's controller. The ``kid`` must still
    name the key (as itself or as a DID URL fragment)."""

    def __init__(self, key: PublicKey) -> None:
        self._key = key

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        if kid is not None and self._key.kid is not None and kid.rpartition("#")[2] != self._key.kid:
            return StaticKeyResolver({issuer: [self._key]}).resolve(
                issuer=issuer, kid=kid, algorithm=algorithm, signed_at=signed_at
            )
        return self._key


def run_verify(*, input_path: Path, key_path: Path, feature: Feature, at: datetime | None) -> tuple[str, Any]:
    """Verify the input with the key file's key; the verdict maps to success/failure/indeterminate."""
    if feature not in PROFILES:
        return "error", f"feature {feature} is not supported by this implementation"
    _, _, public = load_verification_method(key_path)
    try:
        text = input_path.read_bytes()
    except OSError as exc:
        raise ConformanceInputError(f"cannot read input {input_path}: {exc}") from exc
    moment = at or _token_time(text.decode("utf-8", "replace")) or datetime.now(UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsafePolicyWarning)
        policy = Policy(
            trust=TrustList.unsafe_trust_everything("w3c-vc-jose-cose-test-suite"),
            contexts=diploma_contexts(),
            holder_binding=HolderBinding(required=False),
            unsafe_skip_enveloped_proofs=True,
        )
    report = verify(
        text,
        keys=_KeyFileResolver(public),
        status=UnavailableStatusResolver("the test suite publishes no status lists"),
        policy=policy,
        now=moment,
    )
    expected_profile = PROFILES[feature]
    if report.verdict is Verdict.VALID and report.profile != expected_profile.value:
        return "failure", {"reason": f"expected a {expected_profile.value}, got {report.profile}", **report.to_dict()}
    result = {Verdict.VALID: "success", Verdict.INVALID: "failure", Verdict.INDETERMINATE: "indeterminate"}
    return result[report.verdict], report.to_dict()
