"""The printed diploma's cost: per diploma, against rendering a blank page of the same kind in the same run.

In-process and interleaved (a blank archival A4 page with the fonts registered; the diploma's page; the page and
its PAdES signature), then end to end on SQLite: ``print_school`` over every school of a generated cohort, which
also signs each graduate's credential copy, records it and writes the files. A minute or less.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

import schemas
from tawtiq.bench.engine import interleaved
from tawtiq.bench.issuer import _PASSPHRASE, _environment, _issued_cohort

#: An offline QR's text of the usual length (a Base45 ``TQ1:`` text: a version 13 code at level Q).
OFFLINE_QR = "TQ1:" + "6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N" * 7


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(*, quick: bool) -> dict[str, Any]:
    """Milliseconds per diploma (drawn, drawn and signed, printed end to end) and their ratios to a blank page."""
    from common.diploma import diploma_contexts
    from common.pdf.sheet import DocumentInfo, Sheet
    from issuer.audit import keyed_engine
    from issuer.db import reading
    from issuer.keyring import Keyring
    from issuer.printing import DocumentSigner, print_school, render_diploma
    from issuer.settings import load_settings
    from vc import Profile, SigningKey, issue

    now = datetime.now(UTC).replace(microsecond=0)
    subject = schemas.DiplomaSubject.parse(schemas.sample_subject())
    credential = issue(
        schemas.w3c_credential(
            schemas.sample_subject(),
            issuer="https://bac.example.ma",
            credential_id="urn:uuid:0b7e6a52-8f0d-4c43-9d55-8f1a3c2b9e10",
            status=[
                schemas.BitstringEntry("revocation", "https://bac.example.ma/status/bitstring/r1", 4242),
                schemas.BitstringEntry("suspension", "https://bac.example.ma/status/bitstring/s1", 4242),
            ],
        ),
        key=SigningKey.generate(),
        issued_at=now,
        profile=Profile.VC_SD_JWT,
        contexts=diploma_contexts(),
        disclosable=schemas.W3C_DISCLOSABLE,
    )
    with tempfile.TemporaryDirectory(prefix="tawtiq-bench-print-") as temporary:
        directory = Path(temporary)
        signer = DocumentSigner.create_development(directory / "signer", passphrase=_PASSPHRASE.encode(), now=now)

        def blank() -> bytes:
            sheet = Sheet(DocumentInfo(title="-", subject="-", author="-", created=now), archival=True)
            sheet.add_page()
            return sheet.finish()

        def render() -> bytes:
            return render_diploma(
                subject,
                diploma_id="urn:uuid:0b7e6a52-8f0d-4c43-9d55-8f1a3c2b9e10",
                credential=str(credential),
                verifier_url="https://verify.example.ma/",
                issued_at=now,
                offline_qr=OFFLINE_QR,
            )

        def render_and_sign() -> bytes:
            return signer.sign(render())

        _log("printing: blank page, diploma, diploma signed (interleaved)")
        micros = interleaved(
            {"blank": blank, "render": render, "render_and_sign": render_and_sign},
            rounds=3 if quick else 7,
            per_round=2,
        )
        signed_bytes = len(render_and_sign())

        count = 8 if quick else 30
        _log(f"printing: the schools of a {count}-graduate cohort, end to end on SQLite")
        settings = load_settings(
            {
                **_environment(directory, f"sqlite:///{directory / 'print.sqlite3'}"),
                "TAWTIQ_DOCUMENT_SIGNER_DIR": str(directory / "signer"),
            }
        )
        engine = keyed_engine(settings)
        _issued_cohort(engine, settings, directory / "cohort.csv", count=count, seed=11)
        with reading(engine) as db:
            claims = db.execute(text("SELECT claims FROM diploma")).scalars().all()
        codes = [schemas.DiplomaSubject.parse(json.loads(item)).school.code for item in claims]
        keyring = Keyring.open(settings.resolved_key_dir, _PASSPHRASE.encode())
        start = time.perf_counter()
        printed = [
            item
            for school in sorted(set(codes))
            for item in print_school(
                engine,
                school=school,
                session_name=None,
                settings=settings,
                keyring=keyring,
                signer=signer,
                actor="bench",
                clock=lambda: datetime.now(UTC) + timedelta(seconds=1),
                out=directory / "out",
            )
        ]
        end_to_end = (time.perf_counter() - start) / len(printed) * 1000
        engine.dispose()
    blank_ms = micros["blank"] / 1000
    return {
        "blank_page_ms": round(blank_ms, 1),
        "diploma_render_ms": round(micros["render"] / 1000, 1),
        "diploma_render_and_sign_ms": round(micros["render_and_sign"] / 1000, 1),
        "diploma_printed_end_to_end_ms": round(end_to_end, 1),
        "diplomas_printed": len(printed),
        "signed_pdf_bytes": signed_bytes,
        "diploma_vs_blank_page": round(micros["render_and_sign"] / micros["blank"], 2),
        "end_to_end_vs_blank_page": round(end_to_end / blank_ms, 2),
    }
