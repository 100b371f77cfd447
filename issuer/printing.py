"""The printed diploma: the record as an A4 document in Arabic and French, archival (PDF/A-3b), sealed by the ministry
with a PAdES signature, carrying the graduate's W3C diploma credential as an associated file and a QR code that
opens the verification page.

What the signature means: the ministry's document-signing key (its certificate under the ministry's CA, see
:class:`DocumentSigner`) signed these exact bytes; any PDF reader shows the signature and whether a byte changed
since, and :func:`common.pdf.signature.check_signed_pdf` checks it against the ministry's CA. It says the document is
the ministry's, not that the diploma is still valid: for that, the embedded credential (a ``vc+sd-jwt`` copy with
every claim disclosed, with its own status entries) or the verification page gives the answer of the day.

Every print signs a fresh credential copy (channel ``print``) inside the caller's transaction, like a wallet's copy:
it is recorded, has its status slot, and is revoked with the record. A revoked or suspended record is not printed.

Two QR codes: the verification page's address, and the offline QR (:mod:`issuer.offline`: the compact ``TQ1:``
credential, signed with the issuer's key, that a verifier checks from the paper without a network, with the
record's status reference). :func:`render_diploma` prints the second only when it is given one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Engine, select
from sqlmodel import Session, col

import schemas
from common.pdf.ministry import GREEN, INNER, KINGDOM_FR, MARGIN, MINISTRY_FR, LabelledRow, labelled_rows, letterhead
from common.pdf.sheet import PAGE_WIDTH, DocumentInfo, Sheet
from common.pdf.signature import sign_pdf
from common.qr import PRINTED_ERROR
from issuer.db import writing
from issuer.errors import ConflictError, NotFoundError
from issuer.issuance import recorded_subject, sign_copies
from issuer.keyring import Keyring
from issuer.models import ACTIVE, Diploma
from issuer.offline import offline_credential
from issuer.settings import Settings
from keys.directory import KeyDirectory
from keys.x509 import (
    CA_CERTIFICATE_FILE,
    CHAIN_FILE,
    DOCUMENT_SIGNING,
    CertificateAuthority,
    CertifiedKey,
    load_trust_anchors,
)
from vc import ConfigurationError, Profile

TITLE_AR: Final = "شهادة البكالوريا"
TITLE_FR: Final = "Diplôme du baccalauréat"
ATTESTS_AR: Final = "يشهد وزير التربية الوطنية والتعليم الأولي والرياضة بأن المترشح(ة) المذكور(ة) أسفله قد حصل(ت) على"
ATTESTS_FR: Final = (
    "Le ministre de l'Éducation nationale, du Préscolaire et des Sports atteste que le candidat désigné ci-dessous "
    "a obtenu le"
)
SEAL_FR: Final = (
    "Document scellé électroniquement par le Ministère (signature PAdES) ; le diplôme numérique vérifiable y est "
    "joint. Vérifiez-le en ligne en scannant le code :"
)
SEAL_AR: Final = (
    "وثيقة مختومة إلكترونيا من طرف الوزارة (توقيع PAdES) ومرفقة بالشهادة الرقمية القابلة للتحقق. "
    "تحقق منها عبر الإنترنت بمسح الرمز:"
)
OFFLINE_AR: Final = "الرمز الكبير يُقرأ بدون إنترنت: يحمل البيانات الأساسية للشهادة موقعة من طرف الوزارة."
OFFLINE_FR: Final = (
    "Le grand code se vérifie sans connexion : il porte les données essentielles du diplôme, signées par le Ministère."
)
#: The embedded credential's file name and media type (the W3C VC secured with SD-JWT, VC-JOSE-COSE §3.2).
CREDENTIAL_FILE: Final = "baccalaureate-diploma.vc+sd-jwt"
CREDENTIAL_MEDIA_TYPE: Final = "application/vc+sd-jwt"
#: The channel recorded on the credential copy a print signs.
PRINT_CHANNEL: Final = "print"
#: The development CA's name: nobody should mistake it for the ministry's production CA.
DEVELOPMENT_CA_NAME: Final = "Tawtiq development document CA (not for production)"
#: The signer's organisation in its certificate (a subject attribute holds at most 64 characters).
SIGNER_ORGANIZATION: Final = "Ministère de l'Éducation nationale - Maroc"
_SIGNATURE_LOCATION: Final = "Rabat, MA"
_SIGNATURE_REASON: Final = "Diplôme du baccalauréat délivré par le Ministère / شهادة البكالوريا"


# -- The signer -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSigner:
    """The ministry's document-signing key with its chain, and the CA certificates that anchor it.

    Kept like the issuer's keys: ``key.pem`` is encrypted PKCS#8 (the issuer's key passphrase), the directory
    0700, its files 0600 (:mod:`keys.x509`).
    """

    key: CertifiedKey
    anchors: tuple[x509.Certificate, ...]

    @classmethod
    def load(cls, directory: Path, *, passphrase: bytes) -> DocumentSigner:
        """Read ``chain.pem``, ``key.pem`` and (if present) ``ca.pem``. Raises :class:`ConfigurationError`.

        ``print.signer_missing`` when the directory holds no signer, naming the command that makes one.
        """
        if not (directory / CHAIN_FILE).exists():
            raise ConfigurationError(
                "no document-signing certificate to sign printed diplomas with",
                code="print.signer_missing",
                found=str(directory),
                expected="chain.pem and key.pem from the ministry's CA, or `tawtiq diploma signer create` in "
                "development (TAWTIQ_DOCUMENT_SIGNER_DIR)",
            )
        key = CertifiedKey.load(directory, passphrase=passphrase)
        anchor_file = directory / CA_CERTIFICATE_FILE
        anchors = load_trust_anchors(anchor_file) if anchor_file.exists() else ()
        return cls(key=key, anchors=anchors)

    @classmethod
    def create_development(cls, directory: Path, *, passphrase: bytes, now: dt.datetime) -> DocumentSigner:
        """A development CA (in ``directory/ca``) and a document-signing certificate under it, written encrypted.

        Raises :class:`ConfigurationError` ``print.signer_exists`` rather than replace a signer.
        """
        if (directory / CHAIN_FILE).exists():
            raise ConfigurationError(
                "a document signer already exists here",
                code="print.signer_exists",
                found=str(directory),
                expected="an empty or missing directory",
            )
        authority = CertificateAuthority.create(name=DEVELOPMENT_CA_NAME, now=now)
        key = authority.issue(organization=SIGNER_ORGANIZATION, profile=DOCUMENT_SIGNING, now=now)
        key.save(directory, passphrase=passphrase)  # creates the directory 0700 first
        authority.save(directory / "ca", passphrase=passphrase)
        KeyDirectory(directory).write_atomically(
            directory / CA_CERTIFICATE_FILE, authority.certificate.public_bytes(serialization.Encoding.PEM)
        )
        return cls(key=key, anchors=(authority.certificate,))

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentSigner:
        """The signer of ``TAWTIQ_DOCUMENT_SIGNER_DIR`` opened with the issuer's key passphrase."""
        return cls.load(settings.resolved_document_signer_dir, passphrase=settings.key_passphrase_bytes())

    def sign(self, pdf: bytes) -> bytes:
        """``pdf`` sealed with the ministry's PAdES signature."""
        return sign_pdf(
            pdf,
            signer=self.key,
            anchors=self.anchors,
            reason=_SIGNATURE_REASON,
            location=_SIGNATURE_LOCATION,
            name=MINISTRY_FR,
        )


# -- The page ---------------------------------------------------------------------------------------------------------


def _date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _average(value: Decimal, *, decimal_comma: bool) -> str:
    text = f"{value.quantize(Decimal('0.01'))}"
    return f"{text.replace('.', ',') if decimal_comma else text} / 20"


def render_diploma(
    subject: schemas.DiplomaSubject,
    *,
    diploma_id: str,
    credential: str,
    verifier_url: str,
    issued_at: dt.datetime,
    offline_qr: str | None = None,
) -> bytes:
    """The unsigned diploma: one A4 page, PDF/A-3b, ``credential`` attached as an associated file.

    ``verifier_url`` is what the printed QR code opens; ``offline_qr``, when given, is printed as a second QR code
    (the compact credential). ``issued_at`` dates the document: the same arguments give the same bytes. Raises
    :class:`common.pdf.text.PdfTextError` for a value that cannot be printed (naming the field).
    """
    sheet = Sheet(
        DocumentInfo(
            title=f"{TITLE_FR} — {subject.session.year}",
            subject=f"{TITLE_AR} / {TITLE_FR} — {diploma_id}",
            author=f"{KINGDOM_FR} — {MINISTRY_FR}",
            created=issued_at,
            language="ar-MA",
            keywords=("baccalauréat", "diplôme", diploma_id),
        ),
        archival=True,
    )
    sheet.add_page()
    sheet.box(8, 8, PAGE_WIDTH - 16, 281, line_width=1.2, stroke=GREEN)
    sheet.box(9.6, 9.6, PAGE_WIDTH - 19.2, 277.8, line_width=0.3, stroke=GREEN)
    top = letterhead(sheet, top=14)
    half = INNER / 2
    sheet.text(
        TITLE_AR,
        x=MARGIN,
        y=top + 2,
        width=INNER,
        height=12,
        size=26,
        bold=True,
        field="title",
        max_chars=40,
        align="center",
        colour=GREEN,
    )
    sheet.text(
        TITLE_FR,
        x=MARGIN,
        y=top + 14,
        width=INNER,
        height=9,
        size=18,
        bold=True,
        field="title",
        max_chars=40,
        align="center",
        colour=GREEN,
    )
    y = top + 26
    end_ar = sheet.paragraph(
        ATTESTS_AR, x=MARGIN + half + 3, y=y, width=half - 3, size=10.5, field="attests", max_chars=200, align="right"
    )
    end_fr = sheet.paragraph(ATTESTS_FR, x=MARGIN, y=y, width=half - 3, size=9.5, field="attests", max_chars=200)
    y = max(end_ar, end_fr) + 3
    session_ar = f"{schemas.value_label('session.type', subject.session.type, 'ar')} {subject.session.year}"
    session_fr = f"{schemas.value_label('session.type', subject.session.type, 'fr')} {subject.session.year}"
    values: list[tuple[str, str, str, str, str]] = [
        # (label fr, value fr, value ar, label ar, field)
        ("Nom", subject.family_name.lat, subject.family_name.ar, "الاسم العائلي", "familyName"),
        ("Prénom", subject.given_name.lat, subject.given_name.ar, "الاسم الشخصي", "givenName"),
        ("Né(e) le", _date(subject.birth_date), _date(subject.birth_date), "تاريخ الازدياد", "birthDate"),
        ("à", subject.birth_place.lat, subject.birth_place.ar, "مكان الازدياد", "birthPlace"),
        ("N° CNIE", str(subject.cnie), str(subject.cnie), "رقم البطاقة الوطنية", "cnie"),
        ("Code Massar", str(subject.massar_code), str(subject.massar_code), "الرمز مسار", "massarCode"),
        ("Filière", subject.stream.fr, subject.stream.ar, "الشعبة", "stream"),
        ("Session", session_fr, session_ar, "الدورة", "session"),
        (
            "Moyenne générale",
            _average(subject.general_average, decimal_comma=True),
            _average(subject.general_average, decimal_comma=False),
            "المعدل العام",
            "generalAverage",
        ),
        (
            "Mention",
            schemas.value_label("mention", subject.mention, "fr"),
            schemas.value_label("mention", subject.mention, "ar"),
            "الميزة",
            "mention",
        ),
        ("Académie", subject.academy.fr, subject.academy.ar, "الأكاديمية", "academy"),
        ("Établissement", subject.school.fr, subject.school.ar, "المؤسسة", "school"),
    ]
    rows = [
        # A number or an identifier once, in the middle; a text in each script.
        LabelledRow(label_fr, label_ar, value_fr, field=name, max_chars=40)
        if value_fr == value_ar
        else LabelledRow(
            label_fr, label_ar, value_fr, field=f"{name}.fr", max_chars=120, value_ar=value_ar, field_ar=f"{name}.ar"
        )
        for label_fr, value_fr, value_ar, label_ar, name in values
    ]
    rows.append(
        LabelledRow(
            "N° du diplôme",
            "رقم الشهادة",
            diploma_id,
            field="diploma_id",
            max_chars=64,
            size=10,
            bold=False,
            shaded=False,
        )
    )
    y = labelled_rows(sheet, rows, top=y, height=8.6) + 5
    made_fr = f"Fait à Rabat, le {_date(subject.deliberation_date)}"
    made_ar = f"حرر بالرباط في {_date(subject.deliberation_date)}"
    sheet.text(made_ar, x=MARGIN + half, y=y, width=half, height=7, size=12, field="made", max_chars=60, align="right")
    sheet.text(made_fr, x=MARGIN, y=y, width=half, height=7, size=11, field="made", max_chars=60)
    _qr_band(sheet, verifier_url=verifier_url, offline_qr=offline_qr, top=y + 12)
    sheet.attach(
        credential.encode("ascii"),
        name=CREDENTIAL_FILE,
        mime_type=CREDENTIAL_MEDIA_TYPE,
        description="Diplôme du baccalauréat : le justificatif vérifiable W3C (VC 2.0, SD-JWT) / الشهادة الرقمية",
        relationship="Alternative",
    )
    return sheet.finish()


def _qr_band(sheet: Sheet, *, verifier_url: str, offline_qr: str | None, top: float) -> None:
    """The QR codes at the foot of the page, with the explanation in both languages between them.

    The offline QR is the larger one (up to version 15 at level Q, 85 modules with its quiet zone: 0.56 mm a module,
    about 6.6 dots at 300 dpi), so a phone's photo of the paper reads it.
    """
    link = 34.0
    offline = 48.0
    sheet.qr(verifier_url, x=MARGIN, y=top, size=link)
    sheet.text(
        verifier_url,
        x=MARGIN,
        y=top + link,
        width=link + 20,
        height=5,
        size=7.5,
        field="verifier_url",
        max_chars=120,
        min_size=5,
    )
    text_left = MARGIN + link + 4
    text_right = PAGE_WIDTH - MARGIN - (offline + 4 if offline_qr else 0)
    width = text_right - text_left
    end = sheet.paragraph(
        SEAL_AR, x=text_left, y=top + 2, width=width, size=10, field="seal", max_chars=300, align="right"
    )
    end = sheet.paragraph(SEAL_FR, x=text_left, y=end + 2, width=width, size=9, field="seal", max_chars=300)
    if offline_qr:
        end = sheet.paragraph(
            OFFLINE_AR, x=text_left, y=end + 3, width=width, size=10, field="offline", max_chars=300, align="right"
        )
        sheet.paragraph(OFFLINE_FR, x=text_left, y=end + 1, width=width, size=9, field="offline", max_chars=300)
        sheet.qr(offline_qr, x=PAGE_WIDTH - MARGIN - offline, y=top, size=offline, error=PRINTED_ERROR)
        sheet.text(
            "Hors ligne / بدون إنترنت",
            x=PAGE_WIDTH - MARGIN - offline,
            y=top + offline,
            width=offline,
            height=5,
            size=8,
            field="offline_label",
            max_chars=40,
            align="center",
        )


# -- Printing records -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedDiploma:
    """A signed printed diploma: the record it shows, the credential copy embedded, and the PDF."""

    diploma_id: str
    copy_id: str
    pdf: bytes


def print_record(
    db: Session,
    *,
    diploma: Diploma,
    settings: Settings,
    keyring: Keyring,
    signer: DocumentSigner,
    actor: str,
    now: dt.datetime,
) -> PrintedDiploma:
    """Print ``diploma`` inside ``db``'s transaction: sign its credential copy, draw the page, seal it.

    Raises :class:`ConflictError` ``diploma.not_active`` (revoked or suspended) or ``diploma.superseded`` (a
    corrected version replaces it), and what :func:`render_diploma` raises for a value that cannot be printed (the
    caller's transaction then records nothing).
    """
    if diploma.replaced_by is not None:
        raise ConflictError(
            "this version of the diploma was replaced by a corrected one; print the current version",
            code="diploma.superseded",
            found=diploma.id,
            expected=diploma.replaced_by,
        )
    subject = recorded_subject(diploma)
    (copy,) = sign_copies(
        db,
        diploma=diploma,
        profile=Profile.VC_SD_JWT,
        holders=[None],
        channel=PRINT_CHANNEL,
        actor=actor,
        settings=settings,
        keyring=keyring,
        now=now,
    )
    offline = offline_credential(db, diploma=diploma, settings=settings, keyring=keyring, actor=actor, now=now)
    pdf = render_diploma(
        subject,
        diploma_id=diploma.id,
        credential=copy.credential,
        verifier_url=f"{settings.print_verifier_url}/",
        issued_at=now,
        offline_qr=offline.text,
    )
    return PrintedDiploma(diploma_id=diploma.id, copy_id=copy.copy_id, pdf=signer.sign(pdf))


def school_records(db: Session, *, school: str, session_name: str | None = None) -> list[Diploma]:
    """The current, active records of the graduates of ``school`` (its code), in credential-id order."""
    statement = select(Diploma).where(
        col(Diploma.replaced_by).is_(None),
        col(Diploma.status) == ACTIVE,
        col(Diploma.claims).contains(school),
    )
    if session_name is not None:
        statement = statement.where(col(Diploma.session) == session_name)
    candidates = db.execute(statement.order_by(col(Diploma.id))).scalars().all()
    return [record for record in candidates if recorded_subject(record).school.code == school]


def print_school(
    engine: Engine,
    *,
    school: str,
    session_name: str | None,
    settings: Settings,
    keyring: Keyring,
    signer: DocumentSigner,
    actor: str,
    clock: Callable[[], dt.datetime],
    out: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[str, Path]]:
    """Print every current, active diploma of ``school`` into ``out`` (one transaction and one file per diploma).

    Yields ``(credential id, file)`` as each is written (files written atomically, named after the credential
    id); ``progress(done, total)`` is called after each. Raises :class:`~issuer.errors.NotFoundError`
    ``print.school_empty`` when the school has no diploma to print.
    """
    with writing(engine) as db:
        ids = [record.id for record in school_records(db, school=school, session_name=session_name)]
    if not ids:
        raise NotFoundError(
            "no active diploma to print for this school",
            code="print.school_empty",
            found=school,
            expected="the code of a school with issued, active diplomas (claims school.code)",
        )
    out.mkdir(parents=True, exist_ok=True)
    for done, diploma_id in enumerate(ids, start=1):
        with writing(engine) as db:
            record = db.get(Diploma, diploma_id)
            if record is None:  # pragma: no cover - deleted between the two transactions
                continue
            printed = print_record(
                db, diploma=record, settings=settings, keyring=keyring, signer=signer, actor=actor, now=clock()
            )
        path = out / file_name(diploma_id)
        write_atomically(path, printed.pdf)
        if progress is not None:
            progress(done, len(ids))
        yield diploma_id, path


def file_name(diploma_id: str) -> str:
    """``diplome-<uuid>.pdf`` for a credential id ``urn:uuid:<uuid>``."""
    return f"diplome-{diploma_id.removeprefix('urn:uuid:')}.pdf"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
