"""Issuer keys on a PKCS#11 token (a hardware security module; SoftHSM2 in tests): the private key never leaves it.

:class:`Pkcs11KeyStore` is a :class:`keys.store.KeyStore`. Keys are generated *on the token* as EC key
pairs (P-256 for ES256; P-384 and P-521 for ES384 and ES512), the private half ``CKA_SENSITIVE``, not
``CKA_EXTRACTABLE``, ``CKA_SIGN`` only, both halves named by the key's RFC 7638 thumbprint in
``CKA_LABEL`` and ``CKA_ID``. Signing hashes the message here and has the token sign the digest
(``CKM_ECDSA``, which every token that does EC offers); the token answers the raw ``r||s`` that a JWS
ECDSA signature is (RFC 7518 §3.4), so :class:`TokenSigner` is a :class:`vc.jose.Signer` like a key in
memory. The key history (the validity windows) lives in a :class:`keys.directory.KeyDirectory` beside,
exactly as for the encrypted file store. The user PIN comes from a file (:func:`load_pin`), never a default.

PKCS#11 logs in once per process and token (C_Login applies to every session of the application), so
stores opened on the same token share one logged-in session; python-pkcs11 serialises operations on it.
A session that fails (the token was reset or reconnected) is dropped and the next store opened logs in again.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.types import SignMixin
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from keys.directory import HistoryChange, KeyDirectory
from keys.history import KeyEntry, KeyHistory
from keys.store import _HistoryBackedStore
from vc.errors import ConfigurationError, UpstreamError
from vc.jose import PublicKey, Signer

#: Algorithms a token key can serve: the named curve to generate and the hash signed by ``CKM_ECDSA``.
_ALGORITHMS: Final[dict[str, tuple[str, Callable[[bytes], Any]]]] = {
    "ES256": ("secp256r1", hashlib.sha256),
    "ES384": ("secp384r1", hashlib.sha384),
    "ES512": ("secp521r1", hashlib.sha512),
}
_PIN_HINT: Final = "TAWTIQ_PKCS11_PIN_FILE naming a file that holds the token's user PIN"
_MODULE_HINT: Final = "TAWTIQ_PKCS11_MODULE naming the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so"


def load_pin(path: Path | None) -> str:
    """The user PIN from the file at ``path``, less one trailing newline.

    Raises :class:`ConfigurationError` ``key.pkcs11_pin_missing`` when no file is named, it cannot be read
    or it is empty: there is no default PIN.
    """
    if path is None:
        raise ConfigurationError(
            "no PIN is configured for the PKCS#11 token", code="key.pkcs11_pin_missing", expected=_PIN_HINT
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigurationError(
            "cannot read the PKCS#11 PIN file",
            code="key.pkcs11_pin_missing",
            found=f"{path}: {reason}",
            expected=_PIN_HINT,
        ) from exc
    pin = text.removesuffix("\n").removesuffix("\r")
    if not pin.strip():
        raise ConfigurationError(
            "the PKCS#11 PIN file is empty", code="key.pkcs11_pin_missing", found=str(path), expected=_PIN_HINT
        )
    return pin


@dataclass(frozen=True, slots=True, eq=False)
class TokenSigner:
    """A key on the token: its public half and a handle to sign with. A :class:`vc.jose.Signer`."""

    private: SignMixin = field(repr=False)
    algorithm: str
    kid: str
    public: PublicKey

    def sign(self, message: bytes) -> bytes:
        """The JWS signature of ``message``: its digest signed on the token, raw ``r||s``.

        Raises :class:`UpstreamError` ``key.pkcs11_sign_failed`` when the token does not answer.
        """
        digest = _ALGORITHMS[self.algorithm][1](message).digest()
        try:
            signature = self.private.sign(digest, mechanism=Mechanism.ECDSA)
        except pkcs11.PKCS11Error as exc:
            _forget(self.private.session)
            raise UpstreamError(
                "the PKCS#11 token did not sign; check that it is connected, then restart the service",
                code="key.pkcs11_sign_failed",
                found=f"{type(exc).__name__} for key {self.kid}",
            ) from exc
        return bytes(signature)


class Pkcs11KeyStore(_HistoryBackedStore):
    """A :class:`keys.store.KeyStore` whose private keys live on a PKCS#11 token (see the module docstring).

    ``directory`` holds the key history. Opening logs in and finds every key of the history on the token,
    so a wrong token or PIN stops the service at start-up. Raises :class:`ConfigurationError`:
    ``key.pkcs11_module_missing``, ``key.pkcs11_token_missing``, ``key.pkcs11_token_ambiguous``,
    ``key.pkcs11_pin_missing``, ``key.pkcs11_pin_wrong``, ``key.pkcs11_pin_locked``,
    ``key.pkcs11_key_missing``, ``key.pkcs11_key_mismatch``, ``key.pkcs11_key_exportable``,
    ``key.pkcs11_failed``, ``key.unsupported``, and those of :class:`keys.directory.KeyDirectory`.
    """

    def __init__(self, *, module: Path, token_label: str, pin: str, directory: Path) -> None:
        if not pin:
            raise ConfigurationError(
                "the PKCS#11 token needs a user PIN", code="key.pkcs11_pin_missing", expected=_PIN_HINT
            )
        self._files = KeyDirectory(directory)
        self._module = Path(module)
        self._token_label = token_label
        self._session = _logged_in_session(self._module, token_label, pin)
        history = self._files.open()
        self._keys: dict[str, TokenSigner] = {entry.kid: self._find(entry) for entry in history.entries}
        self._history = history

    @property
    def directory(self) -> Path:
        """The directory holding the key history."""
        return self._files.path

    def history(self) -> KeyHistory:
        return self._history

    def __repr__(self) -> str:
        return f"Pkcs11KeyStore(token {self._token_label!r}, {str(self._files.path)!r})"

    def _new_key(self, algorithm: str) -> Signer:
        if algorithm not in _ALGORITHMS:
            raise ConfigurationError(
                "the PKCS#11 key store cannot generate keys for this algorithm",
                code="key.unsupported",
                found=algorithm,
                expected=f"one of {sorted(_ALGORITHMS)}",
            )
        curve = _ALGORITHMS[algorithm][0]
        with _translated("generate a key on the token"):
            parameters = self._session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}, local=True
            )
            public, private = parameters.generate_keypair(
                store=True,
                capabilities=pkcs11.MechanismFlag.SIGN | pkcs11.MechanismFlag.VERIFY,
                public_template={Attribute.TOKEN: True, Attribute.VERIFY: True},
                private_template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: True,
                    Attribute.DECRYPT: False,
                    Attribute.DERIVE: False,
                    Attribute.UNWRAP: False,
                },
            )
            key = _public_key(public)
            kid = key.thumbprint()
            # The kid is only known once the key exists: name both halves by it now.
            for half in (public, private):
                half[Attribute.LABEL] = kid
                half[Attribute.ID] = kid.encode("ascii")
        assert isinstance(private, SignMixin)  # python-pkcs11's EC private keys sign
        return TokenSigner(private=private, algorithm=algorithm, kid=kid, public=_with_kid(key, kid))

    def _private_key(self, kid: str) -> Signer:
        if kid not in self._keys:  # created by another process since this store was opened
            self._keys[kid] = self._find(self._history.entry(kid))
        return self._keys[kid]

    def _commit(self, change: HistoryChange, *, new_key: tuple[str, Signer] | None = None) -> KeyHistory:
        # A new key is already on the token (see _new_key); if the history write fails it stays unused there.
        updated = self._files.update(change)
        if new_key is not None:
            kid, signer = new_key
            assert isinstance(signer, TokenSigner)
            self._keys[kid] = signer
        self._history = updated
        return updated

    def _find(self, entry: KeyEntry) -> TokenSigner:
        """The token's key for ``entry``, checked to be the key the history publishes and not exportable."""
        where = f"token {self._token_label!r}, CKA_LABEL {entry.kid}"
        with _translated("find a key on the token"):
            try:
                private = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=entry.kid)
                public = self._session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=entry.kid)
            except pkcs11.NoSuchKey as exc:
                raise ConfigurationError(
                    "a key of the key history is not on the PKCS#11 token; is this the right token?",
                    code="key.pkcs11_key_missing",
                    found=where,
                    expected="the token the keys were generated on",
                ) from exc
            except pkcs11.MultipleObjectsReturned as exc:
                raise ConfigurationError(
                    "the PKCS#11 token holds several keys with the same label",
                    code="key.pkcs11_key_mismatch",
                    found=where,
                    expected="one key pair per kid",
                ) from exc
            if not isinstance(private, SignMixin) or not isinstance(public, pkcs11.PublicKey):  # pragma: no cover
                raise ConfigurationError("not an EC key pair", code="key.pkcs11_key_mismatch", found=where)
            exportable = bool(private[Attribute.EXTRACTABLE]) or not bool(private[Attribute.SENSITIVE])
            key = _public_key(public)
        if key.thumbprint() != entry.kid or key.algorithm != entry.algorithm:
            raise ConfigurationError(
                "a key on the PKCS#11 token does not match its entry in the key history",
                code="key.pkcs11_key_mismatch",
                found=f"{where}: thumbprint {key.thumbprint()}, {key.algorithm}",
                expected=f"thumbprint {entry.kid}, {entry.algorithm}",
            )
        if exportable:
            raise ConfigurationError(
                "a private key on the PKCS#11 token can be exported",
                code="key.pkcs11_key_exportable",
                found=f"{where}: CKA_EXTRACTABLE or not CKA_SENSITIVE",
                expected="CKA_SENSITIVE and not CKA_EXTRACTABLE, as this store generates them",
            )
        return TokenSigner(private=private, algorithm=entry.algorithm, kid=entry.kid, public=_with_kid(key, entry.kid))


# -- The token -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Login:
    session: pkcs11.Session
    pin_digest: bytes = field(repr=False)


_logins: dict[tuple[str, bytes], _Login] = {}
_logins_lock = threading.Lock()


def _logged_in_session(module: Path, token_label: str, pin: str) -> pkcs11.Session:
    """A read-write session logged in as the user, shared by every store on this token in this process."""
    if not module.is_file():
        raise ConfigurationError(
            "the PKCS#11 module does not exist",
            code="key.pkcs11_module_missing",
            found=str(module),
            expected=f"{_MODULE_HINT} (Debian: apt-get install softhsm2, or the HSM vendor's library)",
        )
    try:
        library = pkcs11.lib(str(module))
    except pkcs11.PKCS11Error as exc:
        raise ConfigurationError(
            "the PKCS#11 module cannot be loaded",
            code="key.pkcs11_module_missing",
            found=f"{module}: {exc}",
            expected=_MODULE_HINT,
        ) from exc
    with _translated("find the token"):
        try:
            token = library.get_token(token_label=token_label)
        except pkcs11.NoSuchToken as exc:
            labels = sorted(found.label for found in library.get_tokens())
            raise ConfigurationError(
                "no PKCS#11 token has the configured label",
                code="key.pkcs11_token_missing",
                found=f"{token_label!r}; tokens present: {labels}",
                expected="TAWTIQ_PKCS11_TOKEN_LABEL naming an initialised token",
            ) from exc
        except pkcs11.MultipleTokensReturned as exc:
            raise ConfigurationError(
                "several PKCS#11 tokens have the configured label",
                code="key.pkcs11_token_ambiguous",
                found=token_label,
                expected="a label that names one token",
            ) from exc
    digest = hashlib.sha256(pin.encode("utf-8")).digest()
    with _logins_lock:
        login = _logins.get((str(module), token.serial))
        if login is not None:
            # The PIN that logged in was right: a different one is wrong (PKCS#11 cannot log in twice).
            if not hmac.compare_digest(login.pin_digest, digest):
                raise _wrong_pin(token_label)
            if _alive(login.session):
                return login.session
        with _translated("log in to the token"):
            try:
                session = token.open(rw=True, user_pin=pin)
            except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange) as exc:
                raise _wrong_pin(token_label) from exc
            except pkcs11.PinLocked as exc:
                raise ConfigurationError(
                    "the PKCS#11 token's user PIN is locked after too many wrong PINs",
                    code="key.pkcs11_pin_locked",
                    found=token_label,
                    expected="the security officer to unlock the PIN (softhsm2-util or the HSM's tools)",
                ) from exc
            except pkcs11.UserAlreadyLoggedIn:
                session = token.open(rw=True)  # logged in by other code of this process; the login applies
        _logins[(str(module), token.serial)] = _Login(session=session, pin_digest=digest)
        return session


def _alive(session: pkcs11.Session) -> bool:
    """Whether the session still works (a token reset or a reconnected HSM closes every session)."""
    try:
        session.generate_random(64)  # a call every token answers, holding no operation state
    except pkcs11.PKCS11Error:
        return False
    return True


def _forget(session: pkcs11.Session) -> None:
    """Drop a session that failed, so the next store opened on its token logs in again."""
    with _logins_lock:
        for key, login in list(_logins.items()):
            if login.session is session:
                del _logins[key]


def _wrong_pin(token_label: str) -> ConfigurationError:
    return ConfigurationError(
        "the PKCS#11 token refuses the user PIN",
        code="key.pkcs11_pin_wrong",
        found=f"token {token_label!r}",
        expected=f"the token's user PIN in the file named by {_PIN_HINT}",
    )


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn a PKCS#11 failure inside the block into a :class:`ConfigurationError` ``key.pkcs11_failed``."""
    try:
        yield
    except pkcs11.PKCS11Error as exc:
        raise ConfigurationError(
            f"the PKCS#11 token failed to {action}",
            code="key.pkcs11_failed",
            found=f"{type(exc).__name__}: {exc}".rstrip(": "),
        ) from exc


def _public_key(public: pkcs11.PublicKey) -> PublicKey:
    """The token public key as an engine key, through its DER SubjectPublicKeyInfo."""
    loaded = serialization.load_der_public_key(encode_ec_public_key(public))
    if not isinstance(loaded, ec.EllipticCurvePublicKey):  # pragma: no cover - the store only makes EC keys
        raise ConfigurationError("a token key is not an EC key", code="key.unsupported", found=type(loaded).__name__)
    return PublicKey.from_key(loaded)


def _with_kid(key: PublicKey, kid: str) -> PublicKey:
    return PublicKey(key=key.key, jwk={**key.jwk, "kid": kid}, kid=kid, algorithm=key.algorithm)
