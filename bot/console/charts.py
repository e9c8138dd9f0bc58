"""Charts drawn as inline SVG on the server: nothing loaded from elsewhere, no script."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Mapping

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")


def stacked_bars_per_day(title: str, days: list[date], counts: Mapping[date, Mapping[str, int]]
                         ) -> str:
    """One bar per day, stacked by category, with a legend; each segment has a tooltip."""
    categories = sorted({k for day in counts.values() for k in day})
    width, height, left, bottom = 640, 220, 32, 30
    most = max([sum(counts.get(d, {}).values()) for d in days] + [1])
    slot = (width - left - 10) / max(len(days), 1)
    bar = max(slot * 0.7, 1)
    plot = height - bottom - 20
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height + 24}"'
             f'><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#999"/>',
             f'<text x="2" y="24" font-size="11">{most}</text>',
             f'<text x="2" y="{height - bottom}" font-size="11">0</text>']
    for n, day in enumerate(days):
        x = left + n * slot + (slot - bar) / 2
        y = height - bottom
        for c, category in enumerate(categories):
            value = counts.get(day, {}).get(category, 0)
            if not value:
                continue
            h = plot * value / most
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[c % len(PALETTE)]}" data-day="{day}" data-category="{escape(category)}" '
                         f'data-value="{value}"><title>{day} {escape(category)}: {value}</title></rect>')
        if len(days) <= 16 or n % max(len(days) // 8, 1) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" font-size="10">{day.strftime("%m-%d")}</text>')
    for c, category in enumerate(categories):
        x = left + c * 90
        parts.append(f'<rect x="{x}" y="{height + 6}" width="10" height="10" fill="{PALETTE[c % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="{height + 15}" font-size="11">{escape(category)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(title: str, counts: Mapping[str, int]) -> str:
    """A bar per label, largest first."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if not items:
        return f'<p class="empty">{escape(title)}: nothing in this period.</p>'
    row, label_width, width = 22, 170, 640
    most = max(v for _, v in items)
    height = row * len(items) + 8
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
             f'><title>{escape(title)}</title>']
    for n, (label, value) in enumerate(items):
        y = n * row + 4
        w = (width - label_width - 50) * value / most
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{row - 6}" fill="{PALETTE[0]}" '
                     f'data-label="{escape(label)}" data-value="{value}"/>'
                     f'<text x="{label_width + w + 6:.1f}" y="{y + 14}" font-size="12">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
