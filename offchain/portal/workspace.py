"""What the portal keeps on the user's machine: the parts dropped on it (plaintext STL,
never sent anywhere but to this machine's disk), the OpenPGP key folder it offers keys
from, and the result of each model the producer fetched and verified."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain._fs import AtomicFile, read_json, write_json_atomic
from offchain.errors import ProdnetError
from offchain.parts import stl
from offchain.parts.units import parse_units

PART_ID = re.compile(r"[0-9a-f]{64}")
KEY_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(pub|sec)\.asc")


class WorkspaceError(ProdnetError):
    """A part or key the page named is not in the portal's folders."""


@dataclass(frozen=True)
class StoredPart:
    id: str  # sha256 of the file
    name: str  # the name it was dropped with
    units: str
    path: Path
    data: stl.PartData


class Workspace:
    def __init__(self, folder: Path, key_folder: Path) -> None:
        self.folder = folder
        self.parts_folder = folder / "parts"
        self.key_folder = key_folder
        self._fetched_path = folder / "fetched.json"

    # -- parts ------------------------------------------------------------------------
    def add_part(self, name: str, chunks: Any, units: str, limit: int) -> StoredPart:
        """Store the upload (an iterable of byte chunks) as a part if it is a readable STL;
        otherwise nothing is kept and the STL reader's sentence is raised."""
        self.parts_folder.mkdir(parents=True, exist_ok=True)
        units = parse_units(units)
        safe_name = Path(name).name[:120] or "part.stl"
        temp = AtomicFile(self.parts_folder, 0o600, hint="upload")
        digest = hashlib.sha256()
        try:
            for chunk in chunks:
                digest.update(chunk)
                temp.write(chunk)
                if temp.tell() > limit:
                    raise WorkspaceError(
                        f"{safe_name} is larger than the portal's limit of {limit >> 20} MiB: send a smaller "
                        "file, or start the portal with a larger --max-upload"
                    )
            temp.file.flush()
            try:
                stl.inspect(temp.path, units=units)  # refuses anything that is not an STL part
            except stl.StlError as exc:  # the same sentence, naming the file as the user knows it
                raise type(exc)(str(exc).replace(str(temp.path), safe_name)) from None
        except BaseException:
            temp.abort()
            raise
        part_id = digest.hexdigest()
        final = self.parts_folder / f"{part_id}.stl"
        if final.exists():
            temp.abort()
        else:
            temp.commit(final)
        write_json_atomic(self.parts_folder / f"{part_id}.json", {"name": safe_name, "units": units})
        return self.part(part_id)

    def part(self, part_id: str) -> StoredPart:
        if not PART_ID.fullmatch(part_id or ""):
            raise WorkspaceError(f"{part_id!r} is not a part id: drop the STL file on the part page")
        path = self.parts_folder / f"{part_id}.stl"
        meta = read_json(self.parts_folder / f"{part_id}.json")
        if meta is None or not path.exists():
            raise WorkspaceError(f"part {part_id[:12]}… is not in this portal: drop its STL file again")
        units = str(meta.get("units", "mm"))
        return StoredPart(
            part_id, str(meta.get("name", "part.stl")), units, path, stl.inspect(path, units=units)
        )

    def parts(self) -> list[tuple[str, str]]:
        """(id, name) of every stored part, newest first."""
        if not self.parts_folder.is_dir():
            return []
        found = []
        for meta_path in sorted(self.parts_folder.glob("*.json"), key=lambda p: -p.stat().st_mtime):
            meta = read_json(meta_path) or {}
            if (self.parts_folder / f"{meta_path.stem}.stl").exists():
                found.append((meta_path.stem, str(meta.get("name", "part.stl"))))
        return found

    # -- keys --------------------------------------------------------------------------
    def key_files(self, kind: str) -> list[str]:
        """Names of the KIND ('pub' or 'sec') key files in the key folder."""
        if not self.key_folder.is_dir():
            return []
        return sorted(p.name for p in self.key_folder.glob(f"*.{kind}.asc") if KEY_FILE.fullmatch(p.name))

    def key_path(self, name: str, kind: str) -> Path:
        if not name:
            raise WorkspaceError(
                f"choose a {'public' if kind == 'pub' else 'secret'} key file from {self.key_folder}"
            )
        if not KEY_FILE.fullmatch(name) or not name.endswith(f".{kind}.asc"):
            raise WorkspaceError(
                f"{name!r} is not a .{kind}.asc file name of the key folder {self.key_folder}"
            )
        path = self.key_folder / name
        if not path.is_file():
            raise WorkspaceError(f"{path} does not exist: put the key file in {self.key_folder}")
        return path

    # -- verification of fetched models -------------------------------------------------
    def record_fetch(self, chain_key: str, order_id: int, job_id: int, result: dict[str, Any]) -> None:
        records = read_json(self._fetched_path) or {}
        records[f"{chain_key}/{order_id}/{job_id}"] = result
        write_json_atomic(self._fetched_path, records)

    def fetched(self, chain_key: str, order_id: int) -> dict[int, dict[str, Any]]:
        records = read_json(self._fetched_path) or {}
        prefix = f"{chain_key}/{order_id}/"
        return {int(k[len(prefix) :]): v for k, v in records.items() if k.startswith(prefix)}
