"""`python -m bot render invoice NUMBER --out FILE`, `render statement ACCOUNT [--from DATE
--to DATE] --out FILE` and `render benchmark`: for AR staff, the README's pictures and tests."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.documents.files import invoice_file, statement_file


def add_render_parser(commands) -> None:
    render = commands.add_parser("render", help="write an invoice copy or a statement as PDF, "
                                 "or time the rendering")
    kinds = render.add_subparsers(dest="document", required=True)
    invoice = kinds.add_parser("invoice", help="an invoice copy (Factur-X for e-invoice customers)")
    invoice.add_argument("number")
    statement = kinds.add_parser("statement", help="a statement of account (open items and "
                                 "aging), or with --from/--to the account's activity")
    statement.add_argument("account")
    statement.add_argument("--from", dest="start", type=date.fromisoformat, metavar="DATE")
    statement.add_argument("--to", dest="end", type=date.fromisoformat, metavar="DATE")
    for kind in (invoice, statement):
        kind.add_argument("--out", required=True, metavar="FILE")
        kind.add_argument("--language", help="en, es, fr, de or pt (default: the customer's)")
    bench = kinds.add_parser("benchmark", help="print render time per document (median, p95)")
    bench.add_argument("--runs", type=int, default=20)
    documents = commands.add_parser("documents", help="AR staff: approve an address a "
                                    "document waits for, or revoke a document's link")
    actions = documents.add_subparsers(dest="action", required=True)
    for name, text in (("approve", "send the document to the address it waits for"),
                       ("revoke", "make the document's link open nothing from now on")):
        action = actions.add_parser(name, help=text)
        action.add_argument("reference", help="the DOC- reference the customer was given")
        action.add_argument("--by", default="ar:cli", help="who, for the audit log")


def documents_command(app, args) -> int:
    from bot.documents.access import approve_address, revoke

    act = approve_address if args.action == "approve" else revoke
    with app.session() as session:
        done = act(session, args.reference, app.now(), args.by)
    if not done:
        print(f"No document {args.reference}"
              + (" waiting for approval." if args.action == "approve" else "."),
              file=sys.stderr)
        return 1
    print(f"{args.reference}: " + ("queued for email; the running assistant sends it."
                                   if args.action == "approve" else "link revoked."))
    return 0


def render_command(app, args) -> int:
    from bot.ledger.models import Customer, Invoice

    if args.document == "benchmark":
        from bot.documents.benchmark import run

        print("\n".join(run(app.settings, args.runs)))
        return 0
    with app.session() as session:
        if args.document == "invoice":
            invoice = session.scalars(select(Invoice).where(
                Invoice.invoice_number == args.number)).first()
            if invoice is None:
                print(f"No invoice {args.number} in the ledger.", file=sys.stderr)
                return 1
            document = invoice_file(invoice, args.language or invoice.customer.language,
                                    app.settings, app.today())
        else:
            customer = session.scalars(select(Customer).where(
                Customer.account_number == args.account)).first()
            if customer is None:
                print(f"No account {args.account} in the ledger.", file=sys.stderr)
                return 1
            if bool(args.start) != bool(args.end) and not args.start:
                print("--to needs --from", file=sys.stderr)
                return 2
            period = (args.start, args.end or app.today()) if args.start else None
            if period and period[0] > period[1]:
                print("--from must not be after --to", file=sys.stderr)
                return 2
            document = statement_file(customer, args.language or customer.language,
                                      app.settings, app.today(), period)
    Path(args.out).write_bytes(document.content)
    print(f"{args.out}: {document.filename}, {len(document.content) / 1024:.0f} KiB"
          + (", Factur-X (EN 16931 XML embedded)" if document.einvoice else ""))
    return 0
