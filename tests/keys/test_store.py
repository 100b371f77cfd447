"""Key stores: the life cycle on both stores, and the encrypted file store on real files."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from keys import EncryptedFileKeyStore, InMemoryKeyStore, KeyHistory, KeyHistoryResolver, KeyState, KeyStore
from tests.keys.tokens import ISSUER, sign_token, verify_token
from vc.errors import ConfigurationError, KeyResolutionError

PASSPHRASE = b"correct horse battery staple"
START = datetime(2024, 1, 1, tzinfo=UTC)
SIGNED_2024 = datetime(2024, 7, 4, 9, 30, tzinfo=UTC)
ROTATION = datetime(2026, 1, 1, tzinfo=UTC)
LATER = datetime(2054, 7, 4, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.name != ".lock"}


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> KeyStore:
    if request.param == "memory":
        return InMemoryKeyStore()
    return EncryptedFileKeyStore(tmp_path / "keys", PASSPHRASE)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def file_store(directory: Path) -> EncryptedFileKeyStore:
    store = EncryptedFileKeyStore(directory, PASSPHRASE)
    store.create(not_before=START)
    return store


# -- The life cycle, on both stores --------------------------------------------------------------------


def test_create_and_list(store: KeyStore) -> None:
    assert store.history() == KeyHistory()
    first = store.create(not_before=START)
    second = store.create(algorithm="EdDSA", not_before=ROTATION)
    assert store.history().kids == (first.kid, second.kid)
    assert store.history().entry(second.kid).algorithm == "EdDSA"
    assert first.status(SIGNED_2024) is KeyState.ACTIVE


def test_create_rounds_not_before_down_to_the_second(store: KeyStore) -> None:
    entry = store.create(not_before=START + timedelta(milliseconds=700))
    assert entry.not_before == START


def test_create_refuses_unsupported_algorithms(store: KeyStore) -> None:
    with pytest.raises(ConfigurationError) as caught:
        store.create(algorithm="HS256", not_before=START)
    assert caught.value.code == "key.unsupported"
    assert store.history() == KeyHistory()


def test_signing_key_is_the_newest_active_key(store: KeyStore) -> None:
    first = store.create(not_before=START)
    second = store.create(not_before=ROTATION)
    assert store.signing_key(at=SIGNED_2024).kid == first.kid
    assert store.signing_key(at=ROTATION).kid == second.kid
    with pytest.raises(ConfigurationError) as caught:
        store.signing_key(at=START - timedelta(seconds=1))
    assert caught.value.code == "key.no_active_key"


def test_rotate_retires_the_previous_key_which_keeps_verifying(store: KeyStore) -> None:
    old = store.create(not_before=START)
    diploma = sign_token(store.signing_key(at=SIGNED_2024), signed_at=SIGNED_2024)
    new = store.rotate(at=ROTATION)
    assert new.not_before == ROTATION
    assert store.history().entry(old.kid).retired_at == ROTATION
    assert store.signing_key(at=ROTATION).kid == new.kid
    resolver = KeyHistoryResolver({ISSUER: store.history()})
    assert verify_token(diploma, resolver)
    assert verify_token(sign_token(store.signing_key(at=LATER), signed_at=LATER), resolver)
    # The old private key, used after its retirement, no longer convinces anyone.
    late = sign_token(store.signing_key(at=SIGNED_2024), signed_at=ROTATION + timedelta(days=1))
    with pytest.raises(KeyResolutionError) as caught:
        verify_token(late, resolver)
    assert caught.value.code == "key.retired"


def test_rotate_without_an_active_key_creates_the_first(store: KeyStore) -> None:
    entry = store.rotate(at=START)
    assert store.history().kids == (entry.kid,)
    assert store.signing_key(at=START).kid == entry.kid


def test_rotate_keeps_the_algorithm_and_retires_every_active_key(store: KeyStore) -> None:
    first = store.create(algorithm="ES384", not_before=START)
    second = store.create(algorithm="ES384", not_before=SIGNED_2024)
    new = store.rotate(at=ROTATION)
    history = store.history()
    assert new.algorithm == "ES384"
    assert [history.entry(kid).status(ROTATION) for kid in (first.kid, second.kid, new.kid)] == [
        KeyState.RETIRED,
        KeyState.RETIRED,
        KeyState.ACTIVE,
    ]


def test_retire_and_compromise_return_the_updated_entries(store: KeyStore) -> None:
    entry = store.create(not_before=START)
    assert store.retire(entry.kid, at=ROTATION).retired_at == ROTATION
    assert store.compromise(entry.kid, at=LATER).compromised_at == LATER
    with pytest.raises(ConfigurationError) as caught:
        store.retire(entry.kid, at=LATER)
    assert caught.value.code == "key.already_retired"
    with pytest.raises(ConfigurationError) as caught:
        store.compromise("no-such-kid", at=LATER)
    assert caught.value.code == "key.unknown_kid"


def test_compromise_fails_every_token_the_key_signed(store: KeyStore) -> None:
    entry = store.create(not_before=START)
    signing = store.signing_key(at=SIGNED_2024)
    before = sign_token(signing, signed_at=SIGNED_2024)
    after = sign_token(signing, signed_at=ROTATION)
    store.compromise(entry.kid, at=ROTATION)
    resolver = KeyHistoryResolver({ISSUER: store.history()})
    for token in (before, after):
        with pytest.raises(KeyResolutionError) as caught:
            verify_token(token, resolver)
        assert caught.value.code == "key.compromised"
    with pytest.raises(ConfigurationError) as caught_config:
        store.signing_key(at=ROTATION)
    assert caught_config.value.code == "key.no_active_key"


def test_reprs_reveal_no_secret(store: KeyStore) -> None:
    store.create(not_before=START)
    signing = store.signing_key(at=START)
    private_value = signing.key.private_numbers().private_value  # type: ignore[union-attr]
    for text in (repr(store), repr(signing), str(signing)):
        assert str(private_value) not in text
        assert PASSPHRASE.decode() not in text


# -- The encrypted file store --------------------------------------------------------------------------


def test_files_are_private_to_the_owner(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    kid = file_store.history().kids[0]
    assert mode(directory) == 0o700
    assert mode(directory / f"{kid}.pem") == 0o600
    assert mode(directory / "history.json") == 0o600
    assert sorted(path.name for path in directory.iterdir()) == sorted([".lock", "history.json", f"{kid}.pem"])


def test_private_key_file_is_encrypted(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    kid = file_store.history().kids[0]
    pem = (directory / f"{kid}.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, password=None)
    with pytest.raises(ValueError, match="password"):
        serialization.load_pem_private_key(pem, password=b"not the passphrase")
    loaded = serialization.load_pem_private_key(pem, password=PASSPHRASE)
    assert loaded.public_key() == file_store.signing_key(at=START).key.public_key()


def test_history_file_is_the_published_jwks(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    document = json.loads((directory / "history.json").read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert KeyHistory.from_jwks(document) == file_store.history()
    assert "d" not in document["keys"][0]


def test_reopening_restores_keys_and_history(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    old_kid = file_store.history().kids[0]
    file_store.rotate(at=ROTATION)
    file_store.compromise(old_kid, at=LATER)
    diploma = sign_token(file_store.signing_key(at=SIGNED_2024), signed_at=SIGNED_2024)

    reopened = EncryptedFileKeyStore(directory, PASSPHRASE)
    assert reopened.history() == file_store.history()
    assert reopened.signing_key(at=ROTATION).kid == file_store.signing_key(at=ROTATION).kid
    with pytest.raises(KeyResolutionError, match="compromised"):
        verify_token(diploma, KeyHistoryResolver({ISSUER: reopened.history()}))
    again = sign_token(reopened.signing_key(at=ROTATION), signed_at=ROTATION)
    assert verify_token(again, KeyHistoryResolver({ISSUER: file_store.history()}))


def test_wrong_passphrase_is_refused_clearly(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, b"not the passphrase at all")
    assert caught.value.code == "key.passphrase_wrong"
    assert "TAWTIQ_KEY_PASSPHRASE" in caught.value.message
    assert str(directory) in caught.value.message
    assert isinstance(caught.value.__cause__, ValueError)


def test_empty_passphrase_is_refused(directory: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, b"")
    assert caught.value.code == "key.passphrase_missing"
    assert not directory.exists()


def test_truncated_history_is_refused_and_nothing_is_overwritten(
    file_store: EncryptedFileKeyStore, directory: Path
) -> None:
    history = directory / "history.json"
    history.write_bytes(history.read_bytes()[:40])
    before = snapshot(directory)
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.history_corrupt"
    assert str(history) in caught.value.message
    # A store that was already open refuses to change a damaged history too.
    with pytest.raises(ConfigurationError) as caught:
        file_store.rotate(at=ROTATION)
    assert caught.value.code == "key.history_corrupt"
    assert snapshot(directory) == before


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda doc: {**doc, "version": 2}, "key.history_corrupt"),
        (lambda doc: {"version": 1, "keys": [{**doc["keys"][0], "d": "c2VjcmV0"}]}, "key.history_corrupt"),
        (lambda doc: [doc], "key.history_corrupt"),
    ],
)
def test_damaged_history_is_refused(
    file_store: EncryptedFileKeyStore, directory: Path, damage: Callable[[dict[str, object]], object], code: str
) -> None:
    history = directory / "history.json"
    history.write_text(json.dumps(damage(json.loads(history.read_text(encoding="utf-8")))), encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == code


def test_crash_between_key_and_history_leaves_the_store_loadable(
    file_store: EncryptedFileKeyStore, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history_before = file_store.history()
    replace = file_store._files._replace_file

    def crash_on_history(source: Path, target: Path) -> None:
        if target.name == "history.json":
            raise OSError(5, "simulated crash")
        replace(source, target)

    monkeypatch.setattr(file_store._files, "_replace_file", crash_on_history)
    with pytest.raises(ConfigurationError) as caught:
        file_store.rotate(at=ROTATION)
    assert caught.value.code == "key.store_write_failed"
    assert file_store.history() == history_before
    assert len(list(directory.glob("*.pem"))) == 2  # the new key was written, the history was not
    assert not list(directory.glob(".*.tmp"))

    reopened = EncryptedFileKeyStore(directory, PASSPHRASE)
    assert reopened.history() == history_before
    assert reopened.signing_key(at=ROTATION).kid == history_before.kids[0]
    reopened.rotate(at=ROTATION)
    assert len(reopened.history().entries) == 2


def test_stray_temporary_file_is_ignored_and_removed(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    stray = directory / ".history.json.k3j2h1.tmp"
    stray.write_bytes(b'{"version": 1, "keys": [')
    reopened = EncryptedFileKeyStore(directory, PASSPHRASE)
    assert reopened.history() == file_store.history()
    assert not stray.exists()


def test_private_key_file_that_does_not_match_its_entry(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    other = EncryptedFileKeyStore(directory.parent / "other", PASSPHRASE)
    other_entry = other.create(not_before=START)
    kid = file_store.history().kids[0]
    (directory / f"{kid}.pem").write_bytes((directory.parent / "other" / f"{other_entry.kid}.pem").read_bytes())
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.file_mismatch"
    assert kid in caught.value.message


def test_missing_private_key_file(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    pem = directory / f"{file_store.history().kids[0]}.pem"
    pem.unlink()
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.file_missing"
    assert str(pem) in caught.value.message


def test_unencrypted_private_key_file_is_refused(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    signing = file_store.signing_key(at=START)
    pem = directory / f"{signing.kid}.pem"
    pem.write_bytes(
        signing.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.file_unencrypted"


def test_truncated_private_key_file(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    pem = directory / f"{file_store.history().kids[0]}.pem"
    pem.write_bytes(pem.read_bytes()[:60])
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.file_corrupt"
    assert str(pem) in caught.value.message


def test_damaged_ciphertext_is_told_apart_from_a_wrong_passphrase(
    file_store: EncryptedFileKeyStore, directory: Path
) -> None:
    second = file_store.create(not_before=ROTATION)
    pem = directory / f"{second.kid}.pem"
    lines = pem.read_bytes().splitlines()
    last = lines[-2]
    lines[-2] = last[:4] + (b"A" if last[4:5] != b"A" else b"B") + last[5:]
    pem.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.file_corrupt"
    assert str(pem) in caught.value.message


def test_history_missing_beside_key_files_is_refused(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    (directory / "history.json").unlink()
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.history_missing"
    assert not (directory / "history.json").exists()


def test_permissions_open_to_others_are_refused(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    pem = directory / f"{file_store.history().kids[0]}.pem"
    pem.chmod(0o644)
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.file_insecure"
    pem.chmod(0o600)
    directory.chmod(0o755)
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(directory, PASSPHRASE)
    assert caught.value.code == "key.directory_insecure"
    assert "chmod 700" in caught.value.message


def test_key_directory_that_is_a_file(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "keys"
    not_a_directory.write_text("", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        EncryptedFileKeyStore(not_a_directory, PASSPHRASE)
    assert caught.value.code == "key.directory_invalid"


def test_two_open_stores_do_not_lose_each_others_changes(file_store: EncryptedFileKeyStore, directory: Path) -> None:
    other = EncryptedFileKeyStore(directory, PASSPHRASE)
    added = file_store.create(not_before=LATER)
    rotated = other.rotate(at=ROTATION)
    assert set(other.history().kids) == {file_store.history().kids[0], added.kid, rotated.kid}
    assert other.signing_key(at=LATER).kid == added.kid  # loaded from disk on first use
    assert EncryptedFileKeyStore(directory, PASSPHRASE).history() == other.history()
