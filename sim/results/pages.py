"""What every HTML page of orgsim shares: the style sheet, tables and figures by relative path,
so a report folder can be moved or zipped whole."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222;
  padding: 0 1em; }
img { max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
td.num, table.summary td, table.t td { text-align: right; font-variant-numeric: tabular-nums; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figcaption { font-size: 0.8em; color: #555; max-width: 40em; }
pre { white-space: pre-wrap; font-size: 0.8em; background: #f6f6f6; padding: 0.5em; }
"""


def table_html(df: pd.DataFrame, digits: int = 4, classes: str = "summary") -> str:
    """A DataFrame as an HTML table, numbers to ``digits`` significant figures, NaN blank."""
    return df.to_html(
        index=False,
        float_format=lambda v: f"{v:.{digits}g}",
        na_rep="",
        border=0,
        classes=classes,
    )


def image(src: str, caption: str) -> str:
    """A figure referred to by a path relative to the page, with its caption."""
    e = html.escape
    return (
        f'<figure><img src="{e(src)}" alt="{e(caption)}">'
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def page(title: str, body: str) -> str:
    """A whole HTML page with the shared style sheet."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        f"{body}\n</body></html>\n"
    )


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, with forward slashes (for a page inside ``root``)."""
    return path.relative_to(root).as_posix()
