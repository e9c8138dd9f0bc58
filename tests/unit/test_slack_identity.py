"""Slack users not on file are recognised by the email Slack confirmed, and only then."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.identity import identify, link_slack_user_by_email
from bot.ledger.models import AuditEntry, Contact

BOB_SLACK = "U05ACMEBOB"  # not on file; Bob Smith (ACME-001) has no Slack user id


def test_a_confirmed_email_of_a_contact_ties_the_slack_user_to_that_contact(demo_db, now):
    with demo_db.session() as session:
        caller = link_slack_user_by_email(session, BOB_SLACK, " Bob.Smith@ACME.example ")
        assert (caller.account_number, caller.contact_name, caller.verified_by) == (
            "ACME-001", "Bob Smith", "slack")
    with demo_db.session() as session:
        later = identify(session, BOB_SLACK, "slack", now)
        audit = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "slack_user_linked")).one()
    assert later.contact_name == "Bob Smith"
    assert (audit.actor, audit.entity, audit.entity_id) == (
        f"slack:{BOB_SLACK}", "contact", later.contact_id)


def test_an_email_no_contact_has_ties_nobody(demo_db, now):
    with demo_db.session() as session:
        assert link_slack_user_by_email(session, BOB_SLACK, "someone@else.example") is None
        assert identify(session, BOB_SLACK, "slack", now) is None


def test_a_contact_already_tied_to_another_slack_user_is_not_taken_over(demo_db, now):
    with demo_db.session() as session:
        assert link_slack_user_by_email(session, "U0INTRUDER",
                                        "peter.gibbons@initech.example") is None
        peter = session.scalars(select(Contact).where(Contact.name == "Peter Gibbons")).one()
        assert peter.slack_user_id == "U03INITECH"
        assert identify(session, "U0INTRUDER", "slack", now) is None


def bob_awaits_confirmation(contact_named) -> None:
    contact_named("Bob Smith").status = "pending_confirmation"


def klaus_has_bobs_email_too(contact_named) -> None:
    contact_named("Klaus Weber").email = "bob.smith@acme.example"


@pytest.mark.parametrize("change", [bob_awaits_confirmation, klaus_has_bobs_email_too])
def test_a_contact_not_confirmed_or_an_email_two_contacts_share_ties_nobody(demo_db, now,
                                                                            change):
    with demo_db.session() as session:
        change(lambda name: session.scalars(select(Contact).where(Contact.name == name)).one())
    with demo_db.session() as session:
        assert link_slack_user_by_email(session, BOB_SLACK, "bob.smith@acme.example") is None
        assert identify(session, BOB_SLACK, "slack", now) is None
