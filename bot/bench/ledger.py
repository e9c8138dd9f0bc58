"""A generated ledger for the benchmark: seeded and reproducible, written as the CSV export
the importer reads, with the figures each simulated customer must be told."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from bot.ledger.importer import HEADERS

TODAY = date(2026, 11, 23)  # the business date the servers are told (AR_TODAY)
CURRENCIES = ("USD", "USD", "USD", "EUR", "CAD")
CENT = Decimal("0.01")
BIG_ACCOUNT = "BN-00000"


@dataclass(frozen=True)
class BenchInvoice:
    number: str
    issue_date: date
    due_date: date
    amount: Decimal
    paid: Decimal  # applied by payments

    @property
    def open_amount(self) -> Decimal:
        return self.amount - self.paid


@dataclass(frozen=True)
class BenchCustomer:
    account_number: str
    name: str
    currency: str
    language: str
    phones: tuple[str, ...]  # one contact per phone; the big customer has many
    invoices: tuple[BenchInvoice, ...]

    @property
    def open_invoices(self) -> list[BenchInvoice]:
        return [i for i in self.invoices if i.open_amount > 0]

    @property
    def open_total(self) -> Decimal:
        return sum((i.open_amount for i in self.open_invoices), Decimal("0"))

    def slack_user(self, phone: str) -> str:
        """The Slack user id of the contact with that phone (one per contact)."""
        return slack_user_of(phone)

    def open_invoice(self, index: int = 0) -> BenchInvoice:
        """One of its open invoices (by position, wrapping round)."""
        invoices = self.open_invoices
        return invoices[index % len(invoices)]


@dataclass(frozen=True)
class GeneratedLedger:
    customers: tuple[BenchCustomer, ...]  # the big one first
    today: date = TODAY

    @property
    def big(self) -> BenchCustomer:
        return self.customers[0]

    @property
    def regular(self) -> tuple[BenchCustomer, ...]:
        return self.customers[1:]

    @property
    def invoice_count(self) -> int:
        return sum(len(c.invoices) for c in self.customers)

    def write_csv(self, folder: Path) -> Path:
        """The ledger as an ERP export (customers, contacts, invoices, payments)."""
        folder.mkdir(parents=True, exist_ok=True)
        tables = {"customers.csv": self._customer_rows(), "contacts.csv": self._contact_rows(),
                  "invoices.csv": self._invoice_rows(), "payments.csv": self._payment_rows()}
        for name, rows in tables.items():
            with (folder / name).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(HEADERS[name].split(","))
                writer.writerows(rows)
        return folder

    def _customer_rows(self) -> Iterator[list]:
        for c in self.customers:
            yield [c.account_number, c.name, c.currency, 30, "100000.00", c.language]

    def _contact_rows(self) -> Iterator[list]:
        for c in self.customers:
            for n, phone in enumerate(c.phones):
                slug = f"ap{n}.{c.account_number.lower()}"
                yield [c.account_number, f"AP Clerk {n} {c.account_number}", phone,
                       f"{slug}@customers.example", slack_user_of(phone), "sms", c.language]

    def _invoice_rows(self) -> Iterator[list]:
        for c in self.customers:
            for i in c.invoices:
                yield [i.number, c.account_number, i.issue_date.isoformat(),
                       i.due_date.isoformat(), i.amount, c.currency, f"PO-{i.number}",
                       "Industrial supplies"]

    def _payment_rows(self) -> Iterator[list]:
        for c in self.customers:
            for i in c.invoices:
                if i.paid:
                    received = i.due_date - timedelta(days=3)
                    yield [f"PAY-{i.number}", c.account_number, received.isoformat(), i.paid,
                           "ach", i.number, i.paid]


def _amount(rng: random.Random, low: int = 200, high: int = 20000) -> Decimal:
    return (Decimal(rng.randint(low * 100, high * 100)) * CENT).quantize(CENT)


def slack_user_of(phone: str) -> str:
    return "UB" + phone.lstrip("+")


def _phone(serial: int) -> str:
    # +1 NPA 555 XXXX: 10,000 numbers per area code, area codes from 201 up.
    return f"+1{201 + serial // 10000}555{serial % 10000:04d}"


def _regular(rng: random.Random, serial: int, today: date) -> BenchCustomer:
    """Three invoices: one paid, one overdue and partly paid, one not yet due."""
    account = f"BN-{serial:05d}"
    paid_due = today - timedelta(days=rng.randint(60, 120))
    overdue_due = today - timedelta(days=rng.randint(5, 55))
    current_due = today + timedelta(days=rng.randint(3, 28))
    invoices = []
    for k, due in enumerate((paid_due, overdue_due, current_due), start=1):
        amount = _amount(rng)
        paid = {1: amount, 2: (amount * Decimal("0.4")).quantize(CENT), 3: Decimal("0")}[k]
        invoices.append(BenchInvoice(f"BI-{serial:05d}{k}", due - timedelta(days=30), due,
                                     amount, paid))
    return BenchCustomer(account, f"Customer {serial:05d} Supply Co", rng.choice(CURRENCIES),
                         "en", (_phone(serial),), tuple(invoices))


def _big(rng: random.Random, invoice_count: int, phone_count: int, first_phone: int,
         today: date) -> BenchCustomer:
    """The customer with thousands of open invoices, every aging bucket."""
    invoices = []
    for k in range(1, invoice_count + 1):
        due = today - timedelta(days=rng.randint(-30, 150))
        invoices.append(BenchInvoice(f"BX-{k:05d}", due - timedelta(days=30), due,
                                     _amount(rng, 50, 5000), Decimal("0")))
    phones = tuple(_phone(first_phone + n) for n in range(phone_count))
    return BenchCustomer(BIG_ACCOUNT, "Megamart Holdings", "USD", "en", phones, tuple(invoices))


def generate(customers: int = 10_000, big_invoices: int = 5_000, big_phones: int = 60,
             seed: int = 15, today: date = TODAY) -> GeneratedLedger:
    """`customers` customers (the first one the big one, with `big_invoices` open invoices
    and `big_phones` contacts); the same seed gives the same ledger."""
    rng = random.Random(seed)
    big = _big(rng, big_invoices, big_phones, customers, today)
    regular = [_regular(rng, serial, today) for serial in range(1, customers)]
    return GeneratedLedger((big, *regular), today)
