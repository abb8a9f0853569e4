"""What every prodnet command shares: errors become one line and a non-zero exit."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import click

from offchain import config
from offchain.errors import ProdnetError

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> None:
    """Print ``error: MESSAGE`` on stderr (first line only) and exit with CODE."""
    line = " ".join(str(message).split())
    click.echo(f"error: {line}", err=True)
    sys.exit(code)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a ProdnetError (or anything unexpected) into one line on stderr, never a traceback.

    Set PRODNET_DEBUG=1 to see the traceback of an unexpected error.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ProdnetError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted", code=130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            if config.debug():
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (PRODNET_DEBUG=1 shows the traceback)")
        raise AssertionError("unreachable")

    return wrapper


PROGRESS_FROM = 4 << 20  # transfers of 4 MiB and more show a progress bar on stderr


@contextmanager
def progress_bar(label: str, size: int) -> Iterator[Callable[[int], None] | None]:
    """A progress callback (bytes done) for a transfer of SIZE bytes, or None below 4 MiB."""
    if size < PROGRESS_FROM:
        yield None
        return
    with click.progressbar(length=size, label=label, file=click.get_text_stream("stderr")) as bar:
        yield bar.update


def ape_logs_to_stderr() -> None:
    """Keep stdout for a command's result and stderr for its one line of refusal: Ape's
    chatter (``INFO: Connecting...``, ``INFO: Confirmed...``) is dropped, its warnings and
    errors go to stderr. PRODNET_DEBUG=1 keeps every Ape log line (on stderr)."""
    import logging

    from ape.logging import ClickHandler, logger

    class _Quiet(logging.Filter):
        prodnet_quiet = True

        def filter(self, record: logging.LogRecord) -> bool:
            return config.debug() or record.levelno > logging.INFO

    for handler in logger._logger.handlers:
        if isinstance(handler, ClickHandler):
            handler.echo_kwargs = {
                level: {"err": True} for level in ("error", "warning", "success", "info", "debug")
            }
            if not any(getattr(f, "prodnet_quiet", False) for f in handler.filters):
                handler.addFilter(_Quiet())
