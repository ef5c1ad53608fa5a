"""The app's two pages: the live firm (Mesa's SolaraViz around a LiveFirm, one per browser
session) and a stored batch's results; and the routes Solara serves."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from sim.app.controls import model_params
from sim.app.painters import (
    customers_png,
    delivery_png,
    floor_plan_figure,
    network_caption,
    network_png,
    png,
)
from sim.app.server import APP_NAME, may_open, results_dir, served_root
from sim.app.session import DEFAULT_SEED, LiveFirm, Session, cli_command
from sim.experiments.shipped import SHIPPED
from sim.model.model import Organisation
from sim.results import figures
from sim.results.evidence import Evidence, EvidenceError, is_calibration, open_evidence
from sim.results.figures import bands_figure, forest_figure, scenario_colours
from sim.results.pages import table_html
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


def _figure_view(model: Organisation, draw, changes_with: Any, name: str) -> None:
    """Render ``draw(model)`` (PNG bytes) as an image, again only when ``changes_with`` does;
    ``name`` becomes
    the image's CSS class (``orgsim-<name>``), by which a browser test finds it."""
    update_counter.get()
    image = solara.use_memo(lambda: draw(model), [model, changes_with])
    solara.Image(image, width="100%", classes=[f"orgsim-{name}"])


@solara.component
def FloorPlan(model: Organisation):
    # The plan changes only when people move: when a seating lever starts.
    _figure_view(model, lambda m: png(floor_plan_figure(m)), model.seating, "floor-plan")


@solara.component
def Network(model: Organisation):
    # The week's caption as text: drawing it into the figure cost about 7 ms a week.
    solara.Text(
        network_caption(model), style={"font-size": "13px"}, classes=["orgsim-network-caption"]
    )
    _figure_view(model, network_png, model.steps, "network")


@solara.component
def CustomerOutcomes(model: Organisation):
    _figure_view(model, customers_png, model.steps, "customers")


@solara.component
def DeliveryOutcomes(model: Organisation):
    _figure_view(model, delivery_png, model.steps, "delivery")


COMPONENTS = [FloorPlan, Network, CustomerOutcomes, DeliveryOutcomes]


def shown_label(spec: dict[str, Any], value: Any) -> str:
    """A control's label with its value in force: a slider shows its value only while it is
    dragged, so the label says it (a choice and a box show theirs)."""
    if spec["type"] in ("SliderInt", "SliderFloat"):
        return (
            f"{spec['label']}: {value:g}"
            if isinstance(value, float)
            else f"{spec['label']}: {value}"
        )
    return spec["label"]


# Vuetify sizes a slider's label to its text and gives the track what is left, so a long label
# (name, unit and value) squeezed some tracks to 20 px, where a thumb at 0 looked like the
# maximum: every label gets the same share of the row and wraps, the track keeps the rest.
SLIDER_CSS = """
.v-input__slider .v-input__slot > .v-label {
  flex: 0 0 50%; max-width: 50%; white-space: normal; overflow-wrap: anywhere; line-height: 1.2;
  height: auto !important; padding: 2px 0;
}
.v-input__slider .v-slider { flex: 1 1 50%; min-width: 90px; }
.v-input__slider .v-input__slot { height: auto; min-height: 32px; }
.v-input__slider { margin-bottom: 4px; }
"""

APPLIED_NOTE = (
    "Applied at once: the firm was rebuilt from week 0 with {change}, on the same seed. A "
    "setting holds for the whole run; to bring a lever in part-way, set its start week."
)


@solara.component
def LivePage():
    """The live page: one firm per browser session.

    A change of any control (a lever, its start week, the firm's structure, the seed) rebuilds
    the firm at once, from week 0, on the settings now shown: the firm on show is always the
    run of the command printed under it. (Mesa's own controls apply only at the next Reset,
    silently; here each control's value lives in a reactive variable of this page, which the
    page watches.)"""
    session = solara.use_memo(Session, [])
    specs = solara.use_memo(model_params, [])
    values = solara.use_memo(
        lambda: {name: solara.reactive(spec["value"]) for name, spec in specs.items()}, []
    )
    first = solara.use_memo(lambda: LiveFirm(session=session), [])
    model: solara.Reactive[LiveFirm] = solara.use_reactive(first)
    seed = solara.use_reactive(DEFAULT_SEED)
    applied = solara.use_reactive("")
    settings = {name: value.value for name, value in values.items()}  # re-render on a change

    def release_on_close():
        return lambda: release(session.current) if session.current is not None else None

    solara.use_effect(release_on_close, [])

    def rebuild() -> None:
        firm = model.value
        changed = {n: v for n, v in settings.items() if getattr(firm.p, n) != v}
        if not changed and str(firm.seed) == str(seed.value) and not firm.refused:
            return  # the firm on show already runs these settings
        session.seed = seed.value
        rebuilt = LiveFirm(session=session, **settings)
        model.set(rebuilt)
        change = ", ".join(f"{n} = {v}" for n, v in changed.items()) or f"seed {rebuilt.seed}"
        applied.set("" if rebuilt.refused else APPLIED_NOTE.format(change=change))

    solara.use_effect(rebuild, [*settings.values(), seed.value])

    params = {
        "session": session,
        **{
            name: {**spec, "value": values[name], "label": shown_label(spec, settings[name])}
            for name, spec in specs.items()
        },
    }
    firm = model.value
    solara.Title(f"{APP_NAME}: live firm")  # the browser tab's name
    solara.Style(SLIDER_CSS)
    with solara.Sidebar(), solara.Card("Firm"):
        solara.InputInt("Seed", value=seed)
        solara.Text(f"This firm: seed {firm.seed}, {firm.p.weeks} weeks; the same run as:")
        solara.Text(
            cli_command(firm),
            style={"display": "block", "font-family": "monospace", "font-size": "0.85em"},
        )
        if firm.refused:
            solara.Error(firm.refused)
        elif applied.value:
            solara.Info(applied.value)
    # The figures are laid out here, not in SolaraViz's grid, whose one tab would read "Page 0".
    SolaraViz(model, components=[], model_params=params, name=APP_NAME)
    with solara.Column(style={"padding": "8px"}), solara.Row(style={"flex-wrap": "wrap"}):
        for component in COMPONENTS:
            with solara.Column(style={"min-width": "420px", "flex": "1 1 45%"}):
                component(firm)


# -- results page ----------------------------------------------------------------------------------
def _open(folder: str) -> Batch | str:
    if folder.strip() and not may_open(folder.strip()):
        return (
            f"This page opens only folders under {served_root()} (the folder given to "
            "`orgsim viz --results`); start `orgsim viz --results DIR` to open another."
        )
    try:
        return open_batch(folder)
    except ResultsError as exc:
        return str(exc)


def results_images(
    batch: Batch | None, scenarios: list[str], baseline: str
) -> tuple[bytes | None, bytes | None, str | None]:
    """PNG bands and forest plot of the chosen scenarios, or a note on why there is none."""
    bands, forest, note, _ = results_views(batch, scenarios, baseline)
    return bands, forest, note


def results_views(
    batch: Batch | None, scenarios: list[str], baseline: str
) -> tuple[bytes | None, bytes | None, str | None, bytes | None]:
    """:func:`results_images` and the paired differences as CSV bytes (for download)."""
    if batch is None:
        return None, None, None, None
    if not scenarios:
        return None, None, "Pick at least one scenario.", None
    weeks = read_weeks(batch, scenarios, SHOWN_OUTCOMES)
    # An outcome with no value in any week (revenue growth, year over year, under a year's
    # horizon) gets no empty panel, as in the report.
    drawn = [o for o in SHOWN_OUTCOMES if len(weeks) and weeks[o].astype(float).notna().any()]
    bands = figures.png(bands_figure(weeks, scenarios, drawn)) if len(weeks) else None
    note = None if len(weeks) else "No finished run of these scenarios has weekly results."
    others = [s for s in scenarios if s != baseline]
    if not others:
        return bands, None, note or "Pick a scenario besides the baseline to compare.", None
    diffs = paired_differences(batch, baseline, others)
    forest = figures.png(
        forest_figure(diffs, baseline, scenarios, colours=scenario_colours(scenarios))
    )
    return bands, forest, note, diffs.to_csv(index=False).encode()


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
    bands, forest, note, table = solara.use_memo(
        lambda: results_views(batch, chosen, base), [folder.value, tuple(chosen), base]
    )

    def choose_folder(value: str) -> None:
        folder.set(value)
        picked.set([])
        baseline.set("")

    solara.Title(f"{APP_NAME}: batch results")
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
            solara.FileDownload(bands, "bands.png", label="Download this figure (PNG)")
        if forest is not None:
            solara.v.Html(tag="h3", children=[f"Paired differences from {base} at the end week"])
            solara.Image(forest, width="100%", classes=["orgsim-forest"])
            with solara.Row():
                solara.FileDownload(forest, "differences.png", label="Download this figure (PNG)")
                if table is not None:
                    solara.FileDownload(
                        table,
                        f"differences_from_{base}.csv",
                        label="Download the differences (CSV)",
                    )


# -- evidence page ---------------------------------------------------------------------------------
def _open_evidence(folder: str) -> Evidence | str:
    """A calibration folder under the served root, or the fit orgsim ships (a product file,
    always readable); else why not."""
    folder = folder.strip()
    shipped = folder and Path(folder).expanduser().resolve() == SHIPPED.resolve()
    if folder and not shipped and not may_open(folder):
        return (
            f"This page opens only folders under {served_root()} (the folder given to "
            f"`orgsim viz --results`) and the shipped fit {SHIPPED}; start `orgsim viz "
            "--results DIR` to open another."
        )
    try:
        return open_evidence(folder)
    except EvidenceError as exc:
        return str(exc)


def default_evidence_folder() -> str:
    """The folder given to ``orgsim viz --results`` when it is a calibration, else the fit
    orgsim ships."""
    given = results_dir()
    if given and is_calibration(given):
        return given
    return str(SHIPPED)


def _html_table(df, digits: int = 3) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=table_html(df, digits=digits, classes="summary"))


@solara.component
def EvidencePage():
    """The evidence of a calibration: the fit against every target with its band, the misfit,
    the predictions never fitted (every era), the mechanism figures, the cross-firm correlations
    and the posterior, read from the calibration's folder."""
    folder = solara.use_reactive(default_evidence_folder())
    era = solara.use_reactive("")
    loaded = solara.use_memo(lambda: _open_evidence(folder.value), [folder.value])
    evidence = loaded if isinstance(loaded, Evidence) else None
    solara.Title(f"{APP_NAME}: evidence")
    with solara.AppBarTitle():
        solara.Text(f"{APP_NAME}: evidence")
    with solara.Column(style={"padding": "12px"}, classes=["orgsim-evidence"]):
        solara.v.Html(tag="h2", children=["Evidence: the fit and what it predicts"])
        solara.Text(
            "A calibration read from its folder (orgsim calibrate ... --out DIR); nothing is "
            "re-run. Misfit is stated as it is."
        )
        solara.InputText(
            "Calibration folder",
            value=folder.value,
            on_value=folder.set,
            continuous_update=False,
        )
        if evidence is None:
            solara.Error(str(loaded))
            return
        solara.Text(evidence.describe(), classes=["orgsim-evidence-summary"])
        solara.v.Html(tag="h3", children=["Fit against every target"])
        fig = evidence.figure("fit")
        if fig is not None:
            solara.Image(fig, width="80%", classes=["orgsim-evidence-fit"])
        _html_table(evidence.fit_table())
        misses = evidence.misfit()
        solara.v.Html(tag="h3", children=["Misfit"])
        if misses:
            for line in misses:
                solara.Warning(line)
        else:
            solara.Text("Every target within its band.")
        solara.v.Html(tag="h3", children=["Predictions for questions never fitted"])
        eras = evidence.eras
        shown = era.value if era.value in eras else evidence.era
        solara.Select("Era", values=eras, value=shown, on_value=era.set)
        solara.Text(
            f"Era {shown}: every question and split the fit never saw, with 95% intervals "
            "(parameters, seeds and a survey of the targets' size)."
            + ("" if shown == evidence.era else " This era's survey figures entered no fit.")
        )
        _html_table(evidence.never_fitted(shown))
        solara.v.Html(tag="h3", children=["Every question in every era"])
        _html_table(evidence.eras_table())
        solara.v.Html(tag="h3", children=["Mechanism figures measured"])
        _html_table(evidence.mechanisms())
        cross = evidence.cross_firm()
        if len(cross):
            solara.v.Html(tag="h3", children=["Across firms: CX with growth and margin"])
            _html_table(cross)
        solara.v.Html(tag="h3", children=["Posterior"])
        solara.Text(evidence.posterior_note())
        _html_table(evidence.parameters())
        weak = evidence.unidentified()
        solara.Text(
            "Not pinned down by the targets: " + ", ".join(weak)
            if weak
            else "Every fitted parameter is identified by the targets."
        )
        marginals = evidence.figure("marginals")
        if marginals is not None:
            solara.Image(marginals, width="80%", classes=["orgsim-evidence-marginals"])
        recovered = evidence.recovery_summary()
        if len(recovered):
            solara.v.Html(tag="h4", children=["Recovery of known points"])
            _html_table(recovered)
        correlations = evidence.correlations()
        if len(correlations):
            solara.v.Html(tag="h4", children=["Pairwise correlations of the draws"])
            _html_table(correlations, digits=2)


routes = [
    solara.Route(path="/", component=LivePage, label="Live firm"),
    solara.Route(path="results", component=ResultsPage, label="Results"),
    solara.Route(path="evidence", component=EvidencePage, label="Evidence"),
]
