"""orgsim: a simulation lab for marketing and IT inside one firm.

``from sim import Organisation, Parameters`` gives the model and its parameters; the CLI is
``orgsim`` (or ``python -m sim``).
"""

from sim.model import Organisation
from sim.parameters import ParameterError, Parameters

__version__ = "0.1.0"
__all__ = ["Organisation", "ParameterError", "Parameters", "__version__"]
