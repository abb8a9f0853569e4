"""Vertex ids: vertices welded by their exact float32 bits, or within a tolerance.

Vertices are first welded by their exact float32 bits (-0.0 equals 0.0). When that
leaves edges not shared by exactly two triangles, the vertices of those edges are
welded again within a tolerance of ``WELD_RELATIVE`` (1e-9) x the bounding-box
diagonal, so CAD noise (1e-16 written for 0) does not open a watertight part: vertices
within the tolerance of each other in every axis are welded, found with four grids of
cells 4 x the tolerance wide, each shifted a quarter cell (vectorised, no pair search),
so vertices more than 4 x the tolerance apart in some axis are never welded directly.
Two different float32 values that close are both below 2^25 x the tolerance (about 3 %
of the diagonal) in magnitude, so only vertices with a coordinate near zero take part.
"""

from __future__ import annotations

import math

import numpy as np

WELD_RELATIVE = 1e-9  # weld tolerance, times the bounding-box diagonal (measure's second pass)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over uint64 (wrapping arithmetic)."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def weld(points: np.ndarray, hash_bits: int = 64, tolerance: float = 0.0) -> tuple[np.ndarray, int]:
    """Vertex ids for POINTS ((m, 3) float32) and the number of distinct ids.

    With TOLERANCE 0, ids are equal exactly when the coordinates are equal (-0.0 == 0.0).
    With a TOLERANCE, points within it of each other in every axis get the same id, and
    so do chains of such points; points more than 4 x TOLERANCE apart in some axis are
    never joined directly (see the module docstring). HASH_BITS < 64 keeps fewer hash
    bits in the exact grouping, which makes collisions common (tests use it).
    """
    points = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    ids, count = _group_rows((points + np.float32(0.0)).view(np.uint32), hash_bits)
    if tolerance <= 0 or count < 2:
        return ids, count
    return _weld_near(points, ids, count, np.arange(count), tolerance)


def _weld_near(
    points: np.ndarray, ids: np.ndarray, count: int, candidates: np.ndarray, tolerance: float,
) -> tuple[np.ndarray, int]:
    """Exact vertex IDS (COUNT distinct) of POINTS with the CANDIDATES ids welded within TOLERANCE."""
    first = np.empty(count, dtype=np.int64)
    first[ids] = np.arange(len(ids))
    unique = points[first[candidates]]
    # Two different float32 values within TOLERANCE are both below LIMIT in magnitude
    # (float32 spacing at magnitude 2^k is at least 2^(k - 24)), so only points with a
    # coordinate below it can be welded to a point that is not bit-identical.
    limit = np.float32(2.0 ** (math.floor(math.log2(tolerance)) + 25))
    near_zero = np.flatnonzero((np.abs(unique) < limit).any(axis=1))
    if len(near_zero) < 2:
        return ids, count
    chosen = candidates[near_zero]
    labels = _cluster(unique[near_zero].astype(np.float64), tolerance)
    if (labels == np.arange(len(labels))).all():
        return ids, count
    root = np.arange(count)
    root[chosen] = chosen[labels]
    keep = root == np.arange(count)
    renumber = np.cumsum(keep) - 1
    return renumber[root][ids], int(np.count_nonzero(keep))


def _cluster(points: np.ndarray, tolerance: float) -> np.ndarray:
    """For each of POINTS ((k, 3) float64), the smallest index of its cluster.

    Four grids of cells 4 x TOLERANCE wide, shifted by a quarter cell along every axis:
    two points within TOLERANCE in every axis share a cell in at least one of them (per
    axis, at most one grid has a cell border between them). Points sharing a cell in
    any grid are joined; the labels then spread to a fixed point.
    """
    cell = 4.0 * tolerance
    scaled = (points - points.min(axis=0)) / cell
    groups = []
    for shift in range(4):
        cells = np.floor(scaled + shift / 4.0).astype(np.uint32)
        ids, count = _group_rows(cells)
        if count < len(points):
            groups.append((ids, count))
    labels = np.arange(len(points))
    while groups:
        before = labels
        for ids, count in groups:
            least = np.full(count, len(points))
            np.minimum.at(least, ids, labels)
            labels = least[ids]
        if np.array_equal(labels, before):
            break
    return labels


def _group_rows(rows: np.ndarray, hash_bits: int = 64) -> tuple[np.ndarray, int]:
    """Ids for ROWS ((m, 3) uint32): equal ids exactly when the rows are equal.

    One sort of 64-bit keys: the high bits hold a hash of the row, the low bits the row's
    index. Runs of equal hash are checked against the rows; the rare run that mixes
    different rows (a hash collision) is sorted by the rows themselves.
    Returns (ids (m,) int64, number of distinct rows).
    """
    m = len(rows)
    xy = (rows[:, 0].astype(np.uint64) << np.uint64(32)) | rows[:, 1]
    z = rows[:, 2].copy()
    index_bits = max(1, (m - 1).bit_length())
    kept = max(1, min(hash_bits, 64 - index_bits))
    low_mask = np.uint64((1 << index_bits) - 1)
    # Multiplying by odd constants carries every bit of x, y and z into the high bits kept.
    key = z.astype(np.uint64)
    key *= np.uint64(0x9E3779B97F4A7C15)
    key ^= xy
    key *= np.uint64(0xBF58476D1CE4E5B9)
    key ^= key >> np.uint64(31)
    key >>= np.uint64(64 - kept)
    key <<= np.uint64(index_bits)
    key |= np.arange(m, dtype=np.uint64)
    key.sort()
    order = (key & low_mask).astype(np.int32 if m < 2**31 else np.int64)
    run_hash = key >> np.uint64(index_bits)
    del key
    xy, z = np.take(xy, order), np.take(z, order)
    same_hash = run_hash[1:] == run_hash[:-1]
    del run_hash
    same = (xy[1:] == xy[:-1]) & (z[1:] == z[:-1])
    mixed = same_hash & ~same
    if mixed.any():
        run = np.concatenate([[0], np.cumsum(~same_hash)])
        where = np.flatnonzero(np.isin(run, np.unique(run[1:][mixed])))
        sub = np.lexsort((z[where], xy[where], run[where]))
        order[where] = order[where][sub]
        xy[where] = xy[where][sub]
        z[where] = z[where][sub]
        same = (xy[1:] == xy[:-1]) & (z[1:] == z[:-1])
    sorted_ids = np.empty(m, dtype=np.int32 if m < 2**31 else np.int64)
    sorted_ids[0] = 0
    np.cumsum(~same, out=sorted_ids[1:])
    ids = np.empty(m, dtype=sorted_ids.dtype)
    ids[order] = sorted_ids
    return ids, int(sorted_ids[-1]) + 1
