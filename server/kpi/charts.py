"""Charts as server-rendered SVG: no script, nothing to download, readable by screen readers.

Each chart has a <title> and a <desc> summing it up in words (`aria-labelledby`), and the page
puts the table it was drawn from right under it. Colours and fonts come from cockpit.css classes
(the page's policy allows no inline style); the drawing scales with its viewBox.
"""

from __future__ import annotations

from markupsafe import Markup

WIDTH = 640
ROW = 28
LABEL_WIDTH = 170


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[Markup], css: str) -> Markup:
    head = Markup(
        '<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-title {id}-desc"'
        ' preserveAspectRatio="xMinYMin meet"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(css=css, width=WIDTH, height=height, id=chart_id, title=title, desc=desc)
    return head + Markup("").join(body) + Markup("</svg>")


def _n(value: float) -> str:
    return f"{value:.1f}"


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


_AXIS = Markup('<text class="axis" x="{}" y="{}" text-anchor="{}">{}</text>')
_LINE = Markup('<line class="{}" x1="{}" x2="{}" y1="{}" y2="{}"/>')
_RECT = Markup('<rect class="{}" x="{}" y="{}" width="{}" height="{}">{}</rect>')
_TIP = Markup("<title>{}</title>")
_TEXT = Markup('<text class="{}" x="{}" y="{}"{}>{}</text>')
_END = Markup(' text-anchor="end"')


def time_series(chart_id: str, title: str, desc: str, points: list[tuple[str, int, int]],
                legend: tuple[str, str]) -> Markup:
    """Bars of leads per bucket, each with its orders drawn inside; `points` = (label, leads, orders)."""
    height, top, bottom, left = 240, 24, 36, 44
    plot_w, plot_h = WIDTH - left - 8, height - top - bottom
    peak = _nice_max(max((p[1] for p in points), default=0))
    body = [_AXIS.format(left - 6, top + 4, "end", peak), _AXIS.format(left - 6, top + plot_h, "end", 0),
            _LINE.format("grid", left, WIDTH - 8, top, top),
            _LINE.format("baseline", left, WIDTH - 8, top + plot_h, top + plot_h)]
    count = max(len(points), 1)
    slot = plot_w / count
    bar = max(slot * 0.7, 1)
    for i, (text, leads, orders) in enumerate(points):
        x = left + i * slot + (slot - bar) / 2
        h, ho = plot_h * leads / peak, plot_h * orders / peak
        body.append(_RECT.format("bar", _n(x), _n(top + plot_h - h), _n(bar), _n(h),
                                 _TIP.format(f"{text}: {leads} / {orders}")))
        if orders:
            body.append(_RECT.format("bar-strong", _n(x), _n(top + plot_h - ho), _n(bar), _n(ho), ""))
    for i in sorted({0, count // 2, count - 1}) if points else []:
        body.append(_AXIS.format(_n(left + i * slot + slot / 2), height - 16, "middle", points[i][0]))
    body += [_RECT.format("bar", left, height - 10, 10, 8, ""), _TEXT.format("legend", left + 14, height - 2, "", legend[0]),
             _RECT.format("bar-strong", left + 150, height - 10, 10, 8, ""),
             _TEXT.format("legend", left + 164, height - 2, "", legend[1])]
    return _svg(chart_id, title, desc, height, body, "chart-series")


def bars(chart_id: str, title: str, desc: str, rows: list[tuple[str, int, str]], css: str = "chart-bars") -> Markup:
    """Horizontal bars, one per row = (label, value, caption shown at the bar's end)."""
    height = max(len(rows), 1) * ROW + 8
    peak = max((r[1] for r in rows), default=0) or 1
    plot_w = WIDTH - LABEL_WIDTH - 150  # room for the caption after the longest bar
    body = []
    for i, (text, value, caption) in enumerate(rows):
        y = 4 + i * ROW
        w = plot_w * value / peak
        short = text if len(text) <= 24 else text[:23] + "…"
        body += [_TEXT.format("label", LABEL_WIDTH - 8, y + 18, _END, short),
                 _RECT.format("bar", LABEL_WIDTH, y + 4, _n(max(w, 1)), ROW - 8, _TIP.format(f"{text}: {caption}")),
                 _TEXT.format("value", _n(LABEL_WIDTH + w + 6), y + 18, "", caption)]
    return _svg(chart_id, title, desc, height, body, css)
