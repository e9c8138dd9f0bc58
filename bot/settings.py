"""Every setting of the assistant, read from environment variables in this one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# ACTION_SERVER_URL's default: the Rasa server runs the actions itself
# (integrations/in_process_actions.py), no action server.
ACTIONS_IN_PROCESS = "in-process:"


def actions_in_process(action_server_url: Optional[str]) -> bool:
    """Whether an ACTION_SERVER_URL means the Rasa server runs the actions itself."""
    return (action_server_url or "").strip().lower().startswith(ACTIONS_IN_PROCESS)


def _decimal(env: Mapping[str, str], name: str, default: str) -> Decimal:
    return Decimal(env.get(name, default))


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(env.get(name, str(default)))


def _bank_instructions(env: Mapping[str, str]) -> dict[str, str]:
    """Wire and ACH instructions per currency: AR_BANK_INSTRUCTIONS_<CCY>."""
    prefix = "AR_BANK_INSTRUCTIONS_"
    found = {k[len(prefix):].upper(): v for k, v in env.items() if k.startswith(prefix) and v}
    return found or dict(DEMO_BANK_INSTRUCTIONS)


DEMO_BANK_INSTRUCTIONS = {
    "USD": "ACH or wire to Demo Bank NA, ABA 021000021, account 483920117, "
    "beneficiary Northwind Supply Inc. Put the invoice number in the remittance memo.",
    "EUR": "SEPA transfer to Demo Bank AG, IBAN DE89 3704 0044 0532 0130 00, "
    "BIC COBADEFFXXX, beneficiary Northwind Supply GmbH. Reference: the invoice number.",
    "CAD": "EFT or wire to Demo Bank of Canada, transit 00012, institution 003, "
    "account 7781234, beneficiary Northwind Supply Ltd. Reference: the invoice number.",
}


@dataclass(frozen=True)
class PlanPolicy:
    """Limits within which a payment plan is approved without a person."""

    max_instalments: int = 6
    min_first_payment_ratio: Decimal = Decimal("0.10")
    max_term_days: int = 180
    max_start_delay_days: int = 30


@dataclass(frozen=True)
class Settings:
    ar_database_url: str
    tracker_store_url: str
    action_server_url: str
    rasa_interface: str
    rasa_port: int
    action_port: int
    action_interface: str
    rasa_auth_token: str
    pay_portal_url: str
    bank_instructions: dict[str, str]
    plan_policy: PlanPolicy
    promise_horizon_days: int
    verification_max_attempts: int
    verification_max_account_failures: int
    verification_window_minutes: int
    verification_ttl_hours: int
    state_dir: Path
    models_dir: Path
    today_override: Optional[str] = None
    # Rasa's conversation locks: sqlite:///file (the servers and workers of one machine),
    # redis://:password@host:port/db (several machines), empty (in memory, one process);
    # and how many Rasa worker processes serve each port (one per core).
    lock_store_url: str = field(default="", repr=False)
    rasa_workers: int = 2
    # Turns one worker works on at once; the others wait in the order they came, so that
    # its event loop stays free to acknowledge webhooks (0: no limit).
    turns_at_once: int = 3
    # Where the workers of one server keep their Prometheus counts (set by the runner).
    metrics_dir: str = ""
    # Twilio (SMS, WhatsApp); empty account or token: the connector refuses webhooks.
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from_number: str = ""
    twilio_whatsapp_from: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    # The address the outside world calls us at (webhook signatures cover it).
    public_base_url: str = "http://127.0.0.1:5005"
    # Outbox: first retry of a failed send after this (then x4 each time); due
    # retries are looked for this often.
    outbox_first_retry_seconds: float = 30.0
    outbox_poll_seconds: float = 5.0
    # Per-sender rate limit on every customer channel: at most this many messages in
    # each window reach the assistant (0: no limit); more are kept (up to max held per
    # sender) and answered in order later, looked for every outbox_poll_seconds.
    rate_limit_messages: int = 10
    rate_limit_window_seconds: float = 60.0
    rate_limit_max_held: int = 100
    # A customer message being answered is claimed by its server, which renews the claim
    # every third of this while the turn runs; a claim not renewed for this long was left
    # by a server that died mid-turn, and a live server answers the message instead.
    inbound_claim_seconds: float = 30.0
    # Who we are and how to reach a person, for HELP replies.
    company_name: str = "Northwind Supply"
    support_contact: str = "ar@northwind.example or +1 415 555 0100"
    # Slack (customers in Slack Connect channels); no token or signing secret: the
    # connector refuses Slack's requests.
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_api_base_url: str = "https://slack.com/api/"
    slack_max_message_chars: int = 4000
    # Web chat: signs the session cookie (empty: a random one kept in the state dir);
    # a session cookie older than this starts a new conversation.
    webchat_secret: str = field(default="", repr=False)
    webchat_session_hours: float = 12.0
    # The managers' console (bot/console): where it listens, its cookies, its lockout,
    # what it calls unsure, how long transcripts are kept, where reviewed examples go.
    console_interface: str = "127.0.0.1"
    console_port: int = 5080
    # Where managers open the console; https: its cookies are marked Secure.
    console_public_url: str = "http://127.0.0.1:5080"
    console_session_hours: float = 8.0
    console_max_login_failures: int = 5
    console_lockout_minutes: int = 15
    console_low_confidence: float = 0.6
    transcript_retention_days: int = 365
    nlu_data_dir: Path = PROJECT_ROOT / "data" / "nlu"
    test_stories_dir: Path = PROJECT_ROOT / "tests" / "stories"
    # Handoff to AR collectors in Slack: the AR channel's id (empty: handoffs are recorded
    # but no card is posted), Socket Mode's app-level token (optional), re-announce an
    # unclaimed card after this many minutes, disputes above this amount go to a person,
    # the AR team's hours ("Mon-Fri 08:00-18:00 America/New_York"), and the translation
    # service for customer messages (empty: none, the bot's English reading only).
    slack_handoff_channel: str = ""
    slack_app_token: str = field(default="", repr=False)
    handoff_sla_minutes: float = 15.0
    handoff_dispute_threshold: Decimal = Decimal("5000")
    office_hours: str = "Mon-Fri 08:00-18:00 America/New_York"
    handoff_translator: str = ""
    # Documents (invoice copies, statements): the seller on them, signed links, e-invoices,
    # the ERP's own PDFs, MMS, and the mail server (bot/documents, integrations/smtp_mailer).
    documents: "DocumentSettings" = field(default_factory=lambda: DocumentSettings())
    # Logs of every process: json (one object per line) or text (readable lines).
    log_format: str = "json"
    # Past one machine (README "Running in production"): the ports of every Rasa server and
    # action server `python -m bot run` starts here (default: RASA_PORT and
    # ACTION_SERVER_PORT alone), and the Redis lock store they share
    # (redis://:password@host:port/db; sqlite:///file for the servers of one machine).
    rasa_ports: tuple[int, ...] = ()
    action_ports: tuple[int, ...] = ()

    @property
    def actions_in_process(self) -> bool:
        """Whether the Rasa server runs the actions itself (no action server)."""
        return actions_in_process(self.action_server_url)


@dataclass(frozen=True)
class DocumentSettings:
    company_address: str = "100 Harbor Way, San Francisco, CA 94105, USA"
    company_tax_id: str = "US 94-1234567"
    company_country: str = "US"  # ISO 3166 code, for e-invoices
    logo_path: str = ""
    accent_colour: str = "#1F5FAD"
    # The seller's account a EUR payment QR (EPC/GiroCode) pays into.
    epc_iban: str = "DE89370400440532013000"
    epc_bic: str = "COBADEFFXXX"
    epc_beneficiary: str = "Northwind Supply GmbH"
    link_hours: float = 72.0
    link_secret: str = field(default="", repr=False)
    einvoice_currencies: tuple[str, ...] = ("EUR",)
    einvoice_accounts: tuple[str, ...] = ()
    erp_pdf_dir: str = ""
    erp_pdf_url: str = ""
    twilio_mms: bool = False
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = "Northwind Supply AR <ar@northwind.example>"
    smtp_reply_to: str = ""
    smtp_timeout_seconds: float = 10.0


def kept_secret(path: Path) -> str:
    """A random secret kept in a file (owner-only), made on first use. Several processes
    starting at once (the servers, the Rasa workers) all read the same one: it is written
    whole to a file of its own and then linked into place, which only one of them can do."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its secret is the one
        finally:
            draft.unlink()
    return path.read_text().strip()


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    env = os.environ if env is None else env
    state_dir = Path(env.get("AR_STATE_DIR", str(PROJECT_ROOT / "var")))
    lock_store_url = env.get("LOCK_STORE_URL", f"sqlite:///{state_dir / 'locks.db'}")
    rasa_port = _int(env, "RASA_PORT", 5005)
    action_port = _int(env, "ACTION_SERVER_PORT", 5055)
    # The actions run inside the Rasa server's workers unless an action server is named
    # (http://host:port/webhook: past one machine, README "Several servers").
    action_server_url = env.get("ACTION_SERVER_URL", "").strip() or ACTIONS_IN_PROCESS
    return Settings(
        ar_database_url=env.get("AR_DATABASE_URL", f"sqlite:///{state_dir / 'ar.db'}"),
        tracker_store_url=env.get("TRACKER_STORE_URL", f"sqlite:///{state_dir / 'tracker.db'}"),
        action_server_url=action_server_url,
        rasa_interface=env.get("RASA_INTERFACE", "127.0.0.1"),
        rasa_port=rasa_port,
        action_port=action_port,
        action_interface=env.get("ACTION_SERVER_INTERFACE", "127.0.0.1"),
        lock_store_url=lock_store_url,
        # Workers share the two cores of the machine it was measured on (README, "Speed"):
        # three when they run the actions too, else two (an action server is a process
        # of its own); they need a lock store they share, so one without.
        rasa_workers=_int(env, "RASA_WORKERS", (3 if actions_in_process(action_server_url)
                                                else 2) if lock_store_url else 1),
        turns_at_once=_int(env, "RASA_TURNS_AT_ONCE", 3),
        metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR", ""),
        rasa_auth_token=env.get("RASA_AUTH_TOKEN", ""),
        pay_portal_url=env.get(
            "AR_PAY_PORTAL_URL", "https://pay.example.com/pay?account={account_number}&invoice={invoice_number}"
        ),
        bank_instructions=_bank_instructions(env),
        plan_policy=PlanPolicy(
            max_instalments=_int(env, "AR_PLAN_MAX_INSTALMENTS", 6),
            min_first_payment_ratio=_decimal(env, "AR_PLAN_MIN_FIRST_PAYMENT_RATIO", "0.10"),
            max_term_days=_int(env, "AR_PLAN_MAX_TERM_DAYS", 180),
            max_start_delay_days=_int(env, "AR_PLAN_MAX_START_DELAY_DAYS", 30),
        ),
        promise_horizon_days=_int(env, "AR_PROMISE_HORIZON_DAYS", 60),
        verification_max_attempts=_int(env, "AR_VERIFICATION_MAX_ATTEMPTS", 3),
        verification_max_account_failures=_int(env, "AR_VERIFICATION_MAX_ACCOUNT_FAILURES", 10),
        verification_window_minutes=_int(env, "AR_VERIFICATION_WINDOW_MINUTES", 30),
        verification_ttl_hours=_int(env, "AR_VERIFICATION_TTL_HOURS", 12),
        state_dir=state_dir,
        models_dir=Path(env.get("RASA_MODELS_DIR", str(PROJECT_ROOT / "models"))),
        today_override=env.get("AR_TODAY") or None,
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        twilio_from_number=env.get("TWILIO_FROM_NUMBER", ""),
        twilio_whatsapp_from=env.get("TWILIO_WHATSAPP_FROM", ""),
        twilio_api_base_url=env.get("TWILIO_API_BASE_URL", "https://api.twilio.com"),
        public_base_url=env.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{rasa_port}"),
        outbox_first_retry_seconds=float(env.get("OUTBOX_FIRST_RETRY_SECONDS", "30")),
        outbox_poll_seconds=float(env.get("OUTBOX_POLL_SECONDS", "5")),
        rate_limit_messages=_int(env, "RATE_LIMIT_MESSAGES", 10),
        rate_limit_window_seconds=float(env.get("RATE_LIMIT_WINDOW_SECONDS", "60")),
        rate_limit_max_held=_int(env, "RATE_LIMIT_MAX_HELD", 100),
        inbound_claim_seconds=float(env.get("INBOUND_CLAIM_SECONDS", "30")),
        company_name=env.get("AR_COMPANY_NAME", "Northwind Supply"),
        support_contact=env.get("AR_SUPPORT_CONTACT",
                                "ar@northwind.example or +1 415 555 0100"),
        slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
        slack_api_base_url=env.get("SLACK_API_BASE_URL", "https://slack.com/api/"),
        slack_max_message_chars=_int(env, "SLACK_MAX_MESSAGE_CHARS", 4000),
        webchat_secret=env.get("WEBCHAT_SECRET", ""),
        webchat_session_hours=float(env.get("WEBCHAT_SESSION_HOURS", "12")),
        console_interface=env.get("CONSOLE_INTERFACE", "127.0.0.1"),
        console_port=_int(env, "CONSOLE_PORT", 5080),
        console_public_url=env.get("CONSOLE_PUBLIC_URL",
                                   f"http://127.0.0.1:{_int(env, 'CONSOLE_PORT', 5080)}"),
        console_session_hours=float(env.get("CONSOLE_SESSION_HOURS", "8")),
        console_max_login_failures=_int(env, "CONSOLE_MAX_LOGIN_FAILURES", 5),
        console_lockout_minutes=_int(env, "CONSOLE_LOCKOUT_MINUTES", 15),
        console_low_confidence=float(env.get("CONSOLE_LOW_CONFIDENCE", "0.6")),
        transcript_retention_days=_int(env, "TRANSCRIPT_RETENTION_DAYS", 365),
        nlu_data_dir=Path(env.get("CONSOLE_NLU_DATA_DIR", str(PROJECT_ROOT / "data" / "nlu"))),
        test_stories_dir=Path(env.get("CONSOLE_TEST_STORIES_DIR",
                                      str(PROJECT_ROOT / "tests" / "stories"))),
        slack_handoff_channel=env.get("SLACK_HANDOFF_CHANNEL", ""),
        slack_app_token=env.get("SLACK_APP_TOKEN", ""),
        handoff_sla_minutes=float(env.get("HANDOFF_SLA_MINUTES", "15")),
        handoff_dispute_threshold=_decimal(env, "HANDOFF_DISPUTE_THRESHOLD", "5000"),
        office_hours=env.get("AR_OFFICE_HOURS", "Mon-Fri 08:00-18:00 America/New_York"),
        handoff_translator=env.get("HANDOFF_TRANSLATOR", ""),
        documents=_document_settings(env),
        log_format=env.get("LOG_FORMAT", "json").strip().lower(),
        rasa_ports=_ports(env, "RASA_PORTS", rasa_port),
        action_ports=_ports(env, "ACTION_SERVER_PORTS", action_port),
    )


def _ports(env: Mapping[str, str], name: str, default: int) -> tuple[int, ...]:
    """A comma-separated list of ports ("5005,5006"); empty: the one default port."""
    return tuple(int(p) for p in env.get(name, "").replace(" ", "").split(",") if p) \
        or (default,)


def _words(value: str) -> tuple[str, ...]:
    return tuple(w.strip().upper() for w in value.replace(";", ",").split(",") if w.strip())


def _document_settings(env: Mapping[str, str]) -> DocumentSettings:
    default = DocumentSettings()
    return DocumentSettings(
        company_address=env.get("AR_COMPANY_ADDRESS", default.company_address),
        company_tax_id=env.get("AR_COMPANY_TAX_ID", default.company_tax_id),
        company_country=env.get("AR_COMPANY_COUNTRY", default.company_country).upper(),
        logo_path=env.get("AR_COMPANY_LOGO", ""),
        accent_colour=env.get("AR_DOCUMENT_ACCENT_COLOUR", default.accent_colour),
        epc_iban=env.get("AR_EPC_IBAN", default.epc_iban).replace(" ", ""),
        epc_bic=env.get("AR_EPC_BIC", default.epc_bic),
        epc_beneficiary=env.get("AR_EPC_BENEFICIARY", default.epc_beneficiary),
        link_hours=float(env.get("DOCUMENT_LINK_HOURS", "72")),
        link_secret=env.get("DOCUMENT_LINK_SECRET", ""),
        einvoice_currencies=_words(env.get("AR_EINVOICE_CURRENCIES", "EUR")),
        einvoice_accounts=_words(env.get("AR_EINVOICE_ACCOUNTS", "")),
        erp_pdf_dir=env.get("AR_ERP_PDF_DIR", ""),
        erp_pdf_url=env.get("AR_ERP_PDF_URL", ""),
        twilio_mms=env.get("TWILIO_MMS_DOCUMENTS", "").lower() in ("1", "true", "yes", "on"),
        smtp_host=env.get("SMTP_HOST", ""),
        smtp_port=_int(env, "SMTP_PORT", 25),
        smtp_security=env.get("SMTP_SECURITY", "none").lower(),
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_from=env.get("SMTP_FROM", default.smtp_from),
        smtp_reply_to=env.get("SMTP_REPLY_TO", ""),
        smtp_timeout_seconds=float(env.get("SMTP_TIMEOUT_SECONDS", "10")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
