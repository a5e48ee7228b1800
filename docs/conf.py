"""Sphinx configuration of the sklearn_mtl documentation."""

import sklearn_mtl

project = "sklearn_mtl"
author = "sklearn_mtl developers"
copyright = "2026, sklearn_mtl developers"
release = sklearn_mtl.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "alabaster"
# No network in CI: intersphinx inventories are not fetched.
intersphinx_mapping = {}
nitpicky = False
