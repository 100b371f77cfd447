"""HTTP routes: thin shells that parse, call the domain, and shape the answer."""

from typing import Any

import orjson
from starlette.responses import Response


class JsonAnswer(Response):
    """JSON rendered by orjson, without FastAPI's response-model pass: reports are plain JSON-ready dicts."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
