"""Shared by the 3MF, OBJ and printability tests: trimesh's figures per part, and expecting a refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from offchain import parts
from offchain.errors import ProdnetError
from offchain.parts import stl


def trimesh_parts(path: Path, **kwargs: Any) -> list[dict[str, Any]]:
    """Figures of every part trimesh finds in PATH (a scene's instances, transformed), by volume."""
    import trimesh

    loaded = trimesh.load(str(path), **kwargs)
    meshes = loaded.dump() if isinstance(loaded, trimesh.Scene) else [loaded]
    figures = [
        {
            "bbox_mm": sorted(float(v) for v in mesh.extents),
            "volume_mm3": abs(float(mesh.volume)),
            "area_mm2": float(mesh.area),
            "triangles": len(mesh.faces),
            "closed": bool(mesh.is_watertight),
        }
        for mesh in meshes
    ]
    return sorted(figures, key=lambda f: f["volume_mm3"])


def assert_parts_agree(model: parts.Model, reference: list[dict[str, Any]], rel: float = 1e-6) -> None:
    """Every part of MODEL has the figures of one part trimesh read (the same count of parts)."""
    ours = sorted(model.parts, key=lambda p: p.data.volume_mm3)
    assert len(ours) == len(reference)
    for part, ref in zip(ours, reference, strict=True):
        assert sorted(part.data.bbox_mm) == pytest.approx(ref["bbox_mm"], rel=rel, abs=1e-9)
        assert part.data.volume_mm3 == pytest.approx(ref["volume_mm3"], rel=rel)
        assert part.data.area_mm2 == pytest.approx(ref["area_mm2"], rel=rel)
        assert part.data.triangles == ref["triangles"]
        assert part.data.closed is ref["closed"]


def expect_refusal(path: Path, error: type[stl.StlError], *words: str, **kwargs: Any) -> str:
    """parts.read(PATH) raises ERROR in one line naming the file and containing WORDS."""
    with pytest.raises(error) as caught:
        parts.read(path, **kwargs)
    message = str(caught.value)
    assert isinstance(caught.value, ProdnetError)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message, message
    return message
