"""The shape of every Tawtiq service, written once: clock, settings base, database and migrations, errors as
problem details, middleware, health endpoints, and the application factory (see ARCHITECTURE.md).
"""

from .app import install_error_handlers, problem_response, service_app
from .clock import Clock, FixedClock, SystemClock
from .database import Migrations, create_database_engine, reading, snapshot, writing
from .health import health_router
from .middleware import BodyLimit, RequestLog, SecurityHeaders
from .problems import OAuthError, problem, problem_of, status_of
from .settings import ServiceSettings

__all__ = [
    "BodyLimit",
    "Clock",
    "FixedClock",
    "Migrations",
    "OAuthError",
    "RequestLog",
    "SecurityHeaders",
    "ServiceSettings",
    "SystemClock",
    "create_database_engine",
    "health_router",
    "install_error_handlers",
    "problem",
    "problem_of",
    "problem_response",
    "reading",
    "service_app",
    "snapshot",
    "status_of",
    "writing",
]
