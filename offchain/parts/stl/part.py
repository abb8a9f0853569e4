"""The part's public data, ``PartData``: ``inspect`` reads it from a file, ``measure`` from triangles.

``measure`` checks the coordinates, takes the bounding box, area and signed volumes
(``geometry``), welds the vertices (``welding``), finds the edges and shells and orients
them (``shells``); ``inspect`` reads the file first (``load``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from offchain.parts.stl.errors import DegenerateMeshError, EmptyStlError, NonFiniteError
from offchain.parts.stl.files import MAX_FILE_BYTES, MAX_TRIANGLES
from offchain.parts.stl.geometry import _extent, _sums
from offchain.parts.stl.load import _load
from offchain.parts.stl.shells import _edges, _orient, _outward_turn, _topology
from offchain.parts.stl.welding import WELD_RELATIVE, _weld_near, weld
from offchain.parts.units import mm3_to_int, mm_per, mm_to_um, parse_units


@dataclass(frozen=True)
class PartData:
    """What the world may know about a part: sizes in mm, never the model itself."""

    bbox_mm: tuple[float, float, float]
    volume_mm3: float
    area_mm2: float
    triangles: int
    closed: bool
    oriented: bool
    units: str
    format: str
    solids: int
    open_edges: int
    shells: int = 1
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "bbox_mm": list(self.bbox_mm),
            "volume_mm3": self.volume_mm3,
            "area_mm2": self.area_mm2,
            "triangles": self.triangles,
            "closed": self.closed,
            "oriented": self.oriented,
            "units": self.units,
            "format": self.format,
            "solids": self.solids,
            "open_edges": self.open_edges,
            "shells": self.shells,
            "warnings": list(self.warnings),
        }

    def chain_dims_um(self) -> tuple[int, int, int]:
        """Bounding box in whole micrometres, rounded up (what a job declares on chain)."""
        x, y, z = (mm_to_um(v) for v in self.bbox_mm)
        return x, y, z

    def chain_volume_mm3(self) -> int:
        """Part volume in whole cubic millimetres, rounded up."""
        return mm3_to_int(self.volume_mm3)


def inspect(
    path: str | os.PathLike[str], units: str = "mm", *, max_bytes: int = MAX_FILE_BYTES,
    max_triangles: int = MAX_TRIANGLES,
) -> PartData:
    """Read the STL at PATH (binary or ASCII) and return its public data in mm.

    UNITS names the unit the file's coordinates are in ('mm' or 'inch'). Files larger
    than MAX_BYTES or with more than MAX_TRIANGLES triangles are refused before they
    are read. Raises a StlError subclass, with a message saying what to do, for bad input.
    """
    units = parse_units(units)
    path = Path(path)
    kind, vectors, solids, notes = _load(path, max_bytes, max_triangles)
    return measure(vectors, units=units, fmt=kind, solids=solids, name=str(path), warnings=notes)


def measure(
    vectors: np.ndarray, units: str = "mm", fmt: str = "binary", solids: int = 1,
    name: str = "mesh", warnings: Sequence[str] = (),
) -> PartData:
    """Public data of triangles VECTORS ((n, 3, 3) float32, coordinates in UNITS).

    WARNINGS (from reading the file) are kept in front of the ones measuring adds.
    """
    scale = mm_per(units)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, 3, 3)
    n = len(vectors)
    if n == 0:
        raise EmptyStlError(f"{name}: the file contains no triangles; export the part again")
    flat = vectors.reshape(-1, 3)
    if not np.isfinite(flat).all():
        first = int(np.flatnonzero(~np.isfinite(flat).all(axis=1))[0]) // 3
        raise NonFiniteError(
            f"{name}: triangle {first} has a NaN or infinite coordinate; "
            "repair or re-export the model"
        )
    low, high = _extent(flat)
    signed6, area, non_degenerate = _sums(vectors, (low + high) / 2)
    if non_degenerate == 0:
        raise DegenerateMeshError(
            f"{name}: all {n} triangles have zero area, so the part has no surface; "
            "re-export the model"
        )
    ids, count = weld(flat)
    edges = _edges(ids.reshape(-1, 3), count)
    tolerance = WELD_RELATIVE * float(np.linalg.norm(high - low))
    if edges.open_edges and tolerance > 0:
        # Close gaps left by near-coincident vertices: weld those on open edges within tolerance.
        welded, fewer = _weld_near(flat, ids, count, edges.open_vertices, tolerance)
        if fewer < count:
            edges = _edges(welded.reshape(-1, 3), fewer)
        del welded
    del ids
    topology = _topology(edges, n, name)
    del edges
    volume, notes = _orient(vectors, signed6, topology)
    bbox = tuple(float(v) * scale for v in high - low)
    return PartData(
        bbox_mm=(bbox[0], bbox[1], bbox[2]),
        volume_mm3=abs(volume) * scale**3,
        area_mm2=area * scale**2,
        triangles=n,
        closed=topology.closed,
        oriented=topology.oriented,
        units=units,
        format=fmt,
        solids=solids,
        open_edges=topology.open_edges,
        shells=topology.shells,
        warnings=(*warnings, *notes),
    )


def shells_of(vectors: np.ndarray, name: str = "mesh") -> tuple[np.ndarray, np.ndarray]:
    """(shell id of each triangle, whether each triangle must be turned to face out of the material)
    of VECTORS, by the same welding, shells and nesting as ``measure`` (so a cavity's triangles
    face into the cavity): the printability report's shells and normals."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, 3, 3)
    flat = vectors.reshape(-1, 3)
    ids, count = weld(flat)
    edges = _edges(ids.reshape(-1, 3), count)
    low, high = _extent(flat)
    tolerance = WELD_RELATIVE * float(np.linalg.norm(high - low))
    if edges.open_edges and tolerance > 0:
        welded, fewer = _weld_near(flat, ids, count, edges.open_vertices, tolerance)
        if fewer < count:
            edges = _edges(welded.reshape(-1, 3), fewer)
    topology = _topology(edges, len(vectors), name)
    signed6, _, _ = _sums(vectors, (low + high) / 2)
    return topology.shell, _outward_turn(vectors, signed6, topology)


def describe_open(part: PartData) -> str:
    """The warning a user gets for a mesh that is not closed."""
    return (
        f"the mesh is not closed ({part.open_edges} edges are not shared by exactly two "
        "triangles), so its volume is unreliable; repair the model before ordering"
    )
