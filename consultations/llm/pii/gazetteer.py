"""First names and surnames from every locale of Faker's person providers, for the detector
of people the case does not list (a firm's witnesses, neighbours and doctors come from
everywhere, not only from the six languages the firm writes in); and the common words of the
languages the firm writes in, from Faker's lorem and address providers, which tell a
capitalised word of a heading ("Social Security", "Mutual Agreement") from a name no list
holds.

Loaded on first use and kept for the process: importing 86 provider modules and folding
42,000 names costs 0.2-0.5 s and about 15 MB, which a process that never scrubs a name should
not pay.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


def fold(word: str) -> str:
    """A word as the gazetteer keys it: case and accents ignored ("Müller", "MULLER" and
    "muller" are one key), because headings drop accents and hurried typing too."""
    word = word.casefold()
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@dataclass(frozen=True)
class Gazetteer:
    first_names: frozenset[str]
    surnames: frozenset[str]
    words: frozenset[str]  # common words, folded: names of the lists among them too


def _words(values: Iterable[object]) -> set[str]:
    """Single-word Latin-script entries, folded; multi-word ones ("Van Hoecke", "Ó Dubhda")
    give their last word, which is the part written alone."""
    words = set()
    for value in values:
        if not isinstance(value, str) or not value:
            continue
        word = value.split()[-1]
        if word[0].isalpha() and ord(word[0]) < 0x250:
            words.add(fold(word))
    return words


@functools.cache
def gazetteer() -> Gazetteer:
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attribute, value in vars(provider).items():
            # Some lists are weighted dicts (name -> frequency); a few locales compute theirs
            # in a property, which the class does not hold as a list.
            if not isinstance(value, list | tuple | dict):
                continue
            if attribute.startswith("first_names"):
                first |= _words(value)
            elif attribute.startswith("last_names"):
                last |= _words(value)
    return Gazetteer(first_names=frozenset(first), surnames=frozenset(last), words=_common_words())


# The languages the firm writes in, by the locales of Faker's lorem providers.
_WORD_LOCALES = ("en_US", "de_DE", "fr_FR", "nl_NL", "nl_BE", "it_IT", "es_ES")


def _common_words() -> frozenset[str]:
    words: set[str] = set()
    for locale in _WORD_LOCALES:
        provider = importlib.import_module(f"faker.providers.lorem.{locale}").Provider
        words |= {fold(word) for word in provider.word_list if word.isalpha()}
    # And the words that end a street's name ("Webster Islands", "Watson Loop").
    streets = importlib.import_module("faker.providers.address.en_US").Provider
    words |= {fold(word) for word in streets.street_suffixes}
    return frozenset(words)
