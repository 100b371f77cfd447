"""The two demos of the credential loop.

:func:`run_platform` (``tawtiq demo``, ``make demo``, in :mod:`tawtiq.demo.platform`) runs the real issuer,
verifier and wallet on this machine; :func:`run_engine` (``tawtiq demo --engine``, in :mod:`tawtiq.demo.engine`)
walks the same loop through the engine alone, in-process.
"""

from tawtiq.demo.engine import UNIVERSITY_ASKS, run_engine
from tawtiq.demo.platform import DEMO_REQUEST, DEMO_SHARE, PlatformResult, run_platform
from tawtiq.demo.walk import DemoError

__all__ = ["DEMO_REQUEST", "DEMO_SHARE", "UNIVERSITY_ASKS", "DemoError", "PlatformResult", "run_engine", "run_platform"]
