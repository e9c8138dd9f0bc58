"""Frustration in a customer's message, in the five languages: anger, repeated asks
("this is the third time"), threats to stop paying or to go legal. Rules name what they
found; a small model (word and character n-grams, logistic regression) trained on our
examples catches other phrasings, but alone it must be sure, because a false alarm costs a
collector's time. Calm AP-chat messages (the NLU training data) teach it what is normal."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from bot.conversation.text_features import quicken
from bot.settings import PROJECT_ROOT

TRAINING = Path(__file__).resolve().parent / "frustration_data" / "train.tsv"
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
# Calm examples from every NLU file but the one asking for a person (some of those are angry).
CALM_EXCLUDED = {"human.yml"}
MODEL_ALONE = 0.80  # the model's probability that flags a message with no rule behind it
WITH_A_HINT = 0.45  # enough when a weak sign (again, still, !!) is there too


def folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[’`´]", "'", text)


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Each rule: what it is (for the card) and its patterns over folded text, all languages.
STRONG = {
    "repeated asks": _any(
        r"\b(?:third|fourth|fifth|3rd|4th|5th|umpteenth) time\b", r"\bhow many times\b",
        r"\b(?:already|i've|i have) (?:told|said|explained|asked|written)\b",
        r"\b(?:over and over|again and again)\b", r"\bstill waiting\b",
        r"\bkeep (?:asking|telling|explaining|chasing|getting the same)\b",
        r"\b(?:three|four|five|several|many|multiple|\d+) times (?:already|now|about|for)\b",
        r"\brepeat myself\b", r"\bwritten to you \w+ times\b",
        r"\b(?:tercera|cuarta|quinta|enesima) vez\b", r"\bcuantas veces\b",
        r"\bya (?:se lo|te lo|les|lo|os lo) (?:dije|he dicho|explique|escribi)\b",
        r"\bsigo esperando\b", r"\b(?:tres|cuatro|cinco|varias|mil) veces (?:ya|que|por|seguidas)\b",
        r"\brepetir(?:lo|me)? otra vez\b", r"\botra vez (?:lo|el|la) mismo\b",
        r"\b(?:troisieme|quatrieme|cinquieme|3e|enieme) fois\b", r"\bcombien de fois\b",
        r"\bje vous l'ai (?:deja )?(?:dit|ecrit|explique)\b", r"\bj'attends toujours\b",
        r"\b(?:trois|quatre|cinq|plusieurs|mille) fois (?:deja|que|a ce sujet|pour)\b",
        r"\bdeja (?:ecrit|dit|demande|relance) (?:\w+ )?(?:trois|quatre|cinq|plusieurs) fois\b",
        r"\bme repeter\b",
        r"\b(?:dritte|vierte|funfte|x-te|zigste)n? mal\b", r"\bwie oft\b",
        r"\bschon (?:\w+ )?(?:gesagt|erklart|geschrieben|mitgeteilt)\b",
        r"\bwarte (?:\w+ )?immer noch\b", r"\b(?:dreimal|viermal|funfmal|mehrmals|zigmal)\b",
        r"\bwiederholen\?",
        r"\b(?:terceira|quarta|quinta|enesima) vez\b", r"\bquantas vezes\b",
        r"\b(?:eu )?ja (?:disse|falei|expliquei|escrevi)\b", r"\bainda (?:estou|to) esperando\b",
        r"\b(?:tres|quatro|cinco|varias|mil) vezes (?:ja|que|sobre|seguidas)\b",
        r"\bja (?:escrevi|falei|pedi) (?:\w+ )?(?:\w+ )?(?:tres|quatro|cinco|varias) vezes\b",
        r"\brepetir de novo\b"),
    "threat to stop paying or go legal": _any(
        r"\b(?:stop|stopping|quit) paying\b", r"\b(?:won't|will not|wont|not going to) pay\b",
        r"\bnot (?:pay|paying) (?:a|another|one) (?:cent|penny|dime)\b",
        r"\b(?:lawyer|attorney|legal action|sue you|small claims|solicitor)\b",
        r"\b(?:take|taking|move|moving) our business elsewhere\b", r"\b(?:done|finished) paying\b",
        r"\bdejar(?:emos|e|an|a)? de pagar\b",
        r"\bno (?:pagaremos|vamos a pagar|pagamos mas|pago mas|pagare)\b",
        r"\b(?:abogado|demanda|denunciar)\b",
        r"\barret(?:er|erons|e|ons) de payer\b", r"\bne (?:paierons|payerons|payons|paierai) plus\b",
        r"\b(?:avocat|mise en demeure|tribunal|poursuites)\b",
        r"\b(?:nichts|keinen cent|nicht) mehr (?:zahlen|bezahlen)\b",
        r"\bzahlen (?:wir )?(?:gar )?nichts mehr\b", r"\b(?:anwalt|rechtliche schritte|klage)\b",
        r"\bparar (?:de|com os?) pagar\b", r"\bnao (?:pagaremos|vamos pagar|pagamos mais)\b",
        r"\b(?:advogado|processar|procon)\b"),
    "anger": _any(
        r"\b(?:ridiculous|unacceptable|outrageous|disgrace\w*|incompetent|pathetic|absurd)\b",
        r"\b(?:fed up|sick (?:and tired )?of|tired of (?:this|it|your)|waste of (?:my )?time)\b",
        r"\b(?:useless|worst|furious|livid|insane|wtf|damn|kidding me)\b",
        r"\b(?:ridiculo|inaceptable|hart[oa]s?|indignante|verguenza|inutil|escandalo)\b",
        r"\b(?:tomando el pelo|perdida (?:total )?de tiempo|furios[oa]|cansad[oa]s? de)\b",
        r"\b(?:ridicule|inacceptable|marre|ras le bol|honteu\w+|inutile|scandaleu\w+)\b",
        r"\b(?:vous moquez|perte de temps|furieu\w+|j'en ai assez|n'importe quoi)\b",
        r"\b(?:lacherlich|inakzeptabel|nase voll|frechheit|unverschamt\w*|nutzlos\w*)\b",
        r"\b(?:schlechtest\w+|skandal\w*|veraeppeln|verappeln|verarsch\w+|zeitverschwendung)\b",
        r"\b(?:wutend|es satt|es leid|unfassbar|zumutung|chaos|katastrophe)\b",
        r"\b(?:disaster|a mess|desastre|catastrophe|bagunca)\b",
        r"\b(?:complain\w*|complaint|una queja|quejarme|me plaindre|une plainte|beschwer\w+)\b",
        r"\b(?:quero reclamar|vou reclamar|reclamacao formal)\b",
        r"\b(?:estoy|estamos) (?:muy )?cansad[oa]s?\b",
        r"\b(?:ridiculo|inaceitavel|fart[oa]|vergonha|inutil|absurdo|palhacada)\b",
        r"\b(?:de brincadeira|perda (?:total )?de tempo|bagunca|furios[oa]|cansad[oa] diss[oa])\b",
        # "is this a joke?", "it's not possible", "unacceptable" in the other languages
        r"\b(?:is (?:this|that) a|this is a|what a|c'est une|es una|e uma|e|soll das ein|"
        r"das ist ein) (?:joke|blague|broma|witz|piada)\b", r"\binadmissible\b",
        r"\b(?:c'est pas possible|ce n'est pas possible|nao e possivel|no puede ser)\b",
        r"\b(?:ne sert a rien|no sirve (?:para|de) nada|nao serve (?:para|pra) nada|bringt nichts)\b",
        r"\bstop (?:chasing|harassing|spamming|hounding)\b",
        r"\b(?:reicht (?:es )?(?:mir|uns)|keine lust mehr)\b"),
    # Tired of explaining, not being read, something simple made hard.
    "not understood or not answered": _any(
        r"\b(?:done|tired of|sick of|fed up with) (?:explaining|repeating|asking)\b",
        r"\b(?:me canse|estoy cansad[oa] de explicar|cansei|j'en ai marre d'expliquer)\b",
        r"\b(?:read my message|read what i wrote|lee bien|lea bien|lisez mon message|"
        r"lesen sie (?:meine|die) nachricht|le a mensagem|leia a mensagem)\b",
        r"\b(?:not|isn't) what i (?:asked|said|wrote)\b",
        r"\bno es lo que (?:pregunte|dije|pedi)\b",
        r"\b(?:pas|n'est pas) ce que j'ai (?:demande|dit|ecrit)\b",
        r"\bdas habe ich nicht (?:gefragt|gesagt|geschrieben)\b",
        r"\bnao (?:foi|e) (?:isso )?o? ?que eu (?:perguntei|disse|pedi)\b",
        r"\b(?:what part of|que parte de|quelle partie de|welchen teil (?:von|an))\b",
        r"\b(?:why is it so|por que (?:es|e) (?:tan|tao)|pourquoi c'est (?:si|aussi)|"
        r"warum ist (?:es|das) so|por que e tao) (?:hard|difficult|complicated|dificil|"
        r"complique|compliquee|kompliziert|schwer)\b",
        r"\b(?:cuesta tanto|so schwer ist das nicht|no es tan dificil|nao e dificil|"
        r"c'est (?:pourtant )?simple pourtant|simple question)\b",
        r"\b(?:still nothing|toujours rien|todavia nada|ainda nada|immer noch nichts|"
        r"sigo sin respuesta|continuo esperando)\b",
        r"\b(?:no (?:answer|reply|response)s? (?:at all|yet|from)|null antwort|cero respuestas|"
        r"aucune reponse|nenhuma resposta|sin respuesta)\b"),
    "escalation or leaving": _any(
        r"\b(?:escalat\w+|escalo|escalar|eskalier\w+|remonte\w*) (?:\w+ )?(?:to|a|an|pro|para|"
        r"au|aupres)\b",
        r"\b(?:switch|change|changing|switching) (?:\w+ )?suppliers?\b",
        r"\b(?:cambiar de proveedor|changer de fournisseur|lieferanten (?:zu )?wechseln|"
        r"trocar de fornecedor|mudar de fornecedor)\b",
        r"\b(?:withhold\w*|retener|retenemos|retenons|retenir|zuruckhalten|halten \w+ \w+ "
        r"zuruck|segurar|reter) (?:\w+ )?(?:the |el |le |la |o |den |die )?(?:payment|pago|"
        r"paiement|zahlung|pagamento)\b",
        r"\b(?:not paying|no pagamos|on ne paie|ne paierons|zahlen (?:wir )?nichts|"
        r"nao pagamos) (?:anything|nada|plus rien|rien|mehr)\b",
        ),
    # The same mistake again and again, or the n-th message.
    "a recurring problem": _any(
        r"\b(?:every|each) (?:single )?(?:month|time|week|invoice)\b.{0,40}\bsame\b",
        r"\b(?:cada|todos los) mes(?:es)?\b.{0,30}\bmismo\b",
        r"\btous les mois\b.{0,30}\bmeme\b", r"\bjeden monat\b.{0,30}\bderselb",
        r"\btodo (?:o )?mes\b.{0,30}\bmesmo\b",
        r"\b(?:like|as) the last (?:\w+|\d+) times\b",
        r"\bcomo las (?:ultimas )?(?:\w+|\d+) (?:ultimas )?veces\b",
        r"\bcomme les (?:\w+|\d+) dernieres fois\b", r"\bwie die letzten (?:\w+|\d+) male\b",
        r"\b(?:igual|como) (?:as|nas) (?:ultimas )?(?:\w+|\d+) (?:ultimas )?vezes\b",
        r"\b(?:third|fourth|3rd|tercer|tercera|cuarto|troisieme|quatrieme|dritte|vierte|"
        r"terceiro|terceira|quarto) (?:e-?mail|mail|message|sms|text|whats\w*|call|correo|"
        r"mensaje|llamada|appel|nachricht|anruf|mensagem|ligacao)\b",
        r"\b(?:twice|two times|dos veces|deux fois|zweimal|duas vezes) (?:already|ya|deja|"
        r"schon|ja)\b",
        r"\b(?:already|ya|deja|schon|ja) (?:\w+ )?(?:\w+ )?(?:twice|two times|dos veces|"
        r"deux fois|zweimal|duas vezes)\b",
        r"\b(?:asked|pregunte|demande|gefragt|perguntei) (?:\w+ )?(?:twice|dos veces|deux fois|"
        r"zweimal|duas vezes)\b"),
}
# Annoyed emoji, and laughter that makes an angry word a joke about themselves.
ANNOYED_EMOJI = re.compile("[\U0001F644\U0001F621\U0001F620\U0001F92C\U0001F624\U0001F926]"
                           "|\U0001F44F\\s*\U0001F44F")
LAUGHTER = re.compile(r"\b(?:ha(?:ha)+|ja(?:ja)+|lol|mdr|k{3,}|rsrs\w*|hihi)\b")
WEAK = _any(r"\b(?:again|still|never|nobody|no one|every time|keep|always)\b", r"!!|\?\?|\?!",
            r"\b(?:schon wieder|jedes mal|a chaque fois|cada vez|toda vez|siempre|sempre)\b",
            r"\b(?:unbelievable|seriously|really\?)\b",
            # "is anyone there?", asking for a manager: telling only with something else
            r"\b(?:is (?:anyone|anybody) (?:there|reading|home)|hay alguien|il y a quelqu'un|"
            r"tem alguem|ist da jemand|jemand da)\b",
            r"\b(?:manager|supervisor|responsable|gerente|responsavel|vorgesetzt\w*)\b",
            r"\b(?:otra vez|de nuevo|todavia|nadie|nunca|increible)\b",
            r"\b(?:encore|toujours|personne|jamais|incroyable)\b",
            r"\b(?:wieder|immer noch|niemand|nie|unglaublich)\b",
            r"\b(?:de novo|ainda|ninguem|nunca|inacreditavel)\b")


def _shouting(text: str, words: int) -> bool:
    """Words in capitals (three letters or more, not codes such as USD or ACH)."""
    loud = [w for w in re.findall(r"[^\W\d_]{3,}", text) if w.isupper() and w not in CODES]
    return len(loud) >= words


CODES = frozenset({"USD", "EUR", "CAD", "BRL", "GBP", "ACH", "SEPA", "IBAN", "BIC", "SMS",
                   "PDF", "ERP", "CFO", "DAF", "VAT", "IVA", "TVA", "MWST", "INV", "ACME"})


@dataclass(frozen=True)
class Verdict:
    frustrated: bool
    why: Optional[str]  # the rule that fired, "tone" for the model, None when calm
    probability: float


def _calm_examples() -> list[str]:
    from bot.conversation.language_detection import _ANNOTATION  # the NLU markup

    import yaml

    calm = []
    for path in sorted(NLU_DATA.glob("*/*.yml")):
        if path.name in CALM_EXCLUDED:
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" not in block:
                continue
            for line in (block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    calm.append(_ANNOTATION.sub(r"\1", line.strip()[2:]))
    return calm


def read_examples(path: Path) -> list[tuple[str, int, str]]:
    """(text, frustrated 0/1, lang) rows of a TSV with the header text, frustrated, lang."""
    with open(path, encoding="utf-8", newline="") as source:
        rows = csv.DictReader(source, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(r["text"], int(r["frustrated"]), r["lang"].strip()) for r in rows
                if r.get("text")]


class FrustrationDetector:
    def __init__(self, training: Path = TRAINING):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        rows = read_examples(training)
        texts = [t for t, _, _ in rows] + _calm_examples()
        labels = [y for _, y, _ in rows] + [0] * (len(texts) - len(rows))
        features = FeatureUnion([
            ("words", TfidfVectorizer(preprocessor=folded, ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(preprocessor=folded, analyzer="char_wb",
                                      ngram_range=(2, 5), sublinear_tf=True))])
        self.model = make_pipeline(features, LogisticRegression(
            C=8.0, class_weight="balanced", max_iter=2000))
        quicken(self.model.fit(texts, labels))

    def judge(self, text: str) -> Verdict:
        if not text or not text.strip():
            return Verdict(False, None, 0.0)
        flat = folded(text)
        probability = float(self.model.predict_proba([text])[0][1])
        laughing = bool(LAUGHTER.search(flat))
        for why, pattern in STRONG.items():
            if pattern.search(flat) and not (laughing and why == "anger"):
                return Verdict(True, why, probability)
        if _shouting(text, 3) or ANNOYED_EMOJI.search(text):
            return Verdict(True, "shouting or annoyed emoji", probability)
        hints = len({m.group(0) for m in WEAK.finditer(flat)}) + _shouting(text, 2)
        if hints >= 2 or probability >= MODEL_ALONE or (hints and probability >= WITH_A_HINT):
            return Verdict(True, "tone", probability)
        return Verdict(False, None, probability)


@lru_cache(maxsize=1)
def detector() -> FrustrationDetector:
    return FrustrationDetector()


def detector_trained() -> bool:
    """Whether this process has trained its detector (without training it)."""
    return detector.cache_info().currsize > 0


def sounds_frustrated(text: str) -> Verdict:
    return detector().judge(text)
