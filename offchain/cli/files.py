"""Where a command writes its result: never over an existing file unless --force, never over its input."""

from __future__ import annotations

import os
from pathlib import Path

from offchain.errors import ProdnetError


class OutputFileError(ProdnetError):
    """The output file a command was given exists already, or is one of its inputs."""


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.absolute() == b.absolute()


def check_output(out: Path, inputs: tuple[Path | None, ...] = (), force: bool = False) -> Path:
    """Refuse OUT if it is one of INPUTS (same path or same file, even with FORCE) or, without
    FORCE, if it exists already. Returns OUT."""
    out = Path(out)
    for source in inputs:
        if source is not None and (Path(source).absolute() == out.absolute() or _same(Path(source), out)):
            raise OutputFileError(
                f"{out} is also an input of this command: refusing to write over it, choose another output"
            )
    if out.is_dir():
        raise OutputFileError(f"{out} is a folder: give a file name for the output")
    if (out.exists() or out.is_symlink()) and not force:
        raise OutputFileError(f"{out} already exists: refusing to overwrite it; pass --force to replace it")
    return out
