"""One entry point for every model file: ``read(path)`` -> the parts it holds, each with STL's public data.

    model = parts.read("assembly.3mf")            # Model: parts = (NamedPart(name, PartData), ...)
    model = parts.read("bracket.obj", units="inch", split_groups=True)

What a file is comes from its content, never its name: a ZIP (``PK``) is read as a 3MF
package (``threemf``: one part per build item), text whose first statement is an OBJ
one as OBJ (``obj``: one part, or one per ``o``/``g`` group with ``split_groups``),
anything else goes to the STL reader, which reads STL or says what the file is instead.
The file is opened once, as the STL reader opens it (regular files only, without
blocking, size limit before anything is read). Every part's triangles go through the
STL package's ``measure``: the same welding, shells, orientation and volume.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from offchain.parts import obj as obj_format
from offchain.parts import threemf
from offchain.parts.package import Package
from offchain.parts.stl import MAX_FILE_BYTES, MAX_TRIANGLES, PartData, measure, open_model_file, read_exactly
from offchain.parts.stl import _load as load_stl
from offchain.parts.stl import inspect as stl_inspect
from offchain.parts.units import parse_units

FORMATS = ("stl", "3mf", "obj")


@dataclass(frozen=True)
class NamedPart:
    """One part of a model file: its name in the file and its public data."""

    name: str
    data: PartData
    # the triangles ((n, 3, 3) float32, in data.units), kept only when read with keep_mesh
    mesh: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, **self.data.to_json()}


@dataclass(frozen=True)
class Model:
    """Every part of one model file, in file order."""

    path: Path
    format: str  # one of FORMATS
    parts: tuple[NamedPart, ...]

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.path), "format": self.format, "parts": [p.to_json() for p in self.parts]}


def sniff(head: bytes, size: int) -> str:
    """'3mf', 'obj' or 'stl' (the STL reader refuses what is none of them) from a file's first
    bytes and size: a binary STL (its size is 84 + 50 x its count) stays STL whatever its header."""
    if size >= 84 and size == 84 + 50 * int.from_bytes(head[80:84], "little"):
        return "stl"
    if head.startswith(b"PK\x03\x04"):
        return "3mf"
    text = head.lstrip(b"\xef\xbb\xbf")
    if head[:2] in (b"\xfe\xff", b"\xff\xfe"):  # UTF-16 text: an OBJ some Windows tools write
        return "obj-utf16" if obj_format.looks_like_obj(_utf16(head[: len(head) // 2 * 2])) else "stl"
    if b"\x00" in text or text.lstrip().lower().startswith(b"solid"):
        return "stl"
    return "obj" if obj_format.looks_like_obj(text) else "stl"


def read(
    path: str | os.PathLike[str], units: str = "mm", *, split_groups: bool = False, keep_mesh: bool = False,
    max_bytes: int = MAX_FILE_BYTES, max_triangles: int = MAX_TRIANGLES,
) -> Model:
    """The parts of the STL, 3MF or OBJ file at PATH (module docstring).

    UNITS is the unit of STL and OBJ coordinates ('mm' or 'inch'); a 3MF names its own
    unit and UNITS is not used for it. KEEP_MESH keeps each part's triangles (for the
    printability report). Raises a StlError subclass (the family of every
    model file's refusals) with one line saying what to do.
    """
    units = parse_units(units)
    path = Path(path)
    with open_model_file(path, max_bytes) as (fh, size, head):
        kind = sniff(head, size) if size else "stl"
        if kind == "3mf":
            package = Package(path, fh)
            try:
                items = threemf.read_items(path, package, max_triangles)
            finally:
                package.close()
            parts = tuple(
                NamedPart(item.name, measure(item.vectors, fmt="3mf", name=f"{path} ({item.name})"),
                          item.vectors if keep_mesh else None)
                for item in items
            )
            return Model(path, "3mf", parts)
        if kind in ("obj", "obj-utf16"):
            data = head + read_exactly(fh, size - len(head))
            if kind == "obj-utf16":
                data = _utf16(data)
            groups = obj_format.read_groups(path, data, max_triangles, split_groups)
            del data
            return Model(path, "obj", tuple(
                NamedPart(
                    g.name,
                    measure(g.vectors, units=units, fmt="obj", name=f"{path} ({g.name})",
                            warnings=_polygon_note(g.polygons)),
                    g.vectors if keep_mesh else None,
                )
                for g in groups
            ))
    if not keep_mesh:
        part = stl_inspect(path, units=units, max_bytes=max_bytes, max_triangles=max_triangles)
        return Model(path, "stl", (NamedPart(path.stem, part),))
    kind, vectors, solids, notes = load_stl(path, max_bytes, max_triangles)  # what stl.inspect does, kept
    part = measure(vectors, units=units, fmt=kind, solids=solids, name=str(path), warnings=notes)
    return Model(path, "stl", (NamedPart(path.stem, part, vectors),))


def _utf16(data: bytes) -> bytes:
    """UTF-16 text (its byte-order mark first) as UTF-8; characters that do not decode are replaced."""
    return data.decode("utf-16", "replace").encode("utf-8")


def _polygon_note(polygons: int) -> tuple[str, ...]:
    if not polygons:
        return ()
    return (f"{polygons} faces with more than three corners were split into triangles (fans from their "
            "first corner)",)
