from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories import AdminFactory, CaseFactory, ClientFactory, LawyerFactory


@pytest.fixture
def firm(db: None) -> SimpleNamespace:
    """Two of each role and three cases: client A has one case with lawyer A and one with
    lawyer B; client B has one with lawyer B."""
    client_a, client_b = ClientFactory(), ClientFactory()
    lawyer_a, lawyer_b = LawyerFactory(), LawyerFactory()
    admin_a, admin_b = AdminFactory(), AdminFactory()
    case_a = CaseFactory(client=client_a, lawyers=[lawyer_a])
    case_b = CaseFactory(client=client_b, lawyers=[lawyer_b])
    case_ab = CaseFactory(client=client_a, lawyers=[lawyer_b])
    return SimpleNamespace(**locals())


# Who sees which of the firm's cases.
VISIBILITY = [
    ("client_a", {"case_a", "case_ab"}),
    ("client_b", {"case_b"}),
    ("lawyer_a", {"case_a"}),
    ("lawyer_b", {"case_b", "case_ab"}),
    ("admin_a", {"case_a", "case_b", "case_ab"}),
    ("admin_b", {"case_a", "case_b", "case_ab"}),
]
ALL_CASES = ("case_a", "case_b", "case_ab")
