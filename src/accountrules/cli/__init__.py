"""The ``accountrules`` command line (click): one module per command, registered here explicitly.

Exit codes: 0 ok · 1 bad input or failed checks · 2 usage error · 3 internal error · 130
interrupted (SIGINT or SIGTERM). No traceback ever reaches the user.
"""

from __future__ import annotations

import sys

import click

from .._version import __version__
from ..diagnostics import format_text
from ..errors import AccountRulesError
from . import audit, catalog, check, diff, docs, evaluate, lint, schema, serve, test, validate, verify

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="accountrules")
def cli() -> None:
    """Reasoned, cited recommendations for accountability in administrative wrongful cases."""


for _module in (evaluate, validate, catalog, schema, lint, test, docs, diff, check, serve, verify, audit):
    cli.add_command(_module.command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the CLI, turning every error into a message and an exit code."""
    _interrupt_on_sigterm()
    try:
        cli.main(args=argv, prog_name="accountrules", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code else 2)
    except click.exceptions.Abort as exc:
        click.echo("aborted", err=True)
        sys.exit(130 if isinstance(exc.__cause__, KeyboardInterrupt) else 1)  # click turns Ctrl-C into Abort
    except AccountRulesError as exc:
        click.echo(format_text(exc.diagnostics), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        click.echo(f"accountrules: internal error: {type(exc).__name__}: {exc} (please report this)", err=True)
        sys.exit(3)


def _interrupt_on_sigterm() -> None:
    """SIGTERM ends a command the way Ctrl-C does (exit 130), not silently with the signal."""
    import signal
    import threading

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
