"""Invoice copies and statements as the customer reads them: the PDF's text in their
locale, the Factur-X XML against the ledger, signed links, and the render command."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from bot.conversation.formatting import money
from bot.documents.einvoice import NS
from bot.documents.files import invoice_file, statement_file
from bot.documents.labels import LABELS
from bot.documents.period import statement_period
from bot.languages import SUPPORTED_LANGUAGES
from bot.ledger.figures import open_amount
from bot.ledger.models import Customer, Invoice
from bot.runtime.cli import build_parser
from tests.conftest import BUSINESS_DATE


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def invoice(session, number):
    return session.scalars(select(Invoice).where(Invoice.invoice_number == number)).one()


def customer(session, account):
    return session.scalars(select(Customer).where(Customer.account_number == account)).one()


def test_an_invoice_copy_shows_what_is_owed_in_the_customers_locale(demo_app):
    with demo_app.session() as session:
        document = invoice_file(invoice(session, "INV-2026-0142"), "en", demo_app.settings,
                                BUSINESS_DATE)
    text = pdf_text(document.content)
    assert document.filename == "INV-2026-0142.pdf" and not document.einvoice
    assert "Invoice INV-2026-0142" in text and "PO-45011" in text
    assert "$2,150.00" in text  # 3,150 less the 1,000 wire
    assert "Paid on Oct 10, 2026 (WIRE-77031)" in text
    assert "Sep 19, 2026" in text and "65 days overdue" in text
    assert "pay.example.com/pay?account=ACME-001" in text.replace("\n", "")
    assert PdfReader(io.BytesIO(document.content)).pdf_header.startswith("%PDF-1")


def test_a_german_customer_reads_german_words_and_numbers(demo_app):
    with demo_app.session() as session:
        document = invoice_file(invoice(session, "30918"), "de", demo_app.settings,
                                BUSINESS_DATE)
    text = pdf_text(document.content)
    assert "Rechnung 30918" in text and "Offener Betrag" in text
    assert money(Decimal("8400"), "EUR", "de") == "8.400,00\u00a0€"
    assert "8.400,00\u00a0€" in text and "16.10.2026" in text and "GiroCode" in text


def test_a_eur_invoice_carries_factur_x_xml_whose_totals_match_the_ledger(demo_app):
    with demo_app.session() as session:
        ledger_invoice = invoice(session, "30918")
        document = invoice_file(ledger_invoice, "de", demo_app.settings, BUSINESS_DATE)
        expected_open, expected_total = open_amount(ledger_invoice), ledger_invoice.amount
    assert document.einvoice
    name, xml = get_xml_from_pdf(document.content, check_xsd=False)
    assert name == "factur-x.xml"
    xml_check_xsd(xml, flavor="factur-x", level="en16931")  # raises when not valid
    tree = etree.fromstring(xml)

    def amount(tag):
        return Decimal(tree.find(f".//ram:{tag}", NS).text)

    assert tree.find(".//rsm:ExchangedDocument/ram:ID", NS).text == "30918"
    assert amount("GrandTotalAmount") == expected_total == Decimal("12400.00")
    assert amount("DuePayableAmount") == expected_open == Decimal("8400.00")
    assert amount("TotalPrepaidAmount") == expected_total - expected_open
    assert tree.find(".//ram:InvoiceCurrencyCode", NS).text == "EUR"


def test_documents_are_pdf_a_3b_and_the_einvoice_declares_factur_x(demo_app):
    with demo_app.session() as session:
        documents = [invoice_file(invoice(session, "30918"), "de", demo_app.settings,
                                  BUSINESS_DATE),
                     statement_file(customer(session, "ACME-001"), "en", demo_app.settings,
                                    BUSINESS_DATE)]
    for document in documents:
        root = PdfReader(io.BytesIO(document.content)).trailer["/Root"]
        xmp = root["/Metadata"].get_object().get_data().decode()
        assert "<pdfaid:part>3</pdfaid:part>" in xmp and "/OutputIntents" in root
        assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in PdfReader(
        io.BytesIO(documents[0].content)).trailer["/Root"]["/Metadata"].get_object()\
        .get_data().decode()


def test_a_usd_invoice_is_a_plain_pdf_unless_its_account_is_flagged(demo_app, tmp_path):
    from tests.conftest import demo_settings

    flagged = demo_settings(tmp_path, AR_EINVOICE_ACCOUNTS="ACME-001")
    with demo_app.session() as session:
        plain = invoice_file(invoice(session, "INV-2026-0101"), "en", demo_app.settings,
                             BUSINESS_DATE)
        einvoice = invoice_file(invoice(session, "INV-2026-0101"), "en", flagged,
                                BUSINESS_DATE)
    assert not plain.einvoice and einvoice.einvoice
    assert not any(get_xml_from_pdf(plain.content, check_xsd=False))
    assert get_xml_from_pdf(einvoice.content, check_xsd=False)[0] == "factur-x.xml"


def test_the_erps_own_pdf_is_sent_instead_of_a_rendering(demo_app, tmp_path):
    from tests.conftest import demo_settings

    (tmp_path / "INV-2026-0101.pdf").write_bytes(b"%PDF-1.4 the ERP's own")
    settings = demo_settings(tmp_path, AR_ERP_PDF_DIR=str(tmp_path))
    with demo_app.session() as session:
        document = invoice_file(invoice(session, "INV-2026-0101"), "en", settings,
                                BUSINESS_DATE)
        other = invoice_file(invoice(session, "INV-2026-0142"), "en", settings, BUSINESS_DATE)
    assert document.content == b"%PDF-1.4 the ERP's own"
    assert b"ERP" not in other.content and other.content.startswith(b"%PDF")


def test_a_statement_lists_open_items_aging_and_the_balance(demo_app):
    with demo_app.session() as session:
        document = statement_file(customer(session, "ACME-001"), "en", demo_app.settings,
                                  BUSINESS_DATE)
    text = pdf_text(document.content)
    assert "Statement of account" in text and "Acme Corporation" in text
    for number in ("INV-2026-0101", "INV-2026-0142", "INV-2026-0231"):
        assert number in text
    assert "INV-2026-0088" not in text  # paid in full
    assert "Current" in text and "90+" in text and "Total open" in text


def test_an_activity_statement_runs_from_the_opening_to_the_closing_balance(demo_app):
    with demo_app.session() as session:
        document = statement_file(customer(session, "ACME-001"), "fr", demo_app.settings,
                                  BUSINESS_DATE, (date(2026, 10, 1), date(2026, 10, 31)))
    text = pdf_text(document.content)
    assert "Mouvements du compte" in text
    # Before October: 2,500 + 4,200 + 3,150 + 2,800 invoiced, 2,500 paid.
    assert "Solde d'ouverture" in text and "10\u202f150,00\u00a0$US" in text
    assert "INV-2026-0203" in text and "WIRE-77031" in text and "CN-2026-009" in text
    # October: + 1,875.50 invoiced, - 1,000 wire, - 200 credit.
    assert "Solde de clôture" in text and "10\u202f825,50\u00a0$US" in text


def test_every_document_word_exists_in_every_language():
    for key, texts in LABELS.items():
        assert set(texts) == set(SUPPORTED_LANGUAGES), key


@pytest.mark.parametrize("text, period", [
    ("statement for October", (date(2026, 10, 1), date(2026, 10, 31))),
    ("since June", (date(2026, 6, 1), BUSINESS_DATE)),
    ("estado de cuenta desde junio", (date(2026, 6, 1), BUSINESS_DATE)),
    ("relevé d'octobre", (date(2026, 10, 1), date(2026, 10, 31))),
    ("Kontoauszug seit Juni", (date(2026, 6, 1), BUSINESS_DATE)),
    ("extrato de dezembro", (date(2025, 12, 1), date(2025, 12, 31))),
    ("may I get a statement", None),
    ("statement please", None),
])
def test_the_period_of_an_activity_statement(text, period):
    assert statement_period(text, BUSINESS_DATE) == period


def test_the_render_command_writes_invoices_and_statements(demo_app, tmp_path, capsys):
    from bot.documents.commands import render_command

    out = tmp_path / "copy.pdf"
    args = build_parser().parse_args(["render", "invoice", "F-2026-551", "--out", str(out)])
    assert render_command(demo_app, args) == 0
    assert "Factura F-2026-551" in pdf_text(out.read_bytes())
    assert "Factur-X" in capsys.readouterr().out
    args = build_parser().parse_args(["render", "statement", "ACME-001", "--from",
                                      "2026-06-01", "--to", "2026-11-23", "--out", str(out)])
    assert render_command(demo_app, args) == 0
    assert "Account activity" in pdf_text(out.read_bytes())
    args = build_parser().parse_args(["render", "invoice", "NOPE-1", "--out", str(out)])
    assert render_command(demo_app, args) == 1
    assert "No invoice NOPE-1" in capsys.readouterr().err


def test_the_erps_pdf_is_fetched_from_its_url_template_and_a_missing_one_is_rendered(
        demo_app, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.conftest import demo_settings

    class ERP(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            found = self.path == "/pdf/INV-2026-0101"
            self.send_response(200 if found else 404)
            self.end_headers()
            self.wfile.write(b"%PDF-1.4 from the ERP" if found else b"not found")

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ERP)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = demo_settings(tmp_path, AR_ERP_PDF_URL=f"http://127.0.0.1:"
                                 f"{server.server_address[1]}/pdf/{{invoice_number}}")
        with demo_app.session() as session:
            own = invoice_file(invoice(session, "INV-2026-0101"), "en", settings, BUSINESS_DATE)
            rendered = invoice_file(invoice(session, "INV-2026-0142"), "en", settings,
                                    BUSINESS_DATE)
    finally:
        server.shutdown()
    assert own.content == b"%PDF-1.4 from the ERP"
    assert "Invoice INV-2026-0142" in pdf_text(rendered.content)


def test_branding_comes_from_the_settings(demo_app, tmp_path):
    from PIL import Image

    from tests.conftest import demo_settings

    Image.new("RGB", (120, 40), (200, 30, 30)).save(tmp_path / "logo.png")
    settings = demo_settings(tmp_path, AR_COMPANY_NAME="Contoso Metals",
                             AR_COMPANY_ADDRESS="1 Quay St, Dublin", AR_COMPANY_TAX_ID="IE1234567X",
                             AR_COMPANY_LOGO=str(tmp_path / "logo.png"),
                             AR_DOCUMENT_ACCENT_COLOUR="#C81E1E")
    with demo_app.session() as session:
        document = invoice_file(invoice(session, "INV-2026-0101"), "en", settings,
                                BUSINESS_DATE)
    text = pdf_text(document.content)
    assert "Contoso Metals" in text and "1 Quay St, Dublin" in text and "IE1234567X" in text
    page = PdfReader(io.BytesIO(document.content)).pages[0]
    assert any(page["/Resources"]["/XObject"][name]["/Subtype"] == "/Image"
               for name in page["/Resources"]["/XObject"])


def test_a_long_line_description_wraps_and_a_long_invoice_repeats_its_header():
    from dataclasses import replace

    from bot.documents.benchmark import sample_invoice
    from bot.documents.content import Line
    from bot.documents.render import render_invoice
    from bot.settings import load_settings

    long = ("Stainless steel hex bolts M12 x 80 mm, DIN 933, A4-70, delivered in boxes of 500 "
            "to the Rotterdam warehouse, dock 7, as agreed on the framework contract")
    copy = sample_invoice(120)
    copy = replace(copy, lines=(Line(long, Decimal("2"), Decimal("10.00")),) + copy.lines[1:])
    reader = PdfReader(io.BytesIO(render_invoice(copy, load_settings({}).documents, "N")))
    first = " ".join(reader.pages[0].extract_text().split())
    assert "framework contract" in first and "Rotterdam warehouse" in first
    assert len(reader.pages) >= 3
    assert all("Description" in page.extract_text() for page in reader.pages[:-1])
