"""Reports as the API returns them: our full report, and the W3C problem details that VCALM clients read.

Problem types are those of VCDM 2.0 §7.1 (``PARSING_ERROR`` -64, ``CRYPTOGRAPHIC_SECURITY_ERROR`` -65,
``MALFORMED_VALUE_ERROR`` -66, ``RANGE_ERROR`` -67) and Bitstring Status List §3.5 (``STATUS_RETRIEVAL_ERROR``
-128, ``STATUS_VERIFICATION_ERROR`` -129) where one fits; the outcomes those specifications have no type for
(an untrusted issuer, a revoked or suspended credential, keys that could not be fetched, requested claims the
holder did not share, another unmet request) get a
type of our own under ``https://tawtiq.ma/ns/problems#``. Every problem detail also names our ``check`` and its
stable ``checkCode``.
"""

from __future__ import annotations

from typing import Any, Final

from vc import VerificationReport
from vc.report import Check, CheckName, Outcome
from verifier.errors import PROBLEM_BASE
from verifier.messages import LOCALES
from verifier.trust import TrustedIssuers

_VCDM: Final = "https://www.w3.org/TR/vc-data-model#"
_STATUS: Final = "https://www.w3.org/ns/credentials/status-list#"

PARSING_ERROR: Final = (_VCDM + "PARSING_ERROR", "PARSING_ERROR", -64)
CRYPTOGRAPHIC_SECURITY_ERROR: Final = (_VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR", "CRYPTOGRAPHIC_SECURITY_ERROR", -65)
MALFORMED_VALUE_ERROR: Final = (_VCDM + "MALFORMED_VALUE_ERROR", "MALFORMED_VALUE_ERROR", -66)
RANGE_ERROR: Final = (_VCDM + "RANGE_ERROR", "RANGE_ERROR", -67)
STATUS_RETRIEVAL_ERROR: Final = (_STATUS + "STATUS_RETRIEVAL_ERROR", "STATUS_RETRIEVAL_ERROR", -128)
STATUS_VERIFICATION_ERROR: Final = (_STATUS + "STATUS_VERIFICATION_ERROR", "STATUS_VERIFICATION_ERROR", -129)
UNTRUSTED_ISSUER: Final = (PROBLEM_BASE + "UNTRUSTED_ISSUER", "UNTRUSTED_ISSUER", None)
ISSUER_KEYS_UNAVAILABLE: Final = (PROBLEM_BASE + "ISSUER_KEYS_UNAVAILABLE", "ISSUER_KEYS_UNAVAILABLE", None)
CREDENTIAL_REVOKED: Final = (PROBLEM_BASE + "CREDENTIAL_REVOKED", "CREDENTIAL_REVOKED", None)
CREDENTIAL_SUSPENDED: Final = (PROBLEM_BASE + "CREDENTIAL_SUSPENDED", "CREDENTIAL_SUSPENDED", None)
POLICY_NOT_MET: Final = (PROBLEM_BASE + "POLICY_NOT_MET", "POLICY_NOT_MET", None)
CLAIMS_NOT_SHARED: Final = (PROBLEM_BASE + "CLAIMS_NOT_SHARED", "CLAIMS_NOT_SHARED", None)

_PARSING_PREFIXES: Final = (
    "input.",
    "format.jws",
    "format.json",
    "format.unsecured",
    "sd_jwt.missing_tilde",
    "offline.prefix",
    "offline.base45",
    "offline.compression",
    "cose.encoding",
)


def is_parsing_failure(code: str) -> bool:
    """Whether a format check's ``code`` says the input is not a credential at all (VCDM ``PARSING_ERROR``)."""
    return code.startswith(_PARSING_PREFIXES)


def _kind(check: Check) -> tuple[str, str, int | None]:
    code = check.code
    if check.name is CheckName.FORMAT:
        return PARSING_ERROR if is_parsing_failure(code) else MALFORMED_VALUE_ERROR
    if check.name is CheckName.SIGNATURE:
        return ISSUER_KEYS_UNAVAILABLE if check.outcome is Outcome.NOT_CHECKED else CRYPTOGRAPHIC_SECURITY_ERROR
    if check.name is CheckName.ISSUER_TRUST:
        return UNTRUSTED_ISSUER
    if check.name is CheckName.VALIDITY:
        return RANGE_ERROR
    if check.name is CheckName.STATUS:
        if code == "status.revoked":
            return CREDENTIAL_REVOKED
        if code == "status.suspended":
            return CREDENTIAL_SUSPENDED
        if code == "status.entry_invalid":
            return MALFORMED_VALUE_ERROR
        if check.outcome is Outcome.NOT_CHECKED and code in (
            "status.unavailable",
            "status.list_untrusted_origin",
            "status.list_url_refused",
            "status.list_too_large",
        ):
            return STATUS_RETRIEVAL_ERROR
        return STATUS_VERIFICATION_ERROR
    if check.name is CheckName.HOLDER_BINDING:
        return CRYPTOGRAPHIC_SECURITY_ERROR
    if check.name is CheckName.SCHEMA:
        return MALFORMED_VALUE_ERROR
    if code == "policy.disclosure_missing":
        return CLAIMS_NOT_SHARED
    return POLICY_NOT_MET


def problem_details(report: VerificationReport, *, where: str = "") -> list[dict[str, Any]]:
    """One problem detail per failed check and per blocking check not carried out, nested credentials included."""
    details: list[dict[str, Any]] = []
    for check in report.problems:
        uri, title, number = _kind(check)
        item: dict[str, Any] = {"type": uri, "title": title}
        if number is not None:
            item["code"] = number
        item["detail"] = f"{where}{check.message}"
        item["check"] = str(check.name)
        item["checkCode"] = check.code
        details.append(item)
    for position, nested in enumerate(report.credentials):
        details.extend(problem_details(nested, where=f"{where}verifiableCredential[{position}]: "))
    return details


def report_json(report: VerificationReport, trusted: TrustedIssuers) -> dict[str, Any]:
    """The engine's full report plus the issuer's display names from the trust list."""
    document = report.to_dict()
    document["issuer_name"] = _names(report.issuer, trusted)
    for nested, source in zip(document["credentials"], report.credentials, strict=True):
        nested["issuer_name"] = _names(source.issuer, trusted)
    return document


def _names(issuer: str | None, trusted: TrustedIssuers) -> dict[str, str] | None:
    if not trusted.is_trusted(issuer):
        return None
    names = {locale: trusted.name(issuer, locale) for locale in LOCALES}
    return {locale: name for locale, name in names.items() if name}


def verification_response(report: VerificationReport, trusted: TrustedIssuers) -> dict[str, Any]:
    """The VCALM verify response: ``verified``, ``problemDetails``, and our ``verdict`` and full ``report``."""
    return {
        "verified": report.valid,
        "verdict": str(report.verdict),
        "problemDetails": problem_details(report),
        "report": report_json(report, trusted),
    }
