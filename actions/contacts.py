"""Contact preferences: what to change and the new value read from any message, a summary
the customer confirms, then the change (new contacts wait for AR)."""

from rasa_sdk.events import SlotSet

from actions.base import CallerAction
from actions.forms import CONFIRMED, AskFormSlot, ListeningForm, StartFormAction, clear
from bot.requests.contacts import ContactInputError, normalise_preference, update_contact_preference
from bot.requests.form_answers import FORM_SLOTS

PREFERENCE_SLOTS = FORM_SLOTS["contact_preference_form"] + (CONFIRMED,)


class ActionStartContactPreference(StartFormAction):
    def name(self) -> str:
        return "action_start_contact_preference"

    form_name = "contact_preference_form"


class ActionAskPreferenceValue(AskFormSlot):
    slot = "preference_value"

    def question(self, turn, form):
        field = turn.slot("preference_field") or ""
        return turn.fragment(f"utter_ask_preference_value_{field}" if field
                             else "utter_ask_preference_value")


class ValidateContactPreferenceForm(ListeningForm):
    def name(self) -> str:
        return "validate_contact_preference_form"

    def extract_preference_field(self, turn):
        return self.extract("preference_field", turn)

    def extract_preference_value(self, turn):
        return self.extract("preference_value", turn)


def _shown(turn, field: str, value: str) -> str:
    if field == "language":
        return turn.fragment(f"utter_language_name_{value}")
    if field == "channel":
        return turn.fragment(f"utter_channel_name_{value}")
    return value.replace("|", " ").strip()


def confirm_contact_change(session, caller, turn) -> None:
    field = turn.slot("preference_field")
    value = normalise_preference(field, turn.slot("preference_value") or "")
    turn.say("utter_confirm_contact_change",
             field=turn.fragment(f"utter_preference_field_{field}"),
             value=_shown(turn, field, value))


class ActionSubmitContactPreference(CallerAction):
    def name(self) -> str:
        return "action_submit_contact_preference"

    def answer(self, session, caller, turn):
        if turn.slot(CONFIRMED) != "yes":
            return clear(*PREFERENCE_SLOTS)  # cancelled: nothing is recorded
        field = turn.slot("preference_field")
        try:
            change = update_contact_preference(session, caller, field,
                                               turn.slot("preference_value") or "")
        except ContactInputError as refused:
            if refused.code == "email_on_file":
                turn.say("utter_preference_email_on_file")
            else:
                turn.say("utter_preference_value_invalid",
                         hint=turn.fragment(f"utter_ask_preference_value_{field}"))
            return clear(*PREFERENCE_SLOTS)
        events = clear(*PREFERENCE_SLOTS)
        shown = _shown(turn, field, change.new_value)
        if field == "language":
            # The conversation speaks the language chosen from this very answer on,
            # whether the stored preference applies now or waits for AR.
            turn.language = change.new_value
            events.append(SlotSet("language", change.new_value))
            shown = turn.fragment(f"utter_language_name_{change.new_value}")
        response = "utter_preference_applied" if change.status == "applied" \
            else "utter_preference_pending"
        turn.say_now(response, field=turn.fragment(f"utter_preference_field_{field}"),
                     value=shown, reference=change.reference)
        return events
