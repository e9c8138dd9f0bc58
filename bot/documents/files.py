"""The PDF of a document request: the ERP's own where one exists, else our rendering
(a Factur-X PDF/A-3 for customers flagged for e-invoices)."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional

from sqlalchemy.orm import Session

from bot.documents.content import invoice_copy, statement
from bot.documents.einvoice import embed, invoice_xml, wants_einvoice
from bot.documents.render import document_filename, render_invoice, render_statement
from bot.ledger.models import Customer, DocumentRequest, Invoice
from bot.settings import Settings

PDF = "application/pdf"


@dataclass(frozen=True)
class DocumentFile:
    filename: str
    content: bytes
    content_type: str = PDF
    einvoice: bool = False


def erp_pdf(invoice_number: str, settings: Settings) -> Optional[bytes]:
    """The ERP's own PDF of an invoice: AR_ERP_PDF_DIR/<number>.pdf, else
    AR_ERP_PDF_URL with {invoice_number}; None when neither has it."""
    docs = settings.documents
    safe = "".join(c for c in invoice_number if c.isalnum() or c in "-_.")
    if docs.erp_pdf_dir:
        path = Path(docs.erp_pdf_dir) / f"{safe}.pdf"
        if path.is_file():
            return path.read_bytes()
    if docs.erp_pdf_url:
        try:
            with urllib.request.urlopen(docs.erp_pdf_url.format(invoice_number=safe),
                                        timeout=10) as response:
                content = response.read()
            return content if content.startswith(b"%PDF") else None
        except OSError:  # not there (404) or the ERP is down: render ours instead
            return None
    return None


def invoice_file(invoice: Invoice, language: str, settings: Settings, today: date
                 ) -> DocumentFile:
    name = document_filename("invoice_copy", invoice.invoice_number)
    own = erp_pdf(invoice.invoice_number, settings)
    if own is not None:
        return DocumentFile(name, own)
    copy = invoice_copy(invoice, today, language, settings.pay_portal_url,
                        settings.bank_instructions)
    pdf = render_invoice(copy, settings.documents, settings.company_name)
    if wants_einvoice(invoice.customer, settings.documents):
        xml = invoice_xml(copy, settings.documents, settings.company_name)
        return DocumentFile(name, embed(pdf, xml, language), einvoice=True)
    return DocumentFile(name, pdf)


def statement_file(customer, language: str, settings: Settings, today: date,
                   period: Optional[tuple[date, date]] = None) -> DocumentFile:
    content = render_statement(statement(customer, today, language, period),
                               settings.documents, settings.company_name)
    return DocumentFile(document_filename("statement", customer.account_number,
                                          period[0] if period else None), content)


def request_file(session: Session, request_id: int, settings: Settings, today: date
                 ) -> DocumentFile:
    """The file a document request stands for, rendered from the ledger as it is now."""
    request = session.get(DocumentRequest, request_id)
    customer = session.get(Customer, request.customer_id)
    language = request.language or customer.language or "en"
    if request.kind == "invoice_copy":
        return invoice_file(session.get(Invoice, request.invoice_id), language, settings, today)
    period = ((request.period_start, request.period_end)
              if request.period_start and request.period_end else None)
    return statement_file(customer, language, settings, today, period)
