"""A printability report for one part, from its mesh alone. Warnings inform; nothing here refuses.

    report = printability.check(vectors, part, envelope_mm=(250, 210, 210), min_wall_mm=0.8)

- **fits**: the chain's rule (``units.fits``: the bounding box in some axis-aligned
  orientation, sorted axis by axis, within the machine envelope), and which of the six
  axis-aligned orientations fit (``xyz`` is the part as modelled, ``zyx`` lays its z
  along the machine's x, and so on).
- **watertight** and **shells**: from the part's public data (``stl.measure``).
- **overhang**: the area of triangles whose outward normal points down more than
  ``OVERHANG_DEGREES`` (45) from the build direction (-z by default: normal . up <
  -cos 45), not counting faces resting on the build plate (within ``BED_MM`` of the
  lowest point). Normals face out of the material the way ``measure`` orients shells
  (windings made consistent per shell; solids outward, cavities into the cavity).
- **thin walls**: ray casting, numpy only. Up to ``WALL_SAMPLES`` points are sampled on
  the surface, spread by area (systematic sampling over the cumulative area, so the same
  mesh gives the same report); from each, a ray goes inward (against the outward
  normal) and the nearest triangle it hits (Moller-Trumbore, against the triangles whose
  x-span can reach the point: one sort by x, then a slice) gives the wall's thickness
  there. Samples thinner than the machine's ``min_wall_mm`` estimate the thin area
  (their share of the samples times the area). A distance field was not chosen: it needs
  a voxel grid finer than the wall threshold over the whole part (a 300 mm part at
  0.2 mm is 3.4 billion voxels), while rays cost per sample, whatever the part's size.
- **small features**: shells whose largest extent is below ``min_feature_mm``.

Before the model is at hand (a producer looking at a joined job, a requested part), only
the public data speaks: ``from_public_data`` says whether and how the declared box fits;
``of_model_part`` reports on the part of a fetched model file that a job declared.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from offchain.parts.stl import PartData, shells_of
from offchain.parts.units import fits as chain_fits
from offchain.parts.units import mm_per, mm_to_um

OVERHANG_DEGREES = 45.0
BED_MM = 0.01  # faces within this of the lowest point rest on the build plate
WALL_SAMPLES = 512
MIN_WALL_MM = 0.8  # the default a machine declares (FDM: two 0.4 mm perimeters)
MIN_FEATURE_MM = 1.0
RAY_BLOCK = 1 << 16  # candidate triangles tested at a time per ray


@dataclass(frozen=True)
class Report:
    """What a bureau shows on upload, for one part (``warnings`` say what to look at)."""

    envelope_mm: tuple[float, float, float] | None
    fits: bool | None
    orientations: tuple[str, ...]
    watertight: bool
    shells: int
    build_direction: tuple[float, float, float]
    overhang_area_mm2: float
    overhang_share: float
    min_wall_mm: float
    thinnest_wall_mm: float | None
    thin_wall_area_mm2: float
    wall_samples: int
    min_feature_mm: float
    small_features: int
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "envelope_mm": None if self.envelope_mm is None else list(self.envelope_mm),
            "fits": self.fits, "orientations": list(self.orientations),
            "watertight": self.watertight, "shells": self.shells,
            "build_direction": list(self.build_direction),
            "overhang_area_mm2": self.overhang_area_mm2, "overhang_share": self.overhang_share,
            "min_wall_mm": self.min_wall_mm, "thinnest_wall_mm": self.thinnest_wall_mm,
            "thin_wall_area_mm2": self.thin_wall_area_mm2, "wall_samples": self.wall_samples,
            "min_feature_mm": self.min_feature_mm, "small_features": self.small_features,
            "warnings": list(self.warnings),
        }


def check(
    vectors: np.ndarray, part: PartData, *, envelope_mm: Sequence[float] | None = None,
    build_direction: Sequence[float] = (0.0, 0.0, 1.0), min_wall_mm: float = MIN_WALL_MM,
    min_feature_mm: float = MIN_FEATURE_MM, samples: int = WALL_SAMPLES,
) -> Report:
    """The report of the part VECTORS ((n, 3, 3), in PART's units) whose public data is PART."""
    tri = np.asarray(vectors, dtype=np.float64).reshape(-1, 3, 3) * mm_per(part.units)  # mm
    up = np.asarray(build_direction, dtype=np.float64)
    up = up / np.linalg.norm(up)
    shell, turned = shells_of(tri.astype(np.float32))
    normals, areas = _outward(tri, turned)
    total = float(areas.sum())
    notes: list[str] = []

    envelope = None
    if envelope_mm is not None:
        envelope = (float(envelope_mm[0]), float(envelope_mm[1]), float(envelope_mm[2]))
    fits, orientations = None, ()
    if envelope is not None:
        fits, orientations = fit(part.chain_dims_um(), envelope)
        if not fits:
            notes.append(f"the part ({_dims(part.bbox_mm)} mm) does not fit the machine "
                         f"({_dims(envelope)} mm) in any orientation")
    if not part.closed:
        notes.append(f"the mesh is not watertight ({part.open_edges} open edges): repair it before printing")

    height = tri @ up  # (n, 3) heights of the corners
    on_bed = (height.max(axis=1) - height.min()) <= BED_MM
    down = (normals @ up) < -math.cos(math.radians(OVERHANG_DEGREES))
    overhang = float(areas[down & ~on_bed].sum())
    if overhang > 0:
        notes.append(f"{overhang:.1f} mm2 ({100 * overhang / total:.1f} %) overhangs more than "
                     f"{OVERHANG_DEGREES:g} degrees: it needs supports in this build direction")

    thinnest, thin_share, used = _walls(tri, normals, areas, min_wall_mm, samples)
    thin_area = thin_share * total
    if thin_share > 0:
        notes.append(f"walls thinner than {min_wall_mm:g} mm over about {thin_area:.1f} mm2 (thinnest "
                     f"{thinnest:.3f} mm): they may not print")

    small = _small_features(tri, shell, min_feature_mm)
    if small:
        notes.append(f"{small} shell{'s' if small > 1 else ''} smaller than {min_feature_mm:g} mm: "
                     "too small to print reliably")
    return Report(
        envelope_mm=envelope, fits=fits, orientations=orientations, watertight=part.closed,
        shells=part.shells, build_direction=(float(up[0]), float(up[1]), float(up[2])),
        overhang_area_mm2=overhang, overhang_share=overhang / total if total else 0.0,
        min_wall_mm=min_wall_mm, thinnest_wall_mm=thinnest, thin_wall_area_mm2=thin_area,
        wall_samples=used, min_feature_mm=min_feature_mm, small_features=small, warnings=tuple(notes),
    )


def fit(dims_um: Sequence[int], envelope_mm: Sequence[float]) -> tuple[bool, tuple[str, ...]]:
    """(whether a box of DIMS_UM fits ENVELOPE_MM by the chain's rule, the axis-aligned
    orientations in which it does: ``xyz`` as modelled, ``zyx`` its z along the machine's x...)."""
    envelope_um = [mm_to_um(v) for v in envelope_mm]
    orientations = tuple(
        "".join(order) for order in itertools.permutations("xyz")
        if all(dims_um["xyz".index(axis)] <= e for axis, e in zip(order, envelope_um, strict=True))
    )
    return chain_fits(tuple(dims_um), envelope_um), orientations


def from_public_data(dims_um: Sequence[int], envelope_mm: Sequence[float]) -> tuple[str, ...]:
    """What the public data alone (the box a job declares) tells of printability: the fit and the
    orientations. Watertightness, overhangs, walls and small features need the mesh."""
    fits, orientations = fit(dims_um, envelope_mm)
    if not fits:
        return (f"the part ({_dims([v / 1000 for v in dims_um])} mm) does not fit the machine "
                f"({_dims(envelope_mm)} mm) in any orientation",)
    return (f"fits the machine in {len(orientations)} of 6 orientations ({', '.join(orientations)})",)


def of_model_part(
    path: Path, dims_um: Sequence[int], volume_mm3: int, *, envelope_mm: Sequence[float] | None = None,
    min_wall_mm: float = MIN_WALL_MM,
) -> tuple[str, Report] | None:
    """(name, report) of the part of the model file at PATH (any format; an assembly's parts
    each) whose public data is DIMS_UM and VOLUME_MM3 as a job declared them (mm, else inch for
    STL and OBJ, which carry no unit); None if no part has it."""
    from offchain.parts.model import read

    for units in ("mm", "inch"):
        model = read(path, units=units, keep_mesh=True)
        for named in model.parts:
            if (named.data.chain_dims_um(), named.data.chain_volume_mm3()) == (tuple(dims_um), volume_mm3):
                assert named.mesh is not None
                return named.name, check(named.mesh, named.data, envelope_mm=envelope_mm,
                                         min_wall_mm=min_wall_mm)
        if model.format == "3mf":
            break
    return None


def _dims(d: Sequence[float]) -> str:
    return " x ".join(f"{v:.1f}" for v in d)


def _outward(tri: np.ndarray, turned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit normal out of the material, area) of every triangle (TURNED: those wound the other way)."""
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(cross, axis=1)
    turn = np.where(turned, -1.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        normals = np.where(norm[:, None] > 0, cross / norm[:, None], 0.0) * turn[:, None]
    return normals, norm / 2.0


def _walls(
    tri: np.ndarray, normals: np.ndarray, areas: np.ndarray, min_wall: float, samples: int,
) -> tuple[float | None, float, int]:
    """(thinnest wall found, share of samples thinner than MIN_WALL, samples cast)."""
    total = float(areas.sum())
    if total <= 0 or samples <= 0:
        return None, 0.0, 0
    cumulative = np.cumsum(areas)
    k = min(samples, len(tri))
    picks = np.searchsorted(cumulative, (np.arange(k) + 0.5) * total / k)
    picks = np.minimum(picks, len(tri) - 1)
    order = np.argsort(tri[:, :, 0].min(axis=1), kind="stable")
    low_x = tri[order, :, 0].min(axis=1)
    span = float((tri[:, :, 0].max(axis=1) - tri[:, :, 0].min(axis=1)).max())
    reach = min_wall * 1.0001
    thinnest, thin = math.inf, 0
    for i in picks.tolist():
        origin = tri[i].mean(axis=0)
        direction = -normals[i]
        if not direction.any():
            continue
        # triangles whose x-span can come within REACH of the origin along the ray
        lo = np.searchsorted(low_x, origin[0] - reach - span, side="left")
        hi = np.searchsorted(low_x, origin[0] + reach, side="right")
        hit = _nearest_hit(origin, direction, tri[order[lo:hi]], order[lo:hi], i)
        if hit is not None:
            thinnest = min(thinnest, hit)
            thin += hit < min_wall
    return (None if thinnest == math.inf else thinnest), thin / k, k


def _nearest_hit(origin: np.ndarray, direction: np.ndarray, tri: np.ndarray, ids: np.ndarray,
                 own: int) -> float | None:
    """Distance along DIRECTION from ORIGIN to the nearest triangle of TRI (Moller-Trumbore), not OWN."""
    best = math.inf
    for start in range(0, len(tri), RAY_BLOCK):
        t3 = tri[start:start + RAY_BLOCK]
        e1, e2 = t3[:, 1] - t3[:, 0], t3[:, 2] - t3[:, 0]
        p = np.cross(direction, e2)
        det = np.einsum("ij,ij->i", e1, p)
        ok = np.abs(det) > 1e-12
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = origin - t3[:, 0]
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        v = (q @ direction) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        good = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-9) & (ids[start:start + RAY_BLOCK] != own)
        if good.any():
            best = min(best, float(t[good].min()))
    return None if best == math.inf else best


def _small_features(tri: np.ndarray, shell: np.ndarray, min_feature: float) -> int:
    """Shells whose largest bounding-box extent is below MIN_FEATURE (mm)."""
    count = int(shell.max()) + 1 if len(shell) else 0
    low = np.full((count, 3), np.inf)
    high = np.full((count, 3), -np.inf)
    np.minimum.at(low, shell, tri.min(axis=1))
    np.maximum.at(high, shell, tri.max(axis=1))
    return int(np.count_nonzero((high - low).max(axis=1) < min_feature))
