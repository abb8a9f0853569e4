"""The shop floor's refusals and faults, each one line saying what to do."""

from __future__ import annotations

from offchain.errors import ProdnetError


class ShopError(ProdnetError):
    """Slicing or printing could not go on."""


class SlicerMissingError(ShopError):
    """PrusaSlicer is not installed."""


class ProfileError(ShopError):
    """A slicing profile is unknown or unreadable."""


class SliceError(ShopError):
    """PrusaSlicer refused the part (does not fit, not closed, not an STL)."""


class PrinterConfigError(ShopError):
    """A printer's record or its API key file is missing or unsafe."""


class PrinterUnreachableError(ShopError):
    """OctoPrint did not answer (down, wrong URL): the job's record is kept, re-run to resume."""


class PrinterRefusedError(ShopError):
    """OctoPrint answered with an error (bad API key, printer not ready, busy)."""


class PrintFailedError(ShopError):
    """The print failed or was cancelled: nothing is sent on chain."""
