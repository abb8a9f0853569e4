"""Reads that make many small objects at once: a status table of every order, an order book."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def many_objects() -> Iterator[None]:
    """Pause Python's cycle collector inside the block (or the decorated function). Its full
    passes walk every object of the process (with Ape loaded, hundreds of thousands), again and
    again while a read makes tens of thousands of rows; rows hold no cycles, so reference
    counting frees them as before. The collector runs again at the end, as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
