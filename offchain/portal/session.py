"""Who acts in the portal: the user's own Ape accounts (keyfile accounts, and on a local
development chain its test accounts), and the one thread that talks to Ape for them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from offchain.chain.client import Chain
from offchain.chain.session import AccountError, open_chain

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    address: str
    label: str
    locked: bool  # a keyfile account: each action asks for its passphrase

    @property
    def short(self) -> str:
        return f"{self.address[:6]}…{self.address[-4:]}"


class UnknownActorError(AccountError):
    """The page named an account this portal does not hold."""


class Accounts:
    """The accounts the portal may sign with: Ape keyfile accounts by alias, plus the first
    TEST_ACCOUNTS test accounts (named by LABELS where given)."""

    def __init__(self, test_accounts: int = 0, labels: dict[str, str] | None = None) -> None:
        from ape import accounts

        self._accounts: dict[str, Any] = {}
        self.actors: list[Actor] = []
        labels = {k.lower(): v for k, v in (labels or {}).items()}
        for i in range(test_accounts):
            account = accounts.test_accounts[i]
            name = labels.get(account.address.lower(), f"test account {i}")
            self._add(account, name, locked=False)
        for account in accounts:
            self._add(account, labels.get(account.address.lower(), account.alias), locked=True)

    def _add(self, account: Any, label: str, locked: bool) -> None:
        key = account.address.lower()
        if key not in self._accounts:
            self._accounts[key] = account
            self.actors.append(Actor(str(account.address), label, locked))

    def actor(self, address: str | None) -> Actor:
        if not self.actors:
            raise UnknownActorError(
                "this portal has no account to act with: import one with 'ape accounts import NAME' "
                "and start the portal again"
            )
        if not address:
            return self.actors[0]
        for actor in self.actors:
            if actor.address.lower() == address.lower():
                return actor
        raise UnknownActorError(f"{address} is not one of this portal's accounts: pick one from the list")

    @contextlib.contextmanager
    def chain_for(self, actor: Actor, passphrase: str | None, signs: bool = True) -> Iterator[Chain]:
        """A Chain acted on by ACTOR; to SIGN, a keyfile account is unlocked with PASSPHRASE
        for this one action and locked again afterwards (the passphrase is never kept)."""
        account = self._accounts[actor.address.lower()]
        if not actor.locked or not signs:
            yield open_chain(account, actor=actor.label, unlock=False)
            return
        if not passphrase:
            raise AccountError(f"account '{actor.label}' is locked: enter its passphrase to sign this step")
        from ape.logging import logger

        try:
            with logger.at_level("ERROR"):
                account.set_autosign(True, passphrase=passphrase)
        except Exception:
            account.set_autosign(False)
            raise AccountError(
                f"cannot unlock account '{actor.label}': wrong passphrase; nothing was sent"
            ) from None
        try:
            yield open_chain(account, actor=actor.label, unlock=False)
        finally:
            account.set_autosign(False)


class ChainThread:
    """Ape and the index are used from one thread only: every call goes through here."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="prodnet-chain")

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: func(*args, **kwargs))

    def submit(self, func: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        return self._pool.submit(func, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
