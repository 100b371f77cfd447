"""Validation of diploma subjects and credentials against the shipped schemas, as a list of problems.

Validation never raises on bad data: every problem is reported as a :class:`SchemaProblem` naming the
claim (``"generalAverage"``, ``"stream.code"``), what was found and what was expected. Values of the
personal identifiers (:data:`PRIVATE_CLAIMS`) are never echoed back, so problems can be logged and shown.

Beyond the JSON Schema, the checks a schema cannot express are made here: the general average has at
most two decimals and is a finite number, the mention agrees with the average, the birth date precedes
the deliberation date and the deliberation falls in the session's year.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Final

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from schemas.diploma import PRIVATE_CLAIMS, SUBJECT_CLAIMS, average_as_decimal, mention_for
from schemas.resources import credential_schema, subject_schema

#: Deepest nesting converted before validation; deeper values are left as they are (and fail their type).
_MAX_DEPTH: Final = 32
_CLAIM_ORDER: Final = ("type", *SUBJECT_CLAIMS)
_CREDENTIAL_ORDER: Final = (
    "@context",
    "id",
    "type",
    "issuer",
    "validFrom",
    "validUntil",
    "credentialSubject",
    "credentialStatus",
    "credentialSchema",
)
_JSON_TYPE_WORDS: Final[Mapping[str, str]] = {
    "object": "a JSON object",
    "array": "a JSON array",
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}
_TWO_DECIMALS: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One reason why a subject or credential does not conform.

    ``path`` is the dotted location (``"stream.code"``; ``""`` for the document itself), ``found`` a short
    description of what is there (never the value of a personal identifier), ``expected`` what would be
    accepted, and ``message`` one sentence combining them for people.
    """

    path: str
    found: str
    expected: str
    message: str


def validate_subject(subject: Mapping[str, Any], *, complete: bool) -> list[SchemaProblem]:
    """Return every problem of a diploma's credential subject; an empty list means it is valid.

    ``complete=True`` (the issuer) requires all fifteen claims; ``complete=False`` (a verifier, after
    selective disclosure) checks only the claims present. Never raises, whatever ``subject`` holds.
    """
    document = _plain(subject)
    problems = list(_schema_problems(_subject_validator(complete), document, root=()))
    if isinstance(document, dict):
        failed = {problem.path.split(".")[0] for problem in problems}
        problems.extend(_consistency_problems(document, failed, root=()))
    return _ordered(problems, _CLAIM_ORDER)


def validate_credential(credential: Mapping[str, Any]) -> list[SchemaProblem]:
    """Return every problem of a W3C diploma credential (unsecured, after disclosure processing).

    The subject is checked as disclosed (no claim required, ``type`` required) with the same
    consistency checks as :func:`validate_subject`; paths start with ``credentialSubject.``.
    Never raises, whatever ``credential`` holds.
    """
    document = _plain(credential)
    root = ("credentialSubject",)
    problems = list(_schema_problems(_credential_validator(), document, root=root))
    if isinstance(document, dict) and isinstance(document.get("credentialSubject"), dict):
        failed = {problem.path.split(".")[1] for problem in problems if problem.path.startswith("credentialSubject.")}
        problems.extend(_consistency_problems(document["credentialSubject"], failed, root=root))
    return _ordered(problems, _CREDENTIAL_ORDER)


# --------------------------------------------------------------------------------------------- schema


FastCheck = Callable[[Any], Any]


@cache
def _subject_validator(complete: bool) -> tuple[Draft202012Validator, FastCheck]:
    schema = subject_schema(complete=complete)
    full = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return full, _compile(schema)


@cache
def _credential_validator() -> tuple[Draft202012Validator, FastCheck]:
    schema = credential_schema()
    full = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return full, _compile(schema)


#: Keywords the compiled validator understands as JSON Schema 2020-12 means them (after the rewrite below).
FAST_KEYWORDS: Final = frozenset(
    {
        "$defs",
        "$id",
        "$ref",
        "$schema",
        "additionalProperties",
        "allOf",
        "anyOf",
        "const",
        "contains",
        "description",
        "enum",
        "examples",
        "format",
        "items",
        "maxLength",
        "maximum",
        "minItems",
        "minLength",
        "minimum",
        "not",
        "pattern",
        "prefixItems",
        "properties",
        "required",
        "title",
        "type",
        "uniqueItems",
    }
)


def _compile(schema: Mapping[str, Any]) -> FastCheck:
    """Compile ``schema`` with fastjsonschema (a draft-07 engine), rewriting the one 2020-12 keyword we use.

    ``prefixItems`` + ``items`` become draft-07 ``items`` (array) + ``additionalItems``. References are
    resolved inside the document only: remote ``$ref`` fetching is disabled.
    """

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: rewrite(value) for key, value in node.items()}
        if "prefixItems" in out:
            rest = out.pop("items", None)
            out["items"] = out.pop("prefixItems")
            if rest is not None:
                out["additionalItems"] = rest
        return out

    def refuse_remote(uri: str) -> Any:
        raise ValueError(f"remote schema references are not fetched: {uri}")

    draft7 = rewrite(json.loads(json.dumps(schema)))
    draft7["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(draft7, handlers={"http": refuse_remote, "https": refuse_remote})


def _schema_problems(
    validators: tuple[Draft202012Validator, FastCheck], document: Any, *, root: tuple[str, ...]
) -> Iterator[SchemaProblem]:
    """Translate the validator's errors; ``root`` is the path of the credential subject.

    A compiled validator answers first: it is about thirty times faster and decides the common case, a
    valid document. Only when it objects does the full validator run, to report every problem exactly
    (the tests hold the two to the same verdicts).
    """
    validator, fast = validators
    try:
        fast(document)
    except (fastjsonschema.JsonSchemaException, RecursionError, ArithmeticError, TypeError, ValueError):
        pass
    else:
        return
    try:
        errors = list(validator.iter_errors(document))
    except (RecursionError, ArithmeticError, TypeError, ValueError) as exc:
        # Exotic Python values must not escape as exceptions: report the document as unusable instead.
        yield _problem((), "a value that cannot be validated", f"JSON data ({type(exc).__name__} while validating)")
        return
    for error in errors:
        yield from _translate(error, root=root)


def _translate(error: ValidationError, *, root: tuple[str, ...]) -> Iterator[SchemaProblem]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    keyword = error.validator
    instance = error.instance
    what = "claim" if path == root else "member"

    if keyword == "required" and isinstance(instance, Mapping):
        required: Any = error.validator_value
        for name in required:
            if name not in instance:
                yield _problem((*path, name), "nothing", f"the {name} {what}")
        return
    if keyword == "additionalProperties" and isinstance(instance, Mapping):
        allowed = list(schema.get("properties", {}))
        for name in instance:
            if name not in allowed:
                expected = f"only the known {what}s ({', '.join(allowed)})"
                yield _problem((*path, name), f"an unknown {what} {str(name)!r}", expected)
        return
    if keyword in ("anyOf", "oneOf") and error.context:
        inner = best_match(error.context)
        if inner is not None and tuple(inner.absolute_path) != path:
            yield from _translate(inner, root=root)
            return
    yield _problem(path, _describe(instance, _is_private(path, root)), _expected(keyword, error, schema))


def _is_private(path: Sequence[Any], root: tuple[str, ...]) -> bool:
    """Whether ``path`` is, or is inside, a personal identifier of the subject at ``root``."""
    depth = len(root)
    return len(path) > depth and tuple(path[:depth]) == root and path[depth] in PRIVATE_CLAIMS


def _expected(keyword: Any, error: ValidationError, schema: Mapping[str, Any]) -> str:
    value: Any = error.validator_value  # the failing keyword's value in the schema
    example = f" (e.g. {schema['examples'][0]})" if schema.get("examples") else ""
    if keyword in (None, "not", "false"):
        return str(schema.get("description", "no such member"))
    if keyword in ("anyOf", "oneOf"):
        return str(schema.get("description", "a value of one of the allowed forms"))
    if keyword == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        return " or ".join(_JSON_TYPE_WORDS.get(kind, kind) for kind in kinds)
    if keyword in ("pattern", "format", "minLength", "maxLength"):
        if "description" in schema:
            return f"{schema['description']}{example}"
        if keyword == "pattern":
            return f"a string matching {value}{example}"
        if keyword == "format":
            return f"a valid {value}{example}"
        return f"{'at least' if keyword == 'minLength' else 'at most'} {value} characters"
    if keyword == "enum":
        return "one of " + ", ".join(json.dumps(item, ensure_ascii=False) for item in value)
    if keyword == "const":
        return f"exactly {json.dumps(value, ensure_ascii=False)}"
    if keyword in ("minimum", "maximum") and "minimum" in schema and "maximum" in schema:
        return f"a number from {schema['minimum']} to {schema['maximum']}"
    if keyword == "minimum":
        return f"a number of at least {value}"
    if keyword == "maximum":
        return f"a number of at most {value}"
    if keyword == "minItems":
        return f"an array of at least {value} items"
    if keyword == "uniqueItems":
        return "an array without repeated items"
    if keyword == "contains":
        return f"an array containing {json.dumps(value.get('const', value), ensure_ascii=False)}"
    if keyword == "prefixItems":
        first = value[0].get("const") if value and isinstance(value[0], Mapping) else None
        return f"an array whose first item is {json.dumps(first)}" if first else "other leading items"
    return error.message


# ---------------------------------------------------------------------------------------- consistency


def _consistency_problems(
    subject: dict[str, Any], failed: set[str], *, root: tuple[str, ...]
) -> Iterator[SchemaProblem]:
    """Checks across claims that JSON Schema cannot express; claims that already failed are skipped."""
    average: Decimal | None = None
    if "generalAverage" in subject and "generalAverage" not in failed:
        raw = subject["generalAverage"]
        try:
            average = average_as_decimal(raw)
        except ValueError:
            yield _problem((*root, "generalAverage"), _describe(raw, False), "a finite number")
        else:
            if average != average.quantize(_TWO_DECIMALS):
                yield _problem(
                    (*root, "generalAverage"),
                    _describe(raw, False),
                    "an average with at most two decimals (e.g. 15.42)",
                )
    if average is not None and "mention" in subject and "mention" not in failed:
        try:
            earned = mention_for(average)
        except ValueError:
            earned = None
        if earned is not None and subject["mention"] != earned:
            yield _problem(
                (*root, "mention"),
                _describe(subject["mention"], False),
                f'"{earned}" for a general average of {average}',
            )

    birth = _date(subject, "birthDate", failed)
    deliberation = _date(subject, "deliberationDate", failed)
    if birth is not None and deliberation is not None and birth >= deliberation:
        yield _problem(
            (*root, "birthDate"),
            _describe(subject["birthDate"], True),
            "a birth date before the deliberation date",
        )
    session = subject.get("session")
    if deliberation is not None and "session" not in failed and isinstance(session, dict):
        year = session.get("year")
        if isinstance(year, int) and deliberation.year != year:
            yield _problem(
                (*root, "deliberationDate"),
                _describe(subject["deliberationDate"], False),
                f"a deliberation date in the session year {year}",
            )


def _date(subject: Mapping[str, Any], claim: str, failed: set[str]) -> dt.date | None:
    if claim in failed or not isinstance(subject.get(claim), str):
        return None
    try:
        return dt.date.fromisoformat(subject[claim])
    except ValueError:  # pragma: no cover - the schema's format check has already failed such a date
        return None


# -------------------------------------------------------------------------------------------- helpers


def _problem(path: Sequence[Any], found: str, expected: str) -> SchemaProblem:
    """Build a problem; ``found`` must already be a safe description (see :func:`_describe`)."""
    dotted = ".".join(str(part) for part in path)
    where = dotted or "the document"
    return SchemaProblem(
        path=dotted, found=found, expected=expected, message=f"{where}: found {found}, expected {expected}"
    )


def _describe(value: Any, private: bool) -> str:
    """Describe ``value`` briefly; for a personal identifier, only its kind and size."""
    if private:
        if isinstance(value, str):
            return f"a string of {len(value)} characters (value withheld)"
        kind = type(value).__name__
        return f"a {kind} (value withheld)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    if isinstance(value, dict):
        text = f"an object {text}"
    elif isinstance(value, list):
        text = f"an array {text}"
    elif isinstance(value, int | float | Decimal):
        text = f"the number {text}"
    return text if len(text) <= 80 else text[:79] + "…"


#: Values :func:`_plain` keeps as they are: JSON's scalars as a JSON parser returns them.
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any, depth: int = 0) -> Any:
    """Mappings as dicts and tuples as lists, so that JSON Schema sees them as objects and arrays.

    A dict or list that holds nothing to convert is returned as it is, not copied: parsed JSON, what a verifier
    validates on every verification, is already plain, and the validators only read what they are given.
    """
    kind = type(value)
    if kind in _SCALARS or depth > _MAX_DEPTH:  # the scalars of parsed JSON, most of a document, without an ABC check
        return value
    if kind is dict or kind is list:
        copy: Any = None
        for key, item in value.items() if kind is dict else enumerate(value):
            if type(item) in _SCALARS:
                continue
            plain = _plain(item, depth + 1)
            if plain is not item:
                if copy is None:
                    copy = kind(value)
                copy[key] = plain
        return value if copy is None else copy
    if isinstance(value, Mapping):
        return {key: _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, depth + 1) for item in value]
    if isinstance(value, Decimal) and not value.is_finite():
        return float(value)  # a Decimal NaN cannot even be compared; a float NaN can
    return value


def _ordered(problems: Iterable[SchemaProblem], order: Sequence[str]) -> list[SchemaProblem]:
    """Deduplicate and sort problems: by top-level member in ``order``, then by path."""
    unique = list(dict.fromkeys(problems))
    rank = {name: index for index, name in enumerate(order)}

    def key(problem: SchemaProblem) -> tuple[int, str]:
        head = problem.path.split(".")[0]
        return (rank.get(head, len(rank)) if head else -1, problem.path)

    return sorted(unique, key=key)
