"""The platform demo's machinery: free loopback ports, each party's environment (generated secrets, fresh
directories), running the ``tawtiq`` and ``tawtiq-wallet`` commands as a person would, and starting and
stopping the services.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

#: Where the demo's services listen when those ports are free.
PREFERRED_ISSUER_PORT = 8100
PREFERRED_VERIFIER_PORT = 8200
#: How long clients may cache status lists in the demo (production: minutes); the demo waits this long.
DEMO_STATUS_TTL_SECONDS = 2
_STARTUP_SECONDS = 60.0


class DemoError(Exception):
    """The walk-through could not go on (a service did not start, a command failed)."""


def free_port(preferred: int) -> int:
    """``preferred`` if it is free on 127.0.0.1, else any free port."""
    for candidate in (preferred, 0):
        with socket.socket() as probe:
            # As uvicorn binds: connections of an earlier run in TIME_WAIT do not make the port busy.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise DemoError("no free TCP port on 127.0.0.1")


def free_port_near(preferred: int) -> int:
    """``preferred`` if it is free on 127.0.0.1, else any free port (for the services the demo starts later)."""
    return free_port(preferred)


class Walk:
    """The running walk-through: its console, directories, environments and child processes."""

    def __init__(self, console: Console, directory: Path, *, preferred_ports: bool = True) -> None:
        """``preferred_ports``: the usual ports when free (a person's demo); else any free ones (tests running
        beside other demos, which could take a preferred port between the check and the service's start)."""
        self.console = console
        self.directory = directory
        self.preferred_ports = preferred_ports
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.issuer_port = self.port(PREFERRED_ISSUER_PORT)
        self.verifier_port = self.port(PREFERRED_VERIFIER_PORT)
        self.issuer_url = f"https://127.0.0.1:{self.issuer_port}"
        self.verifier_url = f"http://127.0.0.1:{self.verifier_port}"
        self.issuer_dir = directory / "issuer"
        self.verifier_dir = directory / "verifier"
        self.wallet_dir = directory / "wallet"
        self.certificate = self.issuer_dir / "tls" / "cert.pem"
        base = {name: value for name, value in os.environ.items() if not name.startswith("TAWTIQ_")}
        base["COLUMNS"] = str(max(60, console.width - 2))
        base["PYTHONUNBUFFERED"] = "1"
        #: The environment every party starts from: the user's, without any TAWTIQ_ variable.
        self.base_env = dict(base)
        self.issuer_env = {
            **base,
            "TAWTIQ_ISSUER_URL": self.issuer_url,
            "TAWTIQ_DATA_DIR": str(self.issuer_dir),
            "TAWTIQ_KEY_PASSPHRASE": secrets.token_urlsafe(32),
            "TAWTIQ_STATUS_TTL_SECONDS": str(DEMO_STATUS_TTL_SECONDS),
        }
        self.verifier_env = {
            **base,
            "TAWTIQ_VERIFIER_PUBLIC_URL": self.verifier_url,
            "TAWTIQ_VERIFIER_SECRET_KEY": secrets.token_urlsafe(32),
            "TAWTIQ_VERIFIER_DATABASE_URL": f"sqlite:///{self.verifier_dir / 'verifier.sqlite3'}",
            "TAWTIQ_VERIFIER_TRUST_LIST": str(self.verifier_dir / "trust-list.json"),
            "TAWTIQ_VERIFIER_CA_FILE": str(self.certificate),
            "TAWTIQ_VERIFIER_STATUS_MIN_TTL_SECONDS": "0",
        }
        self.wallet_passphrase_file = directory / "wallet-passphrase"
        self.wallet_env = {
            **base,
            "TAWTIQ_WALLET_DIR": str(self.wallet_dir),
            "TAWTIQ_WALLET_PASSPHRASE_FILE": str(self.wallet_passphrase_file),
            "TAWTIQ_WALLET_CA_FILE": str(self.certificate),
        }

    def port(self, preferred: int) -> int:
        """A free port for a service: ``preferred`` if it is free and preferred ports are wanted."""
        return free_port(preferred if self.preferred_ports else 0)

    # -- printing --------------------------------------------------------------------------------

    def step(self, number: int, title: str, explanation: str) -> None:
        self.console.print()
        self.console.rule(f"[bold]{number}. {title}[/]", align="left")
        self.console.print(Text(explanation, style="italic"))

    def _show(self, output: str, style: str = "") -> None:
        text = output.rstrip()
        if text:
            self.console.print(Padding(Text(text, style=style, overflow="fold"), (0, 0, 0, 2)))

    def run(
        self, who: str, env: dict[str, str], *arguments: str, expect: tuple[int, ...] = (0,), quiet: bool = False
    ) -> str:
        """Run ``tawtiq`` or ``tawtiq-wallet`` with ``arguments`` as that person would; return its stdout."""
        program = "tawtiq" if who == "tawtiq" else "tawtiq-wallet"
        module = "tawtiq" if who == "tawtiq" else "wallet_cli"
        shown = " ".join(shlex.quote(part) for part in arguments)
        self.console.print(Text(f"$ {program} {shown}", style="bold cyan"))
        result = subprocess.run(  # noqa: S603 - our own interpreter and modules
            [sys.executable, "-m", module, *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if not quiet:
            self._show(result.stderr, "dim")
            self._show(result.stdout)
        if result.returncode not in expect:
            if quiet:
                self._show(result.stderr, "dim")
            raise DemoError(f"`{program} {arguments[0]}` exited with {result.returncode}")
        return result.stdout

    # -- services --------------------------------------------------------------------------------

    def start(
        self,
        name: str,
        env: dict[str, str],
        *arguments: str,
        base: str,
        health: str,
        verify: Callable[[], ssl.SSLContext] | bool,
    ) -> None:
        """Start ``tawtiq serve …`` in its own session and wait until ``health`` answers 200."""
        log = self.directory / f"{name}.log"
        self.console.print(Text(f"$ tawtiq {' '.join(arguments)}   (log: {log})", style="bold cyan"))
        with _interruptions_deferred(), log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "tawtiq", *arguments],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the demo, which stops the services in order
            )
            self.processes.append((name, process))
        deadline = time.monotonic() + _STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise DemoError(f"the {name} stopped while starting:\n{_tail(log)}")
            try:
                context: ssl.SSLContext | bool = verify() if callable(verify) else verify
                if httpx.get(health, verify=context, timeout=2).status_code == 200:
                    break
            except (httpx.HTTPError, OSError, ssl.SSLError):
                pass
            if time.monotonic() > deadline:
                raise DemoError(f"the {name} did not become ready in {_STARTUP_SECONDS:.0f} s:\n{_tail(log)}")
            time.sleep(0.1)
        self.console.print(Text(f"  {name} ready at {base}", style="green"))

    def issuer_tls(self) -> ssl.SSLContext:
        if not self.certificate.exists():
            raise OSError("no certificate yet")
        return ssl.create_default_context(cafile=str(self.certificate))

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            self.console.print(Text(f"{name} stopped", style="dim"))
        self.processes.clear()


@contextmanager
def _interruptions_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a service is being started, then act on them as usual.

    Arriving inside ``Popen``, they would interrupt it after the child was forked but before the demo knew
    of it: the service would keep running after the demo stopped. Held, they are raised again once the
    process is on the list :meth:`Walk.stop` walks.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(number: int, _frame: object) -> None:
        held.append(number)

    previous = {kind: signal.signal(kind, hold) for kind in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)
        for number in dict.fromkeys(held):
            signal.raise_signal(number)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
