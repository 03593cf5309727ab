"""The document types Counsel drafts: their input fields, validation, and assembly of a whole
first draft from a template, plus the text helpers drafting uses on any finished draft."""

from __future__ import annotations

from drafting.doctypes.catalogue import DOCUMENT_TYPES, UnknownDocumentType, get_document_type
from drafting.doctypes.schema import (
    MAX_INPUTS_CHARS,
    NON_FIELD_ERRORS,
    Assembled,
    DocumentType,
    Field,
    format_date,
    format_money,
)
from drafting.doctypes.text import Section, find_placeholders, sections_of

__all__ = [
    "DOCUMENT_TYPES",
    "MAX_INPUTS_CHARS",
    "NON_FIELD_ERRORS",
    "Assembled",
    "DocumentType",
    "Field",
    "Section",
    "UnknownDocumentType",
    "find_placeholders",
    "format_date",
    "format_money",
    "get_document_type",
    "sections_of",
]
