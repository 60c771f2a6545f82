"""WTForms for the wizard's fixed forms. Step pages read their answers through the
question types (qtypes.QuestionType.form_data / from_form) instead: see wizard.read_step."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from questionnaire.text import one_line


def tidy(value):
    return one_line(value) if isinstance(value, str) else value


class StartForm(FlaskForm):
    company = StringField(
        "Company or organisation",
        filters=[tidy],
        validators=[DataRequired("Enter your company or organisation"), Length(max=200)],
    )
    name = StringField(
        "Your name",
        filters=[tidy],
        validators=[DataRequired("Enter your name"), Length(max=200)],
    )
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
