"""Public 3MF and OBJ files from outside the project, fetched by pinned URL and checked by sha256.

    python -m offchain.devtools.samples            # fetch the missing ones into .cache/samples
    paths = samples.cached()                       # {name: path} of those already fetched

The files are the 3MF Consortium's sample files and trimesh's test models, each at one
commit of its repository (a raw.githubusercontent.com URL pinned to the commit), with the
sha256 and size of its bytes: a download that differs is discarded, never kept. Nothing is
committed: the cache folder is ``.cache/samples`` in the project (git-ignored). Without
internet the fetch says so in one line; the tests that read these files skip with it.
"""

from __future__ import annotations

import hashlib
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from offchain._fs import atomic_output
from offchain.errors import ProdnetError

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "samples"
TIMEOUT_S = 20.0
MAX_BYTES = 4 << 20  # every pinned file is smaller: a larger answer is not the file

_3MF = "https://raw.githubusercontent.com/3MFConsortium/3mf-samples/665e20dc4d7777fd4c9702bca86a2d4028440337/"
_TRIMESH = "https://raw.githubusercontent.com/mikedh/trimesh/a513c0e2cfa6dfbd3121a6dfd8ceb002b9ef55d8/"


@dataclass(frozen=True)
class Sample:
    name: str  # the file name in the cache
    url: str
    sha256: str
    size: int


SAMPLES = (
    Sample("box.3mf", _3MF + "examples/core/box.3mf",
           "d45d18cbbc4f189c2951b5c8c400333c0de633c4b88608dc6f5416b8f7677524", 1176),
    Sample("cube_gears.3mf", _3MF + "examples/core/cube_gears.3mf",
           "5694dd00fec4b1ec118c33840a1984be5ca01494930fd1bdef102b9b70a2d2c2", 263230),
    Sample("multiple_cylinders.3mf", _3MF + "examples/core/multiple_cylinders.3mf",
           "4725faf69742bb8ed3be117284b6cb47a75e02cfa0f2da3675e6bccfa3f9d54f", 1981),
    Sample("torus.3mf", _3MF + "examples/core/torus.3mf",
           "4072eb3a90d53679e7460269402eacb7652078c4acdca331351e0dc5ccf975c5", 21446),
    Sample("sphere.3mf", _3MF + "examples/core/sphere.3mf",
           "6039ea72ed7822ff1441f556fea88b865078e6bd1937887735bf2d42007d8d74", 34075),
    Sample("box_prod.3mf", _3MF + "examples/production/box_prod.3mf",
           "66c24c97b58a32a45b33c5e6537b03c981c4ad4a23623f5bbf344d8fcdfc612e", 10017),
    Sample("box_sliced.3mf", _3MF + "examples/slices/box_sliced.3mf",
           "29cf727f185fac88e9cc6c615753a86d388ccfd687ebfee8bce03cc36615b856", 12217),
    Sample("cube_and_sphere_same_name.3mf", _TRIMESH + "models/cube_and_sphere_same_name.3mf",
           "a668ed8189ea0439db6f4b9d34490e9712eff79a88bc2eeedf551923d698c57b", 97331),
    Sample("negative_indices.obj", _TRIMESH + "models/negative_indices.obj",
           "fc6b6b3f9536ec7fda698b9be79130eab89f2819828082cf925e6f8db611fdad", 930),
    Sample("quadknot.obj", _TRIMESH + "models/quadknot.obj",
           "03188bb460ac583e87048890de5a3382877d49e3aae8cb85ec6ea06b90d944a8", 201734),
    Sample("two_objects.obj", _TRIMESH + "models/two_objects.obj",
           "3109c09259629cc697c5c5ad7a30797cb874935373d85a3a057a118ad130a371", 407),
)


class SamplesUnavailableError(ProdnetError):
    """A sample file could not be fetched (no internet, or not the pinned bytes)."""


def cached(cache: Path = CACHE) -> dict[str, Path]:
    """The samples already in CACHE whose bytes are the pinned ones, by name."""
    found = {}
    for sample in SAMPLES:
        path = cache / sample.name
        if path.is_file() and path.stat().st_size == sample.size and _sha256(path) == sample.sha256:
            found[sample.name] = path
    return found


def fetch(cache: Path = CACHE) -> dict[str, Path]:
    """Every sample in CACHE (fetching the missing ones); SamplesUnavailableError if one cannot
    be had, in one line, after keeping those that could."""
    cache.mkdir(parents=True, exist_ok=True)
    have = cached(cache)
    for sample in SAMPLES:
        if sample.name not in have:
            have[sample.name] = _download(sample, cache)
    return have


def _download(sample: Sample, cache: Path) -> Path:
    try:
        with urllib.request.urlopen(sample.url, timeout=TIMEOUT_S) as answer:
            body = answer.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SamplesUnavailableError(
            f"could not fetch the public sample files ({sample.url}: {reason}); the tests that read them are "
            "skipped: run 'python -m offchain.devtools.samples' where the internet is reachable"
        ) from None
    digest = hashlib.sha256(body).hexdigest()
    if len(body) != sample.size or digest != sample.sha256:
        raise SamplesUnavailableError(
            f"{sample.url} gave {len(body)} bytes with sha256 {digest[:16]}…, not the pinned {sample.size} "
            f"bytes {sample.sha256[:16]}…: nothing was kept; check the URL and its pin "
            "(offchain/devtools/samples.py)"
        )
    path = cache / sample.name
    with atomic_output(path) as out:
        out.write(body)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str]) -> int:
    cache = Path(argv[0]) if argv else CACHE
    try:
        found = fetch(cache)
    except SamplesUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(found)} sample files in {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
