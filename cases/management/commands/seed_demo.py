from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.selectors import two_factor_status
from accounts.services import backup_codes_generate, totp_device_create, user_create
from cases.documents import document_upload
from cases.models import Case, Document
from cases.services import case_create

DEFAULT_PASSWORD = "counsel-demo-2026"
SITE_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class DemoCase:
    title: str
    practice_area: str
    client: str
    lawyers: list[str]
    description: str
    opposing_parties: str = ""
    status: str = Case.Status.OPEN
    # (file name, text): uploaded as its first lawyer, read by the worker like any upload.
    documents: tuple[tuple[str, str], ...] = ()


@dataclass
class Welcome:
    """What one demo user needs to log in; secrets only for the users made by this run."""

    user: User
    created: bool
    totp_secret: str = ""
    otpauth_url: str = ""
    backup_codes: list[str] = field(default_factory=list)


USERS = [
    DemoUser("admin", User.Role.ADMIN, "Margaret", "Hale"),
    DemoUser("amara.okafor", User.Role.LAWYER, "Amara", "Okafor"),
    DemoUser("daniel.reyes", User.Role.LAWYER, "Daniel", "Reyes"),
    DemoUser("helen.marsh", User.Role.CLIENT, "Helen", "Marsh"),
    DemoUser("tomasz.nowak", User.Role.CLIENT, "Tomasz", "Nowak"),
    DemoUser("priya.raman", User.Role.CLIENT, "Priya", "Raman"),
]

CASES = [
    DemoCase(
        title="Unfair dismissal claim against Brightline Logistics",
        practice_area=Case.PracticeArea.EMPLOYMENT,
        client="helen.marsh",
        lawyers=["amara.okafor"],
        description=(
            "Helen was dismissed after eleven years as a transport planner, two weeks after "
            "raising a written grievance about unpaid overtime. The employer cites "
            "redundancy but advertised a near-identical role a month later. ACAS early "
            "conciliation certificate issued; the ET1 is due within the limitation period."
        ),
        opposing_parties="Brightline Logistics Ltd",
    ),
    DemoCase(
        title="Child arrangements order",
        practice_area=Case.PracticeArea.FAMILY,
        client="helen.marsh",
        lawyers=["amara.okafor"],
        description=(
            "Application for a child arrangements order setting out time with both parents "
            "after separation. Mediation (MIAM) attended; the other parent declined to "
            "continue. Safeguarding letter from Cafcass awaited before the first hearing."
        ),
        opposing_parties="Mark Marsh",
    ),
    DemoCase(
        title="Lease renewal dispute, 14 Harbour Street",
        practice_area=Case.PracticeArea.PROPERTY,
        client="tomasz.nowak",
        lawyers=["daniel.reyes"],
        description=(
            "The landlord opposes renewal of the studio's business tenancy under section "
            "30(1)(f), claiming an intention to redevelop. We are testing that intention and "
            "negotiating an interim rent while the section 25 notice is disputed."
        ),
        opposing_parties="Harbourside Estates plc\nJ. Whitcombe (landlord's agent)",
        status=Case.Status.ON_HOLD,
        documents=(
            (
                "Lease of 14 Harbour Street.md",
                "# Lease of 14 Harbour Street\n\n"
                "1. The term is ten years from 1 April 2017 at a rent of 18,000 pounds a year, "
                "payable quarterly in advance.\n\n"
                "2. The tenant may terminate this lease on any quarter day by giving the "
                "landlord not less than six months' written notice.\n\n"
                "3. The rent shall be reviewed every five years to the open market rent.\n\n"
                "4. The tenant shall keep the interior of the premises in good repair and "
                "shall not assign or underlet without the landlord's written consent, which "
                "shall not be unreasonably withheld.\n",
            ),
            (
                "Letter from Harbourside Estates, 3 March 2026.txt",
                "Dear Mr Nowak,\n\n"
                "We serve notice under section 25 that Harbourside Estates plc opposes the "
                "grant of a new tenancy of 14 Harbour Street on ground (f): we intend to "
                "demolish and reconstruct the premises.\n\n"
                "We demand vacant possession on 30 September 2026 and an interim rent of "
                "24,000 pounds a year from the date of this letter.\n\n"
                "J. Whitcombe, for Harbourside Estates plc\n",
            ),
        ),
    ),
    DemoCase(
        title="Shareholders' agreement for Nowak Design Studio",
        practice_area=Case.PracticeArea.CORPORATE,
        client="tomasz.nowak",
        lawyers=["daniel.reyes", "amara.okafor"],
        description=(
            "A seed investor is taking 20% of the studio. Drafting the shareholders' "
            "agreement: reserved matters, good and bad leaver provisions, drag and tag "
            "rights, and a founder vesting schedule over four years."
        ),
        opposing_parties="Kestrel Ventures LLP",
    ),
    DemoCase(
        title="Trade mark opposition: RAMAN TEA",
        practice_area=Case.PracticeArea.INTELLECTUAL_PROPERTY,
        client="priya.raman",
        lawyers=["daniel.reyes"],
        description=(
            "Priya's application to register RAMAN TEA for classes 30 and 43 has been "
            "opposed on the ground of likelihood of confusion with an earlier mark. "
            "Preparing evidence of use and a defence on the dissimilarity of the goods."
        ),
        opposing_parties="Ramani Beverages GmbH",
    ),
    DemoCase(
        title="Skilled worker sponsor licence",
        practice_area=Case.PracticeArea.IMMIGRATION,
        client="priya.raman",
        lawyers=["amara.okafor"],
        description=(
            "Sponsor licence application for Priya's tea room so that it can recruit a "
            "specialist chef from abroad. Licence granted; certificate of sponsorship "
            "assigned and the visa approved. Kept for the annual compliance review."
        ),
        status=Case.Status.CLOSED,
    ),
]

KNOWLEDGE_BASE = (
    "Checklist: business tenancy renewals.md",
    "# Checklist: business tenancy renewals\n\n"
    "- Diarise the section 25 notice's date and the termination date it gives; an application "
    "to court must be made before that date.\n"
    "- On ground (f) ask the landlord for evidence of a firm and settled intention to redevelop "
    "(planning permission, funding, contractors).\n"
    "- Apply for an interim rent early: it runs from the earliest date the application allows.\n",
)


def _upload(*, user: User, case: Case | None, name: str, text: str) -> Document:
    return document_upload(
        user=user, case=case, file=ContentFile(text.encode(), name=name), request_id="seed-demo"
    )


class Command(BaseCommand):
    help = (
        "Seed a demo firm: an admin, two lawyers, three clients and six cases. Safe to run "
        "again: what exists is left alone. The password is DEMO_PASSWORD "
        f"(default {DEFAULT_PASSWORD!r})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only a database with no users (how `make run` calls it).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Users exist already: demo data not seeded.")
            return
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        with transaction.atomic():
            welcomes = [self._user(spec, password) for spec in USERS]
            people = {welcome.user.username: welcome.user for welcome in welcomes}
            opened = sum(self._case(spec, people, opener=people["admin"]) for spec in CASES)
            self._knowledge_base(admin=people["admin"])
        self._print(welcomes, password, opened)

    def _user(self, spec: DemoUser, password: str) -> Welcome:
        user = User.objects.filter(username=spec.username).first()
        if user is not None:
            if user.role != spec.role:
                raise CommandError(
                    f"{spec.username} exists as a {user.get_role_display()}; the demo needs "
                    f"a {User.Role(spec.role).label}. Seed an empty database instead."
                )
            return Welcome(user=user, created=False)
        user = user_create(
            username=spec.username,
            password=password,
            role=spec.role,
            email=f"{spec.username}@example.com",
            first_name=spec.first_name,
            last_name=spec.last_name,
        )
        welcome = Welcome(user=user, created=True)
        if user.is_staff_member:
            device = totp_device_create(user=user)
            welcome.totp_secret = base64.b32encode(device.bin_key).decode()
            welcome.otpauth_url = device.config_url
            welcome.backup_codes = backup_codes_generate(user=user)
        return welcome

    def _case(self, spec: DemoCase, people: dict[str, User], *, opener: User) -> bool:
        client = people[spec.client]
        if Case.objects.filter(title=spec.title, client=client).exists():
            return False
        case = case_create(
            created_by=opener,
            title=spec.title,
            practice_area=spec.practice_area,
            client=client,
            lawyers=[people[username] for username in spec.lawyers],
            description=spec.description,
            opposing_parties=spec.opposing_parties,
            status=spec.status,
        )
        for name, text in spec.documents:
            _upload(user=people[spec.lawyers[0]], case=case, name=name, text=text)
        return True

    def _knowledge_base(self, *, admin: User) -> None:
        name, text = KNOWLEDGE_BASE
        if not Document.objects.filter(case=None, title=name).exists():
            _upload(user=admin, case=None, name=name, text=text)

    def _print(self, welcomes: list[Welcome], password: str, opened: int) -> None:
        made = sum(welcome.created for welcome in welcomes)
        out = self.stdout.write
        out(self.style.SUCCESS(f"Demo firm ready: {made} users and {opened} cases added."))
        out(f"Open {SITE_URL} and log in with one of these usernames.")
        out(f"Password of every demo user: {password}")
        for welcome in welcomes:
            user = welcome.user
            out("")
            out(f"  {user.username:<14} {user.get_role_display():<7} {user.get_full_name()}")
            if not user.is_staff_member:
                continue
            if welcome.created:
                out("    Second factor: add this secret to an authenticator app")
                out(f"      {welcome.totp_secret}")
                out(f"      ({welcome.otpauth_url})")
                out("    Backup codes, each works once: " + " ".join(welcome.backup_codes))
            else:
                # Backup codes are shown only when made; the authenticator secret is shown again
                # because it is the demo's way back in.
                status = two_factor_status(user=user)
                if status.authenticator is not None:
                    secret = base64.b32encode(status.authenticator.bin_key).decode()
                    out(f"    Authenticator secret: {secret}")
                out(
                    f"    Backup codes left: {status.backup_codes_left} "
                    "(make new ones on the Security page)"
                )
