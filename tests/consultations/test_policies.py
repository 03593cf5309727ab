from __future__ import annotations

import pytest

from consultations.policies import (
    POLICIES,
    Finding,
    UnknownPolicy,
    get_policy,
    merge_findings,
    risk_level,
    suggestions_for,
)

GOOD = {
    "nda": """MUTUAL NON-DISCLOSURE AGREEMENT
1. Definition. "Confidential Information" means all non-public business, technical and
financial information disclosed by either party, whether orally or in writing.
2. Exclusions. Confidential Information does not include information that is publicly
available, already known to the recipient, or independently developed. The recipient may
disclose information when required by law.
3. Term. This Agreement shall remain in effect for a period of three (3) years from the
Effective Date.
4. Return of Materials. On written request the recipient shall return or destroy all documents
containing Confidential Information and certify the destruction in writing.
5. Governing Law. This Agreement shall be governed by the laws of England and Wales.
""",
    "employment": """EMPLOYMENT AGREEMENT
1. Position. The Company employs the Employee as Senior Paralegal. The Employee's duties are
set out in the job description in Schedule 1.
2. Salary. The Employee shall receive a gross annual salary of £42,000, paid monthly in arrears.
3. Working Hours. Normal working hours are 9:00 to 17:30, Monday to Friday, 37.5 hours per week.
4. Confidentiality. The Employee shall not disclose confidential information of the Company
during or after the employment.
5. Termination. Either party may terminate the employment by giving the other three (3) months'
written notice.
""",
    "services-agreement": """MASTER SERVICES AGREEMENT
1. Services. The Supplier shall provide the software development services described in the
Statement of Work.
2. Fees. The Client shall pay the fees set out in the Statement of Work. Invoices are payable
within thirty (30) days of receipt.
3. Intellectual Property. All intellectual property rights in the Deliverables shall vest in
the Client on payment.
4. Limitation of Liability. Each party's total liability under this Agreement shall not exceed
the fees paid in the twelve (12) months preceding the claim.
5. Termination. Either party may terminate this Agreement on sixty (60) days' written notice.
""",
    "lease": """RESIDENTIAL LEASE AGREEMENT
1. Term. The term of this Lease begins on 1 February 2026 and ends on 31 January 2027.
2. Rent. The Tenant shall pay monthly rent of $2,400.00 on the first day of each month.
3. Security Deposit. The Tenant shall pay a security deposit of $2,400.00, refundable within
21 days after the Tenant vacates.
4. Repairs. The Landlord shall keep the structure and systems in good repair; the Tenant shall
maintain the interior in a clean condition.
5. Termination. Either party may terminate this Lease at the end of the Term by giving at least
sixty (60) days' written notice.
6. Late Fee. Rent received after the fifth day of the month incurs a late fee of 5% of the
overdue amount.
""",
}


def _by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.rule: finding for finding in findings}


# --- Registry ------------------------------------------------------------------------------


def test_registry_holds_the_four_policies_with_versions() -> None:
    assert set(POLICIES) >= {"nda", "employment", "services-agreement", "lease"}
    for name, policy in POLICIES.items():
        assert policy.name == name
        assert policy.title
        assert policy.description
        assert policy.version == "2026-11-1"


def test_get_policy_forgives_case_and_underscores() -> None:
    assert get_policy("Services_Agreement") is POLICIES["services-agreement"]


def test_unknown_policy_is_a_key_error_naming_the_known_policies() -> None:
    with pytest.raises(KeyError) as caught:
        get_policy("partnership")

    assert isinstance(caught.value, UnknownPolicy)
    assert str(caught.value) == (
        "Unknown policy 'partnership'; known policies: nda, employment, services-agreement, lease."
    )


# --- Compliant contracts -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOOD))
def test_compliant_contract_has_no_findings(name: str) -> None:
    assert get_policy(name).check(GOOD[name]) == []


@pytest.mark.parametrize("name", sorted(GOOD))
def test_empty_text_misses_every_required_clause(name: str) -> None:
    findings = get_policy(name).check("")

    assert findings
    assert all(f.rule.startswith("required.") for f in findings)
    assert all(f.evidence == "" and f.severity in {"medium", "high"} for f in findings)
    assert all(f.message and f.suggestion for f in findings)


# --- Non-compliant contracts ---------------------------------------------------------------


def test_bad_nda_reports_missing_clauses_risky_wording_and_long_term() -> None:
    text = (
        "NON-DISCLOSURE AGREEMENT\n"
        "The Recipient shall keep all information received from the Discloser secret. "
        "The obligations of confidentiality shall survive for ten (10) years after termination. "
        "The Discloser may at its sole discretion require further undertakings. "
        "The Recipient waives all rights to challenge this Agreement."
    )

    findings = _by_rule(get_policy("nda").check(text))

    assert set(findings) == {
        "required.confidential_information",
        "required.return_or_destruction",
        "required.governing_law",
        "required.exclusions",
        "wording.sole_discretion",
        "wording.waiver_of_rights",
        "limit.confidentiality_term",
    }
    assert findings["required.confidential_information"].severity == "high"
    assert findings["required.governing_law"].evidence == ""
    term = findings["limit.confidentiality_term"]
    assert term.evidence == (
        "The obligations of confidentiality shall survive for ten (10) years after termination."
    )
    assert term.message == "A term of ten (10) years is longer than the firm's 5-year maximum."
    assert findings["wording.waiver_of_rights"].severity == "high"
    assert findings["wording.waiver_of_rights"].evidence == (
        "The Recipient waives all rights to challenge this Agreement."
    )


def test_nda_term_of_five_years_is_within_the_limit() -> None:
    text = GOOD["nda"].replace("three (3) years", "five (5) years")

    assert get_policy("nda").check(text) == []


def test_perpetual_nda_is_flagged_as_risky_wording() -> None:
    text = GOOD["nda"].replace("for a period of three (3) years", "in perpetuity")

    findings = get_policy("nda").check(text)

    assert [f.rule for f in findings] == ["wording.perpetual"]
    assert "in perpetuity from the" in findings[0].evidence


def test_bad_employment_contract_reports_the_expected_findings() -> None:
    text = (
        "EMPLOYMENT AGREEMENT\n"
        "The Employee will work as directed and shall receive a salary of $55,000 per year.\n"
        "The Employee shall work 60 hours per week and such additional hours as the Company "
        "requires without additional compensation.\n"
        "For a period of twenty-four (24) months after termination the Employee shall not "
        "compete with the Company anywhere in the world.\n"
        "The Company may terminate this agreement by giving one week's notice.\n"
    )

    findings = _by_rule(get_policy("employment").check(text))

    assert set(findings) == {
        "required.position",
        "required.confidentiality",
        "wording.worldwide_non_compete",
        "wording.unpaid_overtime",
        "limit.non_compete_duration",
        "limit.weekly_hours",
        "limit.notice_period",
    }
    non_compete = findings["limit.non_compete_duration"]
    assert non_compete.severity == "high"
    assert non_compete.evidence == (
        "For a period of twenty-four (24) months after termination the Employee shall not "
        "compete with the Company anywhere in the world."
    )
    assert "twenty-four (24) months" in non_compete.message
    assert findings["limit.weekly_hours"].message == (
        "60 hours a week is above the 48-hour weekly limit."
    )
    assert findings["limit.notice_period"].evidence == (
        "The Company may terminate this agreement by giving one week's notice."
    )


def test_twelve_month_non_compete_is_within_the_limit() -> None:
    text = GOOD["employment"] + (
        "6. Non-compete. For twelve (12) months after termination the Employee shall not "
        "compete with the Company in Greater London.\n"
    )

    assert get_policy("employment").check(text) == []


def test_bad_services_agreement_reports_the_expected_findings() -> None:
    text = (
        "SERVICES AGREEMENT\n"
        "The Supplier shall provide consulting services to the Client. The Client shall pay "
        "each invoice within ninety (90) days of receipt.\n"
        "The Supplier accepts unlimited liability and shall indemnify the Client against any "
        "and all losses.\n"
        "This Agreement shall automatically renew for successive one-year periods. Either "
        "party may terminate it on 14 days' notice.\n"
    )

    findings = _by_rule(get_policy("services-agreement").check(text))

    assert set(findings) == {
        "required.limitation_of_liability",
        "required.intellectual_property",
        "wording.unlimited_liability",
        "wording.broad_indemnity",
        "wording.automatic_renewal",
        "limit.payment_days",
        "limit.notice_period",
    }
    assert findings["limit.payment_days"].evidence == (
        "The Client shall pay each invoice within ninety (90) days of receipt."
    )
    assert findings["limit.notice_period"].evidence == (
        "Either party may terminate it on 14 days' notice."
    )
    assert findings["wording.automatic_renewal"].evidence == (
        "This Agreement shall automatically renew for successive one-year periods."
    )


def test_net_ninety_payment_terms_are_flagged() -> None:
    text = GOOD["services-agreement"] + "6. Change requests are invoiced separately, Net 90.\n"

    findings = get_policy("services-agreement").check(text)

    assert [(f.rule, f.evidence) for f in findings] == [
        ("limit.payment_days", "Change requests are invoiced separately, Net 90.")
    ]


def test_payment_terms_written_in_words_are_read() -> None:
    text = GOOD["services-agreement"].replace(
        "thirty (30) days", "one hundred and twenty (120) days"
    )

    findings = get_policy("services-agreement").check(text)

    assert [f.rule for f in findings] == ["limit.payment_days"]
    assert findings[0].message == (
        "Payment terms of one hundred and twenty (120) days are longer than the firm's 60-day "
        "maximum."
    )


def test_bad_lease_reports_deposit_late_fee_entry_and_short_notice() -> None:
    text = (
        "LEASE\n"
        "The Tenant shall pay rent of $2,000 per month for a fixed term of twelve months. "
        "The Tenant shall pay a security deposit of $6,000. The Tenant shall repair any damage "
        "the Tenant causes. A late fee of 15% applies to any late payment. The Landlord may "
        "enter the premises at any time. The Landlord may end the tenancy on 7 days' notice."
    )

    findings = _by_rule(get_policy("lease").check(text))

    assert set(findings) == {
        "wording.entry_at_any_time",
        "limit.deposit_amount",
        "limit.late_fee",
        "limit.notice_period",
    }
    deposit = findings["limit.deposit_amount"]
    assert deposit.evidence == "The Tenant shall pay a security deposit of $6,000."
    assert deposit.message == "A security deposit of $6,000 is more than two months' rent."
    assert findings["limit.late_fee"].evidence == "A late fee of 15% applies to any late payment."
    assert findings["wording.entry_at_any_time"].severity == "high"


def test_deposit_stated_in_months_of_rent_is_checked() -> None:
    text = GOOD["lease"].replace(
        "a security deposit of $2,400.00", "a security deposit equal to three (3) months' rent"
    )

    findings = get_policy("lease").check(text)

    assert [f.rule for f in findings] == ["limit.deposit_amount"]
    assert "three (3) months' rent" in findings[0].message


def test_one_months_notice_meets_the_thirty_day_minimum() -> None:
    text = GOOD["lease"].replace("sixty (60) days'", "one month's")

    assert get_policy("lease").check(text) == []


def test_evidence_is_quoted_exactly_from_the_contract() -> None:
    text = "TERMS\nThe  Landlord may, at its SOLE DISCRETION,\nwithhold consent."

    (finding,) = [f for f in get_policy("lease").check(text) if f.rule.startswith("wording.")]

    assert finding.evidence == "The  Landlord may, at its SOLE DISCRETION,\nwithhold consent."
    assert finding.evidence in text


def test_evidence_stops_at_a_heading_line() -> None:
    text = "TERMINATION\nThe Landlord may terminate this Lease without notice."

    (finding,) = [f for f in get_policy("lease").check(text) if f.rule.startswith("wording.")]

    assert finding.evidence == "The Landlord may terminate this Lease without notice."


def test_finding_as_dict_has_the_contract_fields() -> None:
    finding = get_policy("nda").check("")[0]

    assert finding.as_dict() == {
        "rule": "required.confidential_information",
        "clause": "Definition of confidential information",
        "severity": "high",
        "evidence": "",
        "message": "No definition of confidential information clause was found.",
        "suggestion": "Define confidential information precisely, with examples.",
    }


# --- Risk level, merging, suggestions ------------------------------------------------------


def _finding(severity: str, rule: str = "r", evidence: str = "", clause: str = "") -> Finding:
    return Finding(
        rule=rule,
        clause=clause,
        severity=severity,
        evidence=evidence,
        message="m",
        suggestion=f"fix {rule}",
    )


@pytest.mark.parametrize(
    ("severities", "level"),
    [
        ([], "low"),
        (["low", "low"], "low"),
        (["low", "low", "low"], "medium"),
        (["medium"], "medium"),
        (["medium", "medium", "low"], "medium"),
        (["medium", "medium", "medium"], "high"),
        (["high"], "high"),
        (["low", "high"], "high"),
    ],
)
def test_risk_level_follows_the_documented_rule(severities: list[str], level: str) -> None:
    assert risk_level([_finding(s) for s in severities]) == level


def test_risk_level_accepts_dicts_and_counts_unknown_severity_as_medium() -> None:
    assert risk_level([{"severity": "HIGH"}]) == "high"
    assert risk_level([{"severity": "critical"}]) == "medium"
    assert risk_level([{"severity": "low"}, {}]) == "medium"


def test_merge_keeps_rule_findings_first_and_drops_llm_duplicates() -> None:
    rule_findings = [
        _finding("medium", rule="required.governing_law", clause="Governing law"),
        _finding("high", rule="wording.sole_discretion", evidence="At its sole discretion."),
    ]
    llm_findings = [
        {"rule": "", "clause": "governing  LAW", "severity": "low", "evidence": "", "message": "x"},
        {
            "rule": "wording.sole_discretion",
            "severity": "high",
            "evidence": "at its SOLE discretion.",
        },
        {"rule": "exclusivity", "clause": "Exclusivity", "severity": "low", "evidence": "Only us."},
    ]

    merged = merge_findings(rule_findings, llm_findings)

    assert merged[:2] == rule_findings
    assert [f.rule for f in merged] == [
        "required.governing_law",
        "wording.sole_discretion",
        "exclusivity",
    ]


def test_merge_keeps_same_rule_with_different_evidence() -> None:
    rule_findings = [_finding("medium", rule="wording.without_notice", evidence="Clause 4.")]
    llm_findings = [_finding("medium", rule="wording.without_notice", evidence="Clause 9.")]

    assert len(merge_findings(rule_findings, llm_findings)) == 2


def test_merge_validates_llm_findings() -> None:
    merged = merge_findings(
        [],
        [
            {"rule": "x", "clause": "Payment", "severity": "catastrophic", "message": "Slow pay"},
            {"rule": "y", "severity": " High ", "message": "Bad", "evidence": None},
            "not a finding",
            {"severity": "high"},
        ],
    )

    assert merged == [
        Finding(
            rule="x",
            clause="Payment",
            severity="medium",
            evidence="",
            message="Slow pay",
            suggestion="",
        ),
        Finding(rule="y", clause="", severity="high", evidence="", message="Bad", suggestion=""),
    ]


def test_suggestions_are_unique_and_in_order() -> None:
    findings = [
        _finding("low", rule="a"),
        {"suggestion": "fix b"},
        _finding("low", rule="a"),
        {"suggestion": ""},
        _finding("high", rule="c"),
    ]

    assert suggestions_for(findings) == ["fix a", "fix b", "fix c"]


def test_suggestions_for_a_bad_lease_come_from_its_findings() -> None:
    findings = get_policy("lease").check("The Landlord may enter the premises at any time.")

    suggestions = suggestions_for(findings)

    assert suggestions == list(dict.fromkeys(f.suggestion for f in findings))
    assert len(suggestions) == len(findings)
