"""Modules imported when first used, so a script's command list loads in milliseconds.

``ape run`` builds its list of commands by executing every script that defines ``cli``
(twice per call); a script that imported the order steps, the index or the portal at its
top made every command, even ``--help``, pay for all of them. A script names such a module
with :func:`lazy_module` instead: the name is bound at once, the module runs on the first
attribute read (``importlib.util.LazyLoader``), i.e. inside the command that needs it.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module NAME (absolute, e.g. ``offchain.orders.steps``), executed on first use."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)  # imports the parent packages (small __init__ files)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module
