"""What can go wrong with a 3MF package or an OBJ file: ``StlError`` subclasses, one per kind.

``StlError`` (offchain.parts.stl) is the family of every model file the parts layer
reads: the CLI and the portal catch it and show its one line, so 3MF and OBJ refusals
reach the user the same way STL ones do. Every message names the file and says what to do.
"""

from __future__ import annotations

from offchain.parts.stl.errors import StlError


class ThreeMfError(StlError):
    """A 3MF package that is malformed, or that the 3MF specification says must fail."""


class PackageSafetyError(ThreeMfError):
    """A package built to hurt its reader: a zip bomb, XML entities or a DTD, a path out of the package."""


class UnsupportedExtensionError(ThreeMfError):
    """The model needs a 3MF extension that changes geometry and that we do not read."""


class ComponentCycleError(ThreeMfError):
    """An object is made, through its components, of itself."""


class ObjError(StlError):
    """An OBJ file that is malformed (bad numbers, face indices out of range)."""
