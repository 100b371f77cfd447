"""Data of the baccalaureate diploma: its claims, JSON Schemas, SD-JWT VC type metadata and JSON-LD contexts.

This package is data plus small pure functions over it; it imports nothing from the engine. The names
below are binding: the engine, the issuer, the verifier and the wallet use them.

* Identifiers: :data:`DIPLOMA_CONTEXT_URL`, :data:`DIPLOMA_CREDENTIAL_TYPE`, :data:`DIPLOMA_SUBJECT_TYPE`,
  :data:`DIPLOMA_VCT`, :data:`DIPLOMA_SCHEMA_URL`.
* Claims: :data:`SUBJECT_CLAIMS` (the fifteen, in display order), :data:`PRIVATE_CLAIMS` (never
  disclosed by default) and :data:`DEFAULT_DISCLOSED_CLAIMS` (the other eleven).
* Documents: :func:`pinned_contexts`, :func:`diploma_type_metadata`, :func:`subject_schema`,
  :func:`credential_schema`, :func:`reference_data`.
* Typed values (parsed once at the edge, passed inward): :class:`DiplomaSubject`, :class:`Cnie`,
  :class:`MassarCode`, :class:`ExamSession`, :class:`BilingualName`, :class:`CodedEntry`, raising
  :class:`SubjectError`; :func:`normalise_identifier`, :func:`mask_identifier`.
* Text: :func:`checked_text` (the one rule for every text entering a subject: no control, invisible
  formatting or markup characters; NFC), :func:`checked_texts`, :func:`text_problem`,
  :func:`character_name`; for display of values nobody checked, :func:`marked_text` and :func:`isolated`.
* Checks: :func:`validate_subject`, :func:`validate_credential` (lists of :class:`SchemaProblem`),
  :func:`mention_for`.
* Display: :func:`claim_label`, :func:`value_label`.
* Documents in both profiles: :func:`w3c_credential`, :func:`sd_jwt_vc_claims`, :data:`W3C_DISCLOSABLE`,
  :data:`SD_JWT_VC_DISCLOSABLE`, :class:`BitstringEntry`, :func:`schema_validators`, :func:`display_value`.
* Demo and tests: :func:`sample_subject`.
"""

from __future__ import annotations

from schemas.credential import (
    SD_JWT_VC_DISCLOSABLE,
    W3C_DISCLOSABLE,
    BitstringEntry,
    display_value,
    schema_validators,
    sd_jwt_vc_claims,
    w3c_credential,
)
from schemas.diploma import (
    DEFAULT_DISCLOSED_CLAIMS,
    DIPLOMA_CONTEXT_URL,
    DIPLOMA_CREDENTIAL_TYPE,
    DIPLOMA_SCHEMA_URL,
    DIPLOMA_SUBJECT_TYPE,
    DIPLOMA_VCT,
    MENTION_RANGES,
    MENTIONS,
    OPTION_LANGUAGES,
    PRIVATE_CLAIMS,
    SESSION_TYPES,
    SUBJECT_CLAIMS,
    SUBJECT_SCHEMA_ID,
    mention_for,
    sample_subject,
)
from schemas.labels import LOCALES, claim_label, value_label
from schemas.resources import (
    CREDENTIALS_EXAMPLES_V2_CONTEXT_URL,
    CREDENTIALS_V2_CONTEXT_URL,
    credential_schema,
    diploma_type_metadata,
    pinned_contexts,
    reference_data,
    subject_schema,
)
from schemas.subject import (
    TEXT_EXPECTED,
    BilingualName,
    Cnie,
    CodedEntry,
    DiplomaSubject,
    ExamSession,
    MassarCode,
    SubjectError,
    character_name,
    checked_text,
    checked_texts,
    is_refused_character,
    isolated,
    marked_text,
    mask_identifier,
    normalise_identifier,
    text_problem,
)
from schemas.validation import SchemaProblem, validate_credential, validate_subject

__all__ = [
    "CREDENTIALS_EXAMPLES_V2_CONTEXT_URL",
    "CREDENTIALS_V2_CONTEXT_URL",
    "DEFAULT_DISCLOSED_CLAIMS",
    "DIPLOMA_CONTEXT_URL",
    "DIPLOMA_CREDENTIAL_TYPE",
    "DIPLOMA_SCHEMA_URL",
    "DIPLOMA_SUBJECT_TYPE",
    "DIPLOMA_VCT",
    "LOCALES",
    "MENTIONS",
    "MENTION_RANGES",
    "OPTION_LANGUAGES",
    "PRIVATE_CLAIMS",
    "SD_JWT_VC_DISCLOSABLE",
    "SESSION_TYPES",
    "SUBJECT_CLAIMS",
    "SUBJECT_SCHEMA_ID",
    "TEXT_EXPECTED",
    "W3C_DISCLOSABLE",
    "BilingualName",
    "BitstringEntry",
    "Cnie",
    "CodedEntry",
    "DiplomaSubject",
    "ExamSession",
    "MassarCode",
    "SchemaProblem",
    "SubjectError",
    "character_name",
    "checked_text",
    "checked_texts",
    "claim_label",
    "credential_schema",
    "diploma_type_metadata",
    "display_value",
    "is_refused_character",
    "isolated",
    "marked_text",
    "mask_identifier",
    "mention_for",
    "normalise_identifier",
    "pinned_contexts",
    "reference_data",
    "sample_subject",
    "schema_validators",
    "sd_jwt_vc_claims",
    "subject_schema",
    "text_problem",
    "validate_credential",
    "validate_subject",
    "value_label",
    "w3c_credential",
]
