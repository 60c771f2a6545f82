"""``flask --app questionnaire api-tokens ...`` and ``webhooks ...``: the CRM integrations."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from questionnaire import services
from questionnaire.notify import webhooks
from questionnaire.store import apitokens, outbox

tokens_cli = AppGroup("api-tokens", help="Bearer tokens of the CRM API (/api/v1).")
webhooks_cli = AppGroup("webhooks", help="Webhooks to WEBHOOK_URL, sent from the outbox.")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@tokens_cli.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    type=click.Choice(apitokens.SCOPES),
    multiple=True,
    help="read (the list, an assessment, the change feed) or write (answers, owner and "
    "stage); repeat for both. Default: both.",
)
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    help="When it stops working (UTC), e.g. 2027-06-30. Default: never.",
)
def create_command(name: str, scopes: tuple[str, ...], expires: datetime | None) -> None:
    """Make a token; it is printed once, and only its hash is stored."""
    try:
        with services.unit_of_work() as uow:
            token = apitokens.create(
                name, scopes or apitokens.SCOPES, expires.replace(tzinfo=UTC) if expires else None
            )
            uow.commit()
    except apitokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Created API token {name.strip()!r} ({' and '.join(scopes or apitokens.SCOPES)}). "
        f"Buyers see its reads as '{apitokens.actor_of(name.strip())}'."
    )
    click.echo(f"Token (shown once, store it now): {token}")


@tokens_cli.command("list")
def list_command() -> None:
    """Tokens with their scopes, when they were made, expire, were last used and revoked
    (times in UTC)."""
    for t in apitokens.all_tokens():
        state = f"revoked {_when(t['revoked_at'])}" if t["revoked_at"] else "active"
        click.echo(
            f"{t['name']}\t{state}\t{' '.join(t['scopes'])}\tcreated {_when(t['created_at'])}"
            f"\texpires {_when(t['expires_at']) if t['expires_at'] else 'never'}"
            f"\tlast used {_when(t['last_used_at'])}"
        )


@tokens_cli.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Stop a token working, at once."""
    try:
        with services.unit_of_work() as uow:
            apitokens.revoke(name)
            uow.commit()
    except apitokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked API token {name.strip()!r}.")


@webhooks_cli.command("new-secret")
def new_secret_command() -> None:
    """Print a new WEBHOOK_SECRET (whsec_ and 32 random bytes); nothing is stored."""
    click.echo("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())


@webhooks_cli.command("resend")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    help="UTC: 2026-12-01 or 2026-12-01T09:30",
)
def resend_command(since: datetime) -> None:
    """Send again every webhook made since then (delivered, or given up on), with the same
    webhook-id; those of assessments deleted since are not, only their deletion."""
    with services.unit_of_work() as uow:
        count = outbox.resend(outbox.WEBHOOK, since.replace(tzinfo=UTC))
        uow.commit()
    click.echo(
        f"Queued {count} webhook(s) to send again: the app sends them within a minute, "
        "or run `flask webhooks deliver`."
    )


@webhooks_cli.command("deliver")
def deliver_command() -> None:
    """Send the webhooks that are due now (for cron; the app also sends them itself)."""
    done, failed = webhooks.deliver_due()
    click.echo(f"Delivered {done} webhook(s); {failed} failed and will be retried.")
