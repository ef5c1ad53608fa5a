"""orgsim: a simulation lab for marketing and IT inside one firm.

``from sim import Organisation, Parameters`` gives the model and its parameters; the CLI is
``orgsim`` (or ``python -m sim``). The layout is described in ``docs/architecture.md``:
:mod:`sim.model` is the firm and imports nothing of the rest; :mod:`sim.survey` asks its people;
:mod:`sim.runs`, :mod:`sim.experiments`, :mod:`sim.results` and :mod:`sim.app` are the machinery.

The names below are imported on first use, so that ``orgsim --help`` does not pay for Mesa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Organisation", "ParameterError", "Parameters", "__version__"]

if TYPE_CHECKING:
    from sim.model.model import Organisation
    from sim.model.parameters import ParameterError, Parameters


def __getattr__(name: str) -> Any:
    if name == "Organisation":
        from sim.model.model import Organisation

        return Organisation
    if name in ("Parameters", "ParameterError"):
        from sim.model import parameters

        return getattr(parameters, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
