"""3MF packages and OBJ files written from generated parts (tests and benchmarks), good and crafted bad.

    data = package({"3D/3dmodel.model": model_xml(objects_xml([("box", mesh)]), build_xml([1]))})
    write_3mf(path, [("box", mesh), ("gear", other)])      # one build item per object
    write_obj(path, [("box", mesh)], groups=True)

The pieces (``content_types``, ``rels``, ``model_xml``, ``mesh_xml``, ``package``) are
separate so tests can leave one out or change it (a missing model part, a DTD, a cycle).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from io import BytesIO
from pathlib import Path

import numpy as np

from offchain._fs import atomic_output
from offchain.devtools import parts as shapes
from offchain.devtools.parts import IndexedMesh

CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
PRODUCTION = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06"
MODEL_PART = "3D/3dmodel.model"


def content_types(model_ext: str = "model") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="{model_ext}" '
        'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>'
        "</Types>"
    ).encode()


def rels(targets: Sequence[str] = ("/" + MODEL_PART,)) -> bytes:
    body = "".join(
        f'<Relationship Target="{t}" Id="rel{i}" '
        'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
        for i, t in enumerate(targets)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{body}</Relationships>'
    ).encode()


def mesh_xml(mesh: IndexedMesh) -> str:
    vertices = "".join(f'<vertex x="{x!r}" y="{y!r}" z="{z!r}"/>' for x, y, z in mesh.vertices.tolist())
    triangles = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in mesh.faces.tolist())
    return f"<mesh><vertices>{vertices}</vertices><triangles>{triangles}</triangles></mesh>"


def transform(matrix: np.ndarray | None = None, offset: Sequence[float] = (0.0, 0.0, 0.0)) -> str:
    """A 3MF transform attribute value: 3x3 MATRIX (row vectors, p @ M) then the OFFSET."""
    m = np.eye(3) if matrix is None else np.asarray(matrix, dtype=np.float64)
    return " ".join(repr(float(v)) for v in [*m.ravel(), *offset])


def objects_xml(named: Sequence[tuple[str, IndexedMesh]], first_id: int = 1) -> str:
    return "".join(
        f'<object id="{first_id + i}" type="model" name="{name}">{mesh_xml(mesh)}</object>'
        for i, (name, mesh) in enumerate(named)
    )


def build_xml(items: Sequence[int | tuple[int, str]]) -> str:
    """<build> with an item per object id (or (id, transform attribute value))."""
    rows = []
    for item in items:
        oid, tf = (item, None) if isinstance(item, int) else item
        rows.append(f'<item objectid="{oid}"' + (f' transform="{tf}"' if tf else "") + "/>")
    return f"<build>{''.join(rows)}</build>"


def model_xml(resources: str, build: str, unit: str = "millimeter", extra: str = "", prolog: str = "") -> str:
    """A model part: RESOURCES and BUILD inside <model>; EXTRA attributes (namespaces, requiredextensions)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
        f'<model unit="{unit}" xml:lang="en-US" xmlns="{CORE}" xmlns:p="{PRODUCTION}" {extra}>'
        f"<resources>{resources}</resources>{build}</model>"
    )


def package(
    entries: Mapping[str, bytes | str], *, types: bytes | None = None, relationships: bytes | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A ZIP with ENTRIES, plus [Content_Types].xml and _rels/.rels unless given (b"" leaves one out)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in ((
            ("[Content_Types].xml", content_types() if types is None else types),
            ("_rels/.rels", rels() if relationships is None else relationships),
        )):
            if data:
                z.writestr(name, data)
        for name, data in entries.items():
            z.writestr(name, data.encode() if isinstance(data, str) else data)
    return out.getvalue()


def threemf_bytes(named: Sequence[tuple[str, IndexedMesh]], unit: str = "millimeter") -> bytes:
    """A 3MF with one object and one build item per NAMED mesh."""
    return package({MODEL_PART: model_xml(objects_xml(named), build_xml(range(1, len(named) + 1)), unit)})


def write_3mf(path: Path, named: Sequence[tuple[str, IndexedMesh]], unit: str = "millimeter") -> Path:
    data = threemf_bytes(named, unit)
    with atomic_output(path) as fh:
        fh.write(data)
    return path


def obj_text(
    named: Sequence[tuple[str, IndexedMesh]], groups: bool = True, negative: bool = False,
    textured: bool = False,
) -> str:
    """OBJ text: each mesh's vertices then its faces (under ``o NAME`` when GROUPS; NEGATIVE: relative
    indices; TEXTURED: every corner ``i/1/1``, a texture and a normal index to be ignored)."""
    lines, base = ["# prodnet test part", "vt 0 0", "vn 0 0 1"], 0
    for name, mesh in named:
        if groups:
            lines.append(f"o {name}")
        # float32 values, as STL holds them: every reader then sees the same coordinates
        lines += [f"v {x!r} {y!r} {z!r}" for x, y, z in mesh.vertices.astype(np.float32).tolist()]
        k = len(mesh.vertices)
        for face in mesh.faces.tolist():
            idx = [i - k for i in face] if negative else [i + base + 1 for i in face]
            lines.append("f " + " ".join(f"{i}/1/1" if textured else str(i) for i in idx))
        base += k
    return "\n".join(lines) + "\n"


def write_obj(path: Path, named: Sequence[tuple[str, IndexedMesh]], groups: bool = True) -> Path:
    data = obj_text(named, groups).encode()
    with atomic_output(path) as fh:
        fh.write(data)
    return path


def assembly(path: Path, fmt: str = "3mf") -> Path:
    """A five-part assembly (a bracket, a gear, a spacer, a ring and a pin), each part closed,
    written as a 3MF (one object and build item per part, each item moved along x so the parts
    lie side by side on the plate) or an OBJ (one ``o`` object per part: an assembly when read
    with split_groups)."""
    named = [
        ("bracket", shapes.bracket()),
        ("gear", shapes.gear()),
        ("spacer", shapes.box((30.0, 30.0, 6.0))),
        ("ring", shapes.torus(18.0, 4.0, segments=32, rings=16)),
        ("pin", shapes.box((4.0, 4.0, 40.0))),
    ]
    if fmt != "3mf":
        return write_obj(path, named, groups=True)
    items: list[int | tuple[int, str]] = []
    x = 0.0
    for i, (_, mesh) in enumerate(named, 1):
        low, high = mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)
        items.append((i, transform(offset=(x - float(low[0]), -float(low[1]), -float(low[2])))))
        x += float(high[0] - low[0]) + 10.0
    data = package({MODEL_PART: model_xml(objects_xml(named), build_xml(items))})
    with atomic_output(path) as fh:
        fh.write(data)
    return path
