"""Writes the labelled personal-data corpus, `corpus.jsonl` next to this file, on demand:

    .venv/bin/python tests/privacy/generate_corpus.py

The corpus is committed data: the tests read it and never regenerate it, so a Faker upgrade
cannot change what they measure (Faker is pinned in requirements-dev.txt, and every generator
is seeded, so a rerun writes the same file).

Each line is one client's text in English, as written to the firm by people from the seven
locales below, with their data in their own country's formats: {"id", "locale", "text",
"known_names" (the case's parties, which the product gives the scrubber), "entities": [{"type",
"start", "end", "value", "format"}]}. Labels use the scrubber's entity types. Texts also carry
numbers that are not personal data (case references, amounts, dates, statutes, invoice
numbers), and some texts carry only those, so precision is measured on realistic noise.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from faker import Faker

CORPUS = Path(__file__).with_name("corpus.jsonl")
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")
TEXTS_PER_LOCALE = 45
NEGATIVE_TEXTS = 60
SEED = 20261121


@dataclass(frozen=True)
class Entity:
    type: str
    value: str
    format: str


Part = str | Entity
T = TypeVar("T")


@dataclass
class Source:
    """A locale's Faker and a random generator, both seeded: all the corpus's randomness."""

    fake: Faker
    rng: random.Random

    def pick(self, options: list[T] | tuple[T, ...]) -> T:
        return self.rng.choice(options)

    def chars(self, alphabet: str, count: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(count))


def sentence(template: str, entity: Entity) -> list[Part]:
    before, after = template.split("{}")
    return [before, entity, after]


def grouped(value: str, sizes: tuple[int, ...] | None = None, sep: str = " ") -> str:
    """`value` cut into groups of `sizes` (fours by default, as IBANs and cards are printed)."""
    sizes = sizes or (4,) * (len(value) // 4 + 1)
    groups, cursor = [], 0
    for size in sizes:
        if cursor < len(value):
            groups.append(value[cursor : cursor + size])
            cursor += size
    return sep.join(groups)


# --- Secrets -------------------------------------------------------------------------------

_CARD_GROUPS = {15: (4, 6, 5), 14: (4, 6, 4), 16: (4, 4, 4, 4), 19: (4, 4, 4, 4, 3)}


def card(src: Source) -> list[Part]:
    brand = src.pick(("visa", "mastercard", "amex", "discover", "jcb", "diners"))
    number = src.fake.credit_card_number(card_type=brand)
    layout = src.pick(("plain", "spaces", "dashes"))
    if layout != "plain":
        number = grouped(number, _CARD_GROUPS[len(number)], " " if layout == "spaces" else "-")
    return sentence(
        src.pick(
            (
                "Please refund the retainer to my card {} by Friday.",
                "The landlord charged my {brand} card {} twice for the same month.",
                "Card number: {}, expiry 09/28, it was used without my consent.",
                "They took the deposit from {} and never paid it back.",
                "My bank statement shows card {} was debited on the day of the hearing.",
            )
        ).replace("{brand}", brand.title()),
        Entity("CARD_NUMBER", number, f"{brand}/{layout}"),
    )


def iban(src: Source) -> list[Part]:
    value = src.fake.iban()
    layout = src.pick(("compact", "grouped"))
    if layout == "grouped":
        value = grouped(value)
    return sentence(
        src.pick(
            (
                "Settlement funds should go to IBAN {} on completion.",
                "My salary was paid into {} until they stopped it.",
                "Please transfer the compensation to my account {}.",
                "The tenant paid rent from IBAN: {} every month.",
                "Our joint account is {}, held with my former husband.",
            )
        ),
        Entity("IBAN", value, f"{value[:2]}/{layout}"),
    )


def ssn(src: Source) -> list[Part]:
    value = src.fake.ssn()
    layout = src.pick(("dashes", "labelled-compact", "labelled-spaces"))
    if layout == "labelled-compact":
        value = value.replace("-", "")
    elif layout == "labelled-spaces":
        value = value.replace("-", " ")
    template = (
        src.pick(("My social security number is {}.", "Her SSN {} appears on the W-2."))
        if layout != "dashes"
        else src.pick(("The employer reported {} as my number.", "SSN: {} (on the pay stub)."))
    )
    return sentence(template, Entity("SSN", value, layout))


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def nino(src: Source) -> Entity:
    # Faker's en_GB numbers all use the never-issued ZZ prefix; these use issued ones.
    while (prefix := src.chars(_NINO_FIRST, 1) + src.chars(_NINO_SECOND, 1)) in {
        "BG",
        "GB",
        "KN",
        "NK",
        "NT",
        "TN",
        "ZZ",
    }:
        pass
    digits = src.chars(string.digits, 6)
    suffix = src.chars("ABCD", 1)
    if src.rng.random() < 0.5:
        return Entity(
            "NATIONAL_ID", f"{prefix} {grouped(digits, (2, 2, 2))} {suffix}", "nino/spaces"
        )
    return Entity("NATIONAL_ID", f"{prefix}{digits}{suffix}", "nino/compact")


def national_id(src: Source, locale: str) -> list[Part]:
    fake = src.fake
    match locale:
        case "en_GB":
            entity = nino(src)
            template = src.pick(
                ("My National Insurance number is {}.", "NI number {}, start date 1 May 2024.")
            )
        case "fr_FR":
            nir = fake.ssn()
            if src.rng.random() < 0.5:
                entity = Entity("NATIONAL_ID", nir, "nir/compact")
            else:
                spaced = grouped(nir, (1, 2, 2, 2, 3, 3, 2))
                entity = Entity("NATIONAL_ID", spaced, "nir/spaces")
            template = src.pick(
                ("My French social security number (NIR) is {}.", "Numéro de sécurité sociale: {}.")
            )
        case "es_ES":
            value = src.pick((fake.nif, fake.nie))()
            kind = "nie" if value[0] in "XYZ" else "dni"
            if src.rng.random() < 0.5:
                entity = Entity("NATIONAL_ID", f"{value[:-1]}-{value[-1]}", f"{kind}/dash")
            else:
                entity = Entity("NATIONAL_ID", value, f"{kind}/compact")
            template = src.pick(("My DNI is {}.", "The contract lists my ID number as {}."))
        case "it_IT":
            entity = Entity("NATIONAL_ID", fake.ssn(), "codice-fiscale")
            template = src.pick(
                ("My codice fiscale is {}.", "The lease was registered under tax code {}.")
            )
        case "nl_NL":
            bsn = fake.ssn()
            if src.rng.random() < 0.5:
                entity = Entity("NATIONAL_ID", bsn, "bsn/compact")
            else:
                entity = Entity("NATIONAL_ID", grouped(bsn, (4, 2, 3), "."), "bsn/dots")
            template = src.pick(("My BSN is {}.", "BSN: {} (burgerservicenummer)."))
        case _:
            return ssn(src)
    return sentence(template, entity)


# Germany's tax id is not among the numbers the scrubber knows; German texts carry the rest.
NATIONAL_ID_LOCALES = ("en_US", "en_GB", "fr_FR", "es_ES", "it_IT", "nl_NL")


def passport(src: Source) -> list[Part]:
    return sentence(
        src.pick(
            (
                "My passport number is {}.",
                "Passport: {}, expires next year.",
                "The airline has my passport no. {} on file.",
                "They kept passport #{} as security for the rent.",
            )
        ),
        Entity("PASSPORT", src.fake.passport_number(), "labelled"),
    )


_ALNUM = string.ascii_letters + string.digits
_BASE64 = _ALNUM + "+/"


def _jwt(src: Source) -> str:
    def part(payload: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    header = part({"alg": "HS256", "typ": "JWT"})
    claims = part({"sub": src.chars(string.digits, 6), "iat": 1700000000})
    return f"{header}.{claims}.{src.chars(_ALNUM + '-_', 43)}"


def _private_key(src: Source) -> str:
    lines = [src.chars(_BASE64, 64) for _ in range(4)]
    return "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *lines, "-----END RSA PRIVATE KEY-----"])


def api_key(src: Source) -> list[Part]:
    kinds: dict[str, tuple[Callable[[], str], tuple[str, ...]]] = {
        "openai": (
            lambda: "sk-proj-" + src.chars(_ALNUM + "-_", 48),
            ("Our developer pasted the key {} into the public repository.",),
        ),
        "anthropic": (
            lambda: "sk-ant-api03-" + src.chars(_ALNUM + "-_", 86),
            ("The contractor still has our key {} after termination.",),
        ),
        "aws-id": (
            lambda: "AKIA" + src.chars(string.ascii_uppercase + string.digits, 16),
            ("The leaked access key id was {}, according to the provider.",),
        ),
        "aws-secret": (
            lambda: src.chars(_BASE64, 40),
            (
                "Their config had aws_secret_access_key = {} in plain text.",
                "AWS_SECRET_ACCESS_KEY={} was in the ex-employee's laptop backup.",
            ),
        ),
        "github": (
            lambda: "ghp_" + src.chars(_ALNUM, 36),
            ("He used the token {} to download our source code after he left.",),
        ),
        "slack": (
            lambda: "xoxb-" + src.chars(string.digits, 12) + "-" + src.chars(_ALNUM, 24),
            ("The bot token {} was posted in the shared channel.",),
        ),
        "google": (
            lambda: "AIza" + src.chars(_ALNUM + "-_", 35),
            ("Our Maps key {} was billed 4,000 EUR by someone else.",),
        ),
        "stripe": (
            lambda: "sk_live_" + src.chars(_ALNUM, 24),
            ("The agency kept our payment key {} and charged customers.",),
        ),
        "jwt": (
            lambda: _jwt(src),
            ("The session token {} was shared by email.", "Authorization: Bearer {}"),
        ),
        "hex": (
            lambda: src.fake.sha1(),
            ("api_key={} is in the screenshot.", "The API key is {} and it still works."),
        ),
        "uuid": (
            lambda: src.fake.uuid4(),
            ("Client secret: {}, issued to the former supplier.",),
        ),
        "private-key": (
            lambda: _private_key(src),
            ("He emailed our server key:\n{}\nto his personal address.",),
        ),
    }
    kind = src.pick(sorted(kinds))
    make, templates = kinds[kind]
    return sentence(src.pick(templates), Entity("API_KEY", make(), kind))


def password(src: Source) -> list[Part]:
    kind = src.pick(("password", "password", "pin", "url"))
    if kind == "pin":
        value = src.chars(string.digits, src.pick((4, 6)))
        template = src.pick(("My PIN is {}.", "The door passcode: {}, changed since."))
    elif kind == "url":
        value = src.fake.password(length=src.rng.randint(10, 16), special_chars=False)
        user = src.fake.user_name()
        host = src.fake.domain_name()
        template = src.pick(
            (
                f"The database URL postgres://{user}:{{}}@db.{host}:5432/app was in the report.",
                f"He logged in with https://{user}:{{}}@portal.{host}/ after he was dismissed.",
            )
        )
    else:
        value = src.fake.password(
            length=src.rng.randint(8, 16), special_chars=src.rng.random() < 0.5
        )
        template = src.pick(
            (
                "My password is {} and he knew it.",
                "Login: the email above, password: {} (I have changed it since).",
                "pwd={} was written on the note.",
                "The Wi-Fi password was {} when I moved out.",
            )
        )
    return sentence(template, Entity("PASSWORD", value, kind))


# --- Identities ----------------------------------------------------------------------------


def email(src: Source) -> list[Part]:
    value = src.pick((src.fake.email, src.fake.company_email, src.fake.free_email))()
    return sentence(
        src.pick(
            (
                "You can reach me at {} at any time.",
                "The notice came from {} on a Sunday.",
                "Please copy my partner ({}) on every letter.",
            )
        ),
        Entity("EMAIL", value, "email"),
    )


def phone(src: Source) -> list[Part]:
    value = src.fake.phone_number()
    layout = "international" if value.startswith(("+", "00")) else "national"
    return sentence(
        src.pick(
            (
                "Call me on {} after 6pm.",
                "The agent called from {} to threaten me.",
                "My mobile is {}, please text first.",
            )
        ),
        Entity("PHONE", value, layout),
    )


def address(src: Source) -> list[Part]:
    value = src.fake.address().replace("\n", ", ")
    return sentence(
        src.pick(
            (
                "I live at {} since 2019.",
                "Please serve the papers at {}.",
                "The flat at {} is where the damage happened.",
            )
        ),
        Entity("ADDRESS", value, "postal"),
    )


_DATE_FORMATS = ("%d %B %Y", "%d/%m/%Y", "%Y-%m-%d", "%B %d, %Y", "%d.%m.%Y", "%m/%d/%Y")


def dob(src: Source) -> list[Part]:
    born = src.fake.date_of_birth(minimum_age=18, maximum_age=90)
    layout = src.pick(_DATE_FORMATS)
    return sentence(
        src.pick(
            ("I was born on {}.", "Date of birth: {}.", "My daughter (DOB {}) lives with me.")
        ),
        Entity("DOB", born.strftime(layout), layout),
    )


def ip(src: Source) -> list[Part]:
    kind = src.pick(("ipv4", "ipv6"))
    value = src.fake.ipv4_public() if kind == "ipv4" else src.fake.ipv6()
    return sentence(
        src.pick(
            (
                "The logins came from {} at night.",
                "Their server logs show my address as {}.",
            )
        ),
        Entity("IP", value, kind),
    )


def parties(src: Source) -> tuple[list[str], list[Part]]:
    """The case's parties and a sentence naming them, once in full and once as title+surname."""
    female = src.rng.random() < 0.5
    first = src.fake.first_name_female() if female else src.fake.first_name_male()
    last = src.fake.last_name()
    other = f"{src.fake.first_name()} {src.fake.last_name()}"
    client = f"{first} {last}"
    title = src.pick(("Ms", "Mrs")) if female else src.pick(("Mr", "Mr."))
    full = Entity("PERSON", client, "full")
    opponent = Entity("PERSON", other, "full")
    surname = Entity("PERSON", last, "title+surname")
    shouting = Entity("PERSON", client.upper(), "upper")
    parts: list[Part] = src.pick(
        (
            ["My client ", full, " was dismissed by ", opponent, " without notice. ", title, " ",
             surname, " wants to sue."],
            ["CLAIMANT: ", shouting, ". Defendant: ", opponent, ". ", title, " ", surname,
             " has the documents."],
            ["I, ", full, ", rent the flat from ", opponent, ". The letters are addressed to ",
             title, " ", surname, "."],
        )
    )  # fmt: skip
    return [client, other], parts


# --- Not personal data ---------------------------------------------------------------------


def negative(src: Source) -> str:
    """A sentence with numbers shaped like personal data that are not: precision's noise."""
    year = src.rng.randint(2015, 2026)
    day = date(year, src.rng.randint(1, 12), src.rng.randint(1, 28))
    digits = src.chars(string.digits, src.pick((10, 12, 14, 16, 18)))
    return src.pick(
        (
            f"The claim was issued under case {year}-CV-{src.chars(string.digits, 5)}.",
            f"Claim No. HC-{year}-{src.chars(string.digits, 6)} is listed for 3 June.",
            f"The court (Az. {src.rng.randint(1, 40)} O {src.rng.randint(1, 999)}/"
            f"{year % 100:02d}) fixed the value at EUR {src.rng.randint(1, 999)}.000,00.",
            f"Judgment of ${src.rng.randint(1, 999)},{src.chars(string.digits, 3)}.00 "
            f"was entered on {day.isoformat()}.",
            f"Invoice {digits} for £{src.rng.randint(100, 9999):,}.50 is still unpaid.",
            f"Order reference {digits} was cancelled on {day.strftime('%d/%m/%Y')}.",
            f"See § {src.rng.randint(1, 999)} Abs. {src.rng.randint(1, 5)} BGB and "
            f"Article {src.rng.randint(1000, 2300)} of the Code civil.",
            f"Jurisdiction under 28 U.S.C. § {src.rng.randint(1300, 1400)}; hearing at "
            f"{src.rng.randint(9, 16)}:{src.pick(('00', '15', '30', '45'))} on "
            f"{day.strftime('%d %B %Y')}.",
            f"Clause {src.rng.randint(1, 30)}.{src.rng.randint(1, 9)}.{src.rng.randint(1, 9)} "
            f"caps liability at {src.rng.randint(2, 40)}% of the fees.",
            f"The tenancy ran from {day.strftime('%B %Y')} for {src.rng.randint(6, 36)} months "
            f"at {src.rng.randint(500, 3000)} per month.",
            f"Company number {src.chars(string.digits, 8)} was struck off in {year}.",
            f"Under Section {src.rng.randint(2, 99)}, {src.rng.randint(10, 99)}000 EUR of the "
            "deposit were withheld.",
            f"ISBN 978-{src.rng.randint(0, 9)}-{src.chars(string.digits, 3)}-"
            f"{src.chars(string.digits, 5)}-{src.rng.randint(0, 9)} is the textbook we cite.",
            f"Version {src.rng.randint(1, 9)}.{src.rng.randint(0, 9)}.{src.rng.randint(0, 9)}."
            f"{src.rng.randint(0, 99)} of the terms applied from {day.isoformat()}.",
        )
    )


SECRETS = (card, iban, passport, api_key, password)
IDENTITIES = (email, phone, address, dob, ip)


def text(src: Source, locale: str) -> tuple[list[str], list[Part]]:
    known, parts = parties(src)
    makers = [
        *src.rng.sample(SECRETS, src.rng.randint(1, 3)),
        *src.rng.sample(IDENTITIES, src.rng.randint(1, 3)),
    ]
    if locale in NATIONAL_ID_LOCALES and src.rng.random() < 0.6:
        makers.append(lambda s: national_id(s, locale))
    sentences: list[list[Part]] = [m(src) for m in makers]
    sentences += [[negative(src)] for _ in range(src.rng.randint(0, 2))]
    src.rng.shuffle(sentences)
    for piece in sentences:
        parts += [" ", *piece]
    return known, parts


def record(identifier: str, locale: str, known: list[str], parts: list[Part]) -> dict[str, object]:
    chunks: list[str] = []
    entities = []
    offset = 0
    for part in parts:
        if isinstance(part, Entity):
            entities.append(
                {
                    "type": part.type,
                    "start": offset,
                    "end": offset + len(part.value),
                    "value": part.value,
                    "format": part.format,
                }
            )
            part = part.value
        chunks.append(part)
        offset += len(part)
    return {
        "id": identifier,
        "locale": locale,
        "text": "".join(chunks),
        "known_names": known,
        "entities": entities,
    }


def corpus() -> list[dict[str, object]]:
    records = []
    for index, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(SEED + index)
        src = Source(fake, random.Random(SEED + index))
        for number in range(TEXTS_PER_LOCALE):
            known, parts = text(src, locale)
            records.append(record(f"{locale}-{number:03d}", locale, known, parts))
    fake = Faker("en_US")
    fake.seed_instance(SEED - 1)
    src = Source(fake, random.Random(SEED - 1))
    for number in range(NEGATIVE_TEXTS):
        sentences = [negative(src) for _ in range(src.rng.randint(2, 4))]
        records.append(record(f"negative-{number:03d}", "en_US", [], [" ".join(sentences)]))
    return records


def main() -> None:
    with CORPUS.open("w", encoding="utf-8") as out:
        for item in corpus():
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
