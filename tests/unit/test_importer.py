"""Loading the ERP export: everything or nothing, idempotent, and errors AR can act on
(file, row, column)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.ledger.figures import account_summary
from bot.ledger.importer import DEMO_DATA, LedgerImportError, import_directory
from bot.ledger.models import (
    AuditEntry,
    Contact,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentApplication,
)
from bot.runtime import cli
from bot.settings import PROJECT_ROOT, get_settings

TABLES = (Customer, Contact, Invoice, InvoiceLine, Payment, PaymentApplication, CreditNote,
          AuditEntry)

CUSTOMERS = """\
    account_number,name,currency,payment_terms_days,credit_limit,language
    A-1,Alpha Inc,USD,30,5000.00,en
    B-2,Beta GmbH,EUR,45,,de
    """
INVOICES = """\
    invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
    A-INV-1,A-1,2026-10-01,2026-10-31,100.00,USD,PO-1,Widgets
    A-INV-2,A-1,2026-10-05,2026-11-04,250.00,USD,,
    B-INV-1,B-2,2026-10-01,2026-11-15,400.00,EUR,,Schrauben
    """
PAYMENTS_HEADER = ("payment_reference,account_number,received_date,amount,method,"
                   "invoice_number,applied_amount\n")
CONTACTS_HEADER = "account_number,name,phone,email,slack_user_id,preferred_channel,language\n"


def row_counts(db) -> dict[str, int]:
    """Rows per table, read in a session of its own."""
    with db.session() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                for t in TABLES}


def import_expecting_error(db, folder) -> str:
    """Import in a session that rolls back on the error; the error's text."""
    with pytest.raises(LedgerImportError) as raised:
        with db.session() as session:
            import_directory(session, folder)
    return str(raised.value)


# --- the demo export ---------------------------------------------------------------------

def test_demo_data_imports(db, today):
    with db.session() as session:
        report = import_directory(session, DEMO_DATA)
    assert dict(report.created) == {
        "customers.csv": 6, "contacts.csv": 7, "invoices.csv": 17, "invoice_lines.csv": 3,
        # 6 payments and the 5 applications among them
        "payments.csv": 11, "credit_notes.csv": 1,
    }
    assert report.changed
    counts = row_counts(db)
    assert counts == {"customers": 6, "contacts": 7, "invoices": 17, "invoice_lines": 3,
                      "payments": 6, "payment_applications": 5, "credit_notes": 1,
                      "audit_log": 1}
    with db.session() as session:
        klaus = session.scalars(select(Contact).where(Contact.name == "Klaus Weber")).one()
        assert klaus.phone == "+4915112345678" and klaus.preferred_channel == "whatsapp"
        assert klaus.customer.account_number == "GLOBEX-002"
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action) == ("import", "ledger_imported")


def test_reimporting_the_same_export_changes_nothing(db):
    with db.session() as session:
        import_directory(session, DEMO_DATA)
    before = row_counts(db)
    with db.session() as session:
        report = import_directory(session, DEMO_DATA)
    assert not report.changed
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert report.unchanged["invoices.csv"] == 17
    assert report.unchanged["customers.csv"] == 6
    assert row_counts(db) == before  # the audit log included: no new entry


def test_reimport_with_a_changed_amount_updates_that_row_only(db, write_csvs):
    first = write_csvs({"customers.csv": CUSTOMERS, "invoices.csv": INVOICES})
    second = write_csvs({"customers.csv": CUSTOMERS,
                         "invoices.csv": INVOICES.replace("250.00", "275.00")})
    with db.session() as session:
        import_directory(session, first)
    with db.session() as session:
        report = import_directory(session, second)
    assert report.updated["invoices.csv"] == 1 and report.unchanged["invoices.csv"] == 2
    assert row_counts(db)["invoices"] == 3
    assert row_counts(db)["audit_log"] == 2
    with db.session() as session:
        invoice = session.scalars(select(Invoice).where(Invoice.invoice_number == "A-INV-2")).one()
        assert invoice.amount == Decimal("275.00")


def test_any_subset_of_files_imports(db, write_csvs):
    folder = write_csvs({"customers.csv": CUSTOMERS})
    with db.session() as session:
        report = import_directory(session, folder)
    assert report.files == ["customers.csv"]
    assert dict(report.created) == {"customers.csv": 2}
    counts = row_counts(db)
    assert counts["customers"] == 2 and counts["invoices"] == 0
    # Later, invoices alone refer to the customers already in the ledger.
    with db.session() as session:
        report = import_directory(session, write_csvs({"invoices.csv": INVOICES}))
    assert dict(report.created) == {"invoices.csv": 3}


def test_an_empty_folder_imports_nothing_and_says_so(db, write_csvs):
    with db.session() as session:
        report = import_directory(session, write_csvs({}))
    assert report.summary() == "no CSV files found"
    assert row_counts(db)["audit_log"] == 0


# --- bad data: nothing is written, and the error says where ------------------------------

def test_a_bad_amount_rolls_back_every_file_and_names_file_row_and_column(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "contacts.csv": CONTACTS_HEADER + "A-1,Ann Lee,+14155550111,ann@alpha.example,,sms,en\n",
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            A-INV-1,A-1,2026-10-01,2026-10-31,100.00,USD,,
            A-INV-2,A-1,2026-10-05,2026-11-04,"12,50",USD,,
            """,
    })
    message = import_expecting_error(db, folder)
    assert "invoices.csv row 3, column amount" in message
    assert "12,50" in message
    # Nothing from the good files (customers, contacts) nor the good row was kept.
    assert set(row_counts(db).values()) == {0}


def test_a_bad_row_in_the_last_file_rolls_back_the_earlier_files(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": INVOICES,
        "credit_notes.csv": """\
            credit_note_number,account_number,issue_date,amount,invoice_number,reason
            CN-1,A-1,2026-10-10,20.00,A-INV-1,ok
            CN-2,A-1,not-a-date,20.00,A-INV-1,bad date
            """,
    })
    message = import_expecting_error(db, folder)
    assert "credit_notes.csv row 3, column issue_date" in message
    assert set(row_counts(db).values()) == {0}


def test_a_bad_reimport_leaves_the_earlier_import_as_it_was(db, write_csvs):
    with db.session() as session:
        import_directory(session, write_csvs({"customers.csv": CUSTOMERS,
                                              "invoices.csv": INVOICES}))
    before = row_counts(db)
    bad = write_csvs({
        "customers.csv": CUSTOMERS.replace("Alpha Inc", "Alpha Renamed Inc"),
        "invoices.csv": INVOICES + "A-INV-3,A-1,2026-10-01,2026-10-31,-5.00,USD,,\n",
    })
    message = import_expecting_error(db, bad)
    assert "invoices.csv row 5, column amount" in message
    assert row_counts(db) == before
    with db.session() as session:
        names = set(session.scalars(select(Customer.name)))
    assert names == {"Alpha Inc", "Beta GmbH"}


def test_every_bad_row_is_listed_not_only_the_first(db, write_csvs):
    folder = write_csvs({"customers.csv": """\
        account_number,name,currency,payment_terms_days,credit_limit,language
        A-1,Alpha Inc,US,30,,en
        B-2,,EUR,thirty,,de
        """})
    message = import_expecting_error(db, folder)
    assert "customers.csv row 2, column currency" in message
    assert "customers.csv row 3, column name" in message
    assert "customers.csv row 3, column payment_terms_days" in message


def test_wrong_header_is_reported_as_row_1(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due,amt,currency,po_number,description
            A-INV-1,A-1,2026-10-01,2026-10-31,100.00,USD,,
            """,
    })
    message = import_expecting_error(db, folder)
    assert "invoices.csv row 1" in message
    assert "due_date" in message and "amount" in message
    assert "missing from the header" in message
    assert set(row_counts(db).values()) == {0}


def test_contact_of_an_unknown_account_is_rejected(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "contacts.csv": CONTACTS_HEADER + "Z-9,Zed Zero,+14155550111,zed@zero.example,,sms,en\n",
    })
    message = import_expecting_error(db, folder)
    assert "contacts.csv row 2, column account_number" in message
    assert "Z-9" in message
    assert row_counts(db)["customers"] == 0


def test_invoice_in_another_currency_than_the_customer_is_rejected(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            A-INV-1,A-1,2026-10-01,2026-10-31,100.00,EUR,,
            """,
    })
    message = import_expecting_error(db, folder)
    assert "invoices.csv row 2, column currency" in message
    assert "USD" in message and "EUR" in message


def test_invoice_due_before_it_was_issued_is_rejected(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            A-INV-1,A-1,2026-10-31,2026-10-01,100.00,USD,,
            """,
    })
    assert "invoices.csv row 2, column due_date" in import_expecting_error(db, folder)


def test_applications_above_the_payment_amount_are_rejected(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS_HEADER
        + "P-1,A-1,2026-11-01,300.00,ach,A-INV-1,100.00\n"
        + "P-1,A-1,2026-11-01,300.00,ach,A-INV-2,200.01\n",
    })
    message = import_expecting_error(db, folder)
    assert "payments.csv row 3, column applied_amount" in message
    assert set(row_counts(db).values()) == {0}


def test_applications_up_to_the_payment_amount_are_accepted(db, write_csvs, today):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS_HEADER
        + "P-1,A-1,2026-11-01,300.00,ach,A-INV-1,100.00\n"
        + "P-1,A-1,2026-11-01,300.00,ach,A-INV-2,200.00\n",
    })
    with db.session() as session:
        import_directory(session, folder)
    counts = row_counts(db)
    assert counts["payments"] == 1 and counts["payment_applications"] == 2
    with db.session() as session:
        alpha = session.scalars(select(Customer).where(Customer.account_number == "A-1")).one()
        summary = account_summary(alpha, today)
        assert summary.open_total == Decimal("50.00")
        assert summary.unapplied_credits == Decimal("0")


def test_application_above_the_invoice_amount_is_rejected(db, write_csvs):
    """A 500.00 payment applied in full to a 100.00 invoice: accepting it would make the
    customer's 400.00 overpayment vanish (the invoice's open amount stops at zero and the
    payment shows nothing unapplied), so the row must be refused like any other
    inconsistent application."""
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS_HEADER + "P-1,A-1,2026-11-01,500.00,ach,A-INV-1,500.00\n",
    })
    message = import_expecting_error(db, folder)
    assert "payments.csv row 2" in message
    assert set(row_counts(db).values()) == {0}


def test_applications_of_several_payments_above_the_invoice_amount_are_rejected(
        db, write_csvs, today):
    """Two 60.00 payments both applied to one 100.00 invoice: each row alone fits, but
    together they apply 120.00, and the 20.00 overpayment would vanish from the account
    (the invoice stops at zero open, neither payment shows anything unapplied)."""
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS_HEADER
        + "P-1,A-1,2026-11-01,60.00,ach,A-INV-1,60.00\n"
        + "P-2,A-1,2026-11-02,60.00,ach,A-INV-1,60.00\n",
    })
    message = import_expecting_error(db, folder)
    assert "payments.csv row 3" in message
    assert set(row_counts(db).values()) == {0}


def test_payment_applied_to_another_accounts_invoice_is_rejected(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS_HEADER + "P-1,A-1,2026-11-01,400.00,wire,B-INV-1,400.00\n",
    })
    message = import_expecting_error(db, folder)
    assert "payments.csv row 2, column invoice_number" in message
    assert "B-INV-1" in message


def test_invalid_phone_is_rejected(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "contacts.csv": CONTACTS_HEADER
        + "A-1,Ann Lee,+14155550111,ann@alpha.example,,sms,en\n"
        + "A-1,Al Bo,555-1234,al@alpha.example,,sms,en\n",
    })
    message = import_expecting_error(db, folder)
    assert "contacts.csv row 3, column phone" in message
    assert "555-1234" in message


def test_a_phone_in_a_range_the_library_does_not_list_is_kept(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "contacts.csv": CONTACTS_HEADER + "A-1,Ann Lee,+447700900131,ann@alpha.example,,sms,en\n",
    })
    with db.session() as session:
        import_directory(session, folder)
    with db.session() as session:
        assert session.scalars(select(Contact)).one().phone == "+447700900131"


def test_phones_and_emails_are_stored_in_one_form(db, write_csvs):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "contacts.csv": CONTACTS_HEADER
        + "A-1,Ann Lee,+1 (415) 555-0111,Ann.Lee@Alpha.Example,,SMS,\n",
    })
    with db.session() as session:
        import_directory(session, folder)
    with db.session() as session:
        ann = session.scalars(select(Contact)).one()
        assert (ann.phone, ann.email, ann.preferred_channel, ann.status) == (
            "+14155550111", "ann.lee@alpha.example", "sms", "active")


def test_a_folder_that_does_not_exist_is_an_error(db, tmp_path):
    with pytest.raises(LedgerImportError):
        with db.session() as session:
            import_directory(session, tmp_path / "nowhere")


# --- the command line --------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """`python -m bot` pointed at this test's state directory."""
    monkeypatch.setenv("AR_STATE_DIR", str(tmp_path / "state"))
    for name in ("AR_DATABASE_URL", "AR_TODAY"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path / "state"
    get_settings.cache_clear()


def test_cli_import_of_bad_data_exits_1_and_says_where(cli_env, write_csvs, capsys):
    folder = write_csvs({
        "customers.csv": CUSTOMERS,
        "invoices.csv": """\
            invoice_number,account_number,issue_date,due_date,amount,currency,po_number,description
            A-INV-1,A-1,2026-10-01,2026-10-31,100.00,USD,,
            A-INV-2,A-1,2026-10-05,2026-11-04,"12,50",USD,,
            """,
    })
    assert cli.main(["import", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "Nothing was imported" in err
    assert "invoices.csv row 3, column amount" in err
    assert out == ""
    # And indeed nothing was: a good import afterwards creates every customer anew.
    assert cli.main(["import", str(write_csvs({"customers.csv": CUSTOMERS}))]) == 0
    out, _ = capsys.readouterr()
    assert "customers.csv: 2 new, 0 updated, 0 unchanged" in out


def test_cli_import_of_the_demo_data_exits_0_and_reports_counts(cli_env, capsys):
    assert cli.main(["import", str(DEMO_DATA)]) == 0
    out, _ = capsys.readouterr()
    assert "invoices.csv: 17 new, 0 updated, 0 unchanged" in out
    assert cli.main(["import", str(DEMO_DATA)]) == 0
    out, _ = capsys.readouterr()
    assert "invoices.csv: 0 new, 0 updated, 17 unchanged" in out


def test_python_m_bot_import_exit_code_and_stderr(tmp_path, write_csvs):
    folder = write_csvs({"customers.csv": CUSTOMERS.replace(",USD,", ",DOLLARS,")})
    env = {k: v for k, v in os.environ.items() if k not in ("AR_DATABASE_URL", "AR_TODAY")}
    env["AR_STATE_DIR"] = str(tmp_path / "state")
    done = subprocess.run([sys.executable, "-m", "bot", "import", str(folder)], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "customers.csv row 2, column currency" in done.stderr


def test_the_accounts_collector_is_optional_and_kept_when_a_later_export_omits_it(db, write_csvs):
    with db.session() as session:
        import_directory(session, write_csvs({"customers.csv": """\
            account_number,name,currency,payment_terms_days,credit_limit,language,collector_slack_id
            A-1,Alpha Inc,USD,30,5000.00,en,U0COLLMARIA
            B-2,Beta GmbH,EUR,45,,de,
            """}))
    with db.session() as session:
        import_directory(session, write_csvs({"customers.csv": CUSTOMERS}))
    with db.session() as session:
        collectors = dict(session.execute(select(Customer.account_number,
                                                 Customer.collector_slack_id)).all())
    assert collectors == {"A-1": "U0COLLMARIA", "B-2": None}
