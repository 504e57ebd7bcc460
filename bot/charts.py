"""Bar charts as PNG for a phone's screen: matplotlib on its Agg backend, no display needed."""

from __future__ import annotations

import io
import textwrap
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH = 8.0  # inches; at DPI that is 1080 pixels, a phone screen's width
DPI = 135
MAX_BARS = 8  # categories drawn; callers fold the rest into "other"
LABEL_WIDTH = 22  # characters of a category label per line (two lines at most)
LEGEND_ROW = 36  # characters of series names that fit side by side under the bars
TITLE_SIZE, LABEL_SIZE, VALUE_SIZE = 22, 17, 15
COLORS = ("#c8102e", "#1f4e79", "#7f7f7f", "#e0a526")  # the flag's red, then calm contrasts

# Fonts and text layout are shared inside matplotlib: one render at a time, whatever the thread.
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Series:
    """One row of bars: its name (a legend entry when there are several), values, and the values
    as the reader writes numbers (formatted by Babel)."""

    name: str
    values: tuple[int, ...]
    shown: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """What to draw: a title, a label per category, and one or more series of bars."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    horizontal: bool = True  # long labels read best beside horizontal bars
    note: str | None = None  # a line under the title (the date, the time zone)


@dataclass(frozen=True, slots=True)
class Picture:
    """A rendered chart: the PNG, its size in pixels, and every text drawn on it."""

    png: bytes
    width: int
    height: int
    texts: tuple[str, ...]


def short_label(text: str) -> str:
    """A category label on at most two lines."""
    lines = textwrap.wrap(" ".join(text.split()), LABEL_WIDTH) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LABEL_WIDTH, placeholder="…")]
    return "\n".join(lines)


def draw(chart: Chart) -> Picture:
    """Render a chart (blocking: run it in a worker thread)."""
    if len(chart.labels) > MAX_BARS:
        raise ValueError(f"at most {MAX_BARS} bars per chart, got {len(chart.labels)}")
    # Imported here: matplotlib takes a second to import, and most processes never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = tuple(short_label(label) for label in chart.labels)
    rows = len(labels) * (len(chart.series) if chart.horizontal else 1)
    height = max(5.0, 2.2 + 0.62 * rows) if chart.horizontal else 6.5
    with _lock:
        figure = Figure(figsize=(WIDTH, height), dpi=DPI)
        FigureCanvasAgg(figure)  # the Agg canvas: pixels in memory, never a window
        axes = figure.add_subplot()
        _bars(axes, chart, labels)
        figure.suptitle(chart.title, fontsize=TITLE_SIZE, fontweight="bold", x=0.02, ha="left")
        if chart.note:
            figure.text(0.02, 0.005, chart.note, fontsize=VALUE_SIZE - 2, color="#555555")
        figure.tight_layout(rect=(0.0, 0.04 if chart.note else 0.0, 1.0, 1.0))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        width, height_px = figure.canvas.get_width_height(physical=True)
    texts = [chart.title, *labels, *(s.name for s in chart.series if len(chart.series) > 1)]
    texts += [value for s in chart.series for value in s.shown]
    if chart.note:
        texts.append(chart.note)
    return Picture(buffer.getvalue(), width, height_px, tuple(texts))


def _bars(axes: Axes, chart: Chart, labels: tuple[str, ...]) -> None:
    """The bars, each with its value written at its end; no axis to read numbers from."""
    count = len(chart.series)
    thickness = 0.8 / count
    positions = list(range(len(labels)))
    top = max((v for s in chart.series for v in s.values), default=0) or 1
    for index, series in enumerate(chart.series):
        offset = (index - (count - 1) / 2) * thickness
        where = [p + offset for p in positions]
        color = COLORS[index % len(COLORS)]
        if chart.horizontal:
            bars = axes.barh(where, series.values, height=thickness, color=color, label=series.name)
        else:
            bars = axes.bar(where, series.values, width=thickness, color=color, label=series.name)
        axes.bar_label(bars, labels=list(series.shown), padding=4, fontsize=VALUE_SIZE)
    if chart.horizontal:
        axes.set_yticks(positions, labels, fontsize=LABEL_SIZE)
        axes.invert_yaxis()  # the first category on top, as the text lists them
        axes.set_xlim(0, top * 1.25)  # room for the value written after the longest bar
        axes.xaxis.set_visible(False)
    else:
        axes.set_xticks(positions, labels, fontsize=LABEL_SIZE)
        axes.set_ylim(0, top * 1.18)
        axes.yaxis.set_visible(False)
    for side in ("top", "right", "bottom" if chart.horizontal else "left"):
        axes.spines[side].set_visible(False)
    if count > 1:  # under the bars, never over them
        axes.legend(
            fontsize=VALUE_SIZE,
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01 if chart.horizontal else -0.08),
            ncol=count if sum(len(s.name) for s in chart.series) <= LEGEND_ROW else 1,
        )
