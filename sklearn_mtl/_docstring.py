"""The estimator's docstring lists the registered architectures and loss weightings.

The names live in :data:`sklearn_mtl.modules.ARCHITECTURES` and
:data:`sklearn_mtl.weighting.LOSS_WEIGHTINGS`; the parameter documentation is
filled from them when the estimator's module is imported, so it never lists a
name that the estimator does not accept, or misses one.
"""

from __future__ import annotations

import textwrap

from .modules import ARCHITECTURES
from .weighting import LOSS_WEIGHTINGS

__all__ = ["fill_registry_names"]


def fill_registry_names(doc: str | None) -> str | None:
    """Replace the registry markers of a docstring by the registered names.

    ``{ARCHITECTURE_NAMES}`` and ``{LOSS_WEIGHTING_NAMES}`` become the sets of
    names; a line ``ARCHITECTURE_LIST`` (indented by eight spaces) becomes one
    bullet per architecture with its ``summary``.
    """
    if doc is None:  # python -OO strips docstrings
        return None
    names = ", ".join(f'"{name}"' for name in ARCHITECTURES)
    items = "\n".join(
        textwrap.fill(
            f'- ``"{name}"``: {cls.summary}', 79, initial_indent=" " * 8, subsequent_indent=" " * 10
        )
        for name, cls in ARCHITECTURES.items()
    )
    weightings = ", ".join(f'"{name}"' for name in LOSS_WEIGHTINGS)
    doc = doc.replace("{ARCHITECTURE_NAMES}", "{" + names + "}")
    doc = doc.replace("        ARCHITECTURE_LIST\n", items + "\n")
    return doc.replace("{LOSS_WEIGHTING_NAMES}", "{" + weightings + "}")
