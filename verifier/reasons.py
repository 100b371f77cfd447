"""The decisive reason of a verdict: the one check a person is told about in the banner, picked by a fixed priority.

A report that is not valid has one or more checks that failed or could not be carried out; the banner names one
of them, in the page's language, and the full list stays below. The reason is picked from the report's JSON form
(nested credentials of a presentation included), checks skipped because an earlier one failed set aside:

1. a failed check before one not carried out (an ``invalid`` verdict rests on what failed; an ``indeterminate``
   one on what could not be checked);
2. among those, by check, in this order: format (text that is not a credential at all first), signature (a
   compromised key before a signature that does not match), issuer trust, status (revoked, then suspended, then
   anything else), validity, holder binding, schema, request requirements;
3. at equal rank, the first in the report (the presentation's own checks before its credentials').

The text is :data:`verifier.messages.VERDICT_REASONS` for the code (or its family; text that is not a credential at
all — the VCDM ``PARSING_ERROR`` — has its own), else the check's message of
:data:`verifier.messages.CHECK_MESSAGES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from verifier.messages import CHECK_MESSAGES, VERDICT_REASONS, T, lookup
from verifier.reporting import is_parsing_failure

_CHECK_ORDER: Final = (
    "format",
    "signature",
    "issuer_trust",
    "status",
    "validity",
    "holder_binding",
    "schema",
    "policy",
)
#: Codes placed ahead of the other failures of their check.
_FIRST_IN_CHECK: Final = ("key.compromised", "status.revoked", "status.suspended")
_SKIPPED: Final = "check.skipped"


def _checks(report: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from report.get("checks") or []
    for nested in report.get("credentials") or []:
        yield from _checks(nested)


def _rank(check: Mapping[str, Any]) -> tuple[int, int, int]:
    outcome = 0 if check.get("outcome") == "failed" else 1
    name = str(check.get("check"))
    position = _CHECK_ORDER.index(name) if name in _CHECK_ORDER else len(_CHECK_ORDER)
    code = str(check.get("code"))
    if name == "format":
        within = 0 if is_parsing_failure(code) else 1
    else:
        within = _FIRST_IN_CHECK.index(code) if code in _FIRST_IN_CHECK else len(_FIRST_IN_CHECK)
    return outcome, position, within


def decisive_check(report: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The check the verdict rests on, or None for a valid report (or one with no failed or unchecked check)."""
    if report.get("verdict") == "valid":
        return None
    candidates = [
        check
        for check in _checks(report)
        if check.get("outcome") in ("failed", "not_checked") and check.get("code") != _SKIPPED
    ]
    return min(candidates, key=_rank) if candidates else None


def withheld_claims(report: Mapping[str, Any]) -> list[str] | None:
    """The requested claims a presentation did not share, when that is all that is wrong with it (the credential
    is authentic, trusted and in force), else None. Read from the engine's ``policy.disclosure_missing`` message,
    which lists them as quoted paths."""
    failed = [check for check in _checks(report) if check.get("outcome") in ("failed", "not_checked")]
    failed = [check for check in failed if check.get("code") != _SKIPPED]
    if report.get("verdict") != "invalid" or [check.get("code") for check in failed] != ["policy.disclosure_missing"]:
        return None
    listed = str(failed[0].get("message")).partition(":")[2]
    return [path.rsplit(".", 1)[-1] for path in re.findall(r"'([^']*)'", listed)]


def listed_since(report: Mapping[str, Any]) -> str | None:
    """When the issuer signed the status list that shows the credential revoked or suspended (ISO 8601), if the list
    says: the change happened no later than that."""
    for item in _statuses(report):
        if item.get("value") and item.get("list_issued_at"):
            return str(item["list_issued_at"])
    return None


def _statuses(report: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from report.get("status") or []
    for nested in report.get("credentials") or []:
        yield from _statuses(nested)


def reason_text(check: Mapping[str, Any]) -> T | None:
    """The banner's words for ``check`` in every locale, or None when neither catalogue knows its code."""
    code = str(check.get("code"))
    if (
        check.get("check") == "format"
        and is_parsing_failure(code)
        and code != "input.too_large"
        and not code.startswith(("offline.", "cose."))  # a printed code that did not read: say what went wrong
    ):
        return VERDICT_REASONS["not_a_credential"]
    return lookup(code, VERDICT_REASONS) or lookup(code, CHECK_MESSAGES)
