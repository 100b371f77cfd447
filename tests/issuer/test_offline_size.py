"""The offline QR's size: every graduate of a generated cohort of 500,000, and the longest names the generator has,
fit a QR code of version 15 at error correction Q (the printed diploma's room for it).

The encoded text is made for every graduate (signed, compressed, Base45) without drawing each QR code; the
longest is drawn with segno to confirm its version and read back with zxing-cpp.
"""

from __future__ import annotations

import io
import sys
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import segno
import zxingcpp
from PIL import Image

from common.qr import PRINTED_ERROR, PRINTED_MAX_VERSION, qr_png, qr_version
from issuer import generate
from issuer.cohort_file import ExamSession
from vc import OfflineDiploma, SigningKey, decode_offline, issue_offline
from vc.statuslist import TokenStatusReference

ISSUER = "https://bac.men.gov.ma"
SESSION = ExamSession(2026, "rattrapage")  # the longer session type
SHARD_SIZE = 131_072  # TAWTIQ_STATUS_LIST_SIZE's default
#: Characters of alphanumeric data a version 15 QR code holds at level Q.
VERSION_15_Q_CHARACTERS = 426
KEY = SigningKey.generate()
SIGNED_AT = datetime(2026, 7, 10, 12, tzinfo=UTC)


def _text(row: dict[str, str], number: int) -> str:
    diploma = OfflineDiploma(
        credential_id=str(uuid.UUID(int=(number * 0x9E3779B97F4A7C15) % (1 << 128))),
        family_name_ar=row["familyName.ar"],
        family_name_lat=row["familyName.lat"],
        given_name_ar=row["givenName.ar"],
        given_name_lat=row["givenName.lat"],
        birth_date=date.fromisoformat(row["birthDate"]),
        cnie=row["cnie"],
        stream=row["stream.code"],
        session_year=SESSION.year,
        session_type=SESSION.type,
        average=Decimal(row["generalAverage"]),
        mention=row["mention"],
    )
    # Every index in its own shard's list, shards numbered as the issuer numbers them; the last shards' numbers are
    # the longest URLs a registry of 10,000 shards makes.
    shard = 9_000 + number // SHARD_SIZE
    status = TokenStatusReference(index=number % SHARD_SIZE, uri=f"{ISSUER}/status/tsl/{shard}")
    return issue_offline(diploma, issuer=ISSUER, key=KEY, issued_at=SIGNED_AT, status=status)


def _confirm_drawn(text: str) -> int:
    version = qr_version(text, error=PRINTED_ERROR)
    assert segno.make(text, error=PRINTED_ERROR, micro=False).version == version
    image = Image.open(io.BytesIO(qr_png(text, scale=4, error=PRINTED_ERROR)))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [text]
    decode_offline(text).message.verify(KEY.public)
    return version


def test_the_longest_names_the_generator_has_fit() -> None:
    def longest(names: tuple[tuple[str, str], ...]) -> tuple[str, str]:
        return max(names, key=lambda pair: len(pair[0].encode()))[0], max(names, key=lambda pair: len(pair[1]))[1]

    family_ar, family_lat = longest(generate._FAMILY)
    given_ar, given_lat = longest(generate._MALE + generate._FEMALE)
    row = {
        "familyName.ar": family_ar,
        "familyName.lat": family_lat,
        "givenName.ar": given_ar,
        "givenName.lat": given_lat,
        "birthDate": "2005-12-31",
        "cnie": "AB123456",
        "stream.code": max(generate._STREAM_WEIGHTS, key=len),
        "generalAverage": "19.95",
        "mention": "tres_bien",
    }
    text = _text(row, 999_999)
    assert len(text) <= VERSION_15_Q_CHARACTERS
    assert _confirm_drawn(text) <= PRINTED_MAX_VERSION


@pytest.mark.slow
def test_every_graduate_of_a_500000_cohort_fits_version_15_at_level_q() -> None:
    count = 500_000
    lengths: dict[int, int] = {}
    longest_text = ""
    for number, row in enumerate(generate.generate_cohort(count=count, seed=2026, session=SESSION)):
        text = _text(row, number)
        lengths[len(text)] = lengths.get(len(text), 0) + 1
        if len(text) > len(longest_text):
            longest_text = text
    assert sum(lengths.values()) == count
    assert max(lengths) <= VERSION_15_Q_CHARACTERS
    version = _confirm_drawn(longest_text)
    assert version <= PRINTED_MAX_VERSION
    versions = sorted({qr_version("A" * length, error=PRINTED_ERROR) for length in lengths})
    print(  # the README's figures
        f"\noffline QR over {count} graduates: {min(lengths)}-{max(lengths)} characters, "
        f"QR versions {versions} at level Q, largest drawn: version {version}",
        file=sys.stderr,
    )
