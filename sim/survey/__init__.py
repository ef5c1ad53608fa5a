"""The survey: the instrument the firm's people answer (:mod:`sim.survey.instrument`) and the
industry population of firms it is taken across (:mod:`sim.survey.population`); see
``docs/survey.md``."""
