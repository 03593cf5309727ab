"""The labelled personal-data corpus, generated in memory (seeded, Faker pinned): :func:`generate`.

Nothing here is committed data: `tests.privacy.evaluation.corpus()` calls :func:`generate` once
per process, and the same seed with the same Faker (pinned in requirements.txt) gives the same
texts. `python tests/privacy/generate_corpus.py` writes them to `var/privacy-corpus.jsonl` to read.

Each item is one document a law firm receives or writes (a client's e-mail, an intake note, a
contract clause, a witness statement, court correspondence), in the language of its locale, with
the people and numbers of that country::

    {"id", "locale", "genre", "text", "known_names" (the case's parties, which the product gives
     the scrubber), "entities": [{"type", "start", "end", "value", "format"} + for PERSON
     {"listed": bool, "title" (when one precedes the name), "suffix" (the rest of a business's
     name the name is in)} + for people nobody listed {"source": "faker" | "heldout"}],
     "keep": [{"start", "end", "value", "kind"}] (look-alikes that must be left intact)}

A party's name is labelled in every form it is written in (first name alone, "J. Surname",
"Surname, First", surname alone, after a title, in capitals, without its diacritics, before a
possessive, inside a business's name, a company without its legal form); a title and a
possessive's "'s" are not part of the label. People nobody listed (witnesses, neighbours,
doctors, judges, counsel, children) are named half from Faker's lists and half from
:data:`HELD_OUT`, real names that no Faker person provider has (checked at generation), so a
detector built on Faker's lists is measured on names it has never seen.

Every secret is valid (python-stdnum checks cards, IBANs and national numbers); its look-alike
with a wrong check digit is a keep item. So are case references, statutes, event dates, money,
invoice numbers, companies (some named after people), courts, places that are first names,
laws named after people, brands, months and weekdays, and first names used as words ("will").
"""

from __future__ import annotations

import base64
import importlib
import json
import pkgutil
import random
import re
import string
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import faker.providers.person
import phonenumbers
from faker import Faker
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.iso7064 import mod_11_10
from stdnum.it import codicefiscale
from stdnum.nl import bsn

SEED = 20261205
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT")
TEXTS_PER_LOCALE = 570
KEEP_ONLY_PER_LOCALE = 40  # of TEXTS_PER_LOCALE: texts with look-alikes and no personal data
OUTPUT = Path(__file__).resolve().parents[2] / "var" / "privacy-corpus.jsonl"

T = TypeVar("T")


@dataclass(frozen=True)
class Entity:
    type: str
    value: str
    format: str
    listed: bool | None = None  # PERSON only: one of the case's parties
    source: str | None = None  # unlisted PERSON only: "faker" or "heldout"
    suffix: str = ""  # PERSON inside a business's name: the rest of that name


@dataclass(frozen=True)
class Keep:
    value: str
    kind: str


Part = str | Entity | Keep

# --- Names nobody's list has -----------------------------------------------------------------

# Real first names and surnames of each language, written by hand, that no Faker person provider
# (any locale) lists: :func:`held_out` refuses the corpus if a Faker upgrade adds one.
HELD_OUT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Eluned", "Tamsin", "Leofric", "Wystan", "Cressida", "Jago", "Perpetua", "Fenella",
         "Ptolemy", "Ottoline", "Peregrine", "Hephzibah", "Jolyon", "Bathsheba", "Lettice",
         "Barnaby", "Lysander", "Tobiah", "Zebedee", "Marigold", "Posy", "Hyacinth"),
        ("Quartermaine", "Fothergill", "Pemberton", "Ravenscroft", "Ashdown", "Cholmondeley",
         "Blencowe", "Trelawney", "Penhaligon", "Wolstenholme", "Featherstonehaugh", "Grimshaw",
         "Ollerenshaw", "Pickersgill", "Sowerbutts", "Higginbottom", "Ramsbottom",
         "Thistlethwaite", "Hollingworth", "Tankersley", "Scattergood", "Bellingham",
         "Postlethwaite", "Winterbottom", "Oakeshott", "Merriweather", "Catesby", "Kettlewell",
         "Braithwaite", "Haverstock", "Mottram", "Swithinbank", "Loveridge", "Fairbrother",
         "Gathercole", "Lillywhite", "Brocklehurst"),
    ),
    "de": (
        ("Hinnerk", "Tjark", "Swanhild", "Leberecht", "Bertolt", "Radegund", "Ruprecht",
         "Reinmar"),
        ("Quackenbusch", "Wohlgemuth", "Zwanziger", "Pfefferkorn", "Kesselring", "Hinterhuber",
         "Obermaier", "Knabenschuh", "Wiedemeyer", "Rübenach", "Biedenkopf", "Hollerbach",
         "Schimmelpfennig", "Gänsewein", "Leimbacher", "Sauerbrey", "Trautwein", "Ziegenbalg",
         "Bierwirth", "Hasenclever", "Wackernagel", "Rosenstengel", "Fleischhauer",
         "Mittelstraß", "Grünspan", "Eichendorff", "Ochsenknecht", "Pfannenstiel", "Kälberer",
         "Tiefenthaler", "Zitzelsberger", "Haberkorn", "Honigmann", "Schlotterbeck",
         "Rabenhorst"),
    ),
    "fr": (
        ("Enora", "Soizic", "Eudes", "Sixtine", "Bartholomé", "Anselme", "Gwendal", "Ombeline",
         "Philibert", "Aldric", "Maïwenn", "Tiphaine", "Bertille", "Isaure", "Honorine",
         "Sosthène", "Hyacinthe", "Albéric", "Radegonde", "Gonzague", "Domitille", "Évariste",
         "Anténor", "Bénigne", "Amédée"),
        ("Boisjoli", "Vautrin", "Tournebise", "Delacroix-Mabire", "Chassagnol", "Pignatelli",
         "Larrouturou", "Dufourcq", "Hautecoeur", "Lespinasse", "Malbranque", "Raspail",
         "Vasseur-Lemoine", "Trouillard", "Cazenave", "Etcheverry", "Goasdoué", "Jaouen",
         "Kerhervé", "Mazurier", "Peyrefitte", "Sarrazin", "Tessonneau", "Villepreux", "Abadie",
         "Barbeyrac", "Castagnède", "Daguerre", "Escoffier", "Fabre-Lacoste", "Hervouët",
         "Pradier"),
    ),
    "nl": (
        ("Wietske", "Tjitske", "Geertruida", "Aaltje", "Ynze", "Marjolein", "Lieuwe", "Sietske",
         "Hilbrand", "Jildou", "Gerbrich", "Douwe", "Aukje", "Epke", "Frouke", "Harm-Jan",
         "Jurjen", "Klaasje", "Lolkje", "Meindert", "Oebele", "Pieternella", "Roelof",
         "Sjoukje", "Trijntje", "Uilke", "Welmoed", "Aafke", "Bauke", "Dieuwke", "Eelco",
         "Gerlof", "Jeltje", "Reinder", "Tjeerd"),
        ("Ruisdael", "Zwanenburg", "Hoogeveen-Smits", "Doornbos", "Stoutjesdijk", "Wijnaendts",
         "Halbertsma", "Oudshoorn", "Scheepmaker", "Tuinstra", "Vlasblom", "Zijlstra",
         "Bakhuis", "Boelens", "Dijkhuizen", "Feddema", "Geertsma", "Haitsma", "Jongsma",
         "Kooistra", "Lautenbach", "Miedema", "Noordhoek", "Oosterbaan", "Rozendaal", "Terpstra",
         "Uitterdijk", "Westerhof", "Ypma", "Zandvliet", "Hiemstra"),
    ),
    "es": (
        ("Nekane", "Xabier", "Ainhoa", "Maitane", "Garazi", "Unai", "Edurne", "Arantxa", "Iratxe",
         "Josune", "Koldo", "Ander", "Oihana", "Zuriñe", "Pancracio", "Gumersindo", "Nicasio",
         "Onésimo", "Sinforosa"),
        ("Arrizabalaga", "Etxeberria", "Goikoetxea", "Urkullu", "Zubizarreta", "Olabarrieta",
         "Iturriaga", "Aguirrezabala", "Beitia", "Gorostiza", "Ibarguren", "Oyarzábal",
         "Txurruka", "Echenique", "Azpilicueta", "Berasategui", "Castañeda-Ruiz",
         "Villalobos-Peña", "Montoya-Lara", "Valdivieso", "Alcántara-Roig", "Bengoechea",
         "Dorronsoro", "Huarte", "Maeztu", "Orbegozo", "Plazaola", "Recalde", "Salaberría"),
    ),
    "it": (
        ("Gualtiero", "Tancredi", "Ippolita", "Filiberto", "Benedetta", "Ottavia", "Crescenzo",
         "Liborio", "Pasquina", "Santuzza", "Tommasina", "Venanzio", "Zelinda", "Clodoveo",
         "Domitilla", "Egidio", "Gaudenzio", "Ildebrando", "Nazzareno", "Onorina", "Serafino",
         "Teodolinda", "Vitaliano", "Brunilde", "Cesira"),
        ("Scarpaleggia", "Quagliarella", "Tomasello", "Mastrogiacomo", "Pizzichini", "Zampieri",
         "Cacciapuoti", "Esposito-Russo", "Finocchiaro", "Garibaldini", "Lanzavecchia",
         "Occhipinti", "Quattrocchi", "Rinaldini", "Sciacchitano", "Tagliaferri", "Vitiello",
         "Abbondanza", "Buonocore", "Frangipane", "Giacalone", "Impellizzeri", "Nicastro",
         "Orlandini", "Pellegrino-Sala", "Quartararo", "Rizzitelli", "Santangelo", "Ugolini",
         "Vassallo", "Zanzottera"),
    ),
}  # fmt: skip


@cache
def faker_names() -> frozenset[str]:
    """Every first name and surname of every Faker person provider, casefolded."""
    names: set[str] = set()
    for module in pkgutil.iter_modules(faker.providers.person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attribute in dir(provider):
            value = getattr(provider, attribute)
            if attribute.startswith(("first_name", "last_name")) and isinstance(
                value, list | tuple | dict | set | frozenset
            ):
                names.update(str(name).casefold() for name in value)
    return frozenset(names)


@cache
def held_out() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    known = faker_names()
    clash = [n for pair in HELD_OUT.values() for ns in pair for n in ns if n.casefold() in known]
    if clash:
        raise ValueError(f"held-out names that Faker lists: {clash}")
    return HELD_OUT


# --- Languages ------------------------------------------------------------------------------

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
}
WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "es": "lunes martes miércoles jueves viernes sábado domingo",
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica",
}
# (male, female) titles written before a surname.
TITLES = {
    "en": (("Mr", "Mr."), ("Ms", "Mrs", "Ms.")),
    "de": (("Herr",), ("Frau",)),
    "fr": (("M.", "Monsieur"), ("Mme", "Madame")),
    "nl": (("meneer", "de heer", "dhr."), ("mevrouw", "mevr.")),
    "es": (("Sr.", "D.", "don"), ("Sra.", "Dña.", "doña")),
    "it": (("Sig.", "signor"), ("Sig.ra", "signora")),
}
DOCTOR = {"en": "Dr", "de": "Dr.", "fr": "Dr", "nl": "dr.", "es": "Dr.", "it": "Dott."}
JUDGE = {
    "en": ("Judge", "HHJ", "District Judge"),
    "de": ("Richterin", "Richter", "Vorsitzende Richterin"),
    "fr": ("la juge", "le juge", "la présidente"),
    "nl": ("rechter", "mr."),
    "es": ("la magistrada", "el juez", "la jueza"),
    "it": ("il giudice", "la giudice", "il presidente"),
}
# First names that are also words, for the parties of some texts.
WORD_NAMES = {
    "en": ("Will", "May", "Mark", "Rose", "Sunny", "Grace", "Hope", "Bill", "Frank", "Faith"),
    "de": ("Ernst", "Frank", "August", "Rosa"),
    "fr": ("Rose", "Aimé", "Blanche", "Constant"),
    "nl": ("Roos", "Mei", "Wil"),
    "es": ("Rosa", "Pilar", "Dolores", "Luz", "Mercedes", "Amparo"),
    "it": ("Rosa", "Bianca", "Viola", "Serena", "Fortunato"),
}
LEGAL_FORMS = {
    "en_US": ("LLC", "Inc.", "Corp."),
    "en_GB": ("Ltd", "Limited", "LLP"),
    "de": ("GmbH", "AG", "GmbH & Co. KG"),
    "fr": ("SARL", "SAS", "SA"),
    "nl": ("B.V.", "N.V."),
    "es": ("S.L.", "S.A."),
    "it": ("S.r.l.", "S.p.A."),
}
# Made-up businesses of the parties: "Brightline Logistics" + a legal form.
BUSINESS = {
    "en": (("Brightline", "Northgate", "Kestrel", "Bluewater", "Copperfield", "Harbourside"),
           ("Logistics", "Builders", "Software", "Catering", "Lettings", "Motors")),
    "de": (("Nordwind", "Rheintal", "Alpenblick", "Hansestadt", "Lindenhof", "Elbufer"),
           ("Logistik", "Bau", "Software", "Gastronomie", "Immobilien", "Autohaus")),
    "fr": (("Horizon", "Azur", "Belle Rive", "Méridien", "Trois Vallées", "Océane"),
           ("Bâtiment", "Transports", "Informatique", "Traiteur", "Immobilier", "Automobiles")),
    "nl": (("Duinzicht", "Polderland", "Maasoever", "Waddenwind", "IJsselkade", "Lindeboom"),
           ("Installatietechniek", "Transport", "Software", "Catering", "Vastgoed", "Bouw")),
    "es": (("Levante", "Sierra Norte", "Costa Brava", "Alborada", "Mediterránea", "Guadiana"),
           ("Reformas", "Transportes", "Informática", "Catering", "Inmobiliaria", "Motor")),
    "it": (("Aurora", "Monte Bianco", "Laguna", "Tramontana", "Val d'Adige", "Golfo"),
           ("Costruzioni", "Trasporti", "Informatica", "Ristorazione", "Immobiliare", "Motori")),
}  # fmt: skip
# "Nowak Design Studio": a business named after a party, who is still to be masked.
SHOP = {
    "en": (" Design Studio", " & Sons", " Plumbing", " TEA"),
    "de": (" Haustechnik", " Malerbetrieb", " & Söhne"),
    "fr": (" Frères", " Coiffure", " Conseil"),
    "nl": (" Schilderwerken", " Loodgieters", " & Zn."),
    "es": (" Hermanos", " Peluquería", " Asesores"),
    "it": (" & Figli", " Arredamenti", " Consulenze"),
}
COMPANIES = (
    "Morgan Stanley", "Johnson & Johnson", "Ernst & Young", "Procter & Gamble",
    "Marks & Spencer", "Siemens", "Philips", "Lidl", "Carrefour", "Zara", "Hugo Boss",
    "Louis Vuitton", "Ferrero", "Benetton", "Albert Heijn", "Goldman Sachs", "Deutsche Bahn",
    "Dr. Oetker", "Mercedes-Benz", "Sainsbury's", "Lehman Brothers", "Heineken", "El Corte Inglés",
)  # fmt: skip
BRANDS = (
    "Volkswagen", "Ford", "Tesla", "Dell", "McDonald's", "Disney", "Chanel", "Cartier", "Renault",
    "Peugeot", "Ferrari", "Porsche", "Kellogg's", "Gillette", "Boeing", "WhatsApp", "iPhone",
    "Vespa", "Nutella", "Seat", "Opel", "Lancia",
)  # fmt: skip
PLACES = {
    "en": ("Florence", "Victoria", "Charlotte", "Paris", "San José", "Santa Monica", "Austin",
           "Adelaide", "Augusta", "Eugene", "Lincoln", "Chelsea", "Madison", "Savannah",
           "Jackson", "Regina"),
    "de": ("Charlottenburg", "Ludwigsburg", "Friedrichshafen", "Sankt Augustin", "Paris",
           "Florenz", "Marienbad", "Augsburg", "Karlsruhe"),
    "fr": ("Saint-Étienne", "Sainte-Marie", "Florence", "Victoria", "Saint-Denis", "Charleville",
           "Saint-Nazaire", "Paris", "Saint-Malo"),
    "nl": ("Sint-Maartensdijk", "Florence", "Emmen", "Paris", "Charlois", "Victoria",
           "Sint-Oedenrode", "Annen"),
    "es": ("San José", "Santa Cruz", "Mercedes", "Dolores", "Victoria", "Florencia",
           "San Sebastián", "Santa Marta", "Santiago"),
    "it": ("San Marino", "Santa Margherita Ligure", "Sant'Agata", "San Remo", "Vittoria",
           "Santa Teresa", "Parigi", "Firenze"),
}  # fmt: skip
ACTS = {
    "en": ("Sherman Act", "Dodd-Frank Act", "Sarbanes-Oxley Act", "Taft-Hartley Act",
           "Magnuson-Moss Warranty Act", "Clayton Act"),
    "de": ("Hartz-IV-Reform", "Lex Koch", "Riester-Rente"),
    "fr": ("loi Hamon", "loi Pinel", "loi Badinter", "loi Macron", "loi Evin"),
    "nl": ("Wet Hillen", "Wet Mulder", "Wet Rutte"),
    "es": ("Ley Celaá", "Ley Wert", "Ley Sinde"),
    "it": ("Legge Biagi", "legge Fornero", "legge Pinto", "Legge Merlin"),
}  # fmt: skip
COURTS = {
    "en_US": ("Mercer County Court", "Superior Court of California", "District Court for the "
              "Southern District of New York", "Cook County Circuit Court"),
    "en_GB": ("High Court", "County Court at Central London", "Employment Tribunal",
              "Court of Appeal"),
    "de": ("Landgericht Berlin", "Amtsgericht München", "Arbeitsgericht Hamburg",
           "Oberlandesgericht Frankfurt"),
    "fr": ("Tribunal judiciaire de Lyon", "Conseil de prud'hommes de Paris",
           "Cour d'appel de Rennes"),
    "nl": ("Rechtbank Amsterdam", "Gerechtshof Den Haag", "Rechtbank Oost-Brabant"),
    "es": ("Juzgado de Primera Instancia nº 3 de Madrid", "Audiencia Provincial de Sevilla",
           "Juzgado de lo Social nº 2 de Bilbao"),
    "it": ("Tribunale di Milano", "Corte d'Appello di Roma", "Giudice di Pace di Torino"),
}  # fmt: skip
PASSPHRASE_WORDS = {
    "en": "lemon harbour tiger violet copper meadow rocket pebble lantern falcon orbit",
    "de": "Zitrone Hafen Tiger Kupfer Wiese Rakete Kiesel Laterne Falke Donner",
    "fr": "citron port tigre cuivre prairie fusée galet lanterne faucon tonnerre",
    "nl": "citroen haven tijger koper weide raket kiezel lantaarn valk donder",
    "es": "limón puerto tigre cobre pradera cohete guijarro linterna halcón trueno",
    "it": "limone porto tigre rame prato razzo ciottolo lanterna falco tuono",
}


def language(locale: str) -> str:
    return locale[:2]


# --- The generator's state ------------------------------------------------------------------


@dataclass
class Party:
    first: str
    last: str
    female: bool
    company: str = ""  # a party that is a business: its full name; `first` is its short name
    word_name: bool = False

    @property
    def full(self) -> str:
        return self.company or f"{self.first} {self.last}"


@dataclass
class Doc:
    """One text being written: its locale's Faker, the shared random source, its parties."""

    locale: str
    fake: Faker
    rng: random.Random
    extra: dict[str, Faker]
    parties: dict[str, Party] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return language(self.locale)

    def pick(self, options: tuple[T, ...] | list[T]) -> T:
        return self.rng.choice(options)

    def chars(self, alphabet: str, count: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(count))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


# --- Names ----------------------------------------------------------------------------------

_GERMAN_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def fold(name: str, german: bool) -> str:
    """A name as typed on a keyboard without its accents: "Mueller", "Lopez"."""
    if german:
        name = name.translate(_GERMAN_FOLD).replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def title(doc: Doc, female: bool) -> str:
    return doc.pick(TITLES[doc.lang][female])


def party(doc: Doc, business: bool) -> Party:
    female = doc.chance(0.5)
    if business:
        head, trade = BUSINESS[doc.lang]
        short = f"{doc.pick(head)} {doc.pick(trade)}"
        form = doc.pick(LEGAL_FORMS.get(doc.locale, LEGAL_FORMS.get(doc.lang, ())))
        return Party(short, "", female, company=f"{short} {form}")
    if doc.chance(0.15):
        return Party(doc.pick(WORD_NAMES[doc.lang]), doc.fake.last_name(), female, word_name=True)
    first = doc.fake.first_name_female() if female else doc.fake.first_name_male()
    return Party(first, doc.fake.last_name(), female)


PERSON_FORMS = ("full", "first", "initial", "inverted", "surname", "title", "caps", "folded")


def party_name(doc: Doc, who: Party, form: str) -> list[Part]:
    """A party's name written in `form`; the label covers the name, never a title or "'s"."""

    def label(value: str, fmt: str) -> Entity:
        return Entity("PERSON", value, fmt, listed=True)

    if who.company:
        if form in {"full", "caps", "inverted"} or doc.chance(0.3):
            return [label(who.company, "company")]
        return [label(who.first, "company-short")]
    accented = fold(who.full, doc.lang == "de") != who.full
    if form == "any":
        form = "folded" if accented and doc.chance(0.2) else doc.pick(PERSON_FORMS)
    if form == "folded" and not accented:
        form = "surname"
    first_format = "first-word-name" if who.word_name else "first"
    match form:
        case "first":
            return [label(who.first, first_format)]
        case "initial":
            return [label(f"{who.first[0]}. {who.last}", "initial")]
        case "inverted":
            return [label(f"{who.last}, {who.first}", "inverted")]
        case "surname":
            return [label(who.last, "surname")]
        case "title":
            return [title(doc, who.female) + " ", label(who.last, "title+surname")]
        case "caps":
            return [label(who.full.upper(), "caps")]
        case "folded":
            return [label(fold(doc.pick((who.full, who.last)), doc.lang == "de"), "folded")]
        case "poss":
            name = doc.pick((who.first, who.full))
            mark = "'" if name.endswith("s") and doc.lang == "en" else "'s"
            return [label(name, "first-possessive" if name == who.first else "possessive"), mark]
        case "inside":
            suffix = doc.pick(SHOP[doc.lang])
            name = who.last.upper() if suffix.isupper() else who.last
            return [Entity("PERSON", name, "inside-name", listed=True, suffix=suffix), suffix]
    return [label(who.full, "full")]


def unlisted(doc: Doc, role: str, form: str) -> list[Part]:
    """Someone nobody listed: half the names from Faker's lists, half held out from them."""
    female = doc.chance(0.5)
    if doc.chance(0.5):
        firsts, lasts = held_out()[doc.lang]
        first, last, source = doc.pick(firsts), doc.pick(lasts), "heldout"
    else:
        first = doc.fake.first_name_female() if female else doc.fake.first_name_male()
        last, source = doc.fake.last_name(), "faker"

    def label(value: str, fmt: str) -> Entity:
        return Entity("PERSON", value, f"{role}/{fmt}", listed=False, source=source)

    if form == "any":
        form = doc.pick(("full", "full", "title", "first"))
    match (role, form):
        case (_, "surname"):
            return [label(last, "surname")]
        case ("child", _) | ("witness" | "neighbour" | "counsel", "first"):
            return [label(first, "first")]
        case ("doctor", _):
            name = doc.pick((last, f"{first} {last}"))
            return [DOCTOR[doc.lang] + " ", label(name, "title")]
        case ("judge", _):
            return [doc.pick(JUDGE[doc.lang]) + " ", label(last, "title")]
        case (_, "title"):
            return [title(doc, female) + " ", label(last, "title+surname")]
        case (_, "caps"):
            return [label(f"{first} {last}".upper(), "caps")]
    return [label(f"{first} {last}", "full")]


# --- Secrets --------------------------------------------------------------------------------

_CARD_BRANDS = ("visa", "visa13", "visa19", "mastercard", "amex", "discover", "diners", "jcb15",
                "jcb16", "maestro")  # fmt: skip
_CARD_GROUPS = {
    13: (4, 4, 5), 14: (4, 6, 4), 15: (4, 6, 5), 16: (4, 4, 4, 4), 19: (4, 4, 4, 4, 3),
    12: (4, 4, 4),
}  # fmt: skip


def grouped(value: str, sizes: tuple[int, ...], sep: str = " ") -> str:
    out, cursor = [], 0
    for size in sizes:
        if cursor < len(value):
            out.append(value[cursor : cursor + size])
            cursor += size
    if cursor < len(value):
        out.append(value[cursor:])
    return sep.join(out)


def in_fours(value: str) -> str:
    return grouped(value, (4,) * (len(value) // 4 + 1))


def wrong_last_digit(doc: Doc, value: str, valid: Callable[[str], bool]) -> str:
    """`value` with its check digit changed so that `valid` fails."""
    for digit in doc.rng.sample(string.digits, 10):
        wrong = value[:-1] + digit
        if wrong != value and not valid(wrong):
            return wrong
    raise ValueError(value)


def card_number(doc: Doc) -> tuple[str, str]:
    brand = doc.pick(_CARD_BRANDS)
    return brand, doc.fake.credit_card_number(card_type=brand)


def card_layout(doc: Doc, number: str) -> tuple[str, str]:
    layout = doc.pick(("plain", "spaces", "spaces", "dashes"))
    if layout == "plain":
        return layout, number
    return layout, grouped(number, _CARD_GROUPS[len(number)], " " if layout == "spaces" else "-")


def card(doc: Doc) -> list[Part]:
    brand, number = card_number(doc)
    layout, value = card_layout(doc, number)
    return [Entity("CARD_NUMBER", value, f"{brand}/{layout}")]


def bad_card(doc: Doc) -> list[Part]:
    _, number = card_number(doc)
    return [Keep(card_layout(doc, wrong_last_digit(doc, number, luhn.is_valid))[1], "checksum")]


_IBAN_LOCALES = ("en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT", "de_AT", "de_CH", "nl_BE",
                 "pl_PL", "pt_PT", "en_IE", "fi_FI", "no_NO", "da_DK", "cs_CZ")  # fmt: skip


def iban_number(doc: Doc) -> str:
    home = {"de": "de_DE", "fr": "fr_FR", "nl": "nl_NL", "es": "es_ES", "it": "it_IT"}
    locale = home.get(doc.lang, "en_GB") if doc.chance(0.5) else doc.pick(_IBAN_LOCALES)
    return doc.extra[locale].iban()


def iban(doc: Doc) -> list[Part]:
    value = iban_number(doc)
    layout = doc.pick(("compact", "spaces", "spaces"))
    shown = in_fours(value) if layout == "spaces" else value
    return [Entity("IBAN", shown, f"{value[:2]}/{layout}")]


def bad_iban(doc: Doc) -> list[Part]:
    value = iban_number(doc)
    check = int(value[2:4])
    wrong = f"{value[:2]}{(check + doc.rng.randint(1, 9)) % 97 + 2:02d}{value[4:]}"
    assert not stdnum_iban.is_valid(wrong)
    return [Keep(doc.pick((wrong, in_fours(wrong))), "checksum")]


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def steuer_id(doc: Doc) -> str:
    """A valid German tax id: ten digits with exactly one repeated, then the check digit."""
    digits = doc.rng.sample("123456789", 1)
    digits += doc.rng.sample([d for d in string.digits if d != digits[0]], 8)
    digits.insert(doc.rng.randint(1, 9), doc.pick(digits))
    value = "".join(digits)
    value += mod_11_10.calc_check_digit(value)
    assert idnr.is_valid(value), value
    return value


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def national_number(doc: Doc) -> tuple[str, str, Callable[[str], bool] | None]:
    """The locale's national identity number: (type, value, its checksum if it has one)."""
    match doc.locale:
        case "en_US":
            return "SSN", doc.fake.ssn(), None
        case "en_GB":
            while (prefix := doc.chars(_NINO_FIRST, 1) + doc.chars(_NINO_SECOND, 1)) in {
                "BG", "GB", "KN", "NK", "NT", "TN", "ZZ",
            }:  # fmt: skip
                pass
            return "nino", prefix + doc.chars(string.digits, 6) + doc.chars("ABCD", 1), None
        case "de_DE":
            return "steuer-id", steuer_id(doc), idnr.is_valid
        case "fr_FR":
            return "nir", doc.fake.ssn(), nir.is_valid
        case "nl_NL":
            return "bsn", doc.fake.ssn(), bsn.is_valid
        case "es_ES":
            # Faker's es_ES numbers draw from the unseeded global random: built here instead.
            if doc.chance(0.5):
                prefix, body = doc.pick("XYZ"), doc.chars(string.digits, 7)
                number = int(str("XYZ".index(prefix)) + body)
                return "nie", f"{prefix}{body}{_DNI_LETTERS[number % 23]}", nie.is_valid
            body = doc.chars(string.digits, 8)
            return "dni", f"{body}{_DNI_LETTERS[int(body) % 23]}", dni.is_valid
    return "codice-fiscale", doc.fake.ssn(), codicefiscale.is_valid


def national_layout(doc: Doc, kind: str, value: str) -> tuple[str, str]:
    layouts: dict[str, tuple[tuple[str, str], ...]] = {
        "SSN": (("dashes", value), ("compact", value.replace("-", "")),
                ("spaces", value.replace("-", " "))),
        "nino": (("compact", value), ("spaces", f"{value[:2]} {grouped(value[2:8], (2, 2, 2))} "
                                                f"{value[8]}")),
        "steuer-id": (("compact", value), ("spaces", grouped(value, (2, 3, 3, 3)))),
        "nir": (("compact", value), ("spaces", grouped(value, (1, 2, 2, 2, 3, 3, 2)))),
        "bsn": (("compact", value), ("dots", grouped(value, (4, 2, 3), ".")),
                ("spaces", grouped(value, (3, 3, 3)))),
        "nie": (("compact", value), ("dash", f"{value[:-1]}-{value[-1]}")),
        "dni": (("compact", value), ("dash", f"{value[:-1]}-{value[-1]}")),
        "codice-fiscale": (("compact", value),),
    }  # fmt: skip
    return doc.pick(layouts[kind])


def national_id(doc: Doc) -> list[Part]:
    kind, value, _ = national_number(doc)
    layout, shown = national_layout(doc, kind, value)
    if kind == "SSN":
        return [Entity("SSN", shown, layout)]
    return [Entity("NATIONAL_ID", shown, f"{kind}/{layout}")]


def bad_id(doc: Doc) -> list[Part]:
    kind, value, valid = national_number(doc)
    if valid is None:  # SSNs and NINOs carry no check digit: a wrong card stands in
        return bad_card(doc)
    return [Keep(national_layout(doc, kind, wrong_last_digit(doc, value, valid))[1], "checksum")]


_DE_PASSPORT = "CFGHJKLMNPRTVWXYZ0123456789"


def passport(doc: Doc) -> list[Part]:
    country = doc.pick((doc.locale[3:], doc.locale[3:], doc.locale[3:], "US", "GB", "DE", "FR"))
    match country:
        case "US":
            value = doc.pick((doc.chars(string.digits, 9), doc.chars("ACEFGHJK", 1)
                              + doc.chars(string.digits, 8)))  # fmt: skip
        case "GB":
            value = doc.chars(string.digits, 9)
        case "DE":
            value = doc.chars("CFGHJK", 1) + doc.chars(_DE_PASSPORT, 8)
        case "FR":
            value = (doc.chars(string.digits, 2) + doc.chars(string.ascii_uppercase, 2)
                     + doc.chars(string.digits, 5))  # fmt: skip
        case "NL":
            letters = string.ascii_uppercase.replace("O", "")
            value = doc.chars(letters, 2) + doc.chars(letters + string.digits, 6)
            value += doc.chars(string.digits, 1)
        case "ES":
            value = doc.pick(("PA", "AA", "XD")) + doc.chars(string.ascii_uppercase, 1)
            value += doc.chars(string.digits, 6)
        case _:
            value = doc.pick(("YA", "YB", "AA")) + doc.chars(string.digits, 7)
    return [Entity("PASSPORT", value, country)]


_ALNUM = string.ascii_letters + string.digits
_BASE64 = _ALNUM + "+/"


def _jwt(doc: Doc) -> str:
    def part(payload: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    claims = part({"sub": doc.chars(string.digits, 7), "iat": 1760000000 + doc.rng.randint(0, 9)})
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{claims}.{doc.chars(_ALNUM + '-_', 43)}"


def api_key(doc: Doc) -> list[Part]:
    """A provider's key, with the label a config file gives the ones no prefix announces."""
    hexa = string.hexdigits[:16]
    kinds: dict[str, Callable[[], tuple[str, str]]] = {
        "openai": lambda: ("", "sk-proj-" + doc.chars(_ALNUM + "-_", 56)),
        "openai-legacy": lambda: ("", "sk-" + doc.chars(_ALNUM, 48)),
        "anthropic": lambda: ("", "sk-ant-api03-" + doc.chars(_ALNUM + "-_", 93) + "AA"),
        "aws-id": lambda: ("", doc.pick(("AKIA", "ASIA")) + doc.chars(string.ascii_uppercase
                                                                      + "234567", 16)),
        "aws-secret": lambda: ("aws_secret_access_key = ", doc.chars(_BASE64, 40)),
        "github": lambda: ("", doc.pick(("ghp_", "gho_", "ghs_")) + doc.chars(_ALNUM, 36)),
        "github-pat": lambda: ("", "github_pat_" + doc.chars(_ALNUM, 22) + "_"
                               + doc.chars(_ALNUM, 59)),
        "gitlab": lambda: ("", "glpat-" + doc.chars(_ALNUM + "-_", 20)),
        "slack": lambda: ("", doc.pick(("xoxb-", "xoxp-")) + doc.chars(string.digits, 12) + "-"
                          + doc.chars(string.digits, 13) + "-" + doc.chars(_ALNUM, 24)),
        "google": lambda: ("", "AIza" + doc.chars(_ALNUM + "-_", 35)),
        "stripe": lambda: ("", doc.pick(("sk_live_", "rk_live_")) + doc.chars(_ALNUM, 24)),
        "sendgrid": lambda: ("", "SG." + doc.chars(_ALNUM + "-_", 22) + "."
                             + doc.chars(_ALNUM + "-_", 43)),
        "twilio": lambda: ("", "SK" + doc.chars(hexa, 32)),
        "huggingface": lambda: ("", "hf_" + doc.chars(_ALNUM, 34)),
        "npm": lambda: ("", "npm_" + doc.chars(_ALNUM, 36)),
        "shopify": lambda: ("", "shpat_" + doc.chars(hexa, 32)),
        "jwt": lambda: ("Authorization: Bearer ", _jwt(doc)),
        "hex": lambda: (doc.pick(("api_key=", "API key: ", "X-Api-Key: ")), doc.chars(hexa, 40)),
        "uuid": lambda: ("client_secret: ", str(doc.fake.uuid4())),
        "private-key": lambda: ("\n", "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(
            doc.chars(_BASE64, 64) for _ in range(3)) + "\n-----END RSA PRIVATE KEY-----"),
    }  # fmt: skip
    kind = doc.pick(sorted(kinds))
    label, value = kinds[kind]()
    return [label, Entity("API_KEY", value, kind)]


def password(doc: Doc) -> list[Part]:
    value = doc.fake.password(length=doc.rng.randint(8, 16), special_chars=doc.chance(0.5))
    return [Entity("PASSWORD", value, "password")]


def pin(doc: Doc) -> list[Part]:
    return [Entity("PASSWORD", doc.chars(string.digits, doc.pick((4, 4, 5, 6))), "pin")]


def passphrase(doc: Doc) -> list[Part]:
    words = doc.rng.sample(PASSPHRASE_WORDS[doc.lang].split(), doc.rng.randint(3, 4))
    if doc.chance(0.5):
        words = [w.capitalize() for w in words]
    if doc.chance(0.5):
        words.append(doc.chars(string.digits, 2))
    return [Entity("PASSWORD", doc.pick((" ", "-", ".")).join(words), "passphrase")]


# --- Identities -----------------------------------------------------------------------------

_PHONE_REGIONS = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "nl_NL": "NL",
                  "es_ES": "ES", "it_IT": "IT"}  # fmt: skip


def phone(doc: Doc) -> list[Part]:
    """A valid number of the locale's country (sometimes another's), in one of its layouts."""
    region = (
        _PHONE_REGIONS[doc.locale] if doc.chance(0.8) else doc.pick(list(_PHONE_REGIONS.values()))
    )
    kind = doc.pick((phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE))
    example = phonenumbers.example_number_for_type(region, kind)
    national = phonenumbers.national_significant_number(example)
    while True:
        digits = national[:-6] + doc.chars(string.digits, 6)
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(number):
            break
    fmt = phonenumbers.PhoneNumberFormat
    international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
    local = phonenumbers.format_number(number, fmt.NATIONAL)
    head, *rest = re.findall(r"\d+", local)
    layouts = {
        "international": international,
        "e164": phonenumbers.format_number(number, fmt.E164),
        "00-prefix": "00" + international[1:],
        "national": local,
        "national-compact": re.sub(r"\D", "", local),
        "slashes": "/".join((head, "".join(rest))),
        "dots": re.sub(r"[\s-]", ".", local.replace("(", "").replace(")", "")),
    }
    layout = doc.pick(sorted(layouts))
    return [Entity("PHONE", layouts[layout], f"{region}/{layout}")]


def email(doc: Doc) -> list[Part]:
    maker = doc.pick((doc.fake.email, doc.fake.company_email, doc.fake.free_email))
    return [Entity("EMAIL", maker(), "email")]


def address(doc: Doc) -> list[Part]:
    if doc.chance(0.4):
        value = f"{doc.fake.street_address()}, {doc.fake.city()}"
        return [Entity("ADDRESS", value, "street+city")]
    return [Entity("ADDRESS", doc.fake.address().replace("\n", ", "), "postal")]


def date_text(doc: Doc, day: date) -> tuple[str, str]:
    """A date as people of the locale write it: (layout, text)."""
    month = MONTHS[doc.lang].split()[day.month - 1]
    words = {
        "en": (f"{day.day} {month} {day.year}", f"{month} {day.day}, {day.year}",
               f"{day.day} {month[:3]} {day.year}"),
        "de": (f"{day.day}. {month} {day.year}", f"{day.day:02d}. {month} {day.year}"),
        "fr": (f"{day.day} {month} {day.year}", f"{'1er' if day.day == 1 else day.day} {month} "
                                                f"{day.year}"),
        "nl": (f"{day.day} {month} {day.year}",),
        "es": (f"{day.day} de {month} de {day.year}", f"{day.day} {month} {day.year}"),
        "it": (f"{day.day} {month} {day.year}", f"{day.day:02d} {month} {day.year}"),
    }[doc.lang]  # fmt: skip
    numeric = {
        "en_US": ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d"),
        "de": ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"),
    }.get(doc.locale, {"de": ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d")}.get(doc.lang, ()))
    numeric = numeric or ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
    if doc.chance(0.5):
        return "words", doc.pick(words)
    layout = doc.pick(numeric)
    return layout, day.strftime(layout)


def dob(doc: Doc) -> list[Part]:
    layout, value = date_text(doc, doc.fake.date_of_birth(minimum_age=1, maximum_age=95))
    return [Entity("DOB", value, f"{doc.lang}/{layout}")]


def ip(doc: Doc) -> list[Part]:
    if doc.chance(0.6):
        return [Entity("IP", doc.fake.ipv4_public(), "ipv4")]
    return [Entity("IP", doc.fake.ipv6(), "ipv6")]


# --- Look-alikes to leave intact ------------------------------------------------------------


def event_date(doc: Doc) -> list[Part]:
    day = date(doc.rng.randint(2015, 2026), doc.rng.randint(1, 12), doc.rng.randint(1, 28))
    return [Keep(date_text(doc, day)[1], "event-date")]


def month_year(doc: Doc) -> list[Part]:
    month = doc.pick(MONTHS[doc.lang].split())
    return [Keep(f"{month} {doc.rng.randint(2012, 2026)}", "event-date")]


def money(doc: Doc) -> list[Part]:
    whole = doc.rng.randint(50, 250_000)
    cents = doc.rng.randint(0, 99)
    us = f"{whole:,}"
    eu = us.replace(",", ".")
    fr = us.replace(",", "\u202f" if doc.chance(0.3) else " ")
    value = {
        "en_US": (f"${us}.{cents:02d}", f"${us}", f"USD {us}"),
        "en_GB": (f"£{us}", f"£{us}.{cents:02d}", f"GBP {us}"),
        "de": (f"{eu},{cents:02d} EUR", f"{eu} €", f"EUR {eu},-"),
        "fr": (f"{fr},{cents:02d} €", f"{fr} euros", f"{fr} EUR"),
        "nl": (f"€ {eu},{cents:02d}", f"EUR {eu},-", f"€{eu}"),
        "es": (f"{eu},{cents:02d} €", f"{eu} euros", f"EUR {eu}"),
        "it": (f"€ {eu},{cents:02d}", f"{eu} euro", f"EUR {eu},00"),
    }  # fmt: skip
    return [Keep(doc.pick(value.get(doc.locale) or value[doc.lang]), "money")]


def case_ref(doc: Doc) -> list[Part]:
    year = doc.rng.randint(2015, 2026)
    yy = f"{year % 100:02d}"
    n = doc.chars(string.digits, 5)
    refs = {
        "en_US": (f"Case No. {doc.rng.randint(1, 9)}:{yy}-cv-{n}", f"No. {yy}-{n}",
                  f"Docket No. {year}-L-{n}"),
        "en_GB": (f"Claim No. HC-{year}-{n}0", f"Claim No. K{doc.rng.randint(10, 99)}YX{n[:3]}",
                  f"[{year}] EWHC {doc.rng.randint(100, 3000)} (QB)"),
        "de": (f"Az. {doc.rng.randint(1, 40)} O {doc.rng.randint(1, 999)}/{yy}",
               f"Aktenzeichen {doc.rng.randint(1, 30)} Ca {n[:4]}/{yy}",
               f"ECLI:DE:BGH:{year}:{n}U{doc.rng.choice(['VI', 'VIII', 'XII'])}ZR{n[:3]}.{yy}"),
        "fr": (f"RG n° {yy}/{n}", f"n° RG {yy}/{n[:4]}",
               f"ECLI:FR:CCASS:{year}:C{n}0"),
        "nl": (f"zaaknummer C/13/{n}{doc.rng.randint(1, 9)} / HA ZA {yy}-{n[:3]}",
               f"ECLI:NL:RBAMS:{year}:{n[:4]}", f"rolnummer {yy}/{n}"),
        "es": (f"Procedimiento Ordinario {n[:3]}/{year}", f"autos nº {n[:4]}/{year}",
               f"ECLI:ES:TS:{year}:{n[:4]}"),
        "it": (f"R.G. n. {n[:4]}/{year}", f"ruolo n. {n}/{year}", f"ECLI:IT:CASS:{year}:{n}CIV"),
    }  # fmt: skip
    return [Keep(doc.pick(refs.get(doc.locale) or refs[doc.lang]), "case-reference")]


def statute(doc: Doc) -> list[Part]:
    r = doc.rng.randint
    laws = {
        "en_US": (f"Section {r(2, 99)}({r(1, 9)})", f"28 U.S.C. § {r(1300, 1400)}",
                  f"Rule {r(1, 80)}(b)({r(1, 6)})"),
        "en_GB": (f"Section {r(2, 99)}({r(1, 9)})", f"section {r(2, 200)} of the Employment "
                  "Rights Act 1996", f"CPR {r(1, 80)}.{r(1, 20)}"),
        "de": (f"§ {r(1, 999)} BGB", f"§ {r(1, 200)} Abs. {r(1, 5)} ZPO", f"Art. {r(1, 140)} GG"),
        "fr": (f"article {r(1000, 2300)} du Code civil", f"article L. {r(1000, 9000)}-{r(1, 9)} "
               "du Code du travail", f"art. {r(1, 900)} CPC"),
        "nl": (f"artikel 6:{r(1, 270)} BW", f"art. 7:{r(200, 690)} BW", f"artikel {r(1, 400)} Rv"),
        "es": (f"artículo {r(1, 1976)} del Código Civil", f"art. {r(1, 90)} del Estatuto de los "
               "Trabajadores", f"artículo {r(1, 800)} LEC"),
        "it": (f"art. {r(1, 2969)} c.c.", f"articolo {r(1, 840)} c.p.c.", f"art. {r(1, 139)} "
               "della Costituzione"),
    }  # fmt: skip
    return [Keep(doc.pick(laws.get(doc.locale) or laws[doc.lang]), "statute")]


def invoice(doc: Doc) -> list[Part]:
    year = doc.rng.randint(2018, 2026)
    n = doc.chars(string.digits, 5)
    value = doc.pick((f"INV-{year}-{n}", f"{year}-{n[:2]}-{n}", doc.chars(string.digits, 10),
                      f"{doc.chars(string.ascii_uppercase, 2)}{doc.chars(string.digits, 8)}",
                      f"{n[:3]}/{year}", doc.chars(string.digits, 12)))  # fmt: skip
    return [Keep(value, "invoice-number")]


def _keep_from(kind: str, options: Callable[[Doc], tuple[str, ...]]) -> Callable[[Doc], list[Part]]:
    return lambda doc: [Keep(doc.pick(options(doc)), kind)]


# --- Templates ------------------------------------------------------------------------------

SLOTS: dict[str, Callable[[Doc], list[Part]]] = {
    "card": card,
    "iban": iban,
    "natid": national_id,
    "passport": passport,
    "apikey": api_key,
    "password": password,
    "pin": pin,
    "passphrase": passphrase,
    "email": email,
    "phone": phone,
    "address": address,
    "dob": dob,
    "ip": ip,
    "bad_card": bad_card,
    "bad_iban": bad_iban,
    "bad_id": bad_id,
    "date": event_date,
    "month_year": month_year,
    "money": money,
    "caseref": case_ref,
    "statute": statute,
    "invoice": invoice,
    "company": _keep_from("company", lambda doc: COMPANIES),
    "brand": _keep_from("brand", lambda doc: BRANDS),
    "place": _keep_from("place", lambda doc: PLACES[doc.lang]),
    "act": _keep_from("named-statute", lambda doc: ACTS[doc.lang]),
    "court": _keep_from("court", lambda doc: COURTS.get(doc.locale) or COURTS[doc.lang]),
    "weekday": _keep_from("calendar", lambda doc: tuple(WEEKDAYS[doc.lang].split())),
    "month": _keep_from("calendar", lambda doc: tuple(MONTHS[doc.lang].split())),
}
ROLES = ("witness", "neighbour", "doctor", "judge", "counsel", "child")
# Text written in the national id's own words, for the English locales.
NATID_LABEL = {"en_US": "Social Security number", "en_GB": "National Insurance number"}

_SLOT = re.compile(r"\{(\w+)(?:\.(\w+))?\}|\[\[(\w[\w-]*):([^\]]+)\]\]")


def expand(doc: Doc, template: str) -> list[Part]:
    """A template's text with its `{slot}`s generated and its `[[kind:words]]` kept."""
    parts: list[Part] = []
    cursor = 0
    for match in _SLOT.finditer(template):
        parts.append(template[cursor : match.start()])
        cursor = match.end()
        name, form, keep_kind, keep_words = match.groups()
        if keep_kind:
            parts.append(Keep(keep_words, keep_kind))
        elif name in doc.parties:
            parts += party_name(doc, doc.parties[name], form or "any")
        elif name in ROLES:
            parts += unlisted(doc, name, form or "any")
        elif name == "natid_label":
            parts.append(NATID_LABEL[doc.locale])
        else:
            parts += SLOTS[name](doc)
    parts.append(template[cursor:])
    return parts


def is_keep_only(template: str) -> bool:
    """A template that names nobody and holds no personal data: for the keep-only texts."""
    names = {m[0] for m in _SLOT.findall(template) if m[0]}
    data = set(SLOTS) - {"bad_card", "bad_iban", "bad_id", "date", "month_year", "money",
                         "caseref", "statute", "invoice", "company", "brand", "place", "act",
                         "court", "weekday", "month"}  # fmt: skip
    return not names & (data | set(ROLES) | {"A", "B", "natid_label"})


# Each language: genre -> (openers, closers), and the body sentences every genre draws from.
# A is the client, B the other party (a person or a business).
GENRES = ("email", "intake", "clause", "witness", "court")
TEMPLATES: dict[str, dict[str, Any]] = {
    "en": {
        "open": {
            "email": ("Dear {counsel.title},\n\n", "Hi {counsel.first},\n\n", "Hello,\n\n"),
            "intake": ("INTAKE NOTE ({date}). Client: {A.inverted}. Other side: {B}.\n",
                       "Intake call on {weekday}, client {A.full}, born {dob}.\n"),
            "clause": ("SERVICES AGREEMENT between {A.caps} (the \"Client\") and {B.full} (the "
                       "\"Provider\"), dated {date}.\n",),
            "witness": ("WITNESS STATEMENT of {witness.full}, made on {date}.\n",
                        "Statement of {neighbour.full}, neighbour of {A.title}.\n"),
            "court": ("{court}\n{caseref}\n{A.caps} v {B.caps}\n\nDear Sirs,\n",
                      "In the {court}, {caseref}, between {A.full} and {B.full}.\n"),
        },
        "close": {
            "email": ("\n\nKind regards,\n{A.first}", "\n\nBest,\n{A.full}\n{phone}",
                      "\n\nThanks, {A.first}\nSent from my [[brand:iPhone]]",
                      "\n\nCheers,\n{A.initial}"),
            "intake": ("\nNote taken by {counsel.full}.",
                       "\nNext step: call {A.first} on {phone}."),
            "clause": ("\n\nSigned: {A.full}, for and on behalf of {B.full}.",
                       "\n\nSIGNED by {A.caps} in the presence of {witness.full}."),
            "witness": ("\n\nI believe that the facts stated in this witness statement are true. "
                        "Statement taken by {counsel.full}.",),
            "court": ("\n\nYours faithfully,\n{counsel.full}\nfor the Claimant",
                      "\n\nBy order of {judge}."),
        },
        "body": (
            "{A.first} told me on [[calendar:Friday]] that {B} had changed the locks.",
            "I have known {A.title} since we moved to {place} in {month_year}.",
            "My card {card} was charged {money} without my consent.",
            "Please pay the settlement into {iban}, which is my account.",
            "My {natid_label} is {natid}, if the court needs it.",
            "The form asks for my {natid_label}: {natid}.",
            "{natid_label} of {A.first}: {natid} (see the payslip of {date}).",
            "They asked for a copy of my passport, number {passport}, and never returned it.",
            "{B} still has access to the server: {apikey}",
            "The password for the shared drive was {password} until {A.first} changed it.",
            "Login details: user {email}, password: {password}",
            "My PIN {pin} was written on a note in the drawer.",
            "Passport number: {passport}", "My PIN is {pin}.",
            "The password is {password}, and the login is {email}.",
            "The passphrase \"{passphrase}\" unlocks the backup of the accounts.",
            "You can call me on {phone} or write to {email}.",
            "I now live at {address}, with my partner.",
            "{A.full} was born on {dob} and started work on {date}.",
            "Date of birth: {dob}. Place of birth: {place}.",
            "The logins came from {ip}, which is not my network.",
            "My neighbour {neighbour} saw the van outside on {date}.",
            "I was treated by {doctor} at the clinic in {place} after the accident.",
            "At the hearing on {date}, {judge} adjourned the case to {weekday}.",
            "Opposing counsel, {counsel}, wrote to us on {date} offering {money}.",
            "My son {child} stays with me every other weekend.",
            "Our daughter {child} was born on {dob}.",
            "The claim was issued as {caseref} in the {court}.",
            "Under {statute} the notice period is three months.",
            "The {act} may apply to the way the suppliers fixed their prices.",
            "Invoice {invoice} for {money} is still unpaid.",
            "I worked for {company} before I joined {B}.",
            "The car was a {brand} that {A.first} bought in {place}.",
            "Tracking number {bad_card} shows the parcel was returned on {date}.",
            "The bank returned the transfer to {bad_iban} because the number was mistyped.",
            "Reference {bad_id} appears on the tax office's letter of {date}.",
            "{A.initial} signed the lease; {B.inverted} signed for the landlord.",
            "{A.poss} car was parked outside {B.poss} house all night.",
            "{A.inside} is the trading name {A.first} used for the business.",
            "THE TENANT, {A.caps}, SHALL PAY THE RENT ON THE FIRST [[calendar:MONDAY]] OF EACH "
            "MONTH.",
            "[[word:Will]] the court accept the late filing? {A.first} hopes it [[word:will]].",
            "We [[word:may]] need a witness; {A.first} says the meeting was in [[calendar:May]].",
            "Please [[word:mark]] the deadline of {date} in the diary, {A.first}.",
            "The [[word:rose]] bushes were damaged, and the repair price [[word:rose]] to {money}.",
            "It was a [[word:sunny]] afternoon when {witness} saw the accident.",
            "We [[word:hope]] to settle; the [[word:bill]] from {company} came to {money}.",
            "To be [[word:frank]], {B} never answered the letter of {date}.",
            "The meeting with {B.title} took place in {place} on {weekday}, {date}.",
            "{witness.full}, who works for {company}, confirmed what {A.folded} said.",
            "Mr Justice {judge.surname} referred to {statute} and the {act}.",
            "My e-mail is {email}; the old one, used by {B.first}, no longer works.",
            "Per our records, {A.inverted} ({email}) paid {money} on {date}.",
            "The registered office of {company} is in {place}, not at {address}.",
            "Between {month} and {month}, the server at {ip} sent our files to {B}.",
            "Signed in the presence of {witness.title} and {doctor}.",
        ),
    },
    "de": {
        "open": {
            "email": ("Sehr geehrte Frau {counsel.surname},\n\n", "Sehr geehrter Herr "
                      "{counsel.surname},\n\n", "Hallo {counsel.first},\n\n"),
            "intake": ("AKTENNOTIZ vom {date}. Mandant: {A.inverted}. Gegner: {B}.\n",
                       "Erstgespräch am {weekday} mit {A.full}, geboren am {dob}.\n"),
            "clause": ("DIENSTLEISTUNGSVERTRAG zwischen {A.caps} (\"Auftraggeber\") und {B.full} "
                       "(\"Auftragnehmer\") vom {date}.\n",),
            "witness": ("ZEUGENAUSSAGE von {witness.full}, aufgenommen am {date}.\n",
                        "Aussage von {neighbour.full}, Nachbar von {A.title}.\n"),
            "court": ("{court}\n{caseref}\nIn dem Rechtsstreit {A.caps} gegen {B.caps}\n\n",
                      "An das {court}, {caseref}, in Sachen {A.full} ./. {B.full}.\n"),
        },
        "close": {
            "email": ("\n\nViele Grüße\n{A.first}", "\n\nMit freundlichen Grüßen\n{A.full}\n"
                      "Tel. {phone}", "\n\nLG {A.first}", "\n\nBeste Grüße, {A.initial}"),
            "intake": ("\nNotiz: {counsel.full}.", "\nRückruf an {A.first} unter {phone}."),
            "clause": ("\n\nUnterschrift: {A.full}, für {B.full}.",
                       "\n\nGEZEICHNET {A.caps} in Anwesenheit von {witness.full}."),
            "witness": ("\n\nIch versichere die Richtigkeit meiner Angaben. Aufgenommen von "
                        "{counsel.full}.",),
            "court": ("\n\nMit freundlichen Grüßen\n{counsel.full}\nRechtsanwältin",
                      "\n\nGez. {judge}"),
        },
        "body": (
            "{A.first} hat mir am [[calendar:Freitag]] gesagt, dass {B} die Schlösser "
            "ausgetauscht hat.",
            "Ich kenne {A.title} seit unserem Umzug nach {place} im {month_year}.",
            "Von meiner Karte {card} wurden {money} ohne meine Zustimmung abgebucht.",
            "Bitte überweisen Sie den Vergleichsbetrag auf mein Konto {iban}.",
            "Meine Steuer-ID lautet {natid}.",
            "Steuerliche Identifikationsnummer: {natid}",
            "Sie wollten eine Kopie meines Reisepasses, Nummer {passport}, und haben sie nie "
            "zurückgegeben.",
            "Passnummer {passport}, gültig bis {date}.",
            "{B} hat immer noch Zugriff auf den Server: {apikey}",
            "Das Passwort für das Laufwerk war {password}, bis {A.first} es geändert hat.",
            "Zugangsdaten: Benutzer {email}, Passwort: {password}",
            "Kennwort: {password}",
            "Meine PIN {pin} stand auf einem Zettel in der Schublade.",
            "Reisepassnummer: {passport}", "Meine PIN lautet {pin}.",
            "Das Passwort lautet {password}.",
            "Die Passphrase \"{passphrase}\" entsperrt die Sicherung der Buchhaltung.",
            "Sie erreichen mich unter {phone} oder per E-Mail an {email}.",
            "Ich wohne jetzt in der {address}.",
            "Neue Anschrift: {address}",
            "{A.full} wurde am {dob} geboren und hat am {date} angefangen.",
            "Geburtsdatum: {dob}, Geburtsort: {place}.",
            "geb. {dob}",
            "Die Anmeldungen kamen von {ip}, das ist nicht mein Netzwerk.",
            "Mein Nachbar {neighbour} hat den Transporter am {date} vor dem Haus gesehen.",
            "Nach dem Unfall wurde ich von {doctor} in {place} behandelt.",
            "In der Verhandlung am {date} hat {judge} die Sache auf [[calendar:Dienstag]] vertagt.",
            "Die Gegenseite, vertreten durch {counsel}, hat am {date} {money} angeboten.",
            "Mein Sohn {child} ist jedes zweite Wochenende bei mir.",
            "Unsere Tochter {child} ist am {dob} geboren.",
            "Die Klage ist beim {court} unter {caseref} anhängig.",
            "Nach {statute} beträgt die Kündigungsfrist drei Monate.",
            "Die {act} spielt hier keine Rolle.",
            "Die Rechnung {invoice} über {money} ist noch offen.",
            "Ich war bei {company} angestellt, bevor ich zu {B} kam.",
            "Das Auto war ein {brand}, den {A.first} in {place} gekauft hat.",
            "Die Sendungsnummer {bad_card} zeigt, dass das Paket am {date} zurückging.",
            "Die Bank hat die Überweisung an {bad_iban} wegen eines Tippfehlers zurückgeschickt.",
            "Das Finanzamt nennt im Schreiben vom {date} das Zeichen {bad_id}.",
            "{A.initial} hat den Mietvertrag unterschrieben, {B.inverted} für den Vermieter.",
            "{A.inside} ist der Name, unter dem {A.first} das Geschäft führt.",
            "DER MIETER {A.caps} ZAHLT DIE MIETE JEWEILS AM ERSTEN WERKTAG DES MONATS.",
            "Die Lage ist [[word:ernst]], sagt {A.first}; die Frist endet im [[calendar:August]].",
            "Er war [[word:frank]] und frei, als {witness} ihn am {date} traf.",
            "Das Treffen mit {B.title} fand am {weekday} in {place} statt.",
            "{witness.full}, Mitarbeiterin von {company}, hat bestätigt, was {A.folded} "
            "gesagt hat.",
            "Frau {counsel.surname} verweist auf {statute}.",
            "Meine E-Mail ist {email}; die alte, die {B.first} benutzt hat, geht nicht mehr.",
            "Laut unseren Unterlagen hat {A.inverted} ({email}) am {date} {money} gezahlt.",
            "Zwischen {month} und {month} hat der Server {ip} unsere Dateien an {B} geschickt.",
            "Unterschrieben in Anwesenheit von {witness.title} und {doctor}.",
            "Herr {A.surname} und Frau {neighbour.surname} waren beide bei {company} beschäftigt.",
        ),
    },
    "fr": {
        "open": {
            "email": ("Chère Maître {counsel.surname},\n\n", "Bonjour {counsel.first},\n\n",
                      "Madame, Monsieur,\n\n"),
            "intake": ("NOTE D'ENTRETIEN du {date}. Client : {A.inverted}. Partie adverse : {B}.\n",
                       "Premier rendez-vous le {weekday} avec {A.full}, né le {dob}.\n"),
            "clause": ("CONTRAT DE PRESTATION entre {A.caps} (le « Client ») et {B.full} (le "
                       "« Prestataire »), du {date}.\n",),
            "witness": ("ATTESTATION de {witness.full}, établie le {date}.\n",
                        "Témoignage de {neighbour.full}, voisin de {A.title}.\n"),
            "court": ("{court}\n{caseref}\n{A.caps} c/ {B.caps}\n\n",
                      "Devant le {court}, {caseref}, entre {A.full} et {B.full}.\n"),
        },
        "close": {
            "email": ("\n\nBien cordialement,\n{A.first}", "\n\nCordialement,\n{A.full}\n"
                      "Tél. : {phone}", "\n\nMerci, {A.first}", "\n\nBien à vous, {A.initial}"),
            "intake": ("\nNote rédigée par {counsel.full}.", "\nRappeler {A.first} au {phone}."),
            "clause": ("\n\nSigné : {A.full}, pour le compte de {B.full}.",
                       "\n\nFAIT en présence de {witness.full}, signé {A.caps}."),
            "witness": ("\n\nJe certifie sur l'honneur l'exactitude des faits. Recueilli par "
                        "{counsel.full}.",),
            "court": ("\n\nVeuillez agréer, Madame, Monsieur, mes salutations distinguées.\n"
                      "{counsel.full}\nAvocat", "\n\nPour le greffe, {judge}."),
        },
        "body": (
            "{A.first} m'a dit [[calendar:vendredi]] que {B} avait changé les serrures.",
            "Je connais {A.title} depuis notre arrivée à {place} en {month_year}.",
            "Ma carte {card} a été débitée de {money} sans mon accord.",
            "Merci de verser l'indemnité sur mon compte {iban}.",
            "Mon numéro de sécurité sociale est le {natid}.",
            "N° de sécurité sociale : {natid}",
            "Ils ont demandé une copie de mon passeport n° {passport} et ne l'ont jamais rendue.",
            "Passeport {passport}, valable jusqu'au {date}.",
            "{B} a toujours accès au serveur : {apikey}",
            "Le mot de passe du disque partagé était {password} jusqu'à ce que {A.first} le "
            "change.",
            "Identifiants : utilisateur {email}, mot de passe : {password}",
            "mdp : {password}",
            "Mon code PIN {pin} était noté sur un papier dans le tiroir.",
            "Numéro de passeport : {passport}", "Mon code PIN est {pin}.",
            "Le mot de passe est {password}.",
            "La phrase secrète « {passphrase} » déverrouille la sauvegarde.",
            "Vous pouvez me joindre au {phone} ou à {email}.",
            "J'habite désormais au {address}.",
            "Nouvelle adresse : {address}",
            "{A.full} est né le {dob} et a commencé le {date}.",
            "Date de naissance : {dob}, à {place}.",
            "Les connexions venaient de {ip}, qui n'est pas mon réseau.",
            "Mon voisin {neighbour} a vu la camionnette devant chez moi le {date}.",
            "J'ai été soigné par le {doctor} à {place} après l'accident.",
            "À l'audience du {date}, {judge} a renvoyé l'affaire au [[calendar:mardi]].",
            "L'avocat adverse, {counsel}, nous a écrit le {date} pour proposer {money}.",
            "Mon fils {child} vient chez moi un week-end sur deux.",
            "Notre fille {child} est née le {dob}.",
            "L'affaire est enrôlée sous le {caseref} devant le {court}.",
            "Selon l'{statute}, le préavis est de trois mois.",
            "La {act} ne s'applique pas à ce contrat.",
            "La facture n° {invoice} de {money} reste impayée.",
            "J'ai travaillé chez {company} avant de rejoindre {B}.",
            "La voiture était une {brand} achetée par {A.first} à {place}.",
            "Le numéro de suivi {bad_card} montre que le colis est revenu le {date}.",
            "La banque a rejeté le virement vers {bad_iban} à cause d'une faute de frappe.",
            "La référence {bad_id} figure sur le courrier des impôts du {date}.",
            "{A.initial} a signé le bail ; {B.inverted} a signé pour le bailleur.",
            "{A.inside} est le nom commercial sous lequel {A.first} exerce.",
            "LE LOCATAIRE, {A.caps}, PAIERA LE LOYER LE PREMIER JOUR OUVRÉ DU MOIS.",
            "Une [[word:rose]] rouge était posée sur la table, selon {witness}.",
            "La porte était [[word:blanche]] à l'origine, d'après {A.first}.",
            "La réunion avec {B.title} a eu lieu à {place} le {weekday}.",
            "{witness.full}, salariée de {company}, a confirmé les propos de {A.folded}.",
            "Maître {counsel.surname} invoque l'{statute}.",
            "Mon e-mail est {email} ; l'ancien, utilisé par {B.first}, ne marche plus.",
            "D'après nos dossiers, {A.inverted} ({email}) a payé {money} le {date}.",
            "Entre {month} et {month}, le serveur {ip} a envoyé nos fichiers à {B}.",
            "Signé en présence de {witness.title} et du {doctor}.",
            "{A.first} a été [[word:constant]] : la somme due reste de {money}.",
        ),
    },
    "nl": {
        "open": {
            "email": ("Geachte mevrouw {counsel.surname},\n\n", "Beste {counsel.first},\n\n",
                      "Geachte heer, mevrouw,\n\n"),
            "intake": ("INTAKENOTITIE van {date}. Cliënt: {A.inverted}. Wederpartij: {B}.\n",
                       "Intakegesprek op {weekday} met {A.full}, geboren op {dob}.\n"),
            "clause": ("DIENSTVERLENINGSOVEREENKOMST tussen {A.caps} (\"Opdrachtgever\") en "
                       "{B.full} (\"Opdrachtnemer\"), d.d. {date}.\n",),
            "witness": ("GETUIGENVERKLARING van {witness.full}, opgemaakt op {date}.\n",
                        "Verklaring van {neighbour.full}, buurman van {A.title}.\n"),
            "court": ("{court}\n{caseref}\n{A.caps} tegen {B.caps}\n\n",
                      "Aan de {court}, {caseref}, inzake {A.full} / {B.full}.\n"),
        },
        "close": {
            "email": ("\n\nMet vriendelijke groet,\n{A.first}", "\n\nMet vriendelijke groet,\n"
                      "{A.full}\nTel. {phone}", "\n\nGroetjes, {A.first}", "\n\nGr. {A.initial}"),
            "intake": ("\nNotitie: {counsel.full}.", "\nTerugbellen: {A.first}, {phone}."),
            "clause": ("\n\nGetekend: {A.full}, namens {B.full}.",
                       "\n\nONDERTEKEND door {A.caps} in aanwezigheid van {witness.full}."),
            "witness": ("\n\nAldus naar waarheid verklaard. Opgenomen door {counsel.full}.",),
            "court": ("\n\nHoogachtend,\n{counsel.full}\nadvocaat", "\n\nGewezen door {judge}."),
        },
        "body": (
            "{A.first} vertelde me [[calendar:vrijdag]] dat {B} de sloten had vervangen.",
            "Ik ken {A.title} sinds onze verhuizing naar {place} in {month_year}.",
            "Van mijn creditcard {card} is {money} afgeschreven zonder mijn toestemming.",
            "Graag het schikkingsbedrag overmaken naar {iban}.",
            "Mijn BSN is {natid}.",
            "Burgerservicenummer: {natid}",
            "Ze vroegen om een kopie van mijn paspoort, nummer {passport}, en gaven die nooit "
            "terug.",
            "Paspoortnummer {passport}, geldig tot {date}.",
            "{B} heeft nog steeds toegang tot de server: {apikey}",
            "Het wachtwoord van de gedeelde schijf was {password} tot {A.first} het veranderde.",
            "Inloggegevens: gebruiker {email}, wachtwoord: {password}",
            "ww: {password}",
            "Mijn pincode {pin} stond op een briefje in de la.",
            "Paspoort nr. {passport}", "Mijn pincode is {pin}.",
            "Het wachtwoord is {password}.",
            "De wachtzin \"{passphrase}\" ontgrendelt de back-up.",
            "U kunt mij bellen op {phone} of mailen naar {email}.",
            "Ik woon nu op {address}.",
            "Nieuw adres: {address}",
            "{A.full} is geboren op {dob} en begon op {date}.",
            "Geboortedatum: {dob}, geboorteplaats {place}.",
            "De inlogpogingen kwamen van {ip}, dat is niet mijn netwerk.",
            "Mijn buurman {neighbour} zag de bestelbus op {date} voor de deur.",
            "Na het ongeluk ben ik behandeld door {doctor} in {place}.",
            "Op de zitting van {date} heeft {judge} de zaak aangehouden tot [[calendar:dinsdag]].",
            "De advocaat van de wederpartij, {counsel}, bood op {date} {money} aan.",
            "Mijn zoon {child} is om het weekend bij mij.",
            "Onze dochter {child} is geboren op {dob}.",
            "De zaak loopt bij de {court} onder {caseref}.",
            "Volgens {statute} is de opzegtermijn drie maanden.",
            "De {act} is hier niet van toepassing.",
            "Factuur {invoice} van {money} is nog niet betaald.",
            "Ik werkte bij {company} voordat ik bij {B} kwam.",
            "De auto was een {brand} die {A.first} in {place} kocht.",
            "Het trackingnummer {bad_card} laat zien dat het pakket op {date} retour ging.",
            "De bank stuurde de overboeking naar {bad_iban} terug wegens een typefout.",
            "Kenmerk {bad_id} staat op de brief van de Belastingdienst van {date}.",
            "{A.initial} tekende het huurcontract; {B.inverted} tekende voor de verhuurder.",
            "{A.poss} auto stond de hele nacht voor het huis.",
            "{A.inside} is de handelsnaam waaronder {A.first} werkt.",
            "DE HUURDER, {A.caps}, BETAALT DE HUUR OP DE EERSTE WERKDAG VAN DE MAAND.",
            "Ik [[word:wil]] dat dit stopt, zegt {A.first}; de termijn loopt af in "
            "[[calendar:mei]].",
            "Er stond een [[word:roos]] op tafel, aldus {witness}.",
            "Het gesprek met {B.title} vond plaats in {place} op {weekday}.",
            "{witness.full}, werkzaam bij {company}, bevestigde wat {A.folded} zei.",
            "Mr. {counsel.surname} beroept zich op {statute}.",
            "Mijn e-mail is {email}; het oude adres, gebruikt door {B.first}, werkt niet meer.",
            "Volgens onze administratie heeft {A.inverted} ({email}) op {date} {money} betaald.",
            "Tussen {month} en {month} stuurde de server {ip} onze bestanden naar {B}.",
            "Getekend in aanwezigheid van {witness.title} en {doctor}.",
        ),
    },
    "es": {
        "open": {
            "email": ("Estimada Sra. {counsel.surname}:\n\n", "Hola, {counsel.first}:\n\n",
                      "Estimados señores:\n\n"),
            "intake": ("NOTA DE ENTREVISTA del {date}. Cliente: {A.inverted}. Parte contraria: "
                       "{B}.\n", "Primera consulta el {weekday} con {A.full}, nacido el {dob}.\n"),
            "clause": ("CONTRATO DE PRESTACIÓN DE SERVICIOS entre {A.caps} (el «Cliente») y "
                       "{B.full} (el «Proveedor»), de {date}.\n",),
            "witness": ("DECLARACIÓN TESTIFICAL de {witness.full}, prestada el {date}.\n",
                        "Declaración de {neighbour.full}, vecino de {A.title}.\n"),
            "court": ("{court}\n{caseref}\n{A.caps} contra {B.caps}\n\n",
                      "Ante el {court}, {caseref}, entre {A.full} y {B.full}.\n"),
        },
        "close": {
            "email": ("\n\nUn saludo,\n{A.first}", "\n\nAtentamente,\n{A.full}\nTel. {phone}",
                      "\n\nGracias, {A.first}", "\n\nSaludos, {A.initial}"),
            "intake": ("\nNota tomada por {counsel.full}.", "\nLlamar a {A.first} al {phone}."),
            "clause": ("\n\nFirmado: {A.full}, en nombre de {B.full}.",
                       "\n\nFIRMADO por {A.caps} en presencia de {witness.full}."),
            "witness": ("\n\nDeclaro que lo expuesto es verdad. Recogido por {counsel.full}.",),
            "court": ("\n\nAtentamente,\n{counsel.full}\nAbogada", "\n\nLo manda y firma "
                      "{judge}."),
        },
        "body": (
            "{A.first} me dijo el [[calendar:viernes]] que {B} había cambiado las cerraduras.",
            "Conozco a {A.title} desde que nos mudamos a {place} en {month_year}.",
            "Me cargaron {money} en la tarjeta {card} sin mi consentimiento.",
            "Les ruego que ingresen la indemnización en mi cuenta {iban}.",
            "Mi DNI es {natid}.",
            "NIF/NIE: {natid}",
            "Pidieron una copia de mi pasaporte, número {passport}, y nunca la devolvieron.",
            "Pasaporte n.º {passport}, válido hasta el {date}.",
            "{B} sigue teniendo acceso al servidor: {apikey}",
            "La contraseña del disco compartido era {password} hasta que {A.first} la cambió.",
            "Datos de acceso: usuario {email}, contraseña: {password}",
            "clave: {password}",
            "Mi PIN {pin} estaba apuntado en un papel en el cajón.",
            "Número de pasaporte: {passport}", "Mi PIN es {pin}.",
            "La contraseña es {password}.",
            "La frase de contraseña «{passphrase}» desbloquea la copia de seguridad.",
            "Pueden llamarme al {phone} o escribirme a {email}.",
            "Ahora vivo en {address}.",
            "Nuevo domicilio: {address}",
            "{A.full} nació el {dob} y empezó a trabajar el {date}.",
            "Fecha de nacimiento: {dob}, en {place}.",
            "Los accesos venían de {ip}, que no es mi red.",
            "Mi vecino {neighbour} vio la furgoneta delante de casa el {date}.",
            "Después del accidente me atendió el {doctor} en {place}.",
            "En la vista del {date}, {judge} suspendió el juicio hasta el [[calendar:martes]].",
            "El abogado contrario, {counsel}, nos escribió el {date} ofreciendo {money}.",
            "Mi hijo {child} está conmigo fines de semana alternos.",
            "Nuestra hija {child} nació el {dob}.",
            "El asunto se tramita en el {court} como {caseref}.",
            "Según el {statute}, el preaviso es de tres meses.",
            "La {act} no se aplica a este contrato.",
            "La factura {invoice} por {money} sigue sin pagar.",
            "Trabajé en {company} antes de entrar en {B}.",
            "El coche era un {brand} que {A.first} compró en {place}.",
            "El número de seguimiento {bad_card} indica que el paquete se devolvió el {date}.",
            "El banco devolvió la transferencia a {bad_iban} por un error al teclear.",
            "La referencia {bad_id} aparece en la carta de Hacienda del {date}.",
            "{A.initial} firmó el contrato de alquiler; {B.inverted} firmó por el arrendador.",
            "{A.inside} es el nombre comercial con el que trabaja {A.first}.",
            "EL ARRENDATARIO, {A.caps}, PAGARÁ LA RENTA EL PRIMER DÍA HÁBIL DE CADA MES.",
            "El [[word:pilar]] del garaje estaba dañado, según {witness}.",
            "Había [[word:luz]] en la oficina, dice {A.first}, y nadie contestó.",
            "La reunión con {B.title} fue en {place} el {weekday}.",
            "{witness.full}, empleada de {company}, confirmó lo que dijo {A.folded}.",
            "La letrada {counsel.surname} invoca el {statute}.",
            "Mi correo es {email}; el antiguo, que usaba {B.first}, ya no funciona.",
            "Según nuestros registros, {A.inverted} ({email}) pagó {money} el {date}.",
            "Entre {month} y {month}, el servidor {ip} envió nuestros archivos a {B}.",
            "Firmado en presencia de {witness.title} y del {doctor}.",
            "Los [[word:dolores]] de espalda empezaron el {date}, explica {A.first}.",
        ),
    },
    "it": {
        "open": {
            "email": ("Gentile Avv. {counsel.surname},\n\n", "Ciao {counsel.first},\n\n",
                      "Spettabile Studio,\n\n"),
            "intake": ("NOTA DI COLLOQUIO del {date}. Cliente: {A.inverted}. Controparte: {B}.\n",
                       "Primo colloquio il {weekday} con {A.full}, nato il {dob}.\n"),
            "clause": ("CONTRATTO DI SERVIZI tra {A.caps} (il \"Cliente\") e {B.full} (il "
                       "\"Fornitore\"), del {date}.\n",),
            "witness": ("DICHIARAZIONE TESTIMONIALE di {witness.full}, resa il {date}.\n",
                        "Dichiarazione di {neighbour.full}, vicino di {A.title}.\n"),
            "court": ("{court}\n{caseref}\n{A.caps} contro {B.caps}\n\n",
                      "Davanti al {court}, {caseref}, tra {A.full} e {B.full}.\n"),
        },
        "close": {
            "email": ("\n\nCordiali saluti,\n{A.first}", "\n\nDistinti saluti,\n{A.full}\n"
                      "Tel. {phone}", "\n\nGrazie, {A.first}", "\n\nSaluti, {A.initial}"),
            "intake": ("\nNota redatta da {counsel.full}.", "\nRichiamare {A.first} al {phone}."),
            "clause": ("\n\nFirmato: {A.full}, per conto di {B.full}.",
                       "\n\nFIRMATO da {A.caps} alla presenza di {witness.full}."),
            "witness": ("\n\nDichiaro che quanto sopra corrisponde al vero. Raccolta da "
                        "{counsel.full}.",),
            "court": ("\n\nCon osservanza,\n{counsel.full}\nAvvocato", "\n\nIl giudice, "
                      "{judge}."),
        },
        "body": (
            "{A.first} mi ha detto [[calendar:venerdì]] che {B} aveva cambiato le serrature.",
            "Conosco {A.title} da quando ci siamo trasferiti a {place} nel {month_year}.",
            "Sulla mia carta {card} sono stati addebitati {money} senza il mio consenso.",
            "Vi prego di versare l'indennizzo sul mio conto {iban}.",
            "Il mio codice fiscale è {natid}.",
            "C.F.: {natid}",
            "Hanno chiesto una copia del mio passaporto n. {passport} e non l'hanno mai resa.",
            "Passaporto {passport}, valido fino al {date}.",
            "{B} ha ancora accesso al server: {apikey}",
            "La password del disco condiviso era {password} finché {A.first} non l'ha cambiata.",
            "Credenziali: utente {email}, password: {password}",
            "parola d'ordine: {password}",
            "Il mio PIN {pin} era scritto su un foglietto nel cassetto.",
            "Numero di passaporto: {passport}", "Il mio PIN è {pin}.",
            "La password è {password}.",
            "La frase segreta «{passphrase}» sblocca il backup.",
            "Potete chiamarmi al {phone} o scrivere a {email}.",
            "Ora abito in {address}.",
            "Nuovo indirizzo: {address}",
            "{A.full} è nato il {dob} e ha iniziato il {date}.",
            "Data di nascita: {dob}, a {place}.",
            "Gli accessi provenivano da {ip}, che non è la mia rete.",
            "Il mio vicino {neighbour} ha visto il furgone davanti a casa il {date}.",
            "Dopo l'incidente sono stato curato dal {doctor} a {place}.",
            "All'udienza del {date}, {judge} ha rinviato la causa a [[calendar:martedì]].",
            "L'avvocato di controparte, {counsel}, ci ha scritto il {date} offrendo {money}.",
            "Mio figlio {child} sta con me un fine settimana su due.",
            "Nostra figlia {child} è nata il {dob}.",
            "La causa è pendente davanti al {court}, {caseref}.",
            "Ai sensi dell'{statute} il preavviso è di tre mesi.",
            "La {act} non si applica a questo contratto.",
            "La fattura n. {invoice} di {money} non è ancora stata pagata.",
            "Lavoravo per {company} prima di passare a {B}.",
            "L'auto era una {brand} comprata da {A.first} a {place}.",
            "Il numero di spedizione {bad_card} mostra che il pacco è tornato il {date}.",
            "La banca ha respinto il bonifico a {bad_iban} per un errore di battitura.",
            "Il riferimento {bad_id} compare nella lettera dell'Agenzia delle Entrate del {date}.",
            "{A.initial} ha firmato il contratto di locazione; {B.inverted} per il locatore.",
            "{A.inside} è il nome commerciale con cui lavora {A.first}.",
            "IL CONDUTTORE, {A.caps}, PAGHERÀ IL CANONE IL PRIMO GIORNO LAVORATIVO DEL MESE.",
            "La parete era [[word:bianca]] di calce, secondo {witness}.",
            "Era una serata [[word:serena]] e {A.first} era al lavoro.",
            "L'incontro con {B.title} si è svolto a {place} il {weekday}.",
            "{witness.full}, dipendente di {company}, ha confermato quanto detto da {A.folded}.",
            "L'Avv. {counsel.surname} richiama l'{statute}.",
            "La mia e-mail è {email}; quella vecchia, usata da {B.first}, non funziona più.",
            "Dai nostri archivi, {A.inverted} ({email}) ha pagato {money} il {date}.",
            "Tra {month} e {month} il server {ip} ha inviato i nostri file a {B}.",
            "Firmato alla presenza di {witness.title} e del {doctor}.",
        ),
    },
}  # fmt: skip


def document(doc: Doc, genre: str) -> list[Part]:
    """A genre's opening, nine to fifteen sentences of the language's body, its closing."""
    templates = TEMPLATES[doc.lang]
    body = doc.rng.sample(templates["body"], doc.rng.randint(9, 15))
    parts = expand(doc, doc.pick(templates["open"][genre]))
    for sentence in body:
        # A labelled line ("Kennwort: x9!aB") ends its line; a sentence may share one.
        end = doc.pick((" ", " ", "\n")) if sentence[-1] in '.!?»"' else "\n"
        parts += [*expand(doc, sentence), end]
    return parts + expand(doc, doc.pick(templates["close"][genre]))


def keep_only(doc: Doc) -> list[Part]:
    """Look-alikes and nothing personal: what precision is measured on."""
    clean = [t for t in TEMPLATES[doc.lang]["body"] if is_keep_only(t)]
    parts: list[Part] = []
    for sentence in doc.rng.sample(clean, min(len(clean), doc.rng.randint(3, 6))):
        parts += [*expand(doc, sentence), " "]
    return parts


# Every title a template writes before a name, literally or through a slot.
_TITLES = {t for pair in TITLES.values() for ts in pair for t in ts}
_TITLES |= {*DOCTOR.values(), *(j for js in JUDGE.values() for j in js)}
_TITLES |= {"Mr Justice", "Maître", "Avv.", "Mr.", "Sra."}
_TITLE_BEFORE = re.compile(
    r"(?<!\w)(?:{})\s$".format("|".join(map(re.escape, sorted(_TITLES, key=len, reverse=True)))),
    re.IGNORECASE,
)


def record(identifier: str, doc: Doc, genre: str, parts: list[Part]) -> dict[str, Any]:
    chunks: list[str] = []
    entities: list[dict[str, Any]] = []
    keep: list[dict[str, Any]] = []
    offset = 0
    for part in parts:
        if isinstance(part, str):
            if part.startswith(".") and chunks and chunks[-1].endswith("."):
                part = part[1:]  # "S.p.A." ends the sentence
            chunks.append(part)
            offset += len(part)
            continue
        span = {"start": offset, "end": offset + len(part.value), "value": part.value}
        if isinstance(part, Keep):
            keep.append({**span, "kind": part.kind})
        else:
            label = {"type": part.type, **span, "format": part.format}
            if part.listed is not None:
                label["listed"] = part.listed
            if part.source is not None:
                label["source"] = part.source
            if part.suffix:
                label["suffix"] = part.suffix
            if part.type == "PERSON" and (title := _TITLE_BEFORE.search("".join(chunks[-2:]))):
                label["title"] = title.group().strip()
            entities.append(label)
        chunks.append(part.value)
        offset += len(part.value)
    return {
        "id": identifier,
        "locale": doc.locale,
        "genre": genre,
        "text": "".join(chunks),
        "known_names": [p.full for p in doc.parties.values()],
        "entities": entities,
        "keep": keep,
    }


def seeded(locale: str, seed: int) -> Faker:
    """A Faker that draws the same values in every process.

    Seeding is not enough: it_IT's cities are a list made from a set, in the order of the
    process's string hashes, so such lists are sorted here.
    """
    fake = Faker(locale)
    fake.seed_instance(seed)
    for provider in fake.get_providers():
        if isinstance(cities := getattr(provider, "cities", None), list):
            provider.cities = sorted(cities)
    return fake


def locale_texts(index: int, locale: str) -> Iterator[dict[str, Any]]:
    seed = SEED + index
    fake = seeded(locale, seed)
    extra = {other: seeded(other, seed * 100 + n) for n, other in enumerate(_IBAN_LOCALES)}
    rng = random.Random(seed)
    for number in range(TEXTS_PER_LOCALE):
        doc = Doc(locale, fake, rng, extra)
        if number < KEEP_ONLY_PER_LOCALE:
            yield record(f"{locale}-keep-{number:03d}", doc, "keep-only", keep_only(doc))
            continue
        doc.parties = {"A": party(doc, business=False), "B": party(doc, doc.chance(0.35))}
        genre = doc.pick(GENRES)
        yield record(f"{locale}-{number:03d}", doc, genre, document(doc, genre))


def generate() -> list[dict[str, Any]]:
    """The whole corpus: the same list for the same seed and Faker version."""
    held_out()
    return [item for index, locale in enumerate(LOCALES) for item in locale_texts(index, locale)]


def main() -> None:
    OUTPUT.parent.mkdir(exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8") as out:
        for item in generate():
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
