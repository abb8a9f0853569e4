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
- From the web, by pinned URL (raw.githubusercontent.com at one commit of each repository) and
  sha256 (``url_files``): the 3MF Consortium's sample files (3mf-samples: core, production and
  slice examples, a 17-gear assembly) and trimesh's test models (3MF and OBJ). Without internet
  this says so in one line and their tests skip; a download that differs is never kept.

``fetch()`` gives the files by name; ``OutsideFilesError`` says in one line what could not be
had (no registry, no ``apt-get``/``prusa-slicer``, a digest that changed) so the tests that use
them skip with that line.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from offchain import config
from offchain._fs import sha256_file
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
               if not (cache / n).exists() or sha256_file(cache / n) != digest]
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
                if not source.exists() or sha256_file(source) != digest:
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


_3MF_SAMPLES = "https://raw.githubusercontent.com/3MFConsortium/3mf-samples/665e20dc4d7777fd4c9702bca86a2d4028440337/"
_TRIMESH = "https://raw.githubusercontent.com/mikedh/trimesh/a513c0e2cfa6dfbd3121a6dfd8ceb002b9ef55d8/"
#: name in the cache: (pinned URL, sha256, size in bytes)
URLS: dict[str, tuple[str, str, int]] = {
    "3mf-samples-box.3mf": (_3MF_SAMPLES + "examples/core/box.3mf",
                            "d45d18cbbc4f189c2951b5c8c400333c0de633c4b88608dc6f5416b8f7677524", 1176),
    "cube_gears.3mf": (_3MF_SAMPLES + "examples/core/cube_gears.3mf",
                       "5694dd00fec4b1ec118c33840a1984be5ca01494930fd1bdef102b9b70a2d2c2", 263230),
    "multiple_cylinders.3mf": (_3MF_SAMPLES + "examples/core/multiple_cylinders.3mf",
                               "4725faf69742bb8ed3be117284b6cb47a75e02cfa0f2da3675e6bccfa3f9d54f", 1981),
    "torus.3mf": (_3MF_SAMPLES + "examples/core/torus.3mf",
                  "4072eb3a90d53679e7460269402eacb7652078c4acdca331351e0dc5ccf975c5", 21446),
    "sphere.3mf": (_3MF_SAMPLES + "examples/core/sphere.3mf",
                   "6039ea72ed7822ff1441f556fea88b865078e6bd1937887735bf2d42007d8d74", 34075),
    "box_prod.3mf": (_3MF_SAMPLES + "examples/production/box_prod.3mf",
                     "66c24c97b58a32a45b33c5e6537b03c981c4ad4a23623f5bbf344d8fcdfc612e", 10017),
    "box_sliced.3mf": (_3MF_SAMPLES + "examples/slices/box_sliced.3mf",
                       "29cf727f185fac88e9cc6c615753a86d388ccfd687ebfee8bce03cc36615b856", 12217),
    "cube_and_sphere_same_name.3mf": (
        _TRIMESH + "models/cube_and_sphere_same_name.3mf",
        "a668ed8189ea0439db6f4b9d34490e9712eff79a88bc2eeedf551923d698c57b", 97331,
    ),
    "negative_indices.obj": (_TRIMESH + "models/negative_indices.obj",
                             "fc6b6b3f9536ec7fda698b9be79130eab89f2819828082cf925e6f8db611fdad", 930),
    "quadknot.obj": (_TRIMESH + "models/quadknot.obj",
                     "03188bb460ac583e87048890de5a3382877d49e3aae8cb85ec6ea06b90d944a8", 201734),
    "two_objects.obj": (_TRIMESH + "models/two_objects.obj",
                        "3109c09259629cc697c5c5ad7a30797cb874935373d85a3a057a118ad130a371", 407),
}
URL_TIMEOUT_S = 20.0


def url_files(cache: Path | None = None) -> dict[str, Path]:
    """Every URLS file, from the cache or downloaded into it (only the pinned bytes are kept)."""
    cache = cache or cache_folder()
    cache.mkdir(parents=True, exist_ok=True)
    for name, (url, digest, size) in URLS.items():
        path = cache / name
        if path.exists() and path.stat().st_size == size and sha256_file(path) == digest:
            continue
        try:
            with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as answer:
                body = answer.read(size + 1)
        except (urllib.error.URLError, OSError) as exc:
            raise OutsideFilesError(
                f"could not fetch {url} ({getattr(exc, 'reason', None) or exc}): the tests that read the "
                "public sample files skip; run them where the internet is reachable"
            ) from None
        got = hashlib.sha256(body).hexdigest()
        if len(body) != size or got != digest:
            raise OutsideFilesError(
                f"{url} gave {len(body)} bytes with sha256 {got[:16]}…, not the pinned {size} bytes "
                f"{digest[:16]}…: nothing was kept; check the pin in offchain/devtools/outside.py"
            )
        partial = cache / f".{name}.partial"
        partial.write_bytes(body)
        partial.replace(path)
    return {name: cache / name for name in URLS}
