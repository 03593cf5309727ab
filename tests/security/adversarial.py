"""Adversarial inputs for the PII scrubber: each a text of any size built to make a detector
backtrack, pair up pieces or rescan, shared by the linear-time tests and the benchmark.

Every detector meets every generator: digit runs with every separator, repeated labels, long
tokens, punctuation runs, near misses of each format repeated, and look-alike letters of other
scripts. A name says what the text repeats.
"""

from __future__ import annotations

from collections.abc import Callable

from consultations.llm import pii
from consultations.llm.pii.scrubber import identity_detectors, recent
from consultations.llm.pii.secrets import SECRET_DETECTORS
from tests.security.linear_time import fit

Make = Callable[[int], str]

# The case parties the name finder is given.
KNOWN_NAMES = (
    "Anna Maria Lopez",
    "John Smith",
    "Jan van der Berg",
    "Will May",
    "Nowak Design GmbH",
)


def _repeat(unit: str) -> Make:
    return lambda size: fit(unit, size)


def _after(prefix: str, unit: str) -> Make:
    """`prefix` once, then `unit` repeated: one label in front of a long tail."""
    return lambda size: prefix + fit(unit, size - len(prefix))


def _ending(unit: str, end: str, prefix: str = "") -> Make:
    """`prefix`, `unit` repeated, then `end`: a run that a pattern reads to its last character
    before finding that the text does not end the way it needs."""
    return lambda size: prefix + fit(unit, size - len(prefix) - len(end)) + end


_GENERATORS: dict[str, Make] = {
    # Digit runs, every separator.
    "digits": _repeat("1"),
    "digits-space": _repeat("1 "),
    "digits-dash": _repeat("1-"),
    "digits-dot": _repeat("1."),
    "digits-slash": _repeat("1/"),
    "digits-nbsp": _repeat("1\u00a0"),
    "digits-mixed-separators": _repeat("1 2-3.4/5\u00a06,"),
    "digit-groups-of-four": _repeat("4111 "),
    "digit-groups-of-three": _repeat("411-"),
    "digit-groups-mixed-lengths": _repeat("4111 22 333 1 55555 "),
    # Five digits joined by separators, one short of a phone number's, then a letter.
    "five-joined-digits": _repeat("1 (2) 3-4/5 x "),
    "joined-digits-then-extension": _repeat("12 34 56 ext. 7"),
    "almost-card-luhn-fails": _repeat("4111 1111 1111 1112 "),
    "arabic-indic-digits": _repeat("\u0661\u0662\u0663 "),
    "fullwidth-digits": _repeat("\uff11\uff12 "),
    # Repeated labels.
    "password-labels": _repeat("password: "),
    "password-then-dots": _after("password: ", "."),
    "password-then-dots-then-letter": _ending(".", "x", prefix="password: "),
    "password-then-word": _ending("a", "\u00e9", prefix="password: "),
    "password-is-labels": _repeat("password is "),
    "pin-labels": _repeat("pin code "),
    "label-fragments": _repeat("pinpasspwdssnbsnsofi"),  # a label's start at every few letters
    "key-labels": _repeat("api key: "),
    "token-then-long-value": _after("token: ", "a1"),
    "iban-labels": _repeat("IBAN "),
    "passport-labels": _repeat("passport no "),
    "passport-then-alnum": _after("passport no ", "A1"),
    "ssn-labels": _repeat("social security number is "),
    "bsn-labels": _repeat("BSN: "),
    "born-labels": _repeat("born in Paris "),
    "dob-labels": _repeat("date of birth: 1 "),
    "passwort-labels": _repeat("Passwort ist "),
    "mot-de-passe-labels": _repeat("mot de passe : "),
    "password-unclosed-quotes": _repeat("password „a "),
    "password-unclosed-guillemets": _repeat("contraseña «a "),
    "passphrase-labels": _repeat("passphrase: "),
    "passphrase-then-words": _after("passphrase: ", "ab "),
    "passphrase-then-one-word": _after("passphrase: ", "a"),
    "geboren-labels": _repeat("geboren am 1. "),
    "date-then-geboren": _repeat("am 1.2.1980 geboren "),
    "words-then-geboren": _repeat("op 3 april te a geboren "),
    "nacio-labels": _repeat("nació el 1 de "),
    "born-in-place-labels": _repeat("né à Lyon le "),
    "month-names": _repeat("12 de marzo de "),
    "reisepass-labels": _repeat("Reisepass Nr. "),
    "steuer-id-labels": _repeat("Steuer-ID: 12 "),
    "private-key-headers": _repeat("-----BEGIN RSA PRIVATE KEY-----"),
    "url-schemes": _repeat("a://"),
    "url-user-infos": _repeat("a://b:"),
    # Long tokens.
    "long-word": _repeat("a"),
    "long-base64": _repeat("aZ09+/_-="),
    "long-capitalised-word": _after("A", "b"),
    "long-word-then-accent": _ending("a", "\u00e9"),
    "email-percent-runs": _repeat("a%"),
    "email-local-parts-at-each-character": _repeat("a.b@"),
    "email-local-runs-then-at": _ending("a%", "@"),
    "email-domain-then-dot": _ending("b.", "-", prefix="a@"),
    "long-email-local-part-then-at": lambda size: fit("a", size - 1) + "@",
    "at-runs": _repeat("a@"),
    "dotted-letters": _repeat("a."),
    "email-domain-dots": _after("a@", "b."),
    "email-domain-dashes": _after("a@", "b-"),
    "api-key-prefixes": _repeat("sk-"),
    "api-key-prefixes-then-accent": _ending("sk-", "\u00e9"),
    "stripe-prefixes-then-accent": _ending("sk_live_", "\u00e9"),
    "github-prefixes-then-accent": _ending("ghp_", "\u00e9"),
    "jwt-like": _repeat("eyJ"),
    "codice-fiscale-like": _repeat("RSSMRA85T10A562"),
    # Punctuation.
    "punctuation": _repeat(".,;:-/()"),
    "colons": _repeat(":"),
    "angle-brackets": _repeat("<>"),
    "quotes": _repeat("\"'"),
    # Near misses of each format, repeated.
    "almost-iban": _repeat("DE89 3704 0044 0532 0130 01 "),
    "almost-iban-no-spaces": _repeat("DE00"),
    "almost-ip": _repeat("1.1."),
    "almost-ip-groups": _repeat("123.45.6."),
    "almost-ipv6": _repeat("1:"),
    "hex-then-colons": _repeat("abcd:"),
    "hex-colon-pairs": _repeat("a:b:c "),
    "double-colons": _repeat("::1"),
    "almost-phone-plus-one": _repeat("+1 ("),
    "almost-phone-international": _repeat("+4 "),
    "almost-phone-bracketed-trunk": _repeat("(0"),
    "almost-phone-zero": _repeat("0 "),
    "almost-phone-double-zero": _repeat("0049 "),
    "almost-phone-slash": _repeat("030/"),
    "almost-phone-grouped": _repeat("612 "),
    "phone-runs-after-words": _repeat("Tel. 0612345678 Rechnung 0437777013 "),
    "phone-words-then-loose-groups": _repeat("llamarme al 612/3244 "),
    "phone-words-then-digit-groups": _after("Tel. ", "61 2."),
    "loose-groups-after-digits": _repeat("3845 086129 6629 "),
    "date-shapes-after-phone-words": _repeat("call 12.03.2019 "),
    "phone-words-in-email-addresses": _repeat("tele2@x.fr 612 324 "),
    "numbers-alone-on-lines": _repeat("\n0612345678"),
    "almost-ssn": _repeat("123-45-"),
    "almost-nino": _repeat("QQ 12 34 56 "),
    "almost-nir": _repeat("1 85 05 78 006 "),
    "almost-dni": _repeat("12.345.678-"),
    # What the secret detectors take their candidates from: numbers before a check letter,
    # after letters, before Corsica's letter, in SSN dashes, words of sixteen letters and
    # digits, key prefixes run together, and label words one after another.
    "numbers-then-check-letters": _repeat("12345678Z 1234567 L "),
    "letters-then-numbers": _repeat("ab1"),
    "letters-space-then-numbers": _repeat("QQ 123456 "),
    "corsica-numbers": _repeat("1 85 05 2A 006 "),
    "ssn-dashes": _repeat("1-23-4"),
    "sixteen-character-words": _repeat("rssmra85t10a562s "),
    "key-prefixes-run-together": _repeat("ghp_sk-xoxbAKIA_eyJ"),
    "key-label-words": _repeat("secret_access_key_token "),
    "password-label-words": _repeat("passcode pincode mot cod frase "),
    "password-abbreviations": _repeat("ww mdp pw: "),
    "pin-labels-then-digits": _repeat("PIN 1234 code pin 12345678901 "),
    "password-labels-then-words": _repeat("the password for the shared drive "),
    "password-label-then-one-long-word": _after("password for ", "a"),
    "password-values-with-parentheses": _after("password: ", "a)"),
    "parentheses-then-passwords": _repeat("(pw: a1) pw: a1) "),
    "open-parenthesis-then-passwords": _after("(", "pw: a1) "),
    "ssn-labels-then-words": _repeat("Social Security number of Jane Roe "),
    "ssn-label-then-one-long-word": _after("SSN of ", "a."),
    "passport-labels-inflected": _repeat("Reisepasses, Nummer passports, no "),
    "bsn-spaced-groups": _repeat("BSN 123 456 "),
    "key-prefixes-of-more-services": _repeat("glpat-hf_npm_SG.shpat_SKAC"),
    "hex-after-key-prefixes": _after("SK", "0a"),
    "card-groups-after-codes": _repeat("FR76 3000 6000 0112 3456 7890 189 "),
    "card-shaped-runs": _repeat("5018 1234 5678 9 6759 "),
    "almost-us-street": _repeat("12 Main "),
    "almost-us-address": _repeat("12 Main Street, "),
    "almost-street-kind-city": _repeat("12 Katherine Oval, "),
    "street-kind-commas": _after("1 ", "A Loop, "),
    "almost-flat-street": _repeat("Flat 05m\nMason Junction Suite 1"),
    "almost-fr-named-street": _repeat("rue de A B, "),
    "almost-unit-street-city": _repeat("Calle A 9 Apt. 60 , "),
    "city-particles": _after("Hauptstraße 5, 10115 A", " aan den"),
    "almost-uk-address": _repeat("Flat 1, "),
    "almost-de-nl-address": _repeat("Hauptstraße 5, "),
    "almost-de-nl-postcode": _repeat("Lilyweg 8, 9859 ZE, "),
    "postcodes-after-long-words": _repeat("Ab" + "c" * 50 + " Lilyweg" * 3 + " 8, 9859 "),
    "postcodes-without-spaces": _after("A", "b, 1234"),
    "capitalised-words": _repeat("Ab "),
    "capitalised-dotted": _repeat("A."),
    "capitalised-apostrophes": _repeat("A'"),
    "capitalised-dashes": _repeat("A-b "),
    "almost-fr-address": _repeat("12 rue "),
    "almost-es-address": _repeat("Calle 1 "),
    "almost-es-street-city": _repeat("Calle Mayor, "),
    "almost-fr-street-city": _repeat("1 rue a, "),
    "almost-de-street-city": _repeat("Berliner Straße 5 in "),
    "street-ending-words": _after("A", "straße"),
    "almost-it-address": _repeat("Via 1, "),
    "street-number-commas": _repeat("1, "),
    "almost-city-state-zip": _repeat("Austin, TX "),
    "states-then-spaces-then-zip-codes": _repeat("TX" + " " * 20 + "12345 "),
    "spaces-then-zip-codes": _repeat(" 12345"),
    "almost-postcode": _repeat("SW1A "),
    "title-runs": _repeat("Mr "),
    "titles-of-six-languages": _repeat("Herr Mme Sr. D. meneer mevrouw Dr. "),
    "particles": _repeat("van de "),
    "capitalised-particles": _repeat("Van De "),
    "name-then-particles": _after("Jan ", "van de "),
    "capitalised-particles-then-name": _ending("Van De ", "Anna"),
    "names-with-particles": _repeat("Jan van der Berg "),
    "first-names": _repeat("Anna "),
    "first-names-then-lowercase": _repeat("Anna b "),
    "initials": _repeat("J. "),
    "surname-comma-first": _repeat("Smith, John, "),
    "possessives": _repeat("Smith's "),
    "hyphenated-names": _after("A", "-b"),
    "role-words-then-names": _repeat("my neighbour Okafor "),
    "capitals-heading-of": _repeat("WITNESS STATEMENT OF "),
    "capitals-names": _repeat("JOHN SMITH "),
    "company-words": _repeat("Acme Ltd "),
    "number-then-capitalised": _repeat("12 Ab "),
    "almost-known-names": _repeat("Anna Maria "),
    # Every form of a party's name: runs of its words, particles, initials, reversed names,
    # titles, accents, words that are also names, months, and near misses of the folded search.
    "known-given-names": _repeat("Anna "),
    "known-surnames-after-titles": _repeat("Mr Smith "),
    "known-names-reversed": _repeat("Smith, John, "),
    "known-particles": _repeat("van der Berg "),
    "lowercase-particles": _repeat("van der "),
    "initials-before-known-surnames": _repeat("A. M. J. Lopez "),
    "initials-without-surnames": _repeat("A. "),
    "known-given-name-then-another": _repeat("John Doe "),
    "accented-known-names": _repeat("L\u00f3pez "),
    "folded-near-misses": _repeat("Lapaz\u00e9 "),
    "word-names-at-sentence-starts": _repeat("Will. May "),
    "word-names-then-months": _repeat("May 1 May "),
    "company-legal-forms": _repeat("Nowak Design GmbH & Co. KG "),
    "company-trade-words": _repeat("Design "),
    "word-name-then-spaces": _after("May", " "),
    "given-name-then-letters": _after("Anna ", "b"),
    "closings-then-names": _repeat("Yours faithfully,\nOkafor Przybylski\n"),
    "closings-with-full-stops": _repeat("distinguées. "),
    "greetings-then-unknown-names": _repeat("Hi Okafor,\n"),
    "sentence-starts-then-unknown-names": _repeat(". Okafor Przybylski, "),
    "elided-titles": _repeat("L'Avv. Sig.ra Dott.ssa "),
    "first-names-then-verbs": _repeat("when Anna saw "),
    "words-then-particles-then-names": _repeat("Anwesenheit von Hinnerk Okafor "),
    "other-given-names-before-known-surnames": _repeat("Nancy Smith "),
    "names-then-brands-after-commas": _repeat("Anna Okafor, Goldman Sachs, "),
    "headings-then-particles": _repeat("GETUIGENVERKLARING van "),
    "particles-then-inverted-names": _repeat("van der Veen, Zo\u00eb, "),
    "almost-placeholders": _repeat("<PERSON_"),
    "placeholder-digits": _after("<PERSON_", "1"),
    # Other scripts' look-alikes: what IGNORECASE or \w, \d and \s read as ASCII, or nearly.
    "long-s-and-dotted-i": _repeat("\u017f\u0130\u212a "),
    "cyrillic-look-alikes": _repeat("\u0430\u0435\u043e\u0440 \u0410\u0412\u0415 "),
    "greek-look-alikes": _repeat("\u0391\u0392\u0395\u039f "),
    "accented-capitals": _repeat("Ébc "),
}

# Detectors skip texts that lack what each of their matches has (an "@", a label, a digit, a
# postal code); every text ends with all of them, so that no generator is turned away unread.
_HINTS = (
    " -----BEGIN sk- AKIA eyJ key token secret bearer password pwd pin passport BSN sofi :// @ ww"
    " 1, 1234 AB 12345 TX 12345 SW1A 1AA 2A 12345678901234 abcdefghijklmnopqrstuvwxyz"
    " Passwort Kennwort mot de passe wachtwoord contraseña clave parola passphrase Reisepass"
    " paspoort pasaporte Steuer-ID geboren né nacido Tel. Straße Kerkstraat Calle Via rue"
)


def _hinted(make: Make) -> Make:
    return lambda size: make(size - len(_HINTS)) + _HINTS


GENERATORS: dict[str, Make] = {name: _hinted(make) for name, make in _GENERATORS.items()}


def _detectors() -> dict[str, Callable[[str], object]]:
    """Every detector of the scrubber on its own, and the functions around them."""
    by_kind: dict[str, Callable[[str], object]] = {}
    for kind, find in SECRET_DETECTORS + identity_detectors(KNOWN_NAMES):
        # Two detectors of one kind (the parties' names, then names nobody listed) are each
        # measured: the second is named after its function.
        name = kind.value.lower()
        by_kind[f"{name}:{find.__name__}" if name in by_kind else name] = find
    mapping = {"<PERSON_1>": "John Smith"}
    return {
        **{name: (lambda text, find=find: list(find(text))) for name, find in by_kind.items()},
        "restore": lambda text: pii.restore(text, mapping),
        "unrestored_placeholders": pii.unrestored_placeholders,
    }


DETECTORS = _detectors()


# The detectors one after another, each on what the previous ones left: linear when each is,
# and measured by the benchmark rather than the tests, where a quadratic part would hide in
# the sum of the linear ones.
def _afresh(pipeline: Callable[[str], object]) -> Callable[[str], object]:
    """The pipeline finding what a text holds, not recalling it from the scrubber's memo of
    recent texts: a repeated measurement would time a lookup."""

    def run(text: str) -> object:
        recent.clear()
        return pipeline(text)

    return run


PIPELINES: dict[str, Callable[[str], object]] = {
    "scrub": _afresh(lambda text: pii.scrub(text, known_names=KNOWN_NAMES)),
    "mask_secrets": _afresh(pii.mask_secrets),
}
