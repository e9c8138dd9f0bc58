"""`python -m bot bench`: generate the ledger, start our assistant and the bare bot, drive
both through the same harness, print the table and write the JSON report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.bench.clients import SLACK_PATH, TWILIO_PATH, SlackApp, TwilioAccount
from bot.bench.ledger import generate
from bot.bench.report import table, write
from bot.bench.run import BenchOptions, measure_now
from bot.bench.scripts import REST
from bot.bench.servers import (
    ACCOUNT_SID,
    OUR_NUMBER,
    PUBLIC_BASE_URL,
    ProviderSecrets,
    free_port,
    ledger_database,
    start_bare,
    start_ours,
)
from bot.bench.sink import ReplySink
from bot.bench.targets import CHANNELS, BareRasaBot, OurAssistant
from bot.runtime.app import ARApp

QUICK = {"duration": 10.0, "loads": (1, 10), "long_turns": 40}


def add_bench_parser(commands) -> None:
    bench = commands.add_parser(
        "bench", help="measure the assistant under load beside the bare `rasa init` bot")
    bench.add_argument("--duration", type=float, default=60.0, metavar="SECONDS",
                       help="how long each load runs, per bot (default 60)")
    bench.add_argument("--loads", default="1,10,50", metavar="N,N,...",
                       help="concurrent conversations of each load (default 1,10,50)")
    bench.add_argument("--long-turns", type=int, default=200, metavar="N",
                       help="turns of the one long conversation (default 200)")
    bench.add_argument("--quick", action="store_true",
                       help="a 1-2 minute smoke run: 10 s per load, loads 1 and 10, 40 turns")
    bench.add_argument("--channels", default=",".join(CHANNELS), metavar="C,C,...",
                       help="our customers' channels, taking turns (default rest,sms,slack; "
                       "rest alone compares like with like)")
    bench.add_argument("--skip-baseline", action="store_true",
                       help="measure only our assistant")
    bench.add_argument("--baseline-python", default=sys.executable, metavar="PATH",
                       help="the Python that runs the bare bot (e.g. a venv with pip's "
                       "default dependencies for rasa); default: this one")


def connect(rest_base: str, sink: ReplySink, keys: ProviderSecrets
            ) -> tuple[TwilioAccount, ReplySink, SlackApp]:
    """How simulated phones and Slack users reach the servers at rest_base."""
    twilio = TwilioAccount(rest_base + TWILIO_PATH, PUBLIC_BASE_URL + TWILIO_PATH,
                           ACCOUNT_SID, keys.twilio_auth_token, OUR_NUMBER)
    return twilio, sink, SlackApp(rest_base + SLACK_PATH, keys.slack_signing_secret)


def options_from(args: argparse.Namespace) -> BenchOptions:
    if args.quick:
        return BenchOptions(**QUICK)
    loads = tuple(int(n) for n in args.loads.split(",") if n.strip())
    return BenchOptions(duration=args.duration, loads=loads, long_turns=args.long_turns)


def bench_command(app: ARApp, args: argparse.Namespace) -> int:
    from bot.runtime.runner import ensure_model

    try:
        options = options_from(args)
    except ValueError:
        print(f"--loads takes whole numbers separated by commas, not {args.loads!r}",
              file=sys.stderr)
        return 2
    channels = tuple(c.strip() for c in args.channels.split(",") if c.strip())
    if not channels or set(channels) - set(CHANNELS):
        print(f"--channels takes some of {','.join(CHANNELS)}, not {args.channels!r}",
              file=sys.stderr)
        return 2
    home = app.settings.state_dir / "bench"
    model = ensure_model(app.settings)
    ledger = generate(options.customers, options.big_invoices, seed=options.seed)
    database = ledger_database(
        ledger, home / f"ledger-{options.seed}-{options.customers}-{options.big_invoices}")
    sink_port, keys = free_port(), ProviderSecrets.fresh()
    running = []
    try:
        print("Starting our assistant (embedded defaults)...", flush=True)
        ours = start_ours(home / "state", model, database, ledger.today.isoformat(),
                          sink_port, keys)
        running.append(ours)
        sink = ReplySink(ACCOUNT_SID, keys.twilio_auth_token, sink_port, keys.slack_bot_token)
        providers = connect(ours.rest_base, sink, keys)
        targets = [OurAssistant(ours.rest_base, ours.pids, ledger, *providers,
                                channels=channels)]
        if not args.skip_baseline and channels != (REST,):
            # Like with like: the bare bot has only REST; the same servers over REST alone.
            targets.append(OurAssistant(ours.rest_base, ours.pids, ledger, *providers,
                                        channels=(REST,), name="ours-rest",
                                        talks_long=False))
        if not args.skip_baseline:
            print("Starting the bare rasa init bot...", flush=True)
            bare = start_bare(home / "baseline", args.baseline_python)
            running.append(bare)
            targets.append(BareRasaBot(bare.rest_base, bare.pids))
        print(f"Measuring: loads {options.loads}, {options.duration:g} s each, "
              f"long conversation of {options.long_turns} turns", flush=True)
        report = measure_now(targets, sink, options)
    finally:
        for server in running:
            server.stop()
    report["channels"] = list(channels)
    report["ledger"] = {"customers": len(ledger.customers), "invoices": ledger.invoice_count,
                        "big_customer_open_invoices": len(ledger.big.open_invoices)}
    path = write(report, home)
    print("\n" + table(report) + f"\n\nEvery figure: {Path(path)}")
    return 0
