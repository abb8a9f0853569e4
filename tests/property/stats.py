"""Steps and examples run by the state machines in this session (read by conftest.py)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Tally:
    steps: int = 0
    examples: int = 0
    seconds: float = 0.0
    caught: str = ""  # a mutant's run: the invariant label it was caught with
    # function -> outcome ("ok" or the custom error's name) -> count
    outcomes: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )


@dataclass
class Stats:
    runs: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    def step(self, label: str) -> None:
        self.runs[label].steps += 1

    def outcome(self, label: str, function: str, outcome: str) -> None:
        self.runs[label].outcomes[function][outcome] += 1

    def example(self, label: str) -> None:
        self.runs[label].examples += 1

    def timed(self, label: str) -> _Timer:
        return _Timer(self.runs[label])

    @property
    def total_steps(self) -> int:
        return sum(t.steps for t in self.runs.values())


class _Timer:
    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.start = 0.0

    def __enter__(self) -> _Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.tally.seconds += time.perf_counter() - self.start


STATS = Stats()
