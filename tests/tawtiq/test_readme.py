"""The README's examples are run, so they stay true.

The engine's Python example runs in-process. The issuer's and the verifier's "Run it" sections run as a
newcomer would follow them: each shell block in its own ``bash`` (three terminals), in a fresh directory
holding the ``.venv`` that ``make test`` made, as real processes. Two things differ from a person at a
keyboard, and only these: the ports 8100 and 8200 are replaced by free ones (every ``8100``/``8200`` in the
blocks, nothing else), and the wallet's two questions (its passphrase, the offer's PIN read from the
issuer's output) are answered through ``TAWTIQ_WALLET_PASSPHRASE`` and ``TAWTIQ_WALLET_TX_CODE``. A
long-running ``tawtiq serve`` ends its block; the test polls the service's health endpoint (bounded) and
always stops the services with Ctrl-C (SIGINT), then SIGKILL if they linger.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
ISSUER_PORT, VERIFIER_PORT = "8100", "8200"
#: Upper bounds, on a loaded 2-core machine: migrations, keys and a 1,000-graduate cohort before the issuer
#: listens; a wallet receiving and sharing.
SERVICE_START_SECONDS = 300
WALLET_SECONDS = 240
STOP_SECONDS = 20


def python_blocks_under(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def shell_blocks_of_run_it(section_title: str) -> list[str]:
    """The ``sh`` blocks of the "### Run it" subsection of the "## <section_title>..." section."""
    text = README.read_text(encoding="utf-8")
    sections = [part for part in re.split(r"\n## ", text) if part.startswith(section_title)]
    assert len(sections) == 1, f"README.md has no single section '## {section_title}…'"
    run_it = [part for part in re.split(r"\n### ", sections[0]) if part.startswith("Run it\n")]
    assert len(run_it) == 1, f"'## {section_title}…' has no single '### Run it'"
    return re.findall(r"```sh\n(.*?)```", run_it[0], flags=re.DOTALL)


def test_use_the_engine_runs_as_written(capsys: object) -> None:
    blocks = python_blocks_under("Use the engine")
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    report = namespace["report"]
    assert getattr(report, "valid", False)
    claims = getattr(report, "claims", {})["credentialSubject"]
    assert set(claims) == {"type", "familyName", "givenName", "mention"}


# ------------------------------------------------------------------------------------- the services' Run it


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def _on_ports(block: str, *, issuer: str, verifier: str) -> str:
    return re.sub(rf"\b{VERIFIER_PORT}\b", verifier, re.sub(rf"\b{ISSUER_PORT}\b", issuer, block))


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class Terminal:
    """One shell block running in its own ``bash -e`` (a terminal), its output in a log file."""

    def __init__(self, name: str, script: str, *, directory: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log = directory / f"{name}.terminal.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                ["bash", "-e", "-o", "pipefail", "-c", script],
                cwd=directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C reaches bash and the service it started
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_up(self, url: str, *, seconds: float) -> None:
        """Poll ``url`` until it answers 200; fail at once if the block exits, or after ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                pytest.fail(f"the {self.name} block exited with {code} before {url} answered:\n{_tail(self.log)}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)  # the polling interval
        pytest.fail(f"{url} did not answer within {seconds} s:\n{_tail(self.log)}")

    def stop(self) -> None:
        """Ctrl-C, as the README says; SIGKILL if the service does not stop in time."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_SECONDS)
        except ProcessLookupError:  # pragma: no cover - ended between poll and kill
            self.process.wait(timeout=STOP_SECONDS)


@contextmanager
def terminal(name: str, script: str, *, directory: Path, env: dict[str, str]) -> Iterator[Terminal]:
    started = Terminal(name, script, directory=directory, env=env)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def newcomer(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh directory with the project's ``.venv`` in it, and a plain environment (no TAWTIQ_* settings)."""
    activate = Path(sys.prefix) / "bin" / "activate"
    if not activate.is_file():
        pytest.skip(f"the tests do not run in a virtual environment ({sys.prefix} has no bin/activate)")
    directory = tmp_path / "try-out"
    directory.mkdir()
    (directory / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "COLUMNS": "120"}
    return directory, env


@pytest.mark.slow
@pytest.mark.timeout(SERVICE_START_SECONDS + WALLET_SECONDS + 4 * STOP_SECONDS + 60)
def test_the_issuer_and_verifier_run_it_sections_give_a_valid_verdict(newcomer: tuple[Path, dict[str, str]]) -> None:
    directory, env = newcomer
    (issuer_block,) = shell_blocks_of_run_it("The issuer")
    verifier_block, wallet_block = shell_blocks_of_run_it("The verifier")
    assert f"tawtiq serve issuer --port {ISSUER_PORT}" in issuer_block.splitlines()[-1]
    assert f"tawtiq serve verifier --port {VERIFIER_PORT}" in verifier_block.splitlines()[-1]
    assert f"http://127.0.0.1:{ISSUER_PORT}" in verifier_block, "the trust list names the issuer of the issuer block"
    issuer_port, verifier_port = _free_port(), _free_port()
    ports = {"issuer": issuer_port, "verifier": verifier_port}
    issuer_url, verifier_url = f"http://127.0.0.1:{issuer_port}", f"http://127.0.0.1:{verifier_port}"

    with ExitStack() as terminals:
        issuer = terminals.enter_context(
            terminal("issuer", _on_ports(issuer_block, **ports), directory=directory, env=env)
        )
        verifier = terminals.enter_context(
            terminal("verifier", _on_ports(verifier_block, **ports), directory=directory, env=env)
        )
        issuer.wait_until_up(f"{issuer_url}/health/ready", seconds=SERVICE_START_SECONDS)
        verifier.wait_until_up(f"{verifier_url}/health/ready", seconds=SERVICE_START_SECONDS)

        offered = issuer.output()
        assert "Offer for " in offered
        pin = re.search(r"Transaction code[^:\n]*: (\d+)", offered)
        assert pin is not None, _tail(issuer.log)
        answers = {"TAWTIQ_WALLET_PASSPHRASE": "the graduate's wallet passphrase", "TAWTIQ_WALLET_TX_CODE": pin[1]}
        wallet = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", _on_ports(wallet_block, **ports)],
            cwd=directory,
            env={**env, **answers},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=WALLET_SECONDS,
            check=False,
        )
        shown = wallet.stdout + wallet.stderr
        assert wallet.returncode == 0, shown
        link = re.search(rf"{re.escape(verifier_url)}/s/[\w-]+", wallet.stdout)
        assert link is not None, shown

        opened = httpx.get(link[0], headers={"Accept": "application/json"}, timeout=30)
        assert opened.status_code == 200, opened.text
        result = opened.json()
        assert result["verdict"] == "valid", result
        assert result["report"]["issuer"] == issuer_url
        page = httpx.get(link[0], headers={"Accept": "text/html"}, timeout=30)
        assert "صالحة" in page.text  # the page's verdict, in Arabic by default
    for started in (issuer, verifier):
        assert started.process.returncode is not None, f"the {started.name} service was stopped"
