"""Queue the embedding job for every ready document the current embeddings model has not
embedded: after LLM_EMBEDDING_MODEL changed, or for documents indexed while it was unset.
With --all, every ready document (after SECRET_KEY was rotated: the pseudonyms of names in
the passages changed); until its job has run, a document is searched lexically only."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consultations.llm.embeddings import embedding_model
from consultations.services.embedding import documents_embedding_forget, documents_to_embed
from consultations.tasks import document_embed_task


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="every ready document")

    def handle(self, *args: Any, **options: Any) -> None:
        if not embedding_model():
            raise CommandError("No embeddings model: set LLM_EMBEDDING_MODEL (and a provider).")
        if options["all"]:
            documents_embedding_forget()
        queued = 0
        for document_id in documents_to_embed().values_list("pk", flat=True).iterator():
            document_embed_task.delay(document_id)
            queued += 1
        self.stdout.write(f"Queued {queued} document(s) for {embedding_model()}.")
