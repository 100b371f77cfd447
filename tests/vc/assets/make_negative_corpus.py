"""Regenerate the negative corpus of the verification pipeline from the fixed test keys.

Run by hand from the repository root (the tests only read what it wrote)::

    .venv/bin/python -m tests.vc.assets.make_negative_corpus

Every failure mode starts from a valid diploma issued and presented with the engine's own functions, then
changes one thing at the string or JSON level. Whatever must still pass a signature is re-signed with the
key that signed it (the issuer's for the issuer-signed JWT, the holder's for the KB-JWT), so exactly one
thing is wrong. Salts and decoys come from seeded generators and ECDSA signatures are deterministic
(RFC 6979), so running the script again rewrites the same bytes. Key files that are missing are generated;
existing ones are kept.

Writes ``negative/<failure-mode>.txt`` (``.bin`` for bytes that are not UTF-8), ``negative/manifest.json``
and the untouched controls in ``valid/``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

import schemas
from tests.vc import corpus_support as corpus
from vc import ContextRegistry, DecoyPolicy, Profile, SigningKey, issue, present
from vc.encoding import b64url_decode, b64url_encode, json_dumps
from vc.jose import parse_compact, sign_compact, thumbprint
from vc.sdjwt import digest_of, serialize

#: What the university asks to see (the holder discloses exactly these).
ASKED: Final = ("familyName", "givenName", "stream", "session", "generalAverage", "mention")
W3C_DISCLOSABLE: Final = tuple(("credentialSubject", name) for name in schemas.SUBJECT_CLAIMS)
W3C_ASKED: Final = tuple(("credentialSubject", name) for name in ASKED)
CREDENTIAL_ID: Final = "urn:uuid:5f0c1b8e-7d2a-4c6e-9b13-2e8f4a6d0c71"
#: Set-up of the cases refused before any key is looked up: untrusted issuers, oversized input, and tokens
#: the header rules refuse (so a 'jku' or 'x5u' could never be fetched).
NO_KEY_REQUEST: Final = {"expect_no_key_request": True}
#: Where the attacker's ``jku`` and ``x5u`` point.
ATTACKER_URL: Final = corpus.OTHER_ISSUER


class DeterministicKey(SigningKey):
    """A signing key whose ECDSA signatures are deterministic (RFC 6979), so the corpus regenerates identically."""

    __slots__ = ()

    def sign(self, message: bytes) -> bytes:
        assert isinstance(self.key, ec.EllipticCurvePrivateKey)
        ecdsa = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
        r, s = decode_dss_signature(self.key.sign(message, ecdsa))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _private_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.private_numbers()
    public = numbers.public_numbers
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(public.x.to_bytes(32, "big")),
        "y": b64url_encode(public.y.to_bytes(32, "big")),
    }
    return {**jwk, "kid": thumbprint(jwk), "d": b64url_encode(numbers.private_value.to_bytes(32, "big"))}


def load_keys() -> dict[str, DeterministicKey]:
    """The fixed keys; a missing key file is generated once (and must then be committed)."""
    corpus.KEYS_DIR.mkdir(parents=True, exist_ok=True)
    loaded = {}
    for name in corpus.KEY_NAMES:
        path = corpus.KEYS_DIR / f"{name}.json"
        if not path.exists():
            jwk = _private_jwk(ec.generate_private_key(ec.SECP256R1()))
            path.write_text(json.dumps(jwk, indent=2) + "\n", encoding="utf-8")
            print(f"generated {path.relative_to(corpus.ASSETS)}")
        loaded[name] = DeterministicKey.from_jwk(corpus.key_jwk(name))
    return loaded


def seeded(label: str) -> Callable[[int], bytes]:
    """Reproducible "randomness" for salts and decoys, one stream per label."""
    return random.Random(label).randbytes


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_entry(purpose: str, uri: str, index: int) -> dict[str, str]:
    return {
        "id": f"{uri}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": uri,
    }


def diploma(
    *,
    issuer: str = corpus.ISSUER,
    valid_from: datetime = corpus.ISSUED_AT,
    subject: Mapping[str, Any] | None = None,
    revocation: tuple[str, int] = (corpus.REVOCATION_LIST, corpus.GOOD_INDEX),
    suspension: tuple[str, int] = (corpus.SUSPENSION_LIST, corpus.GOOD_INDEX),
) -> dict[str, Any]:
    """The W3C diploma credential, unsecured."""
    return {
        "@context": [schemas.CREDENTIALS_V2_CONTEXT_URL, schemas.DIPLOMA_CONTEXT_URL],
        "id": CREDENTIAL_ID,
        "type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": _at(valid_from),
        "credentialSubject": dict(subject) if subject is not None else schemas.sample_subject(),
        "credentialStatus": [status_entry("revocation", *revocation), status_entry("suspension", *suspension)],
        "credentialSchema": {"id": schemas.DIPLOMA_SCHEMA_URL, "type": "JsonSchema"},
    }


def sd_jwt_vc_claims(*, index: int = corpus.GOOD_INDEX, vct: str = schemas.DIPLOMA_VCT) -> dict[str, Any]:
    """The IETF SD-JWT VC claims of the same diploma, with a Token Status List reference."""
    subject = schemas.sample_subject()
    return {
        "iss": corpus.ISSUER,
        "vct": vct,
        "status": {"status_list": {"idx": index, "uri": corpus.TOKEN_STATUS_LIST}},
        **{name: subject[name] for name in schemas.SUBJECT_CLAIMS},
    }


# ------------------------------------------------------------------------------------------ token surgery


def split(presentation: str) -> tuple[str, list[str], str]:
    """``<JWT>~<D1>~…~<Dn>~<KB-JWT>`` → the JWT, the disclosures and the KB-JWT (empty when absent)."""
    parts = presentation.split("~")
    return parts[0], parts[1:-1], parts[-1]


def decode(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    jws = parse_compact(jwt)
    payload = json.loads(jws.payload)
    assert isinstance(payload, dict)
    return dict(jws.header), payload


def compact(header: Mapping[str, Any], payload: bytes, signature: bytes) -> str:
    return f"{b64url_encode(json_dumps(header))}.{b64url_encode(payload)}.{b64url_encode(signature)}"


def sign(header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, key: SigningKey) -> str:
    """A compact JWS with exactly ``header`` (whatever its ``alg`` says), signed by ``key``."""
    body = payload if isinstance(payload, bytes) else json_dumps(payload)
    signing_input = f"{b64url_encode(json_dumps(header))}.{b64url_encode(body)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"


def disclosure(*content: Any) -> str:
    return b64url_encode(json_dumps(list(content)))


def decoded(encoded: str) -> list[Any]:
    content = json.loads(b64url_decode(encoded))
    assert isinstance(content, list)
    return content


def named(disclosures: Sequence[str], name: str) -> str:
    """The disclosure of claim ``name``."""
    return next(d for d in disclosures if len(decoded(d)) == 3 and decoded(d)[1] == name)


@dataclass
class World:
    """The keys and the untouched tokens every failure mode starts from."""

    keys: dict[str, DeterministicKey]
    contexts: ContextRegistry = field(default_factory=corpus.contexts)

    @property
    def issuer(self) -> DeterministicKey:
        return self.keys[corpus.ISSUER_KEY]

    @property
    def holder(self) -> DeterministicKey:
        return self.keys[corpus.HOLDER_KEY]

    @property
    def attacker(self) -> DeterministicKey:
        return self.keys[corpus.ATTACKER_KEY]

    @cached_property
    def credential(self) -> str:
        """The untouched W3C diploma (``vc+sd-jwt``), every subject claim disclosable, bound to the holder."""
        return self.issue_w3c(diploma(), seed="diploma")

    @cached_property
    def presentation(self) -> str:
        """The untouched presentation of it: the claims the university asks for, with a KB-JWT."""
        return self.present(self.credential)

    @cached_property
    def sd_jwt_vc_presentation(self) -> str:
        """The same diploma as an IETF SD-JWT VC (``dc+sd-jwt``), presented the same way."""
        credential = self.issue_sd_jwt_vc(sd_jwt_vc_claims(), seed="sd-jwt-vc")
        return self.present(credential, paths=[(name,) for name in ASKED])

    def salt(self, label: str) -> str:
        return b64url_encode(seeded(f"salt {label}")(16))

    def issue_w3c(
        self,
        document: Mapping[str, Any],
        *,
        seed: str,
        key: SigningKey | None = None,
        issued_at: datetime = corpus.ISSUED_AT,
        holder: bool = True,
        decoys: DecoyPolicy | None = None,
    ) -> str:
        return issue(
            document,
            key=key or self.issuer,
            issued_at=issued_at,
            profile=Profile.VC_SD_JWT,
            contexts=self.contexts,
            disclosable=W3C_DISCLOSABLE,
            holder=self.holder.public if holder else None,
            random_bytes=seeded(seed),
            **({"decoys": decoys} if decoys is not None else {}),
        )

    def issue_sd_jwt_vc(self, claims: Mapping[str, Any], *, seed: str, key: SigningKey | None = None) -> str:
        return issue(
            claims,
            key=key or self.issuer,
            issued_at=corpus.ISSUED_AT,
            profile=Profile.DC_SD_JWT,
            disclosable=schemas.SUBJECT_CLAIMS,
            holder=self.holder.public,
            random_bytes=seeded(seed),
        )

    def present(self, credential: str, *, paths: Sequence[Sequence[str]] = W3C_ASKED) -> str:
        return present(
            credential,
            disclose=paths,
            key=self.holder,
            audience=corpus.VERIFIER,
            nonce=corpus.NONCE,
            now=corpus.PRESENTED_AT,
        )

    def bind(
        self,
        jwt: str,
        disclosures: Sequence[str],
        *,
        key: SigningKey | None = None,
        typ: str = "kb+jwt",
        audience: str = corpus.VERIFIER,
        nonce: str = corpus.NONCE,
        issued_at: datetime = corpus.PRESENTED_AT,
        over: str | None = None,
    ) -> str:
        """``<JWT>~<D1>~…~`` and a KB-JWT by ``key`` (the holder's) whose ``sd_hash`` covers ``over`` (what is
        presented, by default)."""
        presented = serialize(jwt, disclosures)
        claims = {
            "iat": int(issued_at.timestamp()),
            "aud": audience,
            "nonce": nonce,
            "sd_hash": digest_of(over if over is not None else presented),
        }
        return presented + sign_compact(header={"typ": typ}, payload=json_dumps(claims), key=key or self.holder)

    def resigned(self, presentation: str, change: Callable[[dict[str, Any]], None]) -> str:
        """``presentation`` whose issuer-signed payload ``change`` edits, re-signed by the issuer and re-bound."""
        jwt, disclosures, _ = split(presentation)
        header, payload = decode(jwt)
        change(payload)
        return self.bind(sign(header, payload, self.issuer), disclosures)

    def with_disclosure(
        self, presentation: str, encoded: str, place: Callable[[dict[str, Any], str], None] | None = None
    ) -> str:
        """``presentation`` with one more disclosure; ``place`` puts its digest into the re-signed payload."""
        jwt, disclosures, _ = split(presentation)
        if place is not None:
            header, payload = decode(jwt)
            place(payload, digest_of(encoded))
            jwt = sign(header, payload, self.issuer)
        return self.bind(jwt, [*disclosures, encoded])


def into_subject(payload: dict[str, Any], digest: str) -> None:
    payload["credentialSubject"]["_sd"] = sorted([*payload["credentialSubject"]["_sd"], digest])


def nested_json(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# ------------------------------------------------------------------------------------------ the corpus


@dataclass(frozen=True)
class Case:
    """One failure mode: its asset, what the verifier must answer, and why."""

    name: str
    check: str
    code: str
    description: str
    verdict: str = "invalid"
    binary: bool = False
    setup: Mapping[str, Any] = field(default_factory=dict)

    @property
    def asset(self) -> str:
        return f"{self.name}.{'bin' if self.binary else 'txt'}"


Builder = Callable[[World], "str | bytes"]
CASES: list[tuple[Case, Builder]] = []


def case(name: str, *, check: str, code: str, description: str, **options: Any) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        CASES.append((Case(name, check, code, description, **options), build))
        return build

    return register


def w3c(world: World) -> str:
    return world.presentation


def with_header(world: World, presentation: str, header: Mapping[str, Any], key: SigningKey | None = None) -> str:
    """The issuer-signed JWT with another header, signed by ``key`` (the issuer's by default), re-bound."""
    jwt, disclosures, _ = split(presentation)
    _, payload = decode(jwt)
    return world.bind(sign(header, payload, key or world.issuer), disclosures)


def original_header(world: World) -> dict[str, Any]:
    return decode(split(w3c(world))[0])[0]


# --- input and format -------------------------------------------------------------------------------------


@case(
    "input-too-large",
    check="format",
    code="input.too_large",
    description="a valid presentation whose credential carries 1,200 decoy digests: over the 64 KiB input bound, "
    "so it is refused before any parsing",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    credential = world.issue_w3c(diploma(), seed="too-large", decoys=DecoyPolicy(1200, 1200))
    token = world.present(credential)
    assert len(token) > 64 * 1024
    return token


@case(
    "invalid-utf8",
    check="format",
    code="input.encoding",
    description="the valid presentation with one byte of a disclosure replaced by 0xFF: not UTF-8",
    binary=True,
)
def _(world: World) -> bytes:
    data = bytearray(w3c(world).encode("ascii"))
    data[data.index(b"~") + 8] = 0xFF
    return bytes(data)


@case(
    "unsecured-json-credential",
    check="format",
    code="format.unsecured",
    description="the diploma as a bare JSON credential, without any proof",
)
def _(world: World) -> str:
    return json.dumps(diploma(), ensure_ascii=False, indent=2)


@case(
    "json-nested-10000-levels",
    check="format",
    code="format.json",
    description="issuer-signed payload with a claim nested 10,000 arrays deep: refused by the JSON parser, "
    "never a RecursionError",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    header, payload = decode(jwt)
    payload["credentialSubject"]["honours"] = "NESTED"
    body = json_dumps(payload).replace(b'"NESTED"', nested_json(10_000))
    return world.bind(sign(header, body, world.issuer), disclosures)


@case(
    "json-nested-200-levels",
    check="format",
    code="format.too_deep",
    description="issuer-signed payload with a claim nested 200 arrays deep: parses, then refused by the "
    "disclosure processor's depth bound",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    header, payload = decode(jwt)
    payload["credentialSubject"]["honours"] = "NESTED"
    body = json_dumps(payload).replace(b'"NESTED"', nested_json(200))
    return world.bind(sign(header, body, world.issuer), disclosures)


@case(
    "json-nested-10000-levels-in-disclosure",
    check="format",
    code="sd_jwt.disclosure_malformed",
    description="a disclosure whose value is nested 10,000 arrays deep, its digest in the re-signed payload",
)
def _(world: World) -> str:
    encoded = b64url_encode(b'["' + world.salt("deep").encode() + b'","honours",' + nested_json(10_000) + b"]")
    return world.with_disclosure(w3c(world), encoded, into_subject)


@case(
    "data-url-media-type-mismatch",
    check="format",
    code="format.media_type",
    description="the valid vc+sd-jwt presentation wrapped in a data: URL that declares application/vc+jwt",
)
def _(world: World) -> str:
    return f"data:application/vc+jwt,{w3c(world)}"


@case(
    "typ-wrong",
    check="format",
    code="format.media_type",
    description="issuer-signed JWT with typ 'JWT' instead of 'vc+sd-jwt', re-signed by the issuer",
)
def _(world: World) -> str:
    return with_header(world, w3c(world), {**original_header(world), "typ": "JWT"})


@case(
    "cty-wrong",
    check="format",
    code="format.media_type",
    description="issuer-signed JWT with cty 'vp' instead of 'vc', re-signed by the issuer",
)
def _(world: World) -> str:
    return with_header(world, w3c(world), {**original_header(world), "cty": "vp"})


@case(
    "missing-trailing-tilde",
    check="format",
    code="sd_jwt.missing_tilde",
    description="an SD-JWT without key binding whose final '~' is missing: '<JWT>~<D1>~…~<Dn>'",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    return "~".join([jwt, *disclosures])


@case(
    "vc-claim",
    check="format",
    code="vcdm.vc_vp_claim",
    description="VCDM 2.0 payload that also carries a 'vc' claim, re-signed by the issuer",
)
def _(world: World) -> str:
    def change(payload: dict[str, Any]) -> None:
        payload["vc"] = {"type": ["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE]}

    return world.resigned(w3c(world), change)


@case(
    "vp-claim-sd-jwt-vc",
    check="format",
    code="vcdm.vc_vp_claim",
    description="SD-JWT VC payload that carries a 'vp' claim, re-signed by the issuer",
)
def _(world: World) -> str:
    def change(payload: dict[str, Any]) -> None:
        payload["vp"] = {"type": ["VerifiablePresentation"]}

    return world.resigned(world.sd_jwt_vc_presentation, change)


@case(
    "iss-issuer-mismatch",
    check="format",
    code="vcdm.iss_mismatch",
    description="'iss' names the ministry but the credential's 'issuer' another party, re-signed by the issuer",
)
def _(world: World) -> str:
    def change(payload: dict[str, Any]) -> None:
        payload["issuer"] = corpus.OTHER_ISSUER

    return world.resigned(w3c(world), change)


@case(
    "sd-alg-unsupported",
    check="format",
    code="sd_jwt.hash_unsupported",
    description="'_sd_alg' is 'sha-1' (the digests are still SHA-256), re-signed by the issuer",
)
def _(world: World) -> str:
    def change(payload: dict[str, Any]) -> None:
        payload["_sd_alg"] = "sha-1"

    return world.resigned(w3c(world), change)


@case(
    "sd-jwt-vc-registered-claim-disclosed",
    check="format",
    code="sd_jwt_vc.claim_disclosable",
    description="SD-JWT VC whose 'nbf' comes from a disclosure instead of the clear payload; digest re-signed",
)
def _(world: World) -> str:
    encoded = disclosure(world.salt("nbf"), "nbf", int(corpus.ISSUED_AT.timestamp()))

    def place(payload: dict[str, Any], digest: str) -> None:
        payload["_sd"] = sorted([*payload["_sd"], digest])

    return world.with_disclosure(world.sd_jwt_vc_presentation, encoded, place)


# --- selective disclosure (RFC 9901 §7.1) --------------------------------------------------------------------


@case(
    "disclosure-tampered",
    check="format",
    code="sd_jwt.unreferenced_disclosure",
    description="the generalAverage disclosure changed from 15.42 to 18.75 (same salt): its digest is in no payload",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    original = named(disclosures, "generalAverage")
    salt, name, _ = decoded(original)
    forged = disclosure(salt, name, 18.75)
    return world.bind(jwt, [forged if d == original else d for d in disclosures])


@case(
    "disclosure-unreferenced",
    check="format",
    code="sd_jwt.unreferenced_disclosure",
    description="an extra, well-formed disclosure taken from another graduate's diploma by the same issuer",
)
def _(world: World) -> str:
    subject = {**schemas.sample_subject(), "cnie": "BK765432"}
    other = world.issue_w3c(diploma(subject=subject), seed="another graduate")
    return world.with_disclosure(w3c(world), named(split(other)[1], "cnie"))


@case(
    "digest-duplicate",
    check="format",
    code="sd_jwt.duplicate_digest",
    description="the generalAverage digest twice in credentialSubject._sd, re-signed by the issuer",
)
def _(world: World) -> str:
    digest = digest_of(named(split(w3c(world))[1], "generalAverage"))

    def change(payload: dict[str, Any]) -> None:
        into_subject(payload, digest)

    return world.resigned(w3c(world), change)


@case(
    "disclosure-duplicate",
    check="format",
    code="sd_jwt.duplicate_disclosure",
    description="the generalAverage disclosure presented twice",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    return world.bind(jwt, [*disclosures, named(disclosures, "generalAverage")])


@case(
    "disclosure-named-sd",
    check="format",
    code="sd_jwt.reserved_name",
    description="a disclosure of a claim named '_sd', its digest in the re-signed payload",
)
def _(world: World) -> str:
    return world.with_disclosure(w3c(world), disclosure(world.salt("_sd"), "_sd", ["x"]), into_subject)


@case(
    "disclosure-named-ellipsis",
    check="format",
    code="sd_jwt.reserved_name",
    description="a disclosure of a claim named '...', its digest in the re-signed payload",
)
def _(world: World) -> str:
    return world.with_disclosure(w3c(world), disclosure(world.salt("..."), "...", "x"), into_subject)


@case(
    "disclosure-overrides-clear-claim",
    check="format",
    code="sd_jwt.claim_conflict",
    description="a disclosure of credentialSubject.type, which is already in clear; digest re-signed",
)
def _(world: World) -> str:
    encoded = disclosure(world.salt("type"), "type", "VocationalDiploma")
    return world.with_disclosure(w3c(world), encoded, into_subject)


@case(
    "disclosure-two-elements-in-object",
    check="format",
    code="sd_jwt.disclosure_arity",
    description="an array-element disclosure [salt, value] referenced from credentialSubject._sd; digest re-signed",
)
def _(world: World) -> str:
    return world.with_disclosure(w3c(world), disclosure(world.salt("pair"), "Casablanca"), into_subject)


@case(
    "disclosure-three-elements-in-array",
    check="format",
    code="sd_jwt.disclosure_arity",
    description="an object-property disclosure [salt, name, value] referenced by {'...': digest} in the 'type' "
    "array; digest re-signed",
)
def _(world: World) -> str:
    def place(payload: dict[str, Any], digest: str) -> None:
        payload["type"] = [*payload["type"], {"...": digest}]

    encoded = disclosure(world.salt("triple"), "type", "HonoursDiplomaCredential")
    return world.with_disclosure(w3c(world), encoded, place)


@case(
    "disclosure-four-elements",
    check="format",
    code="sd_jwt.disclosure_arity",
    description="a disclosure of four elements [salt, name, value, extra]; digest re-signed",
)
def _(world: World) -> str:
    encoded = disclosure(world.salt("four"), "mention", "tres_bien", "extra")
    return world.with_disclosure(w3c(world), encoded, into_subject)


# --- signature and issuer key ------------------------------------------------------------------------------


@case(
    "alg-none",
    check="signature",
    code="jws.alg_refused",
    description="issuer-signed JWT rewritten as alg 'none' with an empty signature",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    jws = parse_compact(jwt)
    return world.bind(compact({**jws.header, "alg": "none"}, jws.payload, b""), disclosures)


@case(
    "hs256-public-key-as-secret",
    check="signature",
    code="jws.alg_refused",
    description="alg HS256 with the HMAC keyed by the issuer's public key (PEM): the key-confusion attack",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    jws = parse_compact(jwt)
    secret = world.issuer.public.key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {**jws.header, "alg": "HS256"}
    signing_input = f"{b64url_encode(json_dumps(header))}.{b64url_encode(jws.payload)}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return world.bind(f"{signing_input}.{b64url_encode(mac)}", disclosures)


@case(
    "alg-unknown",
    check="signature",
    code="jws.alg_unknown",
    description="alg 'ES256K', which the engine does not know, over an ES256 signature by the issuer",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    return with_header(world, w3c(world), {**original_header(world), "alg": "ES256K"})


@case(
    "alg-rs256-not-allowed",
    check="signature",
    code="jws.alg_not_allowed",
    description="alg 'RS256', known to the engine but outside the verifier's allowed algorithms",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    return with_header(world, w3c(world), {**original_header(world), "alg": "RS256"})


def _attacker_jwk(world: World) -> dict[str, Any]:
    return {name: world.attacker.public.jwk[name] for name in ("kty", "crv", "x", "y")}


@case(
    "header-jwk",
    check="signature",
    code="jws.embedded_key",
    description="signed by the attacker's key, offered in the header 'jwk' (no kid)",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    header = {"alg": "ES256", "typ": "vc+sd-jwt", "cty": "vc", "jwk": _attacker_jwk(world)}
    return with_header(world, w3c(world), header, key=world.attacker)


@case(
    "header-jku",
    check="signature",
    code="jws.embedded_key",
    description="signed by the attacker's key, with a header 'jku' pointing at the attacker's key set",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    header = {**original_header(world), "kid": world.attacker.kid, "jku": f"{ATTACKER_URL}/jwks.json"}
    return with_header(world, w3c(world), header, key=world.attacker)


@case(
    "header-x5u",
    check="signature",
    code="jws.embedded_key",
    description="signed by the attacker's key, with a header 'x5u' pointing at the attacker's certificate",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    header = {**original_header(world), "kid": world.attacker.kid, "x5u": f"{ATTACKER_URL}/issuer.pem"}
    return with_header(world, w3c(world), header, key=world.attacker)


@case(
    "header-x5c",
    check="signature",
    code="jws.embedded_key",
    description="signed by the attacker's key, with its self-signed certificate in the header 'x5c'",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    assert isinstance(world.attacker.key, ec.EllipticCurvePrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bac.example.ma")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(world.attacker.key.public_key())
        .serial_number(20260701)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
        .sign(world.attacker.key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    header = {"alg": "ES256", "typ": "vc+sd-jwt", "cty": "vc", "x5c": [base64.b64encode(der).decode("ascii")]}
    return with_header(world, w3c(world), header, key=world.attacker)


@case(
    "header-crit",
    check="signature",
    code="jws.crit_unsupported",
    description="a 'crit' header naming an extension the verifier does not understand, re-signed by the issuer",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    header = {**original_header(world), "crit": ["urn:ma:men:exam-board"], "urn:ma:men:exam-board": "06"}
    return with_header(world, w3c(world), header)


@case(
    "kid-unknown",
    check="signature",
    code="key.unknown_kid",
    description="kid 'bac-signing-2019', which the issuer's key history does not have; re-signed by the issuer",
)
def _(world: World) -> str:
    return with_header(world, w3c(world), {**original_header(world), "kid": "bac-signing-2019"})


@case(
    "kid-missing",
    check="signature",
    code="key.unknown_kid",
    description="no kid, and two issuer keys were valid at the signing time: ambiguous; re-signed by the issuer",
)
def _(world: World) -> str:
    header = {name: value for name, value in original_header(world).items() if name != "kid"}
    return with_header(world, w3c(world), header)


@case(
    "payload-tampered",
    check="signature",
    code="signature.invalid",
    description="cnf rebound to the attacker's key without the issuer's signature; KB-JWT by the attacker",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    header, payload = decode(jwt)
    payload["cnf"] = {"jwk": _attacker_jwk(world)}
    signature = parse_compact(jwt).signature
    return world.bind(compact(header, json_dumps(payload), signature), disclosures, key=world.attacker)


@case(
    "signature-stripped",
    check="signature",
    code="signature.invalid",
    description="the issuer-signed JWT with its signature removed ('<header>.<payload>.')",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    return world.bind(jwt.rsplit(".", 1)[0] + ".", disclosures)


@case(
    "retired-key-after-retirement",
    check="signature",
    code="key.retired",
    description="a diploma signed on 2024-07-01 by the key retired on 2024-01-01",
)
def _(world: World) -> str:
    credential = world.issue_w3c(diploma(), seed="retired", key=world.keys[corpus.RETIRED_KEY])
    return world.present(credential)


@case(
    "compromised-key-after-compromise",
    check="signature",
    code="key.compromised",
    description="a diploma signed on 2025-07-01 by the key compromised on 2025-01-01",
)
def _(world: World) -> str:
    signed_at = datetime(2025, 7, 1, tzinfo=UTC)
    credential = world.issue_w3c(
        diploma(valid_from=signed_at), seed="compromised", key=world.keys[corpus.COMPROMISED_KEY], issued_at=signed_at
    )
    return world.present(credential)


@case(
    "compromised-key-before-compromise",
    check="signature",
    code="key.compromised",
    description="a diploma claiming to be signed on 2024-07-01, before the compromise declared from 2025-01-01, by "
    "the compromised key: the claimed date is the signer's choice, so it is refused all the same",
)
def _(world: World) -> str:
    return world.present(world.issue_w3c(diploma(), seed="compromised control", key=world.keys[corpus.COMPROMISED_KEY]))


# --- issuer trust --------------------------------------------------------------------------------------------


@case(
    "issuer-untrusted",
    check="issuer_trust",
    code="trust.issuer_untrusted",
    description="a well-formed diploma validly signed by another issuer, which is not on the trust list",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    credential = world.issue_w3c(diploma(issuer=corpus.OTHER_ISSUER), seed="untrusted", key=world.attacker)
    return world.present(credential)


@case(
    "credential-type-untrusted",
    check="issuer_trust",
    code="trust.type_not_allowed",
    description="an SD-JWT VC by the trusted issuer, of a type (vct) the trust list does not allow it",
    setup=NO_KEY_REQUEST,
)
def _(world: World) -> str:
    credential = world.issue_sd_jwt_vc(sd_jwt_vc_claims(vct="urn:ma:men:credential:licence:1"), seed="licence")
    return world.present(credential, paths=[(name,) for name in ASKED])


# --- validity dates --------------------------------------------------------------------------------------------


def _numeric(moment: datetime) -> int:
    return int(moment.timestamp())


def _set(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload[name] = value

    return change


@case(
    "exp-past",
    check="validity",
    code="validity.expired",
    description="'exp' of 2025-07-01, before the verification time; re-signed by the issuer",
)
def _(world: World) -> str:
    return world.resigned(w3c(world), _set("exp", _numeric(datetime(2025, 7, 1, tzinfo=UTC))))


@case(
    "nbf-future",
    check="validity",
    code="validity.not_yet_valid",
    description="'nbf' of 2027-01-01, after the verification time; re-signed by the issuer",
)
def _(world: World) -> str:
    return world.resigned(w3c(world), _set("nbf", _numeric(datetime(2027, 1, 1, tzinfo=UTC))))


@case(
    "valid-from-future",
    check="validity",
    code="validity.not_yet_valid",
    description="'validFrom' of 2026-09-01, after the verification time; re-signed by the issuer",
)
def _(world: World) -> str:
    return world.resigned(w3c(world), _set("validFrom", "2026-09-01T00:00:00Z"))


@case(
    "iat-future",
    check="validity",
    code="validity.issued_in_future",
    description="'iat' of 2026-09-01, after the verification time; re-signed by the issuer",
)
def _(world: World) -> str:
    return world.resigned(w3c(world), _set("iat", _numeric(datetime(2026, 9, 1, tzinfo=UTC))))


@case(
    "iat-out-of-range",
    check="validity",
    code="validity.claim_malformed",
    description="'iat' of 10^18 seconds, beyond any representable date; re-signed by the issuer",
)
def _(world: World) -> str:
    return world.resigned(w3c(world), _set("iat", 10**18))


@case(
    "exp-out-of-range",
    check="validity",
    code="validity.claim_malformed",
    description="'exp' of 10^18 seconds, beyond any representable date; re-signed by the issuer",
)
def _(world: World) -> str:
    return world.resigned(w3c(world), _set("exp", 10**18))


# --- status ---------------------------------------------------------------------------------------------------


def _with_status(world: World, seed: str, **entries: tuple[str, int]) -> str:
    return world.present(world.issue_w3c(diploma(**entries), seed=seed))


@case(
    "revoked-bitstring",
    check="status",
    code="status.revoked",
    description="a diploma whose bit is set in the issuer's Bitstring revocation list",
)
def _(world: World) -> str:
    return _with_status(world, "revoked", revocation=(corpus.REVOCATION_LIST, corpus.REVOKED_INDEX))


@case(
    "suspended-bitstring",
    check="status",
    code="status.suspended",
    description="a diploma whose bit is set in the issuer's Bitstring suspension list",
)
def _(world: World) -> str:
    return _with_status(world, "suspended", suspension=(corpus.SUSPENSION_LIST, corpus.SUSPENDED_INDEX))


@case(
    "revoked-token-status-list",
    check="status",
    code="status.revoked",
    description="an SD-JWT VC whose entry in the issuer's Token Status List is 0x01 (INVALID)",
)
def _(world: World) -> str:
    credential = world.issue_sd_jwt_vc(sd_jwt_vc_claims(index=corpus.TOKEN_REVOKED_INDEX), seed="tsl revoked")
    return world.present(credential, paths=[(name,) for name in ASKED])


@case(
    "suspended-token-status-list",
    check="status",
    code="status.suspended",
    description="an SD-JWT VC whose entry in the issuer's Token Status List is 0x02 (SUSPENDED)",
)
def _(world: World) -> str:
    credential = world.issue_sd_jwt_vc(sd_jwt_vc_claims(index=corpus.TOKEN_SUSPENDED_INDEX), seed="tsl suspended")
    return world.present(credential, paths=[(name,) for name in ASKED])


@case(
    "status-unreachable",
    check="status",
    code="status.unavailable",
    verdict="indeterminate",
    description="a diploma whose revocation list is on a server that does not answer: neither valid nor revoked",
)
def _(world: World) -> str:
    return _with_status(world, "unreachable", revocation=(corpus.UNREACHABLE_LIST, corpus.GOOD_INDEX))


@case(
    "status-index-out-of-range",
    check="status",
    code="status.index_out_of_range",
    description="a diploma whose revocation index is 131,072 in a list of 131,072 entries",
)
def _(world: World) -> str:
    return _with_status(world, "out of range", revocation=(corpus.REVOCATION_LIST, corpus.BITSTRING_ENTRIES))


@case(
    "status-list-malformed",
    check="status",
    code="status.list_too_short",
    verdict="indeterminate",
    description="a diploma whose revocation list, signed by the issuer, has 1,024 entries: below the REC's minimum",
)
def _(world: World) -> str:
    return _with_status(world, "short list", revocation=(corpus.SHORT_LIST, corpus.GOOD_INDEX))


@case(
    "status-list-undecodable",
    check="status",
    code="status.list_compression",
    verdict="indeterminate",
    description="a diploma whose revocation list, signed by the issuer, has an encodedList that is not GZIP",
)
def _(world: World) -> str:
    return _with_status(world, "undecodable list", revocation=(corpus.UNDECODABLE_LIST, corpus.GOOD_INDEX))


@case(
    "status-list-bad-signature",
    check="status",
    code="status.list_signature_invalid",
    verdict="indeterminate",
    description="a diploma whose revocation list names the issuer but is signed by another key under its kid",
)
def _(world: World) -> str:
    return _with_status(world, "forged list", revocation=(corpus.FORGED_LIST, corpus.GOOD_INDEX))


@case(
    "status-list-foreign-issuer",
    check="status",
    code="status.issuer_mismatch",
    description="a diploma whose revocation list is validly signed, but by another issuer than the diploma's",
)
def _(world: World) -> str:
    return _with_status(world, "foreign list", revocation=(corpus.FOREIGN_LIST, corpus.GOOD_INDEX))


@case(
    "status-purpose-mismatch",
    check="status",
    code="status.purpose_mismatch",
    description="a diploma whose revocation entry points at the issuer's suspension list",
)
def _(world: World) -> str:
    return _with_status(world, "purpose", revocation=(corpus.SUSPENSION_LIST, corpus.GOOD_INDEX))


# --- holder binding (RFC 9901 §7.3) --------------------------------------------------------------------------


def _rebind(world: World, **options: Any) -> str:
    jwt, disclosures, _ = split(w3c(world))
    return world.bind(jwt, disclosures, **options)


@case(
    "kb-jwt-wrong-typ",
    check="holder_binding",
    code="holder_binding.typ",
    description="KB-JWT with typ 'JWT' instead of 'kb+jwt', signed by the holder",
)
def _(world: World) -> str:
    return _rebind(world, typ="JWT")


@case(
    "kb-jwt-wrong-sd-hash",
    check="holder_binding",
    code="holder_binding.sd_hash",
    description="KB-JWT whose sd_hash covers the credential with all its disclosures, not what is presented",
)
def _(world: World) -> str:
    return _rebind(world, over=world.credential)


@case(
    "kb-jwt-wrong-aud",
    check="holder_binding",
    code="holder_binding.aud",
    description="KB-JWT addressed to another verifier",
)
def _(world: World) -> str:
    return _rebind(world, audience="https://admissions.uca.example.ma")


@case(
    "kb-jwt-wrong-nonce",
    check="holder_binding",
    code="holder_binding.nonce",
    description="KB-JWT with another nonce than the verifier's (a replay)",
)
def _(world: World) -> str:
    return _rebind(world, nonce="n-replayed-0000")


@case(
    "kb-jwt-iat-too-old",
    check="holder_binding",
    code="holder_binding.iat_too_old",
    description="KB-JWT signed ten minutes before the verification time (the policy allows five)",
)
def _(world: World) -> str:
    return _rebind(world, issued_at=corpus.NOW - timedelta(minutes=10))


@case(
    "kb-jwt-iat-in-future",
    check="holder_binding",
    code="holder_binding.iat_future",
    description="KB-JWT signed ten minutes after the verification time",
)
def _(world: World) -> str:
    return _rebind(world, issued_at=corpus.NOW + timedelta(minutes=10))


@case(
    "kb-jwt-signed-by-other-key",
    check="holder_binding",
    code="holder_binding.signature_invalid",
    description="KB-JWT signed by the attacker's key, not the key in the credential's cnf",
)
def _(world: World) -> str:
    return _rebind(world, key=world.attacker)


@case(
    "kb-jwt-alg-none",
    check="holder_binding",
    code="holder_binding.jws_alg_refused",
    description="KB-JWT with alg 'none' and an empty signature",
)
def _(world: World) -> str:
    jwt, disclosures, kb = split(w3c(world))
    jws = parse_compact(kb)
    return serialize(jwt, disclosures) + compact({**jws.header, "alg": "none"}, jws.payload, b"")


@case(
    "kb-jwt-missing",
    check="holder_binding",
    code="holder_binding.missing",
    description="a holder-bound credential presented without a KB-JWT where the policy requires one",
)
def _(world: World) -> str:
    jwt, disclosures, _ = split(w3c(world))
    return serialize(jwt, disclosures)


@case(
    "kb-jwt-without-cnf",
    check="holder_binding",
    code="holder_binding.no_cnf",
    description="a KB-JWT on a diploma that binds no holder key (no cnf)",
)
def _(world: World) -> str:
    return world.present(world.issue_w3c(diploma(), seed="unbound", holder=False))


# --- schema and policy ---------------------------------------------------------------------------------------


@case(
    "schema-invalid-claim",
    check="schema",
    code="schema.invalid",
    description="a diploma signed by the issuer whose generalAverage is the string '15,42', not a number",
)
def _(world: World) -> str:
    subject = {**schemas.sample_subject(), "generalAverage": "15,42"}
    return world.present(world.issue_w3c(diploma(subject=subject), seed="schema"))


@case(
    "required-claim-not-disclosed",
    check="policy",
    code="policy.disclosure_missing",
    description="a presentation without generalAverage, which this verifier's policy requires",
    setup={"policy": {"required_disclosures": ["credentialSubject.generalAverage"]}},
)
def _(world: World) -> str:
    paths = [path for path in W3C_ASKED if path[1] != "generalAverage"]
    return world.present(world.credential, paths=paths)


# ------------------------------------------------------------------------------------------ controls

CONTROLS: dict[str, Builder] = {
    "w3c-presentation": w3c,
    "sd-jwt-vc-presentation": lambda world: world.sd_jwt_vc_presentation,
    "w3c-presentation-in-data-url": lambda world: f"data:application/vc+sd-jwt,{w3c(world)}",
    "retired-key-before-retirement": lambda world: world.present(
        world.issue_w3c(
            diploma(valid_from=datetime(2023, 7, 1, tzinfo=UTC)),
            seed="retired control",
            key=world.keys[corpus.RETIRED_KEY],
            issued_at=datetime(2023, 7, 1, tzinfo=UTC),
        )
    ),
}


def _file(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else (content + "\n").encode("utf-8")


def render() -> dict[str, bytes]:
    """Every file of the corpus, by its path under the assets folder: the failure modes, the manifest, the controls.

    Pure and deterministic: the test that the committed assets are what the script makes compares with this.
    """
    world = World(load_keys())
    names = [item.asset for item, _ in CASES]
    assert len(set(names)) == len(names), "two failure modes share a name"
    negative, valid = corpus.NEGATIVE_DIR.name, corpus.VALID_DIR.name
    files: dict[str, bytes] = {}
    entries = []
    for item, build in CASES:
        files[f"{negative}/{item.asset}"] = _file(build(world))
        entry: dict[str, Any] = {
            "asset": item.asset,
            "verdict": item.verdict,
            "check": item.check,
            "code": item.code,
            "description": item.description,
        }
        if item.setup:
            entry["setup"] = dict(item.setup)
        entries.append(entry)
    manifest = {
        "about": "One asset per failure mode of vc.verify, made by make_negative_corpus.py; each is verified at "
        "'verified_at' in the set-up of tests/vc/corpus_support.py and must give this verdict, with this check "
        "failing (or not checked, when indeterminate) with this code.",
        "verified_at": corpus.NOW.isoformat(),
        "setup_switches": {
            "policy": "fields of the corpus policy this case overrides (e.g. required_disclosures)",
            "expect_no_key_request": "the verifier must not ask its key resolver for any key",
        },
        "cases": entries,
    }
    files[f"{negative}/{corpus.MANIFEST.name}"] = _file(json.dumps(manifest, ensure_ascii=False, indent=2))
    for name, build in CONTROLS.items():
        files[f"{valid}/{name}.txt"] = _file(build(world))
    return files


def main() -> None:
    files = render()
    for directory in (corpus.NEGATIVE_DIR, corpus.VALID_DIR):
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.iterdir():
            if f"{directory.name}/{stale.name}" not in files:
                stale.unlink()
                print(f"removed {stale.name}")
    for path, content in files.items():
        (corpus.ASSETS / path).write_bytes(content)
    print(f"wrote {len(CASES)} failure modes and {len(CONTROLS)} controls under {corpus.ASSETS}")


if __name__ == "__main__":
    main()
