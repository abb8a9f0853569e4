"""What the portal keeps on the user's machine: the model files dropped on it (plaintext STL,
3MF or OBJ, never sent anywhere but to this machine's disk; a 3MF with several build items
is an assembly of several parts), the OpenPGP key folder it offers keys from, and the
result of each model the producer fetched and verified."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain._fs import AtomicFile, read_json, write_json_atomic
from offchain.errors import ProdnetError
from offchain.parts import NamedPart, printability, stl
from offchain.parts import read as read_model
from offchain.parts.units import parse_units
from offchain.portal.security import too_large

PART_ID = re.compile(r"[0-9a-f]{64}")
KEY_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(pub|sec)\.asc")


class WorkspaceError(ProdnetError):
    """A part or key the page named is not in the portal's folders."""


@dataclass(frozen=True)
class StoredPart:
    """A dropped model file: one part (STL, OBJ, a 3MF of one build item) or an assembly (a
    3MF of several build items), each part with its public data."""

    id: str  # sha256 of the file's sha256 and the unit it was read in
    name: str  # the name it was first dropped with
    units: str
    path: Path
    parts: tuple[NamedPart, ...]  # in file order; the mesh is not kept
    owners: tuple[str, ...] = ()  # the accounts that dropped it
    sha256: str = ""  # of the file
    format: str = "stl"  # parts.FORMATS
    groups: bool = False  # an OBJ read with each o/g group a part (split_groups)

    @property
    def data(self) -> stl.PartData:
        """The public data of its first (for a single part: its only) part."""
        return self.parts[0].data

    @property
    def is_assembly(self) -> bool:
        return len(self.parts) > 1

    def matches(self, dims_um: tuple[int, int, int], volume_mm3: int) -> bool:
        """True if one of its parts has this public data as the chain holds it."""
        return any((p.data.chain_dims_um(), p.data.chain_volume_mm3()) == (tuple(dims_um), volume_mm3)
                   for p in self.parts)


def part_id(file_sha256: str, units: str, groups: bool = False) -> str:
    """A part is a file read in one unit (and, for an OBJ, with or without its groups as parts):
    the same file read otherwise is another part."""
    return hashlib.sha256(f"{file_sha256}:{units}{':groups' if groups else ''}".encode()).hexdigest()


class Workspace:
    def __init__(self, folder: Path, key_folder: Path) -> None:
        self.folder = folder
        self.parts_folder = folder / "parts"
        self.key_folder = key_folder
        self._fetched_path = folder / "fetched.json"
        self._key_owners_path = folder / "key-owners.json"
        self._read: dict[str, tuple[str, tuple[NamedPart, ...]]] = {}  # (format, parts), read once
        self._reports: dict[str, tuple[printability.Report, ...]] = {}  # per part, made once

    # -- parts ------------------------------------------------------------------------
    def add_part(
        self, name: str, chunks: Any, units: str, limit: int, owner: str = "", groups: bool = False,
    ) -> StoredPart:
        """Store the upload (an iterable of byte chunks) if it is a readable model file (STL, 3MF
        or OBJ: ``parts.read``); otherwise nothing is kept and the reader's sentence is raised,
        naming the file as dropped. A stored part never
        changes: the same file in the same unit is the same part (OWNER is added to those who
        dropped it), in another unit another part."""
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
                    raise WorkspaceError(too_large(limit, safe_name))
            temp.file.flush()
            try:
                # refuses anything that is not a model file
                model = read_model(temp.path, units=units, split_groups=groups)
            except stl.StlError as exc:  # the same sentence, naming the file as the user knows it
                raise type(exc)(str(exc).replace(str(temp.path), safe_name)) from None
        except BaseException:
            temp.abort()
            raise
        groups = groups and model.format == "obj"  # only an OBJ has groups
        pid = part_id(digest.hexdigest(), units, groups)
        final = self.parts_folder / f"{pid}.{model.format}"
        if final.exists():
            temp.abort()
        else:
            temp.commit(final)
        meta_path = self.parts_folder / f"{pid}.json"
        meta = read_json(meta_path) or {
            "name": safe_name, "units": units, "sha256": digest.hexdigest(), "format": model.format,
            "groups": groups,
        }
        owners = [str(o) for o in meta.get("owners", [])]
        names = dict(meta.get("names", {}))  # what each owner called it when dropping it first
        if owner and owner.lower() not in (o.lower() for o in owners):
            owners.append(owner)
            names[owner.lower()] = safe_name
        write_json_atomic(meta_path, {**meta, "owners": owners, "names": names})
        self._read[pid] = (model.format, _without_meshes(model.parts))
        return self.part(pid, owner)

    def part(self, part_id: str, owner: str = "") -> StoredPart:
        """Part PART_ID, named as OWNER named it (else as it was first dropped)."""
        if not PART_ID.fullmatch(part_id or ""):
            raise WorkspaceError(f"{part_id!r} is not a part id: drop the model file on the part page")
        meta = read_json(self.parts_folder / f"{part_id}.json")
        path = self.parts_folder / f"{part_id}.{(meta or {}).get('format', 'stl')}"
        if meta is None or not path.exists():
            raise WorkspaceError(f"part {part_id[:12]}… is not in this portal: drop its model file again")
        units = str(meta.get("units", "mm"))
        groups = bool(meta.get("groups", False))
        read = self._read.get(part_id)
        if read is None:
            model = read_model(path, units=units, split_groups=groups)
            read = self._read[part_id] = (model.format, _without_meshes(model.parts))
        owners = tuple(str(o) for o in meta.get("owners", []))
        name = str(meta.get("names", {}).get(owner.lower()) or meta.get("name", "part.stl"))
        return StoredPart(
            part_id, name, units, path, read[1], owners, str(meta.get("sha256", "")), read[0], groups,
        )

    def reports(self, part: StoredPart) -> tuple[printability.Report, ...]:
        """The printability report of each of PART's parts (no machine envelope: each offer's
        fit is the market's), made once per run: the meshes are read again for it, not kept."""
        found = self._reports.get(part.id)
        if found is None:
            model = read_model(part.path, units=part.units, split_groups=part.groups, keep_mesh=True)
            found = tuple(printability.check(p.mesh, p.data) for p in model.parts)
            self._reports[part.id] = found
        return found

    def parts(self, owner: str | None = None) -> list[tuple[str, str]]:
        """(id, name) of every stored part (OWNER's only, if given), newest first."""
        if not self.parts_folder.is_dir():
            return []
        found = []
        for meta_path in sorted(self.parts_folder.glob("*.json"), key=lambda p: -p.stat().st_mtime):
            meta = read_json(meta_path) or {}
            mine = owner is None or owner.lower() in (str(o).lower() for o in meta.get("owners", []))
            if mine and (self.parts_folder / f"{meta_path.stem}.{meta.get('format', 'stl')}").exists():
                name = meta.get("names", {}).get((owner or "").lower()) or meta.get("name", "part.stl")
                groups = ", groups as parts" if meta.get("groups") else ""
                found.append((meta_path.stem, f"{name} ({meta.get('units', 'mm')}{groups})"))
        return found

    # -- keys --------------------------------------------------------------------------
    def key_files(self, kind: str) -> list[str]:
        """Names of the KIND ('pub' or 'sec') key files in the key folder."""
        if not self.key_folder.is_dir():
            return []
        return sorted(p.name for p in self.key_folder.glob(f"*.{kind}.asc") if KEY_FILE.fullmatch(p.name))

    def record_key_owner(self, name: str, owner: str) -> None:
        """Key files NAME(.pub.asc / .sec.asc) were made by OWNER (the account acting then)."""
        owners = read_json(self._key_owners_path) or {}
        owners[name] = owner
        write_json_atomic(self._key_owners_path, owners)

    def key_choices(self, kind: str, account: str, published: dict[str, str]) -> list[tuple[str, bool]]:
        """The KIND key files ACCOUNT may use, and which one to preselect: a key file belongs to
        the account that published its fingerprint on chain (PUBLISHED: account -> fingerprint),
        else to the account that made it in this portal; another account's key is never
        offered. ACCOUNT's published key comes first, selected."""
        from offchain.transfer import keys

        made_by = {k: str(v).lower() for k, v in (read_json(self._key_owners_path) or {}).items()}
        owner_of = {fpr.upper(): who.lower() for who, fpr in published.items()}
        mine = published.get(account.lower(), "").upper()
        offered: list[tuple[str, bool]] = []
        for name in self.key_files(kind):
            try:
                fpr = keys.fingerprint(keys.read_key(self.key_folder / name))
            except ProdnetError:
                continue  # not a key this portal can read: never offered
            owner = owner_of.get(fpr) or made_by.get(name.rsplit(".", 2)[0])
            if owner and owner != account.lower():
                continue
            offered.append((name, bool(mine) and fpr == mine))
        return sorted(offered, key=lambda choice: not choice[1])

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


def _without_meshes(parts: tuple[NamedPart, ...]) -> tuple[NamedPart, ...]:
    return tuple(NamedPart(p.name, p.data) for p in parts)
