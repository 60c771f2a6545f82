"""WTForms for the fixed forms: starting an assessment, confirm buttons, staff sign-in and
passwords. Step pages read their answers through the question types instead
(QuestionType.form_data / from_form: see web/steps.read_step)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    StopValidation,
)

from questionnaire.core.text import one_line
from questionnaire.store import accounts


def error_rows(form: FlaskForm, names: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """The error summary's rows for a form's fields, in page order: (field id, "", message)
    (the summary template's shape, shared with step pages' (anchor, question, message))."""
    return [(form[name].id, "", message) for name in names for message in form[name].errors]


def tidy(value):
    return one_line(value) if isinstance(value, str) else value


NON_ASCII_ADDRESS = (
    "Enter an email address with no accents or letters outside A to Z before the @, like "
    "name@example.com: e-mail we send cannot reach other addresses"
)


def plain_local_part(form, field) -> None:
    """E-mail to a local part outside ASCII needs SMTPUTF8, which mail servers may not
    offer, and Flask-Mailman would mangle the To: header: refused here, saying why."""
    local = (field.data or "").rpartition("@")[0]
    if not local.isascii():
        raise StopValidation(NON_ASCII_ADDRESS)


def address_checks() -> list:
    """A buyer's e-mail address: given, at most 254 characters, one we can send to."""
    return [
        InputRequired("Enter your email address"),
        Length(max=254),
        plain_local_part,
        Email(
            "Enter an email address in the correct format, like name@example.com",
            check_deliverability=False,
        ),
    ]


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
        validators=address_checks(),
    )
    consent = BooleanField(
        "I agree that the provider's sales team may see my answers and the result",
        validators=[DataRequired("You need to agree to share the result before you start")],
    )


class LostLinkForm(FlaskForm):
    """ "Lost your link?" on the start page: the address the buyer started with. Made with
    ``prefix=LOST_PREFIX``, as it shares the page with the start form's own "email"."""

    email = EmailField(
        "Email address",
        description="The address you gave when you started.",
        filters=[tidy],  # a pasted address often brings a space along
        validators=address_checks(),
    )


LOST_PREFIX = "lost"


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for submit and delete buttons."""


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Enter your password"),
            Length(max=accounts.MAX_PASSWORD_LENGTH, message="Enter your password"),
        ],
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[
            InputRequired("Enter your current password"),
            Length(max=accounts.MAX_PASSWORD_LENGTH, message="Enter your current password"),
        ],
    )
    new = PasswordField(
        "New password",
        description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters, not a common password "
        "and not made from your name or email address. A few unrelated words make a password "
        "that is long and easy to remember.",
        validators=[
            InputRequired("Enter a new password"),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=accounts.MAX_PASSWORD_LENGTH,
                message=f"Use {accounts.MIN_PASSWORD_LENGTH} to {accounts.MAX_PASSWORD_LENGTH} "
                "characters for your new password",
            ),
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Enter your new password again"),
            EqualTo("new", "The two new passwords are not the same"),
        ],
    )
