"""The document types the firm drafts, each with its fields, template, policy and an example.

``policy`` names the consultations analysis policy that checks a finished draft. Two types
have none (``""``): a letter before action and a power of attorney are not contracts, and none
of the contract policies (nda, employment, services-agreement, lease) describes them, so their
drafts get only the checks every draft gets: leftover placeholders and missing facts.
"""

from __future__ import annotations

from config.errors import DomainError
from drafting.doctypes.schema import CURRENCIES, DocumentType, Field


class UnknownDocumentType(DomainError):
    status_code = 400
    default_detail = "Unknown document type."


def _currency() -> Field:
    return Field(
        "currency",
        "Currency",
        "choice",
        choices=CURRENCIES,
        help_text="The currency of every amount in the document.",
    )


def _governing_law() -> Field:
    return Field(
        "governing_law",
        "Governing law",
        "string",
        max_length=100,
        help_text="The legal system, e.g. England and Wales, or the State of New York.",
    )


def _address(name: str, label: str) -> Field:
    return Field(name, label, "string", max_length=300, help_text="On one line.")


NDA = DocumentType(
    id="nda",
    title="Mutual non-disclosure agreement",
    description=(
        "A two-way confidentiality agreement for parties who exchange confidential "
        "information to explore a deal or a collaboration."
    ),
    template="drafting/documents/nda.txt",
    policy="nda",
    fields=(
        Field("party_a_name", "First party", "string", help_text="Full legal name."),
        _address("party_a_address", "First party's address"),
        Field("party_b_name", "Second party", "string", help_text="Full legal name."),
        _address("party_b_address", "Second party's address"),
        Field("effective_date", "Effective date", "date"),
        Field(
            "purpose",
            "Purpose",
            "text",
            max_length=1000,
            help_text="What the information is exchanged for, e.g. evaluating a joint venture.",
        ),
        Field(
            "term_years",
            "Term (years)",
            "integer",
            min_value=1,
            max_value=10,
            help_text="How long the agreement lasts.",
        ),
        Field(
            "confidentiality_years",
            "Confidentiality period (years)",
            "integer",
            min_value=1,
            max_value=10,
            help_text="How long the duty of confidence lasts after the agreement ends.",
        ),
        _governing_law(),
        Field(
            "jurisdiction",
            "Courts",
            "string",
            required=False,
            max_length=150,
            help_text=(
                "Courts with exclusive jurisdiction, e.g. the courts of England and Wales. "
                "Leave blank to say nothing about courts."
            ),
        ),
    ),
    example_inputs={
        "party_a_name": "Northwind Analytics Ltd",
        "party_a_address": "4 Castle Street, Edinburgh EH2 3AH, United Kingdom",
        "party_b_name": "Harbour Lane Robotics Inc.",
        "party_b_address": "200 Park Avenue, Suite 1700, New York, NY 10166, United States",
        "effective_date": "2026-12-01",
        "purpose": (
            "evaluating a possible collaboration to integrate Harbour Lane Robotics Inc.'s "
            "warehouse robots with Northwind Analytics Ltd's demand-forecasting software"
        ),
        "term_years": 2,
        "confidentiality_years": 5,
        "governing_law": "England and Wales",
        "jurisdiction": "the courts of England and Wales",
    },
)

ENGAGEMENT_LETTER = DocumentType(
    id="engagement-letter",
    title="Client engagement letter",
    description=(
        "The firm's terms of engagement for a new matter: scope of work, who is responsible, "
        "fees, billing, liability, complaints and termination."
    ),
    template="drafting/documents/engagement-letter.txt",
    policy="services-agreement",
    fields=(
        Field("firm_name", "Firm", "string"),
        Field("client_name", "Client", "string"),
        _address("client_address", "Client's address"),
        Field(
            "client_email",
            "Client's email",
            "email",
            required=False,
            help_text="Leave blank to correspond at the address the client gives later.",
        ),
        Field(
            "matter",
            "Matter",
            "string",
            max_length=300,
            help_text="A short description, e.g. the purchase of 14 Wharf Road, Bristol.",
        ),
        Field(
            "scope_of_work",
            "Scope of work",
            "text",
            max_length=3000,
            help_text="The services the firm will provide, one per line.",
        ),
        Field("responsible_lawyer", "Responsible lawyer", "string"),
        Field(
            "fee_basis",
            "Fee basis",
            "choice",
            choices=("hourly", "fixed"),
            help_text="An hourly rate, or a fixed fee for the whole scope of work.",
        ),
        Field(
            "fee_amount",
            "Hourly rate or fixed fee",
            "money",
            help_text="Excluding tax and expenses.",
        ),
        _currency(),
        Field(
            "payment_days",
            "Payment terms (days)",
            "integer",
            min_value=7,
            max_value=90,
            help_text="Days after an invoice's date within which it must be paid.",
        ),
        _governing_law(),
    ),
    example_inputs={
        "firm_name": "Ashdown & Pryce LLP",
        "client_name": "Daniel Okafor",
        "client_address": "Flat 2, 61 Redland Road, Bristol BS6 6AG",
        "client_email": "daniel.okafor@example.com",
        "matter": "the purchase of 14 Wharf Road, Bristol BS1 4RN",
        "scope_of_work": (
            "Investigating the seller's title and raising pre-contract enquiries.\n"
            "Obtaining and reviewing local authority, environmental and drainage searches.\n"
            "Reviewing your mortgage offer and acting for your lender.\n"
            "Exchanging contracts, completing the purchase and registering you as owner."
        ),
        "responsible_lawyer": "Priya Raman",
        "fee_basis": "fixed",
        "fee_amount": "1850.00",
        "currency": "GBP",
        "payment_days": 30,
        "governing_law": "England and Wales",
    },
)

DEMAND_LETTER = DocumentType(
    id="demand-letter",
    title="Letter before action",
    description=(
        "A formal demand for an unpaid debt or for a breach, giving the recipient a last "
        "chance to pay or respond before court proceedings."
    ),
    template="drafting/documents/demand-letter.txt",
    policy="",
    fields=(
        Field("creditor_name", "Sender (creditor)", "string"),
        _address("creditor_address", "Sender's address"),
        Field("debtor_name", "Recipient (debtor)", "string"),
        _address("debtor_address", "Recipient's address"),
        Field("letter_date", "Date of the letter", "date"),
        Field(
            "claim_basis",
            "What the claim arises from",
            "text",
            max_length=3000,
            help_text="The facts: the agreement, the goods or services, the invoice, the breach.",
        ),
        Field("amount_due", "Amount owed", "money"),
        _currency(),
        Field(
            "due_date",
            "Date payment was due",
            "date",
            required=False,
            help_text="Leave blank if there was no single due date.",
        ),
        Field(
            "response_days",
            "Days to pay or respond",
            "integer",
            min_value=7,
            max_value=90,
            help_text="Usually 14; longer for a claim against an individual.",
        ),
        Field(
            "payment_details",
            "How to pay",
            "text",
            required=False,
            max_length=1000,
            help_text="Leave blank to ask the recipient to get in touch to arrange payment.",
        ),
    ),
    date_order=(("due_date", "letter_date"),),
    example_inputs={
        "creditor_name": "Kestrel Print Solutions Ltd",
        "creditor_address": "Unit 3, Bridge Industrial Estate, Reading RG2 0QE",
        "debtor_name": "Halden Events Limited",
        "debtor_address": "22 Market Place, Oxford OX1 3EF",
        "letter_date": "2026-11-23",
        "claim_basis": (
            "Under our agreement dated 2 June 2026, we printed and delivered brochures and "
            "signage to you for the Oxford Food Festival. You accepted the goods on delivery on "
            "14 August 2026 without complaint. We sent you invoice KPS-4471 on 15 August 2026, "
            "payable within 30 days, and reminders on 1 October and 2 November 2026."
        ),
        "amount_due": "8640.00",
        "currency": "GBP",
        "due_date": "2026-09-14",
        "response_days": 14,
        "payment_details": (
            "By bank transfer to the account shown on invoice KPS-4471, quoting KPS-4471 as the "
            "payment reference."
        ),
    },
)

OFFER_LETTER = DocumentType(
    id="offer-letter",
    title="Employment offer letter",
    description=(
        "An offer of employment setting out the role, start date, pay, hours, holidays, "
        "notice and the conditions of the offer."
    ),
    template="drafting/documents/offer-letter.txt",
    policy="employment",
    fields=(
        Field("company_name", "Employer", "string"),
        Field("candidate_name", "Candidate", "string"),
        Field("position", "Job title", "string"),
        Field(
            "reporting_to",
            "Reports to",
            "string",
            help_text="A name and job title, e.g. Tom Ashby, Head of Engineering.",
        ),
        Field(
            "work_location",
            "Place of work",
            "string",
            max_length=300,
            help_text="An address, or e.g. home, with travel to the Company's offices.",
        ),
        Field("start_date", "Start date", "date"),
        Field("salary", "Annual salary", "money", help_text="Gross, per year."),
        _currency(),
        Field("hours_per_week", "Hours per week", "integer", min_value=1, max_value=60),
        Field(
            "notice_period_weeks",
            "Notice period (weeks)",
            "integer",
            min_value=1,
            max_value=52,
            help_text="Notice either side after any probation.",
        ),
        Field(
            "probation_months",
            "Probation (months)",
            "integer",
            required=False,
            min_value=1,
            max_value=12,
            help_text="Leave blank for no probationary period.",
        ),
        Field(
            "benefits",
            "Other benefits",
            "text",
            required=False,
            max_length=2000,
            help_text="One per line, e.g. private medical insurance. Leave blank for none.",
        ),
    ),
    example_inputs={
        "company_name": "Fenwick Marine Systems Ltd",
        "candidate_name": "Amara Lindqvist",
        "position": "Senior Mechanical Engineer",
        "reporting_to": "Tom Ashby, Head of Engineering",
        "work_location": "the Company's office at 9 Quayside, Newcastle upon Tyne NE1 3DE",
        "start_date": "2027-01-11",
        "salary": "62500.00",
        "currency": "GBP",
        "hours_per_week": 37,
        "notice_period_weeks": 8,
        "probation_months": 6,
        "benefits": (
            "Private medical insurance for you and your dependants.\n"
            "Life assurance of four times your annual salary.\n"
            "A car allowance of £4,800 a year, paid monthly with your salary."
        ),
    },
)

POWER_OF_ATTORNEY = DocumentType(
    id="power-of-attorney",
    title="Power of attorney",
    description=(
        "A general or limited power of attorney by which a principal appoints an attorney to "
        "act on their behalf, with its duration, duties and execution as a deed."
    ),
    template="drafting/documents/power-of-attorney.txt",
    policy="",
    fields=(
        Field("principal_name", "Principal", "string", help_text="The person granting the power."),
        _address("principal_address", "Principal's address"),
        Field("attorney_name", "Attorney", "string", help_text="The person appointed to act."),
        _address("attorney_address", "Attorney's address"),
        Field(
            "scope",
            "Kind of power",
            "choice",
            choices=("general", "limited"),
            help_text="General: anything the principal may do by an attorney. Limited: only "
            "the matters below.",
        ),
        Field(
            "purpose",
            "Matters covered",
            "text",
            max_length=2000,
            help_text="What the attorney may act on, e.g. the sale of a named property.",
        ),
        Field("effective_date", "Start date", "date"),
        Field(
            "expiry_date",
            "End date",
            "date",
            required=False,
            help_text="Leave blank for a power that lasts until revoked.",
        ),
        Field(
            "restrictions",
            "Restrictions",
            "text",
            required=False,
            max_length=2000,
            help_text="Limits on the attorney's authority. Leave blank for none.",
        ),
        _governing_law(),
    ),
    date_order=(("effective_date", "expiry_date"),),
    example_inputs={
        "principal_name": "Margaret Ellen Cole",
        "principal_address": "17 Orchard Way, Harrogate HG2 8LP",
        "attorney_name": "Simon James Cole",
        "attorney_address": "41 Beech Grove, Leeds LS6 2QT",
        "scope": "limited",
        "purpose": (
            "The sale of the Principal's property at 17 Orchard Way, Harrogate HG2 8LP, "
            "including instructing estate agents and solicitors, signing the contract for sale "
            "and the transfer deed, and receiving the proceeds of sale and paying them into the "
            "Principal's own bank account."
        ),
        "effective_date": "2026-12-01",
        "expiry_date": "2027-06-30",
        "restrictions": (
            "The Attorney must not accept an offer for the property below the price the "
            "Principal has approved in writing."
        ),
        "governing_law": "England and Wales",
    },
)

LEASE_NOTICE = DocumentType(
    id="lease-notice",
    title="Notice to end a tenancy",
    description=(
        "A landlord's notice to quit or a tenant's notice of termination of a residential or "
        "commercial tenancy, with the date possession is to be given up."
    ),
    template="drafting/documents/lease-notice.txt",
    policy="lease",
    fields=(
        Field(
            "given_by",
            "Notice given by",
            "choice",
            choices=("landlord", "tenant"),
        ),
        Field("landlord_name", "Landlord", "string"),
        _address("landlord_address", "Landlord's address"),
        Field("tenant_name", "Tenant", "string"),
        _address("property_address", "Property"),
        Field("tenancy_start_date", "Tenancy start date", "date"),
        Field("notice_date", "Date of the notice", "date"),
        Field(
            "termination_date",
            "End date of the tenancy",
            "date",
            help_text="The date possession is to be given up; check the minimum notice period.",
        ),
        Field("rent", "Rent", "money"),
        Field(
            "rent_period",
            "Rent is paid per",
            "choice",
            choices=("week", "month", "quarter", "year"),
        ),
        _currency(),
        Field(
            "reason",
            "Reason",
            "text",
            required=False,
            max_length=1000,
            help_text="Leave blank where no reason need be given.",
        ),
    ),
    date_order=(("tenancy_start_date", "notice_date"), ("notice_date", "termination_date")),
    example_inputs={
        "given_by": "landlord",
        "landlord_name": "Greystone Property Holdings Ltd",
        "landlord_address": "Suite 5, 18 King Street, Manchester M2 4LQ",
        "tenant_name": "Oliver Brandt",
        "property_address": "Flat 3, 27 Wilmslow Road, Manchester M14 5TB",
        "tenancy_start_date": "2024-03-01",
        "notice_date": "2026-11-25",
        "termination_date": "2027-01-31",
        "rent": "1150.00",
        "rent_period": "month",
        "currency": "GBP",
        "reason": "The Landlord intends to sell the Property with vacant possession.",
    },
)

_ALL = (NDA, ENGAGEMENT_LETTER, DEMAND_LETTER, OFFER_LETTER, POWER_OF_ATTORNEY, LEASE_NOTICE)
DOCUMENT_TYPES: dict[str, DocumentType] = {doc.id: doc for doc in _ALL}


def get_document_type(type_id: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[type_id]
    except (KeyError, TypeError):
        known = ", ".join(DOCUMENT_TYPES)
        raise UnknownDocumentType(
            f"Unknown document type {type_id!r}. Known types: {known}."
        ) from None
