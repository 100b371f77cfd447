"""A fresh SoftHSM2 token per test: a temporary ``SOFTHSM2_CONF`` and token directory, initialised by
``softhsm2-util``. SoftHSM2 is a test requirement like PostgreSQL: missing, the test fails and says how to
install it (``.ci/run`` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest

#: SoftHSM2's PKCS#11 module as Debian installs it.
MODULE = Path(os.environ.get("TAWTIQ_TEST_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so"))
LABEL = "tawtiq-issuer"
PIN = "31415926"
SO_PIN = "27182818"
_INSTALL = "install SoftHSM2 (Debian: apt-get update && apt-get install -y softhsm2; .ci/run does it)"


@dataclass(frozen=True)
class SoftHsmToken:
    """An initialised token: where its module is, its label, its user PIN and a file holding the PIN."""

    module: Path
    label: str
    pin: str
    pin_file: Path


def fresh_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsmToken:
    """Initialise a token in a directory of this test and point SoftHSM2 (re-initialised) at it."""
    util = shutil.which("softhsm2-util")
    if util is None or not MODULE.is_file():
        pytest.fail(f"SoftHSM2 is missing (softhsm2-util: {util}, module {MODULE}): {_INSTALL}")
    tokens = tmp_path / "softhsm-tokens"
    tokens.mkdir(parents=True)
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        [util, "--init-token", "--free", "--label", LABEL, "--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    pkcs11.lib(str(MODULE)).reinitialize()  # SoftHSM2 reads SOFTHSM2_CONF when it is initialised
    pin_file = tmp_path / "pkcs11-pin"
    pin_file.write_text(PIN + "\n", encoding="utf-8")
    return SoftHsmToken(module=MODULE, label=LABEL, pin=PIN, pin_file=pin_file)
