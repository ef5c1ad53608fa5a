"""The browser app without a browser: controls from FIELDS, the live firm (same run as the CLI,
refused values kept off the page's firm), its figures, the pages rendered in-process, the results
page's numbers against sim.results.stats, bad batch folders, and the server's port check."""

from __future__ import annotations

import io
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import mesa
import numpy as np
import pandas as pd
import pytest
import solara
from matplotlib.figure import Figure

from sim import app
from sim.model.agents import IT
from sim.model.model import Organisation
from sim.model.parameters import FIELDS, LEVER, LEVERS, START, STRUCT, Parameters
from sim.results.figures import bands_figure, forest_figure
from sim.results.stats import mean_interval, paired_difference
from sim.results.tables import SHOWN_OUTCOMES as OUTCOMES
from sim.results.tables import ResultsError, open_batch, read_weeks, time_bands
from sim.results.tables import paired_differences as end_differences

# SolaraViz says "Step: N" in Mesa 3.3 and "Time: N" from Mesa 3.4 on.
STEP_LABEL = "Step" if tuple(map(int, mesa.__version__.split(".")[:2])) < (3, 4) else "Time"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = {"n_marketers": 6, "n_technologists": 6, "n_customers": 300}


# -- controls ------------------------------------------------------------------------------------
def test_every_lever_its_start_week_and_structure_parameter_has_a_control_with_the_default():
    params = app.model_params()

    def group(g: str) -> list[str]:
        return [n for n, f in FIELDS.items() if f.metadata["group"] == g]

    assert list(params) == group(LEVER) + group(START) + group(STRUCT)
    assert {f"{lever}_start" for lever in LEVERS} <= set(params)
    defaults = Parameters()
    for name, spec in params.items():
        f = FIELDS[name]
        assert spec["value"] == getattr(defaults, name), name
        assert type(spec["value"]) is type(getattr(defaults, name)), name
        if f.metadata["choices"]:
            assert spec["type"] == "Select"
            assert spec["values"] == list(f.metadata["choices"])
        elif f.type in (bool, "bool"):
            assert spec["type"] == "Checkbox"
        else:
            lo, hi = f.metadata["range"]
            assert (spec["min"], spec["max"]) == (lo, hi), name
            assert spec["type"] == ("SliderInt" if f.type in (int, "int") else "SliderFloat")
            steps = (spec["value"] - lo) / spec["step"]
            assert abs(steps - round(steps)) < 1e-9, f"{name}: default off the slider's grid"


def test_controls_at_their_defaults_build_the_default_firm():
    values = {name: spec["value"] for name, spec in app.model_params().items()}
    assert Organisation(seed=1, **values).p == Parameters()


def test_mesa_accepts_the_controls_for_the_live_firm():
    from mesa.visualization.solara_viz import _check_model_params

    _check_model_params(app.LiveFirm.__init__, {"session": app.Session(), **app.model_params()})


def test_slider_steps_are_round():
    assert app.slider_step(0.0, 1.0, integer=False) == 0.01
    assert app.slider_step(0.0, 40.0, integer=False) == pytest.approx(0.1)
    assert app.slider_step(1, 2000, integer=True) == 1
    assert app.slider_step(100, 2_000_000, integer=True) == 100


# -- the live firm -------------------------------------------------------------------------------
def test_live_firm_is_the_cli_run_with_that_seed():
    values = {**SMALL, "shared_glossary": True, "colocation": 0.5}
    live = app.LiveFirm(seed=7, **values)
    for _ in range(6):
        live.step()
    cli = Organisation(seed=7, **values).run(6)
    pd.testing.assert_frame_equal(live.weekly(), cli.weekly())


def test_a_start_week_from_the_page_introduces_the_lever_mid_run():
    values = {**SMALL, "shared_metrics": 0.5, "shared_metrics_start": 4}
    live = app.LiveFirm(seed=3, **values)
    levels = []
    for _ in range(6):
        levels.append(live.lever("shared_metrics"))
        live.step()
    assert levels[0] == 0.0 and levels[-1] == 0.5
    cli = Organisation(seed=3, **values).run(6)
    pd.testing.assert_frame_equal(live.weekly(), cli.weekly())


def test_live_firm_takes_the_session_seed_box():
    session = app.Session(seed=11)
    assert app.LiveFirm(session=session, **SMALL).seed == 11
    session.seed = "12"  # a text box's value is read as a whole number
    assert app.LiveFirm(session=session, **SMALL).seed == 12


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"colocation": 1.5}, "colocation=1.5 is out of range"),
        ({"seed": -1}, "seed=-1 must be a whole number"),
        ({"saas_policy": "anything"}, "saas_policy='anything' is not allowed"),
        ({"no_such_lever": 1}, "unknown parameter 'no_such_lever'"),
    ],
)
def test_a_refused_value_keeps_the_last_valid_firm_and_says_why(values, message):
    session = app.Session()
    good = app.LiveFirm(session=session, seed=4, colocation=0.25, **SMALL)
    assert good.refused is None
    refused = app.LiveFirm(session=session, **{**SMALL, **values})
    assert message in refused.refused
    assert "last valid settings (seed 4)" in refused.refused
    assert refused.seed == 4 and refused.p == good.p
    assert session.current is refused


def test_play_stops_at_the_horizon():
    firm = app.LiveFirm(seed=1, weeks=3, **SMALL)
    for _ in range(3):
        assert firm.running
        firm.step()
    assert not firm.running


def test_cli_command_names_the_seed_and_every_changed_value():
    firm = app.LiveFirm(seed=3, colocation=0.5, shared_glossary=True, **SMALL)
    command = app.cli_command(firm)
    assert command.startswith("orgsim run baseline --seed 3 ")
    for part in ("--set colocation=0.5", "--set shared_glossary=true", "--set n_marketers=6"):
        assert part in command
    assert "remote_share" not in command
    assert app.cli_command(app.LiveFirm(seed=0)) == "orgsim run baseline --seed 0"


# -- live figures ----------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["same_floor", "separate_floors", "separate_buildings"])
def test_floor_plan_shows_colocated_and_embedded_it_on_marketings_side(layout):
    base = app.LiveFirm(seed=2, office_layout=layout)
    assert app.it_on_marketing_side(base) == 0
    moved = app.LiveFirm(
        seed=2, office_layout=layout, colocation=0.5, embedded_analysts=4, hybrid_hires=3
    )
    rest = moved.p.n_technologists - 4
    assert app.it_on_marketing_side(moved) == 4 + round(0.5 * rest)
    fig = app.floor_plan_figure(moved)
    assert isinstance(fig, Figure)
    assert f"{4 + round(0.5 * rest)} IT desks" in fig._suptitle.get_text()
    assert app.png(fig).startswith(PNG_MAGIC)


def test_network_layout_is_fixed_and_shows_every_tie():
    firm = app.LiveFirm(seed=5, colocation=1.0, **SMALL)
    layout = app.network_layout(firm).copy()
    for _ in range(8):
        firm.step()
        fig = app.network_figure(firm)
        np.testing.assert_array_equal(app.network_layout(firm), layout)
    within, cross = fig.axes[0].collections[:2]
    g = firm.network.graph()
    assert len(within.get_segments()) + len(cross.get_segments()) == g.number_of_edges()
    assert len(cross.get_segments()) == firm.network.cross_tie_count() > 0
    caption = app.network_caption(firm)
    assert f"{g.number_of_edges()} ties, {firm.network.cross_tie_count()} across" in caption
    assert fig._suptitle.get_text() == caption
    dep = firm.staff.department
    # Marketing on the left circle, IT on the right.
    assert (layout[dep == IT, 0] > 0).all() and (layout[dep != IT, 0] < 0).all()


def test_outcome_figures_follow_the_weeks():
    firm = app.LiveFirm(seed=5, **SMALL)
    for week in range(1, 5):
        firm.step()
        for draw, outcomes in (
            (app.customers_figure, app.LIVE_PANELS["customers"]),
            (app.delivery_figure, app.LIVE_PANELS["delivery"]),
        ):
            fig = draw(firm)
            for ax, name in zip(fig.axes, outcomes, strict=True):
                x, y = ax.lines[0].get_data()
                expected = week if name in app.WEEK0_UNDEFINED else week + 1
                assert len(x) == expected, name
                series = firm.datacollector.model_vars[name][-1]
                scale = 1000.0 if name == "revenue" else 1.0
                assert y[-1] == pytest.approx(series / scale, nan_ok=True)
    # Year-over-year growth and margin need a year of weeks; the live page shows revenue instead.
    shown = set(app.LIVE_PANELS["customers"] + app.LIVE_PANELS["delivery"])
    assert shown >= set(OUTCOMES) - {"revenue_growth", "margin"}


def _pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)


def test_blitted_figures_are_the_full_drawing_week_after_week():
    # The live page sends the blitted PNGs: each week they must show what a full redraw of the
    # same figure shows, including the weeks where the outcome panels' axes move (week 14 passes
    # the first 13 weeks shown) and the background is rendered again.
    firm = app.LiveFirm(seed=5, colocation=1.0, **SMALL)
    kinds = (
        (app.network_png, lambda m: app.network_figure(m, titled=False)),
        (app.customers_png, app.customers_figure),
        (app.delivery_png, app.delivery_figure),
    )
    for week in range(1, 17):
        firm.step()
        if week not in (1, 2, 9, 13, 14, 16):
            continue
        for to_png, to_figure in kinds:
            blitted = _pixels(to_png(firm))
            assert blitted.shape[:2] == (336, 448)
            full = _pixels(app.png(to_figure(firm)))
            # Blitting draws the moving artists after the still ones, a full draw by z-order:
            # where a node overlaps a label the two may differ, nowhere else.
            differs = np.abs(blitted - full).max(axis=2) > 8
            assert differs.mean() < 0.002, (to_png.__name__, week, differs.mean())


def test_a_panel_whose_axes_moved_is_redrawn_alone_and_matches_the_full_drawing(monkeypatch):
    # Issue 14: when one outcome panel's limits move, only that panel is rendered again into
    # the background; the image must still be what a full redraw shows, week after week.
    from sim.app.painters import Blit

    redrawn = []
    alone = Blit._redraw_panels

    def counted(self):
        done = alone(self)
        redrawn.append(done)
        return done

    monkeypatch.setattr(Blit, "_redraw_panels", counted)
    firm = app.LiveFirm(seed=3, **SMALL)
    for week in range(1, 31):
        firm.step()
        for to_png, to_figure in (
            (app.customers_png, app.customers_figure),
            (app.delivery_png, app.delivery_figure),
        ):
            blitted = _pixels(to_png(firm))
            full = _pixels(app.png(to_figure(firm)))
            differs = np.abs(blitted - full).max(axis=2) > 8
            assert differs.mean() < 0.002, (to_png.__name__, week, differs.mean())
    assert sum(redrawn) >= 10  # these weeks did redraw single panels


# -- pages, rendered in-process --------------------------------------------------------------------
@solara.component
def _InLayout(page):
    with solara.AppLayout():
        page()


def test_live_page_has_controls_figures_and_a_firm_per_session():
    _, first = solara.render(_InLayout(app.LivePage), handle_error=False)
    _, second = solara.render(_InLayout(app.LivePage), handle_error=False)
    images = first.find(ipywidgets.Image).widgets
    classes = {c for w in images for c in w._dom_classes}
    assert {"orgsim-floor-plan", "orgsim-network", "orgsim-customers", "orgsim-delivery"} <= classes
    labels = {w.label for w in first.find(v.Slider).widgets}
    # every slider's label says its value (Vuetify shows it on the thumb only while dragging)
    assert "colocation (share): 0" in labels
    assert not first.find(v.Tab).widgets  # no "Page 0" tab over the figures
    first.find(v.Html, children=[f"{STEP_LABEL}: 0"]).assert_single()
    first.find(v.Btn, children=["Step"]).widget.click()
    first.find(v.Html, children=[f"{STEP_LABEL}: 1"]).wait_for(timeout=30)
    # The other session's firm did not move.
    second.find(v.Html, children=[f"{STEP_LABEL}: 0"]).assert_single()
    first.close()
    second.close()


def test_results_page_says_what_is_wrong_with_the_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(app.RESULTS_ENV, raising=False)
    app.configure(tmp_path / "missing")
    try:
        _, rc = solara.render(app.ResultsPage(), handle_error=False)
        alert = rc.find(v.Alert).widget
        assert "does not exist" in alert.children[0]
        rc.close()
    finally:
        app.configure(None)


def test_configure_sets_and_clears_the_results_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(app.RESULTS_ENV, raising=False)
    assert app.results_dir() is None
    app.configure(tmp_path)
    assert app.results_dir() == str(tmp_path)
    assert app.server_env(None)[app.RESULTS_ENV] == str(tmp_path)
    app.configure(None)
    assert app.results_dir() is None
    monkeypatch.setenv(app.RESULTS_ENV, "elsewhere")
    assert app.results_dir() == "elsewhere"


def test_three_routes_live_results_and_evidence():
    assert [(r.path, r.component) for r in app.routes] == [
        ("/", app.LivePage),
        ("results", app.ResultsPage),
        ("evidence", app.EvidencePage),
    ]


# -- evidence page ---------------------------------------------------------------------------------
def test_evidence_page_shows_the_shipped_fit_by_default(monkeypatch):
    """Without a calibration folder the page opens the fit orgsim ships: its figures, every
    target, and the predictions for questions never fitted in every era."""
    from sim.experiments.shipped import SHIPPED
    from sim.results.evidence import open_evidence

    monkeypatch.delenv(app.RESULTS_ENV, raising=False)
    assert app.default_evidence_folder() == str(SHIPPED)
    _, rc = solara.render(app.EvidencePage(), handle_error=False)
    classes = {c for w in rc.find(ipywidgets.Image).widgets for c in w._dom_classes}
    assert {"orgsim-evidence-fit", "orgsim-evidence-marginals"} <= classes
    assert not rc.find(v.Alert, type="error").widgets
    rc.close()
    evidence = open_evidence(SHIPPED)
    fitted = evidence.fitted_items()
    assert len(fitted) == 9 and len(evidence.fit_table()) == 11
    assert set(evidence.eras) == {"2016", "2020", "2021"} and evidence.era == "2016"
    for era in evidence.eras:
        never = evidence.never_fitted(era)
        assert len(never) and (never.era == era).all()
        # a fitted question appears only in its splits
        as_fitted = [
            (i, r) in fitted and g == "all"
            for i, r, g in never[["id", "respondent", "group"]].itertuples(index=False)
        ]
        assert not any(as_fitted)
    wide = evidence.eras_table()
    assert list(wide.columns) == ["id", "respondent", "2016", "2020", "2021"]
    assert len(wide) == len(evidence.predictions.query("group == 'all' and era == '2016'"))


def test_evidence_page_says_what_is_wrong_with_the_folder(tmp_path):
    from sim.results.evidence import EvidenceError, open_evidence

    with pytest.raises(EvidenceError, match="does not exist"):
        open_evidence(tmp_path / "missing")
    with pytest.raises(EvidenceError, match="No calibration folder chosen"):
        open_evidence(" ")
    with pytest.raises(EvidenceError, match=r"holds no fit\.json"):
        open_evidence(tmp_path)
    (tmp_path / "fit.json").write_text("{cut short")
    with pytest.raises(EvidenceError, match="damaged"):
        open_evidence(tmp_path)
    (tmp_path / "fit.json").write_text(json.dumps({"fit": []}))
    with pytest.raises(EvidenceError, match=r"predictions\.csv cannot be read"):
        open_evidence(tmp_path)
    (tmp_path / "predictions.csv").write_text("id,respondent\nx,CIO\n")
    with pytest.raises(EvidenceError, match="no column 'era'"):
        open_evidence(tmp_path)
    # Outside the served root: refused on the page, without reading the folder.
    assert "opens only folders under" in app._open_evidence("/")


# -- results page data -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory) -> Path:
    from sim.runs import scenarios
    from sim.runs.batch import run_batch
    from sim.runs.store import BatchStore

    folder = tmp_path_factory.mktemp("batch")
    small = "".join(f"{k} = {v}\n" for k, v in SMALL.items())
    refs = []
    for name, extra in (("baseline", ""), ("metrics", "shared_metrics = 0.8\n")):
        path = folder / f"{name}.toml"
        path.write_text(f'name = "{name}"\ndescription = "t"\n\n[parameters]\n{small}{extra}')
        refs.append(str(path))
    loaded = [s for ref in refs for s in scenarios.load_file(ref)]
    out = folder / "out"
    with ThreadPoolExecutor(max_workers=2) as pool:
        run_batch(
            loaded, BatchStore(out), reps=3, master_seed=9, weeks=6, executor=pool, progress=False
        )
    return out


def test_open_batch_reads_scenarios_and_defaults(batch_dir):
    batch = open_batch(batch_dir)
    assert batch.scenarios == ["baseline", "metrics"]
    assert batch.default_baseline() == "baseline"
    assert batch.default_selection() == ["baseline", "metrics"]
    assert len(batch.finished) == 6
    assert "2 scenarios, 3 replications, 6 weeks" in batch.describe()


def test_bands_are_the_t_interval_of_each_week(batch_dir):
    batch = open_batch(batch_dir)
    weeks = read_weeks(batch, ["baseline", "metrics"], OUTCOMES)
    assert len(weeks) == 2 * 3 * 7
    bands = time_bands(weeks, "cx_index")
    for (name, week), group in weeks.groupby(["scenario", "week"]):
        row = bands[(bands["scenario"] == name) & (bands["week"] == week)].iloc[0]
        expected = mean_interval(group["cx_index"].to_numpy())
        assert row["mean"] == pytest.approx(expected.mean)
        assert row["low"] == pytest.approx(expected.low)
        assert row["high"] == pytest.approx(expected.high)
        assert row["n"] == expected.n == 3


def test_bands_by_hand_and_with_missing_values():
    weeks = pd.DataFrame(
        {
            "scenario": ["a"] * 5,
            "week": [0, 0, 0, 1, 1],
            "x": [1.0, 2.0, 3.0, 5.0, np.nan],
        }
    )
    bands = time_bands(weeks, "x").set_index("week")
    half = 4.302652729911275 * 1.0 / np.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert bands.loc[0, "mean"] == pytest.approx(2.0)
    assert bands.loc[0, "high"] == pytest.approx(2.0 + half)
    assert bands.loc[1, "mean"] == 5.0 and bands.loc[1, "n"] == 1
    assert np.isnan(bands.loc[1, "low"]) and np.isnan(bands.loc[1, "high"])


def test_end_differences_are_paired_by_replication(batch_dir):
    batch = open_batch(batch_dir)
    diffs = end_differences(batch, "baseline", ["baseline", "metrics"])
    assert set(diffs["scenario"]) == {"metrics"} and list(diffs["outcome"]) == list(OUTCOMES)
    runs = batch.finished.set_index(["scenario", "rep"]).sort_index()
    for _, row in diffs.iterrows():
        expected = paired_difference(
            runs.loc["metrics"][row["outcome"]].to_numpy(),
            runs.loc["baseline"][row["outcome"]].to_numpy(),
        )
        assert row["mean"] == pytest.approx(expected.mean, nan_ok=True)
        assert row["low"] == pytest.approx(expected.low, nan_ok=True)
        assert row["n"] == expected.n  # 3, or 0 for growth, undefined in a 6-week run


def test_results_figures_and_images(batch_dir):
    batch = open_batch(batch_dir)
    weeks = read_weeks(batch, ["baseline", "metrics"], OUTCOMES)
    assert isinstance(bands_figure(weeks, ["baseline", "metrics"]), Figure)
    diffs = end_differences(batch, "baseline", ["metrics"])
    assert isinstance(forest_figure(diffs, "baseline", ["metrics"]), Figure)
    bands, forest, note = app.results_images(batch, ["baseline", "metrics"], "baseline")
    assert bands.startswith(PNG_MAGIC) and forest.startswith(PNG_MAGIC) and note is None
    _, _, note = app.results_images(batch, ["baseline"], "baseline")
    assert "besides the baseline" in note
    assert app.results_images(batch, [], "baseline")[2] == "Pick at least one scenario."


def test_results_page_renders_a_batch(batch_dir, monkeypatch):
    monkeypatch.setenv(app.RESULTS_ENV, str(batch_dir))
    _, rc = solara.render(app.ResultsPage(), handle_error=False)
    classes = {c for w in rc.find(ipywidgets.Image).widgets for c in w._dom_classes}
    assert {"orgsim-bands", "orgsim-forest"} <= classes
    assert not rc.find(v.Alert).widgets
    # issue 13, finding 10: the page offered no download; now each figure and the table
    buttons = {c for b in rc.find(v.Btn).widgets for c in b.children if isinstance(c, str)}
    assert {"Download this figure (PNG)", "Download the differences (CSV)"} <= buttons
    rc.close()
    _, _, _, table = app.results_views(open_batch(batch_dir), ["baseline", "metrics"], "baseline")
    header = table.decode().splitlines()[0]
    assert "scenario" in header and "outcome" in header


def test_a_folder_that_is_no_batch_gives_a_clear_message(tmp_path):
    with pytest.raises(ResultsError, match="does not exist"):
        open_batch(tmp_path / "missing")
    with pytest.raises(ResultsError, match="No batch folder chosen"):
        open_batch("")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ResultsError, match="is a file, not a batch folder"):
        open_batch(tmp_path / "file.txt")
    with pytest.raises(ResultsError, match=r"has no manifest\.json"):
        open_batch(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ResultsError, match="damaged"):
        open_batch(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"scenarios": {}}))
    with pytest.raises(ResultsError, match="no finished run yet"):
        open_batch(tmp_path)


# -- server --------------------------------------------------------------------------------------
def test_a_port_in_use_is_refused_with_exit_code_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert "already in use" in app.port_problem("127.0.0.1", port)
        assert app.serve(port=port) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert "--port" in err


def test_port_and_host_checks():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert app.port_problem("127.0.0.1", free) is None
    assert "not a valid port" in app.port_problem("127.0.0.1", 70000)
    assert "cannot be resolved" in app.port_problem("no-such-host.invalid", 8765)


def test_server_command_binds_loopback_by_default():
    import inspect

    assert inspect.signature(app.serve).parameters["host"].default == "127.0.0.1"
    command = app.server_command("127.0.0.1", 8801)
    assert command[1:5] == ["-m", "solara", "run", "sim.app"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8801"
    assert app.url_for("127.0.0.1", 8801) == "http://127.0.0.1:8801/"
    assert app.url_for("::1", 8801) == "http://[::1]:8801/"


def test_a_control_change_rebuilds_the_live_firm_at_once_and_says_so():
    """Issue 13, finding 9: moving a lever used to change nothing until Reset, while the page
    kept showing the old command. Now the firm is rebuilt at once, from week 0, and the command
    and a note say what runs."""
    _, rc = solara.render(_InLayout(app.LivePage), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Html, children=[f"{STEP_LABEL}: 1"]).wait_for(timeout=30)
    slider = rc.find(v.Slider, label="colocation (share): 0").widget
    slider.v_model = 0.5
    rc.find(v.Slider, label="colocation (share): 0.5").wait_for(timeout=30)
    rc.find(v.Html, children=[f"{STEP_LABEL}: 0"]).wait_for(timeout=30)
    rc.find(v.Html, children=["orgsim run baseline --seed 0 --set colocation=0.5"]).assert_single()
    note = rc.find(v.Alert).widget.children[0]
    assert "rebuilt from week 0 with colocation = 0.5" in note
    # the seed applies at once too
    box = rc.find(v.TextField, label="Seed").widget
    box.v_model = "9"
    box.fire_event("keyup.enter", None)  # as a person pressing Enter in the box
    rc.find(v.Html, children=["orgsim run baseline --seed 9 --set colocation=0.5"]).wait_for(
        timeout=30
    )
    rc.close()
