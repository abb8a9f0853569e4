"""3MF package -> one part per build item, each the same triangle array the STL reader makes.

The method, after ``package`` has checked the ZIP's names and sizes:

1. OPC: ``[Content_Types].xml`` must exist, ``_rels/.rels`` must name exactly one start
   part of the 3D-model relationship type, that part must exist and have the 3D model
   content type; otherwise the specification says the package must fail, and it does.
2. The model XML is streamed (no tree): ``unit`` (micron, millimeter, centimeter, inch,
   foot, meter; millimeter by default) scales every coordinate and translation to mm;
   ``requiredextensions`` that we do not read are refused naming the extension, and so is
   any element or attribute of an extension that changes geometry (beam lattice, slices,
   volumetric, implicit, boolean operations, displacement) or encrypts it (secure
   content), even when not declared required: a part is never misread as its fallback.
   Materials and colours (which do not change geometry) and vendor data are ignored.
3. Objects hold a mesh (vertices, triangles with indices checked against the vertices) or
   components (an object id, a transform, and, from the production extension, ``p:path``
   naming another model part in the package, read on demand with the same checks).
4. Each build item is a part: its object's meshes, through the components' transforms
   composed with the item's (3x4 matrices, row vectors: ``p @ rot + t``). Cycles of
   components and references to missing objects or parts are refused; the triangle count
   of every item is counted through its component tree before anything is allocated
   (a tree of copies cannot blow memory up). rot transform with a negative determinant
   mirrors: its triangles are re-wound so the part keeps facing outward and its volume
   its sign; a singular transform (determinant 0) flattens the part and is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from offchain.parts.errors import ComponentCycleError, ThreeMfError, UnsupportedExtensionError
from offchain.parts.package import Package
from offchain.parts.stl import EmptyStlError, TooLargeError

CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
PRODUCTION = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06"
MODEL_REL = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
MODEL_TYPE = "application/vnd.ms-package.3dmanufacturing-3dmodel+xml"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
MM_PER_UNIT = {
    "micron": 0.001, "millimeter": 1.0, "centimeter": 10.0, "inch": 25.4, "foot": 304.8, "meter": 1000.0,
}
READ_EXTENSIONS = {  # required extensions we read (or that do not change the part's geometry)
    CORE: "core", PRODUCTION: "production",
    "http://schemas.microsoft.com/3dmanufacturing/material/2015/02": "materials and properties",
}
# Extensions that change geometry (or hide it), by a piece of their namespace: refused when seen.
GEOMETRY_EXTENSIONS = (
    ("beamlattice", "beam lattice"), ("/slice/", "slice"), ("volumetric", "volumetric"),
    ("implicit", "implicit"), ("booleanoperations", "boolean operations"),
    ("displacement", "displacement"), ("securecontent", "secure content (encrypted)"),
)
_VERTEX, _TRIANGLE = f"{CORE}}}vertex", f"{CORE}}}triangle"  # expat's names ('uri}local')
CHUNK = 1 << 16  # vertices or triangles parsed to strings before they become numbers
IDENTITY = (np.eye(3), np.zeros(3))


@dataclass
class _Object:
    id: str
    name: str
    type: str = "model"
    vertices: np.ndarray | None = None  # (k, 3) float64 in mm
    triangles: np.ndarray | None = None  # (t, 3) int64
    # (model part, object id, rot, t) of each component
    components: list[tuple[str, str, np.ndarray, np.ndarray]] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """One build item: a part's name and its triangles ((n, 3, 3) float32, mm)."""

    name: str
    vectors: np.ndarray


def _fix(name: str) -> str:
    """Expat's 'uri}local' attribute name as ElementTree spells it ('{uri}local')."""
    return "{" + name if "}" in name else name


def _extension(namespace: str) -> str | None:
    return next((name for piece, name in GEOMETRY_EXTENSIONS if piece in namespace), None)


def _transform(text: str | None, scale: float, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(rot, t) of a 3MF transform attribute (12 numbers; translation scaled to mm)."""
    if text is None:
        return IDENTITY
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        values = []
    if len(values) != 12 or not np.isfinite(values).all():
        raise ThreeMfError(
            f"{where}: the transform {text[:80]!r} is not 12 finite numbers; export the 3MF again"
        )
    m = np.array(values).reshape(4, 3)
    return m[:3].copy(), m[3] * scale


class _ModelReader:
    """Streams one model part: its unit, objects and (in the root model) build items."""

    def __init__(self, where: str, part: str, max_triangles: int, counted: list[int]) -> None:
        self.where, self.part, self.max_triangles, self.counted = where, part, max_triangles, counted
        self.scale = 1.0
        self.prefixes: dict[str, str] = {}
        self.objects: dict[str, _Object] = {}
        self.items: list[tuple[str, str, np.ndarray, np.ndarray, str]] = []  # path, id, rot, t, item name
        self.current: _Object | None = None
        self.coords: list[str] = []
        self.corners: list[str] = []
        self.vertex_blocks: list[np.ndarray] = []
        self.triangle_blocks: list[np.ndarray] = []
        self.seen_model = False

    # parser target callbacks ---------------------------------------------------------------
    def start_ns(self, prefix: str, uri: str) -> None:
        self.prefixes[prefix] = uri
        extension = _extension(uri)
        if extension:
            self._refuse(extension)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if namespace != CORE:
            extension = _extension(namespace)
            if extension:
                self._refuse(extension)
            return
        for key in attrs:
            if key.startswith("{") and _extension(key[1:].partition("}")[0]):
                self._refuse(_extension(key[1:].partition("}")[0]) or "")
        if local == "vertex":
            self.coords += (attrs.get("x", "?"), attrs.get("y", "?"), attrs.get("z", "?"))
            if len(self.coords) >= 3 * CHUNK:
                self._flush_vertices()
        elif local == "triangle":
            self.corners += (attrs.get("v1", "?"), attrs.get("v2", "?"), attrs.get("v3", "?"))
            if len(self.corners) >= 3 * CHUNK:
                self._flush_triangles()
        elif local == "model":
            self._model(attrs)
        elif local == "object":
            oid = attrs.get("id", "")
            if oid in self.objects:
                raise ThreeMfError(f"{self.where}: object id {oid!r} is defined twice; export the 3MF again")
            self.current = _Object(oid, attrs.get("name") or f"object {oid}", attrs.get("type", "model"))
        elif local == "component" and self.current is not None:
            rot, t = _transform(attrs.get("transform"), self.scale, self.where)
            ref = attrs.get("objectid", "")
            self.current.components.append((attrs.get(f"{{{PRODUCTION}}}path", self.part), ref, rot, t))
        elif local == "item":
            rot, t = _transform(attrs.get("transform"), self.scale, self.where)
            path = attrs.get(f"{{{PRODUCTION}}}path", self.part)
            self.items.append((path, attrs.get("objectid", ""), rot, t, attrs.get("partnumber", "")))

    def raw_start(self, name: str, flat: list[str]) -> None:
        """Expat's start handler: vertices and triangles in their usual attribute order go straight in."""
        if name == _VERTEX and len(flat) == 6 and flat[0] == "x" and flat[2] == "y" and flat[4] == "z":
            self.coords += (flat[1], flat[3], flat[5])
            if len(self.coords) >= 3 * CHUNK:
                self._flush_vertices()
        elif name == _TRIANGLE and len(flat) == 6 and flat[0] == "v1" and flat[2] == "v2" and flat[4] == "v3":
            self.corners += (flat[1], flat[3], flat[5])
            if len(self.corners) >= 3 * CHUNK:
                self._flush_triangles()
        else:  # anything else (and those with other attributes) as ElementTree would give it
            self.start(_fix(name), {_fix(k): v for k, v in zip(flat[::2], flat[1::2], strict=True)})

    def raw_end(self, name: str) -> None:
        self.end(_fix(name))

    def end(self, tag: str) -> None:
        if tag == f"{{{CORE}}}object" and self.current is not None:
            self._finish_object(self.current)
            self.current = None

    def data(self, text: str) -> None:
        return None

    def close(self) -> None:
        return None

    # the model -------------------------------------------------------------------------------
    def _refuse(self, extension: str) -> None:
        raise UnsupportedExtensionError(
            f"{self.where}: the model uses the 3MF {extension} extension, which changes the part's geometry "
            "and is not read here; export the part as a plain mesh (3MF core, STL or OBJ)"
        )

    def _model(self, attrs: dict[str, str]) -> None:
        self.seen_model = True
        unit = attrs.get("unit", "millimeter")
        if unit not in MM_PER_UNIT:
            raise ThreeMfError(
                f"{self.where}: unknown model unit {unit!r} (3MF allows {', '.join(MM_PER_UNIT)}); "
                "export the 3MF again"
            )
        self.scale = MM_PER_UNIT[unit]
        for prefix in attrs.get("requiredextensions", "").split():
            uri = self.prefixes.get(prefix)
            if uri is None:
                raise ThreeMfError(
                    f"{self.where}: required extension prefix {prefix!r} is not declared; "
                    "export the 3MF again"
                )
            if uri not in READ_EXTENSIONS:
                self._refuse(_extension(uri) or f"extension {uri}")

    def _flush_vertices(self) -> None:
        if self.coords:
            self.vertex_blocks.append(self._numbers(self.coords, np.float64, "vertex coordinates"))
            self.coords = []

    def _flush_triangles(self) -> None:
        if self.corners:
            self.counted[0] += len(self.corners) // 3
            if self.counted[0] > self.max_triangles:
                raise TooLargeError(
                    f"{self.where}: the package holds more than the {self.max_triangles} triangles a part "
                    "model may have; simplify (decimate) the mesh and export it again"
                )
            self.triangle_blocks.append(self._numbers(self.corners, np.int64, "triangle vertex indices"))
            self.corners = []

    def _numbers(self, words: list[str], dtype: type, what: str) -> np.ndarray:
        try:
            values = np.array(words, dtype=dtype)
        except (ValueError, OverflowError):
            values = np.zeros(0, dtype=dtype)
        if len(values) != len(words) or (dtype is np.float64 and not np.isfinite(values).all()):
            raise ThreeMfError(
                f"{self.where}: some {what} are missing or not finite numbers; export the 3MF again"
            )
        return values.reshape(-1, 3)

    def _finish_object(self, obj: _Object) -> None:
        self._flush_vertices()
        self._flush_triangles()
        if self.vertex_blocks or self.triangle_blocks:
            if obj.components:
                raise ThreeMfError(
                    f"{self.where}: object {obj.id} has both a mesh and components; export the 3MF again"
                )
            vertices = np.concatenate(self.vertex_blocks) if self.vertex_blocks else np.zeros((0, 3))
            no_triangles = np.zeros((0, 3), dtype=np.int64)
            triangles = np.concatenate(self.triangle_blocks) if self.triangle_blocks else no_triangles
            if len(triangles) and (triangles.min() < 0 or triangles.max() >= len(vertices)):
                raise ThreeMfError(
                    f"{self.where}: object {obj.id} has a triangle naming a vertex it does not have "
                    f"({len(vertices)} vertices); export the 3MF again"
                )
            obj.vertices, obj.triangles = vertices * self.scale, triangles
        self.vertex_blocks, self.triangle_blocks = [], []
        self.objects[obj.id] = obj


class _Reader:
    """The whole package: the root model, the model parts it refers to, and the build items."""

    def __init__(self, path: Path, package: Package, max_triangles: int) -> None:
        self.path, self.package, self.max_triangles = path, package, max_triangles
        self.models: dict[str, _ModelReader] = {}
        self.counted = [0]

    def root(self) -> str:
        package, path = self.package, self.path
        types = package.find("[Content_Types].xml")
        if types is None:
            raise ThreeMfError(
                f"{path}: not an STL file nor a 3MF package: a ZIP archive without [Content_Types].xml; "
                "give the part's .stl, .3mf or .obj file"
            )
        rels = package.find("_rels/.rels")
        if rels is None:
            raise ThreeMfError(
                f"{path}: the package has no _rels/.rels naming its 3D model; export the 3MF again"
            )
        targets = [a.get("Target", "") for tag, a in package.read_small(rels)
                   if tag == f"{{{RELATIONSHIPS}}}Relationship" and a.get("Type") == MODEL_REL]
        if len(targets) != 1:
            raise ThreeMfError(
                f"{path}: the package names {len(targets)} 3D model parts (exactly one is required); "
                "export the 3MF again"
            )
        root = targets[0] if targets[0].startswith("/") else "/" + targets[0]
        if package.find(root) is None:
            raise ThreeMfError(
                f"{path}: the 3D model part {root} named by the package is missing; export it again"
            )
        defaults, overrides = {}, {}
        for tag, a in package.read_small(types):
            if tag == f"{{{CONTENT_TYPES}}}Default":
                defaults[a.get("Extension", "").lower()] = a.get("ContentType")
            elif tag == f"{{{CONTENT_TYPES}}}Override":
                overrides[a.get("PartName", "").lower()] = a.get("ContentType")
        kind = overrides.get(root.lower(), defaults.get(root.rpartition(".")[2].lower()))
        if kind != MODEL_TYPE:
            raise ThreeMfError(
                f"{path}: the model part {root} does not have the 3D model content type in "
                "[Content_Types].xml; export the 3MF again"
            )
        return root

    def model(self, part: str) -> _ModelReader:
        key = part.lower()
        if key not in self.models:
            info = self.package.find(part)
            if info is None:
                raise ThreeMfError(
                    f"{self.path}: the model refers to the part {part}, which is missing; export it again"
                )
            reader = _ModelReader(f"{self.path} ({part})", part, self.max_triangles, self.counted)
            self.package.parse(info, reader)
            if not reader.seen_model:
                raise ThreeMfError(
                    f"{self.path}: {part} has no 3MF core <model> element; export the 3MF again"
                )
            self.models[key] = reader
        return self.models[key]

    def object(self, part: str, oid: str) -> _Object:
        obj = self.model(part).objects.get(oid)
        if obj is None:
            raise ThreeMfError(f"{self.path}: no object with id {oid!r} in {part}; export the 3MF again")
        return obj

    def count(
        self, part: str, oid: str, stack: tuple[tuple[str, str], ...], memo: dict[tuple[str, str], int],
    ) -> int:
        key = (part.lower(), oid)
        if key in stack:
            chain = " -> ".join(o for _, o in (*stack, key))
            raise ComponentCycleError(
                f"{self.path}: the components make a cycle (objects {chain}), so the part has no end; "
                "export it again"
            )
        if key not in memo:
            obj = self.object(part, oid)
            n = 0 if obj.triangles is None else len(obj.triangles)
            for sub_part, sub_id, _, _ in obj.components:
                n += self.count(sub_part, sub_id, (*stack, key), memo)  # integers only: nothing allocated
            memo[key] = n
        return memo[key]

    def pieces(
        self, part: str, oid: str, rot: np.ndarray, t: np.ndarray,
    ) -> Iterator[tuple[_Object, np.ndarray, np.ndarray]]:
        obj = self.object(part, oid)
        if obj.triangles is not None and len(obj.triangles):
            yield obj, rot, t
        for sub_part, sub_id, a, b in obj.components:
            # p -> p @ a + b inside the object, then @ rot + t: composed p @ (a @ rot) + (b @ rot + t)
            yield from self.pieces(sub_part, sub_id, a @ rot, b @ rot + t)

    def items(self) -> list[Item]:
        root = self.root()
        model = self.model(root)
        if not model.items:
            raise EmptyStlError(
                f"{self.path}: the 3MF has no build items, so nothing to make; export the part again"
            )
        memo: dict[tuple[str, str], int] = {}
        counts = [self.count(p, oid, (), memo) for p, oid, _, _, _ in model.items]
        if sum(counts) > self.max_triangles:
            raise TooLargeError(
                f"{self.path}: the build holds {sum(counts)} triangles, more than the {self.max_triangles} "
                "a part model may have; simplify (decimate) the mesh and export it again"
            )
        names: dict[str, int] = {}
        items = []
        for (p, oid, rot, t, number), n in zip(model.items, counts, strict=True):
            obj = self.object(p, oid)
            if obj.type == "other":  # the core specification: build items never refer to them
                raise ThreeMfError(
                    f"{self.path}: build item {oid!r} refers to an object of type 'other', which is not "
                    "made; export the 3MF again"
                )
            name = number or obj.name
            names[name] = names.get(name, 0) + 1
            label = name if names[name] == 1 else f"{name} #{names[name]}"
            vectors = np.empty((n, 3, 3), dtype=np.float32)
            at = 0
            for obj, a, b in self.pieces(p, oid, rot, t):
                det = float(np.linalg.det(a))
                if det == 0 or not np.isfinite(det):
                    raise ThreeMfError(
                        f"{self.path}: item {label!r} has a transform with determinant 0, which flattens "
                        "the part; export the 3MF again"
                    )
                assert obj.vertices is not None and obj.triangles is not None
                moved = obj.vertices @ a + b
                corners = obj.triangles[:, ::-1] if det < 0 else obj.triangles  # a mirror turns the winding
                vectors[at:at + len(corners)] = moved[corners]
                at += len(corners)
            items.append(Item(label, vectors))
        return items


def read_items(path: Path, package: Package, max_triangles: int) -> list[Item]:
    """The build items of the 3MF PACKAGE (at PATH) as triangle arrays in mm (module docstring)."""
    return _Reader(path, package, max_triangles).items()
