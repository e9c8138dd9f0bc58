"""The conversations simulated customers hold: what each says, turn by turn, and what each
reply must hold (figures from the generated ledger). Ours: balance, invoice detail, pay
link, a payment plan confirmed, a promise to pay confirmed, a language switch; a web
(REST) sender first proves who it is, a phone is known by its number. The bare `rasa init`
bot: its own greet-and-mood talk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from bot.bench.checks import TROUBLE, Expect, day, money
from bot.bench.ledger import BenchCustomer, GeneratedLedger

REST, SMS, SLACK = "rest", "sms", "slack"


@dataclass(frozen=True)
class Turn:
    text: str
    expect: Expect


@dataclass(frozen=True)
class Script:
    name: str
    turns: tuple[Turn, ...]
    opening: int = 0  # turns before the questions a long conversation repeats


def _figures(text: str, *contains: str) -> Turn:
    return Turn(text, Expect(contains, TROUBLE))


def _opening(customer: BenchCustomer, channel: str) -> list[Turn]:
    """Asking the balance; on the web the assistant first asks who this is."""
    balance = money(customer.open_total, customer.currency)
    if channel != REST:  # a phone or a Slack user on file is known without asking
        return [_figures("what do we owe?", customer.name, balance)]
    proof = customer.open_invoice(len(customer.open_invoices) - 1)
    return [Turn("what do we owe?", Expect(("account number",))),
            _figures(f"{customer.account_number} and invoice {proof.number}",
                     customer.account_number, balance)]


def _invoice_and_pay_link(customer: BenchCustomer, index: int) -> list[Turn]:
    invoice = customer.open_invoice(index)
    return [_figures(f"is invoice {invoice.number} paid?", invoice.number,
                     money(invoice.open_amount, customer.currency),
                     money(invoice.amount, customer.currency)),
            _figures(f"how do I pay invoice {invoice.number}?",
                     f"account={customer.account_number}&invoice={invoice.number}")]


def account_script(customer: BenchCustomer, channel: str, today) -> Script:
    """Balance, an invoice, its pay link, a plan for the whole balance and a promise."""
    total = money(customer.open_total, customer.currency)
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=15)  # 15th of next month
    promised = customer.open_invoice(len(customer.open_invoices) - 1)
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    turns = [
        *_opening(customer, channel),
        *_invoice_and_pay_link(customer, 0),
        _figures("we'd like a payment plan for the whole balance, 3 monthly payments "
                 "starting on the 15th of next month", total, "3 monthly payments", day(first)),
        _figures("yes", "PLN-", total),
        _figures(f"we will pay invoice {promised.number} in full next friday",
                 money(promised.open_amount, customer.currency), day(friday), promised.number),
        _figures("yes", "PTP-", money(promised.open_amount, customer.currency)),
    ]
    return Script("account", tuple(turns))


def language_script(customer: BenchCustomer, channel: str, _today) -> Script:
    """Balance in English, a switch to Spanish, the balance again in Spanish."""
    turns = [
        *_opening(customer, channel),
        Turn("can we continue in Spanish?", Expect(("español",))),
        Turn("¿cuánto debemos?", Expect((money(customer.open_total, customer.currency, "es"),
                                         "saldo pendiente"))),
    ]
    if channel == REST:  # a web-verified contact's change waits for AR: it is confirmed first
        turns.append(Turn("sí", Expect(("CHG-",))))
    return Script("language", tuple(turns))


def big_customer_script(customer: BenchCustomer, channel: str, _today) -> Script:
    """The customer with thousands of open invoices: balance, two invoices, a pay link."""
    turns = [*_opening(customer, channel), *_invoice_and_pay_link(customer, 17),
             *_invoice_and_pay_link(customer, 4321)[:1]]
    return Script("big customer", tuple(turns))


def long_script(customer: BenchCustomer, turns: int) -> Script:
    """One web conversation of `turns` turns: verified, then asking again and again."""
    opening = _opening(customer, REST)
    cycle = [_figures("what is our balance?", money(customer.open_total, customer.currency)),
             *_invoice_and_pay_link(customer, 0), *_invoice_and_pay_link(customer, 1)]
    body = [cycle[n % len(cycle)] for n in range(max(0, turns - len(opening)))]
    return Script("long", tuple([*opening, *body][:turns]), opening=len(opening))


ScriptMaker = Callable[[BenchCustomer, str, object], Script]
# Every tenth conversation is the big customer's; the others share the rest.
MIX: tuple[ScriptMaker, ...] = (account_script, language_script, account_script,
                                language_script, account_script, big_customer_script,
                                account_script, language_script, account_script,
                                language_script)


class OurConversations:
    """Hands out conversations on the generated ledger: each regular customer at most once
    (a plan or a promise changes what its next conversation would be told)."""

    def __init__(self, ledger: GeneratedLedger):
        self.ledger = ledger
        self._next_regular = 0
        self._count = 0

    def next(self, channel: str) -> tuple[BenchCustomer, Script]:
        maker = MIX[self._count % len(MIX)]
        self._count += 1
        if maker is big_customer_script:
            customer = self.ledger.big
        else:
            customer = self.ledger.regular[self._next_regular % len(self.ledger.regular)]
            self._next_regular += 1
        return customer, maker(customer, channel, self.ledger.today)

    def long(self, turns: int) -> tuple[BenchCustomer, Script]:
        customer = self.ledger.regular[-1]  # never handed out by next() in a bench's time
        return customer, long_script(customer, turns)


# The bare `rasa init` bot's own responses (its domain.yml).
BARE_GREET = "Hey! How are you?"
BARE_HAPPY = "Great, carry on!"
BARE_CHEER = "Here is something to cheer you up:"
BARE_HELP = "Did that help you?"
BARE_BYE = "Bye"


def bare_script(number: int) -> Script:
    """Greet, a mood (good or bad, taking turns), the bot's answer, goodbye."""
    if number % 2:
        turns = (Turn("hello there", Expect((BARE_GREET,))),
                 Turn("I am sad", Expect((BARE_CHEER, BARE_HELP))),
                 Turn("yes", Expect((BARE_HAPPY,))),
                 Turn("goodbye", Expect((BARE_BYE,))))
    else:
        turns = (Turn("hi", Expect((BARE_GREET,))),
                 Turn("I am great", Expect((BARE_HAPPY,))),
                 Turn("bye", Expect((BARE_BYE,))))
    return Script("greet and mood", turns)


def bare_long_script(turns: int) -> Script:
    cycle = [Turn("hi", Expect((BARE_GREET,))), Turn("I am great", Expect((BARE_HAPPY,)))]
    return Script("long", tuple(cycle[n % 2] for n in range(turns)))
