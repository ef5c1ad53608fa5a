"""The evidence of a calibration, read back from its folder: what the browser's Evidence page
shows (and what ``report.html`` shows, written at the end of the calibration from the same
data). Nothing is re-run: every table comes from ``fit.json``, ``predictions.csv`` and
``recovery.csv``, every figure is the PNG the calibration saved.

A calibration folder is the output of ``orgsim calibrate EXPERIMENT --out DIR``; orgsim ships one,
``experiments/fits/fit_2016``, which the page opens when it is given no other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError

FIGURES = {
    "fit": "fit_targets.png",
    "marginals": "marginals.png",
    "predictions": "predictions.png",
}
HINT = "run `orgsim calibrate EXPERIMENT --out DIR` first, or open experiments/fits/fit_2016"


class EvidenceError(UserError, ValueError):
    """A folder cannot be read as a calibration; the message names the folder and what to do."""


def _cell(p: float, lo: float, hi: float) -> str:
    return f"{p:.2f} [{lo:.2f}, {hi:.2f}]" if np.isfinite(p) else "n/a"


def is_calibration(folder: Path | str) -> bool:
    """Whether ``folder`` holds a calibration's fit.json (else it may be a batch)."""
    return (Path(folder).expanduser() / "fit.json").is_file()


def interval_reaches_band(low: float, high: float, band_low: float, band_high: float) -> bool:
    """Whether a fit's interval overlaps its target's band: a miss within the noise if so, one
    the model cannot reach with these parameters if not."""
    return high >= band_low and low <= band_high


def eras_wide(predictions: pd.DataFrame) -> pd.DataFrame:
    """Every question answered by every respondent (group ``all``), one column per era in the
    order the eras appear: the share answering yes with its 95% interval."""
    p = predictions[predictions.group == "all"].copy()
    p["cell"] = [_cell(*v) for v in zip(p.predicted, p.low, p.high, strict=True)]
    p["era"] = p.era.astype(str)
    wide = p.pivot_table(
        index=["id", "respondent"], columns="era", values="cell", aggfunc="first", sort=False
    )
    eras = [e for e in p.era.drop_duplicates() if e in wide.columns]
    return wide[eras].reset_index()


@dataclass(frozen=True)
class Evidence:
    """A finished calibration as read from its folder."""

    path: Path
    fit: dict[str, Any]
    predictions: pd.DataFrame
    recovery: pd.DataFrame | None

    @property
    def era(self) -> str:
        """The era of the fitted population (the predictions' first era)."""
        eras = self.eras
        return eras[0] if eras else ""

    @property
    def eras(self) -> list[str]:
        """Every era predicted, the fitted one first."""
        return [str(e) for e in self.predictions["era"].drop_duplicates()]

    def describe(self) -> str:
        """One line: the experiment, how many targets are in band, the posterior's method."""
        f = self.fit
        method = (f.get("posterior") or {}).get("method", "bootstrap")
        return (
            f"{f.get('experiment', '?')}: {f.get('targets_within_95_band', '?')} of "
            f"{f.get('targets', '?')} targets within their 95% bands on fresh firms; "
            f"uncertainty from the {method} posterior; wall time "
            f"{float(f.get('wall_time_s', float('nan'))) / 60:.1f} min."
        )

    def fit_table(self) -> pd.DataFrame:
        """Every target: published value, band, the fit with its 95% interval, in band or not."""
        table = pd.DataFrame(self.fit.get("fit", []))
        return table.drop(columns=[c for c in ("source",) if c in table])

    def misfit(self) -> list[str]:
        """A sentence for each target outside its band (empty when every target is in band)."""
        rows = self.fit_table()
        if rows.empty:
            return []
        out = []
        r: Any  # itertuples() fields: pandas-stubs types each as the whole Scalar union
        for r in rows[~rows.within_band.astype(bool)].itertuples():
            reach = (
                "its interval overlaps the band (a miss within the noise)"
                if interval_reaches_band(r.low, r.high, r.band_low, r.band_high)
                else "its interval misses the band (the model cannot reach it here)"
            )
            out.append(
                f"{r.target}: published {r.observed:.2f} (band {r.band_low:.2f}-"
                f"{r.band_high:.2f}), fit {r.predicted:.2f} [{r.low:.2f}, {r.high:.2f}]; {reach}."
            )
        return out

    def fitted_items(self) -> set[tuple[str, str]]:
        """(question, respondent) of every survey target the fit saw."""
        items = set()
        for row in self.fit.get("fit", []):
            question, _, respondent = str(row.get("target", "")).partition("/")
            if respondent:
                items.add((question, respondent))
        return items

    def never_fitted(self, era: str | None = None) -> pd.DataFrame:
        """The predictions of ``era`` (default: the fitted one) for items the fit never saw: every
        question not among the targets, and every split of a question that is."""
        era = self.era if era is None else era
        p = self.predictions[self.predictions.era.astype(str) == str(era)]
        seen = [
            (i, r) in self.fitted_items() and g == "all"
            for i, r, g in zip(p.id, p.respondent, p.group, strict=True)
        ]
        return p[~np.array(seen, dtype=bool)].reset_index(drop=True)

    def eras_table(self) -> pd.DataFrame:
        """:func:`eras_wide` of this calibration's predictions."""
        return eras_wide(self.predictions)

    def mechanisms(self) -> pd.DataFrame:
        table = pd.DataFrame(self.fit.get("mechanisms", []))
        return table.drop(columns=[c for c in ("source",) if c in table])

    def cross_firm(self) -> pd.DataFrame:
        return pd.DataFrame(self.fit.get("cross_firm", []))

    def parameters(self) -> pd.DataFrame:
        """Each fitted parameter: estimate, 95% interval, and the posterior's summary."""
        estimates = self.fit.get("estimates", {})
        intervals = self.fit.get("intervals_95", {})
        summary = (self.fit.get("posterior") or {}).get("summary", {})
        rows = []
        for name, value in estimates.items():
            low, high = intervals.get(name, (float("nan"), float("nan")))
            rows.append(
                {"parameter": name, "estimate": value, "low_95": low, "high_95": high}
                | {k: v for k, v in summary.get(name, {}).items() if k not in ("low", "high")}
            )
        return pd.DataFrame(rows)

    def identifiability(self) -> pd.DataFrame:
        return pd.DataFrame(self.fit.get("identifiability", []))

    def unidentified(self) -> list[str]:
        """Parameters the targets do not pin down, with their verdict."""
        table = self.identifiability()
        if table.empty:
            return []
        weak = table[table.verdict != "identified"]
        return [f"{p} ({v})" for p, v in zip(weak.parameter, weak.verdict, strict=True)]

    def correlations(self) -> pd.DataFrame:
        corr = pd.DataFrame(self.fit.get("correlations", {}))
        return corr.reset_index(names="parameter") if len(corr) else corr

    def posterior_note(self) -> str:
        """The sampler's and the recovery check's figures in a sentence."""
        post = self.fit.get("posterior") or {}
        if post.get("method") != "emulator":
            return "Intervals from the bootstrap of the estimate."
        parts = [
            f"{post.get('draws', '?')} posterior draws by tempered sequential Monte Carlo on "
            f"Gaussian-process emulators ({post.get('simulated_behaviours', '?')} simulated "
            f"behaviours): {post.get('tempering_steps', '?')} steps to temperature "
            f"{float(post.get('temperature', 1.0)):.2f}, "
            f"{float(post.get('distinct_draws', 1.0)):.0%} of the draws distinct."
        ]
        if post.get("recovery_inside_95") is not None:
            parts.append(
                f"Recovery: {post.get('recovery_points')} known points fitted back; the known "
                f"value inside its 95% interval in {float(post['recovery_inside_95']):.0%} of "
                f"{post.get('recovery_checks')} checks (95% expected)."
            )
        if post.get("emulator_within_2sd") is not None:
            parts.append(
                "Emulators within two sd of the simulated moments on the recovery points "
                f"{float(post['emulator_within_2sd']):.0%} of the time."
            )
        return " ".join(parts)

    def recovery_summary(self) -> pd.DataFrame:
        """Per parameter: how many known points were fitted back and the share whose known value
        fell inside its 95% interval."""
        if self.recovery is None or self.recovery.empty:
            return pd.DataFrame(columns=["parameter", "checks", "inside_95"])
        grouped = self.recovery.groupby("parameter", sort=False)["inside"]
        return pd.DataFrame(
            {"checks": grouped.size(), "inside_95": grouped.mean().round(3)}
        ).reset_index()

    def figure(self, name: str) -> bytes | None:
        """A figure the calibration saved (``fit``, ``marginals``, ``predictions``), or None."""
        path = self.path / FIGURES[name]
        return path.read_bytes() if path.is_file() else None


def open_evidence(folder: Path | str | None) -> Evidence:
    """Read a calibration folder.

    Raises:
        EvidenceError: no folder given, or it is missing, is a file, or holds no readable
            ``fit.json`` / ``predictions.csv``.
    """
    if folder is None or not str(folder).strip():
        raise EvidenceError(f"No calibration folder chosen: enter one above, or {HINT}.")
    path = Path(str(folder).strip()).expanduser()
    if not path.exists():
        raise EvidenceError(f"No calibration folder at {path}: it does not exist; {HINT}.")
    if not path.is_dir():
        raise EvidenceError(f"{path} is a file, not a calibration folder; {HINT}.")
    fit_path = path / "fit.json"
    if not fit_path.is_file():
        raise EvidenceError(
            f"{path} holds no fit.json: it is not a finished calibration (a batch folder opens "
            f"on the Results page); {HINT}."
        )
    try:
        fit = json.loads(fit_path.read_text())
        if not isinstance(fit, dict) or not isinstance(fit.get("fit"), list):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise EvidenceError(
            f"{fit_path} is damaged or not a calibration's fit.json; run the calibration again "
            "with --fresh"
        ) from None
    predictions_path = path / "predictions.csv"
    try:
        predictions = pd.read_csv(predictions_path, dtype={"era": str})
        missing = {"id", "respondent", "group", "era", "predicted", "low", "high"} - set(
            predictions.columns
        )
        if missing:
            raise ValueError(f"no column {sorted(missing)[0]!r}")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise EvidenceError(
            f"{predictions_path} cannot be read ({exc}); run the calibration again with --fresh"
        ) from None
    recovery_path = path / "recovery.csv"
    try:
        recovery = pd.read_csv(recovery_path) if recovery_path.is_file() else None
    except (OSError, ValueError) as exc:
        raise EvidenceError(
            f"{recovery_path} cannot be read ({exc}); run the calibration again with --fresh"
        ) from None
    return Evidence(path, fit, predictions, recovery)
