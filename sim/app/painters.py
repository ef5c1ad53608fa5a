"""The live page's figures of one firm: the office floor plan, the collaboration network and
the weekly outcomes, each a small matplotlib figure redrawn into the same Figure week after week
(drawing into an existing figure costs a fraction of building one).

The network and the outcomes change every week, so they are blitted (matplotlib's technique for
animation): what stays (axes, ticks, titles, labels) is rendered once into a background, and a
week restores it and draws only the artists that move (ties and nodes; the outcome lines) before
the image is encoded. The outcomes' axes change only when a line leaves them, so the background
is re-rendered a few times a run, not every week (issue 14: a week's redraw went from about 130
ms to about 20 on this machine), and then only the panel that moved (about 10 ms, where all four
cost about 35)."""

from __future__ import annotations

import io
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox, IdentityTransform

from sim.model.agents import EMBEDDED, HYBRID, IT, LEAD, MARKETING, STAFF
from sim.model.model import Organisation
from sim.model.outcomes import label
from sim.model.trust import trust as tie_trust
from sim.results import figures
from sim.results.figures import WEEK0_UNDEFINED

DPI = 80  # figures are re-encoded as PNG every week: small and few (docs/architecture.md)
DEPARTMENT_COLOURS = {MARKETING: "#e0802f", IT: "#2f6db0"}
ROLE_MARKERS = {STAFF: "o", HYBRID: "D", EMBEDDED: "^", LEAD: "*"}
ROLE_SIZES = {STAFF: 34, HYBRID: 46, EMBEDDED: 58, LEAD: 210}
CROSS_TIE_COLOUR = "#8e2c8e"
NETWORK_CENTRE = 1.3  # distance of each department's circle from the middle (radius 1)
LIVE_PANELS = {
    "customers": ("cx_index", "nps", "churn", "revenue"),
    "delivery": ("time_to_market_it", "saas_share", "cross_trust", "cross_ties"),
}
PANEL_LABELS = {"revenue": "revenue (thousands/week)"}
# The outcome panels first show this many weeks, then twice as many each time the run passes
# their end, so the axes (and the cached background) change a few times a run, not weekly.
WEEKS_SHOWN_FIRST = 13
# A line that leaves its panel gets this share of its span as extra room on the side it left.
HEADROOM = 0.5


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


class Blit:
    """A figure encoded as PNG by blitting: ``moving`` artists are drawn each time over a cached
    background of everything else (rendered again after :meth:`invalidate`). The figure stays
    a normal matplotlib figure: ``savefig`` draws all of it.

    With ``panels`` (axes of the figure, and nothing else drawn in it but those and the figure's
    own patch), :meth:`invalidate` can name the one panel whose axes moved: only that panel is
    rendered again into the background, over the region its old and new drawing cover (about 10
    ms, where the whole four-panel figure costs about 35). That region must not touch another
    panel's drawing (long tick labels could reach across a gap); then, and whenever the figure
    holds anything else, the whole background is rendered again."""

    def __init__(self, fig: Figure, moving: Sequence[Artist], panels: Sequence[Axes] = ()) -> None:
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.moving = sorted(moving, key=lambda a: a.get_zorder())
        self.background: Any = None
        self.panels = list(panels)
        self.stale: list[Axes] = []  # panels to render again into the background
        self.drawn: dict[Axes, Bbox] = {}  # where each panel's background drawing lies

    def invalidate(self, panel: Axes | None = None) -> None:
        """Render the background again: all of it, or only ``panel`` (one of ``panels``)."""
        if panel is None or panel not in self.drawn:
            self.background = None
        elif panel not in self.stale:
            self.stale.append(panel)

    def _without_moving(self, draw) -> None:
        for artist in self.moving:
            artist.set_visible(False)
        try:
            draw()
        finally:
            for artist in self.moving:
                artist.set_visible(True)

    def _draw_background(self) -> None:
        self._without_moving(self.canvas.draw)
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.stale = []
        renderer = self.canvas.get_renderer()
        boxes = {ax: ax.get_tightbbox(renderer) for ax in self._splittable()}
        # A panel that draws nothing (None) has no region: the next move redraws everything.
        self.drawn = {ax: _padded(box) for ax, box in boxes.items() if box is not None}

    def _splittable(self) -> list[Axes]:
        """The panels, if the figure draws nothing but them (so a panel's region of the
        background is its drawing alone); else none."""
        fig = self.fig
        others = (fig.texts, fig.lines, fig.patches, fig.images, fig.legends, fig.artists)
        if any(others) or set(fig.axes) != set(self.panels):
            return []
        return self.panels

    def _redraw_panels(self) -> bool:
        """Render the stale panels again into the background; False if one cannot be (its new
        drawing would reach another panel's), and the whole background must be."""
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for ax in self.stale:
            box = ax.get_tightbbox(renderer)
            if box is None:
                return False
            new = _padded(box)
            region = Bbox.union([self.drawn[ax], new])
            if any(region.overlaps(b) for other, b in self.drawn.items() if other is not ax):
                return False
            # Clear the old drawing to the figure's colour, then draw the panel afresh.
            x0, y0, x1, y1 = (int(v) for v in np.round(region.extents))
            clear = Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                transform=IdentityTransform(),
                facecolor=self.fig.get_facecolor(),
                edgecolor="none",
                linewidth=0,
                antialiased=False,
            )
            clear.draw(renderer)
            self._without_moving(lambda ax=ax: ax.draw(renderer))
            self.drawn[ax] = new
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.stale = []
        return True

    def png(self) -> bytes:
        from PIL import Image

        if self.background is None or (self.stale and not self._redraw_panels()):
            self._draw_background()
        else:
            self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in self.moving:
            artist.draw(renderer)
        buffer = io.BytesIO()
        # The figures are opaque: RGB is a quarter less to compress than RGBA.
        rgb = np.ascontiguousarray(np.asarray(self.canvas.buffer_rgba())[..., :3])
        Image.fromarray(rgb, "RGB").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def _padded(box: Bbox, pixels: float = 2.0) -> Bbox:
    """A drawing's box widened by a margin for antialiased edges, whole pixels."""
    x0, y0, x1, y1 = box.extents
    return Bbox.from_extents(
        np.floor(x0 - pixels), np.floor(y0 - pixels), np.ceil(x1 + pixels), np.ceil(y1 + pixels)
    )


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
        nodes = []
        for role, marker in ROLE_MARKERS.items():
            for dep, colour in DEPARTMENT_COLOURS.items():
                who = st.joined & (st.role == role) & (st.department == dep)
                if who.any():
                    nodes.append(
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
                    )
        ax.text(-NETWORK_CENTRE, -1.22, "marketing", va="center", ha="center", fontsize=9)
        ax.text(NETWORK_CENTRE, -1.22, "IT", va="center", ha="center", fontsize=9)
        ax.set_xlim(-NETWORK_CENTRE - 1.1, NETWORK_CENTRE + 1.1)
        ax.set_ylim(-1.35, 1.12)
        ax.set_aspect("equal")
        ax.axis("off")
        self.title = self.fig.suptitle("", fontsize=9)
        # The nodes are redrawn over the week's ties (they sit on top); the rest is background.
        self.blit = Blit(self.fig, [self.within, self.cross, *nodes])

    def draw(self, model: Organisation, titled: bool = True) -> Figure:
        """Set the week's ties (from the network's arrays: building its networkx graph cost
        about 10 ms a week) and, if ``titled``, the title (:func:`network_caption`); the live
        page shows the caption as text instead, since drawing it cost about 7 ms a week."""
        pos = network_layout(model)
        edges, trust, cross = _week_ties(model)
        for collection, mask in ((self.within, ~cross), (self.cross, cross)):
            collection.set_segments(list(pos[edges[mask]]))
            collection.set_linewidth(0.3 + 2.7 * trust[mask] ** 2)
        self.title.set_text(network_caption(model) if titled else "")
        return self.fig


def _week_ties(model: Organisation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This week's ties above the threshold, from the network's arrays: their (u, v) pairs,
    their trust, and whether each joins the two departments."""
    network = model.network
    n = network.n
    keep = np.flatnonzero(network.strength[:n] >= network.threshold)
    edges = np.stack([network.u[keep], network.v[keep]], axis=1)
    trust = np.asarray(tie_trust(network.r[keep], network.s[keep]), dtype=float)
    cross = model.staff.department[edges[:, 0]] != model.staff.department[edges[:, 1]]
    return edges, trust, cross


def network_caption(model: Organisation) -> str:
    """What the network shows this week: ties, ties across departments and their mean trust."""
    edges, trust, cross = _week_ties(model)
    trust_note = f", mean trust {trust[cross].mean():.2f}" if cross.any() else ""
    return (
        f"Week {model.steps}: {len(edges)} ties, {int(cross.sum())} across departments "
        f"(purple{trust_note}); width = trust"
    )


def _network_painter(model: Organisation) -> NetworkPainter:
    return _painter(model, "network", model.seating, lambda: NetworkPainter(model))


def network_figure(model: Organisation, titled: bool = True) -> Figure:
    """The collaboration network (ties above the threshold): width by the pair's trust, ties across
    departments in purple on top; nodes as in the floor plan, in a layout fixed per firm; with
    ``titled``, the week's :func:`network_caption` as its title."""
    return _network_painter(model).draw(model, titled)


def network_png(model: Organisation) -> bytes:
    """:func:`network_figure` without its title as PNG, blitted over its fixed background (the
    live page prints :func:`network_caption` beside it)."""
    painter = _network_painter(model)
    painter.draw(model, titled=False)
    return painter.blit.png()


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
        self.blit = Blit(self.fig, self.lines, panels=self.axes)

    def draw(self, model: Organisation) -> Figure:
        """Set each line to the weeks so far. The axes move only when a line leaves them (the
        weeks double, a value passes a limit) or has shrunk to under a third of them, so that
        most weeks redraw only the lines (:class:`Blit`), and a moved limit redraws only its own
        panel."""
        data = model.datacollector.model_vars
        horizon = _weeks_shown(model.steps)
        # The panels share their weeks: a new horizon moves every panel.
        if self.axes[0].get_xlim() != (0.0, horizon):
            self.axes[0].set_xlim(0.0, horizon)
            self.blit.invalidate()
        for ax, line, name in zip(self.axes, self.lines, self.outcomes, strict=True):
            values = np.asarray(data[name], dtype=float)
            weeks = np.arange(values.size)
            if name in WEEK0_UNDEFINED:
                weeks, values = weeks[1:], values[1:]
            if name == "revenue":
                values = values / 1000.0
            line.set_data(weeks, values)
            finite = values[np.isfinite(values)]
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                low, high = ax.get_ylim()
                span = hi - lo
                if lo < low or hi > high or span * 3.0 < high - low - _floor_span(hi):
                    pad = 0.15 * span if span > 0 else _floor_span(hi)
                    # A line that left its panel mostly goes on the same way (ties across
                    # departments grow week after week): room for HEADROOM of its span more on
                    # that side, so the panel moves every few weeks, not every week.
                    ahead = HEADROOM * span
                    ax.set_ylim(
                        lo - pad - (ahead if lo < low else 0.0),
                        hi + pad + (ahead if hi > high else 0.0),
                    )
                    self.blit.invalidate(ax)  # only this panel's background changes
        return self.fig


def _weeks_shown(steps: int) -> float:
    """The weeks an outcome panel spans after ``steps`` weeks: WEEKS_SHOWN_FIRST, doubled until
    the run fits."""
    shown = WEEKS_SHOWN_FIRST
    while shown < steps:
        shown *= 2
    return float(shown)


def _floor_span(value: float) -> float:
    """The smallest half-span of a panel around a flat line at ``value``."""
    return max(abs(value) * 0.05, 0.01)


def _outcomes_painter(model: Organisation, outcomes: tuple[str, ...]) -> OutcomesPainter:
    return _painter(model, ",".join(outcomes), None, lambda: OutcomesPainter(outcomes))


def outcomes_figure(model: Organisation, outcomes: tuple[str, ...]) -> Figure:
    """Four outcomes week by week, read from the model's DataCollector."""
    return _outcomes_painter(model, outcomes).draw(model)


def outcomes_png(model: Organisation, outcomes: tuple[str, ...]) -> bytes:
    """:func:`outcomes_figure` as PNG, blitted over its axes."""
    painter = _outcomes_painter(model, outcomes)
    painter.draw(model)
    return painter.blit.png()


def customers_figure(model: Organisation) -> Figure:
    return outcomes_figure(model, LIVE_PANELS["customers"])


def delivery_figure(model: Organisation) -> Figure:
    return outcomes_figure(model, LIVE_PANELS["delivery"])


def customers_png(model: Organisation) -> bytes:
    return outcomes_png(model, LIVE_PANELS["customers"])


def delivery_png(model: Organisation) -> bytes:
    return outcomes_png(model, LIVE_PANELS["delivery"])


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes at the live page's resolution."""
    return figures.png(fig, DPI)
