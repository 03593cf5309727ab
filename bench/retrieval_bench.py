"""Retrieval benchmark, run on demand (never in CI):

    .venv/bin/python bench/retrieval_bench.py [--database-url mysql://root@127.0.0.1:3306/DB]
        [--documents 200] [--passages 10000] [--questions 300] [--seeds 1 2 3] [--port 0]

On loopback only it starts the asyncio fake OpenAI-compatible server (tests/async_fake_llm.py,
whose `/v1/embeddings` is the test model of tests/fake_embeddings.py), creates the database of
`--database-url` (MariaDB by default; a `sqlite:///file` URL works too), migrates it, and for
each seed generates a firm's knowledge base: `--documents` leases, NDAs, letters and judgments
of 10 pages each, `--passages` passages in all, their wording drawn from templates with that
seed (each document picks its own synonyms and names, parties, places and sums), then
`--questions` questions, each with the one passage that answers it, phrased in other words (the
other synonyms of the test model's table, and other sentences) and naming what tells that
document from the others (the other party, the place, the court).

Every document is embedded through the product's job (`document_embed`: pseudonymized,
batched, stored as float32 unit vectors), every question through `question_vector`. Then it
prints recall@5 (the answering passage among the first five) for lexical (the database's
full-text index), semantic (`passages_nearest` alone) and combined retrieval (`sources_for`,
what the chat uses) twice: each question asked by its case's lawyer about its case (the case's
four documents, what the chat does with `context.caseId`), and asked by an admin of every
passage (the documents moved to the knowledge base), where the question's party names must
tell its document from 199 others. Then retrieval latency p50/p99 of `sources_for` over every
passage (the question's vector fetched before, as the chat does; each question asked three
times; the first query of the process, which reads every vector into memory, apart), and how
many pages a second the product's extraction reads of the seed's documents rendered as PDF
and Word files. The database is dropped at the end.

The semantic figures measure the product's retrieval with the test model, whose synonyms are
the questions' paraphrases: not a real embeddings model's quality.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_bench import VENV_PYTHON, BenchError, percentile  # noqa: E402
from tests.fake_embeddings import SYNONYMS  # noqa: E402

if TYPE_CHECKING:  # Django is set up only once the database and the fake model are chosen
    from accounts.models import User
    from cases.models import Case
    from consultations.llm.embeddings import QuestionVector

MODEL = "fake-embedding"
PAGES = 10
TOP = 5
LATENCY_ROUNDS = 3

# --- The generator --------------------------------------------------------------------------
#
# A template's `{c:word}` is a concept of the test model (its group in SYNONYMS): a document
# writes it with the word it picked for that concept, a question with another word of the group.
# `{party}`, `{other}`, `{place}`, `{court}` are the document's own; `{n}`, `{sum}`, `{date}`,
# `{k}` are drawn for each passage. Each answerable clause comes with two questions; one of
# them is asked.

GROUP = {word: group for group in SYNONYMS for word in group}
NUMBERS = [
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
FIRST = [
    "Brightwater",
    "Ashcombe",
    "Kestrel",
    "Marlow",
    "Penrose",
    "Halden",
    "Corbridge",
    "Whitlock",
    "Redfern",
    "Tansley",
    "Elmstead",
    "Fairholme",
    "Gransden",
    "Lowther",
    "Northcote",
    "Pendle",
    "Quarry",
    "Rowan",
    "Selwyn",
    "Thornbury",
    "Underhill",
    "Vantage",
    "Westbury",
    "Yardley",
    "Ambrose",
    "Belgrave",
    "Caldwell",
    "Dunmore",
    "Everett",
    "Foxley",
]
SUFFIXES = ["Ltd", "LLP", "plc"]
SECOND = [
    "Holdings",
    "Trading",
    "Logistics",
    "Foods",
    "Estates",
    "Partners",
    "Systems",
    "Textiles",
    "Media",
    "Works",
]
STREETS = [
    "Elm",
    "Mill",
    "Station",
    "Church",
    "Harbour",
    "Orchard",
    "Quarry",
    "Bridge",
    "Castle",
    "Meadow",
]
TOWNS = [
    "Ashford",
    "Barnet",
    "Chester",
    "Dover",
    "Exeter",
    "Frome",
    "Hexham",
    "Ilkley",
    "Kendal",
    "Ludlow",
    "Malton",
    "Newark",
    "Oakham",
    "Penrith",
    "Ripon",
    "Selby",
    "Thirsk",
    "Wantage",
]

LEASE = [
    (
        "The {c:tenant}, {party}, may {c:terminate} this {c:lease} by giving the {c:landlord} "
        "not less than {n} {c:months} {c:written} {c:notice}.",
        "How much {c:notice} must {party} give the {c:landlord} to {c:terminate} the {c:lease}?",
        "What {c:period} of {c:notice} applies if {party} wants to {c:terminate} early?",
    ),
    (
        "The {c:rent} for the {c:premises} at {place} is {sum} pounds a year, payable in "
        "advance on the usual quarter days.",
        "What annual {c:rent} is due for {place}?",
        "How much {c:rent} does the {c:tenant} {c:pay} each year at {place}?",
    ),
    (
        "{party} shall {c:pay} a {c:deposit} of {sum} pounds, held by the {c:landlord}, who "
        "shall {c:return} it within {n} {c:days} after the {c:lease} {c:expire}s.",
        "When will {party} get its {c:deposit} back?",
        "How soon must the {c:landlord} {c:return} the {c:deposit} of {party}?",
    ),
    (
        "The {c:tenant} shall keep the interior of {place} in good {c:repair} and condition, "
        "fair wear and tear excepted.",
        "Who has to {c:repair} the inside of {place}?",
        "What {c:repair} {c:obligation} does the {c:tenant} have for {place}?",
    ),
    (
        "{party} shall not {c:assign} or underlet the whole or any part of the {c:premises} "
        "without the {c:landlord}'s prior {c:written} {c:consent}.",
        "May {party} {c:assign} the {c:premises} to someone else?",
        "Is {party} allowed to {c:assign} without the {c:landlord} agreeing?",
    ),
    (
        "The {c:rent} shall be reviewed every {n} {c:years} and any {c:increase} shall not "
        "exceed the retail prices index for {place}.",
        "How often can the {c:rent} at {place} go up, and by how much?",
        "Is there a cap on any {c:increase} of {c:rent} for {place}?",
    ),
    (
        "The {c:landlord} shall insure {place} against fire and flood and recover the premium "
        "from {party} as a service {c:fee}.",
        "Who arranges {c:insurance} for {place} against fire?",
        "Does {party} {c:pay} for the {c:insurance} of the building at {place}?",
    ),
    (
        "No {c:pet}s may be kept at {place} without the {c:landlord}'s {c:consent}, which shall "
        "not be unreasonably withheld.",
        "Can the occupant of {place} keep an {c:pet} there?",
        "Are {c:pet}s permitted at {place}?",
    ),
    (
        "If the {c:rent} is unpaid for {n} {c:days} after it falls due, the {c:landlord} may "
        "re-enter {place} and the {c:lease} shall {c:terminate}.",
        "What happens at {place} if {c:rent} goes unpaid?",
        "Can the {c:landlord} take back {place} for unpaid {c:rent}?",
    ),
    (
        "The {c:tenant} shall have {c:quiet} enjoyment of {place} so long as {party} observes "
        "its covenants.",
        "Is {party} protected from interference while occupying {place}?",
        "Does the {c:lease} of {place} promise {c:quiet} enjoyment?",
    ),
]
NDA = [
    (
        "{party} shall keep {c:confidential} all {c:information} received from {other} and "
        "shall not {c:disclose} it to any third party.",
        "Can {party} {c:disclose} what {other} tells it to outsiders?",
        "What must {party} do with {c:information} from {other}?",
    ),
    (
        "The {c:purpose} of this agreement is the evaluation by {party} of a possible joint "
        "venture with {other} in {place}.",
        "Why are {party} and {other} exchanging {c:information}?",
        "What is the {c:purpose} of the {c:confidential} arrangement with {other}?",
    ),
    (
        "The {c:obligation} of confidence of {party} under this agreement lasts {n} {c:years} "
        "from the date of the last disclosure.",
        "For how long is {party} bound to secrecy?",
        "When do the {c:confidential} {c:obligation}s of {party} {c:expire}?",
    ),
    (
        "On {c:demand} by {other}, {party} shall {c:return} or destroy all {c:confidential} "
        "{c:information} and certify that it has done so.",
        "What must {party} do with the documents when {other} asks?",
        "Does {party} have to {c:return} papers to {other}?",
    ),
    (
        "{c:information} that is already public, or that {party} develops independently, is "
        "not {c:confidential} {c:information} under this agreement with {other}.",
        "Which {c:information} falls outside the secrecy {c:obligation} of {party}?",
        "Is public {c:information} covered by the agreement between {party} and {other}?",
    ),
    (
        "{party} may {c:disclose} {c:confidential} {c:information} to any {c:employee} who "
        "needs to know it for the {c:purpose}, if bound by like terms.",
        "May {party} {c:share} the {c:information} with its own {c:staff}?",
        "Which {c:employee} of {party} is allowed to see the {c:information}?",
    ),
    (
        "A {c:breach} of this agreement by {party} entitles {other} to seek an {c:injunction} "
        "as well as {c:damages}.",
        "What can {other} do if {party} leaks {c:information}?",
        "What remedies does {other} have for a {c:breach} by {party}?",
    ),
    (
        "This agreement is governed by the law of England and any {c:dispute} between {party} "
        "and {other} goes to the {c:court}s of {place}.",
        "Which {c:court}s hear a {c:dispute} between {party} and {other}?",
        "Where would a {c:disagreement} with {other} be decided?",
    ),
    (
        "Nothing in this agreement obliges {party} or {other} to enter into any further "
        "transaction, and either may end discussions at any time.",
        "Must {party} go ahead with a deal with {other}?",
        "Can {party} walk away from the talks with {other}?",
    ),
    (
        "{party} shall not, for {n} {c:months} after this agreement, solicit any {c:employee} "
        "of {other}.",
        "May {party} hire {c:staff} away from {other}?",
        "How long is {party} barred from poaching any {c:employee} of {other}?",
    ),
]
LETTER = [
    (
        "We act for {party} and write about the unpaid invoice of {sum} pounds that {other} "
        "owes our client for {c:goods} delivered to {place}.",
        "How much does {other} owe {party} for the {c:goods}?",
        "What sum is outstanding from {other} for deliveries to {place}?",
    ),
    (
        "Our client {c:demand}s {c:payment} in full within {n} {c:days} of the date of this "
        "{c:letter}, failing which proceedings will be issued against {other}.",
        "By when must {other} {c:pay} up?",
        "What {c:deadline} does the {c:letter} to {other} set for {c:payment}?",
    ),
    (
        "{party} rejects the allegation that the {c:goods} supplied to {other} on {date} were "
        "defective.",
        "Does {party} accept that the {c:goods} were faulty?",
        "What does {party} say about the quality of the {c:goods} it supplied?",
    ),
    (
        "We enclose copies of the delivery notes signed at {place} on {date} by the {c:staff} "
        "of {other}.",
        "What proof of delivery to {other} is attached?",
        "Were the deliveries to {place} signed for by {other}?",
    ),
    (
        "Interest will accrue on the sum owed by {other} at {n} per cent a year above base "
        "rate under the late {c:payment} legislation.",
        "Will {other} be charged interest on the debt?",
        "At what rate does interest run against {other}?",
    ),
    (
        "{party} remains willing to discuss a settlement and proposes a meeting at {place} "
        "before {date}.",
        "Is {party} open to negotiating a deal?",
        "Has {party} offered to meet to {c:settle} the matter?",
    ),
    (
        "Please direct all further {c:correspondence} in this matter to our office and not to "
        "{party} directly.",
        "Who should write to instead of {party} from now on?",
        "Where must {c:correspondence} about the {party} claim be sent?",
    ),
    (
        "If {other} intends to {c:dispute} the claim, please set out the grounds in writing "
        "with any documents relied on within {n} {c:days}.",
        "How should {other} {c:challenge} the claim?",
        "What must {other} send if it disagrees with the claim?",
    ),
    (
        "Our client reserves the right to recover its legal {c:costs} of {sum} pounds from "
        "{other} in any proceedings.",
        "Will the client seek its legal {c:expenses} from {other}?",
        "What legal {c:expenses} could {other} have to bear?",
    ),
    (
        "This {c:letter} is sent in accordance with the Practice Direction on pre-action "
        "conduct and is a formal {c:notice} to {other}.",
        "Is the {c:letter} to {other} a formal pre-action step?",
        "Under which procedure is the firm writing to {other}?",
    ),
]
JUDGMENT = [
    (
        "In {court}, the {c:claimant} {party} sought {c:damages} of {sum} pounds from the "
        "{c:defendant} {other} for {c:breach} of contract.",
        "How much did {party} claim from {other} in {court}?",
        "What {c:compensation} was sought against {other}?",
    ),
    (
        "The {c:court} finds that {other} failed to deliver the {c:goods} by {date} and was in "
        "{c:breach}.",
        "Did the judge hold that {other} broke the contract?",
        "What did the {c:tribunal} decide about late delivery by {other}?",
    ),
    (
        "{party} is {c:award}ed {sum} pounds with interest, to be paid by {other} within {n} "
        "{c:days} of this {c:judgment}.",
        "How much was {party} {c:grant}ed, and when must {other} {c:pay}?",
        "What sum was {other} ordered to {c:pay} {party}?",
    ),
    (
        "The {c:defendant}'s counterclaim that {party} supplied defective {c:goods} is "
        "dismissed for want of evidence.",
        "What happened to the counterclaim against {party}?",
        "Was it proved that {party} supplied faulty {c:goods}?",
    ),
    (
        "{other} shall {c:pay} the {c:claimant}'s {c:costs}, assessed at {sum} pounds, by {date}.",
        "Who bears the legal {c:expenses}: must {other} {c:pay} them?",
        "What {c:costs} order was made against {other}?",
    ),
    (
        "Permission to {c:appeal} is refused; {other} may apply to the Court of Appeal within "
        "{n} {c:days}.",
        "Can {other} {c:challenge} the {c:ruling}?",
        "Was {other} given leave to {c:appeal}?",
    ),
    (
        "The witness for {party} was credible and consistent, and the {c:court} prefers her "
        "account of the meeting at {place}.",
        "Whose evidence was believed about the meeting at {place}?",
        "How did the {c:court} assess the witness of {party}?",
    ),
    (
        "The limitation clause in the contract between {party} and {other} does not apply to "
        "losses from deliberate {c:breach}.",
        "Could {other} rely on the limitation clause?",
        "Does the cap on liability protect {other} from deliberate {c:breach}?",
    ),
    (
        "The hearing took place at {court} on {date} before a district judge sitting at {place}.",
        "When was the case heard at {court}?",
        "On what date did {court} sit at {place}?",
    ),
    (
        "{other} must {c:return} the specialised tooling belonging to {party} within {n} {c:days}.",
        "What must {other} give back to {party}?",
        "Is {other} ordered to {c:return} the tooling of {party}?",
    ),
]
# Filler passages: the same words as the clauses, answering none of the questions.
FILLER = [
    "Clause {k}. Headings are for convenience only and do not affect the interpretation of "
    "this {c:lease} or agreement between {party} and {other}.",
    "Clause {k}. Any {c:notice} under this document shall be in {c:writing} and delivered by "
    "hand or sent by recorded post to {place}.",
    "Clause {k}. Words in the singular include the plural, and a reference to {party} "
    "includes its successors and permitted assigns.",
    "Clause {k}. If any provision is held invalid by a {c:court}, the rest of the document "
    "between {party} and {other} remains in force.",
    "Clause {k}. No failure or delay by {other} in exercising any right is a waiver of it, "
    "and the rights of {party} are cumulative.",
    "Clause {k}. This document may be signed in counterparts, each an original, and {party} "
    "and {other} agree to electronic signatures.",
    "Clause {k}. A person who is not a party has no right to enforce any term; {place} is "
    "the address for service of {party}.",
    "Clause {k}. Each of {party} and {other} bears its own {c:costs} of preparing and "
    "negotiating this document.",
    "Schedule {k}. The plan attached shows {place} edged red, for identification only, as "
    "agreed by {party} on {date}.",
    "Page {k}. The parties acknowledge that they have read and understood the terms set out "
    "above and that {other} took legal advice.",
]
KINDS = {"lease": LEASE, "nda": NDA, "letter": LETTER, "judgment": JUDGMENT}


@dataclass(frozen=True)
class Question:
    text: str
    document: int  # index of the generated document
    position: int  # of the passage that answers it


@dataclass
class GeneratedDocument:
    title: str
    kind: str
    passages: list[str]


class Generator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.names: set[str] = set()

    def company(self) -> str:
        while True:
            name = (
                f"{self.random.choice(FIRST)} {self.random.choice(SECOND)} "
                f"{self.random.choice(SUFFIXES)}"
            )
            if name not in self.names:
                self.names.add(name)
                return name

    def corpus(
        self, *, documents: int, passages: int, questions: int
    ) -> tuple[list[GeneratedDocument], list[Question]]:
        per_document = passages // documents
        made: list[GeneratedDocument] = []
        answerable: list[tuple[int, int, str]] = []
        for index in range(documents):
            kind = list(KINDS)[index % len(KINDS)]
            document, asked = self.document(kind, per_document)
            for position, question in asked:
                answerable.append((index, position, question))
            made.append(document)
        chosen = self.random.sample(answerable, questions)
        return made, [Question(text, document, position) for document, position, text in chosen]

    def document(self, kind: str, size: int) -> tuple[GeneratedDocument, list[tuple[int, str]]]:
        slots = {
            "party": self.company(),
            "other": self.company(),
            "place": f"{self.random.randint(1, 99)} {self.random.choice(STREETS)} Road, "
            f"{self.random.choice(TOWNS)}",
            "court": f"the County Court at {self.random.choice(TOWNS)}",
        }
        # The document's own wording: one word of each concept's group, kept throughout.
        words = {group[0]: self.random.choice(group) for group in SYNONYMS}
        clauses = KINDS[kind]
        texts = [self.fill(clause, slots, words) for clause, _, _ in clauses]
        asked = [
            (position, self.fill(self.random.choice(questions), slots, words, paraphrase=True))
            for position, (_, *questions) in enumerate(clauses)
        ]
        while len(texts) < size:
            filler = FILLER[len(texts) % len(FILLER)]
            texts.append(self.fill(filler.replace("{k}", str(len(texts) + 1)), slots, words))
        # The clauses spread through the document rather than on its first page.
        order = list(range(size))
        self.random.shuffle(order)
        placed = [""] * size
        for old, new in enumerate(order):
            placed[new] = texts[old]
        title = f"{kind}-{slots['party'].split()[0].lower()}-{len(self.names)}.pdf"
        return (
            GeneratedDocument(title=title, kind=kind, passages=placed),
            [(order[position], question) for position, question in asked],
        )

    def fill(
        self,
        template: str,
        slots: dict[str, str],
        words: dict[str, str],
        *,
        paraphrase: bool = False,
    ) -> str:
        def concept(match: re.Match[str]) -> str:
            group = GROUP[match.group(1)]
            chosen = words[group[0]]
            if not paraphrase:
                return chosen
            return self.random.choice([word for word in group if word != chosen] or [chosen])

        text = re.sub(r"\{c:(\w+)\}", concept, template)
        return text.format(
            **slots,
            n=self.random.choice(NUMBERS),
            sum=f"{self.random.randint(2, 300) * 250:,}",
            date=f"{self.random.randint(1, 28)} {self.random.choice(MONTHS)} 2026",
        )


# --- The run --------------------------------------------------------------------------------


@contextmanager
def fake_model(port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [
            str(VENV_PYTHON),
            str(ROOT / "tests" / "async_fake_llm.py"),
            "--seconds",
            "0",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.startswith("http://127.0.0.1:"):
            raise BenchError("the fake model did not start")
        yield line
    finally:
        process.terminate()
        process.wait(timeout=10)


def django_ready(database_url: str, base_url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "LLM_PROVIDER": "openai",
            "LLM_API_KEY": "bench-key",
            "LLM_BASE_URL": base_url,
            "LLM_EMBEDDING_MODEL": MODEL,
            "CELERY_BROKER_URL": "memory://",  # the job is run here, not queued
            "REDIS_URL": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def database_create(database_url: str) -> None:
    url = urlparse(database_url)
    if url.scheme != "mysql":
        return
    import MySQLdb

    name = url.path.lstrip("/")
    connection = MySQLdb.connect(
        host=url.hostname, port=url.port or 3306, user=url.username, passwd=url.password or ""
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    connection.close()


def database_drop(database_url: str) -> None:
    from django.db import connection

    connection.close()
    url = urlparse(database_url)
    if url.scheme == "sqlite":
        Path(url.path).unlink(missing_ok=True)
        return
    import MySQLdb

    server = MySQLdb.connect(
        host=url.hostname, port=url.port or 3306, user=url.username, passwd=url.password or ""
    )
    with server.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{url.path.lstrip('/')}`")
    server.close()


@dataclass
class SeedResult:
    seed: int
    passages: int
    case_recall: dict[str, float]
    firm_recall: dict[str, float]
    latencies_ms: list[float]
    first_query_ms: float
    embed_s: float
    # Pages a second the product's extraction reads, by format, of the seed's documents
    # rendered as files.
    extraction: dict[str, float]


def run_seed(seed: int, args: argparse.Namespace) -> SeedResult:
    from asgiref.sync import async_to_sync
    from django.core.management import call_command

    from cases.models import Document, Passage
    from consultations.llm.embeddings import question_vector
    from consultations.retrieval import _vectors
    from consultations.services.embedding import document_embed
    from tests.factories import AdminFactory, CaseFactory, LawyerFactory

    call_command("flush", interactive=False, verbosity=0)
    _vectors.clear()
    generated, questions = Generator(seed).corpus(
        documents=args.documents, passages=args.passages, questions=args.questions
    )
    extraction = extraction_rates(generated)
    admin = AdminFactory()
    lawyer = LawyerFactory()
    stored: list[Document] = []
    for index, made in enumerate(generated):
        if index % len(KINDS) == 0:
            case = CaseFactory(lawyers=[lawyer], opposing_parties="")
        document = Document.objects.create(
            case=case,
            title=made.title,
            file=f"documents/bench/{made.title}",
            format=Document.Format.PDF,
            content_type="application/pdf",
            size=1,
            sha256=f"{seed:08d}{index:056d}",
            status=Document.Status.READY,
            page_count=PAGES,
            uploaded_by=lawyer,
        )
        per_page = max(1, len(made.passages) // PAGES)
        Passage.objects.bulk_create(
            Passage(
                document=document,
                position=position,
                page=position // per_page + 1,
                start=0,
                end=len(text),
                text=text,
            )
            for position, text in enumerate(made.passages)
        )
        stored.append(document)
    started = time.perf_counter()
    for document in stored:
        document_embed(document_id=document.pk)
    embed_s = time.perf_counter() - started
    answers = {
        (document_index, position): pk
        for document_index, document in enumerate(stored)
        for pk, position in document.passages.values_list("pk", "position")
    }
    vectors = [async_to_sync(question_vector)(question=q.text) for q in questions]
    # Each question asked by the case's lawyer about its case: that case's four documents.
    case_recall = recall(
        questions,
        vectors,
        answers,
        user=lawyer,
        case_of=lambda question: stored[question.document].case,
    )
    # The same documents moved to the knowledge base (a plain update keeps their vectors and
    # `updated_at`): an admin asking with no case searches every passage.
    Document.objects.update(case=None)
    started = time.perf_counter()
    retrieve(admin, None, questions[0].text, vectors[0], semantic=True)
    first_query_ms = (time.perf_counter() - started) * 1000
    firm_recall = recall(questions, vectors, answers, user=admin, case_of=lambda question: None)
    latencies: list[float] = []
    for _ in range(LATENCY_ROUNDS):
        for question, vector in zip(questions, vectors, strict=True):
            started = time.perf_counter()
            retrieve(admin, None, question.text, vector, semantic=True)
            latencies.append((time.perf_counter() - started) * 1000)
    return SeedResult(
        seed=seed,
        passages=Passage.objects.count(),
        case_recall=case_recall,
        firm_recall=firm_recall,
        latencies_ms=latencies,
        first_query_ms=first_query_ms,
        embed_s=embed_s,
        extraction=extraction,
    )


def extraction_rates(generated: list[GeneratedDocument]) -> dict[str, float]:
    """Pages a second `cases.extraction.pages_extract` reads (thread CPU time) of the
    documents rendered as PDF (fpdf2, a text layer) and Word files, PAGES pages each."""
    from cases.extraction import pages_extract
    from tests.documents import docx_bytes, pdf_bytes

    rates: dict[str, float] = {}
    for format, render in (
        ("pdf", pdf_bytes),
        ("docx", lambda pages: docx_bytes([[page] for page in pages])),
    ):
        files = [render(_pages(made.passages)) for made in generated]
        started = time.thread_time()
        pages = sum(len(pages_extract(data=data, format=format)) for data in files)
        rates[format] = pages / (time.thread_time() - started)
    return rates


def _pages(passages: list[str]) -> list[str]:
    per_page = max(1, len(passages) // PAGES)
    return ["\n\n".join(passages[i : i + per_page]) for i in range(0, len(passages), per_page)]


def retrieve(
    user: User, case: Case | None, question: str, vector: QuestionVector, *, semantic: bool
) -> list[int]:
    from consultations.retrieval import sources_for

    sources = sources_for(
        user=user,
        case=case,
        question=question,
        limit=TOP,
        query_vector=vector if semantic else None,
    )
    return [source.passage_id for source in sources]


def recall(
    questions: list[Question],
    vectors: list[QuestionVector],
    answers: dict[tuple[int, int], int],
    *,
    user: User,
    case_of: Callable[[Question], Case | None],
) -> dict[str, float]:
    """recall@5 of lexical, semantic and combined retrieval: semantic is the product's
    similarity ranking alone, over the same documents as the others."""
    from cases.selectors import documents_to_consult
    from consultations.retrieval import passages_nearest

    hits = {"lexical": 0, "semantic": 0, "combined": 0}
    for question, vector in zip(questions, vectors, strict=True):
        answer = answers[question.document, question.position]
        case = case_of(question)
        documents = dict(documents_to_consult(user=user, case=case).values_list("pk", "updated_at"))
        semantic = passages_nearest(vector, documents=documents, limit=TOP)
        hits["lexical"] += answer in retrieve(user, case, question.text, vector, semantic=False)
        hits["semantic"] += answer in semantic
        hits["combined"] += answer in retrieve(user, case, question.text, vector, semantic=True)
    return {kind: count / len(questions) for kind, count in hits.items()}


def report(results: list[SeedResult], args: argparse.Namespace, vendor: str) -> None:
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {vendor}; {args.documents} documents in "
        f"{args.documents // len(KINDS)} cases, {results[0].passages:,} passages, "
        f"{args.questions} questions a seed\n"
    )
    print(
        "| seed | scope | recall@5 lexical | semantic | combined | p50 ms | p99 ms "
        "| first query ms |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for result in results:
        c, f = result.case_recall, result.firm_recall
        print(
            f"| {result.seed} | its case (4 documents) | {c['lexical']:.3f} | "
            f"{c['semantic']:.3f} | {c['combined']:.3f} | | | |"
        )
        print(
            f"| {result.seed} | every passage ({result.passages:,}) | {f['lexical']:.3f} | "
            f"{f['semantic']:.3f} | {f['combined']:.3f} "
            f"| {percentile(result.latencies_ms, 50):.1f} "
            f"| {percentile(result.latencies_ms, 99):.1f} | {result.first_query_ms:.0f} |"
        )
    combined = min(result.case_recall["combined"] for result in results)
    p50 = max(percentile(result.latencies_ms, 50) for result in results)
    embed = sum(r.passages / r.embed_s for r in results) / len(results)
    print(f"\nembedding (scrub + fake model + store): {embed:,.0f} passages/s")
    for format in results[0].extraction:
        rate = sum(r.extraction[format] for r in results) / len(results)
        print(f"extraction of the documents as {format} files: {rate:,.0f} pages/s")
    print(
        f"combined recall@5 in the question's case, worst seed: {combined:.3f}  "
        f"(target >= 0.9: {'ok' if combined >= 0.9 else 'MISS'})"
    )
    print(
        f"retrieval p50 over {results[0].passages:,} passages, worst seed: {p50:.1f} ms  "
        f"(target <= 50 ms: {'ok' if p50 <= 50 else 'MISS'})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="mysql://root@127.0.0.1:3306/counsel_retrievalbench"
    )
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--port", type=int, default=0, help="the fake model's; default any")
    args = parser.parse_args()
    database_create(args.database_url)
    with fake_model(args.port) as base_url:
        django_ready(args.database_url, base_url)
        from django.core.management import call_command
        from django.db import connection

        try:
            call_command("migrate", verbosity=0)
            results = [run_seed(seed, args) for seed in args.seeds]
            report(
                results,
                args,
                f"{connection.vendor} {connection.mysql_server_info}"
                if connection.vendor == "mysql"
                else connection.vendor,
            )
        finally:
            database_drop(args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
