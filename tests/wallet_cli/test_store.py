"""The encrypted store and backups: what is encrypted, every way a file can be damaged, atomicity, locking."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vc import SigningKey
from wallet_cli.errors import PassphraseError, StoreCorruptError, UsageError
from wallet_cli.model import Copy, Diploma, Verifier, WalletData, export_private_key
from wallet_cli.store import (
    MIN_KDF,
    PREVIOUS_FILE,
    STORE_FILE,
    KdfParams,
    Store,
    export_backup,
    read_backup,
    write_atomically,
)

SECRET = b"a passphrase of some length"
WHEN = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


HOLDER = SigningKey.generate()


def sample() -> WalletData:
    key = HOLDER
    copy = Copy(
        id="c1",
        profile="dc+sd-jwt",
        configuration_id="BaccalaureateDiploma_dc_sd_jwt",
        credential="eyJ.CNIE-BE123456.sig~",
        holder_key=export_private_key(key),
        received_at=WHEN,
    )
    return WalletData(diplomas=(Diploma(id="d1", issuer="https://bac.example.ma", received_at=WHEN, copies=(copy,)),))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    created = Store(tmp_path / "w", kdf=MIN_KDF)
    created.create(SECRET, sample())
    return created


def test_round_trip_and_everything_is_encrypted(store: Store) -> None:
    data = store.read(SECRET).data
    assert data == sample()
    assert data.diplomas[0].copies[0].signing_key().public.thumbprint() == HOLDER.public.thumbprint()
    assert data.diplomas[0].copies[0].credential == "eyJ.CNIE-BE123456.sig~"
    raw = store.path.read_bytes()
    for secret_part in (b"BE123456", b"bac.example.ma", b"holder_key", b"dc+sd-jwt"):
        assert secret_part not in raw
    envelope = json.loads(raw)
    assert envelope["format"] == "tawtiq-wallet"
    assert envelope["cipher"] == "AES-256-GCM"
    assert envelope["kdf"]["name"] == "scrypt"


def test_files_are_private_to_the_owner(store: Store) -> None:
    store.update(SECRET, lambda data: (data.with_verifier(Verifier(origin="https://v.example")), None))
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    for name in (STORE_FILE, PREVIOUS_FILE, "wallet.lock"):
        assert stat.S_IMODE((store.directory / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in store.directory.iterdir()) == [STORE_FILE, PREVIOUS_FILE, "wallet.lock"]


def test_loose_permissions_are_tightened_and_reported(store: Store) -> None:
    os.chmod(store.directory, 0o755)  # noqa: S103 - the test loosens it on purpose
    os.chmod(store.path, 0o644)
    changes = store.tighten_permissions()
    assert len(changes) == 2
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_wrong_passphrase_is_refused_and_nothing_changes(store: Store) -> None:
    before = store.path.read_bytes()
    with pytest.raises(PassphraseError) as refused:
        store.update(b"not the passphrase", lambda data: (WalletData(), None))
    assert refused.value.code == "store.passphrase_wrong"
    assert store.path.read_bytes() == before


def flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def rewrite(store: Store, change: Any) -> None:
    envelope = json.loads(store.path.read_bytes())
    change(envelope)
    store.path.write_text(json.dumps(envelope))


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        ("flip a ciphertext byte", "store.tampered"),
        ("flip the nonce", "store.tampered"),
        ("truncate", "store.corrupt"),
        ("empty", "store.corrupt"),
        ("garbage", "store.corrupt"),
        ("another format", "store.format_unknown"),
        ("weaken the kdf", "store.kdf_invalid"),
        ("an absurd kdf", "store.kdf_too_heavy"),
        ("an extra member", "store.corrupt"),
        ("a padded nonce", "store.corrupt"),
        ("a salt not base64url", "store.corrupt"),
        ("change the cipher", "store.version_unknown"),
    ],
)
def test_damage_and_tampering_are_detected_and_the_file_is_left_alone(store: Store, damage: str, code: str) -> None:
    raw = store.path.read_bytes()
    envelope = json.loads(raw)
    if damage == "flip a ciphertext byte":
        text = envelope["ciphertext"]
        envelope["ciphertext"] = text[:40] + ("A" if text[40] != "A" else "B") + text[41:]
        store.path.write_text(json.dumps(envelope))
    elif damage == "flip the nonce":
        text = envelope["nonce"]
        envelope["nonce"] = ("A" if text[0] != "A" else "B") + text[1:]
        store.path.write_text(json.dumps(envelope))
    elif damage == "truncate":
        store.path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        store.path.write_bytes(b"")
    elif damage == "garbage":
        store.path.write_bytes(os.urandom(300))
    elif damage == "another format":
        rewrite(store, lambda e: e.update(format="tawtiq-wallet-backup"))
    elif damage == "weaken the kdf":
        rewrite(store, lambda e: e["kdf"].update(n=1024))
    elif damage == "an absurd kdf":
        rewrite(store, lambda e: e["kdf"].update(n=2**30))
    elif damage == "an extra member":
        rewrite(store, lambda e: e.update(note="hello"))
    elif damage == "a padded nonce":
        rewrite(store, lambda e: e.update(nonce=e["nonce"] + "="))
    elif damage == "a salt not base64url":
        rewrite(store, lambda e: e["kdf"].update(salt="c2FsdA+/"))
    elif damage == "change the cipher":
        rewrite(store, lambda e: e.update(cipher="AES-128-CBC"))
    damaged = store.path.read_bytes()
    with pytest.raises(StoreCorruptError) as detected:
        store.update(SECRET, lambda data: (WalletData(), None))
    assert detected.value.code == code
    assert "Nothing was changed" in (detected.value.hint or "")
    assert store.path.read_bytes() == damaged


def test_a_changed_header_does_not_open(store: Store) -> None:
    # The salt is part of the key derivation and of the authenticated header: any change is caught.
    rewrite(store, lambda e: e["kdf"].update(salt="A" * 22))
    with pytest.raises(PassphraseError):
        store.read(SECRET)


def test_every_single_byte_flip_is_detected(store: Store) -> None:
    raw = store.path.read_bytes()
    for position in range(0, len(raw), max(1, len(raw) // 60)):
        store.path.write_bytes(flip(raw, position))
        with pytest.raises((StoreCorruptError, PassphraseError)):
            store.read(SECRET)
    store.path.write_bytes(raw)
    assert store.read(SECRET).data.diplomas


def test_the_previous_version_is_kept_and_named_when_the_store_is_damaged(store: Store) -> None:
    store.update(SECRET, lambda data: (data.with_verifier(Verifier(origin="https://v.example")), None))
    previous = store.previous_path.read_bytes()
    store.path.write_bytes(store.path.read_bytes()[:100])
    with pytest.raises(StoreCorruptError) as detected:
        store.read(SECRET)
    assert str(store.previous_path) in (detected.value.hint or "")
    os.replace(store.previous_path, store.path)
    assert store.read(SECRET).data == sample()
    assert previous == store.path.read_bytes()


def test_an_unchanged_update_writes_nothing(store: Store) -> None:
    before = store.path.read_bytes()
    store.update(SECRET, lambda data: (data, None))
    assert store.path.read_bytes() == before
    assert not store.previous_path.exists()


def test_a_failing_change_writes_nothing(store: Store) -> None:
    before = store.path.read_bytes()

    def change(_data: WalletData) -> tuple[WalletData, None]:
        raise UsageError("no", code="test.no")

    with pytest.raises(UsageError):
        store.update(SECRET, change)
    assert store.path.read_bytes() == before


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def crash(_src: Any, _dst: Any) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk unplugged"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_creating_over_an_existing_wallet_is_refused(store: Store) -> None:
    with pytest.raises(UsageError) as refused:
        store.create(SECRET)
    assert refused.value.code == "wallet.exists"


def test_a_short_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as refused:
        Store(tmp_path / "w", kdf=MIN_KDF).create(b"short")
    assert refused.value.code == "passphrase.weak"
    assert not (tmp_path / "w" / STORE_FILE).exists()


def test_changing_the_passphrase_re_encrypts_the_store_and_its_previous_version(store: Store) -> None:
    store.update(SECRET, lambda data: (data.with_verifier(Verifier(origin="https://v.example")), None))
    store.change_passphrase(SECRET, b"another long passphrase")
    with pytest.raises(PassphraseError):
        store.read(SECRET)
    assert store.read(b"another long passphrase").data.verifiers
    os.replace(store.previous_path, store.path)
    with pytest.raises(PassphraseError):
        store.read(SECRET)


def _add_verifiers(directory: str, worker: int, count: int) -> None:
    store = Store(Path(directory), kdf=MIN_KDF)
    for number in range(count):
        verifier = Verifier(origin=f"https://v{worker}-{number}.example")

        def add(data: WalletData, verifier: Verifier = verifier) -> tuple[WalletData, None]:
            return data.with_verifier(verifier), None

        store.update(SECRET, add)


def test_concurrent_processes_do_not_lose_each_others_changes(store: Store) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add_verifiers, args=(str(store.directory), n, 4)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    origins = {item.origin for item in store.read(SECRET).data.verifiers}
    assert origins == {f"https://v{w}-{n}.example" for w in range(6) for n in range(4)}


def test_a_busy_wallet_is_reported_after_the_lock_timeout(store: Store) -> None:
    import fcntl

    with (store.directory / "wallet.lock").open("r+b") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        busy = Store(store.directory, kdf=MIN_KDF, lock_timeout_seconds=0.2)
        with pytest.raises(UsageError) as refused:
            busy.read(SECRET)
    assert refused.value.code == "store.busy"


def test_backups_round_trip_and_refuse_a_wrong_passphrase_or_tampering() -> None:
    backup = export_backup(sample(), b"backup passphrase 1", kdf=MIN_KDF)
    assert json.loads(backup)["format"] == "tawtiq-wallet-backup"
    assert read_backup(backup, b"backup passphrase 1") == sample()
    with pytest.raises(PassphraseError):
        read_backup(backup, b"backup passphrase 2")
    with pytest.raises(StoreCorruptError):
        read_backup(backup[:-40] + b'"}\n', b"backup passphrase 1")
    envelope = json.loads(backup)
    text = envelope["ciphertext"]
    envelope["ciphertext"] = text[:30] + ("A" if text[30] != "A" else "B") + text[31:]
    with pytest.raises(StoreCorruptError) as tampered:
        read_backup(json.dumps(envelope).encode(), b"backup passphrase 1")
    assert tampered.value.code == "store.tampered"


def test_a_store_is_not_a_backup(store: Store) -> None:
    with pytest.raises(StoreCorruptError) as refused:
        read_backup(store.path.read_bytes(), SECRET)
    assert refused.value.code == "store.format_unknown"


def test_strong_parameters_are_the_default() -> None:
    from wallet_cli.store import STRONG_KDF

    assert Store(Path("x")).kdf == STRONG_KDF
    assert STRONG_KDF.n >= 2**17
    KdfParams(n=2**17, r=8, p=1).check()


@pytest.mark.parametrize(
    ("depth", "message"),
    [(65, "it is nested too deeply (> 64 levels)"), (3000, "it is not a complete JSON object")],
)
def test_a_backup_nested_too_deeply_is_refused_as_damaged(depth: int, message: str) -> None:
    raw = b'{"format": "tawtiq-wallet-backup", "kdf": ' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(StoreCorruptError) as refused:
        read_backup(raw, b"backup passphrase 1")
    assert refused.value.code == "store.corrupt"
    assert f"the backup is damaged: {message}" in str(refused.value)
