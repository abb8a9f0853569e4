"""One state change per intent: every form that changes state carries a one-time token
rendered with it (``intent``), and the server runs what a token asks for at most once.

A second submission of the same form (a double-click, Back and resubmit, the page
duplicated in another tab) gets what the first did, marked as a repeat, and nothing is
sent again; while the first is still running, the second waits for it. A refused
submission (a wrong passphrase, a field to correct) releases its token, so the same form
can be corrected and sent. Tokens are bound to the action and the account they were sent
for, and the last ``keep`` outcomes are remembered (a portal's run, not forever).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

#: The form field of the one-time token.
INTENT_FIELD = "intent"
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class Done:
    """What one submission did: the sentences shown, whether it succeeded, and the page to
    go to next."""

    ok: bool
    lines: tuple[str, ...]
    go_to: str | None = None


class Intents:
    """The tokens rendered into forms and what each did (see the module's docstring)."""

    def __init__(self, keep: int = 4096) -> None:
        self.keep = keep
        self._done: OrderedDict[str, Done] = OrderedDict()
        self._running: dict[str, asyncio.Future[Done]] = {}

    @staticmethod
    def token() -> str:
        """A new one-time token for a form being rendered."""
        return secrets.token_urlsafe(18)

    @staticmethod
    def valid(token: str | None) -> bool:
        return bool(token) and 16 <= len(token or "") <= 64 and set(token or "") <= _TOKEN_CHARS

    async def once(self, key: str, run: Callable[[], Awaitable[Done]]) -> tuple[Done, bool]:
        """RUN for KEY (action, account and token) unless KEY ran before or is running: then
        its outcome. Returns (outcome, whether it is a repeat)."""
        if key in self._done:
            return self._done[key], True
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running), True
        future: asyncio.Future[Done] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            done = await run()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a waiter may be gone
            raise
        finally:
            self._running.pop(key, None)
        if done.ok:
            self._done[key] = done
            while len(self._done) > self.keep:
                self._done.popitem(last=False)
        future.set_result(done)
        return done, False
