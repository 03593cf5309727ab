"""Retrieval of a question's passages: lexical, semantic (the fake server's test embeddings
model) and combined, only over the documents the caller may see; the embedding job; the cache
of question vectors.

Transactional tests: MariaDB's FULLTEXT index only sees committed rows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case, Document, Passage
from cases.signals import document_ready
from consultations.llm.embeddings import QuestionVector, question_vector
from consultations.retrieval import SEMANTIC_WEIGHT, fused, passages_nearest, sources_for
from consultations.services.embedding import document_embed
from consultations.tasks import document_embed_task
from tests.factories import (
    AdminFactory,
    CaseFactory,
    ClientFactory,
    DocumentFactory,
    LawyerFactory,
    PassageFactory,
)
from tests.fake_llm import FakeLLM, Status

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "fake-embedding"
NOTICE = "The Tenant may terminate this Lease by giving the Landlord three months written notice."
# Says what NOTICE says in other words: not one word of it is in NOTICE.
PARAPHRASE = "How long a warning must a lessee send an owner to end a tenancy?"
DEPOSIT = "The deposit of 2,000 pounds is returned within ten days after the lease ends."


@pytest.fixture
def embeddings(fake_llm: FakeLLM, settings: Settings) -> FakeLLM:
    settings.LLM_EMBEDDING_MODEL = MODEL
    return fake_llm


def document(case: Case | None, *texts: str) -> Document:
    made = DocumentFactory(case=case)
    for position, text in enumerate(texts):
        PassageFactory(document=made, position=position, page=position + 1, text=text)
    return made


def embedding_requests(fake: FakeLLM) -> list[list[str]]:
    return [r.json["input"] for r in fake.requests if r.path == "/v1/embeddings"]


def vector(question: str, **names: str) -> QuestionVector | None:
    return async_to_sync(question_vector)(question=question, known_names=names.values())


def texts(user: User, case: Case | None, question: str, **kwargs: object) -> list[str]:
    return [s.text for s in sources_for(user=user, case=case, question=question, limit=5, **kwargs)]


# --- Who may see what ------------------------------------------------------------------------


def test_a_lawyer_finds_the_passages_of_the_case_and_of_the_knowledge_base() -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    document(case, NOTICE)
    document(None, "Firm policy: check every lease's notice period before advising.")

    found = texts(lawyer, case, "notice period of the lease")

    assert set(found) == {NOTICE, "Firm policy: check every lease's notice period before advising."}


def test_a_client_never_gets_the_knowledge_base(embeddings: FakeLLM) -> None:
    client = ClientFactory()
    case = CaseFactory(client=client)
    document(case, NOTICE)
    firm_only = document(None, "Firm policy: the notice a tenant gives to terminate a lease.")
    document_embed(document_id=firm_only.pk)

    found = texts(client, case, "notice to terminate the lease", query_vector=vector(NOTICE))

    assert found == [NOTICE]


def test_another_cases_documents_are_never_searched(embeddings: FakeLLM) -> None:
    lawyer = LawyerFactory()
    case, other_case = CaseFactory(lawyers=[lawyer]), CaseFactory(lawyers=[lawyer])
    document(case, DEPOSIT)
    other = document(other_case, NOTICE)
    document_embed(document_id=other.pk)

    assert texts(lawyer, case, "notice to terminate", query_vector=vector(NOTICE)) == []


def test_documents_not_ready_are_never_searched() -> None:
    admin = AdminFactory()
    pending = document(None, NOTICE)
    Document.objects.filter(pk=pending.pk).update(status=Document.Status.EXTRACTING)

    assert texts(admin, None, "notice to terminate the lease") == []


# --- Semantic and combined -------------------------------------------------------------------


def test_semantic_search_finds_a_paraphrase_that_lexical_search_misses(
    embeddings: FakeLLM,
) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    lease = document(case, NOTICE, DEPOSIT)
    assert document_embed(document_id=lease.pk)

    assert NOTICE not in texts(lawyer, case, PARAPHRASE)
    assert NOTICE in texts(lawyer, case, PARAPHRASE, query_vector=vector(PARAPHRASE))


def test_a_passage_both_searches_find_ranks_above_those_only_one_finds() -> None:
    lexical, semantic = [1, 3, 2], [3, 4]

    # 3 is found by both; semantic search's first (4) outranks lexical search's first (1).
    assert fused([(lexical, 1.0), (semantic, SEMANTIC_WEIGHT)]) == [3, 4, 1, 2]
    # Ties go to the better single rank, then to the older passage.
    assert fused([([5, 6], 1.0), ([7, 8], 1.0)]) == [5, 7, 6, 8]


def test_combined_search_keeps_what_lexical_search_alone_finds(embeddings: FakeLLM) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    lease = document(case, NOTICE, DEPOSIT, "Schedule 4: inventory of furniture, item 2,000.")
    document_embed(document_id=lease.pk)
    question = "deposit 2,000 pounds returned"

    found = texts(lawyer, case, question, query_vector=vector(question))

    assert found[0] == DEPOSIT


PARTIES = "Ashcombe Foods Ltd and Redfern Media LLP"
# Clauses every agreement has, each naming both parties, as most passages of a contract do.
BOILERPLATE = [
    f"Clause {k}. {clause}"
    for k in (3, 13)
    for clause in (
        f"Headings are for convenience only and do not affect this agreement between {PARTIES}.",
        f"This document may be signed in counterparts, and {PARTIES} agree to electronic "
        "signatures.",
        f"Each of {PARTIES} bears its own costs of preparing and negotiating this document.",
    )
]
# Answers the question below while sharing nothing with it but the parties' names.
NO_OBLIGATION = (
    "Nothing in this agreement obliges Ashcombe Foods Ltd or Redfern Media LLP to enter into "
    "any further transaction, and either may end discussions at any time."
)


def test_boilerplate_naming_the_parties_no_longer_outranks_the_answer(
    embeddings: FakeLLM,
) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    nda = document(case, *BOILERPLATE, NO_OBLIGATION)
    document_embed(document_id=nda.pk)
    question = "Can Ashcombe Foods Ltd walk away from the talks with Redfern Media LLP?"
    query_vector = vector(question)
    assert query_vector is not None
    # Each boilerplate clause is nearer the question than the answer is (fewer other words).
    passages = Passage.objects.filter(document=nda).order_by("position")
    cosines = [
        float(np.frombuffer(bytes(p.embedding), "<f4") @ query_vector.values) for p in passages
    ]
    assert max(cosines[:-1]) > cosines[-1] > 0

    updated = {nda.pk: Document.objects.get(pk=nda.pk).updated_at}
    nearest = passages_nearest(query_vector, documents=updated, limit=5)

    assert nearest[0] == passages.last().pk
    assert texts(lawyer, case, question, query_vector=query_vector)[0] == NO_OBLIGATION


def test_semantic_search_leaves_out_passages_of_no_similarity(embeddings: FakeLLM) -> None:
    # Centred scores of unrelated passages can be above a related one's: they still stay out.
    lease = document(None, NOTICE, "Schedule 4: inventory of furniture.", "Signed in counterparts.")
    document_embed(document_id=lease.pk)
    query_vector = vector(PARAPHRASE)
    assert query_vector is not None

    updated = {lease.pk: Document.objects.get(pk=lease.pk).updated_at}
    nearest = passages_nearest(query_vector, documents=updated, limit=5)

    assert nearest == [Passage.objects.get(document=lease, text=NOTICE).pk]


def test_an_embeddings_outage_falls_back_to_lexical_search(
    embeddings: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    lease = document(case, NOTICE, DEPOSIT)
    document_embed(document_id=lease.pk)
    embeddings.default = Status(503)
    question = "When is the deposit returned?"

    with caplog.at_level(logging.WARNING, logger="counsel.llm"):
        query = vector(question)

    assert query is None
    assert texts(lawyer, case, question, query_vector=query)[0] == DEPOSIT
    assert "lexical search only" in caplog.text
    assert "deposit" not in caplog.text.lower()


def test_without_an_embeddings_model_no_question_is_embedded(fake_llm: FakeLLM) -> None:
    assert vector(PARAPHRASE) is None
    assert embedding_requests(fake_llm) == []


def test_the_offline_provider_has_no_embeddings(settings: Settings) -> None:
    settings.LLM_PROVIDER = "offline"
    settings.LLM_EMBEDDING_MODEL = MODEL

    assert vector(PARAPHRASE) is None


def test_a_chat_question_about_a_case_draws_on_a_paraphrased_passage(
    embeddings: FakeLLM, api_client_for: Callable[[User], APIClient]
) -> None:
    client = ClientFactory()
    case = CaseFactory(client=client, opposing_parties="")
    lease = document(case, NOTICE, DEPOSIT)
    document_embed(document_id=lease.pk)

    response = api_client_for(client).post(
        reverse("ai-api:chat"),
        {"userId": client.pk, "message": PARAPHRASE, "context": {"caseId": case.pk}},
        format="json",
    )

    assert response.status_code == 200
    (chat,) = [r for r in embeddings.requests if r.path == "/v1/chat/completions"]
    assert NOTICE in chat.json["messages"][0]["content"]


# --- Question vectors' cache -----------------------------------------------------------------


def test_a_question_is_embedded_once_then_read_from_the_cache(embeddings: FakeLLM) -> None:
    first, second = vector(PARAPHRASE), vector(PARAPHRASE)

    assert first is not None
    assert second is not None
    assert np.array_equal(first.values, second.values)
    assert len(embedding_requests(embeddings)) == 1


def test_question_vectors_without_redis_are_asked_for_each_time(
    embeddings: FakeLLM, redis_down: None
) -> None:
    first, second = vector(PARAPHRASE), vector(PARAPHRASE)

    assert first is not None
    assert second is not None
    assert np.array_equal(first.values, second.values)
    assert len(embedding_requests(embeddings)) == 2


def test_a_question_is_scrubbed_before_it_is_embedded(embeddings: FakeLLM) -> None:
    vector("Did Helen Carter (helen@example.com) give notice?", party="Helen Carter")

    (sent,) = embedding_requests(embeddings)
    assert "Helen" not in sent[0]
    assert "helen@example.com" not in sent[0]
    assert re.fullmatch(r"Did <PERSON_\w+> \(<EMAIL_\w+>\) give notice\?", sent[0])


def test_a_party_has_one_pseudonym_in_passages_and_questions(embeddings: FakeLLM) -> None:
    case = CaseFactory(opposing_parties="Helen Carter")
    lease = document(case, "Helen Carter, the Tenant, may terminate on three months notice.")
    document_embed(document_id=lease.pk)

    vector("What notice must Ms Carter give?", party="Helen Carter")

    passage, question = (texts[0] for texts in embedding_requests(embeddings))
    pseudonym = re.search(r"<PERSON_\w+>", passage)
    assert pseudonym is not None
    assert "Carter" not in passage + question
    assert question == f"What notice must Ms {pseudonym.group()} give?"


def test_a_name_the_scrubber_reads_in_one_passage_is_hidden_in_all(embeddings: FakeLLM) -> None:
    # "as agreed by" tells the scrubber a person follows; first in a sentence, nothing does.
    case = CaseFactory(opposing_parties="")
    letter = document(
        case,
        "Tansley Works plc rejects the allegation that the goods were defective.",
        "The plan attached shows the yard edged red, as agreed by Tansley Works plc on 3 May.",
    )
    document_embed(document_id=letter.pk)

    vector("Does Tansley Works plc accept that the goods were faulty?")

    passages, (question,) = embedding_requests(embeddings)
    assert "Tansley" not in " ".join([*passages, question])
    pseudonyms = {re.search(r"<PERSON_\w+>", text).group() for text in [*passages, question]}
    assert len(pseudonyms) == 1


# --- The embedding job -----------------------------------------------------------------------


def test_the_job_stores_unit_vectors_and_the_model(embeddings: FakeLLM) -> None:
    lease = document(CaseFactory(), NOTICE, DEPOSIT)

    assert document_embed(document_id=lease.pk)

    lease.refresh_from_db()
    assert lease.embedding_model == MODEL
    for passage in Passage.objects.filter(document=lease):
        values = np.frombuffer(bytes(passage.embedding), dtype="<f4")
        assert values.size > 0
        assert abs(float(np.linalg.norm(values)) - 1) < 1e-5


def test_the_job_sends_passages_scrubbed_of_the_cases_parties(embeddings: FakeLLM) -> None:
    case = CaseFactory(opposing_parties="Helen Carter")
    lease = document(case, "Helen Carter, the Tenant, may terminate on three months notice.")

    document_embed(document_id=lease.pk)

    (sent,) = embedding_requests(embeddings)
    assert "Carter" not in sent[0]


def test_the_job_run_twice_embeds_once(embeddings: FakeLLM) -> None:
    lease = document(CaseFactory(), NOTICE, DEPOSIT)

    assert document_embed(document_id=lease.pk)
    assert not document_embed(document_id=lease.pk)

    assert embedding_requests(embeddings) == [[NOTICE, DEPOSIT]]


def test_a_new_embedding_model_re_embeds(embeddings: FakeLLM, settings: Settings) -> None:
    lease = document(CaseFactory(), NOTICE)
    document_embed(document_id=lease.pk)
    settings.LLM_EMBEDDING_MODEL = "fake-embedding-2"

    assert document_embed(document_id=lease.pk)

    lease.refresh_from_db()
    assert lease.embedding_model == "fake-embedding-2"
    assert [r.json["model"] for r in embeddings.requests] == [MODEL, "fake-embedding-2"]


def test_documents_of_an_old_model_are_searched_lexically_until_re_embedded(
    embeddings: FakeLLM, settings: Settings, eager_celery: None
) -> None:
    lawyer = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer])
    lease = document(case, NOTICE, DEPOSIT)
    document_embed(document_id=lease.pk)
    settings.LLM_EMBEDDING_MODEL = "fake-embedding-2"

    assert NOTICE not in texts(lawyer, case, PARAPHRASE, query_vector=vector(PARAPHRASE))

    call_command("embeddings_refresh")
    assert NOTICE in texts(lawyer, case, PARAPHRASE, query_vector=vector(PARAPHRASE))


def test_refreshing_all_embeddings_embeds_every_document_again(
    embeddings: FakeLLM, eager_celery: None
) -> None:
    lease = document(CaseFactory(), NOTICE)
    document_embed(document_id=lease.pk)

    call_command("embeddings_refresh", "--all")

    assert embedding_requests(embeddings) == [[NOTICE], [NOTICE]]
    lease.refresh_from_db()
    assert lease.embedding_model == MODEL


def test_a_ready_document_is_embedded_by_the_job_its_signal_queues(
    embeddings: FakeLLM, eager_celery: None
) -> None:
    lease = document(CaseFactory(), NOTICE)

    document_ready.send(sender=Document, document_id=lease.pk)

    lease.refresh_from_db()
    assert lease.embedding_model == MODEL


def test_the_job_gives_up_on_an_outage_and_leaves_the_document_lexical(
    embeddings: FakeLLM, eager_celery: None
) -> None:
    lease = document(CaseFactory(), NOTICE)
    embeddings.default = Status(400)

    document_embed_task.delay(lease.pk)

    lease.refresh_from_db()
    assert lease.embedding_model == ""
    assert not Passage.objects.filter(document=lease, embedding__isnull=False).exists()
