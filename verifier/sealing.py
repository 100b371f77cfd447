"""Encryption at rest under a capability: what only the holder of a link or transaction id may read.

A share link's presentation is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the link id, which
the database keeps only as a SHA-256 digest. An OpenID4VP result arrives with the wallet, which does not know the
transaction id, so it is sealed to a public key instead: an X25519 key pair derived from the transaction id, of
which only the public half is stored (ephemeral-static ECDH, HKDF-SHA256, AES-256-GCM). Reading either needs
both the database and the id; a copy of the database alone reveals nothing personal.
"""

from __future__ import annotations

import hashlib
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT: Final = b"tawtiq-verifier-seal-v1"
_NONCE_BYTES: Final = 12


class UnsealError(Exception):
    """The sealed value does not open with this id (wrong id or damaged data)."""


def digest(secret: str) -> str:
    """SHA-256 (hex) of an id or token: how the database refers to it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key(secret: str, purpose: bytes) -> AESGCM:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(secret.encode("utf-8"))
    return AESGCM(material)


def seal(secret: str, *, purpose: bytes, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` under ``secret`` for ``purpose`` (which is also authenticated)."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + _key(secret, purpose).encrypt(nonce, plaintext, purpose)


def unseal(secret: str, *, purpose: bytes, sealed: bytes) -> bytes:
    """Decrypt what :func:`seal` made. Raises :class:`UnsealError`."""
    if len(sealed) <= _NONCE_BYTES:
        raise UnsealError("sealed value is too short")
    try:
        return _key(secret, purpose).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], purpose)
    except InvalidTag as exc:
        raise UnsealError("sealed value does not open with this id") from exc


def _private_key(secret: str, purpose: bytes) -> X25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"x25519:" + purpose).derive(
        secret.encode("utf-8")
    )
    return X25519PrivateKey.from_private_bytes(seed)


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _shared_key(shared: bytes, ephemeral: bytes, recipient: bytes, purpose: bytes) -> AESGCM:
    info = b"ecdh:" + purpose + ephemeral + recipient
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(shared))


def public_key_for(secret: str, *, purpose: bytes) -> bytes:
    """The raw X25519 public key that :func:`seal_to` seals to for ``secret`` (32 bytes, safe to store)."""
    return _raw(_private_key(secret, purpose).public_key())


def seal_to(public_key: bytes, *, purpose: bytes, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` so that only the holder of the id behind ``public_key`` can read it."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    nonce = os.urandom(_NONCE_BYTES)
    key = _shared_key(ephemeral.exchange(recipient), ephemeral_raw, public_key, purpose)
    return ephemeral_raw + nonce + key.encrypt(nonce, plaintext, purpose)


def open_sealed(secret: str, *, purpose: bytes, sealed: bytes) -> bytes:
    """Decrypt what :func:`seal_to` made for the public key of ``secret``. Raises :class:`UnsealError`."""
    if len(sealed) <= 32 + _NONCE_BYTES:
        raise UnsealError("sealed value is too short")
    private = _private_key(secret, purpose)
    ephemeral_raw, nonce, ciphertext = sealed[:32], sealed[32 : 32 + _NONCE_BYTES], sealed[32 + _NONCE_BYTES :]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
        key = _shared_key(shared, ephemeral_raw, _raw(private.public_key()), purpose)
        return key.decrypt(nonce, ciphertext, purpose)
    except (InvalidTag, ValueError) as exc:
        raise UnsealError("sealed value does not open with this id") from exc
