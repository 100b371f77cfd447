"""W3C VCALM (VC API) issuer endpoints for back-office clients: issue a diploma, update its status.

``POST /credentials/issue`` (role ``issuer``), ``Content-Type: application/json``::

    {"credential": {"@context": ["https://www.w3.org/ns/credentials/v2", "https://tawtiq.ma/ns/baccalaureate/v1"],
                    "type": ["VerifiableCredential", "BaccalaureateDiplomaCredential"],
                    "credentialSubject": {"cnie": "BE123456", "session": {"year": 2024, "type": "normale"}, ...}},
     "options": {"credentialId": "urn:uuid:..."}}

The issuer signs only what its registry holds: the subject's ``cnie`` and ``session`` name the record
(parsed as :class:`schemas.Cnie` and :class:`schemas.ExamSession`; a malformed one is refused with 400);
every text given passes the rule of subject text (:func:`schemas.checked_text`; a refused character is
answered ``vcalm.subject_text_refused`` naming its code point);
any other claim given must equal the record's (a mismatch is refused with the names of the claims that
differ, never their values). ``issuer``, ``id`` and ``options.credentialId`` are optional and, when given,
must be this issuer and the record's credential id. The answer (201) is an unbound W3C ``vc+sd-jwt``
copy with its own status slot, enveloped as VCDM 2.0 §4.13 defines::

    {"verifiableCredential": {"@context": "https://www.w3.org/ns/credentials/v2",
                              "id": "data:application/vc+sd-jwt,<SD-JWT>",
                              "type": "EnvelopedVerifiableCredential"}}

``POST /credentials/status`` (role ``status``)::

    {"credentialId": "urn:uuid:...",
     "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
     "status": true,
     "reason": "fraud established by the exam board"}

``statusPurpose`` ``revocation`` with ``status: true`` revokes (final); ``suspension`` with ``true``
suspends and with ``false`` reinstates. ``reason`` is this issuer's extension (recorded in the audit
log; defaults to "VCALM status update"). The record and every signed copy change together. Answer
(200): ``{"credentialId": ..., "status": "revoked", "changed": true, "copies": 3}``. Errors use the
issuer's JSON error body (:mod:`issuer.errors`): 400 malformed, 401/403 token, 404 unknown
credential, 409 revoked already (revocation is final).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, select
from sqlmodel import col

import schemas
from issuer.apitokens import Principal
from issuer.db import writing
from issuer.errors import ConflictError, InputError, NotFoundError
from issuer.issuance import sign_copies
from issuer.keyring import Keyring
from issuer.models import REVOKED, Diploma, Graduate
from issuer.records import resolve
from issuer.settings import Settings
from issuer.status import StatusAction, change_status
from vc import Profile

_ISSUE_OPTIONS: Final = frozenset({"credentialId", "mandatoryPointers"})
_STATUS_MEMBERS: Final = frozenset({"credentialId", "credentialStatus", "status", "reason", "indexAllocator"})
_STATUS_TYPES: Final = frozenset({"BitstringStatusListEntry", "BitstringStatusList", "TokenStatusList"})


def _bad(message: str, *, found: Any = None, expected: Any = None) -> InputError:
    return InputError(message, code="vcalm.request_invalid", found=found, expected=expected)


def issue_credential(
    engine: Engine, *, body: Any, principal: Principal, settings: Settings, keyring: Keyring, now: datetime
) -> dict[str, Any]:
    """Handle ``POST /credentials/issue`` (see the module docstring)."""
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise _bad("the request must be a JSON object with a 'credential' object", expected='{"credential": {...}}')
    unknown = sorted(set(body) - {"credential", "options"})
    if unknown:
        raise _bad("unknown request members", found=unknown, expected=["credential", "options"])
    options = body.get("options", {})
    if not isinstance(options, dict) or set(options) - _ISSUE_OPTIONS:
        raise _bad(
            "unknown or malformed options",
            found=options if not isinstance(options, dict) else sorted(set(options) - _ISSUE_OPTIONS),
            expected=sorted(_ISSUE_OPTIONS),
        )
    credential: dict[str, Any] = body["credential"]
    contexts = credential.get("@context")
    if contexts is not None and (
        not isinstance(contexts, list) or not contexts or contexts[0] != schemas.CREDENTIALS_V2_CONTEXT_URL
    ):
        raise _bad(
            "'@context' must start with the VCDM 2.0 context",
            found=contexts,
            expected=schemas.CREDENTIALS_V2_CONTEXT_URL,
        )
    types = credential.get("type")
    if not isinstance(types, list) or schemas.DIPLOMA_CREDENTIAL_TYPE not in types:
        raise _bad(
            "this issuer issues baccalaureate diplomas only",
            found=types,
            expected=["VerifiableCredential", schemas.DIPLOMA_CREDENTIAL_TYPE],
        )
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer is not None and issuer_id != settings.issuer_url:
        raise _bad(
            "the provided value of 'issuer' does not match this issuer", found=issuer_id, expected=settings.issuer_url
        )
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        raise _bad("'credentialSubject' must be an object", expected="the diploma subject, at least cnie and session")
    subject, refused = schemas.checked_texts(subject)
    if refused:
        raise InputError(
            "'credentialSubject' holds text with refused characters",
            code="vcalm.subject_text_refused",
            found=[problem.message for problem in refused],
            expected=schemas.TEXT_EXPECTED,
        )
    cnie, session = subject.get("cnie"), subject.get("session")
    if not isinstance(cnie, str) or not isinstance(session, dict):
        raise _bad(
            "'credentialSubject' must name the graduate: 'cnie' and 'session'",
            expected='{"cnie": "...", "session": {"year": 2024, "type": "normale"}}',
        )
    try:
        graduate_cnie = schemas.Cnie.parse(cnie)
        session_name = str(schemas.ExamSession.parse(f"{session.get('year')}-{session.get('type')}"))
    except schemas.SubjectError as exc:
        raise _bad(
            "'credentialSubject' names no graduate: " + "; ".join(problem.message for problem in exc.problems),
            found=[problem.found for problem in exc.problems],
            expected=[problem.expected for problem in exc.problems],
        ) from exc
    with writing(engine) as db:
        graduate = db.execute(
            select(Graduate).where(col(Graduate.session) == session_name, col(Graduate.cnie) == str(graduate_cnie))
        ).scalar_one_or_none()
        if graduate is None:
            raise NotFoundError(
                "no diploma record for this graduate and session",
                code="diploma.unknown",
                found=f"session {session_name}",
            )
        diploma = db.execute(
            select(Diploma)
            .where(col(Diploma.graduate_id) == graduate.id, col(Diploma.replaced_by).is_(None))
            .with_for_update()
        ).scalar_one_or_none()
        if diploma is None:
            raise NotFoundError(
                "the graduate has no record yet; run `tawtiq cohort issue`",
                code="diploma.unknown",
                found=f"session {session_name}",
            )
        for given in (credential.get("id"), options.get("credentialId")):
            if given is not None and given != diploma.id:
                raise ConflictError(
                    "the credential id is not the record's", code="vcalm.id_mismatch", found=given, expected=diploma.id
                )
        registered = json.loads(diploma.claims)
        differing = sorted(
            name
            for name, value in subject.items()
            if name not in ("type", "id") and (name not in registered or registered[name] != value)
        )
        if differing:
            raise InputError(
                "the credential differs from the registry; only registered diplomas are signed",
                code="vcalm.claims_mismatch",
                found=differing,
                expected="claims equal to the diploma record (or only cnie and session)",
            )
        copies = sign_copies(
            db,
            diploma=diploma,
            profile=Profile.VC_SD_JWT,
            holders=[None],
            channel="vcalm",
            actor=principal.actor,
            settings=settings,
            keyring=keyring,
            now=now,
        )
    return {
        "verifiableCredential": {
            "@context": schemas.CREDENTIALS_V2_CONTEXT_URL,
            "id": f"data:application/vc+sd-jwt,{copies[0].credential}",
            "type": "EnvelopedVerifiableCredential",
        }
    }


def update_status(engine: Engine, *, body: Any, principal: Principal, now: datetime) -> dict[str, Any]:
    """Handle ``POST /credentials/status`` (see the module docstring)."""
    if not isinstance(body, dict):
        raise _bad("the request must be a JSON object", expected="credentialId, credentialStatus, status")
    unknown = sorted(set(body) - _STATUS_MEMBERS)
    if unknown:
        raise _bad("unknown request members", found=unknown, expected=sorted(_STATUS_MEMBERS))
    credential_id, entry, status = body.get("credentialId"), body.get("credentialStatus"), body.get("status")
    if not isinstance(credential_id, str) or not credential_id:
        raise _bad("'credentialId' is missing", expected="the diploma's credential id (urn:uuid:...)")
    if not isinstance(entry, dict) or entry.get("type") not in _STATUS_TYPES:
        raise _bad(
            "'credentialStatus' must be an object with a status list 'type'",
            found=entry,
            expected=sorted(_STATUS_TYPES),
        )
    purpose = entry.get("statusPurpose")
    if purpose not in ("revocation", "suspension"):
        raise _bad(
            "'credentialStatus.statusPurpose' must be revocation or suspension",
            found=purpose,
            expected=["revocation", "suspension"],
        )
    if not isinstance(status, bool):
        raise _bad("'status' must be true or false", found=status, expected="true (set) or false (clear)")
    reason = body.get("reason", "VCALM status update")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise _bad("'reason' must be a non-empty string of at most 500 characters", found=type(reason).__name__)
    with writing(engine) as db:
        diploma = resolve(db, credential_id)
        if purpose == "revocation" and not status:
            if diploma.status == REVOKED:
                raise ConflictError(
                    "revocation is final; a revoked diploma cannot be reinstated",
                    code="status.revoked_final",
                    found="revoked",
                    expected="a new, corrected diploma",
                )
            change = None
        else:
            action = (
                StatusAction.REVOKE
                if purpose == "revocation"
                else (StatusAction.SUSPEND if status else StatusAction.REINSTATE)
            )
            change = change_status(
                db, diploma_id=diploma.id, action=action, reason=reason.strip(), actor=principal.actor, now=now
            )
        copies = change.copies if change else None
        after = change.after if change else diploma.status
    return {"credentialId": diploma.id, "status": after, "changed": bool(change and change.changed), "copies": copies}
