"""The API reference lists every public name, and their docstrings document every parameter.

The docs build runs the same numpydoc checks (``numpydoc_validation_checks``
in ``docs/conf.py``); this test finds a missing parameter without Sphinx.
"""

from __future__ import annotations

import importlib
import inspect
import re
import runpy
from functools import cache
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"

#: The modules users import from; the others are internals.
PUBLIC_MODULES = [
    "sklearn_mtl",
    "sklearn_mtl.datasets",
    "sklearn_mtl.inspection",
    "sklearn_mtl.metrics",
    "sklearn_mtl.modules",
    "sklearn_mtl.plot",
    "sklearn_mtl.tasks",
    "sklearn_mtl.text",
    "sklearn_mtl.training",
    "sklearn_mtl.weighting",
]


@cache
def _docs_conf() -> dict:
    """The names ``docs/conf.py`` defines, read once."""
    return runpy.run_path(str(DOCS / "conf.py"))


def _reference_entries() -> list[str]:
    """Dotted names of the autosummary entries of ``docs/api.rst``."""
    entries, module = [], None
    for line in (DOCS / "api.rst").read_text().splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match.group(1)
        elif (match := re.fullmatch(r" {3}(\w[\w.]*)", line)) and module:
            entries.append(f"{module}.{match.group(1)}")
    return entries


def _resolve(dotted: str):
    parts = dotted.split(".")
    for stop in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:stop]))
        except ImportError:
            continue
        for part in parts[stop:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def _is_constant(obj) -> bool:
    return not (inspect.isclass(obj) or callable(obj))


def _attribute_comment(dotted: str) -> str:
    """The ``#:`` comment above a module constant, as Sphinx reads it."""
    module, _, name = dotted.rpartition(".")
    source = inspect.getsource(importlib.import_module(module))
    match = re.search(rf"((?:^#:.*\n)+)^{name}\b", source, re.MULTILINE)
    return "" if match is None else match.group(1).replace("#:", "").strip()


def test_every_public_name_is_in_the_api_reference():
    listed = _reference_entries()
    listed_objects = {id(_resolve(name)) for name in listed}
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if name == "__version__":
                continue
            if _is_constant(obj):
                found = f"{module_name}.{name}" in listed
            else:
                found = id(obj) in listed_objects
            if not found:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"Public names missing from docs/api.rst: {missing}"


@pytest.mark.parametrize("dotted", _reference_entries())
def test_every_reference_entry_has_a_one_line_summary(dotted):
    obj = _resolve(dotted)
    doc = _attribute_comment(dotted) if _is_constant(obj) else inspect.getdoc(obj)
    assert doc, f"{dotted} has no docstring"
    summary = doc.strip().split("\n\n")[0]
    assert summary.endswith("."), f"{dotted}: the summary does not end a sentence: {summary!r}"


def _documented_members(cls: type):
    """The methods the reference renders for ``cls``, as the docs build selects them."""
    skip = _docs_conf()["skip_undocumented_overrides"]
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        function = member.fget if isinstance(member, property) else member
        function = getattr(function, "__func__", function)
        if callable(function) and not skip(None, "class", name, function, False, {}):
            yield f"{cls.__module__}.{cls.__qualname__}.{name}", function


def test_docstrings_document_every_parameter():
    validate = pytest.importorskip("numpydoc.validate")
    checks = _docs_conf()["numpydoc_validation_checks"]
    assert {"PR01", "PR02", "GL08"} <= checks
    problems = []
    for dotted in _reference_entries():
        obj = _resolve(dotted)
        if _is_constant(obj):
            continue
        targets = [(dotted, obj)]
        if inspect.isclass(obj):
            targets += list(_documented_members(obj))
        for name, target in targets:
            report = validate.validate(validate.get_doc_object(target))
            problems += [
                f"{name}: {code} {message}" for code, message in report["errors"] if code in checks
            ]
    assert not problems, "\n".join(problems)
