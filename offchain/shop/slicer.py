"""Slicing with PrusaSlicer's command line: print time, filament, layers, the G-code's digest.

A profile is a PrusaSlicer ``.ini`` (machine and material): one shipped in
``offchain/shop/profiles/`` by name (``generic-pla``), one of the producer's own in
``<PRODNET_HOME>/shop/profiles/NAME.ini``, or a path to an ``.ini``. A slice is cached by the
model's sha256 and the profile's: ``<PRODNET_HOME>/shop/slices/<model>-<profile>/`` holds the
G-code and ``slice.json``; a hit is used only when the G-code's digest still matches.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from offchain import config
from offchain._fs import read_json, write_json_atomic
from offchain.parts import stl
from offchain.shop.errors import ProfileError, SliceError, SlicerMissingError

SHIPPED_PROFILES = Path(__file__).parent / "profiles"
SLICE_TIMEOUT_S = 1800

_TIME = re.compile(r"^; estimated printing time \(normal mode\) = (.+)$", re.M)
_FILAMENT = re.compile(r"^; filament used \[(mm|cm3|g)\] = ([0-9.]+)", re.M)
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
#: What PrusaSlicer 2.5 says on stderr, and the line a producer reads instead.
_KNOWN_FAILURES = {
    "could not fit on the bed": "does not fit on the machine's bed in profile {profile}: "
    "choose a larger machine's profile, or refuse the job",
    "too tall": "is taller than the machine's maximum print height in profile {profile}",
    "Unknown file format": "is not a file PrusaSlicer reads (STL expected)",
    "empty": "has nothing to print (an empty or degenerate mesh)",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def own_profiles() -> Path:
    """The producer's own profiles: ``<PRODNET_HOME>/shop/profiles``."""
    return config.shop_home() / "profiles"


def profile_names() -> list[str]:
    """Every profile a name reaches: the shipped ones, then the producer's own."""
    names = {p.stem for p in SHIPPED_PROFILES.glob("*.ini")}
    names |= {p.stem for p in own_profiles().glob("*.ini")} if own_profiles().is_dir() else set()
    return sorted(names)


def profile_path(name: str) -> Path:
    """The ``.ini`` of profile NAME: the producer's own first, then the shipped, or a path."""
    if name.endswith(".ini"):
        path = Path(name)
        if not path.is_file():
            raise ProfileError(f"no slicing profile at {path}: give an existing PrusaSlicer .ini file")
        return path
    for folder in (own_profiles(), SHIPPED_PROFILES):
        path = folder / f"{name}.ini"
        if path.is_file():
            return path
    raise ProfileError(
        f"unknown slicing profile {name!r}: use one of {', '.join(profile_names())}, "
        f"or put your own {name}.ini in {own_profiles()}"
    )


def slicer_command() -> str:
    """The PrusaSlicer executable, or one line saying what to install."""
    found = shutil.which(config.slicer_binary())
    if found is None:
        raise SlicerMissingError(
            f"PrusaSlicer not found ({config.slicer_binary()}): install it with 'make setup' "
            "(Debian's prusa-slicer) or set PRODNET_SLICER"
        )
    return found


def parse_duration(text: str) -> int:
    """``2h 31m 43s`` (``1d 2h ...``) -> seconds."""
    parts = re.findall(r"(\d+)([dhms])", text)
    if not parts:
        raise SliceError(f"unreadable print time {text!r} in the G-code")
    return sum(int(n) * _UNITS[u] for n, u in parts)


@dataclass(frozen=True)
class Slice:
    """What slicing a part with a profile gives."""

    profile: str
    model_sha256: str
    profile_sha256: str
    gcode: Path
    gcode_sha256: str
    print_time_s: int
    filament_mm: float
    filament_cm3: float
    filament_g: float
    layers: int
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["gcode"] = str(self.gcode)
        data.pop("cached")
        return data


def read_gcode(gcode: Path) -> dict[str, Any]:
    """Print time, filament and layer count from PrusaSlicer's G-code comments."""
    text = gcode.read_text(errors="replace")
    time_match = _TIME.search(text)
    filament = {unit: float(value) for unit, value in _FILAMENT.findall(text)}
    if time_match is None or set(filament) != {"mm", "cm3", "g"}:
        raise SliceError(f"{gcode} carries no PrusaSlicer estimate: not a PrusaSlicer 2.5 G-code?")
    return {
        "print_time_s": parse_duration(time_match.group(1)),
        "filament_mm": filament["mm"],
        "filament_cm3": filament["cm3"],
        "filament_g": filament["g"],
        "layers": text.count("\n;LAYER_CHANGE"),
    }


def _cached(folder: Path) -> Slice | None:
    meta = read_json(folder / "slice.json")
    gcode = folder / "part.gcode"
    if not meta or not gcode.is_file() or _sha256(gcode) != meta.get("gcode_sha256"):
        return None
    return Slice(**{**meta, "gcode": gcode, "cached": True})


def _failure(stderr: str, part: Path, profile: str) -> SliceError:
    for needle, words in _KNOWN_FAILURES.items():
        if needle in stderr:
            return SliceError(f"{part.name} " + words.format(profile=profile))
    last = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "no message")
    return SliceError(f"PrusaSlicer could not slice {part.name} with profile {profile}: {last}")


def slice_part(part: Path, profile: str, units: str = "mm") -> Slice:
    """Slice PART with PROFILE (cached by the two digests); a part that is not closed, not
    an STL or does not fit is refused in one line."""
    part = Path(part)
    ini = profile_path(profile)
    measured = stl.inspect(part, units=units)
    if not measured.closed:
        raise SliceError(f"{part.name} cannot be printed: {stl.describe_open(measured)}")
    model_sha, profile_sha = _sha256(part), _sha256(ini)
    folder = config.shop_home() / "slices" / f"{model_sha[:32]}-{profile_sha[:32]}"
    hit = _cached(folder)
    if hit is not None:
        return hit
    command = slicer_command()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".slicing-") as scratch:
        out = Path(scratch) / "part.gcode"
        args = [command, "--export-gcode", "--load", str(ini), "-o", str(out)]
        if units == "inch":
            args.append("--scale=2540%")
        try:
            run = subprocess.run(
                [*args, str(part)], capture_output=True, text=True, timeout=SLICE_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise SliceError(f"PrusaSlicer took over {SLICE_TIMEOUT_S} s on {part.name}: gave up") from exc
        if run.returncode != 0 or not out.is_file():
            raise _failure(run.stderr + run.stdout, part, profile)
        data = read_gcode(out)
        gcode = folder / "part.gcode"
        out.replace(gcode)
    result = Slice(profile, model_sha, profile_sha, gcode, _sha256(gcode), **data)
    write_json_atomic(folder / "slice.json", result.to_json())
    return result
