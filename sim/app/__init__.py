"""The browser app: watch a firm week by week, and look at a finished batch.

Two pages, served by Solara (``orgsim viz``, or :func:`serve`):

- ``/`` (tab *Home*): Mesa's ``SolaraViz`` around an :class:`LiveFirm` with Reset, Play and
  Step; a control for every lever and structure parameter, generated from
  :data:`sim.model.parameters.FIELDS` so their defaults are the model's (:func:`model_params`),
  each label showing its value; a numeric seed; a change of any control rebuilds the firm at once
  from week 0, and the page shows the ``orgsim run baseline --seed N --set ...`` command of the
  firm on show; the office floor plan, the collaboration network and the weekly outcomes as small
  matplotlib figures, laid out by the page (not in SolaraViz's tabbed grid).
- ``/results`` (tab *Results*): a batch folder (``orgsim viz --results DIR``, :func:`configure`, the
  ``ORGSIM_RESULTS`` environment variable, or typed on the page); pick scenarios and see their
  outcome bands over the weeks and their paired differences from the baseline at the end week,
  read from the stored results (:mod:`sim.results.tables`), nothing re-run.

Each browser session builds its own firm inside the page component (the app module is imported
once per server; a model built at import would be shared by every visitor; docs/architecture.md,
"Mesa notes"). A value the model refuses (Organisation raises
:class:`~sim.model.parameters.ParameterError`) is shown on the page and the firm is rebuilt with
the last valid settings, so the server keeps running.
"""

from __future__ import annotations

from sim.app.controls import CONTROL_GROUPS, control_for, model_params, slider_step
from sim.app.pages import (
    EvidencePage,
    LivePage,
    ResultsPage,
    _open_evidence,
    default_evidence_folder,
    results_images,
    results_views,
    routes,
)
from sim.app.painters import (
    DPI,
    LIVE_PANELS,
    WEEK0_UNDEFINED,
    customers_figure,
    customers_png,
    delivery_figure,
    delivery_png,
    floor_plan_figure,
    it_on_marketing_side,
    network_caption,
    network_figure,
    network_layout,
    network_png,
    png,
)
from sim.app.server import (
    APP_NAME,
    RESULTS_ENV,
    configure,
    port_problem,
    results_dir,
    serve,
    server_command,
    server_env,
    stop,
    url_for,
)
from sim.app.session import DEFAULT_SEED, LiveFirm, Session, cli_command

__all__ = [
    "APP_NAME",
    "CONTROL_GROUPS",
    "DEFAULT_SEED",
    "DPI",
    "LIVE_PANELS",
    "RESULTS_ENV",
    "WEEK0_UNDEFINED",
    "EvidencePage",
    "LiveFirm",
    "LivePage",
    "ResultsPage",
    "Session",
    "_open_evidence",
    "cli_command",
    "configure",
    "control_for",
    "customers_figure",
    "customers_png",
    "default_evidence_folder",
    "delivery_figure",
    "delivery_png",
    "floor_plan_figure",
    "it_on_marketing_side",
    "model_params",
    "network_caption",
    "network_figure",
    "network_layout",
    "network_png",
    "png",
    "port_problem",
    "results_dir",
    "results_images",
    "results_views",
    "routes",
    "serve",
    "server_command",
    "server_env",
    "slider_step",
    "stop",
    "url_for",
]
