"""Invoice copies and statements as PDF/A-3 (fpdf2), in the customer's language and locale."""

from __future__ import annotations

import importlib.util
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import segno
from segno import helpers as segno_helpers
from fpdf import FPDF

from bot.conversation.formatting import day, money, number
from bot.documents.content import InvoiceCopy, Statement
from bot.documents.labels import label
from bot.ledger.figures import AGING_BUCKETS, ZERO
from bot.settings import DocumentSettings

FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MARGIN = 15
PAGE_WIDTH = 210 - 2 * MARGIN


@lru_cache(maxsize=1)
def font_dir() -> Path:
    """DejaVu Sans (every accent, €, •): from matplotlib's package data, which Rasa's
    dependencies always install, else the system's fonts-dejavu."""
    spec = importlib.util.find_spec("matplotlib")
    candidates = [Path(p) / "mpl-data" / "fonts" / "ttf"
                  for p in (spec.submodule_search_locations or [])] if spec else []
    candidates.append(Path("/usr/share/fonts/truetype/dejavu"))
    for folder in candidates:
        if (folder / FONT_FILES[""]).exists():
            return folder
    raise FileNotFoundError("DejaVuSans.ttf not found (install matplotlib or fonts-dejavu)")


# What names, addresses and descriptions on AR documents are written in: Latin (with its
# extensions and combining accents), Greek, Cyrillic, punctuation, currency signs, arrows
# and maths (the minus). Keeping only these makes each document's font load about 10x faster.
UNICODES = [*range(0x20, 0x250), *range(0x300, 0x370), *range(0x370, 0x530),
            *range(0x1E00, 0x1F00), *range(0x2000, 0x2070), *range(0x20A0, 0x20D0),
            *range(0x2100, 0x2200), *range(0x2200, 0x2300), *range(0x25A0, 0x2600)]


@lru_cache(maxsize=1)
def fonts() -> dict[str, Path]:
    """The DejaVu Sans faces cut to UNICODES, written once per process to a private
    temporary folder (fpdf2 reads fonts from files), removed when the process ends."""
    import atexit
    import logging
    import shutil
    import tempfile

    from fontTools import subset

    # It says that it drops FontForge's timestamp table, which PDFs do not need.
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    folder = Path(tempfile.mkdtemp(prefix="ar-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    cut = {}
    for style, file in FONT_FILES.items():
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.glyph_names = False
        font = subset.load_font(str(font_dir() / file), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=UNICODES)
        subsetter.subset(font)
        cut[style] = folder / file
        subset.save_font(font, str(cut[style]), options)
    return cut


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    try:
        return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return (31, 95, 173)


class _Document(FPDF):
    def __init__(self, branding: DocumentSettings, company: str, language: str, title: str):
        super().__init__(format="A4", enforce_compliance="PDF/A-3B")
        self.branding, self.company, self.language = branding, company, language
        self.accent = _rgb(branding.accent_colour)
        self.set_margins(MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=18)
        for style, path in fonts().items():
            self.add_font("DejaVu", style, str(path))
        self.set_lang(language)
        self.set_title(title)
        self.set_author(company)
        self.set_creator(company)
        self.set_font("DejaVu", size=9)
        self.add_page()

    def header(self) -> None:
        self.set_fill_color(*self.accent)
        self.rect(0, 0, 210, 4, style="F")
        logo = self.branding.logo_path
        if logo and Path(logo).is_file():
            self.image(logo, x=210 - MARGIN - 40, y=8, h=16, keep_aspect_ratio=True)
        self.set_xy(MARGIN, 8)
        self.set_font("DejaVu", "B", 14)
        self.set_text_color(*self.accent)
        self.cell(0, 7, self.company, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(60, 60, 60)
        self.set_font("DejaVu", size=8)
        self.cell(0, 4, self.branding.company_address, new_x="LMARGIN", new_y="NEXT")
        if self.branding.company_tax_id:
            self.cell(0, 4, f"{label('tax_id', self.language)}: {self.branding.company_tax_id}",
                      new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", size=9)
        self.ln(6)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, label("page", self.language, page=self.page_no()), align="R")
        self.set_text_color(0, 0, 0)

    # --- building blocks ---------------------------------------------------------------

    def heading(self, text: str, size: int = 16) -> None:
        self.set_font("DejaVu", "B", size)
        self.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", size=9)

    def pairs(self, rows: Sequence[tuple[str, str]], width: float = 46) -> None:
        for name, value in rows:
            self.set_font("DejaVu", "B", 9)
            self.cell(width, 5, name)
            self.set_font("DejaVu", size=9)
            self.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")

    def grid(self, header: Sequence[str], rows: Sequence[Sequence[str]],
             widths: Sequence[float], right: Sequence[bool]) -> None:
        """A table whose header repeats on every page it runs over; a cell too long for
        its column wraps. Drawn cell by cell: fpdf2's table() takes 5x longer."""
        scale = PAGE_WIDTH / sum(widths)
        widths = [w * scale for w in widths]
        line = 5

        def heading() -> None:
            self.set_font("DejaVu", "B", 8)
            self.set_fill_color(*self.accent)
            self.set_text_color(255, 255, 255)
            lines = max(len(self.multi_cell(w, line, t, dry_run=True, output="LINES"))
                        for w, t in zip(widths, header))
            self._row(header, widths, right, lines * line, fill=True)
            self.set_text_color(0, 0, 0)
            self.set_font("DejaVu", size=8)

        heading()
        self.set_draw_color(200, 200, 200)
        for cells in rows:
            lines = max(1 if self.get_string_width(t) <= w - 2 else
                        len(self.multi_cell(w, line, t, dry_run=True, output="LINES"))
                        for w, t in zip(widths, cells))
            if self.will_page_break(lines * line):
                self.add_page()
                heading()
            self._row(cells, widths, right, lines * line)
            self.line(MARGIN, self.get_y(), MARGIN + PAGE_WIDTH, self.get_y())
        self.set_font("DejaVu", size=9)
        self.ln(3)

    def _row(self, cells: Sequence[str], widths: Sequence[float], right: Sequence[bool],
             height: float, fill: bool = False) -> None:
        top, x = self.get_y(), MARGIN
        if fill:
            self.rect(MARGIN, top, PAGE_WIDTH, height, style="F")
        for text, width, to_right in zip(cells, widths, right):
            self.set_xy(x, top)
            if self.get_string_width(text) <= width - 2:
                self.cell(width, 5, text, align="R" if to_right else "L")
            else:
                self.multi_cell(width, 5, text, align="R" if to_right else "L")
            x += width
        self.set_xy(MARGIN, top + height)

    def qr(self, qr: segno.QRCode, x: float, y: float, size: float) -> None:
        """A QR code as vector squares (sharp at any zoom, nothing to decode)."""
        matrix = [list(row) for row in qr.matrix]
        border = 2
        module = size / (len(matrix) + 2 * border)
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            c = 0
            while c < len(row):
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    self.rect(x + (start + border) * module, y + (r + border) * module,
                              (c - start) * module, module, style="F")
                else:
                    c += 1

    def total_row(self, name: str, value: str, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", 10 if bold else 9)
        self.cell(PAGE_WIDTH - 45, 6, name, align="R")
        self.cell(45, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", size=9)


def epc_qr(copy: InvoiceCopy, branding: DocumentSettings) -> Optional[segno.QRCode]:
    """The EPC ("GiroCode") payment QR a European banking app scans: EUR, open amount,
    the invoice number as remittance text."""
    if copy.currency != "EUR" or copy.open_amount <= ZERO or not branding.epc_iban:
        return None
    return segno_helpers.make_epc_qr(
        name=branding.epc_beneficiary, iban=branding.epc_iban, bic=branding.epc_bic or None,
        amount=copy.open_amount, text=copy.invoice_number)


def render_invoice(copy: InvoiceCopy, branding: DocumentSettings, company: str) -> bytes:
    lang = copy.language
    pdf = _Document(branding, company, lang,
                    f"{label('invoice', lang)} {copy.invoice_number}")
    pdf.heading(f"{label('invoice', lang)} {copy.invoice_number} ({label('copy', lang)})")
    rows = [(label("number", lang), copy.invoice_number),
            (label("issue_date", lang), day(copy.issue_date, lang)),
            (label("due_date", lang), day(copy.due_date, lang))]
    if copy.po_number:
        rows.append((label("po_number", lang), copy.po_number))
    rows.append((label("bill_to", lang), copy.customer_name))
    rows.append((label("account", lang), copy.account_number))
    pdf.pairs(rows)
    pdf.ln(3)
    ccy = copy.currency
    pdf.grid([label("description", lang), label("quantity", lang), label("unit_price", lang),
              label("amount", lang)],
             [[line.description, number(line.quantity, lang), money(line.unit_price, ccy, lang),
               money(line.amount, ccy, lang)] for line in copy.lines],
             widths=(90, 20, 35, 35), right=(False, True, True, True))
    pdf.total_row(label("tax", lang), money(copy.tax, ccy, lang) if copy.tax is not None
                  else label("no_tax", lang))
    pdf.total_row(label("total", lang), money(copy.total, ccy, lang), bold=True)
    for s in copy.settlements:
        key = "paid_on" if s.kind == "payment" else "credited_on"
        pdf.total_row(label(key, lang, day=day(s.on, lang), reference=s.reference),
                      money(-s.amount, ccy, lang))
    pdf.total_row(label("open_amount", lang), money(copy.open_amount, ccy, lang), bold=True)
    status = (label("paid_in_full", lang) if copy.open_amount <= ZERO else
              f"{label('due_date', lang)}: {day(copy.due_date, lang)}" + (
                  f" · {label('overdue_days', lang, days=copy.days_overdue)}"
                  if copy.days_overdue else ""))
    pdf.total_row("", status)
    if copy.open_amount > ZERO:
        _how_to_pay(pdf, copy, branding)
    return bytes(pdf.output())


def _how_to_pay(pdf: _Document, copy: InvoiceCopy, branding: DocumentSettings) -> None:
    lang = copy.language
    if pdf.will_page_break(50):
        pdf.add_page()
    pdf.ln(4)
    pdf.heading(label("how_to_pay", lang), size=12)
    top = pdf.get_y()
    text_width = PAGE_WIDTH - 70
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(text_width, 5, label("pay_online", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    pdf.set_text_color(*pdf.accent)
    pdf.multi_cell(text_width, 5, copy.pay_link, link=copy.pay_link, new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    if copy.bank_instructions:
        pdf.ln(2)
        pdf.multi_cell(text_width, 5, copy.bank_instructions, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.qr(segno.make(copy.pay_link, error="m"), MARGIN + text_width + 5, top, 30)
    epc = epc_qr(copy, branding)
    if epc is not None:
        pdf.qr(epc, MARGIN + text_width + 37, top, 30)
        pdf.set_xy(MARGIN + text_width + 37, top + 30)
        pdf.set_font("DejaVu", size=6)
        pdf.multi_cell(30, 3, label("scan_to_pay", lang), align="C")
        pdf.set_font("DejaVu", size=9)
    pdf.set_y(max(pdf.get_y(), top + 36))


def render_statement(statement: Statement, branding: DocumentSettings, company: str) -> bytes:
    lang, ccy = statement.language, statement.currency
    title = label("activity" if statement.activity else "statement", lang)
    pdf = _Document(branding, company, lang, f"{title} {statement.account_number}")
    pdf.heading(title)
    rows = [(label("bill_to", lang), statement.customer_name),
            (label("account", lang), statement.account_number)]
    if statement.activity:
        rows.append((label("date", lang), label("period", lang,
                                                start=day(statement.activity.start, lang),
                                                end=day(statement.activity.end, lang))))
    else:
        rows.append((label("date", lang), label("as_of", lang, day=day(statement.as_of, lang))))
    pdf.pairs(rows)
    pdf.ln(3)
    if statement.activity:
        _activity(pdf, statement)
        return bytes(pdf.output())
    pdf.heading(label("open_items", lang), size=12)
    if statement.open_items:
        pdf.grid([label("number", lang), label("issue_date", lang), label("due_date", lang),
                  label("amount", lang), label("open_amount", lang), label("days", lang)],
                 [[i.invoice_number, day(i.issue_date, lang), day(i.due_date, lang),
                   money(i.amount, ccy, lang), money(i.open_amount, ccy, lang),
                   str(i.days_overdue) if i.days_overdue else "–"]
                  for i in statement.open_items],
                 widths=(34, 28, 28, 32, 32, 26), right=(False, False, False, True, True, True))
    else:
        pdf.cell(0, 6, label("nothing_open", lang), new_x="LMARGIN", new_y="NEXT")
    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.heading(label("aging", lang), size=12)
    names = [label("current", lang) if b == "current" else b for b in AGING_BUCKETS]
    pdf.grid(names + [label("total_open", lang)],
             [[money(statement.aging[b], ccy, lang) for b in AGING_BUCKETS]
              + [money(statement.open_total, ccy, lang)]],
             widths=(30,) * 6, right=(True,) * 6)
    for currency, total in statement.totals_by_currency.items():
        pdf.total_row(f"{label('total_open', lang)} ({currency})", money(total, currency, lang))
    if statement.unapplied_credits:
        pdf.total_row(label("unapplied", lang), money(-statement.unapplied_credits, ccy, lang))
    pdf.total_row(label("balance", lang), money(statement.balance, ccy, lang), bold=True)
    return bytes(pdf.output())


def _activity(pdf: _Document, statement: Statement) -> None:
    lang, ccy, activity = statement.language, statement.currency, statement.activity
    pdf.total_row(label("opening_balance", lang), money(activity.opening_balance, ccy, lang),
                  bold=True)
    pdf.grid([label("date", lang), "", label("reference", lang), label("amount", lang),
              label("balance", lang)],
             [[day(m.on, lang), label(f"kind_{m.kind}", lang), m.reference,
               money(m.amount, ccy, lang), money(m.balance, ccy, lang)]
              for m in activity.movements],
             widths=(30, 35, 45, 35, 35), right=(False, False, False, True, True))
    pdf.total_row(label("closing_balance", lang), money(activity.closing_balance, ccy, lang),
                  bold=True)


def document_filename(kind: str, key: str, when: Optional[date] = None) -> str:
    """A short name phones and mail programs show: INV-2026-0101.pdf, statement-ACME-001.pdf."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in key)[:60]
    if kind == "invoice_copy":
        return f"{safe}.pdf"
    return f"statement-{safe}{'-' + when.isoformat() if when else ''}.pdf"
