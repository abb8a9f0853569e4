"""Part data: a model file's public data (STL, 3MF, OBJ), its printability, and the chain's integer units.

``read(path)`` (``model``) is the one entry point for a model file of any format: the
parts it holds, each with the STL package's public data (``stl.PartData``).
"""

from offchain.parts.model import FORMATS, Model, NamedPart, read

__all__ = ["FORMATS", "Model", "NamedPart", "read"]
