"""STL file -> the part's public data: bounding box, volume, area, and whether it is closed.

    part = stl.inspect("bracket.stl", units="mm")   # PartData, or a StlError saying what to do
    part.chain_dims_um(), part.chain_volume_mm3()    # what a job declares on chain

One job per module, each documenting its part of the method:

- ``files``: which files are read at all (regular files only, opened without blocking)
  and the size limits, checked before anything is allocated;
- ``load``: which reader a file gets (binary by its exact size, ASCII by ``solid``),
  or a refusal naming what the file is instead;
- ``binary`` and ``ascii``: the two readers;
- ``welding``: vertex ids, by exact float32 bits, then within a tolerance;
- ``shells``: edges, shells, their orientation and nesting, and so the volume;
- ``geometry``: float64 sums (extent, signed volumes, area);
- ``part``: ``PartData``, ``inspect`` and ``measure``; ``errors``: the ``StlError`` family.

Names with a leading underscore are private to this package (shared between its
modules, not part of its interface).
"""

from __future__ import annotations

from offchain.parts.stl.errors import (
    AsciiStlError,
    BinarySizeError,
    DegenerateMeshError,
    EmptyStlError,
    NonFiniteError,
    NonOrientableError,
    NotRegularFileError,
    NotStlError,
    StlError,
    StlFileError,
    TextEncodingError,
    TooLargeError,
)
from offchain.parts.stl.files import MAX_FILE_BYTES, MAX_TRIANGLES
from offchain.parts.stl.files import _opened as open_model_file  # the 3MF and OBJ readers open files so too
from offchain.parts.stl.files import _read_exactly as read_exactly
from offchain.parts.stl.load import _load as _load  # tests read files with it
from offchain.parts.stl.part import PartData, describe_open, inspect, measure, shells_of
from offchain.parts.stl.welding import WELD_RELATIVE, weld

__all__ = [
    "MAX_FILE_BYTES", "MAX_TRIANGLES", "WELD_RELATIVE", "AsciiStlError", "BinarySizeError",
    "DegenerateMeshError", "EmptyStlError", "NonFiniteError", "NonOrientableError", "NotRegularFileError",
    "NotStlError", "PartData", "StlError", "StlFileError", "TextEncodingError", "TooLargeError",
    "describe_open", "inspect", "measure", "open_model_file", "read_exactly", "shells_of", "weld",
]
