"""Running the independent implementations of tests/interop/ (Node.js, installed by ``make`` with ``npm ci``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"


def node() -> str:
    """The ``node`` executable; fails the test (not skips) when the set-up did not install it."""
    executable = shutil.which("node")
    if executable is None or not (NODE_MODULES / "@openid4vc" / "openid4vp").is_dir():
        pytest.fail(
            "Node.js and the interoperability packages are needed: `make tests/interop/node_modules/.installed` "
            "(npm ci in tests/interop; .ci/run installs Node.js)"
        )
    return executable


def run(script: str, payload: dict[str, Any], *, timeout_seconds: float = 60) -> dict[str, Any]:
    """Run ``tests/interop/<script>`` with ``payload`` as JSON on stdin; return the JSON it prints."""
    completed = subprocess.run(
        [node(), str(HERE / script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout_seconds,
        check=False,
        cwd=HERE,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def start(script: str, payload: dict[str, Any]) -> subprocess.Popen[str]:
    """Start ``tests/interop/<script>`` in the background, ``payload`` on its stdin; the caller reads and stops it."""
    process = subprocess.Popen(
        [node(), str(HERE / script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(payload))
    process.stdin.close()
    return process
