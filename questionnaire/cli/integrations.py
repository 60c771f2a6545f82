"""``flask --app questionnaire api-tokens ...`` and ``webhooks ...``: the CRM integrations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from questionnaire.notify import webhooks
from questionnaire.store import apitokens

tokens_cli = AppGroup("api-tokens", help="Bearer tokens of the CRM API (/api/v1).")
webhooks_cli = AppGroup("webhooks", help="Webhooks to WEBHOOK_URL, sent from the outbox.")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@tokens_cli.command("create")
@click.argument("name")
def create_command(name: str) -> None:
    """Make a token; it is printed once, and only its hash is stored."""
    try:
        token = apitokens.create(name)
    except apitokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Created API token {name.strip()!r}. Buyers see its reads as "
        f"'{apitokens.actor_of(name.strip())}'."
    )
    click.echo(f"Token (shown once, store it now): {token}")


@tokens_cli.command("list")
def list_command() -> None:
    """Tokens with when they were made, last used and revoked (times in UTC)."""
    for t in apitokens.all_tokens():
        state = f"revoked {_when(t['revoked_at'])}" if t["revoked_at"] else "active"
        click.echo(
            f"{t['name']}\t{state}\tcreated {_when(t['created_at'])}"
            f"\tlast used {_when(t['last_used_at'])}"
        )


@tokens_cli.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Stop a token working, at once."""
    try:
        apitokens.revoke(name)
    except apitokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked API token {name.strip()!r}.")


@webhooks_cli.command("deliver")
def deliver_command() -> None:
    """Send the webhooks that are due now (for cron; the app also sends them itself)."""
    done, failed = webhooks.deliver_due()
    click.echo(f"Delivered {done} webhook(s); {failed} failed and will be retried.")
