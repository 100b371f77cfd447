"""The provider's ES256 signing key and its pseudonym secret, made at first start and kept in the data directory.

The key is a PKCS#8 PEM file, mode 0600 in a 0700 directory, encrypted with the passphrase in
``TAWTIQ_EID_KEY_PASSPHRASE_FILE`` when one is named (checked like the issuer's, :mod:`keys.passphrase`). Its
public half is published in the JWKS, its ``kid`` is its RFC 7638 thumbprint. The pseudonym secret keys the
``sub`` of every ID token: an opaque identifier, the same for a card every time, that reveals nothing of the CNIE.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from common.private_files import PrivateFile, make_private_directories
from keys.passphrase import load_passphrase
from vc.errors import ConfigurationError

KEY_FILE: Final = "signing-key.pem"
PSEUDONYM_FILE: Final = "pseudonym-secret"
ALGORITHM: Final = "ES256"


@dataclass(frozen=True)
class ProviderKeys:
    """The signing key (a joserfc key, with its ``kid``) and the pseudonym secret."""

    signing_key: ECKey
    pseudonym_secret: bytes

    @property
    def kid(self) -> str:
        return self.signing_key.thumbprint()

    def jwks(self) -> dict[str, Any]:
        """The JWKS document: the public key with its ``kid``, ``alg`` and ``use``."""
        public = dict(self.signing_key.as_dict(private=False))
        public.update({"kid": self.kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": [public]}

    def subject_of(self, cnie: str) -> str:
        """The pairwise-style ``sub`` of a card: a keyed hash of its number, stable, opaque."""
        return hmac.new(self.pseudonym_secret, cnie.encode(), hashlib.sha256).hexdigest()[:32]


def load_or_create(data_dir: Path, *, passphrase_file: Path | None) -> ProviderKeys:
    """The keys kept in ``data_dir``, made there first when absent.

    Raises :class:`ConfigurationError`: ``eid.key_unreadable`` for a key file that cannot be read or decrypted,
    the ``key.passphrase_*`` codes for an unusable passphrase file.
    """
    passphrase = (
        load_passphrase(
            {"TAWTIQ_EID_KEY_PASSPHRASE_FILE": str(passphrase_file)},
            variable="TAWTIQ_EID_KEY_PASSPHRASE",
            file_variable="TAWTIQ_EID_KEY_PASSPHRASE_FILE",
        )
        if passphrase_file is not None
        else None
    )
    make_private_directories(data_dir)
    key_path = data_dir / KEY_FILE
    if not key_path.exists():
        _write_key(key_path, passphrase)
    secret_path = data_dir / PSEUDONYM_FILE
    if not secret_path.exists():
        with PrivateFile(secret_path) as file:
            file.handle.write(secrets.token_hex(32))
    try:
        private = serialization.load_pem_private_key(key_path.read_bytes(), password=passphrase)
        secret = bytes.fromhex(secret_path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(
            "the eID signing key or pseudonym secret cannot be read",
            code="eid.key_unreadable",
            found=f"{data_dir}: {type(exc).__name__}",
            expected="the files made at first start, and the passphrase they were encrypted with",
        ) from exc
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(private.curve, ec.SECP256R1):
        raise ConfigurationError(
            "the eID signing key is not a P-256 key",
            code="eid.key_unreadable",
            found=type(private).__name__,
            expected="an EC P-256 private key (ES256)",
        )
    return ProviderKeys(signing_key=ECKey.import_key(private), pseudonym_secret=secret)


def _write_key(path: Path, passphrase: bytes | None) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    with PrivateFile(path) as file:
        file.handle.write(pem.decode("ascii"))
