from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from cases.indexing import document_index
from cases.models import Case, Document
from cases.search import passages_matching
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_the_firm():
    output = _seed()

    roles = dict(User.objects.values_list("username", "role"))
    assert sorted(roles.values()) == ["admin", "client", "client", "client", "lawyer", "lawyer"]
    assert Case.objects.count() == 6
    for case in Case.objects.prefetch_related("lawyers"):
        assert case.description
        assert case.client.role == User.Role.CLIENT
        assert [lawyer.role for lawyer in case.lawyers.all()] != []
        assert {lawyer.role for lawyer in case.lawyers.all()} == {User.Role.LAWYER}
    assert Case.objects.exclude(opposing_parties="").count() >= 5
    assert "http://127.0.0.1:8000/" in output
    assert "counsel-demo-2026" in output
    for username in roles:
        assert username in output


def test_seeded_users_log_in_with_the_printed_password_and_secret(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-pass")
    output = _seed()

    assert "another-demo-pass" in output
    assert User.objects.get(username="helen.marsh").check_password("another-demo-pass")
    for device in TOTPDevice.objects.select_related("user"):
        secret = base64.b32encode(device.bin_key).decode()
        assert secret in output
        assert device.verify_token(totp(device.bin_key))
    staff = User.objects.filter(role__in=[User.Role.LAWYER, User.Role.ADMIN])
    assert TOTPDevice.objects.filter(user__in=staff, confirmed=True).count() == 3
    for user in staff:
        codes = user.staticdevice_set.get().token_set.values_list("token", flat=True)
        assert len(codes) == 10
        assert all(code in output for code in codes)


def test_seed_demo_is_idempotent():
    _seed()
    references = set(Case.objects.values_list("reference", flat=True))
    keys = set(TOTPDevice.objects.values_list("key", flat=True))

    output = _seed()

    assert User.objects.count() == 6
    assert set(Case.objects.values_list("reference", flat=True)) == references
    assert set(TOTPDevice.objects.values_list("key", flat=True)) == keys
    assert Document.objects.count() == 3
    assert "0 users and 0 cases added" in output


def test_seed_demo_if_empty_leaves_a_database_with_users_alone():
    ClientFactory()
    output = _seed("--if-empty")
    assert User.objects.count() == 1
    assert not Case.objects.exists()
    assert "not seeded" in output


def test_seed_demo_if_empty_seeds_an_empty_database():
    _seed("--if-empty")
    assert User.objects.count() == 6
    assert Case.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_seed_demo_gives_a_case_and_the_knowledge_base_documents_the_worker_reads():
    _seed()

    lease_case = Case.objects.get(title="Lease renewal dispute, 14 Harbour Street")
    uploaded = Document.objects.order_by("pk")
    assert [(d.case, d.status) for d in uploaded] == [
        (lease_case, Document.Status.QUEUED),
        (lease_case, Document.Status.QUEUED),
        (None, Document.Status.QUEUED),
    ]
    assert uploaded[0].uploaded_by.username == "daniel.reyes"
    for document in uploaded:
        document_index(document_id=document.pk, task_id=document.task_id, request_id="test")
    assert set(Document.objects.values_list("status", flat=True)) == {Document.Status.READY}
    found = passages_matching("terminate notice", document_ids=[uploaded[0].pk], limit=1)
    assert (
        "six months' written notice"
        in Document.objects.get(pk=uploaded[0].pk).passages.get(pk=found[0][0]).text
    )
