"""What can go wrong with an STL file: one ``StlError`` (a ``ProdnetError``) subclass per kind.

Every message names the file and says what to do about it, in one line.
"""

from __future__ import annotations

from offchain.errors import ProdnetError


class StlError(ProdnetError):
    """The file cannot give the part's public data."""


class StlFileError(StlError):
    """The path is missing, a directory, or unreadable."""


class NotRegularFileError(StlFileError):
    """The path is a directory, FIFO, device or socket, not a regular file."""


class TooLargeError(StlError):
    """The file or its triangle count is beyond what a part model may be."""


class EmptyStlError(StlError):
    """The file (or every solid in it) holds no triangles."""


class NotStlError(StlError):
    """The file is something other than an STL."""


class TextEncodingError(NotStlError):
    """Text in an encoding STL does not use (UTF-16)."""


class BinarySizeError(StlError):
    """A binary STL whose triangle count disagrees with its size."""


class AsciiStlError(StlError):
    """An ASCII STL that is truncated or malformed."""


class NonFiniteError(StlError):
    """A coordinate is NaN or infinite."""


class DegenerateMeshError(StlError):
    """Every triangle has zero area: there is no surface to measure."""


class NonOrientableError(StlError):
    """A shell is one-sided (Mobius-like): it has no inside, so no volume."""
