"""The CRM API under /api/v1: JSON, bearer tokens with scopes (``flask api-tokens``, the
admin page), a change feed, an OpenAPI 3.1 document built from the same pydantic models
the endpoints validate with (web/api_document.py), errors as RFC 9457 problem details.

Only the ``Authorization: Bearer`` header authorises: a staff session cookie never does,
and CSRF does not apply (no cookie, so no cross-site request can act as anyone). Reads are
access events the buyer sees, named after the token ("CRM integration NAME"), recorded at
most once per token and assessment an hour (an assessment) or a day (the list and the
feed); recording them never fails the read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging

from flask import Blueprint, Flask, Response, current_app, g, request, url_for
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from questionnaire import services
from questionnaire.core.library import value_space
from questionnaire.core.written import WrittenAnswerError, answerable
from questionnaire.store import access, apitokens, changes, followup, library, listing, public
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, utcnow
from questionnaire.web import api_schemas as schemas
from questionnaire.web import followup as followup_pages
from questionnaire.web import queries
from questionnaire.web.extensions import csrf
from questionnaire.web.problems import problem

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")
JSON_TYPES = ("application/json",)
MAX_IDEMPOTENCY_KEY = apitokens.MAX_KEY
# Which scope each method needs.
SCOPE_OF = {"GET": apitokens.READ, "HEAD": apitokens.READ}
PUBLIC = ("api.openapi",)


def unauthorised(detail: str):
    return problem(
        "unauthorized",
        f"{detail} Send a token as 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": 'Bearer realm="trustcheck"'},
    )


@bp.before_request
def authorise():
    """Token, rate limit, scope, then the body's type: every endpoint passes here first."""
    if request.endpoint in PUBLIC or request.endpoint is None:  # None: 404/405, no token needed
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    caller = find_caller(token.strip()) if scheme.lower() == "bearer" else None
    if caller is None:
        return unauthorised("No token, or an unknown, expired or revoked one.")
    g.api_caller = caller
    limited = over_limit(caller)
    if limited is not None:
        return limited
    needed = SCOPE_OF.get(request.method, apitokens.WRITE)
    if needed not in caller.scopes:
        return problem(
            "insufficient-scope",
            f"This needs a token with the {needed!r} scope; this one has "
            f"{' and '.join(sorted(caller.scopes))}.",
        )
    if request.method in ("POST", "PATCH") and request.mimetype not in JSON_TYPES:
        return problem(
            "unsupported-media-type",
            f"Send the body as application/json, not {request.mimetype or 'without a type'}.",
        )
    return None


def find_caller(token: str) -> apitokens.Caller | None:
    """The live token this is (see apitokens.find), its last use noted if the database
    lets it: a busy database must not fail the request for a hint."""
    with services.unit_of_work() as uow:
        caller = apitokens.find(token)
        try:
            uow.commit()
        except SQLAlchemyError:
            log.warning("the last use of an API token was not noted: the database was busy")
    return caller


def over_limit(caller: apitokens.Caller):
    """429 past API_RATE_LIMIT requests in this minute for this token (every process
    counts in the database). A busy database does not block the request: it is let
    through uncounted."""
    limit = current_app.config["API_RATE_LIMIT"]
    if limit <= 0:
        return None
    now = utcnow()
    try:
        with services.unit_of_work() as uow:
            count = apitokens.count_request(caller.id, now)
            uow.commit()
    except SQLAlchemyError:
        log.warning("API request of %s not counted: the database was busy", caller.name)
        return None
    if count <= limit:
        return None
    wait = 60 - now.second
    return problem(
        "rate-limited",
        f"At most {limit} requests a minute with one token; try again in {wait} s.",
        headers={"Retry-After": str(wait)},
    )


def query(model: type[BaseModel]):
    """The query string as ``model`` (web.queries.strict), or a 400 naming what is wrong."""
    try:
        return queries.strict(model, request.args), None
    except queries.QueryError as refused:
        return None, problem(refused.slug, refused.detail, refused.errors)


def validated(model: type[BaseModel], data, slug: str):
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        return None, problem(
            slug, "Some values are not valid: see errors.", queries.field_errors(exc)
        )


def body(model: type[BaseModel]):
    """The JSON body as ``model``: 400 if it is not JSON, 422 listing each bad field."""
    try:
        data = json.loads(request.get_data(cache=True) or b"")
    except ValueError:
        return None, problem("malformed-json", "The body is not valid JSON.")
    except RecursionError:  # a few thousand brackets fit in MAX_CONTENT_LENGTH
        return None, problem("malformed-json", "The body is JSON nested too deeply to read.")
    return validated(model, data, "validation-failed")


def no_such_assessment():
    return problem("not-found", "There is no assessment with this id.")


def json_response(model: BaseModel, status: int = 200, **headers) -> Response:
    return Response(model.model_dump_json(), status, headers, mimetype="application/json")


def items(rows: list[dict]) -> list[dict]:
    """Rows of store.public.COLUMNS as the API's items: their public dicts, with a link."""
    return [
        {**item, "url": url_for("api.assessment", assessment_id=item["id"])}
        for item in public.assessment_dicts(rows)
    ]


def record_reads(ids: list[int], action: str) -> None:
    """Tell the buyers (see access.record_api_reads); a failure is logged, never raised."""
    caller = g.api_caller
    try:
        with services.unit_of_work() as uow:
            access.record_api_reads(ids, caller.id, caller.actor, action, utcnow())
            uow.commit()
    except SQLAlchemyError:
        log.warning("API reads by %s not recorded: the database was busy", caller.name)


# --- reading -----------------------------------------------------------------------------


@bp.get("/assessments")
def assessments():
    try:
        filters = queries.list_query(request.args)
    except queries.QueryError as refused:
        return problem(refused.slug, refused.detail, refused.errors)
    page = listing.page_of(filters, size=filters.per_page, past_end=True)
    body_out = schemas.AssessmentPage(
        items=items(page.rows),
        page=page.number,
        per_page=page.size,
        total=page.total,
        pages=page.pages,
    )
    response = json_response(body_out)
    record_reads([r["id"] for r in page.rows], access.LISTED)
    return response


@bp.get("/changes")
def change_feed():
    found, error = query(schemas.ChangesQuery)
    if error:
        return error
    try:
        after = changes.Position.from_cursor(found.after, cursor_key()) if found.after else None
        page = changes.read_feed(after, found.limit, public.COLUMNS, utcnow())
    except changes.CursorInvalid as exc:
        return problem("invalid-cursor", str(exc) + ".")
    except changes.CursorExpired:
        return problem(
            "cursor-expired",
            "Deletions since this cursor may no longer be known: read the full list "
            "(GET /api/v1/assessments, drafts too), then the feed from its start.",
        )
    updated = {i["id"]: i for i in items(page.updated)}
    out = []
    for change, row in page.items:
        if change == "updated":
            out.append({**updated[row["id"]], "change": "updated"})
        else:
            out.append({**row, "change": "deleted"})
    response = json_response(
        schemas.ChangesPage(
            items=out, next_cursor=page.following.cursor(cursor_key()), has_more=page.has_more
        )
    )
    record_reads([row["id"] for row in page.updated], access.LISTED)
    return response


def cursor_key() -> bytes:
    """Cursors are signed with a key of their own, derived from SECRET_KEY."""
    secret = current_app.config["SECRET_KEY"]
    return hashlib.sha256(b"trustcheck change feed cursor\0" + secret.encode()).digest()


class NoParameters(BaseModel):
    """An endpoint that takes no query parameters."""

    model_config = ConfigDict(extra="forbid")


def etag_of(version: int) -> str:
    return f'"{version}"'


def matches(header: str, etag: str) -> bool:
    """If-None-Match: ``*`` or a list of tags, weak ones compared weakly (RFC 9110)."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


# GET and PATCH share one rule: Werkzeug checks a rule's method before its converter, so
# with two rules a PATCH to an id out of range met the GET rule and was a 405, not a 404.
@bp.route("/assessments/<id:assessment_id>", methods=["GET", "PATCH"])
def assessment(assessment_id: int):
    if request.method == "PATCH":
        return update_assessment(assessment_id)
    _, error = query(NoParameters)
    if error:
        return error
    found = db.session.get(Assessment, assessment_id)
    if found is None:
        return no_such_assessment()
    etag = etag_of(found.version)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if matches(request.headers.get("If-None-Match", ""), etag):
        return Response(status=304, headers=headers)
    response = json_response(detail(found), 200, **headers)
    record_reads([found.id], access.LOOKED)
    return response


def detail(found: Assessment) -> schemas.AssessmentDetail:
    now = followup.current(found) if found.submitted else None
    return schemas.AssessmentDetail(
        **items([public.row_of(found)])[0],
        result=now.result if now else None,
        follow_ups=follow_ups(found, now) if now else [],
        written_answers=[w.to_dict() for w in now.written.values()] if now else [],
    )


def follow_ups(found: Assessment, now: followup.Current) -> list[dict]:
    """The buyer's questions the provider may answer in writing, each with what a value
    must be, so a CRM needs no copy of questions.yaml."""
    bank = ops.bank_of(services.banks(), found)
    status = {f["id"]: f["status"] for f in found.submitted_result["follow_ups"]}
    out = []
    for qid in answerable(found.submitted_result):
        question = bank.question(qid)
        out.append(
            {
                "question": qid,
                "prompt": question.prompt,
                "status": status[qid],
                "answered": qid in now.written,
                "type": question.type,
                **question.kind.value_terms(question),  # options, unit, min, max
                "must_have": qid in found.must_have,
            }
        )
    return out


# --- writing -----------------------------------------------------------------------------


def update_assessment(assessment_id: int):
    found = db.session.get(Assessment, assessment_id)
    if found is None:
        return no_such_assessment()
    data, error = body(schemas.AssessmentPatch)
    if error:
        return error
    given = data.model_dump(exclude_unset=True)
    owner = given.get("owner", found.owner_id)
    stage = given.get("stage", found.stage) or found.stage
    try:
        with services.unit_of_work() as uow:
            followup.set_owner_and_stage(uow, found, owner, stage)
    except followup.FollowUpError:
        return problem(
            "validation-failed",
            "The owner must be an active user's id, or null.",
            [{"field": "owner", "code": "unknown_user", "message": "No active user has this id"}],
        )
    return json_response(detail(found), ETag=etag_of(found.version))


@bp.post("/assessments/<id:assessment_id>/provider-answers")
def provider_answer(assessment_id: int):  # noqa: PLR0911  one problem response per refusal
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
        return problem(
            "invalid-request",
            f"An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY} characters.",
            [{"field": "Idempotency-Key", "code": "length", "message": "1 to 255 characters"}],
        )
    digest = apitokens.request_hash(request.method, request.path, request.get_data(cache=True))
    if key is not None:
        again = repeated(key, digest)
        if again is not None:
            return again
    found = db.session.get(Assessment, assessment_id)
    if found is None:
        return no_such_assessment()
    data, error = body(schemas.ProviderAnswerIn)
    if error:
        return error
    if not found.submitted:
        return problem("not-submitted", "There is nothing to answer before the buyer submits.")
    bank = ops.bank_of(services.banks(), found)
    given = {
        "raw": data.value,
        "statement": data.statement,
        "reference": data.reference,
        "grade": data.grade,
    }
    if data.library_answer_id is not None:
        given, refused = from_library(bank, data.question, data.library_answer_id)
        if refused is not None:
            return refused
    caller = g.api_caller

    def keep(a: Assessment) -> None:
        if key is not None:
            out = answer_out(a, data.question)
            apitokens.remember(caller.id, key, digest, 201, out.model_dump_json())

    try:
        followup_pages.give(found, bank, data.question, given, caller.actor, also=keep)
    except WrittenAnswerError as exc:  # well-formed, but does not fit this buyer's question
        return problem(
            "validation-failed",
            str(exc),
            [{"field": exc.field, "code": exc.code, "message": str(exc)}],
        )
    except IntegrityError:  # the same key, committed first by a request running alongside
        again = repeated(key, digest) if key is not None else None
        if again is None:
            raise
        return again
    return json_response(answer_out(found, data.question), 201)


def answer_out(found: Assessment, question: str) -> schemas.ProviderAnswerOut:
    return schemas.ProviderAnswerOut(
        assessment_id=found.id,
        revision=found.result_revision,
        question=question,
        score=found.score,
        rating=found.rating,
        open_follow_ups=found.open_follow_ups,
    )


def repeated(key: str, digest: str) -> Response | None:
    """The first response to this key, or a 422 if the key came with another request."""
    seen = apitokens.replay(g.api_caller.id, key, digest)
    if seen is None:
        return None
    if not seen.same_request:
        return problem(
            "idempotency-key-reused",
            "This Idempotency-Key was sent before with another request; use a new key.",
            [
                {
                    "field": "Idempotency-Key",
                    "code": "reused",
                    "message": "Already used for another request",
                }
            ],
        )
    return Response(seen.body, seen.status, mimetype="application/json")


def library_refusal(code: str, message: str) -> Response:
    return problem(
        "validation-failed",
        message,
        [{"field": "library_answer_id", "code": code, "message": message}],
    )


def from_library(bank, question_id: str, answer_id: int):
    """A library answer given as it stands, if it is in use and fits this question as the
    assessment's bank asks it: (given, None), or (None, an error response)."""
    answer = library.get(answer_id)
    if answer is None or answer.retired_at is not None:
        return None, library_refusal(
            "not_in_use", "There is no library answer in use with this id."
        )
    question = bank.by_id.get(question_id)
    if answer.question_id != question_id or question is None:
        return None, library_refusal(
            "other_question", "That library answer is for another question."
        )
    if value_space(question) != answer.value_space:
        return None, library_refusal(
            "does_not_fit",
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
    found, refused = query(schemas.LibraryQuery)
    if refused is not None:
        return refused
    shown = found.retired
    bank = services.banks().current()
    banks = library.stored_banks(services.banks())
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
    return json_response(schemas.LibraryPage(items=items))


@bp.get("/openapi.json")
def openapi():
    return document()


@functools.cache
def document() -> dict:
    """The OpenAPI document: made from the code alone, so once per process."""
    from questionnaire.web.api_document import openapi_document

    return openapi_document()


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # bearer tokens only: see the module's docstring
    app.register_blueprint(bp)
    document()  # made at start-up: a schema that cannot be built fails here, not later
