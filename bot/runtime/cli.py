"""Command line: `python -m bot <command>`; each command is one job of the README."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from bot.ledger.importer import DEMO_DATA, LedgerImportError, import_directory
from bot.ledger.schema import migrate
from bot.runtime.app import ARApp


def cmd_migrate(app: ARApp, _args) -> int:
    migrate(app.database)
    print(f"ledger schema is up to date ({app.database.engine.url.render_as_string(hide_password=True)})")
    return 0


def cmd_import(app: ARApp, args) -> int:
    migrate(app.database)
    try:
        with app.session() as session:
            report = import_directory(session, Path(args.directory))
    except LedgerImportError as error:
        print(f"Nothing was imported; fix these rows and run the import again:\n{error}",
              file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def cmd_run(app: ARApp, args) -> int:
    from bot.runtime.runner import run_assistant

    return run_assistant(app, train_only=args.train_only)


def cmd_eval_frustration(_app: ARApp, args) -> int:
    from bot.handoff.frustration_eval import below_targets, evaluate, report

    try:
        scores, mistakes = evaluate(Path(f) for f in args.files)
    except (OSError, KeyError, ValueError) as error:
        print(f"cannot read {', '.join(args.files)}: {error} (header: text, frustrated, lang)",
              file=sys.stderr)
        return 2
    print(f"{', '.join(args.files)}\n{report(scores, mistakes, args.show_mistakes)}")
    misses = below_targets(scores, args.min_precision, args.min_recall)
    for miss in misses:
        print(f"FAIL: {miss}", file=sys.stderr)
    return 1 if misses else 0


def cmd_eval_nlu(app: ARApp, args) -> int:
    from bot.nlu.evaluation import EvaluationFileError, Targets, evaluate, read_samples
    from bot.runtime.runner import ensure_model
    from integrations.rasa_model import model_parser  # the composition root wires in Rasa

    try:
        samples = [sample for path in args.files for sample in read_samples(Path(path))]
    except (OSError, EvaluationFileError) as error:
        print(error, file=sys.stderr)
        return 2
    model = Path(args.model) if args.model else ensure_model(app.settings)
    report = evaluate(samples, model_parser(model))
    if args.out:
        report.write(Path(args.out))
    print(f"{', '.join(args.files)} (model {model.name})\n{report.summary()}")
    misses = Targets(args.min_intent_accuracy, args.min_macro_f1, args.min_language_accuracy,
                     args.min_entity_precision, args.min_entity_recall).misses(report)
    for miss in misses:
        print(f"FAIL: {miss}", file=sys.stderr)
    return 1 if misses else 0


def cmd_console(app: ARApp, args) -> int:
    from bot.console import commands

    if args.console_command == "add-user":
        return commands.add_user(app.settings, args.username, args.role)
    if args.console_command == "purge":
        return commands.purge_transcripts(app.settings)
    if args.console_command == "index":
        return commands.build_index(app.settings)
    return commands.serve(app.settings)


def cmd_render(app: ARApp, args) -> int:
    from bot.documents.commands import render_command

    return render_command(app, args)


def cmd_documents(app: ARApp, args) -> int:
    from bot.documents.commands import documents_command

    return documents_command(app, args)


def cmd_move_database(app: ARApp, args) -> int:
    from sqlalchemy.engine import make_url

    from bot.runtime.move_database import MoveRefused, move_database

    for url in filter(None, (args.to, args.transcripts_to)):
        if make_url(url).password:
            print("a password on the command line is visible to everyone on the machine: "
                  "leave it out of the URL and set PGPASSWORD instead", file=sys.stderr)
            return 2
    settings = app.settings
    try:
        moved = move_database(settings.ar_database_url, settings.tracker_store_url, args.to,
                              args.transcripts_to, replace=args.replace)
    except MoveRefused as refused:
        print(refused, file=sys.stderr)
        return 1
    print(f"Moved, and counted again in the target:\n{moved.summary()}\n"
          "Now set AR_DATABASE_URL and TRACKER_STORE_URL to the new databases.")
    return 0


def cmd_bench(app: ARApp, args) -> int:
    from bot.bench.command import bench_command

    return bench_command(app, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the ledger database")
    move = commands.add_parser(
        "move-database", help="move the SQLite ledger and transcripts (AR_DATABASE_URL, "
        "TRACKER_STORE_URL) into PostgreSQL; the password comes from PGPASSWORD")
    move.add_argument("--to", required=True, metavar="URL",
                      help="the ledger's new database, e.g. postgresql+psycopg2://ar@host/ar")
    move.add_argument("--transcripts-to", metavar="URL",
                      help="the transcripts' new database (default: the ledger's)")
    move.add_argument("--replace", action="store_true",
                      help="delete what the target databases hold first (else refused)")
    imports = commands.add_parser("import", help="load an ERP export (CSV files) into the ledger")
    imports.add_argument("directory", help=f"folder of CSV files, e.g. {DEMO_DATA}")
    run = commands.add_parser("run", help="set up and start the assistant with all its servers")
    run.add_argument("--train-only", action="store_true",
                     help="prepare the database and the model, then exit")
    evaluation = commands.add_parser(
        "eval-nlu", help="measure intent, language and entity accuracy on held-out TSV files")
    evaluation.add_argument("files", nargs="+", metavar="FILE.tsv",
                            help="tab-separated, header: text, intent, lang[, entities]; "
                            "a folder stands for its *.tsv files; all are read as one set")
    evaluation.add_argument("--out", metavar="PREDICTIONS.tsv",
                            help="write one row per message")
    evaluation.add_argument("--model", help="a trained model (default: the current one, "
                            "trained first if data or config changed)")
    for target in ("intent-accuracy", "macro-f1", "language-accuracy", "entity-precision",
                   "entity-recall"):
        evaluation.add_argument(f"--min-{target}", type=float, default=0.0, metavar="X",
                                help=f"exit 1 when the {target.replace('-', ' ')} is under X")
    console = commands.add_parser("console", help="the managers' web console")
    console_commands = console.add_subparsers(dest="console_command", required=True)
    console_commands.add_parser("serve", help="run the console (make run starts it)")
    add_user = console_commands.add_parser(
        "add-user", help="add a console user; the password is asked for (or read from stdin)")
    add_user.add_argument("username")
    add_user.add_argument("--role", required=True, choices=("admin", "manager", "collector"))
    console_commands.add_parser(
        "purge", help="delete transcripts older than TRANSCRIPT_RETENTION_DAYS (run daily)")
    console_commands.add_parser(
        "index", help="bring the console's transcript index up to date (pages do it too)")

    from bot.documents.commands import add_render_parser

    add_render_parser(commands)

    from bot.bench.command import add_bench_parser

    add_bench_parser(commands)

    frustration = commands.add_parser(
        "eval-frustration", help="precision and recall of frustration detection per language")
    frustration.add_argument("files", nargs="+", metavar="FILE.tsv",
                             help="tab-separated, header: text, frustrated (0/1), lang")
    frustration.add_argument("--show-mistakes", type=int, default=20, metavar="N",
                             help="list up to N misclassified messages")
    for target in ("precision", "recall"):
        frustration.add_argument(f"--min-{target}", type=float, default=0.0, metavar="X",
                                 help=f"exit 1 when a language's {target} is under X")
    return parser


COMMANDS = {"migrate": cmd_migrate, "move-database": cmd_move_database, "import": cmd_import, "run": cmd_run,
            "eval-nlu": cmd_eval_nlu, "eval-frustration": cmd_eval_frustration,
            "console": cmd_console, "render": cmd_render, "documents": cmd_documents,
            "bench": cmd_bench}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](ARApp(), args)
