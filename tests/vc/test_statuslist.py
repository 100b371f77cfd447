"""Status lists: the published vectors for both bit orders, round trips, and one test per failure mode."""

from __future__ import annotations

import gzip
import hashlib
import tracemalloc
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CONFORMANCE, load_conformance
from vc.encoding import b64url_decode, b64url_encode
from vc.errors import ConfigurationError, FormatError, StatusError
from vc.statuslist import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    MIN_BITSTRING_BITS,
    MIN_BITSTRING_ENTRIES,
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    BitOrder,
    BitstringStatusEntry,
    StatusList,
    StatusMessage,
    TokenStatusReference,
    bitstring_status_list_credential,
    decode_bitstring,
    decode_token_status_list,
    encode_bitstring,
    encode_token_status_list,
    parse_bitstring_status_entry,
    parse_bitstring_status_list_credential,
    parse_token_status_list_payload,
    parse_token_status_reference,
    token_status_list_payload,
)

SECTION4 = load_conformance("status-lists/token-status-list/section4-examples.json")["examples"]
APPENDIX = load_conformance("status-lists/token-status-list/appendix-test-vectors.json")["vectors"]
REC_EXAMPLE = load_conformance("status-lists/bitstring-status-list/spec-examples.json")["examples"][0]
DERIVED = load_conformance("status-lists/derived-bit-order.json")

MSB = BitOrder.MSB_FIRST
LSB = BitOrder.LSB_FIRST
LIST_URL = "https://status.tawtiq.example/bsl/1"
TSL_URL = "https://status.tawtiq.example/tsl/1"
MESSAGES = [
    {"status": "0x0", "message": "pending_review"},
    {"status": "0x1", "message": "accepted"},
    {"status": "0x2", "message": "rejected"},
    {"status": "0x3", "message": "undefined"},
]
_DELETE = object()


def _changed(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with members replaced, or removed when given ``_DELETE``."""
    result = dict(base)
    for name, value in changes.items():
        key = {"context": "@context"}.get(name, name)
        if value is _DELETE:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _gzip_text(data: bytes) -> str:
    return "u" + b64url_encode(gzip.compress(data, mtime=0))


def _zeros_stream(total_bytes: int, *, wbits: int) -> bytes:
    """Compress ``total_bytes`` zeros a megabyte at a time, never holding them all."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(total_bytes // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """50 MB of zeros as one GZIP stream (about 50 KB)."""
    return _zeros_stream(50 << 20, wbits=31)


@pytest.fixture(scope="module")
def zlib_bomb() -> bytes:
    """50 MB of zeros as one ZLIB stream (about 50 KB)."""
    return _zeros_stream(50 << 20, wbits=15)


def _reverse_bits(byte: int) -> int:
    return int(f"{byte:08b}"[::-1], 2)


# --- Spec vectors -------------------------------------------------------------------------------------------


def test_every_status_list_vector_file_is_covered() -> None:
    files = {
        path.relative_to(CONFORMANCE / "status-lists").as_posix() for path in CONFORMANCE.glob("status-lists/**/*.json")
    }
    assert files == {
        "token-status-list/section4-examples.json",
        "token-status-list/appendix-test-vectors.json",
        "bitstring-status-list/spec-examples.json",
        "derived-bit-order.json",
    }


@pytest.mark.parametrize("example", SECTION4, ids=lambda example: f"bits{example['bits']}")
def test_tsl_section4_statuses_pack_lsb_first_into_printed_bytes(example: dict[str, Any]) -> None:
    built = StatusList.from_entries(
        size=example["size"], bits=example["bits"], order=LSB, entries=enumerate(example["statuses"])
    )
    assert built.data.hex() == example["byte_array_hex"]


@pytest.mark.parametrize("example", SECTION4, ids=lambda example: f"bits{example['bits']}")
def test_tsl_section4_lst_decodes_to_printed_bytes(example: dict[str, Any]) -> None:
    assert b64url_decode(example["json"]["lst"]).hex() == example["compressed_hex"]
    decoded = decode_token_status_list(example["json"])
    assert decoded.data.hex() == example["byte_array_hex"]
    assert decoded.bits == example["bits"]
    assert decoded.order is LSB
    assert [decoded.get(index) for index in range(example["size"])] == example["statuses"]


@pytest.mark.parametrize("vector", APPENDIX, ids=lambda vector: f"bits{vector['bits']}")
def test_tsl_appendix_vector_decodes_lsb_first(vector: dict[str, Any]) -> None:
    decoded = decode_token_status_list(vector["json"])
    statuses = {int(index): value for index, value in vector["statuses"].items()}

    assert decoded.size == vector["size"]
    assert len(decoded.data) == vector["decompressed_length_bytes"]
    assert hashlib.sha256(decoded.data).hexdigest() == vector["decompressed_sha256_hex"]
    for index, value in statuses.items():
        assert decoded.get(index) == value, index
    assert dict(decoded.nonzero()) == {index: value for index, value in statuses.items() if value}
    assert {index: f"0x{decoded.data[index]:02x}" for index in range(len(decoded.data)) if decoded.data[index]} == {
        int(index): value for index, value in vector["nonzero_bytes"].items()
    }
    unlisted = [i for index in statuses for i in (index - 1, index + 1) if 0 <= i < decoded.size and i not in statuses]
    unlisted += [1, 2, 1_000, decoded.size // 2, decoded.size - 1]
    assert all(decoded.get(index) == STATUS_VALID for index in unlisted if index not in statuses)


@pytest.mark.parametrize("vector", APPENDIX, ids=lambda vector: f"bits{vector['bits']}")
def test_tsl_appendix_vector_rebuilds_from_statuses(vector: dict[str, Any]) -> None:
    statuses = {int(index): value for index, value in vector["statuses"].items()}
    built = StatusList.from_entries(size=vector["size"], bits=vector["bits"], order=LSB, entries=statuses.items())

    assert built == decode_token_status_list(vector["json"])
    assert decode_token_status_list(encode_token_status_list(built)) == built


def test_bitstring_rec_example_is_131072_zero_bits_msb_first() -> None:
    decoded = decode_bitstring(REC_EXAMPLE["encodedList"])

    assert decoded.order is MSB
    assert decoded.bits == 1
    assert decoded.size == REC_EXAMPLE["decompressed_length_bits"] == MIN_BITSTRING_BITS
    assert decoded.data == bytes(REC_EXAMPLE["decompressed_length_bytes"])
    assert list(decoded.nonzero()) == []


def test_bitstring_rec_example_credential_parses() -> None:
    document = parse_bitstring_status_list_credential(REC_EXAMPLE["credential"])

    assert document.credential_id == "https://example.com/credentials/status/3"
    assert document.issuer == "did:example:12345"
    assert document.purpose == "revocation"
    assert document.purposes == ("revocation",)
    assert document.covers("revocation")
    assert not document.covers("suspension")
    assert document.status_size == 1
    assert document.status_messages == ()
    assert document.ttl_ms is None
    assert document.valid_from == datetime(2021, 4, 5, 14, 27, 40, tzinfo=UTC)
    assert document.valid_until is None
    assert document.status_list == decode_bitstring(REC_EXAMPLE["encodedList"])


def test_derived_vector_msb_first_bitstring() -> None:
    vector = DERIVED["bitstring_status_list"]
    decoded = decode_bitstring(vector["encodedList"])

    assert [index for index, _ in decoded.nonzero()] == DERIVED["set_indices"]
    assert decoded.size == DERIVED["size"]
    assert decoded.data[:2].hex() == vector["first_bytes_hex"] == "9dc5"
    assert decoded.data[-1:].hex() == vector["last_byte_hex"]


def test_derived_vector_lsb_first_token_status_list() -> None:
    vector = DERIVED["token_status_list"]
    decoded = decode_token_status_list(vector["json"])

    assert [index for index, _ in decoded.nonzero()] == DERIVED["set_indices"]
    assert decoded.size == DERIVED["size"]
    assert decoded.data[:2].hex() == vector["first_bytes_hex"] == "b9a3"
    assert decoded.data[-1:].hex() == vector["last_byte_hex"]


def test_derived_vector_orders_differ_by_bit_reversal_of_each_byte() -> None:
    msb = decode_bitstring(DERIVED["bitstring_status_list"]["encodedList"])
    lsb = decode_token_status_list(DERIVED["token_status_list"]["json"])
    entries = [(index, 1) for index in DERIVED["set_indices"]]

    assert msb.data == bytes(_reverse_bits(byte) for byte in lsb.data)
    assert StatusList.from_entries(size=DERIVED["size"], bits=1, order=MSB, entries=entries) == msb
    assert StatusList.from_entries(size=DERIVED["size"], bits=1, order=LSB, entries=entries) == lsb


@pytest.mark.parametrize(
    ("bits", "values", "byte_hex"),
    [
        (2, [1, 2, 0, 3], "63"),  # 01 10 00 11, read left to right
        (4, [0xA, 0x5], "a5"),
        (8, [0x7F], "7f"),
    ],
)
def test_msb_first_multi_bit_entries_are_big_endian_from_the_left(bits: int, values: list[int], byte_hex: str) -> None:
    built = StatusList.from_entries(size=len(values), bits=bits, order=MSB, entries=enumerate(values))

    assert built.data.hex() == byte_hex
    assert [built.get(index) for index in range(len(values))] == values


def test_lsb_first_two_bit_entries_match_the_draft_layout() -> None:
    built = StatusList.from_entries(size=4, bits=2, order=LSB, entries=enumerate([1, 2, 0, 3]))

    assert built.data.hex() == "c9"  # draft-20 §4.1: 11 00 10 01


# --- Round trips --------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(bits=st.sampled_from([1, 2, 4, 8]), data=st.data())
def test_bitstring_round_trip_keeps_every_value(bits: int, data: st.DataObject) -> None:
    size = MIN_BITSTRING_ENTRIES
    entries = data.draw(st.dictionaries(st.integers(0, size - 1), st.integers(0, (1 << bits) - 1), max_size=64))
    built = StatusList.from_entries(size=size, bits=bits, order=MSB, entries=entries.items())

    decoded = decode_bitstring(encode_bitstring(built), status_size=bits)

    assert decoded == built
    assert all(decoded.get(index) == value for index, value in entries.items())
    assert dict(decoded.nonzero()) == {index: value for index, value in entries.items() if value}


@settings(max_examples=60, deadline=None)
@given(bits=st.sampled_from([1, 2, 4, 8]), data=st.data())
def test_token_status_list_round_trip_keeps_every_value(bits: int, data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 5_000))
    entries = data.draw(st.dictionaries(st.integers(0, size - 1), st.integers(0, (1 << bits) - 1), max_size=64))
    built = StatusList.from_entries(size=size, bits=bits, order=LSB, entries=entries.items())

    decoded = decode_token_status_list(encode_token_status_list(built))

    assert decoded == built
    assert all(decoded.get(index) == value for index, value in entries.items())
    assert dict(decoded.nonzero()) == {index: value for index, value in entries.items() if value}


def test_from_entries_rounds_size_up_to_whole_bytes() -> None:
    assert StatusList.from_entries(size=12, bits=1, order=LSB, entries=[]).size == 16
    assert StatusList.from_entries(size=12, bits=2, order=LSB, entries=[]).size == 12
    assert StatusList.from_entries(size=3, bits=4, order=MSB, entries=[]).size == 4


def test_with_entries_returns_a_copy_and_later_pairs_win() -> None:
    original = StatusList.from_entries(size=16, bits=2, order=LSB, entries=[(3, STATUS_SUSPENDED)])
    updated = original.with_entries([(3, STATUS_INVALID), (5, STATUS_SUSPENDED), (5, STATUS_INVALID)])

    assert original.get(3) == STATUS_SUSPENDED
    assert original.get(5) == STATUS_VALID
    assert updated.get(3) == STATUS_INVALID
    assert updated.get(5) == STATUS_INVALID
    assert updated.with_entries([(3, STATUS_VALID)]).get(3) == STATUS_VALID


def test_a_full_size_list_holds_exactly_the_entries_it_was_built_with() -> None:
    indices = range(0, MIN_BITSTRING_ENTRIES, 13)[:10_000]
    built = StatusList.from_entries(
        size=MIN_BITSTRING_ENTRIES, bits=1, order=MSB, entries=((index, 1) for index in indices)
    )
    assert [index for index, _ in built.nonzero()] == list(indices)


def test_encode_bitstring_is_deterministic() -> None:
    built = StatusList.from_entries(size=MIN_BITSTRING_ENTRIES, bits=1, order=MSB, entries=[(7, 1)])
    first, second = encode_bitstring(built), encode_bitstring(built)
    compressed = b64url_decode(first[1:])

    assert first == second
    assert compressed[:3] == b"\x1f\x8b\x08"  # GZIP, deflate
    assert compressed[4:8] == bytes(4)  # mtime 0


def test_encode_token_status_list_is_zlib_and_carries_aggregation_uri() -> None:
    built = StatusList.from_entries(size=16, bits=1, order=LSB, entries=[(0, 1)])
    encoded = encode_token_status_list(built, aggregation_uri="https://status.tawtiq.example/tsl")

    assert encoded["bits"] == 1
    assert b64url_decode(encoded["lst"])[:1] == b"\x78"
    assert encoded["aggregation_uri"] == "https://status.tawtiq.example/tsl"
    assert "aggregation_uri" not in encode_token_status_list(built)


def test_status_type_values_follow_the_draft() -> None:
    assert (STATUS_VALID, STATUS_INVALID, STATUS_SUSPENDED) == (0x00, 0x01, 0x02)


def test_repr_does_not_dump_the_list() -> None:
    built = StatusList.from_entries(size=MIN_BITSTRING_ENTRIES, bits=1, order=MSB, entries=[])
    assert repr(built) == "StatusList(size=131072, bits=1, order='msb-first')"


# --- Documents ----------------------------------------------------------------------------------------------


def test_status_list_credential_round_trip(now: datetime) -> None:
    built = StatusList.from_entries(size=MIN_BITSTRING_ENTRIES, bits=1, order=MSB, entries=[(94567, 1)])
    credential = bitstring_status_list_credential(
        credential_id=LIST_URL,
        issuer="did:web:tawtiq.example",
        purpose="revocation",
        encoded_list=encode_bitstring(built),
        valid_from=now.astimezone(timezone(timedelta(hours=1))),
        valid_until=now + timedelta(days=1),
        ttl_ms=300_000,
    )

    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["validFrom"] == "2026-07-01T12:00:00Z"
    assert credential["validUntil"] == "2026-07-02T12:00:00Z"
    assert credential["credentialSubject"] == {
        "id": f"{LIST_URL}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": encode_bitstring(built),
        "ttl": 300_000,
    }
    document = parse_bitstring_status_list_credential(credential)
    assert document.credential_id == LIST_URL
    assert document.issuer == "did:web:tawtiq.example"
    assert (document.valid_from, document.valid_until) == (now, now + timedelta(days=1))
    assert document.ttl_ms == 300_000
    assert document.status_list == built
    assert document.status_list.get(94567) == 1


def test_message_list_credential_carries_size_and_messages(now: datetime) -> None:
    built = StatusList.from_entries(size=MIN_BITSTRING_ENTRIES, bits=2, order=MSB, entries=[(92847, 2)])
    credential = bitstring_status_list_credential(
        credential_id=LIST_URL,
        issuer="did:web:tawtiq.example",
        purpose="message",
        encoded_list=encode_bitstring(built),
        valid_from=now,
        status_size=2,
        status_messages=MESSAGES,
    )

    assert credential["credentialSubject"]["statusSize"] == 2
    assert credential["credentialSubject"]["statusMessage"] == MESSAGES
    document = parse_bitstring_status_list_credential(credential, status_size=2)
    assert document.status_size == 2
    assert document.status_messages[document.status_list.get(92847)] == StatusMessage(status=2, message="rejected")


def test_status_list_credential_accepts_issuer_object_and_several_purposes() -> None:
    credential = _changed(REC_EXAMPLE["credential"], issuer={"id": "did:example:12345", "name": "Ministry"})
    credential["credentialSubject"] = _changed(
        credential["credentialSubject"], statusPurpose=["revocation", "suspension"]
    )
    document = parse_bitstring_status_list_credential(credential)

    assert document.issuer == "did:example:12345"
    assert document.purposes == ("revocation", "suspension")
    assert document.covers("suspension")


def test_token_status_list_payload_round_trip(now: datetime) -> None:
    built = StatusList.from_entries(size=1 << 17, bits=2, order=LSB, entries=[(42, STATUS_SUSPENDED)])
    payload = token_status_list_payload(
        subject=TSL_URL,
        issued_at=now,
        expires_at=now + timedelta(hours=12),
        ttl_seconds=43_200,
        status_list=encode_token_status_list(built, aggregation_uri="https://status.tawtiq.example/tsl"),
        issuer="https://tawtiq.example",
    )

    assert list(payload) == ["iss", "sub", "iat", "exp", "ttl", "status_list"]
    assert payload["iat"] == int(now.timestamp())
    assert payload["exp"] - payload["iat"] == 43_200
    document = parse_token_status_list_payload(payload)
    assert document.subject == TSL_URL
    assert document.issuer == "https://tawtiq.example"
    assert (document.issued_at, document.expires_at) == (now, now + timedelta(hours=12))
    assert document.ttl_seconds == 43_200
    assert document.aggregation_uri == "https://status.tawtiq.example/tsl"
    assert document.status_list == built


def test_token_status_list_payload_omits_unset_optional_claims(now: datetime) -> None:
    built = StatusList.from_entries(size=16, bits=1, order=LSB, entries=[])
    payload = token_status_list_payload(
        subject=TSL_URL, issued_at=now, expires_at=None, ttl_seconds=None, status_list=encode_token_status_list(built)
    )

    assert list(payload) == ["sub", "iat", "status_list"]
    document = parse_token_status_list_payload(payload)
    assert (document.issuer, document.expires_at, document.ttl_seconds) == (None, None, None)


def test_draft_example_status_list_token_claims_parse() -> None:
    # draft-20 §5.1, the non-normative Status List Token example.
    document = parse_token_status_list_payload(
        {
            "exp": 2291720170,
            "iat": 1686920170,
            "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
            "sub": "https://example.com/statuslists/1",
            "ttl": 43200,
        }
    )

    assert document.issued_at == datetime.fromtimestamp(1686920170, UTC)
    assert document.expires_at == datetime.fromtimestamp(2291720170, UTC)
    assert document.status_list.data.hex() == "b9a3"


ENTRY = {
    "id": "https://example.com/credentials/status/3#94567",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "94567",
    "statusListCredential": "https://example.com/credentials/status/3",
}
MESSAGE_ENTRY = {
    "id": "https://example.com/credentials/status/8#492847",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "message",
    "statusListIndex": "492847",
    "statusSize": 2,
    "statusListCredential": "https://example.com/credentials/status/8",
    "statusMessage": MESSAGES,
    "statusReference": "https://example.org/status-dictionary/",
}


def test_rec_example_entries_parse() -> None:
    assert parse_bitstring_status_entry(ENTRY) == BitstringStatusEntry(
        purpose="revocation",
        index=94567,
        list_credential="https://example.com/credentials/status/3",
        id="https://example.com/credentials/status/3#94567",
    )
    entry = parse_bitstring_status_entry(MESSAGE_ENTRY)
    assert (entry.purpose, entry.index, entry.status_size) == ("message", 492847, 2)
    assert [message.message for message in entry.status_messages] == [
        "pending_review",
        "accepted",
        "rejected",
        "undefined",
    ]
    assert parse_bitstring_status_entry(_changed(ENTRY, statusListIndex="0", id=_DELETE)).index == 0


def test_draft_example_status_reference_parses() -> None:
    claim = {"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}}
    assert parse_token_status_reference(claim) == TokenStatusReference(index=0, uri="https://example.com/statuslists/1")


# --- Failure modes: list encodings --------------------------------------------------------------------------


def _code(error: pytest.ExceptionInfo[Exception]) -> str:
    return str(getattr(error.value, "code", ""))


def test_bitstring_without_multibase_prefix_is_malformed() -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring(REC_EXAMPLE["encodedList"][1:])
    assert _code(error) == "status.list_malformed"


def test_bitstring_that_is_not_a_string_is_malformed() -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring(b"uH4sI")  # type: ignore[arg-type]
    assert _code(error) == "status.list_malformed"


@pytest.mark.parametrize(
    "body", ["H4sI=", "H4+/sI", "H4s I", "Ĥ4sI"], ids=["padding", "base64-alphabet", "space", "non-ascii"]
)
def test_bitstring_with_bad_base64url_is_malformed(body: str) -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring("u" + body)
    assert _code(error) == "status.list_malformed"


def test_bitstring_that_is_not_gzip_is_refused() -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring("u" + b64url_encode(bytes(MIN_BITSTRING_BITS // 8)))
    assert _code(error) == "status.list_compression"


def test_zlib_data_given_to_the_bitstring_decoder_is_refused() -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring("u" + b64url_encode(zlib.compress(bytes(16384), 9)))
    assert _code(error) == "status.list_compression"


def test_gzip_data_given_to_the_token_status_list_decoder_is_refused() -> None:
    with pytest.raises(FormatError) as error:
        decode_token_status_list({"bits": 1, "lst": b64url_encode(gzip.compress(bytes(16)))})
    assert _code(error) == "status.list_compression"


def test_truncated_gzip_stream_is_refused() -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring("u" + b64url_encode(gzip.compress(bytes(16384))[:-4]))
    assert _code(error) == "status.list_compression"


def test_data_after_the_gzip_stream_is_refused() -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring("u" + b64url_encode(gzip.compress(bytes(16384)) + gzip.compress(b"\x01")))
    assert _code(error) == "status.list_compression"


def test_gzip_bomb_is_refused_without_inflating_it(gzip_bomb: bytes) -> None:
    encoded = "u" + b64url_encode(gzip_bomb)
    tracemalloc.start()
    try:
        with pytest.raises(StatusError) as error:
            decode_bitstring(encoded, max_bytes=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert _code(error) == "status.list_too_large"
    assert peak < 4 << 20  # the 50 MB never exist; at most max_bytes + 1 were produced


def test_gzip_bomb_is_refused_under_the_default_limit(gzip_bomb: bytes) -> None:
    with pytest.raises(StatusError) as error:
        decode_bitstring("u" + b64url_encode(gzip_bomb))
    assert _code(error) == "status.list_too_large"
    assert DEFAULT_MAX_DECOMPRESSED_BYTES == 4 * 1024 * 1024


def test_zlib_bomb_is_refused(zlib_bomb: bytes) -> None:
    with pytest.raises(StatusError) as error:
        decode_token_status_list({"bits": 1, "lst": b64url_encode(zlib_bomb)}, max_bytes=1 << 20)
    assert _code(error) == "status.list_too_large"


def test_text_too_long_for_the_limit_is_refused_before_decoding() -> None:
    with pytest.raises(StatusError) as error:
        decode_bitstring("u" + "A" * 10_000, max_bytes=1024)
    assert _code(error) == "status.list_too_large"


def test_bitstring_under_131072_bits_is_too_short() -> None:
    with pytest.raises(StatusError) as error:
        decode_bitstring(_gzip_text(bytes(MIN_BITSTRING_BITS // 8 - 1)))
    assert _code(error) == "status.list_too_short"


def test_two_bit_bitstring_under_131072_entries_is_too_short() -> None:
    # REC §3.2 step 9 counts entries (bits / statusSize), so 16 KB holds only 65,536 two-bit entries.
    with pytest.raises(StatusError) as error:
        decode_bitstring(_gzip_text(bytes(MIN_BITSTRING_BITS // 8)), status_size=2)
    assert _code(error) == "status.list_too_short"


def test_bitstring_status_size_3_is_unsupported() -> None:
    with pytest.raises(FormatError) as error:
        decode_bitstring(REC_EXAMPLE["encodedList"], status_size=3)
    assert _code(error) == "status.bits_unsupported"


def test_token_status_list_bits_3_is_unsupported() -> None:
    with pytest.raises(FormatError) as error:
        decode_token_status_list({"bits": 3, "lst": "eNrbuRgAAhcBXQ"})
    assert _code(error) == "status.bits_unsupported"


@pytest.mark.parametrize("bits", [True, "1", 1.0, None], ids=["bool", "string", "float", "null"])
def test_token_status_list_bits_that_are_not_integers_are_malformed(bits: Any) -> None:
    with pytest.raises(FormatError) as error:
        decode_token_status_list({"bits": bits, "lst": "eNrbuRgAAhcBXQ"})
    assert _code(error) == "status.list_malformed"


@pytest.mark.parametrize(
    "obj",
    [
        {"bits": 1},
        {"bits": 1, "lst": 12},
        {"bits": 1, "lst": "eNrbuRgAAhcBXQ", "aggregation_uri": 7},
        [1, "eNrbuRgAAhcBXQ"],
    ],
    ids=["no-lst", "lst-number", "aggregation-uri-number", "not-object"],
)
def test_token_status_list_with_bad_members_is_malformed(obj: Any) -> None:
    with pytest.raises(FormatError) as error:
        decode_token_status_list(obj)
    assert _code(error) == "status.list_malformed"


@pytest.mark.parametrize("bits", [3, 0, 16, True], ids=["3", "0", "16", "bool"])
def test_status_list_with_unsupported_bits_is_a_configuration_error(bits: Any) -> None:
    with pytest.raises(ConfigurationError) as error:
        StatusList(bytes(2), bits=bits, order=LSB)
    assert _code(error) == "status.bits_unsupported"


@pytest.mark.parametrize("index", [16, 1 << 40, -1], ids=["size", "huge", "negative"])
def test_index_outside_the_list_is_out_of_range(index: int) -> None:
    lst = StatusList(bytes(2), bits=1, order=LSB)
    with pytest.raises(StatusError) as error:
        lst.get(index)
    assert _code(error) == "status.index_out_of_range"
    assert str(index) in str(error.value)
    assert "16 entries" in str(error.value)


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([(12, 1)], "status.entry_index_out_of_range"),
        ([(-1, 1)], "status.entry_index_out_of_range"),
        ([(0, 4)], "status.entry_value_out_of_range"),
        ([(0, -1)], "status.entry_value_out_of_range"),
    ],
    ids=["index-past-size", "index-negative", "value-too-wide", "value-negative"],
)
def test_from_entries_refuses_entries_that_do_not_fit(entries: list[tuple[int, int]], code: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        StatusList.from_entries(size=12, bits=2, order=LSB, entries=entries)
    assert _code(error) == code


def test_from_entries_refuses_an_empty_list() -> None:
    with pytest.raises(ConfigurationError) as error:
        StatusList.from_entries(size=0, bits=1, order=LSB, entries=[])
    assert _code(error) == "status.size_invalid"


def test_encode_bitstring_refuses_lsb_first() -> None:
    with pytest.raises(ConfigurationError) as error:
        encode_bitstring(StatusList(bytes(MIN_BITSTRING_BITS // 8), bits=1, order=LSB))
    assert _code(error) == "status.order_mismatch"


def test_encode_bitstring_refuses_a_short_list() -> None:
    with pytest.raises(ConfigurationError) as error:
        encode_bitstring(StatusList(bytes(MIN_BITSTRING_BITS // 8), bits=2, order=MSB))
    assert _code(error) == "status.list_too_short"


def test_encode_token_status_list_refuses_msb_first() -> None:
    with pytest.raises(ConfigurationError) as error:
        encode_token_status_list(StatusList(bytes(2), bits=1, order=MSB))
    assert _code(error) == "status.order_mismatch"


@pytest.mark.parametrize("max_bytes", [0, -1, True], ids=["zero", "negative", "bool"])
def test_max_bytes_must_be_positive(max_bytes: Any) -> None:
    with pytest.raises(ConfigurationError) as error:
        decode_bitstring(REC_EXAMPLE["encodedList"], max_bytes=max_bytes)
    assert _code(error) == "status.max_bytes_invalid"


# --- Failure modes: entries in credentials ------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(_changed(ENTRY, statusListIndex=94567), id="numeric-index"),
        pytest.param(_changed(ENTRY, statusListIndex="094567"), id="leading-zeros"),
        pytest.param(_changed(ENTRY, statusListIndex="+94567"), id="plus-sign"),
        pytest.param(_changed(ENTRY, statusListIndex="-1"), id="negative"),
        pytest.param(_changed(ENTRY, statusListIndex=" 94567"), id="space"),
        pytest.param(_changed(ENTRY, statusListIndex="94567\n"), id="newline"),
        pytest.param(_changed(ENTRY, statusListIndex="٩٤٥٦٧"), id="arabic-indic-digits"),
        pytest.param(_changed(ENTRY, statusListIndex=""), id="empty-index"),
        pytest.param(_changed(ENTRY, statusListIndex="1" * 19), id="index-too-long"),
        pytest.param(_changed(ENTRY, statusListIndex=_DELETE), id="no-index"),
        pytest.param(_changed(ENTRY, statusListCredential="ftp://example.com/status/3"), id="ftp-url"),
        pytest.param(_changed(ENTRY, statusListCredential="did:example:12345"), id="did-url"),
        pytest.param(_changed(ENTRY, statusListCredential="https:///status/3"), id="no-host"),
        pytest.param(_changed(ENTRY, statusListCredential="https://example.com/status 3"), id="url-with-space"),
        pytest.param(_changed(ENTRY, statusListCredential="https://user@example.com/3"), id="url-with-user"),
        pytest.param(_changed(ENTRY, statusListCredential=_DELETE), id="no-list-credential"),
        pytest.param(_changed(ENTRY, type="StatusList2021Entry"), id="wrong-type"),
        pytest.param(_changed(ENTRY, type=["BitstringStatusListEntry"]), id="type-array"),
        pytest.param(_changed(ENTRY, type=_DELETE), id="no-type"),
        pytest.param(_changed(ENTRY, statusPurpose=""), id="empty-purpose"),
        pytest.param(_changed(ENTRY, statusPurpose=["revocation"]), id="purpose-array"),
        pytest.param(_changed(ENTRY, statusPurpose=_DELETE), id="no-purpose"),
        pytest.param(_changed(ENTRY, statusSize=0), id="status-size-zero"),
        pytest.param(_changed(ENTRY, statusSize=True), id="status-size-bool"),
        pytest.param(_changed(ENTRY, statusSize="1"), id="status-size-string"),
        pytest.param(_changed(ENTRY, statusSize=16), id="status-size-too-wide"),
        pytest.param(_changed(MESSAGE_ENTRY, statusMessage=_DELETE), id="multi-bit-without-messages"),
        pytest.param(_changed(MESSAGE_ENTRY, statusMessage=MESSAGES[:3]), id="too-few-messages"),
        pytest.param(_changed(MESSAGE_ENTRY, statusMessage=[*MESSAGES[:3], MESSAGES[0]]), id="repeated-status"),
        pytest.param(
            _changed(MESSAGE_ENTRY, statusMessage=[*MESSAGES[:3], {"status": "3", "message": "x"}]), id="status-not-hex"
        ),
        pytest.param(_changed(MESSAGE_ENTRY, statusMessage=[*MESSAGES[:3], {"status": "0x3"}]), id="no-message-text"),
        pytest.param(_changed(ENTRY, id=ENTRY["statusListCredential"]), id="id-is-the-list-url"),
        pytest.param(_changed(ENTRY, id=42), id="id-not-string"),
        pytest.param([ENTRY], id="not-an-object"),
    ],
)
def test_malformed_bitstring_status_entry_is_refused(entry: Any) -> None:
    with pytest.raises(FormatError) as error:
        parse_bitstring_status_entry(entry)
    assert _code(error) == "status.entry_invalid"
    assert error.value.expected is not None


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param({"status_list": {"idx": "0", "uri": TSL_URL}}, id="string-idx"),
        pytest.param({"status_list": {"idx": -1, "uri": TSL_URL}}, id="negative-idx"),
        pytest.param({"status_list": {"idx": True, "uri": TSL_URL}}, id="bool-idx"),
        pytest.param({"status_list": {"idx": 1.0, "uri": TSL_URL}}, id="float-idx"),
        pytest.param({"status_list": {"uri": TSL_URL}}, id="no-idx"),
        pytest.param({"status_list": {"idx": 0, "uri": "http://status.tawtiq.example/tsl/1"}}, id="http-uri"),
        pytest.param({"status_list": {"idx": 0, "uri": 7}}, id="uri-number"),
        pytest.param({"status_list": {"idx": 0}}, id="no-uri"),
        pytest.param({"status_list": [0, TSL_URL]}, id="status-list-array"),
        pytest.param({"attested_status": {}}, id="no-status-list"),
        pytest.param("status_list", id="not-an-object"),
    ],
)
def test_malformed_token_status_reference_is_refused(claim: Any) -> None:
    with pytest.raises(FormatError) as error:
        parse_token_status_reference(claim)
    assert _code(error) == "status.entry_invalid"


# --- Failure modes: status-list documents -------------------------------------------------------------------

CREDENTIAL: dict[str, Any] = REC_EXAMPLE["credential"]
SUBJECT: dict[str, Any] = CREDENTIAL["credentialSubject"]


@pytest.mark.parametrize(
    "credential",
    [
        pytest.param([CREDENTIAL], id="not-an-object"),
        pytest.param(_changed(CREDENTIAL, context=_DELETE), id="no-context"),
        pytest.param(_changed(CREDENTIAL, context=["https://www.w3.org/2018/credentials/v1"]), id="v1-context"),
        pytest.param(_changed(CREDENTIAL, type=["VerifiableCredential"]), id="wrong-type"),
        pytest.param(_changed(CREDENTIAL, type=["VerifiableCredential", 7]), id="type-not-strings"),
        pytest.param(_changed(CREDENTIAL, id=7), id="id-number"),
        pytest.param(_changed(CREDENTIAL, issuer=7), id="issuer-number"),
        pytest.param(_changed(CREDENTIAL, issuer={"name": "Ministry"}), id="issuer-without-id"),
        pytest.param(_changed(CREDENTIAL, validFrom="2021-04-05"), id="valid-from-date-only"),
        pytest.param(_changed(CREDENTIAL, validFrom="2021-04-05T14:27:40"), id="valid-from-no-timezone"),
        pytest.param(_changed(CREDENTIAL, validUntil=1617632860), id="valid-until-number"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_DELETE), id="no-subject"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=[SUBJECT]), id="subject-array"),
        pytest.param(
            _changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, type="StatusList2021")), id="subject-type"
        ),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, statusPurpose=7)), id="purpose-number"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, statusPurpose=[])), id="purpose-empty"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, encodedList=_DELETE)), id="no-list"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, encodedList=7)), id="list-number"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, ttl=-1)), id="ttl-negative"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, ttl="500")), id="ttl-string"),
        pytest.param(_changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, statusSize="1")), id="size-string"),
        pytest.param(
            _changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, statusMessage=MESSAGES)), id="messages-wrong-count"
        ),
    ],
)
def test_malformed_status_list_credential_is_refused(credential: Any) -> None:
    with pytest.raises(FormatError) as error:
        parse_bitstring_status_list_credential(credential)
    assert _code(error) == "status.list_malformed"


def test_status_list_credential_size_differing_from_the_entry_is_refused() -> None:
    credential = _changed(CREDENTIAL, credentialSubject=_changed(SUBJECT, statusSize=1))
    with pytest.raises(StatusError) as error:
        parse_bitstring_status_list_credential(credential, status_size=2)
    assert _code(error) == "status.size_mismatch"


PAYLOAD: dict[str, Any] = {
    "sub": "https://example.com/statuslists/1",
    "iat": 1686920170,
    "exp": 2291720170,
    "ttl": 43200,
    "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([PAYLOAD], id="not-an-object"),
        pytest.param(_changed(PAYLOAD, sub=_DELETE), id="no-sub"),
        pytest.param(_changed(PAYLOAD, sub=7), id="sub-number"),
        pytest.param(_changed(PAYLOAD, sub=""), id="sub-empty"),
        pytest.param(_changed(PAYLOAD, iat=_DELETE), id="no-iat"),
        pytest.param(_changed(PAYLOAD, iat="1686920170"), id="iat-string"),
        pytest.param(_changed(PAYLOAD, iat=True), id="iat-bool"),
        pytest.param(_changed(PAYLOAD, iat=10**20), id="iat-out-of-range"),
        pytest.param(_changed(PAYLOAD, exp="never"), id="exp-string"),
        pytest.param(_changed(PAYLOAD, ttl=0), id="ttl-zero"),
        pytest.param(_changed(PAYLOAD, ttl=1.5), id="ttl-float"),
        pytest.param(_changed(PAYLOAD, iss=7), id="iss-number"),
        pytest.param(_changed(PAYLOAD, status_list=_DELETE), id="no-status-list"),
        pytest.param(_changed(PAYLOAD, status_list="eNrbuRgAAhcBXQ"), id="status-list-string"),
    ],
)
def test_malformed_status_list_token_payload_is_refused(payload: Any) -> None:
    with pytest.raises(FormatError) as error:
        parse_token_status_list_payload(payload)
    assert _code(error) == "status.list_malformed"


# --- Failure modes: building documents ----------------------------------------------------------------------


def _credential(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "credential_id": LIST_URL,
        "issuer": "did:web:tawtiq.example",
        "purpose": "revocation",
        "encoded_list": REC_EXAMPLE["encodedList"],
        "valid_from": datetime(2026, 7, 1, tzinfo=UTC),
    }
    arguments.update(changes)
    return bitstring_status_list_credential(**arguments)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"status_size": 2}, id="multi-bit-without-messages"),
        pytest.param({"purpose": "message"}, id="message-purpose-without-messages"),
        pytest.param({"status_size": 2, "status_messages": MESSAGES[:2]}, id="too-few-messages"),
        pytest.param({"valid_from": datetime(2026, 7, 1)}, id="naive-valid-from"),
        pytest.param({"valid_until": datetime(2026, 6, 1, tzinfo=UTC)}, id="valid-until-before-valid-from"),
        pytest.param({"credential_id": "urn:uuid:1234"}, id="credential-id-not-url"),
        pytest.param({"encoded_list": "H4sIAAAA"}, id="encoded-list-without-prefix"),
        pytest.param({"ttl_ms": -5}, id="negative-ttl"),
        pytest.param({"issuer": ""}, id="empty-issuer"),
    ],
)
def test_status_list_credential_builder_refuses_bad_arguments(changes: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as error:
        _credential(**changes)
    assert _code(error) == "status.document_invalid"


def test_status_list_credential_builder_refuses_status_size_3() -> None:
    with pytest.raises(ConfigurationError) as error:
        _credential(status_size=3)
    assert _code(error) == "status.bits_unsupported"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"subject": "http://status.tawtiq.example/tsl/1"}, id="subject-not-https"),
        pytest.param({"issued_at": datetime(2026, 7, 1)}, id="naive-issued-at"),
        pytest.param({"expires_at": datetime(2026, 6, 1, tzinfo=UTC)}, id="expires-before-issued"),
        pytest.param({"ttl_seconds": 0}, id="ttl-zero"),
        pytest.param({"status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}, id="status-list-bits-3"),
        pytest.param({"issuer": ""}, id="empty-issuer"),
    ],
)
def test_status_list_token_payload_builder_refuses_bad_arguments(changes: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "subject": TSL_URL,
        "issued_at": datetime(2026, 7, 1, tzinfo=UTC),
        "expires_at": None,
        "ttl_seconds": None,
        "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
    }
    arguments.update(changes)
    with pytest.raises(ConfigurationError) as error:
        token_status_list_payload(**arguments)
    assert _code(error) == "status.document_invalid"


@pytest.mark.parametrize(
    ("uri", "accepted"),
    [
        ("https://bac.example.ma/status/tsl/1", True),
        ("http://127.0.0.1:8100/status/tsl/1", True),
        ("http://localhost:8100/status/tsl/1", True),
        ("http://[::1]:8100/status/tsl/1", True),
        ("http://bac.example.ma/status/tsl/1", False),
        ("http://127.0.0.1.evil.example/status/tsl/1", False),
        ("ftp://127.0.0.1/status/tsl/1", False),
    ],
)
def test_token_status_references_need_https_except_on_loopback(uri: str, accepted: bool) -> None:
    claim = {"status_list": {"idx": 3, "uri": uri}}
    if accepted:
        assert parse_token_status_reference(claim).uri == uri
    else:
        with pytest.raises(FormatError) as caught:
            parse_token_status_reference(claim)
        assert caught.value.code == "status.entry_invalid"
