"""The registrars the wallet trusts: the shipped list (no development CA in it) and the holder's additions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.keys.pki import make_pki
from wallet_cli import registrars
from wallet_cli.errors import UsageError


def test_the_shipped_list_reads_and_trusts_no_development_ca() -> None:
    shipped = registrars.shipped()
    assert all("dev" not in (cert.subject.rfc4514_string().lower()) for cert in shipped)
    assert registrars.trust_anchors(None) == shipped


def test_the_holders_anchors_are_added(tmp_path: Path) -> None:
    pki = make_pki(datetime.now(UTC))
    path = tmp_path / "anchors.pem"
    path.write_bytes(b"# my registrar\n" + pki.ca.certificate.public_bytes(serialization.Encoding.PEM))
    assert registrars.trust_anchors(path) == (*registrars.shipped(), pki.ca.certificate)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"# nothing\n", "holds no certificate"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "cannot be read"),
        (None, "cannot read"),
    ],
)
def test_a_bad_anchors_file_is_refused(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "anchors.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError) as refused:
        registrars.trust_anchors(path)
    assert refused.value.code == "trust_anchors.invalid"
    assert message in str(refused.value)
