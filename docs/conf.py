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
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "generated/*.examples", "auto_examples/*.ipynb"]
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
    "download_all_examples": False,
    "min_reported_time": 0,
    "capture_repr": (),
    # Its page loads DataTables from a CDN (no network in CI); the build log has the times.
    "write_computation_times": False,
}
