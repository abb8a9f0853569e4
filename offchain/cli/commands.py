"""Click command classes every prodnet script uses: a usage error (missing argument, unknown
option, bad value, bad --network) is one line, ``error: <click's message> (see --help)``."""

from __future__ import annotations

from typing import IO, Any

import click


class OneLineUsageError(click.UsageError):
    """A UsageError shown as one line on stderr, without click's usage block and hints."""

    def show(self, file: IO[Any] | None = None) -> None:
        message = " ".join(self.format_message().split())
        click.echo(f"error: {message} (see --help)", err=True)


def _one_line(exc: click.UsageError) -> OneLineUsageError:
    if isinstance(exc, OneLineUsageError):
        return exc
    one = OneLineUsageError(exc.format_message(), exc.ctx)
    one.exit_code = exc.exit_code
    return one


class OneLineUsage:
    """Mixin for click.Command / click.Group (before it in the bases): usage errors raised
    while reading this command's arguments, or any subcommand's, become one line."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)  # type: ignore[misc]
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except click.UsageError as exc:
            raise _one_line(exc) from None


class Group(OneLineUsage, click.Group):
    """The group of a prodnet script (``@click.group(cls=Group)``)."""


class Command(OneLineUsage, click.Command):
    """A single-command prodnet script."""


def one_line(command_class: type[click.Command]) -> type[click.Command]:
    """COMMAND_CLASS (e.g. Ape's ConnectedProviderCommand) with one-line usage errors."""
    return type(f"OneLine{command_class.__name__}", (OneLineUsage, command_class), {})
