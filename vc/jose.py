"""JSON Web Keys and compact JWS (RFC 7515/7517/7518/7638) with an algorithm allow-list.

Signing uses ES256 by default; verification accepts ES256, ES384, ES512 and EdDSA, and RS256 only when
a caller puts it in the allowed set. ``none`` and the HMAC algorithms are always refused, before any
key is looked up, so a public key can never be misused as an HMAC secret. Keys are never taken from a
token's own ``jwk``, ``jku``, ``x5u`` or ``x5c`` header: the caller resolves them from trusted sources.

The signature primitives come straight from ``cryptography``; JWK import goes through PyJWT's
well-tested converters. Both are wrapped so that every failure surfaces as one of our errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Protocol, TypeAlias, runtime_checkable

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from vc.encoding import b64url_decode, b64url_encode, b64url_json_object, json_dumps
from vc.errors import ConfigurationError, FormatError, KeyResolutionError, SignatureError

PublicKeyObject: TypeAlias = (
    ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey | rsa.RSAPublicKey
)
PrivateKeyObject: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey

#: Algorithms this engine can verify at all. A policy narrows it; RS256 is not in the default set.
SUPPORTED_ALGORITHMS: Final = frozenset({"ES256", "ES384", "ES512", "EdDSA", "RS256"})
#: The default verification allow-list.
DEFAULT_ALGORITHMS: Final = frozenset({"ES256", "ES384", "ES512", "EdDSA"})
#: Algorithms refused whatever the policy says: no signature, or a shared secret.
REFUSED_ALGORITHMS: Final = frozenset({"none", "HS256", "HS384", "HS512"})
#: Header parameters that carry or point at a key. Issuer keys never come from a token.
KEY_CARRYING_HEADERS: Final = ("jwk", "jku", "x5u", "x5c")

_EC_ALGORITHMS: Final[dict[str, tuple[type[ec.EllipticCurve], hashes.HashAlgorithm, int]]] = {
    "ES256": (ec.SECP256R1, hashes.SHA256(), 32),
    "ES384": (ec.SECP384R1, hashes.SHA384(), 48),
    "ES512": (ec.SECP521R1, hashes.SHA512(), 66),
}
#: The signature algorithm object of each ECDSA JWS algorithm, made once (it is immutable; a verification used to
#: build one for every signature).
_ECDSA: Final = {name: ec.ECDSA(digest) for name, (_, digest, _size) in _EC_ALGORITHMS.items()}
_CURVE_ALGORITHM: Final = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_JWK_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MIN_RSA_BITS: Final = 2048


def _algorithm_for(key: PublicKeyObject) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        try:
            return _CURVE_ALGORITHM[key.curve.name]
        except KeyError:
            raise KeyResolutionError(
                "unsupported elliptic curve",
                code="key.unsupported",
                found=key.curve.name,
                expected="P-256, P-384 or P-521",
            ) from None
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return "EdDSA"
    if key.key_size < _MIN_RSA_BITS:
        raise KeyResolutionError(
            "RSA key too short",
            code="key.unsupported",
            found=f"{key.key_size} bits",
            expected=f"at least {_MIN_RSA_BITS} bits",
        )
    return "RS256"


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) over the required public members."""
    members = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
    try:
        required = members[jwk["kty"]]
        canonical = {name: jwk[name] for name in required}
    except KeyError as exc:
        raise FormatError(
            "JWK lacks a member its key type requires",
            code="key.jwk_invalid",
            found=sorted(jwk),
            expected="kty EC (crv, x, y), OKP (crv, x) or RSA (e, n)",
        ) from exc
    return b64url_encode(hashlib.sha256(json_dumps(canonical)).digest())


@dataclass(frozen=True, slots=True, eq=False)
class PublicKey:
    """A verification key: the key object, its public JWK, its ``kid`` and the one algorithm it serves."""

    key: PublicKeyObject
    jwk: Mapping[str, Any]
    kid: str | None
    algorithm: str

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], *, kid: str | None = None) -> PublicKey:
        """Import a public JWK. Refuses private members, unknown key types and weak keys.

        ``kid`` defaults to the JWK's own ``kid``. Raises :class:`FormatError` (``key.jwk_invalid``).
        """
        if not isinstance(jwk, Mapping):
            raise FormatError("JWK is not a JSON object", code="key.jwk_invalid", found=type(jwk).__name__)
        private = _JWK_PRIVATE_MEMBERS.intersection(jwk)
        if private:
            raise FormatError(
                "a public JWK must not contain private key members",
                code="key.jwk_private",
                found=sorted(private),
                expected="public members only",
            )
        public = {name: value for name, value in jwk.items() if isinstance(name, str)}
        key = _import_public_jwk(_freeze(public))
        if kid is None:
            declared_kid = public.get("kid")
            kid = declared_kid if isinstance(declared_kid, str) else None
        algorithm = _algorithm_for(key)
        declared = public.get("alg")
        if declared is not None and declared != algorithm:
            raise FormatError(
                "JWK 'alg' does not match its key", code="key.jwk_invalid", found=declared, expected=algorithm
            )
        return cls(key=key, jwk=public, kid=kid, algorithm=algorithm)

    @classmethod
    def from_key(cls, key: PublicKeyObject, *, kid: str | None = None) -> PublicKey:
        """Wrap a ``cryptography`` public key object."""
        jwk = _public_jwk(key)
        return cls(key=key, jwk=jwk, kid=kid, algorithm=_algorithm_for(key))

    def thumbprint(self) -> str:
        """RFC 7638 thumbprint of this key."""
        return thumbprint(self.jwk)

    def verify(self, *, algorithm: str, message: bytes, signature: bytes) -> None:
        """Verify a JWS signature (raw ``r||s`` for ECDSA). Raises :class:`SignatureError`."""
        if algorithm != self.algorithm:
            raise SignatureError(
                "the key cannot verify this algorithm",
                code="signature.key_mismatch",
                found=algorithm,
                expected=self.algorithm,
            )
        try:
            if algorithm in _EC_ALGORITHMS:
                size = _EC_ALGORITHMS[algorithm][2]
                if len(signature) != 2 * size:
                    raise InvalidSignature
                r = int.from_bytes(signature[:size], "big")
                s = int.from_bytes(signature[size:], "big")
                assert isinstance(self.key, ec.EllipticCurvePublicKey)
                self.key.verify(encode_dss_signature(r, s), message, _ECDSA[algorithm])
            elif isinstance(self.key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
                self.key.verify(signature, message)
            else:
                assert isinstance(self.key, rsa.RSAPublicKey)
                self.key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise SignatureError(
                "signature does not verify",
                code="signature.invalid",
                found=f"{algorithm} signature of {len(signature)} bytes",
                expected="a signature by this key",
            ) from None


class Signer(Protocol):
    """What signs a JWS: a key's algorithm, ``kid`` and public half, and the signing operation itself.

    :class:`SigningKey` (a key in memory) is one; a key held in a hardware token is another, so the
    engine signs without ever holding the private key. ``sign`` returns the JWS signature bytes (raw
    ``r||s`` for ECDSA, RFC 7518 §3.4).
    """

    @property
    def algorithm(self) -> str: ...

    @property
    def kid(self) -> str | None: ...

    @property
    def public(self) -> PublicKey: ...

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` with the key's algorithm; return the JWS signature."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class SigningKey:
    """A private signing key in memory with its algorithm, ``kid`` and public half: a :class:`Signer`.

    Never serialised by the engine.
    """

    key: PrivateKeyObject = field(repr=False)
    algorithm: str
    kid: str | None
    public: PublicKey

    @classmethod
    def generate(cls, algorithm: str = "ES256", *, kid: str | None = None) -> SigningKey:
        """Generate a fresh key; ``kid`` defaults to the RFC 7638 thumbprint."""
        private: PrivateKeyObject
        if algorithm in _EC_ALGORITHMS:
            private = ec.generate_private_key(_EC_ALGORITHMS[algorithm][0]())
        elif algorithm == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ConfigurationError(
                "cannot generate keys for this algorithm",
                code="key.unsupported",
                found=algorithm,
                expected="ES256, ES384, ES512 or EdDSA",
            )
        return cls.from_private_key(private, kid=kid)

    @classmethod
    def from_private_key(cls, key: PrivateKeyObject, *, kid: str | None = None) -> SigningKey:
        """Wrap a ``cryptography`` private key; ``kid`` defaults to the RFC 7638 thumbprint."""
        public = PublicKey.from_key(key.public_key())
        kid = kid if kid is not None else public.thumbprint()
        public = PublicKey(key=public.key, jwk={**public.jwk, "kid": kid}, kid=kid, algorithm=public.algorithm)
        return cls(key=key, algorithm=public.algorithm, kid=kid, public=public)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], *, kid: str | None = None) -> SigningKey:
        """Import a private JWK (EC or OKP). Raises :class:`FormatError` (``key.jwk_invalid``)."""
        if "d" not in jwk:
            raise FormatError("JWK has no private part", code="key.jwk_invalid", found=sorted(jwk), expected="'d'")
        try:
            imported = jwt.PyJWK(dict(jwk)).key
        except (jwt.exceptions.PyJWKError, jwt.exceptions.InvalidKeyError, ValueError, TypeError) as exc:
            raise FormatError("private JWK cannot be imported", code="key.jwk_invalid", found=str(exc)) from exc
        if not isinstance(imported, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
            raise FormatError(
                "unsupported private key type",
                code="key.unsupported",
                found=type(imported).__name__,
                expected="EC or OKP",
            )
        declared_kid = jwk.get("kid")
        return cls.from_private_key(imported, kid=kid or (declared_kid if isinstance(declared_kid, str) else None))

    def sign(self, message: bytes) -> bytes:
        """Sign bytes, returning a JWS signature (raw ``r||s`` for ECDSA)."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            _, digest, size = _EC_ALGORITHMS[self.algorithm]
            r, s = decode_dss_signature(self.key.sign(message, ec.ECDSA(digest)))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return self.key.sign(message)


class KeyResolver(Protocol):
    """Finds the key an issuer used. Implementations decide trust; the engine never fetches keys itself.

    ``signed_at`` is the signing time the token claims (``iat``, else ``validFrom``), so a resolver with
    a key history can refuse a retired key used after retirement or a compromised key after compromise.
    Raises :class:`KeyResolutionError` when no acceptable key exists and
    :class:`~vc.errors.UpstreamError` when the issuer's keys cannot be obtained right now.
    """

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        """Return the issuer's key for ``kid``."""
        ...


@runtime_checkable
class KeyCandidates(Protocol):
    """A :class:`KeyResolver` that can also list an issuer's keys that may have signed at a time, for formats that
    name their key by a short ``kid`` only (the offline QR: the first bytes of the key's thumbprint). The engine
    picks the one that matches, then asks :meth:`KeyResolver.resolve` for it by its full ``kid``."""

    def candidates(self, *, issuer: str, algorithm: str, signed_at: datetime | None) -> tuple[PublicKey, ...]:
        """The issuer's keys for ``algorithm`` whose window contains ``signed_at`` (none: an empty tuple)."""
        ...


class StaticKeyResolver:
    """An in-memory resolver: a fixed set of keys per issuer identifier, with no validity windows."""

    def __init__(self, keys: Mapping[str, list[PublicKey] | tuple[PublicKey, ...]]) -> None:
        self._keys = {issuer: tuple(found) for issuer, found in keys.items()}

    def resolve(self, *, issuer: str, kid: str | None, algorithm: str, signed_at: datetime | None) -> PublicKey:
        candidates = self._keys.get(issuer)
        if not candidates:
            raise KeyResolutionError("no keys are known for this issuer", code="key.unknown_issuer", found=issuer)
        return select_key(candidates, kid=kid, algorithm=algorithm)

    def candidates(self, *, issuer: str, algorithm: str, signed_at: datetime | None) -> tuple[PublicKey, ...]:
        """The :class:`KeyCandidates` contract (these keys have no windows)."""
        return tuple(key for key in self._keys.get(issuer, ()) if key.algorithm == algorithm)


def select_key(candidates: tuple[PublicKey, ...] | list[PublicKey], *, kid: str | None, algorithm: str) -> PublicKey:
    """Pick the key named by ``kid`` (or the only key for ``algorithm`` when there is no ``kid``)."""
    if kid is not None:
        for key in candidates:
            if key.kid == kid:
                return key
        raise KeyResolutionError(
            "the issuer has no key with this kid",
            code="key.unknown_kid",
            found=kid,
            expected=[key.kid for key in candidates],
        )
    matching = [key for key in candidates if key.algorithm == algorithm]
    if len(matching) != 1:
        raise KeyResolutionError(
            "the token names no kid and the issuer's key is ambiguous",
            code="key.unknown_kid",
            found=f"{len(matching)} {algorithm} keys",
            expected="a kid header naming one key",
        )
    return matching[0]


@dataclass(frozen=True, slots=True)
class Jws:
    """A parsed, not yet verified, compact JWS."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    @property
    def algorithm(self) -> str:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else ""

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None

    @property
    def typ(self) -> str | None:
        typ = self.header.get("typ")
        return typ if isinstance(typ, str) else None


def parse_compact(token: str, *, what: str = "JWS") -> Jws:
    """Split and decode a compact JWS (``header.payload.signature``) without verifying it.

    Raises :class:`FormatError` for anything but three base64url parts with a JSON object header.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise FormatError(
            f"{what} is not a compact JWS",
            code="format.jws",
            found=f"{len(parts)} dot-separated parts",
            expected="3 parts: header.payload.signature",
        )
    encoded_header, encoded_payload, encoded_signature = parts
    header = b64url_json_object(encoded_header, what=f"{what} header")
    payload = b64url_decode(encoded_payload, what=f"{what} payload")
    signature = b64url_decode(encoded_signature, what=f"{what} signature")
    signing_input = f"{encoded_header}.{encoded_payload}".encode("ascii")
    return Jws(header=header, payload=payload, signing_input=signing_input, signature=signature)


def check_header(header: Mapping[str, Any], *, allowed: frozenset[str], what: str = "JWS") -> str:
    """Apply the header rules every token must pass; return the algorithm.

    Refuses ``none``/HMAC, algorithms outside ``allowed``, any ``crit`` extension (none is understood)
    and embedded or referenced keys.
    """
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise SignatureError(f"{what} header has no 'alg'", code="jws.alg_missing", expected="'alg' string")
    if alg in REFUSED_ALGORITHMS or alg.startswith("HS"):
        raise SignatureError(
            f"{what} algorithm is refused",
            code="jws.alg_refused",
            found=alg,
            expected=f"one of {sorted(allowed)}",
        )
    if alg not in SUPPORTED_ALGORITHMS:
        raise SignatureError(
            f"{what} algorithm is unknown", code="jws.alg_unknown", found=alg, expected=f"one of {sorted(allowed)}"
        )
    if alg not in allowed:
        raise SignatureError(
            f"{what} algorithm is not allowed by policy",
            code="jws.alg_not_allowed",
            found=alg,
            expected=f"one of {sorted(allowed)}",
        )
    if "crit" in header:
        raise SignatureError(
            f"{what} has critical header extensions this verifier does not understand",
            code="jws.crit_unsupported",
            found=header["crit"],
            expected="no 'crit' header",
        )
    carried = [name for name in KEY_CARRYING_HEADERS if name in header]
    if carried:
        raise SignatureError(
            f"{what} carries its own key; keys come only from the trusted issuer's metadata",
            code="jws.embedded_key",
            found=carried,
            expected="no jwk, jku, x5u or x5c header",
        )
    return alg


def sign_compact(*, header: Mapping[str, Any], payload: bytes, key: Signer, with_kid: bool = True) -> str:
    """Sign ``payload`` as a compact JWS. ``alg`` (and ``kid`` if the key has one) are set from ``key``.

    ``with_kid=False`` leaves the ``kid`` out, for tokens that carry their key in ``jwk`` instead (an
    OpenID4VCI key proof must not name both).
    """
    full_header = {"alg": key.algorithm, **({"kid": key.kid} if key.kid and with_kid else {}), **header}
    if full_header["alg"] != key.algorithm:
        raise ConfigurationError(
            "header 'alg' does not match the signing key",
            code="key.alg_mismatch",
            found=full_header["alg"],
            expected=key.algorithm,
        )
    signing_input = b64url_encode(json_dumps(full_header)) + "." + b64url_encode(payload)
    signature = key.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


def _freeze(jwk: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((name, value) for name, value in jwk.items() if isinstance(value, str | int)))


@lru_cache(maxsize=4096)
def _import_public_jwk(frozen: tuple[tuple[str, Any], ...]) -> PublicKeyObject:
    # Cached: the same holder and issuer keys come back on every verification.
    jwk = dict(frozen)
    kty = jwk.get("kty")
    if kty not in {"EC", "OKP", "RSA"}:
        raise FormatError("unsupported JWK key type", code="key.unsupported", found=kty, expected="EC, OKP or RSA")
    try:
        key = jwt.PyJWK(jwk).key
    except (jwt.exceptions.PyJWKError, jwt.exceptions.InvalidKeyError, ValueError, TypeError) as exc:
        raise FormatError("JWK cannot be imported", code="key.jwk_invalid", found=str(exc)) from exc
    if not isinstance(
        key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey | rsa.RSAPublicKey
    ):
        raise FormatError("JWK is not a public key", code="key.jwk_invalid", found=type(key).__name__)
    return key


def _public_jwk(key: PublicKeyObject) -> dict[str, Any]:
    if isinstance(key, ec.EllipticCurvePublicKey):
        numbers = key.public_numbers()
        size = (key.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]
        return {
            "kty": "EC",
            "crv": crv,
            "x": b64url_encode(numbers.x.to_bytes(size, "big")),
            "y": b64url_encode(numbers.y.to_bytes(size, "big")),
        }
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        crv = "Ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "Ed448"
        return {"kty": "OKP", "crv": crv, "x": b64url_encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw))}
    numbers_rsa = key.public_numbers()
    return {
        "kty": "RSA",
        "n": b64url_encode(numbers_rsa.n.to_bytes((numbers_rsa.n.bit_length() + 7) // 8, "big")),
        "e": b64url_encode(numbers_rsa.e.to_bytes((numbers_rsa.e.bit_length() + 7) // 8, "big")),
    }
