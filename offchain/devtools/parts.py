"""Deterministic, watertight test parts and STL writers (tests, benchmarks, demo).

Every generator builds an indexed mesh (one vertex table, faces as index triples)
and only then expands it to triangles, so vertices shared by neighbouring triangles
are bit-identical and the mesh is closed and consistently oriented (outward normals)
by construction. Nothing here is random.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from offchain._fs import atomic_output
from offchain.orders import matching
from offchain.parts.stl import binary as stl_binary
from offchain.parts.stl.binary import normals

HEADER_SIZE = 80


@dataclass(frozen=True)
class IndexedMesh:
    """Vertices (v, 3) float64 and faces (f, 3) int64, counter-clockwise seen from outside."""

    vertices: np.ndarray
    faces: np.ndarray

    def triangles(self) -> np.ndarray:
        """The triangles as an (f, 3, 3) float32 array, the form STL stores."""
        return self.vertices.astype(np.float32)[self.faces]

    def translated(self, offset: Sequence[float]) -> IndexedMesh:
        return IndexedMesh(self.vertices + np.asarray(offset, dtype=np.float64), self.faces)


class _Builder:
    """A vertex table keyed by name, so a shared vertex is made exactly once."""

    def __init__(self) -> None:
        self._index: dict[Hashable, int] = {}
        self._points: list[tuple[float, float]] = []
        self.faces: list[tuple[int, int, int]] = []

    def vertex(self, key: Hashable, point: tuple[float, float]) -> int:
        if key not in self._index:
            self._index[key] = len(self._points)
            self._points.append(point)
        return self._index[key]

    def point(self, index: int) -> tuple[float, float]:
        return self._points[index]

    def points(self) -> np.ndarray:
        return np.asarray(self._points, dtype=np.float64)

    def annulus(self, outer: Sequence[int], inner: Sequence[int]) -> None:
        """Strip between two closed rings of equal length, OUTER counter-clockwise."""
        n = len(outer)
        for i in range(n):
            j = (i + 1) % n
            self.faces.append((outer[i], outer[j], inner[j]))
            self.faces.append((outer[i], inner[j], inner[i]))

    def fan(self, centre: int, ring: Sequence[int]) -> None:
        n = len(ring)
        for i in range(n):
            self.faces.append((centre, ring[i], ring[(i + 1) % n]))


def extrude(points: np.ndarray, faces: np.ndarray, height: float) -> IndexedMesh:
    """Extrude a 2-D region (counter-clockwise triangles in the xy plane) to HEIGHT along z.

    The region may have holes; its boundary is found as the directed edges whose
    reverse is not used by another triangle, and becomes the side walls.
    """
    n = len(points)
    bottom = np.column_stack([points, np.zeros(n)])
    top = np.column_stack([points, np.full(n, float(height))])
    vertices = np.vstack([bottom, top])
    edges = {(int(a), int(b)) for tri in faces for a, b in zip(tri, np.roll(tri, -1), strict=True)}
    boundary = sorted((a, b) for a, b in edges if (b, a) not in edges)
    walls = []
    for a, b in boundary:
        walls.append((a, b, b + n))
        walls.append((a, b + n, a + n))
    all_faces = np.vstack(
        [faces[:, ::-1], faces + n, np.asarray(walls, dtype=np.int64).reshape(-1, 3)]
    )
    return IndexedMesh(vertices, all_faces.astype(np.int64))


def box(
    size: Sequence[float] = (10.0, 20.0, 30.0), origin: Sequence[float] = (0.0, 0.0, 0.0)
) -> IndexedMesh:
    """A rectangular block of SIZE (x, y, z) mm with its minimum corner at ORIGIN: 12 triangles."""
    x, y, z = (float(v) for v in size)
    points = np.array([[0, 0], [x, 0], [x, y], [0, y]], dtype=np.float64)
    faces = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64)
    return extrude(points, faces, z).translated(origin)


def torus(
    major: float = 30.0, minor: float = 10.0, segments: int = 48, rings: int = 24,
    centre: Sequence[float] = (0.0, 0.0, 0.0),
) -> IndexedMesh:
    """A torus around the z axis: 2 x SEGMENTS x RINGS triangles."""
    if segments < 3 or rings < 3 or not 0 < minor < major:
        raise ValueError("torus needs segments, rings >= 3 and 0 < minor < major")
    u = np.arange(segments) * (2 * math.pi / segments)
    v = np.arange(rings) * (2 * math.pi / rings)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    radius = major + minor * np.cos(vv)
    vertices = np.stack(
        [radius * np.cos(uu), radius * np.sin(uu), minor * np.sin(vv)], axis=-1
    ).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(segments), np.arange(rings), indexing="ij")
    a = i * rings + j
    b = ((i + 1) % segments) * rings + j
    c = ((i + 1) % segments) * rings + (j + 1) % rings
    d = i * rings + (j + 1) % rings
    faces = np.stack([np.stack([a, b, c], -1), np.stack([a, c, d], -1)], axis=2).reshape(-1, 3)
    return IndexedMesh(vertices, faces.astype(np.int64)).translated(centre)


def torus_with_triangles(count: int) -> IndexedMesh:
    """A torus with exactly COUNT triangles (COUNT even, at least 18): large-file benchmarks."""
    if count % 2 or count < 18:
        raise ValueError("a torus has an even number of triangles, at least 18")
    quads = count // 2
    rings = max(3, math.isqrt(quads // 2))
    while quads % rings or quads // rings < 3:
        rings -= 1
    if rings < 3:
        raise ValueError(f"cannot split {count} triangles into a torus grid")
    return torus(major=60.0, minor=20.0, segments=quads // rings, rings=rings)


def gear(
    teeth: int = 12, tip_radius: float = 24.0, root_radius: float = 20.0,
    bore_radius: float = 6.0, thickness: float = 8.0, arc_samples: int = 3,
) -> IndexedMesh:
    """A spur-gear-like prism: trapezoidal teeth around a central bore."""
    if teeth < 3 or not 0 < bore_radius < root_radius < tip_radius or arc_samples < 1:
        raise ValueError("gear needs teeth >= 3 and 0 < bore < root < tip radius")
    pitch = 2 * math.pi / teeth
    # One tooth: root arc, rising flank, tip arc, falling flank (angles strictly increase).
    marks = [(0.0, root_radius), (0.30, root_radius), (0.40, tip_radius), (0.70, tip_radius),
             (0.80, root_radius)]
    profile: list[tuple[float, float]] = []
    for (f0, r0), (f1, r1) in itertools.pairwise(marks):
        steps = arc_samples if r0 == r1 else 1
        profile += [(f0 + (f1 - f0) * k / steps, r0) for k in range(steps)]
    tail = arc_samples
    profile += [(0.80 + 0.20 * k / tail, root_radius) for k in range(tail)]
    builder = _Builder()
    outer, inner = [], []
    for t in range(teeth):
        for frac, radius in profile:
            angle = (t + frac) * pitch
            key = (t, frac)
            outer.append(builder.vertex(
                ("o", *key), (radius * math.cos(angle), radius * math.sin(angle))
            ))
            inner.append(builder.vertex(
                ("i", *key), (bore_radius * math.cos(angle), bore_radius * math.sin(angle))
            ))
    builder.annulus(outer, inner)
    return extrude(builder.points(), np.asarray(builder.faces, dtype=np.int64), thickness)


def perforated_plate(
    cells: Iterable[tuple[int, int]], holes: Iterable[tuple[int, int]], cell: float = 20.0,
    thickness: float = 5.0, hole_radius: float = 4.0, side_samples: int = 4,
) -> IndexedMesh:
    """A flat part made of square CELLS (grid positions); cells in HOLES have a round hole.

    Each cell's border has SIDE_SAMPLES segments per side, shared with its neighbours,
    so neighbouring cells meet without T-junctions.
    """
    filled = set(cells)
    drilled = set(holes)
    if not drilled <= filled or not filled:
        raise ValueError("holes must be among the (non-empty) cells")
    if not 0 < hole_radius < cell / 2 or side_samples < 1:
        raise ValueError("hole radius must be between 0 and half a cell")
    m = side_samples
    builder = _Builder()

    def corner(i: int, j: int) -> int:
        return builder.vertex(("c", i, j), (i * cell, j * cell))

    def side(kind: str, i: int, j: int, k: int) -> int:
        # kind 'h': from corner (i, j) towards (i + 1, j); 'v': towards (i, j + 1).
        dx, dy = (k * cell / m, 0.0) if kind == "h" else (0.0, k * cell / m)
        return builder.vertex((kind, i, j, k), (i * cell + dx, j * cell + dy))

    for i, j in sorted(filled):
        ring = [corner(i, j)] + [side("h", i, j, k) for k in range(1, m)]
        ring += [corner(i + 1, j)] + [side("v", i + 1, j, k) for k in range(1, m)]
        ring += [corner(i + 1, j + 1)] + [side("h", i, j + 1, k) for k in range(m - 1, 0, -1)]
        ring += [corner(i, j + 1)] + [side("v", i, j, k) for k in range(m - 1, 0, -1)]
        cx, cy = (i + 0.5) * cell, (j + 0.5) * cell
        if (i, j) in drilled:
            inner = []
            for n, index in enumerate(ring):
                px, py = builder.point(index)
                angle = math.atan2(py - cy, px - cx)
                inner.append(builder.vertex(
                    ("r", i, j, n),
                    (cx + hole_radius * math.cos(angle), cy + hole_radius * math.sin(angle)),
                ))
            builder.annulus(ring, inner)
        else:
            builder.fan(builder.vertex(("m", i, j), (cx, cy)), ring)
    return extrude(builder.points(), np.asarray(builder.faces, dtype=np.int64), thickness)


def bracket(arm: int = 4, cell: float = 20.0, thickness: float = 5.0, hole_radius: float = 4.0,
            side_samples: int = 4) -> IndexedMesh:
    """A flat L-shaped corner bracket, ARM cells per leg, with a hole in every other cell."""
    if arm < 2:
        raise ValueError("a bracket needs at least 2 cells per arm")
    cells = [(i, 0) for i in range(arm)] + [(0, j) for j in range(1, arm)]
    holes = [(i, 0) for i in range(1, arm, 2)] + [(0, j) for j in range(1, arm, 2)]
    return perforated_plate(cells, holes, cell, thickness, hole_radius, side_samples)


def _atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    path = Path(path)
    with atomic_output(path, mode=0o644) as out:
        write(out.file)
    return path


def binary_stl_bytes(triangles: np.ndarray, header: bytes = b"prodnet testdata") -> bytes:
    """A binary STL of TRIANGLES ((n, 3, 3)) as bytes (small parts only)."""
    records = stl_binary.records(triangles)
    head = header[:HEADER_SIZE].ljust(HEADER_SIZE, b" ")
    return head + np.uint32(len(records)).tobytes() + records.tobytes()


def write_binary(path: Path, triangles: np.ndarray, header: bytes = b"prodnet testdata") -> Path:
    """Write a binary STL atomically (temp file + rename); fine for millions of triangles."""
    return stl_binary.write_binary(path, triangles, header)


def ascii_stl_text(solids: Sequence[tuple[str, np.ndarray]]) -> str:
    """ASCII STL, one ``solid`` block per (name, triangles); float32 values round-trip exactly."""
    out: list[str] = []
    for name, triangles in solids:
        tri = np.asarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
        out.append(f"solid {name}")
        for normal, corners in zip(normals(tri), tri, strict=True):
            out.append("  facet normal " + " ".join(f"{float(c):.9g}" for c in normal))
            out.append("    outer loop")
            out += ["      vertex " + " ".join(f"{float(c):.9g}" for c in v) for v in corners]
            out.append("    endloop")
            out.append("  endfacet")
        out.append(f"endsolid {name}")
    return "\n".join(out) + "\n"


def write_ascii(path: Path, solids: Sequence[tuple[str, np.ndarray]]) -> Path:
    """Write an ASCII STL (several solids allowed) atomically."""
    data = ascii_stl_text(solids).encode("ascii")
    return _atomic_write(path, lambda fh: fh.write(data))


# (process, material, build envelope in mm, price factor): typical machines of a small network.
MACHINES: tuple[tuple[str, str, tuple[int, int, int], float], ...] = (
    ("SLS", "PA12", (340, 340, 600), 1.0),
    ("SLS", "PA12", (200, 250, 330), 1.0),
    ("MJF", "PA12", (380, 284, 380), 0.9),
    ("SLS", "PA11", (340, 340, 600), 1.2),
    ("SLM", "316L", (250, 250, 325), 8.0),
    ("SLM", "Ti6Al4V", (250, 250, 325), 15.0),
    ("SLM", "AlSi10Mg", (400, 400, 400), 6.0),
    ("FDM", "PETG", (360, 360, 360), 0.4),
    ("FDM", "PLA", (330, 240, 300), 0.3),
)
BASE_PRICE_WEI_PER_CM3 = 10**14
DAY = 86_400


def market(
    seed: int, orders: int, demands: int, now: int = 1_760_000_000
) -> tuple[list[matching.Order], list[matching.Demand]]:
    """A seeded, realistic order book and demand list (benchmarks, demo, tests).

    Orders come from the machines above (a whole envelope, or half of it), with 10-100 %
    of a 30 % packing density free, windows of 1-14 days (about 5 % already over) and
    prices around a material's base. Parts are log-normal around 40 mm per axis, 1-50
    pieces, deadlines 5-45 days out, with a maximum price scattered around the base.
    """
    rng = np.random.default_rng(seed)
    book: list[matching.Order] = []
    machine_of = rng.integers(0, len(MACHINES), size=orders)
    for i in range(orders):
        _, material, envelope, factor = MACHINES[int(machine_of[i])]
        env = [v * 1000 for v in envelope]
        if rng.random() < 0.3:
            env[0] //= 2
        box = env[0] * env[1] * env[2] // 10**9
        start = now - int(rng.integers(0, 2 * DAY))
        end = start + int(rng.integers(DAY, 14 * DAY)) if rng.random() > 0.05 else now - 1
        book.append(matching.Order(
            id=i + 1,
            producer=f"producer-{int(rng.integers(0, max(1, orders // 50)))}",
            material=material,
            envelope_um=(env[0], env[1], env[2]),
            space_left_mm3=int(box * 0.3 * rng.uniform(0.1, 1.0)),
            window=(start, end),
            delivery=end + int(rng.integers(2 * DAY, 21 * DAY)),
            price_per_cm3=int(BASE_PRICE_WEI_PER_CM3 * factor * rng.lognormal(0.0, 0.3)),
        ))
    parts: list[matching.Demand] = []
    weights = np.array([3, 2, 2, 1, 1, 0.5, 0.5, 1.5, 1.5])
    machine_for = rng.choice(len(MACHINES), size=demands, p=weights / weights.sum())
    dims = np.clip(rng.lognormal(np.log(40.0), 0.6, size=(demands, 3)), 2.0, 450.0)
    for i in range(demands):
        _, material, _, factor = MACHINES[int(machine_for[i])]
        x, y, z = (int(v * 1000) for v in dims[i])
        parts.append(matching.Demand(
            id=i + 1,
            material=material,
            dims_um=(x, y, z),
            part_volume_mm3=max(1, int(x * y * z / 10**9 * rng.uniform(0.05, 0.6))),
            quantity=int(min(50, rng.geometric(0.3))),
            deadline=now + int(rng.integers(5 * DAY, 45 * DAY)),
            max_price_per_cm3=int(BASE_PRICE_WEI_PER_CM3 * factor * rng.lognormal(0.1, 0.35)),
        ))
    return book, parts
