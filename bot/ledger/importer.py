"""Loads an ERP export (CSV files) into the ledger: all rows or none, idempotently."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Iterable, Optional

import phonenumbers
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from bot.languages import SUPPORTED_LANGUAGES
from bot.ledger.audit import record
from bot.ledger.models import (
    CONTACT_CHANNELS,
    PAYMENT_METHODS,
    Contact,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentApplication,
)

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
HEADERS = {
    "customers.csv": "account_number,name,currency,payment_terms_days,credit_limit,language",
    "contacts.csv": "account_number,name,phone,email,slack_user_id,preferred_channel,language",
    "invoices.csv": "invoice_number,account_number,issue_date,due_date,amount,currency,"
    "po_number,description",
    "invoice_lines.csv": "invoice_number,line_number,description,quantity,unit_price",
    "payments.csv": "payment_reference,account_number,received_date,amount,method,"
    "invoice_number,applied_amount",
    "credit_notes.csv": "credit_note_number,account_number,issue_date,amount,invoice_number,reason",
}
# Parents before children, so a file can refer to rows of an earlier one.
IMPORT_ORDER = tuple(HEADERS)


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} row {self.row}, column {self.column}: {self.message}"


class LedgerImportError(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        parts = [
            f"{name}: {self.created[name]} new, {self.updated[name]} updated, "
            f"{self.unchanged[name]} unchanged"
            for name in self.files
        ]
        return "\n".join(parts) if parts else "no CSV files found"


class _Row:
    """One CSV row whose cells are parsed with the file, row and column kept for errors."""

    def __init__(self, file: str, number: int, cells: dict, errors: list[RowError]):
        self.file, self.number, self.cells, self.errors = file, number, cells, errors

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.file, self.number, column, message))

    def text(self, column: str, required: bool = True, max_length: int = 200) -> Optional[str]:
        value = (self.cells.get(column) or "").strip()
        if not value:
            if required:
                self.fail(column, "is empty")
            return None
        if len(value) > max_length:
            self.fail(column, f"is longer than {max_length} characters")
            return None
        return value

    def _parsed(self, column: str, required: bool, parse: Callable, expected: str):
        value = self.text(column, required)
        if value is None:
            return None
        try:
            return parse(value)
        except (ValueError, InvalidOperation):
            self.fail(column, f"{value!r} is not {expected}")
            return None

    def decimal(self, column: str, required: bool = True, positive: bool = True):
        def parse(value: str) -> Decimal:
            amount = Decimal(value)
            if not amount.is_finite() or "," in value:
                raise ValueError
            return amount

        amount = self._parsed(column, required, parse, "an amount with a dot as decimal separator")
        if amount is not None and positive and amount <= 0:
            self.fail(column, "must be greater than zero")
            return None
        return amount

    def date(self, column: str) -> Optional[date]:
        return self._parsed(column, True, date.fromisoformat, "an ISO 8601 date (YYYY-MM-DD)")

    def integer(self, column: str, minimum: int = 0) -> Optional[int]:
        number = self._parsed(column, True, int, "a whole number")
        if number is not None and number < minimum:
            self.fail(column, f"must be at least {minimum}")
            return None
        return number

    def choice(self, column: str, choices: Iterable[str], default: Optional[str] = None):
        value = self.text(column, required=default is None)
        if value is None:
            return default
        value = value.lower()
        if value not in choices:
            self.fail(column, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def currency(self, column: str) -> Optional[str]:
        value = self.text(column)
        if value is not None and not (len(value) == 3 and value.isalpha()):
            self.fail(column, f"{value!r} is not a three-letter currency code")
            return None
        return value.upper() if value else None

    def phone(self, column: str) -> Optional[str]:
        value = self.text(column, required=False)
        if value is None:
            return None
        try:
            number = phonenumbers.parse(value, None)
            # Possible, not "valid": the library's list of allocated ranges lags the
            # carriers', and a whole export must not fail on a new (or reserved) range.
            if phonenumbers.is_possible_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
        self.fail(column, f"{value!r} is not a phone number in international form (+15551234567)")
        return None

    def email(self, column: str) -> Optional[str]:
        value = self.text(column, required=False, max_length=254)
        if value is None:
            return None
        local, _, domain = value.partition("@")
        if not local or "." not in domain or " " in value:
            self.fail(column, f"{value!r} is not an email address")
            return None
        return value.lower()


def _read_rows(path: Path, errors: list[RowError]) -> list[_Row]:
    name = path.name
    expected = HEADERS[name].split(",")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [h for h in expected if h not in header]
        if missing:
            errors.append(RowError(name, 1, ",".join(missing), "missing from the header"))
            return []
        return [_Row(name, number, row, errors) for number, row in enumerate(reader, start=2)]


class _Importer:
    def __init__(self, session: Session, report: ImportReport, errors: list[RowError]):
        self.session, self.report, self.errors = session, report, errors
        self.customers = {c.account_number: c for c in session.scalars(select(Customer))}
        self.invoices = {i.invoice_number: i for i in session.scalars(select(Invoice))}

    def upsert(self, file: str, instance, values: dict) -> None:
        """Apply values to a loaded or new row, counting what really changed."""
        if inspect(instance).transient:
            for key, value in values.items():
                setattr(instance, key, value)
            self.session.add(instance)
            self.report.created[file] += 1
            return
        changed = False
        for key, value in values.items():
            if getattr(instance, key) != value:
                setattr(instance, key, value)
                changed = True
        self.report.updated[file] += changed
        self.report.unchanged[file] += not changed

    def customer(self, row: _Row) -> Optional[Customer]:
        number = row.text("account_number", max_length=40)
        if number is None:
            return None
        customer = self.customers.get(number)
        if customer is None:
            row.fail("account_number", f"no customer with account number {number!r}")
        return customer

    def invoice_of(self, row: _Row, customer: Optional[Customer], column="invoice_number"):
        number = row.text(column, required=False, max_length=40)
        if number is None:
            return None
        invoice = self.invoices.get(number)
        if invoice is None:
            row.fail(column, f"no invoice numbered {number!r}")
        elif customer is not None and invoice.customer is not customer:
            row.fail(column, f"invoice {number!r} belongs to another account")
            return None
        return invoice

    def import_customers(self, rows: list[_Row]) -> None:
        for row in rows:
            values = dict(
                account_number=row.text("account_number", max_length=40),
                name=row.text("name"),
                currency=row.currency("currency"),
                payment_terms_days=row.integer("payment_terms_days"),
                credit_limit=row.decimal("credit_limit", required=False, positive=False),
                language=row.choice("language", SUPPORTED_LANGUAGES, default="en"),
            )
            if "collector_slack_id" in row.cells:  # optional: the account's AR collector
                values["collector_slack_id"] = row.text("collector_slack_id", required=False,
                                                        max_length=40)
            if None in (values["account_number"], values["name"], values["currency"],
                        values["payment_terms_days"], values["language"]):
                continue
            customer = self.customers.get(values["account_number"]) or Customer()
            self.customers[values["account_number"]] = customer
            self.upsert(row.file, customer, values)

    def import_contacts(self, rows: list[_Row]) -> None:
        for row in rows:
            customer = self.customer(row)
            values = dict(
                name=row.text("name"),
                phone=row.phone("phone"),
                email=row.email("email"),
                slack_user_id=row.text("slack_user_id", required=False, max_length=40),
                preferred_channel=row.choice("preferred_channel", CONTACT_CHANNELS, default="email"),
                language=row.choice("language", SUPPORTED_LANGUAGES, default=""),
            )
            if customer is None or values["name"] is None or values["preferred_channel"] is None:
                continue
            values["language"] = values["language"] or None
            existing = next(
                (c for c in customer.contacts if c.name.casefold() == values["name"].casefold()),
                None,
            )
            contact = existing or Contact(customer=customer, status="active")
            self.upsert(row.file, contact, values)

    def import_invoices(self, rows: list[_Row]) -> None:
        for row in rows:
            customer = self.customer(row)
            values = dict(
                invoice_number=row.text("invoice_number", max_length=40),
                issue_date=row.date("issue_date"),
                due_date=row.date("due_date"),
                amount=row.decimal("amount"),
                currency=row.currency("currency"),
                po_number=row.text("po_number", required=False, max_length=60),
                description=row.text("description", required=False, max_length=2000),
            )
            if customer is None or None in (
                values["invoice_number"], values["issue_date"], values["due_date"],
                values["amount"], values["currency"],
            ):
                continue
            if values["due_date"] < values["issue_date"]:
                row.fail("due_date", "is before the issue date")
                continue
            if values["currency"] != customer.currency:
                row.fail("currency", f"account {customer.account_number} is billed in "
                                     f"{customer.currency}, not {values['currency']}")
                continue
            invoice = self.invoices.get(values["invoice_number"])
            if invoice is not None and invoice.customer is not customer:
                row.fail("account_number", "the invoice already belongs to another account")
                continue
            invoice = invoice or Invoice(customer=customer)
            self.invoices[values["invoice_number"]] = invoice
            self.upsert(row.file, invoice, values)

    def import_invoice_lines(self, rows: list[_Row]) -> None:
        for row in rows:
            invoice = self.invoice_of(row, None)
            values = dict(
                line_number=row.integer("line_number", minimum=1),
                description=row.text("description", max_length=2000),
                quantity=row.decimal("quantity", positive=False),
                unit_price=row.decimal("unit_price", positive=False),
            )
            if invoice is None or None in values.values():
                continue
            line = next((l for l in invoice.lines if l.line_number == values["line_number"]),
                        None) or InvoiceLine(invoice=invoice)
            self.upsert(row.file, line, values)

    def import_payments(self, rows: list[_Row]) -> None:
        payments = {p.payment_reference: p for p in self.session.scalars(select(Payment))}
        applied_in_file: dict[str, Decimal] = defaultdict(Decimal)
        references_in_file = {(r.cells.get("payment_reference") or "").strip() for r in rows}
        applied_to_invoice: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            customer = self.customer(row)
            values = dict(
                payment_reference=row.text("payment_reference", max_length=60),
                received_date=row.date("received_date"),
                amount=row.decimal("amount"),
                method=row.choice("method", PAYMENT_METHODS),
            )
            invoice = self.invoice_of(row, customer)
            applied = row.decimal("applied_amount", required=invoice is not None)
            if customer is None or None in values.values():
                continue
            reference = values["payment_reference"]
            payment = payments.get(reference)
            if payment is not None and payment.customer is not customer:
                row.fail("account_number", "the payment already belongs to another account")
                continue
            if payment is None or reference not in applied_in_file:
                payment = payment or Payment(customer=customer)
                payments[reference] = payment
                self.upsert(row.file, payment, values)
            elif payment.amount != values["amount"] or payment.received_date != values[
                "received_date"
            ]:
                row.fail("amount", f"payment {reference} has another amount or date on an "
                                   "earlier row")
                continue
            applied_in_file[reference] += applied or Decimal(0)
            if applied_in_file[reference] > payment.amount:
                row.fail("applied_amount", f"applications exceed payment {reference}'s amount")
                continue
            if invoice is None or applied is None:
                continue
            applied_to_invoice[invoice.invoice_number] += applied
            applied_elsewhere = sum((a.applied_amount for a in invoice.applications
                                     if a.payment.payment_reference not in references_in_file),
                                    Decimal(0))
            if applied_to_invoice[invoice.invoice_number] + applied_elsewhere > invoice.amount:
                row.fail("applied_amount", f"payments applied to invoice "
                                           f"{invoice.invoice_number} exceed its amount of "
                                           f"{invoice.amount}")
                continue
            application = next(
                (a for a in payment.applications if a.invoice is invoice), None
            ) or PaymentApplication(payment=payment, invoice=invoice)
            self.upsert(row.file, application, {"applied_amount": applied})

    def import_credit_notes(self, rows: list[_Row]) -> None:
        notes = {c.credit_note_number: c for c in self.session.scalars(select(CreditNote))}
        for row in rows:
            customer = self.customer(row)
            values = dict(
                credit_note_number=row.text("credit_note_number", max_length=40),
                issue_date=row.date("issue_date"),
                amount=row.decimal("amount"),
                reason=row.text("reason", required=False, max_length=2000),
            )
            invoice = self.invoice_of(row, customer)
            if customer is None or None in (
                values["credit_note_number"], values["issue_date"], values["amount"]
            ):
                continue
            note = notes.get(values["credit_note_number"]) or CreditNote(customer=customer)
            notes[values["credit_note_number"]] = note
            self.upsert(row.file, note, {**values, "invoice": invoice})


def import_directory(session: Session, directory: Path) -> ImportReport:
    """Import every known CSV in directory inside the caller's transaction.

    Raises LedgerImportError listing every bad row; the caller's rollback then
    leaves the ledger as it was.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise LedgerImportError([RowError(str(directory), 0, "-", "is not a directory")])
    errors: list[RowError] = []
    report = ImportReport()
    importer = _Importer(session, report, errors)
    for name in IMPORT_ORDER:
        path = directory / name
        if not path.exists():
            continue
        report.files.append(name)
        rows = _read_rows(path, errors)
        with session.no_autoflush:
            getattr(importer, f"import_{name[:-4]}")(rows)
        session.flush()
    if errors:
        raise LedgerImportError(errors)
    if report.changed:
        record(session, actor="import", action="ledger_imported", entity="ledger",
               details={"directory": str(directory), "created": dict(report.created),
                        "updated": dict(report.updated)})
    return report
