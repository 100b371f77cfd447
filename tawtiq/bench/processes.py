"""The processes the benchmarks serve and measure: a free loopback port, a service run in a child process until
its health endpoint answers, and the CPU time a process (or a process and its children) has spent."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (Linux ``/proc``), or NaN where ``/proc`` is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (Linux ``/proc``; empty where it is not available)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(children)
            pending.extend(children)
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` and of every process it started that is still running (a server's
    workers): the figure for a multi-process server. NaN where ``/proc`` is not available."""
    return sum(cpu_seconds(process) for process in [pid, *descendants(pid)])


@contextmanager
def served(
    command: list[str],
    environment: Mapping[str, str],
    *,
    health: str,
    log: Path,
    name: str,
    start_seconds: float = 60,
    poll_seconds: float = 0.1,
    stop_seconds: float = 10,
) -> Iterator[int]:
    """``command`` in a child process (its output in ``log``) until the block ends; yields its pid once ``health``
    answers 200. Raises :class:`RuntimeError` with the end of the log when the process exits or does not answer
    within ``start_seconds``."""
    import httpx

    with log.open("wb") as output:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            command, env=dict(environment), stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(poll_seconds)
        yield child.pid
    finally:
        child.terminate()
        try:
            child.wait(timeout=stop_seconds)
        except subprocess.TimeoutExpired:  # pragma: no cover
            child.kill()
