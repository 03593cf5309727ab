from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from cases.models import Case

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
