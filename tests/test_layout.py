"""The package layout keeps its promises (README "Layout"): every package's public names
import from the package itself, no module reaches into another package's underscored
modules, and no module grows past about 400 lines."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "syndicate"
#: the longest a module may be (STYLE.md: "none over ~400 lines")
MAX_LINES = 400


def _packages() -> list[str]:
    found = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        parts = init.parent.relative_to(ROOT).parts
        if "migrations" in parts:  # Alembic's scripts, not code other modules import
            continue
        found.append(".".join(parts))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_packages_are_found() -> None:
    packages = set(_packages())
    wanted = {"cli", "config", "ingest", "publish", "run", "server", "storage", "terms"}
    assert {f"syndicate.{name}" for name in wanted | {"translate"}} <= packages


@pytest.mark.parametrize("package", _packages())
def test_every_public_name_imports_from_its_package(package: str) -> None:
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    assert names, f"{package} has no __all__"
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what it does not have: {missing}"
    assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"


def _imported_modules(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return found


def _private_of_another_package(importer: str, imported: str) -> bool:
    """``imported`` is an underscored module of a package ``importer`` is not inside."""
    parts = imported.split(".")
    if parts[0] != "syndicate":
        return False
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            owner = ".".join(parts[:i])  # the package the underscored module belongs to
            inside = importer == owner or importer.startswith(owner + ".")
            return not inside
    return False


def test_no_module_imports_the_underscored_modules_of_another_package() -> None:
    wrong = []
    for path in _modules():
        importer = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, imported in _imported_modules(tree):
            if _private_of_another_package(importer, imported):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {imported}")
    assert not wrong, "import these from the package instead:\n" + "\n".join(wrong)


def test_the_check_sees_a_reach_into_another_package() -> None:
    assert _private_of_another_package("syndicate.cli._app", "syndicate.config._model")
    assert _private_of_another_package("syndicate.status", "syndicate.run._poll")
    assert not _private_of_another_package("syndicate.run.cycle", "syndicate.run._poll")
    assert not _private_of_another_package("syndicate.run", "syndicate.run._poll")
    assert not _private_of_another_package("syndicate.cli._app", "syndicate.config")
    assert not _private_of_another_package("syndicate.x", "syndicate.__main__")


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these (STYLE.md, one concept per module): {long}"
