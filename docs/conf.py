"""Sphinx configuration of the sklearn_mtl documentation."""

import importlib

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
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
templates_path = ["_templates"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# A docstring that misses a parameter, names one the signature lacks, or has no
# summary fails the build (the -W flag turns these warnings into errors).
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "SS01"}
exclude_patterns = ["_build", "_backreferences", "generated/*.examples", "auto_examples/*.ipynb"]
html_theme = "alabaster"
# Wide enough for the examples' 100-character lines and the epoch logs.
html_theme_options = {"page_width": "1400px", "sidebar_width": "260px", "body_max_width": "none"}
# No network in CI: intersphinx inventories are not fetched.
intersphinx_mapping = {}
nitpicky = False

# The gallery: every script of examples/ run at build time, with its output and
# figures. distributed_training.py needs torchrun: shown, not run.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/(?!distributed_training)[^/]+\.py$",
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    # Where the index page's minigallery looks examples up.
    "backreferences_dir": "_backreferences",
    "download_all_examples": False,
    "min_reported_time": 0,
    "capture_repr": (),
    # Its page loads DataTables from a CDN (no network in CI); the build log has the times.
    "write_computation_times": False,
}


def skip_undocumented_overrides(app, what, name, obj, skip, options):
    """Leave out overrides without a docstring of their own.

    ``forward`` of a network or ``on_epoch_end`` of a callback has its contract
    where the method is introduced (torch, skorch or our base classes). Any
    other method without a docstring still fails the build (GL08).
    """
    function = obj.fget if isinstance(obj, property) else obj
    if skip or not callable(function) or getattr(function, "__doc__", None):
        return None
    owner_name = getattr(function, "__qualname__", "").rpartition(".")[0]
    module = getattr(function, "__module__", None)
    if not owner_name or module is None:
        return None
    owner = importlib.import_module(module)
    for part in owner_name.split("."):
        owner = getattr(owner, part, None)
    if isinstance(owner, type) and any(name in base.__dict__ for base in owner.__mro__[1:]):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_undocumented_overrides)
