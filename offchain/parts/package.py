"""The OPC package (ZIP) a 3MF file is, read without trusting it: sizes, names and XML.

- Names: every entry name is checked before anything is read: no ``..`` segment, no
  absolute path or drive, no backslash or NUL, no duplicate (case-insensitive, as OPC
  part names compare); part names in the XML (``/3D/3dmodel.model``) are resolved
  against these names only, never against a file system.
- Sizes (zip bomb): at most ``MAX_ENTRIES`` entries; an entry's declared size must be at
  most ``MAX_PART_BYTES`` and at most ``MAX_RATIO`` times its compressed size, and the
  declared sizes together at most ``MAX_PACKAGE_BYTES``; while an entry is read, the bytes
  it actually gives are counted and reading stops with a refusal as soon as they pass its
  declared size (``zipfile`` also stops there and checks the CRC at the end).
- XML: parsed by defusedxml's expat parser, streaming (``feed`` by blocks of ``BLOCK``
  bytes): a DTD, any entity declaration and any external reference are refused, so
  billion-laughs and XXE files fail at their first declaration, before any expansion.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from offchain.parts.errors import PackageSafetyError, ThreeMfError
from offchain.parts.stl import TooLargeError

MAX_ENTRIES = 10_000
MAX_PART_BYTES = 8 * 1024**3  # one uncompressed part (a 50-million-triangle model's XML fits)
MAX_PACKAGE_BYTES = 16 * 1024**3  # all parts together, uncompressed
MAX_RATIO = 300  # declared / compressed size of one entry; mesh XML deflates about 3 to 10 times
BLOCK = 1 << 20  # bytes read and parsed at a time

_BAD_NAME = re.compile(r"(^|/)\.\.?(/|$)|^/|^[A-Za-z]:|\\|\x00")


class Package:
    """The entries of the 3MF at PATH (an open ZIP), checked by name and declared size."""

    def __init__(self, path: Path, fh: IO[bytes]) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(fh)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise ThreeMfError(f"{path}: not a readable ZIP archive ({exc}); export the 3MF again") from exc
        if len(infos) > MAX_ENTRIES:
            raise PackageSafetyError(
                f"{path}: the package has {len(infos)} entries, more than the {MAX_ENTRIES} a 3MF may "
                "have here; export the model again"
            )
        self.entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            if _BAD_NAME.search(name):
                raise PackageSafetyError(
                    f"{path}: the package holds an entry named {name!r}, a path out of the package; "
                    "the file is unsafe, do not use it"
                )
            key = name.lower()
            if key in self.entries:
                raise ThreeMfError(f"{path}: the package holds {name!r} twice; export the 3MF again")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_PART_BYTES or (info.file_size > BLOCK and ratio > MAX_RATIO):
                raise PackageSafetyError(
                    f"{path}: entry {name!r} declares {info.file_size} bytes from {info.compress_size} "
                    f"compressed (a zip bomb: more than {MAX_RATIO} times, or over "
                    f"{MAX_PART_BYTES // 1024**3} GiB); the file is unsafe, do not use it"
                )
            total += info.file_size
            self.entries[key] = info
        if total > MAX_PACKAGE_BYTES:
            raise TooLargeError(
                f"{path}: the package unpacks to {total} bytes, more than the "
                f"{MAX_PACKAGE_BYTES // 1024**3} GiB a part model may have; simplify the mesh"
            )

    def close(self) -> None:
        self.zip.close()

    def find(self, part: str) -> zipfile.ZipInfo | None:
        """The entry of the OPC part name PART ('/3D/3dmodel.model', or without the slash)."""
        name = part[1:] if part.startswith("/") else part
        if _BAD_NAME.search(name):
            raise PackageSafetyError(
                f"{self.path}: the model refers to the part {part!r}, a path out of the package; "
                "the file is unsafe, do not use it"
            )
        return self.entries.get(name.lower())

    def parse(self, info: zipfile.ZipInfo, target: Any) -> None:
        """Stream the XML entry INFO through TARGET (an ElementTree parser target: ``start(tag,
        attributes)``, ``end(tag)``, optionally ``start_ns(prefix, uri)``; tags as '{ns}local'),
        or, when TARGET has ``raw_start(name, flat attributes)`` and ``raw_end(name)``, those."""
        parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        raw_start = getattr(target, "raw_start", None)
        if raw_start is not None:
            # Straight from expat ('uri}local' names, attributes as a flat list), skipping the
            # per-attribute name fixing of ElementTree's parser; the guards above stay installed.
            parser.parser.StartElementHandler = raw_start
            parser.parser.EndElementHandler = target.raw_end
        declared = info.file_size
        got = 0
        try:
            with self.zip.open(info) as stream:
                while block := stream.read(BLOCK):
                    got += len(block)
                    if got > declared:
                        raise PackageSafetyError(
                            f"{self.path}: entry {info.filename!r} gives more bytes than the {declared} it "
                            "declares (a zip bomb); the file is unsafe, do not use it"
                        )
                    parser.feed(block)
            parser.close()
        except DefusedXmlException as exc:
            raise PackageSafetyError(
                f"{self.path}: {info.filename} declares a DTD, an entity or an external reference "
                f"({type(exc).__name__}), which 3MF does not allow (entity expansion, XXE); the file is "
                "unsafe, do not use it"
            ) from exc
        except ParseError as exc:
            raise ThreeMfError(
                f"{self.path}: {info.filename} is not well-formed XML ({exc}); export the 3MF again"
            ) from exc
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise ThreeMfError(
                f"{self.path}: cannot unpack {info.filename} ({exc}); export the 3MF again"
            ) from exc

    def read_small(self, info: zipfile.ZipInfo, limit: int = 1 << 22) -> list[tuple[str, dict[str, str]]]:
        """Every element (tag, attributes) of the small XML entry INFO (content types, relationships)."""
        if info.file_size > limit:
            raise PackageSafetyError(
                f"{self.path}: {info.filename} declares {info.file_size} bytes, more than the {limit} such "
                "a part needs; the file is unsafe, do not use it"
            )
        elements: list[tuple[str, dict[str, str]]] = []
        self.parse(info, _Target(lambda tag, attrs: elements.append((tag, attrs))))
        return elements


class _Target:
    """A parser target that hands start tags on and builds no tree."""

    def __init__(self, start: Callable[[str, dict[str, str]], None]) -> None:
        self.start = start

    def end(self, tag: str) -> None:
        return None

    def data(self, text: str) -> None:
        return None

    def close(self) -> Any:
        return None
