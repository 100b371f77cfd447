"""``make bench``: performance figures as ratios measured in one run on one machine.

Absolute times drift on shared machines, so every target is a ratio against a baseline timed in the same
run, interleaved with it: raw ES256 signatures and the ``sd-jwt`` reference implementation for the engine
(:mod:`tawtiq.bench.engine`), a trivial endpoint of the same server for the verifier
(:mod:`tawtiq.bench.verifier`), a plain INSERT and a trivial endpoint for the issuer
(:mod:`tawtiq.bench.issuer`). ``python -m tawtiq.bench [engine] [verifier] [issuer]`` runs the parts named
(all of them by default, the quick ones first); progress goes to stderr, and the last line on stdout is one
JSON object with the figures of each part under its name. Never run as a test: nothing here fails a build.

Set ``TAWTIQ_BENCH_QUICK=1`` for a shorter run (smaller cohorts, fewer rounds).
"""
