"""WTForms for the wizard: the start form, and a step form built from a section's questions."""

from __future__ import annotations

from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from questionnaire.bank import Question


class StartForm(FlaskForm):
    company = StringField(
        "Company or organisation",
        validators=[InputRequired("Enter your company or organisation"), Length(max=200)],
    )
    name = StringField("Your name", validators=[InputRequired("Enter your name"), Length(max=200)])
    email = EmailField(
        "Work email address",
        description="We use it only so the provider's sales team can contact you about this assessment.",
        validators=[
            InputRequired("Enter your email address"),
            Length(max=254),
            Email(
                "Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )
    consent = BooleanField(
        "I agree that the provider's sales team may see my answers and the result",
        validators=[DataRequired("You need to agree to share the result before you start")],
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for submit and delete buttons."""


class _StepBase(FlaskForm):
    must_have = SelectMultipleField(choices=[], validate_choice=False)


@lru_cache(maxsize=256)
def step_form_class(questions: tuple[Question, ...]) -> type[FlaskForm]:
    """A form class whose fields are the questions (field name = question id)."""
    fields = {q.id: q.kind.field(q) for q in questions}
    return type("StepForm", (_StepBase,), fields)
