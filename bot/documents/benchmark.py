"""`python -m bot render benchmark`: render time per document (median, p95) for an invoice
of 5 and of 200 lines and a statement of 500 open items. Printed, never asserted."""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Callable

from bot.documents.content import InvoiceCopy, Line, OpenItem, Settlement, Statement
from bot.documents.einvoice import embed, invoice_xml
from bot.documents.render import render_invoice, render_statement
from bot.ledger.figures import AGING_BUCKETS
from bot.settings import Settings

TODAY = date(2026, 11, 23)


def sample_invoice(lines: int, currency: str = "USD", language: str = "en") -> InvoiceCopy:
    items = tuple(Line(f"Hex bolts M{8 + i % 12} zinc plated, box of {100 * (1 + i % 5)}",
                       Decimal(1 + i % 9), Decimal("12.50") + i) for i in range(lines))
    total = sum((line.amount for line in items), Decimal("0"))
    paid = (total / 4).quantize(Decimal("0.01"))
    return InvoiceCopy("INV-BENCH-0001", "ACME-001", "Acme Corporation", currency,
                       TODAY - timedelta(days=40), TODAY - timedelta(days=10), "PO-1",
                       items, total, None,
                       (Settlement("payment", "ACH-1", TODAY - timedelta(days=5), paid),),
                       total - paid, 10, language, "https://pay.example.com/pay?invoice=1",
                       "ACH or wire to Demo Bank NA, ABA 021000021, account 483920117.")


def sample_statement(items: int, language: str = "en") -> Statement:
    open_items = tuple(OpenItem(f"INV-{i:05d}", TODAY - timedelta(days=i % 150 + 30),
                                TODAY - timedelta(days=i % 150), Decimal("1000.00"),
                                Decimal("750.00"), i % 150, AGING_BUCKETS[min(i % 150 // 30, 4)])
                       for i in range(items))
    total = Decimal("750.00") * items
    return Statement("ACME-001", "Acme Corporation", "USD", TODAY, language, open_items,
                     {b: total / 5 for b in AGING_BUCKETS}, total, Decimal("0"),
                     totals_by_currency={"USD": total})


def _time(work: Callable[[], bytes], runs: int) -> tuple[float, float, int]:
    work()  # the first render loads the fonts
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        size = len(work())
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)], size


def run(settings: Settings, runs: int = 20) -> list[str]:
    docs, company = settings.documents, settings.company_name
    eur = sample_invoice(5, "EUR", "de")
    cases = [
        ("invoice, 5 lines", lambda: render_invoice(sample_invoice(5), docs, company), runs),
        ("invoice, 200 lines", lambda: render_invoice(sample_invoice(200), docs, company),
         max(runs // 4, 3)),
        ("Factur-X invoice, 5 lines (EUR, XML checked)",
         lambda: embed(render_invoice(eur, docs, company), invoice_xml(eur, docs, company),
                       "de"), runs),
        ("statement, 500 items", lambda: render_statement(sample_statement(500), docs, company),
         max(runs // 4, 3)),
    ]
    lines = []
    for name, work, count in cases:
        median, p95, size = _time(work, count)
        lines.append(f"{name:<46} median {median:7.1f} ms   p95 {p95:7.1f} ms   "
                     f"{size / 1024:6.0f} KiB   ({count} runs)")
    return lines
