"""Model files from outside the project, for the tests: real files other tools wrote, never
committed, fetched or made by this module into a cache folder (``.cache/outside-models``).

- From Debian's package registry (``apt-get download``, then ``dpkg-deb -x``; each file checked
  against its pinned sha256): the Open Asset Import Library's test models
  (``assimp-testmodels``: a 3MF, OBJ files with materials, vertex colours, polygons, UTF-16 text,
  malformed numbers and indices, point clouds) and the 3MF Consortium's lib3mf 1.8 examples
  (``lib3mf-doc``: ``Helix.3mf``, a beam lattice, and the same helix as ``Helix.stl``).
- From PrusaSlicer (Debian's ``prusa-slicer``): a five-part 3MF it exports itself
  (``--merge --export-3mf``) from five of the shapes it ships (a bunny, an M3 nut and screw, a
  torus, a helper disk), as a customer's slicer would write an assembly.

``fetch()`` gives the files by name; ``OutsideFilesError`` says in one line what could not be
had (no registry, no ``apt-get``/``prusa-slicer``, a digest that changed) so the tests that use
them skip with that line.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from offchain import config
from offchain.errors import ProdnetError

#: name in the cache: (Debian package, path inside it, sha256 of the file)
DEBIAN: dict[str, tuple[str, str, str]] = {
    "box.3mf": ("assimp-testmodels", "usr/share/assimp/models/3MF/box.3mf",
                "de20508dff06f8faf8ca992c00238d4affc916ba4b812e8ff9ec1571fec533a1"),
    "Helix.3mf": ("lib3mf-doc", "usr/share/doc/lib3mf-dev/examples/Files/Helix.3mf",
                  "c515b08aba94b505fc36dcb51f5da4624e3b2a2bbb8136244b33e0cfb5ef8528"),
    "Helix.stl": ("lib3mf-doc", "usr/share/doc/lib3mf-dev/examples/Files/Helix.stl",
                  "ea7d113102f14257ca7288334c0562df6e48877780e6ada5d0ae5857d731b8dd"),
    **{
        f"{name}.obj": ("assimp-testmodels", f"usr/share/assimp/models/{folder}/{name}.obj", digest)
        for folder, name, digest in (
            ("OBJ", "box", "65ad6ed518b8c0592a6f6f80773b8f65c17b80d6d17235447422a4ecd4746638"),
            ("OBJ", "box_UTF16BE", "104ab807ec7207bd0b7343f46fb082efe96c13b0764a27d4fcb4eea5fbfdc878"),
            ("OBJ", "box_without_lineending",
             "df2dc98bacc8cb65f8ec63a087342b803a2144693974c7336047daf6f69d6de4"),
            ("OBJ", "cube_usemtl", "cb93713753412309166967de1c99678cb1f036604b5a1422b1b06e3c489d9dbd"),
            ("OBJ", "cube_with_vertexcolors",
             "d0e4fc44c02747deb5123b36b80badea93b4a5d680468d7fda281ea73ac9c7af"),
            ("OBJ", "empty_mat", "c587c91e04ca76646c3d115f547eb766d9ca06ca32aa5fee52438dad7290b7ad"),
            ("OBJ", "testmixed", "c19d27f6e6697b7cd74205da6c10524f02ddc2c389cf86d99c89c3916ddfea06"),
            ("OBJ", "number_formats", "a88822457583d4b9262fdf6edfc5f17fa0ae06d3a8d8a9a549fcc2a72297214e"),
            ("OBJ", "point_cloud", "8910d5be510fc5208a0f8b25e37496fce7453574aaeb910b5ca1327ff1ee48b9"),
            ("OBJ", "spider", "a176f0223a6e74e90185c067ed45f928257e775cad7e17687ed4612a3343c206"),
            ("OBJ", "WusonOBJ", "092295203dc1ddb7be09aa0ebd7b2708d7553300698e44a48bc6ac65c6bd86cf"),
            ("invalid", "malformed", "4e284ebd469acc747257119412f23c4b40e6b3d6d767bdf6ef133d5a2bf74e2a"),
        )
    },
}
#: PrusaSlicer's own shapes (``<its data>/shapes``) merged into the five-part 3MF, in this order.
PRUSASLICER_SHAPES = ("bunny", "M3_hex_nut", "torus", "M3x10_screw", "helper_disk")
PRUSASLICER_ASSEMBLY = "prusaslicer-five-parts.3mf"
SHAPES = Path("/usr/share/PrusaSlicer/shapes")


class OutsideFilesError(ProdnetError):
    """The files from outside could not be had here; the message says why."""


def cache_folder() -> Path:
    """``.cache/outside-models`` in the working folder (the project's, for make and the tests)."""
    return Path.cwd() / ".cache" / "outside-models"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(argv: list[str], cwd: Path, what: str) -> None:
    if shutil.which(argv[0]) is None:
        raise OutsideFilesError(f"{argv[0]} is not installed: cannot get {what} (Debian's apt and dpkg)")
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise OutsideFilesError(f"{' '.join(argv[:3])} failed ({last}): cannot get {what}")


def debian_files(cache: Path | None = None) -> dict[str, Path]:
    """Every DEBIAN file, from the cache or fetched into it (each package downloaded once)."""
    cache = cache or cache_folder()
    cache.mkdir(parents=True, exist_ok=True)
    missing = [n for n, (_, _, digest) in DEBIAN.items()
               if not (cache / n).exists() or _sha256(cache / n) != digest]
    if missing:
        with tempfile.TemporaryDirectory(prefix="prodnet-outside-") as tmp:
            work = Path(tmp)
            for package in sorted({DEBIAN[n][0] for n in missing}):
                _run(["apt-get", "download", package], work, f"Debian's {package}")
                [deb] = work.glob(f"{package}_*.deb")
                _run(["dpkg-deb", "-x", str(deb), str(work / "root")], work, f"Debian's {package}")
            for name in missing:
                package, inside, digest = DEBIAN[name]
                source = work / "root" / inside
                if not source.exists() or _sha256(source) != digest:
                    raise OutsideFilesError(
                        f"{package}'s {inside} is missing or changed (its sha256 is pinned): update "
                        "offchain/devtools/outside.py from the package Debian serves now"
                    )
                shutil.copyfile(source, cache / f".{name}.partial")
                (cache / f".{name}.partial").replace(cache / name)
    return {name: cache / name for name in DEBIAN}


def prusaslicer_assembly(cache: Path | None = None) -> Path:
    """The five-part 3MF PrusaSlicer exports from its shapes (made once, then cached)."""
    cache = cache or cache_folder()
    out = cache / PRUSASLICER_ASSEMBLY
    if out.exists():
        return out
    slicer = config.slicer_binary()
    shapes = [SHAPES / f"{name}.stl" for name in PRUSASLICER_SHAPES]
    if shutil.which(slicer) is None or not all(s.exists() for s in shapes):
        raise OutsideFilesError(f"PrusaSlicer ({slicer}) and its shapes are not installed: run 'make setup'")
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f".{PRUSASLICER_ASSEMBLY}.partial.3mf"
    _run([slicer, "--merge", "--export-3mf", "--output", str(partial), *map(str, shapes)], cache,
         "PrusaSlicer's five-part 3MF")
    partial.replace(out)
    return out
