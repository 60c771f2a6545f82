"""Staff accounts: small verbs shared by the admin pages and the ``flask users`` commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from questionnaire import auth
from questionnaire.extensions import db
from questionnaire.models import ROLES, User

ROLE_LABELS = {"sales": "Sales", "admin": "Admin"}


class UserError(ValueError):
    """A change to an account that cannot be made; the message says why."""


def create_user(email: str, role: str, password: str, name: str = "") -> User:
    email = auth.normalise_email(email)
    if "@" not in email or len(email) < 3:
        raise UserError("Enter an email address, like name@example.com")
    if role not in ROLES:
        raise UserError(f"Role must be one of: {', '.join(ROLES)}")
    if auth.find_user(email) is not None:
        raise UserError(f"There is already an account for {email}")
    try:
        password_hash = auth.hash_password(password)
    except auth.WeakPassword as exc:
        raise UserError(str(exc)) from None
    user = User(email=email, name=name.strip()[:200], role=role, password_hash=password_hash)
    db.session.add(user)
    db.session.commit()
    return user


def set_active(user: User, active: bool) -> None:
    if not active and user.is_admin and user.active and active_admins() <= 1:
        raise UserError("This is the only active admin; enable another admin first")
    if user.active != active:
        user.active = active
        user.session_version += 1  # a disabled account's open sessions end now
        db.session.commit()


def reset_password(user: User, password: str | None = None) -> str:
    """Set a new password (generated unless given) and end the user's sessions."""
    password = password or auth.generate_password()
    try:
        user.password_hash = auth.hash_password(password)
    except auth.WeakPassword as exc:
        raise UserError(str(exc)) from None
    user.session_version += 1
    db.session.commit()
    return password


def active_admins() -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    )


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def all_users() -> list[dict]:
    return [
        {
            "id": u.id,
            "email": u.email,
            "name": u.name,
            "role": u.role,
            "role_label": ROLE_LABELS.get(u.role, u.role),
            "active": u.active,
            "created_at": u.created_at,
            "last_login_at": u.last_login_at,
        }
        for u in db.session.scalars(select(User).order_by(User.active.desc(), User.email))
    ]


# --- commands --------------------------------------------------------------------------

users_cli = AppGroup("users", help="Staff accounts for the sales workspace (/sales).")


def _user_or_exit(email: str) -> User:
    user = auth.find_user(email)
    if user is None:
        raise click.ClickException(f"No account for {auth.normalise_email(email)}")
    return user


def _ask_password() -> str:
    while True:
        password = click.prompt(
            f"Password (at least {auth.MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
        try:
            auth.check_password_strength(password)
            return password
        except auth.WeakPassword as exc:
            click.echo(f"{exc}. Try again.", err=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="sales", show_default=True)
@click.option("--name", default="", help="Shown to buyers in their access log.")
@click.option(
    "--generate-password",
    is_flag=True,
    help="Make up a strong password and print it once, instead of asking for one.",
)
def create_command(email: str, role: str, name: str, generate_password: bool) -> None:
    """Create an account; asks for its password, or generates one."""
    if auth.find_user(email) is not None:
        raise click.ClickException(f"There is already an account for {auth.normalise_email(email)}")
    password = auth.generate_password() if generate_password else _ask_password()
    try:
        user = create_user(email, role, password, name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} account {user.email}.")
    if generate_password:
        click.echo(f"Password (shown once, store it now): {password}")


@users_cli.command("list")
def list_command() -> None:
    """List accounts with their role and whether they can sign in."""
    for u in all_users():
        state = "active" if u["active"] else "disabled"
        click.echo(f"{u['email']}\t{u['role']}\t{state}\t{u['name']}")


@users_cli.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Stop an account signing in and end its sessions."""
    try:
        set_active(_user_or_exit(email), False)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Disabled {auth.normalise_email(email)}.")


@users_cli.command("enable")
@click.argument("email")
def enable_command(email: str) -> None:
    """Let a disabled account sign in again."""
    set_active(_user_or_exit(email), True)
    click.echo(f"Enabled {auth.normalise_email(email)}.")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--generate-password", is_flag=True, help="Make up a password and print it once.")
def reset_password_command(email: str, generate_password: bool) -> None:
    """Set a new password and end the account's sessions."""
    user = _user_or_exit(email)
    password = reset_password(user, None if generate_password else _ask_password())
    click.echo(f"New password set for {user.email}; their sessions have ended.")
    if generate_password:
        click.echo(f"Password (shown once, store it now): {password}")


@users_cli.command("check")
def check_command() -> None:
    """Say how to create the first account when there is none (``make run`` calls this)."""
    if user_count() == 0:
        click.echo(
            "No staff accounts yet, so nobody can sign in to the sales workspace at /sales.\n"
            "Create the first admin with:\n"
            "  .venv/bin/flask --app questionnaire users create you@example.com --role admin"
            " --name 'Your Name'\n"
            "(add --generate-password to have a strong password made up and printed once)",
            err=True,
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
