"""The one base class of every error a user can act on.

The CLI turns a ``ProdnetError`` into a single line on stderr and a non-zero exit;
anything else is a bug.
"""


class ProdnetError(Exception):
    """An error whose message tells the user what went wrong and what to do."""
