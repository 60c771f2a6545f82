"""``flask --app questionnaire users ...``: staff accounts for the sales workspace."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from questionnaire import services
from questionnaire.store import accounts
from questionnaire.store.accounts import (
    ROLES,
    UserError,
    all_users,
    create_user,
    reset_password,
    set_active,
    user_count,
)
from questionnaire.store.models import User

users_cli = AppGroup("users", help="Staff accounts for the sales workspace (/sales).")


def _user_or_exit(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account for {accounts.normalise_email(email)}")
    return user


def _ask_password(email: str, name: str) -> str:
    """Ask until a password is strong enough and typed the same twice. Its strength is
    checked first, so a weak one is not typed a second time for nothing."""
    while True:
        password = click.prompt(
            f"Password (at least {accounts.MIN_PASSWORD_LENGTH} characters)", hide_input=True
        )
        try:
            accounts.check_password_strength(password, email, name)
        except accounts.WeakPassword as exc:
            click.echo(f"{str(exc).rstrip('.')}. Try again.", err=True)
            continue
        if click.prompt("Repeat the password", hide_input=True) == password:
            return password
        click.echo("The two passwords were not the same. Try again.", err=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="sales", show_default=True)
@click.option(
    "--name",
    required=True,
    help="The person's name: buyers see it in their access log and on written answers.",
)
@click.option(
    "--generate-password",
    is_flag=True,
    help="Make up a strong password and print it once, instead of asking for one.",
)
def create_command(email: str, role: str, name: str, generate_password: bool) -> None:
    """Create an account; asks for its password, or generates one."""
    if accounts.find_user(email) is not None:
        raise click.ClickException(
            f"There is already an account for {accounts.normalise_email(email)}"
        )
    try:
        accounts.check_name(name)  # before the password is typed, not after
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    password = accounts.generate_password() if generate_password else _ask_password(email, name)
    try:
        with services.unit_of_work() as uow:
            user = create_user(uow, email, role, password, name)
            uow.commit()
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
        with services.unit_of_work() as uow:
            set_active(_user_or_exit(email), False)
            uow.commit()
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Disabled {accounts.normalise_email(email)}.")


@users_cli.command("enable")
@click.argument("email")
def enable_command(email: str) -> None:
    """Let a disabled account sign in again."""
    with services.unit_of_work() as uow:
        set_active(_user_or_exit(email), True)
        uow.commit()
    click.echo(f"Enabled {accounts.normalise_email(email)}.")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--generate-password", is_flag=True, help="Make up a password and print it once.")
def reset_password_command(email: str, generate_password: bool) -> None:
    """Set a new password and end the account's sessions."""
    user = _user_or_exit(email)
    typed = None if generate_password else _ask_password(user.email, user.name)
    with services.unit_of_work() as uow:
        password = reset_password(uow, user, typed)
        uow.commit()
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
            " --name 'your own name'\n"
            "with your own e-mail address and name: buyers see the name in their access log\n"
            "(add --generate-password to have a strong password made up and printed once)",
            err=True,
        )
