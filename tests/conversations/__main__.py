"""`python -m tests.conversations [FILES...]`: play the conversation corpus (default: all of
tests/conversations, held-out part included) against the real servers; print the share
that ends in the right ledger state and every failure. Exit 1 unless all pass."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bot.runtime.runner import ensure_model
from bot.settings import load_settings
from tests.conversations.runner import HERE, report, run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conversations", description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, help="YAML files or folders")
    parser.add_argument("--model", type=Path, help="a trained model (default: the current one)")
    parser.add_argument("--logs", type=Path, help="keep the servers' state and logs here")
    args = parser.parse_args(argv)
    model = args.model or ensure_model(load_settings({}))
    if args.logs:
        results = run(args.files or [HERE], model, args.logs)
    else:
        with tempfile.TemporaryDirectory(prefix="ar-conversations-") as state:
            results = run(args.files or [HERE], model, Path(state))
    print(report(results))
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
