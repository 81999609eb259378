"""The `eseller` command (CONTRACT.md): a FlaskGroup with one command per process kind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from server.app import create_app

DEFAULT_DEMO_SLUG = "garage-du-parc"


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_version_option=False)
def cli() -> None:
    """eSeller: lead management for car dealerships."""


@cli.command()
@click.option("--group", "slug", default=DEFAULT_DEMO_SLUG, show_default=True, help="Slug of the demo group.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (CONTRACT.md).")
@with_appcontext
def demo(slug: str, as_json: bool) -> None:
    """Create or refresh, idempotently, a demo dealer group and print its credentials."""
    info = _ensure_demo(slug)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
    else:
        _print_demo(info)


def _ensure_demo(slug: str) -> dict:
    from server.demo import ensure_demo_group

    return ensure_demo_group(
        slug=slug,
        secret_key=current_app.config["SECRET_KEY"],
        mail_domain=current_app.config.get("MAIL_DOMAIN", "eseller.example"),
    )


def _print_demo(info: dict, url: str | None = None) -> None:
    from server.demo import DEMO_PASSWORD

    click.echo(f"Demo group: {info['group']}")
    if url:
        click.echo(f"Open {url} and sign in with one of these (password {DEMO_PASSWORD!r}):")
    seen: set[str] = set()
    for user in info["users"]:
        if user["role"] not in seen:
            seen.add(user["role"])
            click.echo(f"  {user['role']:<12} {user['email']}")
    click.echo(f"  ({len(info['users'])} demo users in all, same password)")
    click.echo(f"Widget key: {info['widget_key']}")
    click.echo(f"API key:    {info['api_key']}")
    click.echo(f"Mailbox:    {info['smtp_address']}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=None, type=int, help="Request threads (default ESELLER_THREADS or 32).")
def serve(host: str, port: int, threads: int | None) -> None:
    """The web, API and Socket.IO server (one process; run several behind sticky sessions)."""
    from server.serve import run_server

    run_server(host, port, threads or int(os.environ.get("ESELLER_THREADS", "32")))


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--fork", is_flag=True, help="Fork a child per job (RQ's default worker) instead of running in-process.")
@click.option("--name", default=None, help="Worker name (unique per host).")
@with_appcontext
def worker(burst: bool, fork: bool, name: str | None) -> None:
    """Routing workers and the scheduler."""
    from server.lead_routing.worker import run_worker

    run_worker(current_app._get_current_object(), burst=burst, fork=fork, name=name)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=2525, show_default=True, type=int)
@with_appcontext
def smtpd(host: str, port: int) -> None:
    """The inbound lead mailbox (SMTP), until SIGTERM or SIGINT."""
    from server.mailbox.server import run_smtpd

    click.echo(f"eSeller mailbox on smtp://{host}:{port}")
    run_smtpd(current_app._get_current_object(), host, port)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--smtp-port", default=2525, show_default=True, type=int, help="Port of the inbound mailbox.")
@with_appcontext
def up(host: str, port: int, smtp_port: int) -> None:
    """Everything on one machine: migrate, demo data when empty, server, worker and mailbox."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from server.extensions import db
    from server.models import DealerGroup

    app = current_app._get_current_object()
    upgrade(directory=str(app.extensions["migrate"].directory))
    if db.session.execute(select(DealerGroup.id).limit(1)).first() is None:
        click.echo("Empty database: creating the demo dealer group...")
    info = _ensure_demo(DEFAULT_DEMO_SLUG)
    env = {
        **os.environ,
        "REDIS_URL": app.config["REDIS_URL"],
        "ESELLER_INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
        # Plain HTTP on this machine: a Secure cookie would not come back over http://.
        "ESELLER_SESSION_COOKIE_SECURE": "false",
        "ESELLER_REMEMBER_COOKIE_SECURE": "false",
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    command = [sys.executable, "-m", "server.cli"]
    commands = [
        [*command, "serve", "--host", host, "--port", str(port)],
        [*command, "worker"],
        [*command, "smtpd", "--host", host, "--port", str(smtp_port)],
    ]
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"  # noqa: S104
    click.echo("")
    click.echo(f"eSeller is running: {url}")
    _print_demo(info, url)
    click.echo(f"Mailbox: smtp://{host}:{smtp_port} (to: {info['smtp_address']})")
    click.echo("Press Ctrl+C to stop.")
    _supervise(commands, env, app.instance_path if app.config.get("EMBEDDED_REDIS") else None)


def _supervise(commands: list[list[str]], env: dict, embedded_instance: str | None) -> None:
    """Run the processes until Ctrl+C; one that dies (a worker losing Redis) is started again."""
    stopping = False

    def _stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    children = [subprocess.Popen(args, env=env) for args in commands]
    try:
        while not stopping:
            for index, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    click.echo(f"{' '.join(commands[index][3:4])} exited ({child.returncode}); starting it again")
                    time.sleep(1)
                    children[index] = subprocess.Popen(commands[index], env=env)
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded_instance:
            from server import embedded_redis

            embedded_redis.stop(embedded_instance)


@cli.group()
def kpi() -> None:
    """Lead KPI aggregates."""


@kpi.command("rebuild")
@click.option("--group", "slug", default=None, help="Slug of one group (default: every group).")
@with_appcontext
def kpi_rebuild(slug: str | None) -> None:
    """Recompute the KPI aggregates from the raw rows (after a bulk load, or to repair them)."""
    from server.kpi.cli import rebuild

    rebuild(slug)


def main() -> None:
    cli(prog_name="eseller")


if __name__ == "__main__":
    main()
