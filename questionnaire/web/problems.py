"""The CRM API's errors as RFC 9457 problem details (``application/problem+json``).

Each kind of error has a stable ``type`` (``/api/v1/problems/<slug>``, relative to the
app), listed here once: the API, the error pages of security.py and the OpenAPI document
all take them from PROBLEMS.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"

# slug: (HTTP status, title). Slugs are a contract with API clients: never rename one.
PROBLEMS = {
    "invalid-request": (400, "The request is not valid"),
    "unknown-parameter": (400, "The request has a query parameter this endpoint does not know"),
    "repeated-parameter": (400, "A query parameter is given more than once"),
    "invalid-cursor": (400, "The cursor is not one the change feed gave out"),
    "malformed-json": (400, "The body is not JSON"),
    "unauthorized": (401, "A valid API token is needed"),
    "insufficient-scope": (403, "The token's scopes do not allow this"),
    "not-found": (404, "There is no such resource"),
    "method-not-allowed": (405, "This method is not allowed here"),
    "not-submitted": (409, "The buyer has not submitted this assessment yet"),
    "cursor-expired": (410, "The cursor is too old: read the full list again"),
    "body-too-large": (413, "The body is too large"),
    "unsupported-media-type": (415, "The body must be sent as application/json"),
    "validation-failed": (422, "Some fields are not valid"),
    "idempotency-key-reused": (422, "This Idempotency-Key was used with another request"),
    "rate-limited": (429, "Too many requests with this token"),
    "server-error": (500, "Something went wrong on our side"),
    "busy": (503, "The database was busy: nothing was changed; try again shortly"),
}
STATUS_SLUGS = {
    400: "invalid-request",
    401: "unauthorized",
    403: "insufficient-scope",
    404: "not-found",
    405: "method-not-allowed",
    409: "not-submitted",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    500: "server-error",
    503: "busy",
}


def type_of(slug: str) -> str:
    return TYPE_BASE + slug


def problem(
    slug: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem response of a kind listed in PROBLEMS; ``errors``: one per field, each
    ``{"field", "code", "message"}``."""
    status, title = PROBLEMS[slug]
    body: dict[str, Any] = {"type": type_of(slug), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def for_status(status: int, detail: str | None = None, headers=None) -> Response:
    """The problem for an HTTP error raised outside the API's own checks (routing, 413)."""
    return problem(STATUS_SLUGS.get(status, "server-error"), detail, headers=headers)
