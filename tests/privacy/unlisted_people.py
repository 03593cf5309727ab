"""A development set for the detector of people nobody listed: sentences in six languages
naming witnesses, neighbours, doctors, judges, counsel and children, and sentences holding
companies, courts, places, statutes, brands and dates that look like names and must be left
intact.

Half the names come from Faker (seeded, from many locales: a firm's witnesses come from
everywhere); the other half from names written here by hand that are in none of Faker's lists,
so that a rule learnt from the gazetteer is measured on names it has never seen.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from faker import Faker

SEED = 1313


def _split(values: str) -> tuple[str, ...]:
    """Values written " | " apart, so that long lists stay a few lines."""
    return tuple(values.split(" | "))


LANGUAGES = ("en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES")
# Where a language's witnesses come from: its own locale, and people from elsewhere.
ELSEWHERE = ("it_IT", "pl_PL", "pt_BR", "tr_TR", "sv_SE", "en_IN", "ro_RO", "cs_CZ", "en_NG")

# Real first names and surnames that are in none of Faker's person lists (a test asserts it).
HELD_OUT_FIRST_NAMES = _split(
    "Cuthbert | Aldous | Zebedee | Tobiah | Oluwaseun | Chidi | Xabier | Unai | Ainhoa | Txema | "
    "Radegonde | Isaure | Ombeline | Oriane | Ségolène | Enguerrand | Ineke | Kees | Rutger | "
    "Hauke | Tjark | Okke | Sjoukje | Jelmer | Wytse | Tjitske | Auke | Evertjan | Goulven | "
    "Maïwenn | Nolwenn | Itxaso | Garazi | Oihane | Eneko | Gorka | Koldo | Arantxa | Edurne | "
    "Nekane | Peregrine | Tarquin | Crispin | Jocasta | Persephone | Hermione | Ottoline | "
    "Barnaby | Torquil | Ailsa | Morag | Eilidh | Temitope | Olumide | Babajide | Sipho | Lindiwe"
    " | Bongani | Xolani | Bożydar | Sławomir | Wiesław | Jarosław | Hinnerk | Tancrède | Sixtine"
    " | Domitille | Foulques | Ginés"
)
HELD_OUT_SURNAMES = _split(
    "Przybylski | Szczepański | Wróblewski | Chrzanowski | Grzybowski | Etxeberria | "
    "Agirregabiria | Goikoetxea | Arrizabalaga | Olabarrieta | Zubizarreta | Iturriaga | "
    "Elorriaga | Oyarzabal | Hoogeveen | Wijnaldum | Oosterhuis | Brinkhorst | Terpstra | "
    "Hiemstra | Dijkgraaf | Boersma | Wiersma | Zijlstra | Lüdenscheidt | Oberhuber | "
    "Kleinschmidt | Hohenadel | Wackernagel | Schwarzkopf | Rottenbiller | Pfeiffenberger | "
    "Zwanziger | Dürrenmatt | Grünewald | Aubertin | Courtecuisse | Lemarchand | Vaugrenard | "
    "Champoiseau | Quéméner | Kerhervé | Trégouët | Fontanille | Fotheringham | Featherstonehaugh"
    " | Cholmondeley | Ravenscroft | Wolstenholme | Higginbottom | Ramsbottom | Winterbottom | "
    "Sidebottom | Bainbridge | Fairweather | Pettigrew | Tolliver | Quarshie | Adebayo | Oyelaran"
    " | Ezeonwuka | Raghunathan | Karagöz | Mbeki | Oyelowo | Achterberg | Kettering | Marchbanks"
    " | Throckmorton | Arbuthnot | Urquhart | Farquharson | Zurbano | Ibargüen | Brossard | "
    "Hennebert"
)

# Per language, sentences with one slot each: {full} "First Last", {surname} after a title,
# {first} alone after a role word, {initial} "J. Last", {inverted} "Last, First", {caps}
# "FIRST LAST". Some have no cue at all: a name may stand on its own.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "The witness, {full}, saw the van leave at six.",
        "My neighbour {full} heard the argument through the wall.",
        "I was treated by Dr {surname} at the walk-in clinic.",
        "Opposing counsel, Ms {surname}, wrote again on Friday.",
        "{full} called me yesterday about the deposit.",
        "I forwarded the landlord's e-mail to {full} last week.",
        "My son {first} was in the car with me.",
        "The statement was signed by {initial} on the second page.",
        "Witnesses: {inverted} (neighbour), and the driver.",
        "WITNESS STATEMENT OF {caps}",
        "Judge {surname} adjourned the hearing to the autumn.",
        "Kind regards,\n{full}",
        "Mr {surname} from the letting agency never replied.",
        "We asked whether {full} would give evidence.",
    ),
    "de": (
        "Der Zeuge {full} hat den Unfall gesehen.",
        "Meine Nachbarin {full} hat den Streit gehört.",
        "Ich war bei Dr. {surname} in Behandlung.",
        "Herr {surname} vertritt die Gegenseite.",
        "{full} hat mich gestern angerufen.",
        "Ich habe die E-Mail an {full} weitergeleitet.",
        "Mein Sohn {first} saß mit im Auto.",
        "Die Erklärung ist von {initial} unterschrieben.",
        "Zeugen: {inverted} (Nachbar) und der Fahrer.",
        "ZEUGENAUSSAGE VON {caps}",
        "Richterin {surname} hat die Verhandlung vertagt.",
        "Mit freundlichen Grüßen\n{full}",
        "Frau {surname} von der Hausverwaltung hat nie geantwortet.",
        "Wir haben gefragt, ob {full} aussagen würde.",
    ),
    "fr": (
        "Le témoin, {full}, a vu la camionnette partir.",
        "Ma voisine {full} a entendu la dispute.",
        "J'ai été soigné par le Dr {surname} à la clinique.",
        "Me {surname}, avocat de la partie adverse, a écrit vendredi.",
        "{full} m'a appelé hier au sujet du dépôt.",
        "J'ai transféré le courriel du bailleur à {full}.",
        "Mon fils {first} était dans la voiture avec moi.",
        "La déclaration est signée par {initial} en deuxième page.",
        "Témoins : {inverted} (voisin), et le chauffeur.",
        "ATTESTATION DE {caps}",
        "Le juge {surname} a renvoyé l'audience.",
        "Cordialement,\n{full}",
        "Mme {surname}, de l'agence, n'a jamais répondu.",
        "Nous avons demandé si {full} témoignerait.",
    ),
    "nl": (
        "De getuige, {full}, zag het busje wegrijden.",
        "Mijn buurman {full} hoorde de ruzie door de muur.",
        "Ik ben behandeld door dokter {surname} in de kliniek.",
        "Mevrouw {surname}, advocaat van de wederpartij, schreef vrijdag.",
        "{full} belde me gisteren over de borg.",
        "Ik heb de e-mail van de verhuurder doorgestuurd naar {full}.",
        "Mijn zoon {first} zat met mij in de auto.",
        "De verklaring is ondertekend door {initial} op pagina twee.",
        "Getuigen: {inverted} (buurman), en de chauffeur.",
        "VERKLARING VAN {caps}",
        "Rechter {surname} heeft de zitting verdaagd.",
        "Met vriendelijke groet,\n{full}",
        "Meneer {surname} van het verhuurbureau antwoordde nooit.",
        "We vroegen of {full} wilde getuigen.",
    ),
    "es": (
        "El testigo, {full}, vio salir la furgoneta.",
        "Mi vecina {full} oyó la discusión a través de la pared.",
        "Me atendió el Dr. {surname} en la clínica.",
        "La Sra. {surname}, abogada de la parte contraria, escribió el viernes.",
        "{full} me llamó ayer por la fianza.",
        "Reenvié el correo del casero a {full} la semana pasada.",
        "Mi hijo {first} iba conmigo en el coche.",
        "La declaración está firmada por {initial} en la segunda página.",
        "Testigos: {inverted} (vecino), y el conductor.",
        "DECLARACIÓN DE {caps}",
        "La jueza {surname} aplazó la vista.",
        "Atentamente,\n{full}",
        "El Sr. {surname}, de la inmobiliaria, nunca respondió.",
        "Preguntamos si {full} declararía.",
    ),
}


@dataclass(frozen=True)
class Sentence:
    language: str  # a locale of LANGUAGES
    half: str  # "faker" or "held-out"
    text: str
    name: tuple[int, int]  # where the name is


def _language(locale: str) -> str:
    return locale[:2]


def _fill(template: str, first: str, last: str) -> tuple[str, str]:
    """The template with its slot filled, and the name as it stands in the text."""
    forms = {
        "{full}": f"{first} {last}",
        "{surname}": last,
        "{first}": first,
        "{initial}": f"{first[0]}. {last}",
        "{inverted}": f"{last}, {first}",
        "{caps}": f"{first} {last}".upper(),
    }
    slot = next(slot for slot in forms if slot in template)
    return template.replace(slot, forms[slot]), forms[slot]


def _sentences(
    templates: dict[str, tuple[str, ...]],
    language: str,
    half: str,
    names: Iterator[tuple[str, str]],
) -> Iterator[Sentence]:
    for template in templates[_language(language)]:
        for _ in range(3):
            first, last = next(names)
            text, name = _fill(template, first, last)
            start = text.index(name)
            yield Sentence(language, half, text, (start, start + len(name)))


def _faker_names(language: str, rng: random.Random) -> Iterator[tuple[str, str]]:
    fakers = [Faker(locale) for locale in (language, language, *ELSEWHERE)]
    for index, fake in enumerate(fakers):
        fake.seed_instance(SEED + index)
    while True:
        fake = rng.choice(fakers)
        first, last = fake.first_name(), fake.last_name()
        if language == "es_ES" and rng.random() < 0.5:
            last = f"{last} {fakers[0].last_name()}"  # Spanish double surnames
        yield first, last


def _held_out_names(rng: random.Random) -> Iterator[tuple[str, str]]:
    while True:
        yield rng.choice(HELD_OUT_FIRST_NAMES), rng.choice(HELD_OUT_SURNAMES)


def people_sentences(templates: dict[str, tuple[str, ...]] = TEMPLATES) -> list[Sentence]:
    rng = random.Random(SEED)
    sentences: list[Sentence] = []
    for language in LANGUAGES:
        sentences += _sentences(templates, language, "faker", _faker_names(language, rng))
        sentences += _sentences(templates, language, "held-out", _held_out_names(rng))
    return sentences


# Look-alikes: words of companies, courts, places, statutes, brands and the calendar, each in
# sentences of its language. Several are made of people's names ("Goldman Sachs", "Walt
# Disney", "Milton Keynes"): the detector must tell them by their context or its lists.
LOOK_ALIKES: dict[str, dict[str, tuple[str, ...]]] = {
    "company": {
        "en": _split(
            "Brightline Logistics Ltd | Brightline Logistics | Harper & Sons | Morgan Stanley | "
            "Goldman Sachs | Johnson Controls | Ford Motor Company | Nowak Design Studio | Marks "
            "& Spencer | Lloyds Bank | Wells Fargo | Allen & Overy | Acme Holdings | Greenfield "
            "Property Management | Jackson Hewitt | Bright Horizons Foundation | Kingsley "
            "Insurance Group | Northwind Traders Inc | Oakwood Partners LLP | Harrison Hospital |"
            " Marston University | Riverside Dental Care | Lincoln Financial"
        ),
        "de": _split(
            "Müller Bau GmbH | Schneider Logistik AG | Deutsche Bank | Sparkasse Köln | Bosch | "
            "Siemens | Hoffmann Immobilien | Klinikum Mitte | Stiftung Warentest | Weber & "
            "Partner | Krankenhaus Sankt Georg | Universität Heidelberg"
        ),
        "fr": _split(
            "Dupont SARL | Société Générale | Banque Martin | Groupe Lefèvre | Hôpital "
            "Saint-Louis | Université Paris Cité | Assurances Moreau | Fondation Leroy | Cabinet "
            "Girard | Clinique Pasteur"
        ),
        "nl": _split(
            "Jansen Transport BV | De Vries Holding | Stichting Bakker | Rabobank | Ziekenhuis "
            "Rijnstate | Universiteit Leiden | Visser Verzekeringen | Bakker & Zonen | Mulder "
            "Bouw NV"
        ),
        "es": _split(
            "García Logística SL | Banco Santander | Grupo Fernández | Seguros López | Fundación "
            "Ortega | Clínica Ruiz | Universidad de Salamanca | Construcciones Martínez SA | El "
            "Corte Inglés"
        ),
    },
    "court": {
        "en": _split(
            "High Court | Court of Appeal | Southwark Crown Court | Employment Tribunal | Supreme"
            " Court | Central London County Court | Harrow Crown Court | Westminster Magistrates "
            "Court"
        ),
        "de": _split(
            "Amtsgericht Köln | Landgericht Berlin | Bundesgerichtshof | Oberlandesgericht "
            "München | Arbeitsgericht Hamburg | Sozialgericht Dortmund"
        ),
        "fr": _split(
            "Tribunal judiciaire de Paris | Cour d'appel de Versailles | Cour de cassation | "
            "Conseil de prud'hommes de Lyon | Tribunal de commerce de Nanterre"
        ),
        "nl": ("Rechtbank Amsterdam", "Gerechtshof Den Haag", "Hoge Raad", "Rechtbank Gelderland"),
        "es": _split(
            "Juzgado de Primera Instancia | Audiencia Provincial de Sevilla | Tribunal Supremo | "
            "Audiencia Nacional | Juzgado de lo Social"
        ),
    },
    "place": {
        "en": _split(
            "Florence | Paris | San Francisco | Santa Monica | Charlotte | Victoria | Austin | "
            "Lincoln | Jackson | Madison | Fort Worth | St Albans | Milton Keynes | Port Talbot |"
            " Mount Vernon | Sydney | Adelaide | Washington | Houston | Hyde Park | Baker Street "
            "| Kingston upon Thames"
        ),
        "de": _split(
            "Bad Homburg | Frankfurt am Main | Berlin | Hauptstraße | Sankt Augustin | "
            "Friedrichstraße | Karlsruhe | Ludwigshafen | Mönchengladbach"
        ),
        "fr": _split(
            "Saint-Denis | Aix-en-Provence | Le Mans | La Rochelle | Sainte-Foy | Saint-Étienne |"
            " Nancy | Lorient | rue Victor Hugo"
        ),
        "nl": ("Den Bosch", "Den Haag", "Alphen aan den Rijn", "Bergen op Zoom", "Zwolle"),
        "es": _split(
            "San Sebastián | Santa Cruz de Tenerife | Las Palmas | Alcalá de Henares | Santiago "
            "de Compostela | Calle Mayor | Plaza de España | Mercedes"
        ),
    },
    "statute": {
        "en": _split(
            "Sherman Act | Dodd-Frank | Equality Act 2010 | Data Protection Act 2018 | "
            "Sarbanes-Oxley | Taft-Hartley Act | Glass-Steagall | Magna Carta | Americans with "
            "Disabilities Act | Housing Act 1988"
        ),
        "de": ("Bürgerliches Gesetzbuch", "Kündigungsschutzgesetz", "Mietrechtsreform"),
        "fr": ("Code civil", "Code du travail", "Loi Macron", "Loi Hamon"),
        "nl": ("Burgerlijk Wetboek", "Wet Werk en Zekerheid", "Huurcommissie"),
        "es": ("Ley de Enjuiciamiento Civil", "Código Civil", "Estatuto de los Trabajadores"),
    },
    "brand": {
        "en": _split(
            "Mercedes-Benz | Louis Vuitton | Tesla | Dior | Chanel | Hugo Boss | Calvin Klein | "
            "Ralph Lauren | Tommy Hilfiger | Aston Martin | Alfa Romeo | Jack Daniel's | Johnnie "
            "Walker | Walt Disney | Ben & Jerry's"
        ),
        "de": ("Volkswagen Golf", "Porsche", "Miele", "Dr. Oetker", "Hugo Boss"),
        "fr": ("Peugeot", "Renault Clio", "Yves Saint Laurent", "Christian Dior", "Chanel"),
        "nl": ("Philips", "Albert Heijn", "Heineken", "Douwe Egberts"),
        "es": ("Zara", "Seat Ibiza", "Mercedes-Benz", "Loewe"),
    },
    "calendar": {
        "en": _split(
            "May 2026 | 3 June | August | Monday | Easter Monday | Christmas Eve | April | June |"
            " Black Friday | Boxing Day | Good Friday"
        ),
        "de": ("3. Mai", "August", "Pfingstmontag", "Montag", "Juni", "April"),
        "fr": ("14 juillet", "Toussaint", "Lundi de Pâques", "Mars", "Août"),
        "nl": ("5 mei", "Koningsdag", "Pinksteren", "Maandag", "Augustus"),
        "es": ("3 de mayo", "Semana Santa", "Lunes", "Mayo", "Abril"),
    },
}

# Sentences per language with one slot for a look-alike: what a client writes around them.
LOOK_ALIKE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "We signed the contract with {x} last year.",
        "The matter was heard in {x} after a long delay.",
        "{x} sent the final notice in writing.",
        "I drove from {x} to the hearing that morning.",
        "The letter mentions {x} twice.",
    ),
    "de": (
        "Wir haben den Vertrag mit {x} im letzten Jahr geschlossen.",
        "Die Sache wurde in {x} verhandelt.",
        "{x} hat die letzte Mahnung geschickt.",
        "Ich bin aus {x} zur Verhandlung gefahren.",
        "Der Brief erwähnt {x} zweimal.",
    ),
    "fr": (
        "Nous avons signé le contrat avec {x} l'an dernier.",
        "L'affaire a été entendue à {x} après un long délai.",
        "{x} a envoyé la dernière mise en demeure.",
        "Je suis venu de {x} pour l'audience.",
        "La lettre mentionne {x} deux fois.",
    ),
    "nl": (
        "We hebben het contract met {x} vorig jaar getekend.",
        "De zaak werd behandeld in {x} na lange vertraging.",
        "{x} stuurde de laatste aanmaning.",
        "Ik reed vanuit {x} naar de zitting.",
        "De brief noemt {x} twee keer.",
    ),
    "es": (
        "Firmamos el contrato con {x} el año pasado.",
        "El asunto se vio en {x} tras un largo retraso.",
        "{x} envió el último requerimiento.",
        "Fui desde {x} a la vista esa mañana.",
        "La carta menciona {x} dos veces.",
    ),
}


@dataclass(frozen=True)
class LookAlike:
    language: str
    category: str
    text: str
    value: tuple[int, int]


def look_alike_sentences(
    look_alikes: dict[str, dict[str, tuple[str, ...]]] = LOOK_ALIKES,
    templates: dict[str, tuple[str, ...]] = LOOK_ALIKE_TEMPLATES,
) -> list[LookAlike]:
    sentences = []
    for category, by_language in look_alikes.items():
        for language, values in by_language.items():
            for value in values:
                for template in templates[language]:
                    text = template.replace("{x}", value)
                    start = text.index(value)
                    sentences.append(
                        LookAlike(language, category, text, (start, start + len(value)))
                    )
    return sentences


# A second set, written after the detector's rules were settled and never used to tune them:
# other sentences, other look-alikes. Its first measurement is the honest figure.
FRESH_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "On Tuesday {full} told the inspector that the boiler had been leaking for weeks.",
        "According to {full}'s statement, the gate was left open.",
        "The GP, Dr. {surname}, signed me off for a month.",
        "My daughter {first} started at the new school in September.",
        "Please copy {full} and the insurer into your reply.",
        "Both {full} and her husband saw the crash.",
        "Counsel for the landlord is Mrs {surname}.",
        "The deed was witnessed by {initial}, a solicitor.",
        "Present: {full} (chair), the tenant, and myself.",
        "I only met {full} once, at the mediation.",
    ),
    "de": (
        "Am Dienstag sagte {full} dem Gutachter, dass die Heizung seit Wochen tropft.",
        "Laut Aussage von {full} stand das Tor offen.",
        "Mein Hausarzt, Dr. {surname}, hat mich krankgeschrieben.",
        "Meine Tochter {first} geht seit September auf die neue Schule.",
        "Bitte setzen Sie {full} und die Versicherung in Kopie.",
        "Sowohl {full} als auch ihr Mann haben den Unfall gesehen.",
        "Die Vermieterin wird von Rechtsanwältin {surname} vertreten.",
        "Anwesend: {full} (Vorsitz), der Mieter und ich.",
        "Ich habe {full} nur einmal getroffen, bei der Mediation.",
        "Der Vertrag wurde von {initial} beglaubigt.",
    ),
    "fr": (
        "Mardi, {full} a dit à l'expert que la chaudière fuyait depuis des semaines.",
        "Selon la déclaration de {full}, le portail était ouvert.",
        "Mon médecin traitant, le docteur {surname}, m'a arrêté un mois.",
        "Ma fille {first} est entrée dans sa nouvelle école en septembre.",
        "Merci de mettre {full} et l'assureur en copie.",
        "{full} et son mari ont vu l'accident.",
        "Le bailleur est représenté par Maître {surname}.",
        "Présents : {full} (président), le locataire et moi-même.",
        "Je n'ai rencontré {full} qu'une fois, lors de la médiation.",
        "L'acte a été certifié par {initial}, notaire.",
    ),
    "nl": (
        "Op dinsdag vertelde {full} de inspecteur dat de ketel al weken lekte.",
        "Volgens de verklaring van {full} stond het hek open.",
        "Mijn huisarts, dokter {surname}, heeft me ziek gemeld.",
        "Mijn dochter {first} ging in september naar de nieuwe school.",
        "Zet {full} en de verzekeraar in de cc.",
        "Zowel {full} als haar man zagen het ongeluk.",
        "De verhuurder wordt bijgestaan door mevrouw {surname}.",
        "Aanwezig: {full} (voorzitter), de huurder en ikzelf.",
        "Ik heb {full} maar één keer ontmoet, bij de mediation.",
        "De akte is opgemaakt door {initial}, notaris.",
    ),
    "es": (
        "El martes {full} le dijo al perito que la caldera goteaba desde hacía semanas.",
        "Según la declaración de {full}, la verja estaba abierta.",
        "Mi médico de cabecera, el doctor {surname}, me dio la baja.",
        "Mi hija {first} empezó en el colegio nuevo en septiembre.",
        "Por favor, ponga en copia a {full} y a la aseguradora.",
        "Tanto {full} como su marido vieron el accidente.",
        "El arrendador está representado por la letrada Sra. {surname}.",
        "Presentes: {full} (presidente), el inquilino y yo.",
        "Solo vi a {full} una vez, en la mediación.",
        "La escritura la autorizó {initial}, notario.",
    ),
}

FRESH_LOOK_ALIKES: dict[str, dict[str, tuple[str, ...]]] = {
    "company": {
        "en": _split(
            "Vantage Roofing Ltd | Crestview Lettings | Parker Kitchens | Sterling Payroll | "
            "Jameson Plumbing Services | Maple Leaf Nurseries | Hamilton Legal | Foster Logistics"
            " | Bluewater Shopping Centre | Eleanor Rigby Bakery"
        ),
        "de": _split(
            "Schreinerei Wagner | Elektro Hoffmann GmbH | Bäckerei Schulz | Autohaus Becker | "
            "Allianz Versicherung | Hausverwaltung Krüger"
        ),
        "fr": _split(
            "Boulangerie Martin | Garage Dubois | Crédit Agricole | Pharmacie Bernard | Agence "
            "Immobilière Petit | Menuiserie Laurent"
        ),
        "nl": _split(
            "Bakkerij Visser | Garage De Boer | Makelaardij Smit | Installatiebedrijf Meijer | "
            "Loodgieter Bos | Albert Heijn"
        ),
        "es": _split(
            "Panadería Sánchez | Talleres Romero | Inmobiliaria Navarro | Fontanería Gil | "
            "Seguros Mapfre | Farmacia Castillo"
        ),
    },
    "court": {
        "en": ("County Court at Bristol", "First-tier Tribunal", "Leeds Combined Court"),
        "de": ("Amtsgericht Charlottenburg", "Landgericht Frankfurt", "Verwaltungsgericht Köln"),
        "fr": ("Tribunal judiciaire de Lyon", "Cour d'appel de Douai"),
        "nl": ("Rechtbank Rotterdam", "Kantonrechter Utrecht"),
        "es": ("Juzgado de Primera Instancia de Bilbao", "Audiencia Provincial de Málaga"),
    },
    "place": {
        "en": _split(
            "Santa Barbara | St Helens | Fort Lauderdale | Port Elizabeth | Kingston | Hamilton |"
            " Wellington | Chester | Victoria Station | Madison Avenue"
        ),
        "de": ("Bad Godesberg", "Sankt Pölten", "Frankfurt an der Oder", "Königsallee"),
        "fr": ("Saint-Malo", "Sainte-Maxime", "Aix-les-Bains", "Boulogne-Billancourt"),
        "nl": ("Den Helder", "Sint-Niklaas", "Hoek van Holland", "Capelle aan den IJssel"),
        "es": ("San Fernando", "Santa Pola", "Puerto de la Cruz", "Gran Vía"),
    },
    "statute": {
        "en": ("Landlord and Tenant Act 1954", "Consumer Rights Act", "Freedom of Information Act"),
        "de": ("Mietpreisbremse", "Bundesdatenschutzgesetz", "Grundgesetz"),
        "fr": ("Loi Alur", "Code de la consommation"),
        "nl": ("Wet op de huurtoeslag", "Algemene wet bestuursrecht"),
        "es": ("Ley de Arrendamientos Urbanos", "Ley Orgánica de Protección de Datos"),
    },
    "brand": {
        "en": ("Land Rover", "Ted Baker", "Jimmy Choo", "Vivienne Westwood", "Ford Fiesta"),
        "de": ("Hugo Boss", "Jil Sander", "Karl Lagerfeld", "Opel Astra"),
        "fr": ("Jean Paul Gaultier", "Christian Louboutin", "Louis Vuitton", "Renault Mégane"),
        "nl": ("Douwe Egberts", "Van Haren", "Hema"),
        "es": ("Massimo Dutti", "Pedro del Hierro", "Adolfo Domínguez", "Seat León"),
    },
    "calendar": {
        "en": ("Whit Monday", "New Year's Day", "Valentine's Day", "early March", "mid-July"),
        "de": ("Rosenmontag", "Heiligabend", "Anfang Mai", "Ende August"),
        "fr": ("Saint-Sylvestre", "le 1er mai", "fin août", "Pentecôte"),
        "nl": ("Tweede Paasdag", "eind mei", "begin augustus", "Sinterklaas"),
        "es": ("Nochevieja", "Reyes", "finales de agosto", "principios de mayo"),
    },
}

FRESH_LOOK_ALIKE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "Last spring I complained to {x} twice, with no answer.",
        "Is {x} relevant to the deposit dispute?",
        "According to {x}, nothing more can be done.",
    ),
    "de": (
        "Im Frühjahr habe ich mich zweimal bei {x} beschwert.",
        "Spielt {x} für den Streit um die Kaution eine Rolle?",
        "Laut {x} kann nichts mehr getan werden.",
    ),
    "fr": (
        "Au printemps, je me suis plaint deux fois auprès de {x}.",
        "Est-ce que {x} compte pour le litige sur le dépôt ?",
        "Selon {x}, rien de plus ne peut être fait.",
    ),
    "nl": (
        "Afgelopen voorjaar klaagde ik twee keer bij {x}.",
        "Is {x} van belang voor het geschil over de borg?",
        "Volgens {x} kan er niets meer gedaan worden.",
    ),
    "es": (
        "La primavera pasada me quejé dos veces ante {x}.",
        "¿Es {x} relevante para la disputa por la fianza?",
        "Según {x}, no se puede hacer nada más.",
    ),
}
