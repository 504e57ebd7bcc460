"""Charts: valid PNGs of a phone's width, drawn without a display, with the labels given."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.charts import MAX_BARS, Chart, Series, draw, short_label
from tests.png import png_size

ROOT = Path(__file__).resolve().parent.parent


def one_series(labels: tuple[str, ...], values: tuple[int, ...], horizontal: bool = True) -> Chart:
    """A chart of one series, its values written as given."""
    return Chart(
        "Përdoruesit sipas vendit",
        labels,
        (Series("Përdoruesit", values, tuple(f"{v:,}".replace(",", ".") for v in values)),),
        horizontal=horizontal,
        note="Gjendja më 18 mars 2026",
    )


def test_a_horizontal_chart_is_a_png_of_a_phones_width_with_its_labels() -> None:
    chart = one_series(
        ("Itali", "Greqi", "Shtetet e Bashkuara të Amerikës", "nuk është dhënë"), (1200, 800, 45, 3)
    )
    picture = draw(chart)
    assert png_size(picture.png) == (picture.width, picture.height)
    assert picture.width == 1080 and 600 <= picture.height <= 1400
    assert 10_000 < len(picture.png) < 300_000
    assert picture.texts[0] == "Përdoruesit sipas vendit"
    assert "Shtetet e Bashkuara të\nAmerikës" in picture.texts  # wrapped, not cut
    assert {"Itali", "Greqi", "1.200", "800", "Gjendja më 18 mars 2026"} <= set(picture.texts)
    assert "Përdoruesit" not in picture.texts  # one series: no legend


def test_grouped_bars_name_their_series_and_more_bars_make_a_taller_picture() -> None:
    events = tuple(f"Εκδήλωση {n}" for n in range(1, 7))
    grouped = Chart(
        "Εγγραφές ανά εκδήλωση",
        events,
        (
            Series("Εγγεγραμμένοι", (40, 30, 20, 10, 5, 1), ("40", "30", "20", "10", "5", "1")),
            Series("Προσήλθαν", (30, 20, 10, 5, 1, 0), ("30", "20", "10", "5", "1", "0")),
            Series("Σε λίστα αναμονής", (3, 0, 0, 1, 0, 0), ("3", "0", "0", "1", "0", "0")),
        ),
    )
    picture = draw(grouped)
    assert {"Εγγεγραμμένοι", "Προσήλθαν", "Σε λίστα αναμονής"} <= set(picture.texts)
    small = draw(one_series(("A", "B"), (2, 1)))
    assert png_size(picture.png)[1] > png_size(small.png)[1]
    assert png_size(picture.png)[1] <= 2000


def test_vertical_bars_for_weeks() -> None:
    weeks = tuple(f"{day} mar" for day in range(2, 31, 4))
    picture = draw(one_series(weeks, (0, 1, 5, 30, 2, 0, 7, 3), horizontal=False))
    width, height = png_size(picture.png)
    assert (width, height) == (1080, picture.height) and 800 <= height <= 900
    assert set(weeks) <= set(picture.texts)


def test_few_bars_only_and_short_labels() -> None:
    with pytest.raises(ValueError, match="at most 8 bars"):
        draw(one_series(tuple(str(n) for n in range(MAX_BARS + 1)), tuple(range(MAX_BARS + 1))))
    long = "Si mund ta rinovoj pasaportën kur jetoj jashtë vendit dhe nuk kam kohë të udhëtoj?"
    lines = short_label(long).split("\n")
    assert len(lines) == 2 and all(len(line) <= 22 for line in lines) and lines[1].endswith("…")


def test_charts_drawn_at_once_from_several_threads_are_each_whole() -> None:
    charts = [one_series((f"vendi {n}", "tjetër"), (n + 1, 1)) for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        pictures = list(pool.map(draw, charts))
    for n, picture in enumerate(pictures):
        png_size(picture.png)
        assert f"vendi {n}" in picture.texts


def test_drawing_needs_no_display_and_never_loads_pyplot(tmp_path: Path) -> None:
    code = (
        "import sys; from bot.charts import Chart, Series, draw;"
        " p = draw(Chart('t', ('a',), (Series('s', (1,), ('1',)),)));"
        " print(p.png[:4] == b'\\x89PNG', 'matplotlib.pyplot' in sys.modules)"
    )
    environment = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    environment.update(PYTHONPATH=str(ROOT), MPLBACKEND="TkAgg")  # a GUI backend asked for
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
