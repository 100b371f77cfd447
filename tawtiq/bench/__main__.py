"""``python -m tawtiq.bench [engine] [serving] [verifier] [revocation] [flow] [printing] [issuer] [exams] [portal]``:
run the parts named."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tawtiq.bench import engine, exams, flow, issuer, portal, printing, revocation, serving, verifier

#: The parts in the order they run: seconds for the engine and the serving layer, a minute each for the verifier,
#: the revocation latency (a real issuer and verifier) and a graduate's flow through the issuer (SQLite and
#: PostgreSQL), the printed diploma (a minute), then the issuer's 500,000-record runs (many minutes) and the exam
#: year's 500,000-candidate deliberation and 50,000 complaints (several minutes), and the portal's result page with
#: 500,000 candidates in the database (a few minutes), so the quick figures are out before the long ones start.
PARTS: dict[str, Callable[..., dict[str, Any]]] = {
    "engine": engine.run,
    "serving": serving.run,
    "verifier": verifier.run,
    "revocation": revocation.run,
    "flow": flow.run,
    "printing": printing.run,
    "issuer": issuer.run,
    "exams": exams.run,
    "portal": portal.run,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tawtiq.bench", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="PART", help=f"one of {', '.join(PARTS)} (default: all)")
    chosen = parser.parse_args(argv).parts or list(PARTS)
    unknown = sorted(set(chosen).difference(PARTS))
    if unknown:
        parser.error(f"unknown part {', '.join(unknown)}; expected any of {', '.join(PARTS)}")
    quick = os.environ.get("TAWTIQ_BENCH_QUICK", "") not in ("", "0")
    results: dict[str, Any] = {"quick": quick, "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    for name, run in PARTS.items():
        if name in chosen:
            print(f"{name}: running its benchmark", file=sys.stderr, flush=True)
            results[name] = run(quick=quick)
            print(json.dumps(results[name], indent=2), file=sys.stderr, flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
