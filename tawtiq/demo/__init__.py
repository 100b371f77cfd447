"""The demos of the credential loop.

:func:`run_platform` (``tawtiq demo``, ``make demo``, in :mod:`tawtiq.demo.platform`) runs the real issuer,
verifier and wallet on this machine; :func:`run_engine` (``tawtiq demo --engine``, in :mod:`tawtiq.demo.engine`)
walks the same loop through the engine alone, in-process; :func:`run_after_results` (``tawtiq demo
--after-results``, in :mod:`tawtiq.demo.after_results`) carries a complaint in the candidate portal to the diploma in
the wallet.
"""

from tawtiq.demo.after_results import AfterResultsResult, run_after_results
from tawtiq.demo.engine import UNIVERSITY_ASKS, run_engine
from tawtiq.demo.platform import DEMO_REQUEST, DEMO_SHARE, PlatformResult, run_platform
from tawtiq.demo.walk import DemoError

__all__ = [
    "DEMO_REQUEST",
    "DEMO_SHARE",
    "UNIVERSITY_ASKS",
    "AfterResultsResult",
    "DemoError",
    "PlatformResult",
    "run_after_results",
    "run_engine",
    "run_platform",
]
