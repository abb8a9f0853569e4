"""prodnet off-chain library: STL public data, OpenPGP transfer, storage, matching.

Nothing in this package imports ``scripts/``; the scripts are thin CLIs over it.
"""

from offchain.errors import ProdnetError

__all__ = ["ProdnetError"]
