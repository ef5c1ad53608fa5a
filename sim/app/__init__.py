"""The browser app: watch a firm week by week, and look at a finished batch.

Two pages, served by Solara (``orgsim viz``, or :func:`serve`):

- ``/`` (tab *Home*): Mesa's ``SolaraViz`` around an :class:`LiveFirm` with Reset, Play and
  Step; a control for every lever and structure parameter, generated from
  :data:`sim.model.parameters.FIELDS` so their defaults are the model's (:func:`model_params`); a
  numeric seed that reproduces ``orgsim run baseline --seed N`` with the same settings; the office
  floor plan, the collaboration network and the weekly outcomes as small matplotlib figures.
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

import math
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from sim.model.agents import EMBEDDED, HYBRID, IT, LEAD, MARKETING, STAFF
from sim.model.model import Organisation
from sim.model.outcomes import label
from sim.model.parameters import DEFAULTS, FIELDS, LEVER, START, STRUCT, ParameterError
from sim.results import figures
from sim.results.figures import WEEK0_UNDEFINED, bands_figure, forest_figure, scenario_colours
from sim.results.tables import (
    SHOWN_OUTCOMES,
    Batch,
    ResultsError,
    open_batch,
    paired_differences,
    read_weeks,
)
from sim.runs.runner import release

# Solara checks the rules of hooks when a component is defined and warns about one of Mesa 3.3.1's
# own components (a state hook after an early return that never happens there); not ours to fix.
warnings.filterwarnings("ignore", message=r".*found despite early return", category=UserWarning)

import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

RESULTS_ENV = "ORGSIM_RESULTS"
DEFAULT_SEED = 0  # the CLI's default: the page's first firm is `orgsim run baseline`
DPI = 80  # figures are re-encoded as PNG every week: small and few (docs/architecture.md)
APP_NAME = "orgsim: marketing and IT"
# Levers, then the week each lever starts (a lever can be introduced mid-run, as in scenario
# files' [start_weeks]), then the firm's structure.
CONTROL_GROUPS = (LEVER, START, STRUCT)

DEPARTMENT_COLOURS = {MARKETING: "#e0802f", IT: "#2f6db0"}
ROLE_MARKERS = {STAFF: "o", HYBRID: "D", EMBEDDED: "^", LEAD: "*"}
ROLE_SIZES = {STAFF: 34, HYBRID: 46, EMBEDDED: 58, LEAD: 210}
CROSS_TIE_COLOUR = "#8e2c8e"
NETWORK_CENTRE = 1.3  # distance of each department's circle from the middle (radius 1)
LIVE_PANELS = {
    "customers": ("cx_index", "nps", "churn", "revenue"),
    "delivery": ("time_to_market", "saas_share", "cross_trust", "cross_ties"),
}
PANEL_LABELS = {"revenue": "revenue (thousands/week)"}

_results_dir: str | None = None


def configure(results_dir: str | os.PathLike[str] | None) -> None:
    """Set the batch folder the results page opens (also for a server started after this)."""
    global _results_dir
    _results_dir = None if results_dir is None else str(results_dir)
    if results_dir is None:
        os.environ.pop(RESULTS_ENV, None)
    else:
        os.environ[RESULTS_ENV] = str(results_dir)


def results_dir() -> str | None:
    """The configured batch folder: :func:`configure`, else ``$ORGSIM_RESULTS``, else None."""
    return _results_dir or os.environ.get(RESULTS_ENV) or None


# -- controls ------------------------------------------------------------------------------------
def _label(name: str) -> str:
    unit = FIELDS[name].metadata["unit"]
    return f"{name} ({unit})" if unit else name


def slider_step(lo: float, hi: float, integer: bool) -> float:
    """A round slider step: about a hundredth of the range for a number, 1 for a whole number
    (100 for ranges in the millions, so a slider stays usable)."""
    span = hi - lo
    if integer:
        return max(1, 10 ** math.floor(math.log10(span / 10_000))) if span > 0 else 1
    return 10 ** math.floor(math.log10(span / 100)) if span > 0 else 0.01


def control_for(name: str) -> dict[str, Any]:
    """Mesa's user-input spec for one parameter, from its metadata: a Select for choices, a
    Checkbox for a flag, a slider over the allowed range otherwise; the value is the default."""
    f = FIELDS[name]
    meta = f.metadata
    kind = {"int": int, "float": float, "bool": bool, "str": str}.get(f.type, f.type)
    spec: dict[str, Any] = {"label": _label(name), "value": f.default}
    if meta["choices"]:
        spec.update(type="Select", values=list(meta["choices"]))
    elif kind is bool:
        spec.update(type="Checkbox")
    else:
        lo, hi = meta["range"]
        integer = kind is int
        spec.update(
            type="SliderInt" if integer else "SliderFloat",
            min=lo,
            max=hi,
            step=slider_step(lo, hi, integer),
        )
    return spec


def model_params() -> dict[str, dict[str, Any]]:
    """A control for every lever, its start week, then every structure parameter, generated from
    FIELDS."""
    return {
        name: control_for(name)
        for group in CONTROL_GROUPS
        for name, f in FIELDS.items()
        if f.metadata["group"] == group
    }


# -- the firm of one browser session ---------------------------------------------------------------
@dataclass
class Session:
    """What one browser session keeps between Resets: the seed box's value, the last settings the
    model accepted, and the firm on show (released when replaced)."""

    seed: Any = DEFAULT_SEED
    last_good: tuple[int, dict[str, Any]] = (DEFAULT_SEED, {})
    current: Organisation | None = field(default=None, repr=False)


class LiveFirm(Organisation):
    """An :class:`~sim.model.model.Organisation` as the live page builds it on Reset.

    ``LiveFirm(seed=N, **kwargs)`` is ``Organisation(seed=N, **kwargs)`` (the same run as the CLI),
    with two additions for the page: the seed defaults to the session's seed box; a refused value
    leaves the last valid firm rebuilt and the reason in :attr:`refused`. Play stops at the
    ``weeks`` horizon, as every Organisation's ``running`` does.

    Args:
        session: the browser session (fixed for the session's lifetime).
        seed: the root seed; None takes the session's seed box.
        **kwargs: parameter values by name (the page's controls; Mesa requires this name).
    """

    def __init__(self, *, session: Session | None = None, seed: Any = None, **kwargs: Any):
        session = session if session is not None else Session()
        chosen = session.seed if seed is None else seed
        try:
            # Organisation checks the seed and every value before it builds anything.
            super().__init__(seed=chosen, **kwargs)
        except ParameterError as exc:
            good_seed, good_values = session.last_good
            super().__init__(seed=good_seed, **good_values)
            self.refused: str | None = (
                f"Not applied: {exc}. The firm was rebuilt with the last valid settings "
                f"(seed {good_seed}); correct the value and press Reset."
            )
        else:
            session.last_good = (self.seed, dict(kwargs))
            self.refused = None
        previous, session.current = session.current, self
        if previous is not None:
            release(previous)


def cli_command(model: Organisation) -> str:
    """The ``orgsim run`` command that runs the same firm as ``model``."""
    sets = [
        f"--set {name}={str(value).lower() if isinstance(value, bool) else value}"
        for name, value in model.p.as_dict().items()
        if value != getattr(DEFAULTS, name)
    ]
    return shlex.join(["orgsim", "run", "baseline", "--seed", str(model.seed)]) + "".join(
        f" {s}" for s in sets
    )


# -- live figures ----------------------------------------------------------------------------------
def _desk_xy(model: Organisation) -> tuple[np.ndarray, np.ndarray]:
    plan = model.seating
    x0 = np.array([f.grid_x0 for f in plan.floors])
    floor = np.maximum(plan.floor_of, 0)
    return x0[floor] + plan.col, plan.row.astype(float)


def it_on_marketing_side(model: Organisation) -> int:
    """IT staff (CIO aside) seated on marketing's side: embedded analysts and colocated desks."""
    plan, st = model.seating, model.staff
    cmo, cio = model.cmo, model.cio
    it = np.flatnonzero(st.joined & (st.department == IT) & (st.role != LEAD))
    same_floor = plan.floor_of[it] == plan.floor_of[cmo]
    # On one shared floor, IT's block starts at the CIO's desk (the first desk of that block).
    left_of_it = (plan.floor_of[it] != plan.floor_of[cio]) | (plan.col[it] < plan.col[cio])
    return int(np.count_nonzero(same_floor & left_of_it))


def _legend_handles() -> list[Line2D]:
    def handle(marker: str, colour: str, label: str, size: float = 7) -> Line2D:
        return Line2D(
            [], [], ls="", marker=marker, ms=size, mfc=colour, mec="k", mew=0.4, label=label
        )

    return [
        handle("o", DEPARTMENT_COLOURS[MARKETING], "marketing"),
        handle("o", DEPARTMENT_COLOURS[IT], "IT"),
        handle("D", DEPARTMENT_COLOURS[MARKETING], "hybrid hire", 6),
        handle("^", DEPARTMENT_COLOURS[IT], "embedded analyst"),
        handle("*", "0.6", "CMO / CIO", 11),
    ]


def floor_plan_figure(model: Organisation) -> Figure:
    """The office: each floor a rectangle, each desk a marker coloured by department and shaped by
    role (hybrids, embedded analysts, CMO and CIO stand out); colocation moves IT-blue desks onto
    marketing's floor."""
    plan, st = model.seating, model.staff
    x, y = _desk_xy(model)
    fig = Figure(figsize=(5.6, 4.2), dpi=DPI)
    ax = fig.add_axes((0.02, 0.2, 0.96, 0.7))
    layout = model.p.office_layout
    for k, floor in enumerate(plan.floors):
        ax.add_patch(
            Rectangle(
                (floor.grid_x0 - 0.5, -0.5),
                floor.columns,
                floor.rows,
                fc="0.96",
                ec="0.5",
                lw=0.8,
            )
        )
        if layout == "same_floor":
            name = "one shared floor"
        else:
            owner = "marketing's floor" if k == 0 else "IT's floor"
            name = f"{owner}, building {'AB'[floor.building]}"
        ax.text(floor.grid_x0 - 0.5, -0.9, name, fontsize=8, va="bottom", ha="left")
    joined = st.joined & (plan.floor_of >= 0)
    for role, marker in ROLE_MARKERS.items():
        for dep, colour in DEPARTMENT_COLOURS.items():
            who = joined & (st.role == role) & (st.department == dep)
            if who.any():
                ax.scatter(
                    x[who],
                    y[who],
                    s=ROLE_SIZES[role],
                    marker=marker,
                    c=colour,
                    edgecolors="k",
                    linewidths=0.4 if role != LEAD else 0.8,
                    zorder=3,
                )
    width, height = plan.grid_size
    ax.set_xlim(-1, width)
    ax.set_ylim(height, -1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle(
        f"Office: {it_on_marketing_side(model)} IT desks on marketing's side",
        fontsize=10,
    )
    fig.legend(
        handles=_legend_handles(),
        loc="lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
        handletextpad=0.3,
        columnspacing=1.0,
    )
    return fig


_LAYOUTS: weakref.WeakKeyDictionary[Organisation, np.ndarray] = weakref.WeakKeyDictionary()
_PAINTERS: weakref.WeakKeyDictionary[Organisation, dict[str, Any]] = weakref.WeakKeyDictionary()


def network_layout(model: Organisation) -> np.ndarray:
    """Node positions (n x 2): each department on a circle of its own, marketing on the left and
    IT on the right, its leader at the top. Computed once per firm and kept, so nodes never jump
    between weeks: ties inside a department are chords of its circle, ties across departments
    bridge the gap between the circles."""
    cached = _LAYOUTS.get(model)
    if cached is not None:
        return cached
    st = model.staff
    pos = np.zeros((len(st), 2))
    for dep, centre in ((MARKETING, -NETWORK_CENTRE), (IT, NETWORK_CENTRE)):
        rows = np.flatnonzero(st.department == dep)
        rows = rows[np.argsort(st.role[rows] != LEAD, kind="stable")]
        angles = np.pi / 2 + 2 * np.pi * np.arange(rows.size) / max(rows.size, 1)
        pos[rows, 0] = centre + np.cos(angles)
        pos[rows, 1] = np.sin(angles)
    _LAYOUTS[model] = pos
    return pos


def _painter(model: Organisation, kind: str, version: Any, build):
    """This firm's painter of ``kind``, built on first use and reused while ``version`` (say, the
    seating plan it drew) stays the same: drawing into an existing figure costs a fraction of
    building one, whose axes and ticks must all be made anew."""
    painters = _PAINTERS.setdefault(model, {})
    held = painters.get(kind)
    if held is None or held[0] is not version:
        held = painters[kind] = (version, build())
    return held[1]


class NetworkPainter:
    """Draws the collaboration network of one firm week after week into one figure: the nodes
    (fixed while the seating is) once, the ties each week."""

    def __init__(self, model: Organisation) -> None:
        from matplotlib.collections import LineCollection

        st = model.staff
        pos = network_layout(model)
        self.fig = Figure(figsize=(5.6, 4.2), dpi=DPI)
        ax = self.fig.add_axes((0.02, 0.02, 0.96, 0.88))
        self.within = LineCollection([], colors="0.55", alpha=0.25, zorder=1)
        self.cross = LineCollection([], colors=CROSS_TIE_COLOUR, alpha=0.6, zorder=2)
        ax.add_collection(self.within)
        ax.add_collection(self.cross)
        for role, marker in ROLE_MARKERS.items():
            for dep, colour in DEPARTMENT_COLOURS.items():
                who = st.joined & (st.role == role) & (st.department == dep)
                if who.any():
                    ax.scatter(
                        pos[who, 0],
                        pos[who, 1],
                        s=ROLE_SIZES[role] * 0.7,
                        marker=marker,
                        c=colour,
                        edgecolors="k",
                        linewidths=0.3,
                        zorder=3,
                    )
        ax.text(-NETWORK_CENTRE, -1.22, "marketing", va="center", ha="center", fontsize=9)
        ax.text(NETWORK_CENTRE, -1.22, "IT", va="center", ha="center", fontsize=9)
        ax.set_xlim(-NETWORK_CENTRE - 1.1, NETWORK_CENTRE + 1.1)
        ax.set_ylim(-1.35, 1.12)
        ax.set_aspect("equal")
        ax.axis("off")
        self.title = self.fig.suptitle("", fontsize=9)

    def draw(self, model: Organisation) -> Figure:
        st = model.staff
        g = model.network.graph()
        pos = network_layout(model)
        edges = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
        trust = np.array([d["trust"] for _, _, d in g.edges(data=True)])
        cross = st.department[edges[:, 0]] != st.department[edges[:, 1]]
        for collection, mask in ((self.within, ~cross), (self.cross, cross)):
            collection.set_segments(list(pos[edges[mask]]))
            collection.set_linewidths(0.3 + 2.7 * trust[mask] ** 2)
        trust_note = f", mean trust {trust[cross].mean():.2f}" if cross.any() else ""
        self.title.set_text(
            f"Week {model.steps}: {len(edges)} ties, {int(cross.sum())} across departments "
            f"(purple{trust_note}); width = trust"
        )
        return self.fig


def network_figure(model: Organisation) -> Figure:
    """The collaboration network (ties above the threshold): width by the pair's trust, ties across
    departments in purple on top; nodes as in the floor plan, in a layout fixed per firm."""
    painter = _painter(model, "network", model.seating, lambda: NetworkPainter(model))
    return painter.draw(model)


class OutcomesPainter:
    """Four outcomes of one firm week by week, redrawn into one reused figure."""

    def __init__(self, outcomes: tuple[str, ...]) -> None:
        from matplotlib.ticker import MaxNLocator

        self.outcomes = outcomes
        self.fig = Figure(figsize=(5.6, 4.2), dpi=DPI)
        self.axes = self.fig.subplots(2, 2, sharex=True).ravel()
        self.lines = []
        for ax, name in zip(self.axes, outcomes, strict=True):
            (line,) = ax.plot([], [], color="#2f6db0", lw=1.3)
            self.lines.append(line)
            # An explicit title height spares matplotlib a layout pass on every draw.
            ax.set_title(PANEL_LABELS.get(name, label(name)), fontsize=9, y=1.0, pad=3)
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.tick_params(labelsize=7)
        for ax in self.axes[2:]:
            ax.set_xlabel("week", fontsize=7)
        self.fig.subplots_adjust(
            left=0.11, right=0.97, top=0.93, bottom=0.1, hspace=0.45, wspace=0.32
        )

    def draw(self, model: Organisation) -> Figure:
        data = model.datacollector.model_vars
        horizon = max(10, model.steps)
        for ax, line, name in zip(self.axes, self.lines, self.outcomes, strict=True):
            values = np.asarray(data[name], dtype=float)
            weeks = np.arange(values.size)
            if name in WEEK0_UNDEFINED:
                weeks, values = weeks[1:], values[1:]
            if name == "revenue":
                values = values / 1000.0
            line.set_data(weeks, values)
            ax.set_xlim(0, horizon)
            finite = values[np.isfinite(values)]
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 0.01)
                ax.set_ylim(lo - pad, hi + pad)
        return self.fig


def outcomes_figure(model: Organisation, outcomes: tuple[str, ...]) -> Figure:
    """Four outcomes week by week, read from the model's DataCollector."""
    painter = _painter(model, ",".join(outcomes), None, lambda: OutcomesPainter(outcomes))
    return painter.draw(model)


def customers_figure(model: Organisation) -> Figure:
    return outcomes_figure(model, LIVE_PANELS["customers"])


def delivery_figure(model: Organisation) -> Figure:
    return outcomes_figure(model, LIVE_PANELS["delivery"])


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes at the live page's resolution."""
    return figures.png(fig, DPI)


def _figure_view(model: Organisation, draw, changes_with: Any, name: str) -> None:
    """Render ``draw(model)`` as an image, again only when ``changes_with`` does; ``name`` becomes
    the image's CSS class (``orgsim-<name>``), by which a browser test finds it."""
    update_counter.get()
    image = solara.use_memo(lambda: png(draw(model)), [model, changes_with])
    solara.Image(image, width="100%", classes=[f"orgsim-{name}"])


@solara.component
def FloorPlan(model: Organisation):
    # The plan changes only when people move: when a seating lever starts.
    _figure_view(model, floor_plan_figure, model.seating, "floor-plan")


@solara.component
def Network(model: Organisation):
    _figure_view(model, network_figure, model.steps, "network")


@solara.component
def CustomerOutcomes(model: Organisation):
    _figure_view(model, customers_figure, model.steps, "customers")


@solara.component
def DeliveryOutcomes(model: Organisation):
    _figure_view(model, delivery_figure, model.steps, "delivery")


COMPONENTS = [FloorPlan, Network, CustomerOutcomes, DeliveryOutcomes]


@solara.component
def LivePage():
    """The live page: one firm per browser session."""
    session = solara.use_memo(Session, [])
    first = solara.use_memo(lambda: LiveFirm(session=session), [])
    model = solara.use_reactive(first)
    seed = solara.use_reactive(DEFAULT_SEED)
    params = solara.use_memo(lambda: {"session": session, **model_params()}, [])

    def release_on_close():
        return lambda: release(session.current) if session.current is not None else None

    solara.use_effect(release_on_close, [])

    def set_seed(value: Any) -> None:
        seed.set(value)
        session.seed = value

    firm = model.value
    with solara.Sidebar(), solara.Card("Firm"):
        solara.InputInt("Seed (applied by Reset)", value=seed, on_value=set_seed)
        solara.Text(
            f"This firm (at the last Reset): seed {firm.seed}, {firm.p.weeks} weeks; "
            "the same run as:"
        )
        solara.Text(
            cli_command(firm),
            style={"display": "block", "font-family": "monospace", "font-size": "0.85em"},
        )
        if firm.refused:
            solara.Error(firm.refused)
    SolaraViz(model, components=COMPONENTS, model_params=params, name=APP_NAME)


# -- results page ----------------------------------------------------------------------------------
def _open(folder: str) -> Batch | str:
    try:
        return open_batch(folder)
    except ResultsError as exc:
        return str(exc)


def results_images(
    batch: Batch | None, scenarios: list[str], baseline: str
) -> tuple[bytes | None, bytes | None, str | None]:
    """PNG bands and forest plot of the chosen scenarios, or a note on why there is none."""
    if batch is None:
        return None, None, None
    if not scenarios:
        return None, None, "Pick at least one scenario."
    weeks = read_weeks(batch, scenarios, SHOWN_OUTCOMES)
    bands = figures.png(bands_figure(weeks, scenarios)) if len(weeks) else None
    note = None if len(weeks) else "No finished run of these scenarios has weekly results."
    others = [s for s in scenarios if s != baseline]
    if not others:
        return bands, None, note or "Pick a scenario besides the baseline to compare."
    diffs = paired_differences(batch, baseline, others)
    forest = figures.png(
        forest_figure(diffs, baseline, scenarios, colours=scenario_colours(scenarios))
    )
    return bands, forest, note


@solara.component
def ResultsPage():
    """The results page: outcome bands and paired differences of a stored batch."""
    folder = solara.use_reactive(results_dir() or "")
    picked = solara.use_reactive(list[str]())
    baseline = solara.use_reactive("")
    loaded = solara.use_memo(lambda: _open(folder.value), [folder.value])
    batch = loaded if isinstance(loaded, Batch) else None
    names = batch.scenarios if batch else []
    chosen = [s for s in picked.value if s in names] or (batch.default_selection() if batch else [])
    base = (
        baseline.value if baseline.value in names else (batch.default_baseline() if batch else "")
    )
    bands, forest, note = solara.use_memo(
        lambda: results_images(batch, chosen, base), [folder.value, tuple(chosen), base]
    )

    def choose_folder(value: str) -> None:
        folder.set(value)
        picked.set([])
        baseline.set("")

    with solara.AppBarTitle():
        solara.Text(f"{APP_NAME}: batch results")
    with solara.Column(style={"padding": "12px"}):
        # Plain text and headings: solara's Markdown would fetch KaTeX from a CDN.
        solara.v.Html(tag="h2", children=["Batch results"])
        solara.Text(
            "Outcome bands (mean and 95% interval across replications, week by week) and paired "
            "differences from the baseline at the end week, read from the stored runs; nothing "
            "is re-run."
        )
        solara.InputText(
            "Batch folder (orgsim batch ... --out DIR)",
            value=folder.value,
            on_value=choose_folder,
            continuous_update=False,
        )
        if batch is None:
            solara.Error(str(loaded))
            return
        solara.Text(batch.describe())
        with solara.Row():
            solara.SelectMultiple("Scenarios", values=chosen, all_values=names, on_value=picked.set)
            solara.Select("Baseline", values=names, value=base, on_value=baseline.set)
        if note:
            solara.Warning(note)
        if bands is not None:
            solara.v.Html(tag="h3", children=["Outcomes over the weeks"])
            solara.Image(bands, width="100%", classes=["orgsim-bands"])
        if forest is not None:
            solara.v.Html(tag="h3", children=[f"Paired differences from {base} at the end week"])
            solara.Image(forest, width="100%", classes=["orgsim-forest"])


routes = [
    solara.Route(path="/", component=LivePage, label="Live firm"),
    solara.Route(path="results", component=ResultsPage, label="Results"),
]


# -- server --------------------------------------------------------------------------------------
def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (None when it can)."""
    if not 1 <= port <= 65535:
        return f"port {port} is not a valid port number: choose one from 1 to 65535"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"host {host!r} cannot be resolved ({exc}); use 127.0.0.1 or a local address"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The server sets SO_REUSEADDR too: a port in TIME_WAIT is usable, a listening one not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                return (
                    f"port {port} on {host} is already in use (another orgsim viz?); "
                    f"stop that program or choose another port with --port"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def server_command(host: str, port: int) -> list[str]:
    """The Solara server command line for this app."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def server_env(results: str | os.PathLike[str] | None) -> dict[str, str]:
    env = dict(os.environ)
    # No network here, and none needed: no usage telemetry, no version check.
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    if results is not None:
        env[RESULTS_ENV] = str(Path(results).expanduser().resolve())
    elif results_dir() is not None:
        env[RESULTS_ENV] = str(results_dir())
    return env


def serve(host: str = "127.0.0.1", port: int = 8765, results: str | None = None) -> int:
    """Start the app's Solara server and wait until it stops (Ctrl+C).

    Args:
        host: address to listen on; loopback by default, so only this machine can connect.
        port: TCP port.
        results: a batch folder for the results page.

    Returns:
        The exit code: 0 after Ctrl+C or a clean stop, 2 when the port cannot be used, else the
        server's own exit code.
    """
    problem = port_problem(host, port)
    if problem is not None:
        print(f"orgsim viz: {problem}", file=sys.stderr)
        return 2
    url = url_for(host, port)
    print(f"orgsim viz: open {url} (live firm) and {url}results (batch results)", flush=True)
    if results is not None:
        try:
            open_batch(results)
        except ResultsError as exc:
            print(f"orgsim viz: note: {exc} The results page will say so.", file=sys.stderr)
    print("orgsim viz: press Ctrl+C to stop", flush=True)
    proc = subprocess.Popen(server_command(host, port), env=server_env(results))
    previous = _stop_on_sigterm()
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(proc)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm():
    """Treat SIGTERM like Ctrl+C, so that stopping ``orgsim viz`` also stops its server process.
    Returns the previous handler (None off the main thread, where handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a server process: terminate, then kill if it has not ended within ``timeout``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


__all__ = [
    "RESULTS_ENV",
    "LiveFirm",
    "Session",
    "configure",
    "control_for",
    "model_params",
    "results_dir",
    "routes",
    "serve",
]
