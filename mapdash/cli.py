"""The `mapdash` command: a Flask CLI group with the project's own commands."""
import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mapdash.config import VAR_DIR
from mapdash.db import new_session
from mapdash.errors import UserError
from mapdash.vocabulary import ROLES


def local_database_url() -> str:
    """The URL of the cluster under var/pg, started if need be (DATABASE_URL unset)."""
    from mapdash.localdb import LocalCluster

    cluster = LocalCluster(VAR_DIR / "pg")
    cluster.start()
    cluster.ensure_database("mapdash")
    return cluster.url("mapdash")


def _create_cli_app():
    from mapdash import create_app

    if not os.environ.get("DATABASE_URL"):
        # No database named: this is a developer's machine, with the local cluster.
        os.environ.setdefault("MAPDASH_ENV", "development")
        os.environ["DATABASE_URL"] = local_database_url()
    return create_app()


def _session() -> Session:
    return new_session(current_app, expire_on_commit=True)


@click.group(cls=FlaskGroup, create_app=_create_cli_app, add_default_commands=True)
def main():
    """mapdash: citizens' reports for Thai local administrations."""


@click.group("db")
def db_group():
    """The database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply the SQL migrations in sql/ that are not applied yet."""
    from mapdash import db

    applied = db.upgrade(current_app.config["DATABASE_URL"])
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when no organization exists yet.")
@with_appcontext
def seed_demo(if_empty):
    """Load the synthetic demo tambon, its cases and one staff account per role."""
    from mapdash.demo.load import DEMO_PASSWORD, load_demo
    from mapdash.models import Organization

    with _session() as session:
        if if_empty and session.scalar(select(func.count()).select_from(Organization)):
            click.echo("demo data not loaded: the database already has data")
            return
        summary = load_demo(session)
        session.commit()
    click.echo(f"demo tambon loaded: {summary['villages']} villages, {summary['households']} "
               f"households, {summary['incidents']} cases")
    if current_app.config["ENV"] == "development":
        for email in summary["users"]:
            click.echo(f"  login {email} / {DEMO_PASSWORD}")
    else:
        click.echo("  demo logins work only when MAPDASH_ENV=development")


@click.command("seed-synthetic")
@click.option("--incidents", "count", type=click.IntRange(1, 50_000_000), required=True)
@click.option("--org", "org_slug", default=None, help="Organization slug (default: the first).")
@with_appcontext
def seed_synthetic_command(count, org_slug):
    """Add N synthetic cases spread over the villages, for benchmarks."""
    from mapdash.demo.synthetic import seed_synthetic

    with _session() as session:
        try:
            inserted = seed_synthetic(session, count, org_slug)
        except UserError as exc:
            raise click.ClickException(exc.message_en) from None
        session.commit()
    click.echo(f"added {inserted} synthetic cases")


@click.group("villages")
def villages_group():
    """Village (muban) boundaries."""


@villages_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--org", "org_slug", required=True, help="Slug of the organization.")
@click.option("--crs", default=None, help="Source CRS when the file does not say, e.g. EPSG:32648.")
@click.option("--number-field", default=None, help="Attribute holding the village number.")
@click.option("--name-field", default=None, help="Attribute holding the village name.")
@click.option("--update-boundary", is_flag=True,
              help="Make the organization's area the union of its villages.")
@with_appcontext
def villages_import(path, org_slug, crs, number_field, name_field, update_boundary):
    """Import village polygons from GeoJSON or a zipped Shapefile, in any CRS.

    Nothing is stored unless every feature is usable."""
    from mapdash.office.village_import import ImportRefused, read_village_file
    from mapdash.office.villages import store_villages

    try:
        features, problems = read_village_file(path, source_crs=crs, number_field=number_field,
                                               name_field=name_field)
    except ImportRefused as exc:
        raise click.ClickException(str(exc)) from None
    if problems:
        for problem in problems:
            click.echo(f"feature {problem.index}: {problem.reason}", err=True)
        raise click.ClickException(f"{len(problems)} bad feature(s); nothing was imported")
    with _session() as session:
        try:
            result = store_villages(session, org_slug, features, update_boundary=update_boundary)
        except UserError as exc:
            raise click.ClickException(f"{exc.message_en} ({exc.message_th})") from None
        session.commit()
    for feature in features:
        if feature.repaired:
            click.echo(f"feature {feature.index}: invalid geometry repaired (village {feature.number})")
    click.echo(f"imported {result['created']} new and {result['updated']} updated villages; "
               f"{result['relocated']} cases re-assigned to villages")


@click.group("users")
def users_group():
    """Staff accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", default=None, help="Department code (required for officers).")
@click.option("--org", "org_slug", default=None, help="Organization slug (default: the first).")
@click.option("--name", "display_name", default="")
@with_appcontext
def users_create(email, role, department, org_slug, display_name):
    """Create a staff account (password hashed with argon2).

    The password is asked for at a prompt, or read as one line from stdin when piped."""
    from mapdash.office.auth import create_user
    from mapdash.office.orgs import find_organization

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with _session() as session:
        org = find_organization(session, org_slug)
        if org is None:
            raise click.ClickException("no such organization: run `mapdash seed-demo` or import one")
        try:
            user = create_user(session, organization_id=org.id, email=email, password=password,
                               role=role, department_code=department, display_name=display_name)
        except UserError as exc:
            raise click.ClickException(f"{exc.message_en} ({exc.message_th})") from None
        session.commit()
        click.echo(f"created {user.role} {user.email} in {org.slug}")


def _account(session, email):
    from mapdash.office.auth import find_user

    user = find_user(session, email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    return user


@users_group.command("set-password")
@click.option("--email", required=True)
@with_appcontext
def users_set_password(email):
    """Give an account a new password (asked for, or one line of stdin); this signs the
    account out everywhere."""
    from mapdash.office.auth import set_password

    if sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with _session() as session:
        try:
            set_password(session, _account(session, email), password)
        except UserError as exc:
            raise click.ClickException(f"{exc.message_en} ({exc.message_th})") from None
        session.commit()
    click.echo(f"new password set for {email}; its sessions are ended")


@users_group.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
def users_deactivate(email):
    """Refuse an account's sign-ins and end its sessions at once."""
    from mapdash.office.auth import set_active

    with _session() as session:
        set_active(session, _account(session, email), False)
        session.commit()
    click.echo(f"{email} deactivated; its sessions are ended")


@users_group.command("activate")
@click.option("--email", required=True)
@with_appcontext
def users_activate(email):
    """Let a deactivated account sign in again (its old sessions stay ended)."""
    from mapdash.office.auth import set_active

    with _session() as session:
        set_active(session, _account(session, email), True)
        session.commit()
    click.echo(f"{email} may sign in again")


@click.group("notify")
def notify_group():
    """Notifications to citizens and staff (e-mail, LINE)."""


@notify_group.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@click.option("--batch", default=20, type=click.IntRange(1, 1000), help="Messages per claim.")
@with_appcontext
def notify_run(once, batch):
    """Send the outbox with retries, and alert staff of overdue cases (every minute)."""
    from mapdash.integrations.notify.worker import Worker

    app = current_app._get_current_object()
    if not app.config["PUBLIC_BASE_URL"]:
        raise click.ClickException("set PUBLIC_BASE_URL (e.g. https://report.example.go.th): "
                                   "the links in messages need it")
    worker = Worker(app)
    worker.stop_on_signals()
    click.echo("notify worker: sending" + (" what is due" if once else "; Ctrl-C stops"))
    worker.run(batch=batch, once=once)


@click.group("apikeys")
def apikeys_group():
    """Keys of Open311 clients (stored hashed)."""


@apikeys_group.command("create")
@click.argument("name")
@click.option("--org", "org_slug", default=None, help="Organization slug (default: the first).")
@with_appcontext
def apikeys_create(name, org_slug):
    """Make a key for the client NAME; the key is printed once, alone on the last line."""
    from mapdash.office.apikeys import create_key
    from mapdash.office.orgs import find_organization

    with _session() as session:
        org = find_organization(session, org_slug)
        if org is None:
            raise click.ClickException("no such organization")
        try:
            row, key = create_key(session, name, org)
        except UserError as exc:
            raise click.ClickException(f"{exc.message_en} ({exc.message_th})") from None
        session.commit()
        click.echo(f"created API key {row.name!r} for {org.slug}; it is shown only now:")
    click.echo(key)


@apikeys_group.command("revoke")
@click.argument("name")
@with_appcontext
def apikeys_revoke(name):
    """Revoke the key of the client NAME: it is refused from now on."""
    from mapdash.office.apikeys import revoke_key

    with _session() as session:
        try:
            row = revoke_key(session, name)
        except UserError as exc:
            raise click.ClickException(f"{exc.message_en} ({exc.message_th})") from None
        session.commit()
        click.echo(f"revoked API key {row.name!r}")


@click.group("photos")
def photos_group():
    """Stored photo files."""


@photos_group.command("sweep")
@click.option("--min-age-hours", type=click.IntRange(1), default=24, show_default=True,
              help="Leave younger files alone: their transaction may still be running.")
@click.option("--dry-run", is_flag=True, help="Only list the stray files.")
@with_appcontext
def photos_sweep(min_age_hours, dry_run):
    """Delete photo files no stored photo points at (left by a crash mid-upload)."""
    from datetime import timedelta
    from pathlib import Path

    from mapdash.cases.photo_sweep import sweep

    with _session() as session:
        stray = sweep(session, Path(current_app.config["PHOTO_DIR"]),
                      timedelta(hours=min_age_hours), dry_run=dry_run)
    for path in stray:
        click.echo(path)
    click.echo(f"{len(stray)} stray file(s)" if dry_run else f"removed {len(stray)} stray file(s)")


def register_commands(app) -> None:
    for command in (db_group, seed_demo, seed_synthetic_command, villages_group, users_group,
                    notify_group, apikeys_group, photos_group):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)


if __name__ == "__main__":
    sys.exit(main())
