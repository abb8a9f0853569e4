"""Edges, shells and orientation: closed, oriented, and the volume with cavities subtracted.

The mesh is closed when every edge is shared by exactly two triangles, and ``oriented``
when, in the file, no edge is walked twice in the same direction.

A shell is a set of triangles connected through edges shared by exactly two triangles.
Within a shell the winding is made consistent by propagating orientation across those
edges (connected components of the double cover of the triangle adjacency graph,
vectorised): a shell that cannot be oriented (a one-sided, Mobius-like surface) is
refused with ``NonOrientableError``; edges shared by three or more triangles join
nothing and leave the mesh not closed (``describe_open``). Each shell is then given its
role by containment, not by the file's winding: a shell whose sample points (centroids
of up to ``NEST_SAMPLES`` of its triangles) are inside another closed shell (generalised
winding number, none outside) is nested in it; a shell nested in an even number of
shells is solid and counts positive, in an odd number a cavity and counts negative (the
even-odd rule slicers fill by). Only pairs whose bounding boxes nest are tested; shells
that cross each other count as separate solids. The volume is the sum of the shells'
volumes with those signs. ``PartData.warnings`` says when triangles or whole shells had
to be turned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from offchain.parts.stl.errors import NonOrientableError
from offchain.parts.stl.geometry import CHUNK

NEST_SAMPLES = 5  # points per shell tested for being inside another shell


@dataclass(frozen=True)
class _Edges:
    open_edges: int
    oriented: bool
    t1: np.ndarray  # triangles across each edge used by exactly two (int32)
    t2: np.ndarray
    flip: np.ndarray  # bool: the two walk the edge in the same direction
    touching_open: np.ndarray  # triangles with an edge not used by exactly two
    open_vertices: np.ndarray  # vertex ids on those edges


def _edges(corners: np.ndarray, count: int) -> _Edges:
    """Every edge of the triangles with vertex ids CORNERS ((n, 3), COUNT distinct ids), sorted."""
    n = len(corners)
    m = 3 * n
    repeated = bool(((corners[:, 0] == corners[:, 1]) | (corners[:, 1] == corners[:, 2])
                     | (corners[:, 2] == corners[:, 0])).any())
    start = np.ascontiguousarray(corners, dtype=np.int64).view(np.uint64).ravel()
    stop = np.empty((n, 3), dtype=np.uint64)
    stop[:, :2] = corners[:, 1:]
    stop[:, 2] = corners[:, 0]
    stop = stop.ravel()
    forward = start > stop
    edge = np.minimum(start, stop)
    edge *= np.uint64(count)
    edge += np.maximum(start, stop)
    edge <<= np.uint64(1)
    edge |= forward
    del start, stop, forward
    index_bits = max(1, (m - 1).bit_length())
    if (2 * count * count).bit_length() + index_bits <= 64:
        edge <<= np.uint64(index_bits)
        edge |= np.arange(m, dtype=np.uint64)
        edge.sort()
        order = (edge & np.uint64((1 << index_bits) - 1)).astype(np.int32)
        edge >>= np.uint64(index_bits)
    else:
        order = np.argsort(edge).astype(np.int32)
        edge = edge[order]
    undirected = edge >> np.uint64(1)
    new = np.empty(m, dtype=bool)
    new[0] = True
    np.not_equal(undirected[1:], undirected[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    del new
    uses = np.diff(np.append(starts, m))
    bad = uses != 2
    open_edges = int(np.count_nonzero(bad))
    oriented = not bool((edge[1:] == edge[:-1]).any())
    touching_open = open_vertices = np.zeros(0, dtype=np.int64)
    if open_edges:
        keys = undirected[starts[bad]]
        open_vertices = np.unique(np.concatenate([keys // np.uint64(count), keys % np.uint64(count)]))
        touching_open = order[np.repeat(bad, uses)] // 3
    # Pairs of triangles across an edge used by exactly two (self-loop edges join nothing).
    pair = starts[~bad]
    del starts, uses, bad
    if repeated:  # a triangle with a repeated vertex: its self-loop edge joins nothing
        keys = undirected[pair]
        pair = pair[keys // np.uint64(count) != keys % np.uint64(count)]
    t1, t2 = order[pair] // 3, order[pair + 1] // 3
    flip = (edge[pair] & np.uint64(1)) == (edge[pair + 1] & np.uint64(1))
    if repeated:
        distinct = t1 != t2
        t1, t2, flip = t1[distinct], t2[distinct], flip[distinct]
    return _Edges(
        open_edges=open_edges, oriented=oriented, t1=t1, t2=t2, flip=flip,
        touching_open=touching_open, open_vertices=open_vertices.astype(np.int64),
    )


@dataclass(frozen=True)
class _Topology:
    closed: bool
    oriented: bool
    open_edges: int
    shells: int
    shell: np.ndarray  # (n,) shell id of each triangle
    parity: np.ndarray  # (n,) bool: the triangle is wound against its shell's first triangle
    shell_open: np.ndarray  # (shells,) bool: the shell has an edge not shared by exactly two


def _topology(edges: _Edges, n: int, name: str) -> _Topology:
    """Shells (components over the paired edges) and each triangle's winding within its shell."""
    t1, t2, flip = edges.t1, edges.t2, edges.flip
    if not flip.any():
        component = _components(n, t1, t2)
        parity = np.zeros(n, dtype=bool)
    else:
        # The double cover: node t is triangle t as wound, node t + n is it turned over.
        big = np.int32(n)
        cover = _components(
            2 * n, np.concatenate([t1, t1 + big]),
            np.concatenate([np.where(flip, t2 + big, t2), np.where(flip, t2, t2 + big)]),
        )
        same, other = cover[:n], cover[n:]
        one_sided = same == other
        if one_sided.any():
            bad = len(np.unique(same[one_sided]))
            raise NonOrientableError(
                f"{name}: {bad} shell{'s' if bad > 1 else ''} of the mesh cannot be oriented (a "
                "one-sided, Mobius-like surface), so the part has no defined volume; repair the "
                "model so that every shell has an inside and an outside"
            )
        component = np.minimum(same, other)
        parity = same != component
    roots = component == np.arange(n)
    shell = (np.cumsum(roots) - 1)[component]
    shells = int(np.count_nonzero(roots))
    shell_open = np.zeros(shells, dtype=bool)
    shell_open[shell[edges.touching_open]] = True
    return _Topology(
        closed=edges.open_edges == 0, oriented=edges.oriented, open_edges=edges.open_edges,
        shells=shells, shell=shell, parity=parity, shell_open=shell_open,
    )


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For nodes 0..N-1 joined by edges U-V, the smallest node of each node's component.

    Vectorised hook-and-compress: every edge across two trees hooks the larger root
    under the smaller, then pointers jump until each node points at its root (only the
    nodes that still moved are followed); edges inside one tree are dropped, so each
    round works on fewer.
    """
    parent = np.arange(n, dtype=np.int32)
    while len(u):
        pu, pv = parent[u], parent[v]
        across = pu != pv
        if not across.all():
            u, v, pu, pv = u[across], v[across], pu[across], pv[across]
            if not len(u):
                break
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        active = np.flatnonzero(parent[parent] != parent)
        while len(active):
            up = parent[active]
            grand = parent[up]
            parent[active] = grand
            active = active[grand != up]
    return parent


def _orient(vectors: np.ndarray, signed6: np.ndarray, topology: _Topology) -> tuple[float, list[str]]:
    """(volume, warnings): each shell oriented, nested shells subtracted (module docstring)."""
    shell, parity, shells = topology.shell, topology.parity, topology.shells
    shell_volume, sign = _signs(vectors, signed6, topology)
    volume = float(np.dot(sign, np.abs(shell_volume)))
    # A shell's triangles of parity 0 keep their winding when its signed volume has the
    # sign it should have (outward for a solid, inward for a cavity).
    reverse = np.sign(shell_volume) != sign
    turned = parity ^ reverse[shell]
    mixed = np.bincount(shell, weights=parity.astype(np.float64), minlength=shells) > 0
    notes = []
    if mixed.any():
        k = int(np.count_nonzero(turned[mixed[shell]]))
        notes.append(
            f"the winding was repaired: {k} of {len(shell)} triangles faced the other way from "
            "their neighbours and were turned before the volume was measured"
        )
    inside_out = int(np.count_nonzero(reverse & ~mixed & ~topology.shell_open & (shell_volume != 0)))
    if inside_out:
        if shells == 1:
            what, verb = "the mesh is", "was"
        else:
            what = f"{inside_out} of the {shells} shells " + ("is" if inside_out == 1 else "are")
            verb = "was" if inside_out == 1 else "were"
        notes.append(
            f"{what} inside out (solids must face outward, cavities inward) and {verb} turned "
            "before the volume was measured"
        )
    return volume, notes


def _outward_turn(vectors: np.ndarray, signed6: np.ndarray, topology: _Topology) -> np.ndarray:
    """Per triangle: True when it must be turned to face out of the material (as ``_orient`` decides)."""
    shell_volume, sign = _signs(vectors, signed6, topology)
    reverse = np.sign(shell_volume) != sign
    return topology.parity ^ reverse[topology.shell]


def _signs(vectors: np.ndarray, signed6: np.ndarray, topology: _Topology) -> tuple[np.ndarray, np.ndarray]:
    """(signed volume of each shell as wound, +1 for a solid or -1 for a cavity by even-odd nesting)."""
    shell, parity, shells = topology.shell, topology.parity, topology.shells
    turn = np.where(parity, -1.0, 1.0)
    if shells == 1:
        shell_volume = np.array([float(np.dot(signed6, turn)) / 6.0])
    else:
        shell_volume = np.bincount(shell, weights=signed6 * turn, minlength=shells) / 6.0
    sign = np.ones(shells)
    if shells > 1:
        depth = _nesting(vectors, shell, parity, np.abs(shell_volume), ~topology.shell_open)
        sign[depth % 2 == 1] = -1.0
    return shell_volume, sign


def _nesting(
    vectors: np.ndarray, shell: np.ndarray, parity: np.ndarray, size: np.ndarray, closed: np.ndarray,
) -> np.ndarray:
    """How many closed shells contain each shell (generalised winding number of sample points)."""
    shells = len(size)
    order = np.argsort(shell, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(shell, minlength=shells))])
    corner_min = vectors.min(axis=1)
    corner_max = vectors.max(axis=1)
    low = np.full((shells, 3), np.inf, dtype=np.float32)
    high = np.full((shells, 3), -np.inf, dtype=np.float32)
    np.minimum.at(low, shell, corner_min)
    np.maximum.at(high, shell, corner_max)
    depth = np.zeros(shells, dtype=np.int64)
    # Candidate pairs first, by bounding boxes, a block of containers at a time.
    containers = np.flatnonzero(closed)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, len(containers), 256):
        outer = containers[start:start + 256]
        fits = size[None] < size[outer, None]
        for axis in range(3):
            fits &= low[None, :, axis] >= low[outer, None, axis]
            fits &= high[None, :, axis] <= high[outer, None, axis]
        rows, cols = np.nonzero(fits)
        found.append((outer[rows], cols))
    holders = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int64)
    held = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
    for outer in np.unique(holders).tolist():
        inner = held[holders == outer]
        own = order[offsets[outer]:offsets[outer + 1]]
        tri = vectors[own].astype(np.float64)
        turn = np.where(parity[own], -1.0, 1.0)
        for s in inner.tolist():
            members = order[offsets[s]:offsets[s + 1]]
            picks = members[np.linspace(0, len(members) - 1, min(NEST_SAMPLES, len(members))).astype(int)]
            points = vectors[picks].astype(np.float64).mean(axis=1)
            winding = np.abs([_winding(p, tri, turn) for p in points])
            if (winding > 0.75).any() and not (winding < 0.25).any():
                depth[s] += 1
    return depth


def _winding(point: np.ndarray, tri: np.ndarray, turn: np.ndarray) -> float:
    """Generalised winding number of the oriented triangles TRI around POINT (1 inside, 0 outside)."""
    total = 0.0
    for start in range(0, len(tri), CHUNK):
        rel = tri[start:start + CHUNK] - point
        a, b, c = rel[:, 0], rel[:, 1], rel[:, 2]
        la, lb, lc = (np.sqrt(np.einsum("ij,ij->i", x, x)) for x in (a, b, c))
        det = np.einsum("ij,ij->i", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("ij,ij->i", a, b) * lc + np.einsum("ij,ij->i", a, c) * lb
               + np.einsum("ij,ij->i", b, c) * la)
        total += float(np.dot(np.arctan2(det, den), turn[start:start + CHUNK]))
    return total * 2.0 / (4.0 * math.pi)
