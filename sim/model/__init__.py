"""The firm: its staff, office, network, work, customers and money, week by week.

Everything that changes a simulated outcome lives in this package, and it imports nothing of the
machinery around it (runs, experiments, results, the app); ``docs/model.md`` describes each
mechanism. :class:`Organisation` is the Mesa model; :class:`Parameters` holds every coefficient.
"""

from sim.model.model import Organisation
from sim.model.parameters import ParameterError, Parameters

__all__ = ["Organisation", "ParameterError", "Parameters"]
