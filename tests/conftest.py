"""Shared test fixtures: where the standards' test data lives, and a pinned clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Standards test data shipped beside the project (see ../shared/conformance/README.md).
CONFORMANCE = ROOT.parent / "shared" / "conformance"


def load_conformance(relative: str) -> Any:
    """Load a JSON file from ../shared/conformance."""
    return json.loads((CONFORMANCE / relative).read_text(encoding="utf-8"))


@pytest.fixture
def now() -> datetime:
    """A fixed 'now' for tests that check dates."""
    return datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
