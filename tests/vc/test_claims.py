"""Claim paths: parsing the text form, the list (DCQL) form, formatting, matching and lookup."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc.claims import (
    ClaimPath,
    as_claim_path,
    claim_paths,
    format_claim_path,
    is_prefix,
    lookup,
    parse_claim_path,
    path_matches,
)
from vc.errors import FormatError

DOCUMENT: dict[str, Any] = {
    "credentialSubject": {
        "familyName": {"ar": "العلوي", "lat": "EL ALAOUI"},
        "phoneNumbers": ["+212600000001", "+212600000002"],
        "degrees": [{"name": "bac", "year": 2024}, {"name": "licence"}],
        "nothing": None,
    }
}


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("credentialSubject", ("credentialSubject",)),
        ("credentialSubject.familyName", ("credentialSubject", "familyName")),
        ("credentialSubject.familyName.ar", ("credentialSubject", "familyName", "ar")),
        ("phoneNumbers[0]", ("phoneNumbers", 0)),
        ("phoneNumbers[12]", ("phoneNumbers", 12)),
        ("nationalities[*]", ("nationalities", None)),
        ("degrees[*].name", ("degrees", None, "name")),
        ("matrix[1][0]", ("matrix", 1, 0)),
        ("age_equal_or_over.18", ("age_equal_or_over", "18")),
        ("@context", ("@context",)),
        ("العنوان.المدينة", ("العنوان", "المدينة")),
    ],
)
def test_parse_claim_path(text: str, path: ClaimPath) -> None:
    assert parse_claim_path(text) == path
    assert as_claim_path(text) == path
    assert format_claim_path(path) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        ".familyName",
        "familyName.",
        "credentialSubject..familyName",
        "[0]",
        "[*].name",
        "phoneNumbers[]",
        "phoneNumbers[-1]",
        "phoneNumbers[x]",
        "phoneNumbers[0",
        "phoneNumbers0]",
        "degrees[0]name",
        "a]b",
        "a.[0]",
        "a.[*].b",
    ],
)
def test_malformed_text_paths_are_refused(text: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_claim_path(text)
    assert caught.value.code == "claims.path_invalid"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (["credentialSubject", "familyName"], ("credentialSubject", "familyName")),
        (("degrees", None, "name"), ("degrees", None, "name")),
        (["phoneNumbers", 0], ("phoneNumbers", 0)),
        ([0], (0,)),
        (["a.b"], ("a.b",)),
    ],
)
def test_list_form_paths(value: Any, path: ClaimPath) -> None:
    assert as_claim_path(value) == path


@pytest.mark.parametrize("value", [[], (), ["a", True], ["a", False], ["a", 1.5], ["a", -1], ["a", {"b": 1}], [["a"]]])
def test_malformed_list_paths_are_refused(value: Any) -> None:
    with pytest.raises(FormatError) as caught:
        as_claim_path(value)
    assert caught.value.code == "claims.path_invalid"


def test_claim_paths_normalises_a_mixture() -> None:
    assert claim_paths(["a.b", ["c", 0], ("d", None)]) == (("a", "b"), ("c", 0), ("d", None))
    assert claim_paths([]) == ()
    with pytest.raises(FormatError):
        claim_paths(["a", ""])


def test_format_of_paths_without_a_leading_name() -> None:
    assert format_claim_path((0, "a")) == "[0].a"
    assert format_claim_path((None,)) == "[*]"
    assert format_claim_path(()) == ""


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        (("a", "b"), ("a", "b"), True),
        (("a", None), ("a", 3), True),
        (("a", None, "c"), ("a", 0, "c"), True),
        (("a", 3), ("a", 3), True),
        (("a", 3), ("a", 4), False),
        (("a", None), ("a", "b"), False),
        (("a",), ("a", "b"), False),
        (("a", "b"), ("a",), False),
        (("a", 0), ("a", None), False),
    ],
)
def test_path_matches(pattern: ClaimPath, path: ClaimPath, matches: bool) -> None:
    assert path_matches(pattern, path) is matches


@pytest.mark.parametrize(
    ("prefix", "path", "expected"),
    [
        (("a",), ("a", "b", 0), True),
        (("a", None), ("a", 2, "c"), True),
        (("a", "b", 0), ("a", "b", 0), True),
        ((), ("a",), True),
        (("a", "b"), ("a",), False),
        (("a", "c"), ("a", "b", 0), False),
        (("a", None), ("a", "b"), False),
    ],
)
def test_is_prefix(prefix: ClaimPath, path: ClaimPath, expected: bool) -> None:
    assert is_prefix(prefix, path) is expected


@pytest.mark.parametrize(
    ("path", "values"),
    [
        (("credentialSubject", "familyName", "lat"), ["EL ALAOUI"]),
        (("credentialSubject", "phoneNumbers", 1), ["+212600000002"]),
        (("credentialSubject", "phoneNumbers", None), ["+212600000001", "+212600000002"]),
        (("credentialSubject", "degrees", None, "name"), ["bac", "licence"]),
        (("credentialSubject", "degrees", None, "year"), [2024]),
        (("credentialSubject", "nothing"), [None]),
        (("credentialSubject", "phoneNumbers", 2), []),
        (("credentialSubject", "familyName", 0), []),
        (("credentialSubject", "familyName", None), []),
        (("credentialSubject", "phoneNumbers", "0"), []),
        (("credentialSubject", "missing"), []),
        ((), [DOCUMENT]),
    ],
)
def test_lookup(path: ClaimPath, values: list[Any]) -> None:
    assert lookup(DOCUMENT, path) == values


_NAMES = st.text(
    alphabet=st.characters(blacklist_characters=".[]", blacklist_categories=("Cs",)), min_size=1, max_size=8
)
_ELEMENTS = st.one_of(_NAMES, st.integers(min_value=0, max_value=10**6), st.none())


@settings(max_examples=200, deadline=None)
@given(first=_NAMES, rest=st.lists(_ELEMENTS, max_size=6))
def test_text_form_round_trips(first: str, rest: list[str | int | None]) -> None:
    path: ClaimPath = (first, *rest)
    assert parse_claim_path(format_claim_path(path)) == path
    assert as_claim_path(list(path)) == path
    assert path_matches(path, tuple(0 if element is None else element for element in path))
