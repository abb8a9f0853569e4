"""Sums over the triangles in float64, a block of ``CHUNK`` triangles at a time: extent, volume, area."""

from __future__ import annotations

import numpy as np

CHUNK = 1 << 18  # triangles per block for the float64 sums


def _sums(vectors: np.ndarray, origin: np.ndarray) -> tuple[np.ndarray, float, int]:
    """(six times each triangle's signed volume, area, number of triangles with non-zero area).

    In float64, with coordinates taken relative to ORIGIN (the bounding-box centre) so the
    signed volume does not lose digits for parts far from the file's origin.
    """
    signed6 = np.empty(len(vectors), dtype=np.float64)
    area = 0.0
    non_degenerate = 0
    shift = origin.reshape(1, 3, 1)
    for start in range(0, len(vectors), CHUNK):
        tri = vectors[start:start + CHUNK].transpose(1, 2, 0).astype(np.float64, order="C")  # corner, axis, i
        tri -= shift
        (ax, ay, az), (bx, by, bz), (cx, cy, cz) = tri
        ux, uy, uz = bx - ax, by - ay, bz - az
        vx, vy, vz = cx - ax, cy - ay, cz - az
        nx = uy * vz - uz * vy
        ny = uz * vx - ux * vz
        nz = ux * vy - uy * vx
        # a . ((b - a) x (c - a)) == a . (b x c): six times the signed tetrahedron volume.
        signed6[start:start + CHUNK] = ax * nx + ay * ny + az * nz
        norm2 = nx * nx + ny * ny + nz * nz
        area += float(np.sqrt(norm2).sum())
        non_degenerate += int(np.count_nonzero(norm2))
    return signed6, area / 2.0, non_degenerate


def _extent(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis (min, max) of POINTS ((m, 3)) as float64.

    Reducing a (m, 3) array along axis 0 walks it three values at a time; viewing
    whole blocks of points as rows lets numpy compare full rows instead.
    """
    block = 1024
    k = len(points) // block * block
    parts = [points[k:]] if k < len(points) else []
    if k:
        rows = points[:k].reshape(-1, 3 * block)
        parts += [rows.min(axis=0).reshape(block, 3), rows.max(axis=0).reshape(block, 3)]
    stacked = np.concatenate(parts)
    return stacked.min(axis=0).astype(np.float64), stacked.max(axis=0).astype(np.float64)
