"""Product scripts never import the dev tools: of ``scripts/*.py`` (the ``ape run`` CLIs),
only demo, network and portal (for ``--demo``) may import ``offchain.devtools``.

    python tools/lint_scripts.py [FOLDER]     FOLDER: scripts/ by default

One line per offending import, exit 1; the import-linter contracts cover ``offchain``
itself, this covers the scripts (they are not a package import-linter can see).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVTOOLS = "offchain.devtools"
ALLOWED = ("demo", "network", "portal")
RULE = f"only {', '.join(ALLOWED[:-1])} and {ALLOWED[-1]} may"


def _is_devtools(module: str) -> bool:
    return module == DEVTOOLS or module.startswith(DEVTOOLS + ".")


def devtools_imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of each import of offchain.devtools in TREE, in any spelling:
    ``import offchain.devtools.x``, ``from offchain.devtools(.x) import y``,
    ``from offchain import devtools``, ``importlib.import_module("offchain.devtools...")``,
    ``lazy_module("offchain.devtools...")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_devtools(alias.name):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_devtools(node.module):
                yield node.lineno, node.module
            else:
                for alias in node.names:
                    if _is_devtools(f"{node.module}.{alias.name}"):
                        yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            target = node.args[0].value
            lazily = ("import_module", "__import__", "lazy_module")  # lazy_module: offchain/cli/lazy.py
            if name in lazily and isinstance(target, str) and _is_devtools(target):
                yield node.lineno, target


def offences(folder: Path) -> list[str]:
    """One line per import of offchain.devtools by a script of FOLDER that may not."""
    lines = []
    for path in sorted(folder.glob("*.py")):
        shown = f"{folder.name}/{path.name}"
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except SyntaxError as exc:
            lines.append(f"{shown}: cannot parse it (line {exc.lineno}: {exc.msg})")
            continue
        if path.stem in ALLOWED:
            continue
        for line, module in devtools_imports(tree):
            lines.append(f"{shown} imports {DEVTOOLS}: {RULE} (line {line}: {module})")
    return lines


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "scripts"
    if not folder.is_dir():
        print(f"lint_scripts: no folder {folder}", file=sys.stderr)
        return 2
    found = offences(folder)
    for line in found:
        print(line)
    if found:
        return 1
    print(f"{folder.name}/: no script imports {DEVTOOLS} but {', '.join(ALLOWED)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
