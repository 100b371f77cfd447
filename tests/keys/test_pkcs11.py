"""The PKCS#11 key store on a real SoftHSM2 token: the life cycle, keys that never leave the token, JWS
signed by the token and verified with the published key, and the refusals of a wrong configuration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from pkcs11 import Attribute, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from keys import KeyEntry, KeyHistory, KeyHistoryResolver, KeyState
from keys.directory import KeyDirectory
from keys.pkcs11 import Pkcs11KeyStore, TokenSigner, load_pin
from tests.keys.softhsm import SoftHsmToken, fresh_token
from tests.keys.tokens import ISSUER, sign_token, verify_token
from vc.errors import ConfigurationError, KeyResolutionError, UpstreamError
from vc.jose import PublicKey, parse_compact

START = datetime(2024, 1, 1, tzinfo=UTC)
SIGNED_2024 = datetime(2024, 7, 4, 9, 30, tzinfo=UTC)
ROTATION = datetime(2026, 1, 1, tzinfo=UTC)
LATER = datetime(2054, 7, 4, tzinfo=UTC)


def open_store(token: SoftHsmToken, directory: Path, *, pin: str | None = None) -> Pkcs11KeyStore:
    return Pkcs11KeyStore(
        module=token.module, token_label=token.label, pin=token.pin if pin is None else pin, directory=directory
    )


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def store(softhsm: SoftHsmToken, directory: Path) -> Pkcs11KeyStore:
    return open_store(softhsm, directory)


def token_objects(token: SoftHsmToken, object_class: ObjectClass) -> list[pkcs11.Object]:
    session = pkcs11.lib(str(token.module)).get_token(token_label=token.label).open()
    return list(session.get_objects({Attribute.CLASS: object_class}))


# -- The life cycle on the token -------------------------------------------------------------------------


def test_keys_are_generated_on_the_token_named_by_their_kid(
    store: Pkcs11KeyStore, softhsm: SoftHsmToken, directory: Path
) -> None:
    entry = store.create(not_before=START)
    assert entry.algorithm == "ES256"
    assert isinstance(store.signing_key(at=SIGNED_2024), TokenSigner)
    publics = token_objects(softhsm, ObjectClass.PUBLIC_KEY)
    assert [(key[Attribute.LABEL], key[Attribute.ID]) for key in publics] == [(entry.kid, entry.kid.encode())]
    assert sorted(path.name for path in directory.iterdir()) == [".lock", "history.json"]  # no key file


def test_create_rotate_retire_compromise_persist_and_reopen(
    store: Pkcs11KeyStore, softhsm: SoftHsmToken, directory: Path
) -> None:
    first = store.create(not_before=START)
    spare = store.create(algorithm="ES384", not_before=SIGNED_2024)
    diploma = sign_token(store.signing_key(at=SIGNED_2024), signed_at=SIGNED_2024)
    new = store.rotate(at=ROTATION)
    assert new.algorithm == "ES384", "a rotation keeps the algorithm of the key that signed"
    history = store.history()
    assert [history.entry(kid).status(ROTATION) for kid in (first.kid, spare.kid, new.kid)] == [
        KeyState.RETIRED,
        KeyState.RETIRED,
        KeyState.ACTIVE,
    ]
    assert store.retire(new.kid, at=LATER).retired_at == LATER
    assert store.compromise(first.kid, at=ROTATION).compromised_at == ROTATION

    reopened = open_store(softhsm, directory)
    assert reopened.history() == store.history()
    resolver = KeyHistoryResolver({ISSUER: reopened.history()})
    assert verify_token(diploma, resolver)["iat"] == int(SIGNED_2024.timestamp())
    late = sign_token(reopened.signing_key(at=ROTATION), signed_at=ROTATION)
    assert verify_token(late, resolver)
    with pytest.raises(ConfigurationError) as caught:
        reopened.signing_key(at=LATER)
    assert caught.value.code == "key.no_active_key"
    assert len(token_objects(softhsm, ObjectClass.PRIVATE_KEY)) == 3


def test_a_compromised_token_key_fails_everything_it_signed(store: Pkcs11KeyStore) -> None:
    entry = store.create(not_before=START)
    signing = store.signing_key(at=SIGNED_2024)
    before, after = sign_token(signing, signed_at=SIGNED_2024), sign_token(signing, signed_at=ROTATION)
    store.compromise(entry.kid, at=ROTATION)
    resolver = KeyHistoryResolver({ISSUER: store.history()})
    for token in (before, after):
        with pytest.raises(KeyResolutionError) as caught:
            verify_token(token, resolver)
        assert caught.value.code == "key.compromised"


# -- The private key stays on the token ------------------------------------------------------------------


def test_the_private_key_cannot_be_read_from_the_token(store: Pkcs11KeyStore, softhsm: SoftHsmToken) -> None:
    store.create(not_before=START)
    [private] = token_objects(softhsm, ObjectClass.PRIVATE_KEY)
    assert private[Attribute.SENSITIVE] is True
    assert private[Attribute.EXTRACTABLE] is False
    assert private[Attribute.NEVER_EXTRACTABLE] is True
    assert private[Attribute.SIGN] is True
    with pytest.raises(pkcs11.AttributeSensitive):
        private[Attribute.VALUE]
    signer = store.signing_key(at=START)
    assert "private" not in repr(signer)


def test_a_jws_signed_by_the_token_verifies_with_the_published_jwk(store: Pkcs11KeyStore) -> None:
    entry = store.create(not_before=START)
    token = sign_token(store.signing_key(at=SIGNED_2024), signed_at=SIGNED_2024)
    jws = parse_compact(token)
    assert jws.header["alg"] == "ES256"
    assert jws.kid == entry.kid
    assert len(jws.signature) == 64, "raw r||s, as JWS ES256 wants"
    [published] = store.history().to_jwks()["keys"]
    PublicKey.from_jwk(published).verify(algorithm="ES256", message=jws.signing_input, signature=jws.signature)


@pytest.mark.parametrize("algorithm", ["ES384", "ES512"])
def test_the_larger_curves_sign_on_the_token_too(store: Pkcs11KeyStore, algorithm: str) -> None:
    store.create(algorithm=algorithm, not_before=START)
    token = sign_token(store.signing_key(at=SIGNED_2024), signed_at=SIGNED_2024)
    assert verify_token(token, KeyHistoryResolver({ISSUER: store.history()}))


# -- Refusals ---------------------------------------------------------------------------------------------


def test_a_wrong_pin_is_refused(softhsm: SoftHsmToken, directory: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_store(softhsm, directory, pin="00000000")
    assert caught.value.code == "key.pkcs11_pin_wrong"
    assert "00000000" not in str(caught.value)
    open_store(softhsm, directory)  # the right PIN still opens it
    with pytest.raises(ConfigurationError) as again:  # and a wrong one is still refused once logged in
        open_store(softhsm, directory, pin="00000000")
    assert again.value.code == "key.pkcs11_pin_wrong"


def test_a_missing_module_is_refused(softhsm: SoftHsmToken, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Pkcs11KeyStore(
            module=tmp_path / "libnothing.so", token_label=softhsm.label, pin=softhsm.pin, directory=tmp_path / "k"
        )
    assert caught.value.code == "key.pkcs11_module_missing"
    assert "libnothing.so" in str(caught.value)
    assert "TAWTIQ_PKCS11_MODULE" in str(caught.value)


def test_a_file_that_is_not_a_module_is_refused(softhsm: SoftHsmToken, tmp_path: Path) -> None:
    fake = tmp_path / "libfake.so"
    fake.write_bytes(b"not a shared object")
    with pytest.raises(ConfigurationError) as caught:
        Pkcs11KeyStore(module=fake, token_label=softhsm.label, pin=softhsm.pin, directory=tmp_path / "k")
    assert caught.value.code == "key.pkcs11_module_missing"


def test_an_unknown_token_label_is_refused(softhsm: SoftHsmToken, directory: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Pkcs11KeyStore(module=softhsm.module, token_label="no-such-token", pin=softhsm.pin, directory=directory)
    assert caught.value.code == "key.pkcs11_token_missing"
    assert softhsm.label in str(caught.value), "the message lists the tokens present"


def test_a_history_whose_keys_are_not_on_the_token_is_refused(
    store: Pkcs11KeyStore, softhsm: SoftHsmToken, directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.create(not_before=START)
    other = fresh_token(tmp_path / "other", monkeypatch)
    with pytest.raises(ConfigurationError) as caught:
        open_store(other, directory)
    assert caught.value.code == "key.pkcs11_key_missing"


def test_only_ec_keys_are_generated(store: Pkcs11KeyStore) -> None:
    with pytest.raises(ConfigurationError) as caught:
        store.create(algorithm="EdDSA", not_before=START)
    assert caught.value.code == "key.unsupported"
    assert store.history().kids == ()


@pytest.mark.parametrize("content", [None, "", "\n", "   \n"])
def test_a_missing_or_empty_pin_file_is_refused(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "pin"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_pin(path)
    assert caught.value.code == "key.pkcs11_pin_missing"
    assert "TAWTIQ_PKCS11_PIN_FILE" in str(caught.value)


def test_no_pin_file_configured_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_pin(None)
    assert caught.value.code == "key.pkcs11_pin_missing"


def test_the_pin_file_loses_one_trailing_newline_only(softhsm: SoftHsmToken) -> None:
    assert load_pin(softhsm.pin_file) == softhsm.pin


def test_signing_takes_a_fresh_signature_each_time(store: Pkcs11KeyStore) -> None:
    store.create(not_before=START)
    signer = store.signing_key(at=START)
    assert signer.sign(b"message") != signer.sign(b"message")  # ECDSA is randomised on the token


def test_a_token_that_went_away_fails_signing_upstream_and_a_reopened_store_logs_in_again(
    store: Pkcs11KeyStore, softhsm: SoftHsmToken, directory: Path
) -> None:
    store.create(not_before=START)
    signer = store.signing_key(at=SIGNED_2024)
    pkcs11.lib(str(softhsm.module)).reinitialize()  # as when an HSM restarts: every session is gone
    with pytest.raises(UpstreamError) as caught:
        signer.sign(b"message")
    assert caught.value.code == "key.pkcs11_sign_failed"
    reopened = open_store(softhsm, directory)
    token = sign_token(reopened.signing_key(at=SIGNED_2024), signed_at=SIGNED_2024)
    assert verify_token(token, KeyHistoryResolver({ISSUER: reopened.history()}))


def test_a_reopened_store_logs_in_again_after_a_reset_even_without_a_failed_signature(
    store: Pkcs11KeyStore, softhsm: SoftHsmToken, directory: Path
) -> None:
    store.create(not_before=START)
    pkcs11.lib(str(softhsm.module)).reinitialize()
    reopened = open_store(softhsm, directory)
    assert reopened.signing_key(at=SIGNED_2024).sign(b"message")


def _planted_key_pair(token: SoftHsmToken, directory: Path, *, extractable: bool, label: str | None = None) -> str:
    """Generate a key pair on the token outside the store and record it in the history; return its kid."""
    found = pkcs11.lib(str(token.module)).get_token(token_label=token.label)
    try:
        session = found.open(rw=True, user_pin=token.pin)
    except pkcs11.UserAlreadyLoggedIn:  # by a store of this test: the login applies to this session too
        session = found.open(rw=True)
    parameters = session.create_domain_parameters(
        pkcs11.KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
    )
    public, private = parameters.generate_keypair(
        store=True, private_template={Attribute.SENSITIVE: not extractable, Attribute.EXTRACTABLE: extractable}
    )
    key = PublicKey.from_key(serialization.load_der_public_key(encode_ec_public_key(public)))  # type: ignore[arg-type]
    for half in (public, private):
        half[Attribute.LABEL] = label or key.thumbprint()
    files = KeyDirectory(directory)
    files.write_history(KeyHistory().with_entry(KeyEntry(key=key, not_before=START)))
    session.close()
    return key.thumbprint()


def test_a_private_key_that_can_be_exported_is_refused(softhsm: SoftHsmToken, directory: Path) -> None:
    _planted_key_pair(softhsm, directory, extractable=True)
    with pytest.raises(ConfigurationError) as caught:
        open_store(softhsm, directory)
    assert caught.value.code == "key.pkcs11_key_exportable"


def test_a_token_key_that_is_not_the_published_key_is_refused(
    store: Pkcs11KeyStore, softhsm: SoftHsmToken, directory: Path, tmp_path: Path
) -> None:
    entry = store.create(not_before=START)
    other = tmp_path / "other-history"
    _planted_key_pair(softhsm, other, extractable=False, label=entry.kid)  # a second pair under the same label
    with pytest.raises(ConfigurationError) as caught:
        open_store(softhsm, directory)
    assert caught.value.code == "key.pkcs11_key_mismatch"
