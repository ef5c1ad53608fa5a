"""The one progress bar: tqdm on standard error, drawn only where tqdm's own terminal detection
sees a terminal (no frames in a CI log or a file), and off whenever ``TQDM_DISABLE`` is set or
the command was asked to be quiet."""

from __future__ import annotations

import os
import sys
from typing import Any


def progress_bar(total: int, *, unit: str, quiet: bool = False, initial: int = 0, **kw: Any):
    """A tqdm bar for ``total`` items of ``unit``."""
    from tqdm import tqdm

    options: dict[str, Any] = {
        "total": total,
        "initial": initial,
        "unit": unit,
        "file": sys.stderr,
        "dynamic_ncols": True,
        **kw,
    }
    if quiet:
        options["disable"] = True
    elif "TQDM_DISABLE" not in os.environ:
        # None: tqdm draws only on a terminal. With TQDM_DISABLE set, tqdm's environment
        # defaults apply, which an explicit `disable` would override.
        options["disable"] = None
    return tqdm(**options)
