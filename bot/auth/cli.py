"""`flask users …`: make and fix staff accounts from the command line."""

import click
from flask import current_app
from flask.cli import AppGroup

from bot import db as database
from bot import schema
from bot.auth.accounts import (
    AccountError,
    create_user,
    list_users,
    set_active,
    set_password,
    unlock,
)

users_cli = AppGroup("users", help="Staff accounts for the web pages.")


def _cli_db():
    return database.connect(current_app.config["BOT_DATABASE"])


def _prompt_password():
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _cli_fail(error):
    click.echo(str(error), err=True)
    raise SystemExit(1)


@users_cli.command("create-admin")
@click.argument("name")
def create_admin_command(name):
    """Create an admin account; asks for the password (there is no default)."""
    _add(name, "admin")


@users_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["editor", "viewer", "admin"]), default="editor")
def add_command(name, role):
    """Create an editor or viewer account; asks for the password."""
    _add(name, role)


def _add(name, role):
    db = _cli_db()
    schema.migrate(db)
    try:
        name = create_user(db, name, role, _prompt_password())
    except AccountError as error:
        _cli_fail(error)
    db.conn.commit()
    click.echo(f"created {role} {name}")


@users_cli.command("set-password")
@click.argument("name")
def set_password_command(name):
    """Give an account a new password (ends its logins) and unlock it."""
    db = _cli_db()
    schema.migrate(db)
    try:
        set_password(db, name, _prompt_password())
        set_active(db, name, True)
        unlock(db, name)
    except AccountError as error:
        _cli_fail(error)
    db.conn.commit()
    click.echo(f"password changed for {name}")


@users_cli.command("list")
def list_command():
    """Every account with its role and whether it may log in."""
    db = _cli_db()
    schema.migrate(db)
    for user in list_users(db):
        state = "active" if user["active"] else "disabled"
        click.echo(f"{user['name']:<20} {user['role']:<7} {state}")
