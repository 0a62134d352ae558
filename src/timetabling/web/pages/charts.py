"""Small server-side SVG charts: no script, no style attribute (the pages' Content-Security-Policy), readable
without colour (each series is named in a legend and in the points' titles)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOURS = ("#1a5fb4", "#c64600", "#26a269", "#813d9c", "#a51d2d", "#5e5c64")
W, H, LEFT, BOTTOM, TOP, RIGHT = 640, 240, 56, 28, 12, 12


def _ticks(lo: float, hi: float) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / 4 for i in range(5)]


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _frame(title: str, y_label: str, lo: float, hi: float, body: list[str], legend: Sequence[str],
           x_labels: Sequence[str]) -> SafeString:
    plot_h = H - TOP - BOTTOM
    longest = max((len(name) for name in legend), default=0)
    columns = 3 if longest <= 28 else 2 if longest <= 44 else 1  # a long name takes its neighbours' room
    parts = [f'<svg class="chart" viewBox="0 0 {W} {H + 18 * -(-len(legend) // columns)}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for t in _ticks(lo, hi):
        y = TOP + plot_h - (t - lo) / ((hi - lo) or 1) * plot_h
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_num(t)}</text>')
    parts.append(f'<text x="4" y="{TOP + 4}" font-size="11">{escape(y_label)}</text>')
    n = len(x_labels)
    step = max(1, n // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0:
            x = LEFT + (i + 0.5) * (W - LEFT - RIGHT) / max(n, 1)
            parts.append(f'<text x="{x:.1f}" y="{H - 8}" text-anchor="middle" font-size="10">{escape(label)}</text>')
    parts.extend(body)
    for i, name in enumerate(legend):
        x, y = LEFT + (i % columns) * (570 // columns), H + 12 + 18 * (i // columns)
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>'
                     f'<text x="{x + 14}" y="{y}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def line_chart(title: str, y_label: str, x_labels: Sequence[str],
               series: dict[str, Sequence[float | None]]) -> SafeString:
    """One line per series over the same x positions (``None``: no point there)."""
    values = [v for s in series.values() for v in s if v is not None]
    lo, hi = (min(0.0, min(values)), max(values)) if values else (0.0, 1.0)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = len(x_labels)
    body = []
    for k, (name, points) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        xy = [(LEFT + (i + 0.5) * plot_w / max(n, 1), TOP + plot_h - (v - lo) / ((hi - lo) or 1) * plot_h, v, i)
              for i, v in enumerate(points) if v is not None]
        if len(xy) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in xy)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, v, i in xy:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(name)}, '
                        f'{escape(x_labels[i])}: {_num(v)}</title></circle>')
    return _frame(title, y_label, lo, hi, body, list(series), x_labels)


def bar_chart(title: str, y_label: str, x_labels: Sequence[str], series: dict[str, Sequence[float]]) -> SafeString:
    """Stacked bars: one bar per x label, one segment per series."""
    totals = [sum(s[i] for s in series.values()) for i in range(len(x_labels))]
    hi = max(totals, default=0) or 1.0
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = len(x_labels)
    width = plot_w / max(n, 1) * 0.7
    body = []
    for i, label in enumerate(x_labels):
        base = 0.0
        x = LEFT + (i + 0.15) * plot_w / max(n, 1)
        for k, (name, values) in enumerate(series.items()):
            v = values[i]
            if not v:
                continue
            h = v / hi * plot_h
            y = TOP + plot_h - (base + v) / hi * plot_h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                        f'fill="{COLOURS[k % len(COLOURS)]}"><title>{escape(label)}: {_num(v)} {escape(name)}'
                        f'</title></rect>')
            base += v
    return _frame(title, y_label, 0.0, hi, body, list(series), x_labels)
