"""The words full-text search compares: a passage's and a query's text folded to stems, so
that "terminates", "termination" and "terminated" find "terminate", "Zurich" finds "Zürich",
and MariaDB's FULLTEXT index and SQLite's FTS5 table (which index the result, `search_text`,
as plain words) find the same passages.

A word is a run of letters and digits. It is case-folded, stemmed by the Snowball stemmer of
its text's language (the firm writes English, German, French, Dutch, Spanish and Italian; the
language is the one whose common words the text uses most, English when none), then stripped
of accents. A query is stemmed in its own language, told the same way, and in all six when
its words do not tell (a word or two, no common word): stemming every question in all six
and matching any of the forms found more unrelated passages than inflections ("tenant" is
Italian "ten", matching "ten days"), and lowered recall@5 by two to four points on the
retrieval bench.

Two rules make InnoDB's FULLTEXT parser see every word SQLite does: it skips words shorter
than `innodb_ft_min_token_size` (3) and the words of its default stopword list, so those are
padded with underscores, a word character to both indexes ("uk" is "uk_", "will" is
"will_"); it skips words longer than 84 characters, so every word is cut there.

Changing these rules changes what the index must hold: a migration then computes every
passage's `search_text` again, as 0005 does.

Each step looks at each character a bounded number of times: linear in the text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+")
# InnoDB's innodb_ft_min_token_size and innodb_ft_max_token_size defaults.
_SHORTEST = 3
_LONGEST = 84
# INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD, as folded here.
_INNODB_STOPWORD_LIST = (
    "a about an are as at be by com de en for from how i in is it la of on or that the this to "
    "was what when where who will with und www"
)
_INNODB_STOPWORDS = frozenset(_INNODB_STOPWORD_LIST.split())
# A question's words past this many add little to relevance and only cost the index's time.
MAX_QUERY_WORDS = 32

# The commonest words of each language: enough to tell a text's language by counting them.
_COMMON = {
    "english": (
        "the of and to in is that for it with as on be by this are or shall any not from at which "
        "will must may has have was were its an a if than such no"
    ),
    "german": (
        "der die das und ist nicht den dem des ein eine einer eines mit zu von auf für sich im "
        "sind wird werden oder auch bei nach wenn kann hat"
    ),
    "french": (
        "de le la les et des est du une un pour que qui dans par sur au aux ne pas sont être ou "
        "avec ce cette il elle peut doit"
    ),
    "dutch": (
        "de het een en van is dat niet op te zijn voor met aan door wordt worden bij ook als naar "
        "deze dit kan moet"
    ),
    "spanish": (
        "el la los las y de del que en es por para con una un se no al lo su sus como más o debe "
        "puede será"
    ),
    "italian": (
        "il lo la gli le di del della dei delle che è e per con non una un si da al alla nel sono "
        "essere o deve può"
    ),
}
LANGUAGES = tuple(_COMMON)
_DEFAULT_LANGUAGE = "english"
_COMMON_WORDS = {language: frozenset(text.split()) for language, text in _COMMON.items()}
# Letters no Unicode decomposition takes apart.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)


@lru_cache(maxsize=len(LANGUAGES))
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def words(text: str) -> list[str]:
    """The words of `text`, case-folded, in order, each cut to InnoDB's longest (before it is
    stemmed, whose cost grows with the word). Composed first: a letter and its accent written
    as two characters are one letter of the word, not a break in it."""
    composed = unicodedata.normalize("NFC", text).casefold()
    return [word[:_LONGEST] for word in _WORD.findall(composed)]


def _languages_of(folded: list[str]) -> list[str]:
    """The languages whose common words `folded` holds most, in the order of `LANGUAGES`
    (English first); all of them when it holds none."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for word in folded:
        for language in LANGUAGES:
            if word in _COMMON_WORDS[language]:
                counts[language] += 1
    best = max(counts.values())
    return [language for language in LANGUAGES if counts[language] == best]


def language_of(folded: list[str]) -> str:
    """The language whose common words `folded` holds most; on a tie the first of them in
    `LANGUAGES`, English when it holds none."""
    return _languages_of(folded)[0]


def _unaccented(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.translate(_UNDECOMPOSED))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _indexable(stem: str) -> str:
    """`stem` as both indexes keep it: accents off, cut to InnoDB's longest word, short
    words and InnoDB's stopwords padded so that InnoDB does not skip them."""
    term = _unaccented(stem)[:_LONGEST]  # an accent taken apart may have added a letter
    if term in _INNODB_STOPWORDS or len(term) < _SHORTEST:
        term = term.ljust(_SHORTEST, "_") if len(term) < _SHORTEST else term + "_"
    return term


def search_text(text: str) -> str:
    """`text` as the full-text indexes see it: each word's stem, space-separated."""
    folded = words(text)
    stemmer = _stemmer(language_of(folded))
    return " ".join(_indexable(stem) for stem in stemmer.stemWords(folded))


def query_terms(query: str) -> list[str]:
    """The distinct index terms any of which a passage matching `query` holds: the stems of
    its first `MAX_QUERY_WORDS` distinct words, accented and unaccented (a word typed without
    its accent may stem otherwise), in the query's language; in every language when its
    common words do not tell one ("Kündigungen" alone is German "kundig" as well as English
    "kundigungen"), since each passage was stemmed in its own."""
    folded = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
    forms = folded + [_unaccented(word) for word in folded]
    languages = _languages_of(folded)
    if len(languages) > 1:
        languages = list(LANGUAGES)
    terms: dict[str, None] = {}
    for language in languages:
        for stem in _stemmer(language).stemWords(forms):
            terms.setdefault(_indexable(stem), None)
    return list(terms)
