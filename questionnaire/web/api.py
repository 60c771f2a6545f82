"""The CRM API under /api/v1: JSON, bearer tokens (``flask api-tokens``), an OpenAPI 3.1
document built from the same pydantic models the endpoints validate with.

Only the ``Authorization: Bearer`` header authorises: a staff session cookie never does,
and CSRF does not apply (no cookie, so no cross-site request can act as anyone). Every
read is an access event the buyer sees, named after the token ("CRM integration NAME").
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Flask, current_app, g, jsonify, request, url_for
from pydantic import BaseModel, ValidationError

from questionnaire.core.library import value_space
from questionnaire.core.written import WrittenAnswerError
from questionnaire.store import access, apitokens, followup, library, listing
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import MAX_ROW_ID, Assessment
from questionnaire.web import api_schemas as schemas
from questionnaire.web import followup as followup_pages
from questionnaire.web.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(status: int, message: str, details: list | None = None, **headers):
    body = schemas.Error(error=message, details=details or [])
    return jsonify(body.model_dump(mode="json")), status, headers


def unauthorised():
    return error(
        401,
        "A valid API token is needed: send it as 'Authorization: Bearer <token>'.",
        **{"WWW-Authenticate": 'Bearer realm="trustcheck"'},
    )


@bp.before_request
def authorise():
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = apitokens.find(token.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        return unauthorised()
    g.api_actor = apitokens.actor_of(found.name)
    return None


def parse(model: type[BaseModel], data):
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        details = exc.errors(include_url=False, include_context=False, include_input=False)
        return None, error(400, "The request is not valid.", details)


def item(row: dict, owners: dict[int, str]) -> dict:
    return schemas.AssessmentItem(
        id=row["id"],
        status=row["status"],
        contact={"company": row["company"], "name": row["contact_name"], "email": row["email"]},
        submitted_at=row["submitted_at"],
        updated_at=row["updated_at"],
        score=row["score"],
        rating=row["rating"],
        deal_breakers=row["deal_breakers"] if row["status"] == "submitted" else None,
        open_follow_ups=row["open_follow_ups"],
        bank_version=row["bank_version"],
        owner=owners.get(row["owner_id"]) if row["owner_id"] else None,
        stage=row["stage"],
        revision=row["result_revision"],
        url=url_for("api.assessment", assessment_id=row["id"]),
    ).model_dump(mode="json")


@bp.get("/assessments")
def assessments():
    query, problem = parse(schemas.ListQuery, request.args.to_dict())
    if problem:
        return problem
    args = {k: str(v) for k, v in query.model_dump(exclude_defaults=True).items()}
    # The dates are checked already; a "to" before the "from" simply matches nothing.
    filters = replace(listing.parse_filters(args), date_from=query.date_from, date_to=query.date_to)
    page = listing.page_of(filters, size=query.per_page)
    owners = followup.owner_names()
    access.record_many([r["id"] for r in page.rows], None, g.api_actor, access.LISTED)
    body = schemas.AssessmentPage(
        items=[item(r, owners) for r in page.rows],
        page=page.number,
        per_page=page.size,
        total=page.total,
        pages=page.pages,
    )
    return jsonify(body.model_dump(mode="json"))


def find(assessment_id: int) -> Assessment | None:
    return db.session.get(Assessment, assessment_id)


@bp.get("/assessments/<id:assessment_id>")
def assessment(assessment_id: int):
    found = find(assessment_id)
    if found is None:
        return error(404, "There is no assessment with this id.")
    now = followup.current(found) if found.submitted else None
    row = {c: getattr(found, c) for c in listing.COLUMN_NAMES}
    body = schemas.AssessmentDetail(
        **item(row, followup.owner_names()),
        result=now.result if now else None,
        written_answers=[w.to_dict() for w in now.written.values()] if now else [],
    )
    access.add_event(found.id, None, g.api_actor, access.VIEW)
    db.session.commit()
    return jsonify(body.model_dump(mode="json"))


@bp.post("/assessments/<id:assessment_id>/provider-answers")
def provider_answer(assessment_id: int):
    found = find(assessment_id)
    if found is None:
        return error(404, "There is no assessment with this id.")
    data, problem = parse(schemas.ProviderAnswerIn, request.get_json(silent=True))
    if problem:
        return problem
    if not found.submitted:
        return error(409, "The buyer has not submitted this assessment yet.")
    bank = ops.bank_of(found)
    given = {
        "raw": data.value,
        "statement": data.statement,
        "reference": data.reference,
        "grade": data.grade,
    }
    if data.library_answer_id is not None:
        given, problem = from_library(bank, data.question, data.library_answer_id)
        if problem:
            return problem
    try:
        number = followup_pages.give(found, bank, data.question, given, g.api_actor)
    except WrittenAnswerError as exc:  # well-formed, but does not fit this buyer's question
        return error(422, str(exc))
    body = schemas.ProviderAnswerOut(
        assessment_id=found.id,
        revision=number,
        question=data.question,
        score=found.score,
        rating=found.rating,
        open_follow_ups=found.open_follow_ups,
    )
    return jsonify(body.model_dump(mode="json")), 201


def from_library(bank, question_id: str, answer_id: int):
    """A library answer given as it stands, if it is in use and fits this question as the
    assessment's bank asks it: (given, None), or (None, an error response)."""
    answer = library.get(answer_id)
    if answer is None or answer.retired_at is not None:
        return None, error(422, "There is no library answer in use with this id.")
    question = bank.by_id.get(question_id)
    if answer.question_id != question_id or question is None:
        return None, error(422, "That library answer is for another question.")
    if value_space(question) != answer.value_space:
        return None, error(
            422,
            "That library answer does not fit this assessment's bank: its question has other "
            "options or another range there.",
        )
    given = {
        "raw": list(answer.value) if isinstance(answer.value, list) else answer.value,
        "statement": answer.statement,
        "reference": answer.reference,
        "grade": answer.grade,
        "library": answer,
    }
    return given, None


@bp.get("/library")
def library_answers():
    """The answer library (no buyer's data: not an access the buyers see)."""
    shown = request.args.get("retired", "false")
    if shown not in ("true", "false"):
        return error(400, "retired must be true or false.")
    bank = ops.registry().current()
    banks = library.stored_banks()
    retired = shown == "true"
    items = [
        schemas.LibraryAnswerOut(
            id=a.id,
            question=a.question_id,
            value=a.value,
            statement=a.statement,
            reference=a.reference,
            grade=a.grade,
            bank_version=a.bank_version,
            fits=library.fits(a, banks),
            needs_review=library.needs_review(a, bank),
            retired=a.retired_at is not None,
            author=a.author,
            updated_at=a.updated_at,
        )
        for a in library.all_answers(include_retired=retired)
    ]
    return jsonify(schemas.LibraryPage(items=items).model_dump(mode="json"))


# --- the OpenAPI document ---------------------------------------------------------------


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def responses(ok: int, model: str, *errors: int) -> dict:
    texts = {
        200: "OK",
        201: "Created: a result revision counts the answer",
        400: "The request is not valid",
        401: "No token, or an unknown or revoked one",
        404: "No such assessment",
        409: "The assessment is a draft: there is nothing to answer yet",
        413: "The body is too large",
        422: "Not one of the buyer's follow-ups, a value that does not fit the question, or "
        "a library answer not in use or that does not fit it",
    }
    out = {
        str(ok): {"description": texts[ok], "content": {"application/json": {"schema": ref(model)}}}
    }
    for status in errors:
        out[str(status)] = {
            "description": texts[status],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    return out


ID_PARAMETER = {
    "name": "assessment_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trustcheck CRM API",
            "version": "1",
            "description": "Assessments, their results and the provider's written answers. "
            "Every read is shown to the buyer as an access by the token's name.",
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/assessments": {
                "get": {
                    "operationId": "listAssessments",
                    "summary": "One page of assessments, with the sales list's filters",
                    "parameters": schemas.query_parameters(),
                    "responses": responses(200, "AssessmentPage", 400, 401),
                }
            },
            "/api/v1/assessments/{assessment_id}": {
                "get": {
                    "operationId": "getAssessment",
                    "summary": "Contact, stage, owner and the result in force",
                    "parameters": [ID_PARAMETER],
                    "responses": responses(200, "AssessmentDetail", 401, 404),
                }
            },
            "/api/v1/assessments/{assessment_id}/provider-answers": {
                "post": {
                    "operationId": "answerFollowUp",
                    "summary": "Answer one of the buyer's follow-ups in writing",
                    "parameters": [ID_PARAMETER],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": ref("ProviderAnswerIn")}},
                    },
                    "responses": responses(201, "ProviderAnswerOut", 400, 401, 404, 409, 413, 422),
                }
            },
            "/api/v1/library": {
                "get": {
                    "operationId": "listLibraryAnswers",
                    "summary": "The answer library: written answers kept for reuse",
                    "parameters": [
                        {
                            "name": "retired",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["true", "false"]},
                            "description": "true: retired answers too",
                        }
                    ],
                    "responses": responses(200, "LibraryPage", 400, 401),
                }
            },
        },
        "components": {
            "schemas": schemas.component_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(current_app.extensions["openapi"])


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # bearer tokens only: see the module's docstring
    app.register_blueprint(bp)
    app.extensions["openapi"] = openapi_document()
