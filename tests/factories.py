from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from cases.models import Case, Deadline, Document, Passage
from consultations.models import Budget, Consultation, ConsultationView, Conversation
from drafting.models import Draft

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.CLIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def finish(self, create: bool, extracted: object, **kwargs: object) -> None:
        self.is_staff = self.is_superuser = self.role == User.Role.ADMIN
        if create:
            self.save()


class ClientFactory(UserFactory):
    role = User.Role.CLIENT


class LawyerFactory(UserFactory):
    role = User.Role.LAWYER


class AdminFactory(UserFactory):
    role = User.Role.ADMIN


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(LawyerFactory)
    name = "Authenticator"
    confirmed = True


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"CN-2026-{n + 1:04d}")
    title = factory.Faker("catch_phrase")
    practice_area = Case.PracticeArea.CORPORATE
    description = factory.Faker("paragraph")
    client = factory.SubFactory(ClientFactory)
    opposing_parties = factory.Faker("name")

    @factory.post_generation
    def lawyers(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.lawyers.set(extracted)


class DeadlineFactory(factory.django.DjangoModelFactory):
    """An open deadline a week from today; its responsible lawyer is on its case (the case's
    first lawyer, or a new one put on it)."""

    class Meta:
        model = Deadline

    case = factory.SubFactory(CaseFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    due_time = None
    kind = Deadline.Kind.FILING
    notes = factory.Faker("sentence")

    @factory.lazy_attribute
    def responsible(self) -> User:
        lawyer = self.case.lawyers.first()
        if lawyer is None:
            lawyer = LawyerFactory()
            self.case.lawyers.add(lawyer)
        return lawyer


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document of a case, indexed (ready); its file is only named, never stored. Give
    `case=None` for the knowledge base."""

    class Meta:
        model = Document

    case = factory.SubFactory(CaseFactory)
    title = factory.Sequence(lambda n: f"document-{n}.pdf")
    file = factory.LazyAttribute(lambda d: f"documents/test/{d.title}")
    format = Document.Format.PDF
    content_type = "application/pdf"
    size = 1024
    sha256 = factory.Faker("sha256")
    status = Document.Status.READY
    page_count = 1
    uploaded_by = factory.SubFactory(LawyerFactory)


class PassageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Passage

    document = factory.SubFactory(DocumentFactory)
    position = factory.Sequence(lambda n: n)
    page = 1
    start = 0
    text = factory.Faker("paragraph")
    end = factory.LazyAttribute(lambda p: len(p.text))


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A recorded chat exchange as consultations.services leaves it (sent_text scrubbed)."""

    class Meta:
        model = Consultation

    user = factory.SubFactory(LawyerFactory)
    case = factory.LazyAttribute(lambda consultation: CaseFactory(lawyers=[consultation.user]))
    kind = Consultation.Kind.CHAT
    provider = "offline"
    model = "offline"
    prompt_name = "chat"
    prompt_version = "1"
    sent_text = "What is the notice period for <PERSON_1>?"
    answer = "Jane Doe must give one month of notice."
    prompt_tokens = 40
    completion_tokens = 12
    latency_ms = 35
    attempts = 1
    outcome = Consultation.Outcome.OK
    request_id = factory.Sequence(lambda n: f"req-{n:04d}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    user = factory.SubFactory(ClientFactory)
    case = None
    title = factory.Faker("sentence", nb_words=5)


class ConsultationViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationView

    consultation = factory.SubFactory(ConsultationFactory)
    viewer = factory.SubFactory(AdminFactory)


class BudgetFactory(factory.django.DjangoModelFactory):
    """A user's monthly budget; give `monthly_tokens` or `monthly_cost_usd`."""

    class Meta:
        model = Budget

    scope = Budget.Scope.USER
    user = factory.SubFactory(LawyerFactory)


class FirmBudgetFactory(BudgetFactory):
    scope = Budget.Scope.FIRM
    user = None


class DraftFactory(factory.django.DjangoModelFactory):
    """A draft row as the drafting services leave it when requested (`queued`); tests that
    need its text draft it through the services."""

    class Meta:
        model = Draft

    author = factory.SubFactory(LawyerFactory)
    document_type = "nda"
    status = Draft.Status.QUEUED
