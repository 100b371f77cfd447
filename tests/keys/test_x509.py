"""X.509: a development CA, the certificates it issues, their files, and every refusal of chain validation."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from keys.x509 import (
    DOCUMENT_SIGNING,
    VERIFIER_ACCESS,
    CertificateAuthority,
    CertificateError,
    CertifiedKey,
    certificate_hash,
    chain_from_x5c,
    check_dns_name,
    dns_names,
    load_trust_anchors,
    validate_chain,
    x5c_of,
)
from tests.keys.pki import REGISTRAR, UNIVERSITY, Pki, make_pki, signed_by_leaf, without_extended_key_usage
from vc.errors import ConfigurationError

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
PASSPHRASE = b"correct horse battery staple"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(NOW)


def test_a_verifier_certificate_validates_for_its_host(pki: Pki) -> None:
    validated = validate_chain(
        pki.verifier.chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW, dns_name="verify.um5.ac.ma"
    )
    assert validated.subject_name == UNIVERSITY
    assert validated.anchor_name == REGISTRAR
    assert validated.path == (pki.verifier.certificate, pki.ca.certificate)
    assert dns_names(pki.verifier.certificate) == ("verify.um5.ac.ma",)
    # Without a host (the x509_hash prefix) the same chain validates too.
    assert validate_chain(pki.verifier.chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW).leaf


def test_a_document_signing_certificate_is_its_own_use(pki: Pki) -> None:
    signer = pki.ca.issue(organization="Ministère de l'Éducation nationale", profile=DOCUMENT_SIGNING, now=NOW)
    assert validate_chain(signer.chain, anchors=pki.anchors, profile=DOCUMENT_SIGNING, now=NOW).subject_name
    with pytest.raises(CertificateError) as refused:
        validate_chain(signer.chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW)
    assert refused.value.code == "x509.usage_wrong"
    assert refused.value.expected is not None
    assert "1.0.18013.5.1.6" in refused.value.expected


def test_x509_hash_is_the_base64url_sha256_of_the_der_leaf(pki: Pki) -> None:
    import base64
    import hashlib

    der = pki.verifier.certificate.public_bytes(serialization.Encoding.DER)
    expected = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert certificate_hash(pki.verifier.certificate) == expected
    assert len(expected) == 43


def test_x5c_round_trip(pki: Pki) -> None:
    header = x5c_of(pki.verifier.chain)
    assert chain_from_x5c(header) == pki.verifier.chain
    # Standard base64 (RFC 7515 §4.1.6), not base64url.
    assert all(not set(item) & set("-_") for item in header)


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ([], "list of 0"),
        ("MIIB", "str"),
        (["not base64!"], "x5c[0]"),
        (["AAAA"], "x5c[0]"),
        ([1], "x5c[0]"),
        (["AAAA"] * 6, "list of 6"),
    ],
)
def test_a_malformed_x5c_is_refused(value: object, found: str) -> None:
    with pytest.raises(CertificateError) as refused:
        chain_from_x5c(value)
    assert refused.value.code == "x509.malformed"
    assert found in str(refused.value.found)


# -- One test per refusal ----------------------------------------------------------------------------------------


def test_refused_an_untrusted_ca(pki: Pki) -> None:
    other = CertificateAuthority.create(name="Another registrar", now=NOW - timedelta(days=1))
    with pytest.raises(CertificateError) as refused:
        validate_chain(pki.verifier.chain, anchors=[other.certificate], profile=VERIFIER_ACCESS, now=NOW)
    assert refused.value.code == "x509.untrusted"
    assert REGISTRAR in str(refused.value.found)
    assert "Another registrar" in str(refused.value.expected)


def test_refused_with_no_trust_anchor_at_all(pki: Pki) -> None:
    with pytest.raises(CertificateError) as refused:
        validate_chain(pki.verifier.chain, anchors=[], profile=VERIFIER_ACCESS, now=NOW)
    assert refused.value.code == "x509.untrusted"


def test_refused_a_chain_through_a_certificate_that_is_not_a_ca(pki: Pki) -> None:
    rogue = signed_by_leaf(pki, NOW)
    with pytest.raises(CertificateError) as refused:
        validate_chain(rogue.chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW)
    assert refused.value.code == "x509.chain_invalid"


def test_refused_a_broken_chain(pki: Pki) -> None:
    other = CertificateAuthority.create(name="Another registrar", now=NOW - timedelta(days=1))
    with pytest.raises(CertificateError) as refused:
        validate_chain(
            (pki.verifier.certificate, other.certificate), anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW
        )
    assert refused.value.code == "x509.chain_broken"


def test_refused_an_expired_certificate(pki: Pki) -> None:
    later = pki.verifier.certificate.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(CertificateError) as refused:
        validate_chain(pki.verifier.chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=later)
    assert refused.value.code == "x509.expired"
    assert UNIVERSITY in str(refused.value.found)


def test_refused_a_certificate_not_valid_yet(pki: Pki) -> None:
    with pytest.raises(CertificateError) as refused:
        validate_chain(pki.verifier.chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW - timedelta(hours=1))
    assert refused.value.code == "x509.not_yet_valid"


def test_refused_a_host_the_certificate_does_not_name(pki: Pki) -> None:
    with pytest.raises(CertificateError) as refused:
        validate_chain(pki.verifier.chain, anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW, dns_name="evil.ma")
    assert refused.value.code == "x509.dns_mismatch"
    assert refused.value.found == ["verify.um5.ac.ma"]
    assert refused.value.expected == "evil.ma"


def test_refused_a_leaf_without_the_usage(pki: Pki) -> None:
    bare = without_extended_key_usage(pki, NOW)
    with pytest.raises(CertificateError) as refused:
        validate_chain((bare,), anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW)
    assert refused.value.code == "x509.usage_wrong"
    assert refused.value.found == "no extended key usage"


def test_refused_an_empty_chain(pki: Pki) -> None:
    with pytest.raises(CertificateError) as refused:
        validate_chain((), anchors=pki.anchors, profile=VERIFIER_ACCESS, now=NOW)
    assert refused.value.code == "x509.malformed"


# -- Names ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["verify", "*.um5.ac.ma", "127.0.0.1", "-a.ma", "a..ma", ""])
def test_a_bad_dns_name_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="DNS host name"):
        check_dns_name(host)


def test_a_dns_name_is_kept_in_lower_case() -> None:
    assert check_dns_name("Verify.UM5.ac.ma.") == "verify.um5.ac.ma"


# -- Files -------------------------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ca_and_certified_key_files(pki: Pki, tmp_path: Path) -> None:
    pki.ca.save(tmp_path / "ca", passphrase=PASSPHRASE)
    pki.verifier.save(tmp_path / "verifier", passphrase=PASSPHRASE)
    assert _mode(tmp_path / "ca") == 0o700
    assert _mode(tmp_path / "ca" / "ca-key.pem") == 0o600
    assert (tmp_path / "ca" / "ca-key.pem").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert (tmp_path / "verifier" / "key.pem").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = CertificateAuthority.load(tmp_path / "ca", passphrase=PASSPHRASE)
    assert loaded.certificate == pki.ca.certificate
    assert loaded.name == REGISTRAR
    certified = CertifiedKey.load(tmp_path / "verifier", passphrase=PASSPHRASE)
    assert certified.chain == pki.verifier.chain
    assert certified.key.public.jwk == pki.verifier.key.public.jwk
    assert load_trust_anchors(tmp_path / "ca" / "ca.pem") == pki.anchors


def test_a_wrong_passphrase_is_refused(pki: Pki, tmp_path: Path) -> None:
    pki.verifier.save(tmp_path / "verifier", passphrase=PASSPHRASE)
    with pytest.raises(ConfigurationError) as refused:
        CertifiedKey.load(tmp_path / "verifier", passphrase=b"another long passphrase")
    assert refused.value.code == "x509.passphrase_wrong"


def test_an_unencrypted_key_file_is_refused(pki: Pki, tmp_path: Path) -> None:
    pki.verifier.save(tmp_path / "verifier", passphrase=PASSPHRASE)
    plain = pki.verifier.key.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "verifier" / "key.pem").write_bytes(plain)
    with pytest.raises(ConfigurationError) as refused:
        CertifiedKey.load(tmp_path / "verifier", passphrase=PASSPHRASE)
    assert refused.value.code == "x509.file_unencrypted"


def test_a_key_that_is_not_the_certificates_is_refused(pki: Pki, tmp_path: Path) -> None:
    pki.verifier.save(tmp_path / "verifier", passphrase=PASSPHRASE)
    other = pki.ca.issue(organization=UNIVERSITY, profile=VERIFIER_ACCESS, now=NOW, dns_names=["other.um5.ac.ma"])
    other.save(tmp_path / "other", passphrase=PASSPHRASE)
    (tmp_path / "verifier" / "key.pem").write_bytes((tmp_path / "other" / "key.pem").read_bytes())
    with pytest.raises(ConfigurationError) as refused:
        CertifiedKey.load(tmp_path / "verifier", passphrase=PASSPHRASE)
    assert refused.value.code == "x509.key_mismatch"


def test_a_missing_or_corrupt_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as missing:
        CertifiedKey.load(tmp_path / "nowhere", passphrase=PASSPHRASE)
    assert missing.value.code == "x509.file_missing"
    (tmp_path / "anchors.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigurationError) as corrupt:
        load_trust_anchors(tmp_path / "anchors.pem")
    assert corrupt.value.code == "x509.file_corrupt"
