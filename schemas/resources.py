"""Loading of the JSON documents shipped in this package: schemas, type metadata and pinned contexts.

Each document is read from the installed package (``importlib.resources``) once and cached. The
returned mappings are shared: treat them as read-only, and ``copy.deepcopy`` one before changing it.

Provenance of the pinned W3C contexts (``contexts/``), byte-for-byte copies of the documents served at
their URLs, whose SHA-256 digests the tests pin:

* ``credentials-v2.json`` — ``https://www.w3.org/ns/credentials/v2``, the VCDM 2.0 base context as
  served since the May 2025 Recommendation (10,131 bytes, no trailing newline, SHA-256
  ``59955ced…2734``). It has no ``@vocab``. An earlier revision (July 2024, SHA-256 ``24a18c90…43b9``,
  the digest quoted in the Recommendation's text) differs only in where the Bitstring Status List terms
  ``statusMessage``, ``statusReference`` and ``statusSize`` are defined.
* ``credentials-examples-v2.json`` — ``https://www.w3.org/ns/credentials/examples/v2``: a single
  ``@vocab`` of ``https://www.w3.org/ns/credentials/examples#`` (84 bytes).
* ``baccalaureate-v1.json`` — ours, ``https://tawtiq.ma/ns/baccalaureate/v1``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

from schemas.diploma import DIPLOMA_CONTEXT_URL, SUBJECT_CLAIMS

#: URL of the VCDM 2.0 base context; the first ``@context`` item of every W3C credential.
CREDENTIALS_V2_CONTEXT_URL: Final = "https://www.w3.org/ns/credentials/v2"
#: URL of the W3C examples context (used by the W3C test suites' fixtures).
CREDENTIALS_EXAMPLES_V2_CONTEXT_URL: Final = "https://www.w3.org/ns/credentials/examples/v2"

#: Context URL → file under ``contexts/``.
CONTEXT_FILES: Final[Mapping[str, str]] = {
    CREDENTIALS_V2_CONTEXT_URL: "credentials-v2.json",
    CREDENTIALS_EXAMPLES_V2_CONTEXT_URL: "credentials-examples-v2.json",
    DIPLOMA_CONTEXT_URL: "baccalaureate-v1.json",
}

SUBJECT_SCHEMA_FILE: Final = "baccalaureate-subject.schema.json"
CREDENTIAL_SCHEMA_FILE: Final = "baccalaureate-credential.schema.json"
TYPE_METADATA_FILE: Final = "baccalaureate.vct.json"
REFERENCE_FILE: Final = "baccalaureate-reference.json"

#: ``$id`` of the complete-subject variant built by :func:`subject_schema`.
COMPLETE_SUBJECT_SCHEMA_ID: Final = "https://tawtiq.ma/schemas/baccalaureate/v1/subject-complete.json"


def read_bytes(relative_path: str) -> bytes:
    """Return the exact bytes of a file shipped in this package (e.g. ``"contexts/credentials-v2.json"``).

    Raises :class:`FileNotFoundError` if the package does not contain it.
    """
    return resources.files("schemas").joinpath(relative_path).read_bytes()


def _load_object(relative_path: str) -> dict[str, Any]:
    document = json.loads(read_bytes(relative_path).decode("utf-8"))
    if not isinstance(document, dict):  # pragma: no cover - guarded by the tests of every shipped file
        raise TypeError(f"{relative_path} is not a JSON object")
    return document


@cache
def pinned_contexts() -> Mapping[str, Mapping[str, Any]]:
    """Return the JSON-LD context documents a credential may use, by URL, loaded once.

    The keys are the W3C VCDM 2.0 base context, the W3C examples context and the diploma context
    (:data:`DIPLOMA_CONTEXT_URL`). A document loader serves these and refuses every other URL: contexts
    are never fetched at run time.
    """
    return {url: _load_object(f"contexts/{name}") for url, name in CONTEXT_FILES.items()}


@cache
def diploma_type_metadata() -> Mapping[str, Any]:
    """Return the SD-JWT VC Type Metadata of the diploma (``vct`` = :data:`DIPLOMA_VCT`), loaded once.

    Member names follow draft-ietf-oauth-sd-jwt-vc §5: ``vct``, ``name``, ``description``, ``display``
    (``locale``, ``name``, ``description``) and ``claims`` (``path``, ``display`` with ``locale``,
    ``label``; ``mandatory``; ``sd``). Two extension members, documented in the document's
    ``tawtiq:extension_members``, sit on claim entries: ``tawtiq:disclosed_by_default`` and
    ``tawtiq:values`` (labels of each value of a closed list).
    """
    return _load_object(TYPE_METADATA_FILE)


@cache
def _partial_subject_schema() -> Mapping[str, Any]:
    return _load_object(SUBJECT_SCHEMA_FILE)


@cache
def _complete_subject_schema() -> Mapping[str, Any]:
    complete = copy.deepcopy(dict(_partial_subject_schema()))
    complete["$id"] = COMPLETE_SUBJECT_SCHEMA_ID
    complete["title"] = f"{complete['title']} (complete, as issued)"
    complete["required"] = list(SUBJECT_CLAIMS)
    return complete


def subject_schema(*, complete: bool) -> Mapping[str, Any]:
    """Return the JSON Schema (2020-12) of the credential subject, as a self-contained document.

    With ``complete=False`` every claim is typed and none is required: a verifier validates the claims
    that were disclosed. With ``complete=True`` the fifteen :data:`SUBJECT_CLAIMS` are required: the
    issuer validates what it signs. ``type`` is optional in both (the credential schema requires it).
    The schema alone does not check two-decimal precision or the mention; :func:`validate_subject` does.
    """
    return _complete_subject_schema() if complete else _partial_subject_schema()


@cache
def credential_schema() -> Mapping[str, Any]:
    """Return the JSON Schema of the whole W3C credential, to be served at :data:`DIPLOMA_SCHEMA_URL`.

    The returned document is self-contained: the partial subject schema it references is embedded
    under ``$defs`` with its own ``$id`` (a 2020-12 compound schema document), so that anyone who
    fetches ``credentialSchema.id`` can validate without a second request.
    """
    bundled = copy.deepcopy(_load_object(CREDENTIAL_SCHEMA_FILE))
    bundled.setdefault("$defs", {})["subject"] = copy.deepcopy(dict(_partial_subject_schema()))
    return bundled


@cache
def reference_data() -> Mapping[str, Any]:
    """Return the reference lists: the 12 regional academies (``academies``) and the streams (``streams``).

    Each entry has ``code``, ``ar`` and ``fr`` as used in the ``academy`` and ``stream`` claims;
    academies also carry their ``region`` name. Academy codes are the regions' official numbers 01–12.
    """
    return _load_object(REFERENCE_FILE)
