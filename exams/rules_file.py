"""The exam year's rules files (the subjects, the scholarship): JSON read once and every problem refused as a
:class:`vc.errors.ConfigurationError` naming the file, where in it, what was found and what was expected."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from vc.errors import ConfigurationError

Parsed = TypeVar("Parsed", covariant=True)
Rules = TypeVar("Rules")


class Parser(Protocol[Parsed]):
    """A rules file's validation: the parsed JSON document and the file's name to quote in errors."""

    def __call__(self, document: Any, *, source: str) -> Parsed: ...


@dataclass(frozen=True)
class RulesFile:
    """One kind of rules file: ``name`` as a message says it (``the exam rules file``), the ``code`` of its errors."""

    name: str
    code: str

    def problem(self, where: str, found: Any, expected: str, source: str) -> ConfigurationError:
        """The error for the value at ``where`` of the file ``source``."""
        return ConfigurationError(
            f"{self.name} is invalid at {where}",
            code=self.code,
            found=found,
            expected=f"{expected} ({source})",
        )

    def mapping(self, value: Any, where: str, source: str) -> dict[str, Any]:
        """``value`` as an object without its ``$``-comments; raises :meth:`problem` when it is not an object."""
        if not isinstance(value, dict):
            raise self.problem(where, type(value).__name__, "an object", source)
        return {key: item for key, item in value.items() if not key.startswith("$")}

    def read(self, path: Path, parse: Parser[Rules]) -> Rules:
        """The file at ``path`` parsed as JSON and validated by ``parse(document, source=...)``.

        Raises :meth:`problem` for a file that cannot be read or is not JSON, and whatever ``parse`` raises.
        """
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise self.problem("the file", f"{path}: {exc.strerror}", "a readable JSON file", str(path)) from exc
        except ValueError as exc:
            raise self.problem("the file", f"not JSON ({exc})", "a JSON document", str(path)) from exc
        return parse(document, source=str(path))
