"""Contact preferences: what to change, then the new value; new contacts wait for AR."""

from rasa_sdk.events import SlotSet

from actions.base import CallerAction, SyncAction
from actions.forms import CallerFormValidation, StartFormAction, clear
from bot.requests.contacts import (
    ContactInputError,
    field_from_text,
    normalise_preference,
    update_contact_preference,
)

PREFERENCE_SLOTS = ("preference_field", "preference_value")
FIELD_OF_ENTITY = {"channel": "channel", "email": "email", "language": "language"}


class ActionStartContactPreference(StartFormAction):
    """Opens the form with whatever the customer already said ("text me instead")."""

    def name(self) -> str:
        return "action_start_contact_preference"

    form_name = "contact_preference_form"

    def answer(self, session, caller, turn):
        events = []
        for entity, field in FIELD_OF_ENTITY.items():
            value = turn.entity(entity)
            if value:
                events = [SlotSet("preference_field", field), SlotSet("preference_value", value)]
                break
        return events + super().answer(session, caller, turn)


class ActionAskPreferenceValue(SyncAction):
    def name(self) -> str:
        return "action_ask_preference_value"

    def run_sync(self, turn):
        field = turn.slot("preference_field") or ""
        turn.say(f"utter_ask_preference_value_{field}" if field else "utter_ask_preference_value")
        return []


class ValidateContactPreferenceForm(CallerFormValidation):
    def name(self) -> str:
        return "validate_contact_preference_form"

    def validate_preference_field(self, value, dispatcher, tracker, domain):
        def field(session, caller, turn, text):
            found = field_from_text(text)
            if found is None:
                turn.say("utter_ask_preference_field")
            return found

        return self.check(tracker, dispatcher, domain, "preference_field", value, field)

    def validate_preference_value(self, value, dispatcher, tracker, domain):
        def checked(session, caller, turn, text):
            field = tracker.get_slot("preference_field") or ""
            try:
                normalise_preference(field, text)
            except ContactInputError:
                turn.say("utter_preference_value_invalid",
                         hint=turn.fragment(f"utter_ask_preference_value_{field}"))
                return None
            return text

        return self.check(tracker, dispatcher, domain, "preference_value", value, checked)


class ActionSubmitContactPreference(CallerAction):
    def name(self) -> str:
        return "action_submit_contact_preference"

    def answer(self, session, caller, turn):
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
        shown = change.new_value.replace("|", " ").strip()
        if field == "language":
            # The conversation speaks the language chosen from this very answer on,
            # whether the stored preference applies now or waits for AR.
            turn.language = change.new_value
            events.append(SlotSet("language", change.new_value))
            shown = turn.fragment(f"utter_language_name_{change.new_value}")
        elif field == "channel":
            shown = turn.fragment(f"utter_channel_name_{change.new_value}")
        response = "utter_preference_applied" if change.status == "applied" \
            else "utter_preference_pending"
        turn.say_now(response, field=turn.fragment(f"utter_preference_field_{field}"),
                     value=shown, reference=change.reference)
        return events
