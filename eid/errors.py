"""The provider's own errors, on top of the engine's families."""

from __future__ import annotations

from vc.errors import ConfigurationError


class DevelopmentModeRequiredError(ConfigurationError):
    """The stand-in was asked to start without development mode set explicitly."""

    default_code = "eid.development_required"
