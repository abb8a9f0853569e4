"""prodnet off-chain library, in layers (each imports only the layers below it):

    devtools | portal   local Kubo nodes, generated parts, the demo (never imported by the
               others) | the web portal (independent of each other)
    cli        one-line errors, progress bars, parsing what users type
    orders     order steps, market matching, status and history views
    index      the market index: a local SQLite copy of the contracts' events
    chain | transfer   the contracts' client | OpenPGP and storage (independent)
    parts      STL public data and the chain's integer units
    errors, config, formats, _fs   the base: one error class, every setting, text formats,
               the one atomic writer

``make lint`` enforces the direction (import-linter, see pyproject.toml). Nothing here
imports ``scripts/``; the scripts are thin CLIs over this package.
"""

from offchain.errors import ProdnetError

__all__ = ["ProdnetError"]
