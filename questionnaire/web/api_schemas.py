"""The CRM API's request and response shapes, as pydantic models.

The endpoints validate with these models and the OpenAPI 3.1 document is assembled from
their JSON Schemas (pydantic writes JSON Schema 2020-12, the dialect OpenAPI 3.1 uses),
so the document cannot drift from what the API accepts and returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import models_json_schema

from questionnaire.core.qtypes import TYPES
from questionnaire.core.verdict_state import STATES
from questionnaire.core.written import MAX_REFERENCE, MAX_STATEMENT
from questionnaire.store.models import MAX_ROW_ID, STAGES
from questionnaire.web.problems import PROBLEMS, TYPE_BASE

# What a written value is, type by type, in the types' own words.
_ANSWERED = [t for t in TYPES.values() if t.scored]
WRITTEN_TYPES = ", ".join(t.name for t in _ANSWERED[:-1]) + f" or {_ANSWERED[-1].name}"
WRITTEN_VALUES = "; ".join(dict.fromkeys(t.json_value for t in _ANSWERED))
MAX_FEED = 500


class ChangesQuery(BaseModel):
    """Where to read the change feed from."""

    model_config = ConfigDict(extra="forbid")

    after: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The next_cursor of the previous page; leave out to read from the start",
    )
    limit: int = Field(100, ge=1, le=MAX_FEED)


class Contact(BaseModel):
    company: str
    name: str
    email: str


class ScoreRange(BaseModel):
    low: float
    high: float


class ResultRevisionRef(BaseModel):
    """The result revision in force: 0 is the result scored at submission."""

    number: int = Field(ge=0)
    created_by: Literal["submission", "written_answer"]


class AssessmentFacts(BaseModel):
    """What both the API and webhooks tell of an assessment (webhooks: no contact)."""

    id: int
    version: int = Field(description="Rises with every change; the detail's ETag")
    status: Literal["draft", "submitted"]
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime = Field(description="The buyer's last change (or a written answer)")
    score: float | None
    rating: str | None
    state: Literal[STATES] | None = Field(  # type: ignore[valid-type]
        description="rated, provisional or not_rated; null for a draft"
    )
    score_range: ScoreRange | None = Field(
        description="The range the score may still move in (method fit/3); else null"
    )
    deal_breakers: int | None
    open_follow_ups: int | None
    bank_version: str
    owner_id: int | None
    stage: Literal[STAGES]  # type: ignore[valid-type]
    revision: int = Field(description="The result revision's number (as result_revision.number)")
    result_revision: ResultRevisionRef | None
    revision_of: int | None = Field(description="The assessment this one revises")
    revised_by: list[int] = Field(description="Later assessments revising this one, oldest first")


class AssessmentItem(AssessmentFacts):
    contact: Contact
    owner: str | None = Field(description="The owner's name")
    url: str


class AssessmentPage(BaseModel):
    items: list[AssessmentItem]
    page: int
    per_page: int
    total: int
    pages: int


class Option(BaseModel):
    key: str
    label: str


class FollowUpOut(BaseModel):
    """A question the provider may answer in writing, with what an answer must look like."""

    question: str
    prompt: str
    status: str = Field(description="ask_provider, not_met or partly_met")
    answered: bool = Field(description="A written answer is counted in the result in force")
    type: str = Field(description=WRITTEN_TYPES)
    options: list[Option] = Field(description="choice and multi: the keys a value may list")
    unit: str
    min: float | None
    max: float | None
    must_have: bool


class WrittenAnswerOut(BaseModel):
    question: str
    value: bool | float | str | list[str] = Field(description=WRITTEN_VALUES)
    statement: str
    reference: str
    author: str
    at: datetime
    grade: Literal["written", "contract"] = "written"
    library_answer_id: int | None = Field(None, description="The library answer it gives")


class AssessmentDetail(AssessmentItem):
    result: dict[str, Any] | None = Field(
        description="The result in force, as `flask assess` prints it; null for a draft"
    )
    follow_ups: list[FollowUpOut]
    written_answers: list[WrittenAnswerOut]


class UpdatedChange(AssessmentItem):
    change: Literal["updated"]


class DeletedChange(BaseModel):
    """A deleted assessment: erase your copy. Nothing personal is kept or sent."""

    id: int
    change: Literal["deleted"]
    version: int
    deleted_at: datetime


class ChangesPage(BaseModel):
    items: list[UpdatedChange | DeletedChange]
    next_cursor: str = Field(description="Send as ?after= to read on; valid for at least 30 days")
    has_more: bool


class WebhookAssessment(AssessmentFacts):
    sales_url: str | None = Field(description="The assessment's page in the sales workspace")


class AssessmentEvent(BaseModel):
    """assessment.submitted, assessment.answered (a written answer, with the result
    revision it made) or assessment.revised (a result revision made otherwise)."""

    type: Literal["assessment.submitted", "assessment.answered", "assessment.revised"]
    timestamp: datetime
    data: WebhookAssessment


class DeletionEvent(BaseModel):
    """assessment.deleted: erase your copy; sent in place of anything still pending."""

    type: Literal["assessment.deleted"]
    timestamp: datetime
    data: DeletedChange


class ProviderAnswerIn(BaseModel):
    """A written answer to one of the buyer's follow-ups: its value and statement, or the
    id of an answer of the library (GET /api/v1/library) to give as it stands."""

    # Either a library answer, or a value with its statement: never both.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["value", "statement"], "not": {"required": ["library_answer_id"]}},
                {
                    "required": ["library_answer_id"],
                    "not": {"anyOf": [{"required": ["value"]}, {"required": ["statement"]}]},
                },
            ]
        },
    )

    question: str = Field(max_length=64, description="The question id")
    # Absent (never null) when a library answer is given: the defaults are not validated,
    # so an absent field reads as None while the schema (and a JSON null) says otherwise.
    value: bool | float | list[str] | str = Field(  # type: ignore[assignment]  # see above
        None,
        description=WRITTEN_VALUES,
    )
    statement: str = Field(None, min_length=1, max_length=MAX_STATEMENT)  # type: ignore[assignment]
    reference: str = Field("", max_length=MAX_REFERENCE)
    grade: Literal["written", "contract"] = Field(
        "written", description="contract: the reference is a clause of a contract the buyer signs"
    )
    library_answer_id: int = Field(  # type: ignore[assignment]  # absent is None, null is refused
        None, ge=1, le=2**31 - 1, description="Give this library answer (instead of a value)"
    )

    @model_validator(mode="after")
    def one_source(self) -> ProviderAnswerIn:
        if self.library_answer_id is not None:
            if self.value is not None or self.statement is not None:
                raise ValueError("give either library_answer_id or value and statement, not both")
        elif self.value is None or self.statement is None:
            raise ValueError("value and statement are required (or library_answer_id)")
        return self


class ProviderAnswerOut(BaseModel):
    assessment_id: int
    revision: int
    question: str
    score: float | None
    rating: str | None
    open_follow_ups: int | None


class AssessmentPatch(BaseModel):
    """Staff follow-up: fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    owner: int | None = Field(
        None, ge=1, le=MAX_ROW_ID, description="An active user's id, or null for nobody"
    )
    stage: Literal[STAGES] = Field(None, description="Left out: unchanged")  # type: ignore[valid-type]


class FieldError(BaseModel):
    field: str
    code: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, sent as application/problem+json."""

    type: Literal[tuple(TYPE_BASE + slug for slug in PROBLEMS)]  # type: ignore[valid-type]
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


class LibraryAnswerOut(BaseModel):
    id: int
    question: str
    value: bool | float | str | list[str] = Field(description=WRITTEN_VALUES)
    statement: str
    reference: str
    grade: Literal["written", "contract"]
    bank_version: str = Field(description="The bank version it was written (or last reviewed) on")
    fits: list[str] = Field(description="The stored bank versions whose question it fits")
    needs_review: bool = Field(
        description="The bank in use asks the question with other options or another range"
    )
    retired: bool
    author: str
    updated_at: datetime


class LibraryPage(BaseModel):
    items: list[LibraryAnswerOut]


class LibraryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retired: Literal["true", "false"] = Field("false", description="true: retired answers too")


AssessmentDetail.model_rebuild()

RESPONSES = (
    AssessmentPage,
    AssessmentDetail,
    ChangesPage,
    ProviderAnswerOut,
    LibraryPage,
    Problem,
    AssessmentEvent,
    DeletionEvent,
)
REQUESTS = (ProviderAnswerIn, AssessmentPatch)


def component_schemas() -> dict[str, dict]:
    """Every model's JSON Schema, referenced as #/components/schemas/<name>."""
    _, schemas = models_json_schema(
        [(m, "serialization") for m in RESPONSES] + [(m, "validation") for m in REQUESTS],
        ref_template="#/components/schemas/{model}",
    )
    return schemas["$defs"]


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """A query model as OpenAPI query parameters."""
    schema = model.model_json_schema()
    parameters = []
    for name, declared in schema["properties"].items():
        prop = declared
        if "anyOf" in prop:  # "or null": a query string leaves the parameter out instead
            prop = next(p for p in prop["anyOf"] if p.get("type") != "null")
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {k: v for k, v in prop.items() if k not in ("title", "description")},
                **({"description": prop["description"]} if "description" in prop else {}),
            }
        )
    return parameters
