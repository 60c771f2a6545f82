"""The CRM API's OpenAPI 3.1 document: paths, webhooks and problem types, with schemas
from the pydantic models the endpoints validate with (web/api_schemas.py)."""

from __future__ import annotations

from questionnaire.store.models import MAX_ROW_ID
from questionnaire.web import api_schemas as schemas
from questionnaire.web.problems import PROBLEM_JSON, PROBLEMS, type_of
from questionnaire.web.queries import ListParams

OK_TEXTS = {
    200: "OK",
    201: "Created: a result revision counts the answer (or, for a repeated Idempotency-Key, "
    "the first response again)",
}
# The problems each response may be; every endpoint may also answer these.
ALWAYS = ("unauthorized", "insufficient-scope", "rate-limited", "busy")


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def responses(ok: int, model: str, *slugs: str, headers: dict | None = None) -> dict:
    out: dict = {
        str(ok): {
            "description": OK_TEXTS[ok],
            "content": {"application/json": {"schema": ref(model)}},
            **({"headers": headers} if headers else {}),
        }
    }
    by_status: dict[int, list[str]] = {}
    for slug in (*slugs, *ALWAYS):
        by_status.setdefault(PROBLEMS[slug][0], []).append(slug)
    for status, kinds in sorted(by_status.items()):
        described = "; ".join(f"{type_of(k)}: {PROBLEMS[k][1]}" for k in kinds)
        entry: dict = {
            "description": described,
            "content": {PROBLEM_JSON: {"schema": ref("Problem")}},
        }
        if status in (429, 503):
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        out[str(status)] = entry
    return out


ID_PARAMETER = {
    "name": "assessment_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
}
ETAG = {"ETag": {"description": "The assessment's version", "schema": {"type": "string"}}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique text: a retry with the same key and body within 24 hours gets "
    "the first response and writes nothing; the same key with another body is a 422",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you hold: 304 while the assessment has not changed",
    "schema": {"type": "string"},
}


def json_body(model: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": ref(model)}}}


def webhook(summary: str, model: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "description": "Signed on the Standard Webhooks scheme: webhook-id, "
            "webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of "
            "'id.timestamp.body'> under the whsec_ secret; two, space-separated, during a "
            "rotation). X-Trustcheck-Signature (sha256=<hex HMAC of the body>) is still sent "
            "and deprecated. Answer 2xx; anything else is retried for 24 hours. Drop an "
            "event whose data.version is older than one you have.",
            "requestBody": json_body(model),
            "responses": {"2XX": {"description": "Received"}},
        }
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trustcheck CRM API",
            "version": "1",
            "description": "Assessments, their results and the provider's written answers, "
            "a change feed to keep a copy in sync, and webhooks. Reads are shown to the "
            "buyer as 'CRM integration NAME', once per token and assessment an hour "
            "(an assessment) or a day (the list and the feed). Errors are RFC 9457 "
            "problem details with these types: "
            + "; ".join(f"{type_of(slug)} ({status})" for slug, (status, _) in PROBLEMS.items()),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/assessments": {
                "get": {
                    "operationId": "listAssessments",
                    "summary": "One page of assessments, with the sales list's filters",
                    "parameters": schemas.query_parameters(ListParams),
                    "responses": responses(
                        200,
                        "AssessmentPage",
                        "invalid-request",
                        "unknown-parameter",
                        "repeated-parameter",
                    ),
                }
            },
            "/api/v1/changes": {
                "get": {
                    "operationId": "listChanges",
                    "summary": "Assessments created, changed or deleted since a cursor, "
                    "drafts included, in the order they changed",
                    "description": "Start without `after`; keep `next_cursor` and send it "
                    "as `after` next time. With has_more false you are in sync: an idle "
                    "sync is one request. A deleted assessment comes as a tombstone: erase "
                    "your copy. A cursor stays valid for at least 30 days from the request "
                    "that reached the end of the feed; after that the answer is 410 and "
                    "you read the full list again.",
                    "parameters": schemas.query_parameters(schemas.ChangesQuery),
                    "responses": responses(
                        200,
                        "ChangesPage",
                        "invalid-request",
                        "unknown-parameter",
                        "repeated-parameter",
                        "invalid-cursor",
                        "cursor-expired",
                    ),
                }
            },
            "/api/v1/assessments/{assessment_id}": {
                "get": {
                    "operationId": "getAssessment",
                    "summary": "Contact, stage, owner, the result in force and its follow-ups",
                    "parameters": [ID_PARAMETER, IF_NONE_MATCH],
                    "responses": {
                        **responses(
                            200,
                            "AssessmentDetail",
                            "not-found",
                            "unknown-parameter",
                            "repeated-parameter",
                            headers=ETAG,
                        ),
                        "304": {
                            "description": "Not modified since the ETag given",
                            "headers": ETAG,
                        },
                    },
                },
                "patch": {
                    "operationId": "updateAssessment",
                    "summary": "Set the owner (a user id, or null) and the stage",
                    "parameters": [ID_PARAMETER],
                    "requestBody": json_body("AssessmentPatch"),
                    "responses": responses(
                        200,
                        "AssessmentDetail",
                        "not-found",
                        "malformed-json",
                        "body-too-large",
                        "unsupported-media-type",
                        "validation-failed",
                        headers=ETAG,
                    ),
                },
            },
            "/api/v1/assessments/{assessment_id}/provider-answers": {
                "post": {
                    "operationId": "answerFollowUp",
                    "summary": "Answer one of the buyer's follow-ups in writing",
                    "parameters": [ID_PARAMETER, IDEMPOTENCY_KEY],
                    "requestBody": json_body("ProviderAnswerIn"),
                    "responses": responses(
                        201,
                        "ProviderAnswerOut",
                        "invalid-request",
                        "malformed-json",
                        "not-found",
                        "not-submitted",
                        "body-too-large",
                        "unsupported-media-type",
                        "validation-failed",
                        "idempotency-key-reused",
                    ),
                }
            },
            "/api/v1/library": {
                "get": {
                    "operationId": "listLibraryAnswers",
                    "summary": "The answer library: written answers kept for reuse",
                    "description": "Give one to a buyer with `library_answer_id` on "
                    "provider-answers. Holds no buyer's data, so reading it is not an access "
                    "buyers see.",
                    "parameters": schemas.query_parameters(schemas.LibraryQuery),
                    "responses": responses(
                        200,
                        "LibraryPage",
                        "invalid-request",
                        "unknown-parameter",
                        "repeated-parameter",
                    ),
                }
            },
        },
        "webhooks": {
            "assessment.submitted": webhook("A buyer submitted an assessment", "AssessmentEvent"),
            "assessment.answered": webhook(
                "A written answer made a new result revision (no assessment.revised is sent "
                "for it)",
                "AssessmentEvent",
            ),
            "assessment.revised": webhook(
                "A result revision made other than by a written answer", "AssessmentEvent"
            ),
            "assessment.deleted": webhook(
                "An assessment was deleted: erase your copy. Pending events about it are "
                "dropped; this is sent instead",
                "DeletionEvent",
            ),
        },
        "components": {
            "schemas": schemas.component_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
