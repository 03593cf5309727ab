"""Personal data scrubbing for everything that leaves the firm toward the LLM.

Secrets (card numbers, IBANs, SSNs, national identity numbers, passports, API keys, passwords)
are masked for good as ``[CARD_NUMBER]``, ``[IBAN]``...: nothing keeps the original. Identities
(the case's parties named by the caller, emails, phones, postal addresses, dates of birth, IP
addresses) become numbered placeholders such as ``<PERSON_1>``; the originals stay in the firm in
the mapping, and :func:`restore` puts them back into the model's answer.

Secrets are detected first, so a card number can never be mistaken for a phone number: every
detector reads the original text, and where values overlap the detector listed first wins
(``scrubber.py`` says how; ``kinds.py`` says what a detector may assume). Everything here is
compiled regexes plus a few checksums: no Django, no model, no network.

Every detector runs in time linear in its text, since any client chooses the text: a pattern's
unbounded parts are possessive or can only be entered from one start, and where a pattern would
read the same run again from each of its positions (digit groups, an e-mail's local part, a
key's body, a birth place's words), a small function reads the run once and checks the rest.
``tests/security/test_scrubber_linear_time.py`` holds every detector to it.
"""

from consultations.llm.pii.kinds import SECRET_TYPES, EntityType
from consultations.llm.pii.scrubber import (
    Scrubbed,
    Scrubber,
    mask_secrets,
    placeholders_defused,
    restore,
    scrub,
    unrestored_placeholders,
    warm_up,
)

__all__ = [
    "SECRET_TYPES",
    "EntityType",
    "Scrubbed",
    "Scrubber",
    "mask_secrets",
    "placeholders_defused",
    "restore",
    "scrub",
    "unrestored_placeholders",
    "warm_up",
]
