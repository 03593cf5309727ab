"""Indexing a document: claim it, extract its text, split it into passages, store them."""

from __future__ import annotations


def document_index(*, document_id: int, task_id: str, request_id: str) -> None:
    raise NotImplementedError("being built")
