"""Fixtures of the market index tests: the project's compiled contracts, Anvil nodes of their
own (stopped after the test), and one shared chain holding a small market in every state
(read-only for its users: tests that add blocks get a chain of their own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from offchain.devtools.seed import project_artifacts
from tests.index.helpers import World, build_market


@pytest.fixture(scope="session")
def artifacts() -> tuple[dict[str, Any], dict[str, bytes]]:
    return project_artifacts()


@pytest.fixture
def new_world(artifacts: tuple[dict[str, Any], dict[str, bytes]]) -> Iterator[Callable[[], World]]:
    """Start a fresh Anvil with the contracts deployed; every one is stopped after the test."""
    worlds: list[World] = []

    def make() -> World:
        world = World.start(artifacts)
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.node.stop()


@pytest.fixture(scope="session")
def market(artifacts: tuple[dict[str, Any], dict[str, bytes]]) -> Iterator[World]:
    """A chain with a small market in every state (see build_market); do not add blocks to it."""
    world = World.start(artifacts)
    try:
        world.notes = build_market(world)
        yield world
    finally:
        world.node.stop()
