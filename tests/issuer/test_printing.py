"""The printed diploma: the record on an A4 PDF/A-3b page in Arabic and French, the credential embedded, the
ministry's PAdES signature that validates and detects any change, and the commands that print one or a school."""

from __future__ import annotations

import base64
import io
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy import Engine, func, select, text
from sqlmodel import col
from typer.testing import CliRunner

from common.pdf.signature import PdfSignatureError, check_signed_pdf
from common.qr import decode_qr
from issuer.cohort_file import RowChecker
from issuer.db import reading, writing
from issuer.errors import ConflictError
from issuer.generate import generate_cohort
from issuer.issuance import recorded_subject
from issuer.keyring import Keyring
from issuer.models import CredentialCopy, Diploma
from issuer.printing import (
    CREDENTIAL_FILE,
    PRINT_CHANNEL,
    DocumentSigner,
    PrintedDiploma,
    file_name,
    print_record,
    render_diploma,
    school_records,
)
from issuer.records import resolve
from issuer.settings import Settings, load_settings
from issuer.status import StatusAction, change_status
from tawtiq.cli import app
from tests.common.pdf_inspect import attachments, cells, fonts, ink, page_count, pdfa_identification, reader, render
from tests.issuer.conftest import PASSPHRASE, SESSION, Clock, Cohort, environment
from vc import ConfigurationError
from vc.offline import decode_offline


@pytest.fixture
def signer(settings: Settings, now: datetime) -> DocumentSigner:
    return DocumentSigner.create_development(
        settings.resolved_document_signer_dir, passphrase=PASSPHRASE.encode(), now=now - timedelta(days=1)
    )


def print_one(
    engine: Engine, *, cnie: str, settings: Settings, keyring: Keyring, signer: DocumentSigner, clock: Clock
) -> PrintedDiploma:
    with writing(engine) as db:
        diploma = resolve(db, cnie)
        return print_record(
            db, diploma=diploma, settings=settings, keyring=keyring, signer=signer, actor="test", now=clock()
        )


@pytest.fixture
def printed(
    engine: Engine, cohort: Cohort, settings: Settings, keyring: Keyring, signer: DocumentSigner, clock: Clock
) -> PrintedDiploma:
    return print_one(engine, cnie=cohort.cnies[0], settings=settings, keyring=keyring, signer=signer, clock=clock)


def test_the_signature_validates_against_the_ministry_ca(
    printed: PrintedDiploma, signer: DocumentSigner, clock: Clock
) -> None:
    check = check_signed_pdf(printed.pdf, trust_anchors=signer.anchors, at=clock())
    assert check.signer == "Ministère de l'Éducation nationale - Maroc"
    assert "development document CA" in check.anchor
    assert check.signed_at is not None


def test_the_page_shows_the_record_in_both_scripts(printed: PrintedDiploma, cohort: Cohort) -> None:
    row = cohort.rows[0]
    assert page_count(printed.pdf) == 1
    picture = render(printed.pdf, dpi=60)
    assert 0.03 < ink(picture) < 0.5
    read = cells(printed.pdf)
    for value in (
        row["familyName.ar"],
        row["givenName.ar"],
        row["familyName.lat"],
        row["givenName.lat"],
        row["cnie"],
        row["massarCode"],
        row["stream.ar"],
        row["stream.fr"],
        "شهادة البكالوريا",
        "Diplôme du baccalauréat",
        printed.diploma_id,
    ):
        assert value in read, value
    birth = datetime.fromisoformat(row["birthDate"]).strftime("%d/%m/%Y")
    assert birth in read


def test_archival_with_fonts_embedded_and_the_credential_attached(
    printed: PrintedDiploma, engine: Engine, settings: Settings
) -> None:
    root = reader(printed.pdf).root
    assert pdfa_identification(printed.pdf) == ("3", "B")  # kept by the signature's incremental update
    (intent,) = root["/OutputIntents"]
    assert intent.get_object()["/DestOutputProfile"].get_object()["/N"] == 3
    assert all(font.embedded for font in fonts(printed.pdf))
    content, details = attachments(printed.pdf)[CREDENTIAL_FILE]
    assert details["relationship"] == "/Alternative"
    credential = content.decode("ascii")
    issuer_jwt = credential.split("~")[0]
    payload = json.loads(base64.urlsafe_b64decode(issuer_jwt.split(".")[1] + "=="))
    assert payload["id"] == printed.diploma_id
    assert payload["issuer"] == settings.issuer_url
    with reading(engine) as db:
        copy = db.get(CredentialCopy, printed.copy_id)
    assert copy is not None
    assert (copy.diploma_id, copy.channel, copy.profile) == (printed.diploma_id, PRINT_CHANNEL, "vc+sd-jwt")


def test_both_qr_codes_read_back_from_the_rendered_page(
    printed: PrintedDiploma, settings: Settings, keyring: Keyring, clock: Clock, cohort: Cohort
) -> None:
    """The verification page's address, and the offline QR: decoded and its signature checked from the picture."""
    png = io.BytesIO()
    render(printed.pdf, dpi=200).save(png, format="PNG")
    texts = decode_qr(png.getvalue())
    assert f"{settings.print_verifier_url}/" in texts
    (offline,) = [text for text in texts if text.startswith("TQ1:")]
    credential = decode_offline(offline)
    credential.message.verify(keyring.signing_key(at=clock()).public)
    assert credential.diploma.credential_id == printed.diploma_id
    assert credential.diploma.family_name_ar == cohort.rows[0]["familyName.ar"]
    assert credential.issuer == settings.issuer_url


def test_the_offline_qr_slot_is_printed_when_given(cohort: Cohort, engine: Engine) -> None:
    with reading(engine) as db:
        diploma = resolve(db, cohort.cnies[1])
    subject = recorded_subject(diploma)
    compact = "HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IPQTGT0W0.LLDB4F1 NAGF"
    arguments: dict[str, Any] = {
        "diploma_id": diploma.id,
        "credential": "a.b.c~",
        "verifier_url": "http://127.0.0.1:8200/",
        "issued_at": datetime.fromisoformat("2025-07-01T10:00:00+00:00"),
    }
    with_offline = render_diploma(subject, offline_qr=compact, **arguments)
    png = io.BytesIO()
    render(with_offline, dpi=150).save(png, format="PNG")
    assert sorted(decode_qr(png.getvalue())) == sorted(["http://127.0.0.1:8200/", compact])
    assert render_diploma(subject, **arguments) == render_diploma(subject, **arguments)  # deterministic


def test_the_longest_values_of_a_generated_cohort_fit_the_page() -> None:
    """Every field at the longest a 5,000-graduate generated cohort holds (academies of long regions, schools,
    birth places, two-word names) prints on the one page, wrapped or smaller, never refused."""
    rows = list(generate_cohort(count=5000, seed=3, session=SESSION))
    checker = RowChecker(SESSION)
    texts = ("familyName.ar", "familyName.lat", "givenName.ar", "givenName.lat", "birthPlace.ar", "birthPlace.lat")
    longest = {name: max((row[name] for row in rows), key=len) for name in texts}
    for entry in ("stream", "academy", "directorate", "school"):  # code and labels from one row
        row = max(rows, key=lambda row: len(row[f"{entry}.fr"]) + len(row[f"{entry}.ar"]))
        longest.update({f"{entry}.{part}": row[f"{entry}.{part}"] for part in ("code", "ar", "fr")})
    subject, problems = checker.check(1, {**rows[0], **longest})
    assert subject is not None, problems
    pdf = render_diploma(
        subject,
        diploma_id="urn:uuid:0b7e6a52-8f0d-4c43-9d55-8f1a3c2b9e10",
        credential="a.b.c~",
        verifier_url="https://verify.example.ma/",
        issued_at=datetime.fromisoformat("2025-07-01T10:00:00+00:00"),
        offline_qr="TQ1:" + "6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N" * 8,
    )
    assert page_count(pdf) == 1
    read = "\n".join(cells(pdf))
    for name in ("familyName.ar", "givenName.lat", "school.fr", "birthPlace.ar"):
        assert longest[name] in read, name


def test_a_byte_changed_after_signing_is_detected(
    printed: PrintedDiploma, signer: DocumentSigner, clock: Clock
) -> None:
    altered = bytearray(printed.pdf)
    position = altered.index(b"595.28")  # the page's width in its /MediaBox: one digit changes
    altered[position + 5] = ord("9")
    with pytest.raises(PdfSignatureError) as caught:
        check_signed_pdf(bytes(altered), trust_anchors=signer.anchors, at=clock())
    assert caught.value.code == "pdf.altered"
    assert "altered after signing" in str(caught.value)


def test_content_appended_after_signing_is_detected(
    printed: PrintedDiploma, signer: DocumentSigner, clock: Clock
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(printed.pdf))
    writer.root["/Lang"] = pdf_string("fr")
    writer.update_root()  # type: ignore[no-untyped-call]
    appended = io.BytesIO()
    writer.write(appended)  # type: ignore[no-untyped-call]
    with pytest.raises(PdfSignatureError) as caught:
        check_signed_pdf(appended.getvalue(), trust_anchors=signer.anchors, at=clock())
    assert caught.value.code == "pdf.modified_after_signing"


def test_another_ca_is_not_trusted(printed: PrintedDiploma, tmp_path: Path, now: datetime, clock: Clock) -> None:
    other = DocumentSigner.create_development(tmp_path / "other", passphrase=PASSPHRASE.encode(), now=now)
    with pytest.raises(PdfSignatureError) as caught:
        check_signed_pdf(printed.pdf, trust_anchors=other.anchors, at=clock())
    assert caught.value.code == "pdf.untrusted"


def test_unsigned_and_unreadable_files_are_refused(
    cohort: Cohort, engine: Engine, signer: DocumentSigner, clock: Clock
) -> None:
    with reading(engine) as db:
        diploma = resolve(db, cohort.cnies[2])
    unsigned = render_diploma(
        recorded_subject(diploma),
        diploma_id=diploma.id,
        credential="a.b.c~",
        verifier_url="http://127.0.0.1:8200/",
        issued_at=clock(),
    )
    with pytest.raises(PdfSignatureError) as missing:
        check_signed_pdf(unsigned, trust_anchors=signer.anchors, at=clock())
    assert missing.value.code == "pdf.signature_missing"
    with pytest.raises(PdfSignatureError) as unreadable:
        check_signed_pdf(b"%PDF-1.7\nnot really", trust_anchors=signer.anchors, at=clock())
    assert unreadable.value.code == "pdf.unreadable"


def test_a_revoked_diploma_is_not_printed_and_nothing_is_recorded(
    engine: Engine, cohort: Cohort, settings: Settings, keyring: Keyring, signer: DocumentSigner, clock: Clock
) -> None:
    cnie = cohort.cnies[3]
    with writing(engine) as db:
        diploma = resolve(db, cnie)
        change_status(db, diploma_id=diploma.id, action=StatusAction.REVOKE, reason="fraud", actor="test", now=clock())
    with pytest.raises(ConflictError) as caught:
        print_one(engine, cnie=cnie, settings=settings, keyring=keyring, signer=signer, clock=clock)
    assert caught.value.code == "diploma.not_active"
    with reading(engine) as db:
        copies = db.execute(
            select(func.count()).select_from(CredentialCopy).where(col(CredentialCopy.channel) == PRINT_CHANNEL)
        ).scalar_one()
    assert copies == 0
    with reading(engine) as db:
        offline_events = db.execute(
            text("SELECT COUNT(*) FROM audit_event WHERE action = 'credential.offline_qr'")
        ).scalar_one()
    assert offline_events == 0


def test_a_school_lists_its_current_active_records(engine: Engine, cohort: Cohort) -> None:
    school = cohort.rows[0]["school.code"]
    expected = {row["cnie"] for row in cohort.rows if row["school.code"] == school}
    with reading(engine) as db:
        records = school_records(db, school=school)
        assert {str(recorded_subject(record).cnie) for record in records} == expected
        assert school_records(db, school="NO-SUCH-SCHOOL") == []
        assert all(isinstance(record, Diploma) for record in records)


def test_the_signer_is_kept_encrypted_and_is_not_replaced(
    settings: Settings, signer: DocumentSigner, now: datetime
) -> None:
    directory = settings.resolved_document_signer_dir
    assert b"ENCRYPTED PRIVATE KEY" in (directory / "key.pem").read_bytes()
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
    assert oct(os.stat(directory / "key.pem").st_mode & 0o777) == "0o600"
    loaded = DocumentSigner.load(directory, passphrase=PASSPHRASE.encode())
    assert loaded.key.certificate == signer.key.certificate
    assert loaded.anchors == signer.anchors
    with pytest.raises(ConfigurationError) as exists:
        DocumentSigner.create_development(directory, passphrase=PASSPHRASE.encode(), now=now)
    assert exists.value.code == "print.signer_exists"
    with pytest.raises(ConfigurationError) as wrong:
        DocumentSigner.load(directory, passphrase=b"another long passphrase 1234")
    assert wrong.value.code == "x509.passphrase_wrong"


def test_a_missing_signer_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        DocumentSigner.load(tmp_path / "nothing", passphrase=PASSPHRASE.encode())
    assert caught.value.code == "print.signer_missing"
    assert "tawtiq diploma signer create" in str(caught.value)


def test_the_verifier_link_must_be_https_off_loopback(tmp_path: Path, database_url: str) -> None:
    good = load_settings(environment(tmp_path, database_url, TAWTIQ_PRINT_VERIFIER_URL="https://verify.ma/"))
    assert good.print_verifier_url == "https://verify.ma"
    with pytest.raises(ValueError, match="TAWTIQ_PRINT_VERIFIER_URL must use https"):
        load_settings(environment(tmp_path, database_url, TAWTIQ_PRINT_VERIFIER_URL="http://verify.ma"))


def test_print_commands_one_and_a_school(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment(tmp_path, database_url).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(*arguments: str, code: int = 0) -> Any:
        result = runner.invoke(app, list(arguments))
        assert result.exit_code == code, (arguments, result.stdout, result.stderr, result.exception)
        return result

    run("db", "upgrade")
    run("keys", "create")
    cohort = tmp_path / "cohort.csv"
    run("cohort", "generate", "--count", "12", "--seed", "5", "--session", "2024-normale", "--out", str(cohort))
    run("cohort", "import", str(cohort), "--session", "2024-normale")
    run("cohort", "issue", "--session", "2024-normale")
    missing = run("diploma", "print", "BE1", "--out", str(tmp_path / "x.pdf"), code=2)
    assert "print.signer_missing" in missing.stderr
    created = json.loads(run("diploma", "signer", "create", "--json").stdout)
    assert "development document CA" in created["issuer"]
    header, first = cohort.read_text(encoding="utf-8").splitlines()[:2]
    row = dict(zip(header.split(","), first.split(","), strict=False))
    one = json.loads(run("diploma", "print", row["cnie"], "--out", str(tmp_path / "one.pdf"), "--json").stdout)
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF-")
    assert one["file"] == str(tmp_path / "one.pdf")
    bulk = json.loads(
        run("diploma", "print", "--school", row["school.code"], "--out", str(tmp_path / "school"), "--json").stdout
    )
    assert bulk["printed"] >= 1
    for item in bulk["files"]:
        assert Path(item["file"]).name == file_name(item["diploma"])
        assert Path(item["file"]).read_bytes().startswith(b"%PDF-")
    checked = json.loads(run("diploma", "check-print", str(tmp_path / "one.pdf"), "--json").stdout)
    assert checked["valid"] is True
    assert checked["signed_by"] == "Ministère de l'Éducation nationale - Maroc"
    altered = bytearray((tmp_path / "one.pdf").read_bytes())
    altered[altered.index(b"595.28") + 5] = ord("9")
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))
    refused = run("diploma", "check-print", str(tmp_path / "altered.pdf"), code=1)
    assert "pdf.altered" in refused.stderr
    assert "altered after signing" in refused.stderr
    both = run("diploma", "print", row["cnie"], "--school", "X", "--out", str(tmp_path / "y"), code=2)
    assert "not both" in both.stderr
    empty = run("diploma", "print", "--school", "NO-SUCH", "--out", str(tmp_path / "none"), code=1)
    assert "print.school_empty" in empty.stderr
