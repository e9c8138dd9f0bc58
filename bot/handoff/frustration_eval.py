"""`python -m bot eval-frustration FILE.tsv...`: precision and recall of the frustration
detector per language on labelled messages (header text, frustrated, lang)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from bot.handoff.frustration import FrustrationDetector, detector, read_examples


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def count(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def evaluate(files: Iterable[Path], model: Optional[FrustrationDetector] = None
             ) -> tuple[dict[str, Scores], list[tuple[str, str, int]]]:
    """Scores per language (and "all"), and the mistakes (lang, text, expected)."""
    model = model or detector()
    scores: dict[str, Scores] = defaultdict(Scores)
    mistakes = []
    for path in files:
        for text, expected, lang in read_examples(Path(path)):
            said = model.judge(text).frustrated
            for key in (lang, "all"):
                row = scores[key]
                if said and expected:
                    row.tp += 1
                elif said:
                    row.fp += 1
                elif expected:
                    row.fn += 1
                else:
                    row.tn += 1
            if said != bool(expected):
                mistakes.append((lang, text, expected))
    return dict(scores), mistakes


def report(scores: dict[str, Scores], mistakes: list[tuple[str, str, int]],
           show_mistakes: int = 20) -> str:
    lines = ["lang  messages  frustrated  precision  recall"]
    for lang in sorted(k for k in scores if k != "all") + ["all"]:
        s = scores.get(lang)
        if s:
            lines.append(f"{lang:<5} {s.count:>8}  {s.tp + s.fn:>10}  {s.precision:>9.3f}  "
                         f"{s.recall:>6.3f}")
    for lang, text, expected in mistakes[:show_mistakes]:
        lines.append(f"  {'missed' if expected else 'false alarm'} ({lang}): {text}")
    return "\n".join(lines)


def below_targets(scores: dict[str, Scores], min_precision: float, min_recall: float
                  ) -> list[str]:
    return [f"{lang}: precision {s.precision:.3f} < {min_precision}" for lang, s in scores.items()
            if s.precision < min_precision] + \
           [f"{lang}: recall {s.recall:.3f} < {min_recall}" for lang, s in scores.items()
            if s.recall < min_recall]
