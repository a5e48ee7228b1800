"""The rules of the house, checked on the source: arrows point one way, rooms keep their privates.

- No module below the estimator imports it (only the package's ``__init__``).
- No module calls or imports another module's underscore-prefixed names.
- What a task's output means is decided in ``tasks.py`` only (no ``task_type ==``).
- The architecture names live in one registry, which the parameter constraint,
  the docstring and the error message read.
"""

import ast
from pathlib import Path

import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_mtl import MultiTaskRecommender
from sklearn_mtl.modules import ARCHITECTURES, MultiTaskArchitecture
from sklearn_mtl.weighting import LOSS_WEIGHTINGS

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_mtl"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, imported names) of each import in ``path``."""
    tree = ast.parse(path.read_text())
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module or ""
            absolute = f"{base}.{module}".strip(".") if node.level else module
            found.append((absolute, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
    return found


def test_every_module_is_checked():
    assert len(MODULES) > 40
    assert any(path.name == "estimator.py" for path in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_below_the_estimator_imports_it(path):
    if path == PACKAGE / "__init__.py":
        return
    for module, names in _imports(path):
        assert module != "sklearn_mtl.estimator", f"{path.name} imports the estimator"
        assert not (module == "sklearn_mtl" and "MultiTaskRecommender" in names), path.name
        # Importing the package itself from inside would run the estimator's import.
        assert module != "sklearn_mtl" or not names or names == ["__version__"], path.name


def _is_submodule(module: str, name: str) -> bool:
    folder = PACKAGE.parent.joinpath(*module.split("."))
    return (folder / f"{name}.py").is_file() or (folder / name).is_dir()


def _own_private_names(tree: ast.AST) -> set[str]:
    """Private functions, methods and attributes that this file itself defines."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            names.add(node.attr)
    return {name for name in names if name.startswith("_")}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_reaches_into_another_modules_privates(path):
    tree = ast.parse(path.read_text())
    for module, names in _imports(path):
        if module.startswith("sklearn_mtl"):
            private = [
                n
                for n in names
                if n.startswith("_") and not n.startswith("__") and not _is_submodule(module, n)
            ]
            assert not private, f"{path.name} imports {private} from {module}"
    own = _own_private_names(tree)
    for node in ast.walk(tree):
        # obj._name(...) or obj._name = ... on another object, for a private
        # name that another file defines (Python's own dunders aside).
        if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")):
            continue
        if node.attr.startswith("__") or node.attr in own:
            continue
        if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
            continue
        if isinstance(node.ctx, ast.Store) or _is_called(tree, node):
            pytest.fail(f"{path.name}:{node.lineno} uses .{node.attr} of another module")


def _is_called(tree: ast.AST, attribute: ast.Attribute) -> bool:
    return any(isinstance(n, ast.Call) and n.func is attribute for n in ast.walk(tree))


def test_what_an_output_means_is_decided_in_tasks_only():
    offenders = []
    for path in MODULES:
        if path.name == "tasks.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Attribute) and side.attr == "task_type"
                for side in [node.left, *node.comparators]
            ):
                if any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders


def test_the_architecture_registry_drives_the_constraint_docstring_and_error():
    doc = MultiTaskRecommender.__doc__
    for name, cls in ARCHITECTURES.items():
        assert f'``"{name}"``' in doc
        assert cls.summary and issubclass(cls, MultiTaskArchitecture)
    assert "{" + ", ".join(f'"{n}"' for n in ARCHITECTURES) + "}" in doc
    assert "{" + ", ".join(f'"{n}"' for n in LOSS_WEIGHTINGS) + "}" in doc
    with pytest.raises(InvalidParameterError, match="'shared_bottom'"):
        MultiTaskRecommender(architecture="tower_of_babel").fit([[0.0]], [0.0])


def test_the_constraint_is_the_registry():
    options = MultiTaskRecommender._parameter_constraints["architecture"][0].options
    assert options == set(ARCHITECTURES)


def test_a_class_that_is_not_an_architecture_is_refused_with_the_registry(data):
    X, y = data
    with pytest.raises(TypeError, match=r"architecture must be one of \['shared_bottom'"):
        MultiTaskRecommender(architecture=dict, max_epochs=1).fit(X, y)
