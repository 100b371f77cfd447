"""PAdES signatures on PDF documents (ETSI EN 319 142, baseline B-B) with pyHanko: sign once, check anywhere.

A document is signed by a certified key (:class:`keys.x509.CertifiedKey`, a document-signing certificate): the
signature is an incremental update that covers the whole file as signed, with the signer's chain embedded, so any PDF
reader shows who signed it and whether it was changed since. :func:`check_signed_pdf` is the check a machine makes:
the signature is cryptographically sound, covers the file entirely, nothing was changed or appended after it, and
the signer's certificate chains to one of the trust anchors given, for document signing, at the moment given.

Refusals are :class:`PdfSignatureError` with a stable code: ``pdf.unreadable``, ``pdf.signature_missing``,
``pdf.altered`` (a byte of the signed range changed: "altered after signing"), ``pdf.signature_invalid``,
``pdf.modified_after_signing`` (content appended after the signature), ``pdf.untrusted``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from keys.x509 import DOCUMENT_SIGNING, CertifiedKey, organization_of
from vc.errors import CredentialError

#: The signature field's name in every signed document.
SIGNATURE_FIELD: Final = "MinistrySeal"


class PdfSignatureError(CredentialError):
    """A signed PDF does not pass the check. ``code`` says which step failed."""

    default_code = "pdf.signature_invalid"


@dataclass(frozen=True)
class SignatureCheck:
    """What a passed check found: the signer's organisation, the anchor it chains to, the time the signer claims."""

    signer: str
    anchor: str
    signed_at: datetime | None


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def sign_pdf(
    pdf: bytes,
    *,
    signer: CertifiedKey,
    anchors: Sequence[x509.Certificate] = (),
    reason: str,
    location: str,
    name: str | None = None,
) -> bytes:
    """``pdf`` with a PAdES signature by ``signer`` (an incremental update: the bytes signed are kept as they are).

    ``anchors`` (the CA certificates above the signer's chain) are embedded too, so a reader has the whole path.
    ``reason``, ``location`` and ``name`` are shown by PDF readers in the signature panel.
    """
    key_der = signer.key.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    others = [asn1_x509.Certificate.load(_der(certificate)) for certificate in (*signer.chain[1:], *anchors)]
    cms_signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(_der(signer.certificate)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(others),  # type: ignore[no-untyped-call]
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=name or organization_of(signer.certificate),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=True)
    signed = signers.sign_pdf(writer, metadata, signer=cms_signer)
    return bytes(signed.getvalue())


def check_signed_pdf(pdf: bytes, *, trust_anchors: Sequence[x509.Certificate], at: datetime) -> SignatureCheck:
    """Check the one signature of ``pdf`` against ``trust_anchors`` at ``at``; return what it says.

    Nothing is fetched (no revocation lookups: the anchors are the trust decision). Raises
    :class:`PdfSignatureError` (codes in the module docstring).
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise PdfSignatureError(
            "the file is not a readable PDF", code="pdf.unreadable", found=type(exc).__name__, expected="a PDF file"
        ) from exc
    if not signatures:
        raise PdfSignatureError(
            "the PDF carries no signature",
            code="pdf.signature_missing",
            found="no signature field with a value",
            expected="the ministry's PAdES signature",
        )
    if len(signatures) > 1:
        raise PdfSignatureError(
            "the PDF carries more than one signature",
            code="pdf.modified_after_signing",
            found=f"{len(signatures)} signatures",
            expected="the ministry's signature alone",
        )
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(_der(anchor)) for anchor in trust_anchors],
        moment=at,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    constraints = KeyUsageConstraints(
        key_usage={"digital_signature"}, extd_key_usage={DOCUMENT_SIGNING.extended_key_usage.dotted_string}
    )
    try:
        status = validate_pdf_signature(signatures[0], context, key_usage_settings=constraints)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise PdfSignatureError(
            "the signature cannot be read", code="pdf.signature_invalid", found=type(exc).__name__
        ) from exc
    if not status.intact:
        raise PdfSignatureError(
            "the document was altered after signing",
            code="pdf.altered",
            found="the signed bytes' digest differs from the one signed",
            expected="the document exactly as the ministry signed it",
        )
    if not status.valid:
        raise PdfSignatureError(
            "the signature does not verify with the signer's certificate",
            code="pdf.signature_invalid",
            found="a signature that does not match",
            expected="a signature by the key of the embedded certificate",
        )
    if status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        raise PdfSignatureError(
            "content was added to the document after it was signed",
            code="pdf.modified_after_signing",
            found=str(status.coverage),
            expected="a signature covering the entire file",
        )
    if not status.trusted:
        raise PdfSignatureError(
            "the signer is not trusted for signing documents",
            code="pdf.untrusted",
            found=status.signing_cert.subject.human_friendly,
            expected="a document-signing certificate issued under a trusted anchor",
        )
    anchor = status.validation_path.trust_anchor if status.validation_path is not None else None
    return SignatureCheck(
        signer=status.signing_cert.subject.native.get("organization_name")
        or status.signing_cert.subject.human_friendly,
        anchor=str(anchor.authority.name.human_friendly) if anchor is not None else "",
        signed_at=status.signer_reported_dt,
    )
