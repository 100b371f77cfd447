"""The compiled (fast) schema validator must never accept what the full validator rejects."""

from __future__ import annotations

import copy
from typing import Any

import fastjsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from schemas import validation

SAMPLE = schemas.w3c_credential(
    schemas.sample_subject(),
    issuer="https://bac.example.ma",
    credential_id="urn:uuid:6a1b2c3d-0000-4000-8000-000000000001",
    status=[schemas.BitstringEntry("revocation", "https://bac.example.ma/status/bitstring/r1", 7)],
)


def _keywords(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "$defs", "patternProperties"):
                for child in value.values():
                    _keywords(child, found)
            elif key not in ("enum", "const", "required", "examples", "default"):
                _keywords(value, found)
    elif isinstance(node, list):
        for item in node:
            _keywords(item, found)
    return found


def test_schemas_use_only_keywords_the_fast_validator_understands() -> None:
    used = _keywords(schemas.credential_schema(), set()) | _keywords(schemas.subject_schema(complete=True), set())
    assert used <= validation.FAST_KEYWORDS, sorted(used - validation.FAST_KEYWORDS)


def _fast_accepts(document: Any) -> bool:
    _, fast = validation._credential_validator()
    try:
        fast(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _full_accepts(document: Any) -> bool:
    full, _ = validation._credential_validator()
    return bool(full.is_valid(document))


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 25), st.floats(allow_nan=False), st.text(max_size=12))


@settings(max_examples=300, deadline=None)
@given(
    path=st.sampled_from(
        [
            ("@context",),
            ("@context", 0),
            ("@context", 1),
            ("type",),
            ("issuer",),
            ("validFrom",),
            ("credentialStatus",),
            ("credentialStatus", 0, "statusListIndex"),
            ("credentialSchema", "type"),
            *[("credentialSubject", name) for name in schemas.SUBJECT_CLAIMS],
            ("credentialSubject", "stream", "code"),
            ("credentialSubject", "session", "year"),
            ("credentialSubject", "familyName", "ar"),
        ]
    ),
    value=st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), SCALARS, max_size=2)),
)
def test_fast_and_full_validators_agree_on_mutated_credentials(path: tuple[Any, ...], value: Any) -> None:
    document = copy.deepcopy(SAMPLE)
    node: Any = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    if _fast_accepts(document):
        assert _full_accepts(document), f"fast validator accepted what the full one rejects at {path}: {value!r}"


def test_the_sample_is_accepted_by_both() -> None:
    assert _fast_accepts(SAMPLE)
    assert _full_accepts(SAMPLE)
