"""JSON that reaches the wallet from outside: a credential offer (in its link or fetched), issuer metadata, a
verifier's request object, the answers of the issuer's and the verifier's endpoints, a backup file's envelope.

Each is read with the engine's strict parser (:func:`vc.encoding.json_loads`: orjson, valid UTF-8, no NaN,
integers within 64 bits, never more than 1024 levels) and refused when it is nested deeper than the engine itself
walks (:data:`vc.encoding.MAX_JSON_DEPTH` levels, checked without recursion by :func:`vc.encoding.check_depth`).
A hostile document therefore ends in an error with a code that says what was found, never in a ``RecursionError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vc.encoding import check_depth, json_loads
from vc.errors import FormatError
from wallet_cli.errors import NetworkError

if TYPE_CHECKING:  # pragma: no cover - wallet_cli.net reads error answers with read_object
    from wallet_cli.net import Answer


def read_object(data: bytes | str, *, what: str) -> dict[str, Any]:
    """``data`` as a JSON object no deeper than the engine walks.

    Raises the engine's :class:`vc.errors.FormatError` naming ``what``: ``format.json`` ("… is not JSON", with the
    parser's reason, including nesting beyond its bound; "… is not a JSON object") or ``format.too_deep``.
    """
    try:
        value = json_loads(data, what=what)
    except FormatError as exc:
        raise FormatError(f"{what} is not JSON", code="format.json", found=exc.found, expected=exc.expected) from None
    if not isinstance(value, dict):
        raise FormatError(f"{what} is not a JSON object", code="format.json", found=type(value).__name__)
    check_depth(value, what=what)
    return value


def answer_object(answer: Answer) -> dict[str, Any]:
    """The body of an issuer's or verifier's answer as a JSON object no deeper than the engine walks.

    Raises :class:`NetworkError`: ``network.not_json`` (not JSON, or not an object), ``network.too_deep``.
    """
    what = f"the {answer.what} answer"
    try:
        value = json_loads(answer.body, what=what)
    except FormatError as exc:
        source = f"HTTP {answer.status} {answer.content_type or 'without a content type'} from {answer.url}"
        raise NetworkError(f"{what} is not JSON", code="network.not_json", found=f"{exc.found} in {source}") from None
    if not isinstance(value, dict):
        raise NetworkError(f"{what} is not a JSON object", code="network.not_json", found=type(value).__name__)
    try:
        check_depth(value, what=what)
    except FormatError as exc:
        raise NetworkError(exc.summary, code="network.too_deep", found=exc.found, expected=exc.expected) from None
    return value
