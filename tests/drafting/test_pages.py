from __future__ import annotations

import csv
import io
import zipfile

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from cases.models import Case
from cases.panels import case_panels
from drafting.batches import batch_create_from_csv, batch_rows
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft, DraftBatch
from drafting.review import draft_approve
from drafting.services import draft_generate, draft_request
from tests.factories import CaseFactory, LawyerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
NDA = DOCUMENT_TYPES["nda"]
POLL = 'hx-trigger="every 1s"'


def _form_data(**changes: str) -> dict[str, str]:
    data = {name: str(value) for name, value in NDA.example_inputs.items()}
    return {**data, "tone": "neutral", "case": "", **changes}


def _drafted(author: User, case: Case | None = None) -> Draft:
    draft = draft_request(author=author, type_id="nda", inputs=dict(NDA.example_inputs), case=case)
    return async_to_sync(draft_generate)(draft_id=draft.pk, request_id="test")


def _nda_csv(*rows: dict[str, str]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(NDA.fields_by_name))
    writer.writeheader()
    for row in rows:
        writer.writerow({**{k: str(v) for k, v in NDA.example_inputs.items()}, **row})
    return SimpleUploadedFile("rows.csv", buffer.getvalue().encode(), "text/csv")


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [reverse("drafting:batch-new"), reverse("drafting:csv-template", args=["nda"])],
)
def test_clients_are_refused_the_batch_pages(page_client_for, client_user, url):
    assert page_client_for(client_user).get(url).status_code == 403


def test_another_lawyers_draft_is_not_found(page_client_for, lawyer):
    other = LawyerFactory()
    draft = _drafted(other, CaseFactory(lawyers=[other]))
    page = page_client_for(lawyer)

    for name in ("drafting:detail", "drafting:status"):
        assert page.get(reverse(name, args=[draft.pk])).status_code == 404
    assert page.post(reverse("drafting:approve", args=[draft.pk])).status_code == 404
    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.DRAFTED


def test_staff_and_clients_see_the_drafting_link_in_the_menu(page_client_for, lawyer):
    link = f'href="{reverse("drafting:types")}"'
    assert link in page_client_for(lawyer).get(reverse("cases:list")).content.decode()
    client = page_client_for(CaseFactory().client)
    assert link in client.get(reverse("cases:list")).content.decode()


# --- one draft ------------------------------------------------------------------------------


def test_type_list_shows_every_type_with_its_description(page_client_for, lawyer):
    response = page_client_for(lawyer).get(reverse("drafting:types"))
    body = response.content.decode()
    assert response.status_code == 200
    for doc in DOCUMENT_TYPES.values():
        assert doc.title in body
        assert reverse("drafting:new", args=[doc.id]) in body


def test_unknown_type_is_not_found(page_client_for, lawyer):
    response = page_client_for(lawyer).get(reverse("drafting:new", args=["will"]))
    assert response.status_code == 404


def test_form_has_a_field_per_input_with_the_browsers_hints(page_client_for, lawyer):
    body = page_client_for(lawyer).get(reverse("drafting:new", args=["nda"])).content.decode()
    for field in NDA.fields:
        assert f'name="{field.name}"' in body
    assert 'type="date" name="effective_date"' in body
    assert 'max="10"' in body
    assert f'hx-post="{reverse("drafting:validate", args=["nda"])}?field=effective_date"' in body


def test_a_bad_date_is_shown_inline_and_nothing_is_drafted(page_client_for, lawyer):
    response = page_client_for(lawyer).post(
        reverse("drafting:new", args=["nda"]), _form_data(effective_date="31/02/2026")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="field-effective_date"' in body
    assert "Enter a valid date in the form YYYY-MM-DD." in body
    assert not Draft.objects.exists()


def test_date_order_errors_come_from_the_document_type(page_client_for, lawyer):
    doc = DOCUMENT_TYPES["lease-notice"]
    data = {name: str(value) for name, value in doc.example_inputs.items()}
    data.update(termination_date="2026-01-01", tone="neutral")
    response = page_client_for(lawyer).post(reverse("drafting:new", args=[doc.id]), data)
    assert "Must be after the date of the notice." in response.content.decode()


def test_validation_endpoint_returns_the_field_with_its_error(page_client_for, lawyer):
    url = reverse("drafting:validate", args=["nda"]) + "?field=term_years"
    response = page_client_for(lawyer).post(url, _form_data(term_years="12"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="field field-error" id="field-term_years"')
    assert "Ensure this value is less than or equal to 10." in body
    assert "<html" not in body


def test_validation_endpoint_shows_a_good_value_without_error(page_client_for, lawyer):
    url = reverse("drafting:validate", args=["nda"]) + "?field=term_years"
    body = page_client_for(lawyer).post(url, _form_data(), headers=HTMX).content.decode()
    assert 'class="field" id="field-term_years"' in body
    assert "errorlist" not in body


def test_generate_queues_a_draft_and_schedules_its_task(
    page_client_for, lawyer, django_capture_on_commit_callbacks
):
    case = CaseFactory(lawyers=[lawyer])
    with django_capture_on_commit_callbacks(execute=False) as published:
        response = page_client_for(lawyer).post(
            reverse("drafting:new", args=["nda"]), _form_data(case=str(case.pk), tone="formal")
        )

    draft = Draft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("drafting:detail", args=[draft.pk])
    assert (draft.status, draft.author, draft.case, draft.tone) == (
        "queued",
        lawyer,
        case,
        "formal",
    )
    assert draft.inputs["effective_date"] == "2026-12-01"
    assert draft.task_id
    assert len(published) == 1


def test_a_case_the_lawyer_may_not_see_is_no_valid_choice(page_client_for, lawyer):
    response = page_client_for(lawyer).post(
        reverse("drafting:new", args=["nda"]), _form_data(case=str(CaseFactory().pk))
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Draft.objects.exists()


def test_status_partial_shows_progress_and_keeps_polling_while_running(page_client_for, lawyer):
    draft = draft_request(author=lawyer, type_id="nda", inputs=dict(NDA.example_inputs))
    Draft.objects.filter(pk=draft.pk).update(status=Draft.Status.RUNNING, progress=40)

    response = page_client_for(lawyer).get(
        reverse("drafting:status", args=[draft.pk]), headers=HTMX
    )

    body = response.content.decode()
    assert 'max="100" value="40"' in body
    assert POLL in body
    assert "<html" not in body


def test_status_partial_of_a_finished_draft_shows_it_and_stops_polling(page_client_for, lawyer):
    draft = _drafted(lawyer)
    Draft.objects.filter(pk=draft.pk).update(warnings=["Placeholder left in the draft: [●]"])

    response = page_client_for(lawyer).get(
        reverse("drafting:status", args=[draft.pk]), headers=HTMX
    )

    body = response.content.decode()
    assert POLL not in body
    assert "Placeholder left in the draft: [●]" in body
    assert f">{draft.quality_score}</span>" in body
    assert '<li value="1">Parties</li>' in body
    assert "MUTUAL NON-DISCLOSURE AGREEMENT" in body
    assert "Approve version 1" in body


def test_draft_page_of_a_queued_draft_polls_its_status(page_client_for, lawyer):
    draft = draft_request(author=lawyer, type_id="nda", inputs=dict(NDA.example_inputs))
    body = page_client_for(lawyer).get(reverse("drafting:detail", args=[draft.pk])).content.decode()
    assert f'hx-get="{reverse("drafting:status", args=[draft.pk])}"' in body
    assert POLL in body


def test_approve_button_records_the_lawyer(page_client_for, lawyer):
    draft = _drafted(lawyer)
    page = page_client_for(lawyer)

    response = page.post(reverse("drafting:approve", args=[draft.pk]), follow=True)

    body = response.content.decode()
    assert "Version 1 approved." in body
    assert "Approve version 1" not in body
    assert Draft.objects.get(pk=draft.pk).approved_by == lawyer


def test_saving_a_new_version_keeps_the_old_one_and_the_diff_shows_the_change(
    page_client_for, lawyer
):
    draft = draft_approve(draft=_drafted(lawyer), actor=lawyer)
    page = page_client_for(lawyer)
    text = draft.text.replace("Harbour Lane Robotics Inc.", "Harbour Lane Robotics LLC")

    response = page.post(
        reverse("drafting:revise", args=[draft.pk]), {"text": text, "action": "version"}
    )

    version = Draft.objects.get(parent=draft)
    assert response["Location"] == reverse("drafting:detail", args=[version.pk])
    assert version.version == 2
    detail = page.get(response["Location"]).content.decode()
    assert "Version 2 saved." in detail
    assert f'href="{reverse("drafting:detail", args=[draft.pk])}">1</a>' in detail
    diff = page.get(
        reverse("drafting:diff", args=[version.pk]),
        {"old": draft.pk, "new": version.pk},
        headers=HTMX,
    ).content.decode()
    assert "<del" in diff
    assert "Harbour Lane Robotics LLC" in diff.split("<ins")[1]
    assert "<html" not in diff


def test_editing_an_approved_draft_in_place_is_refused_and_the_text_kept(page_client_for, lawyer):
    draft = draft_approve(draft=_drafted(lawyer), actor=lawyer)

    response = page_client_for(lawyer).post(
        reverse("drafting:revise", args=[draft.pk]), {"text": "Rewritten.", "action": "save"}
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert "save your changes as a new version" in body
    assert ">Rewritten.</textarea>" in body
    assert Draft.objects.get(pk=draft.pk).text == draft.text


def test_diff_of_versions_from_another_family_is_not_found(page_client_for, lawyer):
    first, other = _drafted(lawyer), _drafted(lawyer)
    response = page_client_for(lawyer).get(
        reverse("drafting:diff", args=[first.pk]), {"old": first.pk, "new": other.pk}
    )
    assert response.status_code == 404


def test_my_drafts_lists_only_mine(page_client_for, lawyer):
    mine = _drafted(lawyer)
    colleague = LawyerFactory()
    theirs = _drafted(colleague, CaseFactory(lawyers=[lawyer, colleague]))

    body = page_client_for(lawyer).get(reverse("drafting:mine")).content.decode()

    assert reverse("drafting:detail", args=[mine.pk]) in body
    assert reverse("drafting:detail", args=[theirs.pk]) not in body


def test_case_panel_lists_the_cases_drafts_and_is_registered(page_client_for, lawyer):
    colleague = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer, colleague])
    on_case, elsewhere = _drafted(colleague, case), _drafted(lawyer)
    page = page_client_for(lawyer)

    response = page.get(reverse("drafting:case-panel", args=[case.pk]), headers=HTMX)

    body = response.content.decode()
    assert reverse("drafting:detail", args=[on_case.pk]) in body
    assert reverse("drafting:detail", args=[elsewhere.pk]) not in body
    assert "drafting:case-panel" in [panel.url_name for panel in case_panels()]
    case_page = page.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'hx-get="{reverse("drafting:case-panel", args=[case.pk])}"' in case_page
    other_case = CaseFactory()
    assert page.get(reverse("drafting:case-panel", args=[other_case.pk])).status_code == 404


# --- batches --------------------------------------------------------------------------------


def test_csv_template_has_the_types_header_and_example_and_is_accepted_back(
    lawyer, page_client_for
):
    response = page_client_for(lawyer).get(reverse("drafting:csv-template", args=["nda"]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="nda-template.csv"' in response["Content-Disposition"]
    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == list(NDA.fields_by_name)
    assert example[0] == NDA.example_inputs["party_a_name"]
    batch = batch_create_from_csv(
        author=lawyer, type_id="nda", csv_file=io.BytesIO(response.content)
    )
    assert [row.draft.status for row in batch_rows(batch)] == [Draft.Status.QUEUED]


def test_uploading_a_csv_creates_the_batch_and_opens_its_page(page_client_for, lawyer):
    page = page_client_for(lawyer)
    upload = _nda_csv({"party_b_name": "Acme Ltd"}, {"effective_date": "next week"})

    response = page.post(
        reverse("drafting:batch-new"), {"document_type": "nda", "case": "", "csv_file": upload}
    )

    batch = DraftBatch.objects.get()
    assert response["Location"] == reverse("drafting:batch", args=[batch.pk])
    body = page.get(response["Location"]).content.decode()
    assert 'aria-label="Batch progress" max="100" value="50"' in body  # the invalid row has ended
    assert POLL in body
    assert f'hx-get="{reverse("drafting:batch-progress", args=[batch.pk])}"' in body
    assert "Effective date: Enter a valid date in the form YYYY-MM-DD." in body
    assert "Retry failed rows" in body


def test_a_refused_file_is_explained_on_the_upload_form(page_client_for, lawyer):
    upload = SimpleUploadedFile("rows.csv", b"name,colour\nA,red\n", "text/csv")
    response = page_client_for(lawyer).post(
        reverse("drafting:batch-new"), {"document_type": "nda", "csv_file": upload}
    )
    assert response.status_code == 200
    assert "unknown columns: name, colour" in response.content.decode()
    assert not DraftBatch.objects.exists()


def test_progress_partial_of_a_finished_batch_stops_polling_and_offers_the_zip(
    page_client_for, lawyer
):
    batch = batch_create_from_csv(
        author=lawyer, type_id="nda", csv_file=io.BytesIO(_nda_csv({}, {}).read())
    )
    for row in batch_rows(batch):
        async_to_sync(draft_generate)(draft_id=row.draft.pk, request_id="test")
    page = page_client_for(lawyer)

    body = page.get(
        reverse("drafting:batch-progress", args=[batch.pk]), headers=HTMX
    ).content.decode()

    assert POLL not in body
    assert 'max="100" value="100"' in body
    assert reverse("drafting:batch-zip", args=[batch.pk]) in body
    archive = page.get(reverse("drafting:batch-zip", args=[batch.pk]))
    assert archive["Content-Type"] == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(archive.content)).namelist()) == 2


def test_fixing_a_failed_row_from_its_page_queues_it_again(page_client_for, lawyer):
    batch = batch_create_from_csv(
        author=lawyer,
        type_id="nda",
        csv_file=io.BytesIO(_nda_csv({"effective_date": "1 Dec 2026"}).read()),
    )
    [row] = batch_rows(batch)
    page = page_client_for(lawyer)
    url = reverse("drafting:fix", args=[row.draft.pk])
    assert 'value="1 Dec 2026"' in page.get(url).content.decode()

    response = page.post(url, _form_data(effective_date="2026-12-01"))

    assert response["Location"] == reverse("drafting:batch", args=[batch.pk])
    assert Draft.objects.get(pk=row.draft.pk).status == Draft.Status.QUEUED


def test_another_lawyers_batch_is_not_found(page_client_for, lawyer):
    batch = batch_create_from_csv(
        author=LawyerFactory(), type_id="nda", csv_file=io.BytesIO(_nda_csv({}).read())
    )
    page = page_client_for(lawyer)
    for name in ("drafting:batch", "drafting:batch-progress", "drafting:batch-zip"):
        assert page.get(reverse(name, args=[batch.pk])).status_code == 404
    assert page.post(reverse("drafting:batch-retry", args=[batch.pk])).status_code == 404


# --- admin ----------------------------------------------------------------------------------


def test_admin_lists_and_filters_drafts_and_batches_read_only(page_client_for, admin_user):
    lawyer = LawyerFactory()
    draft = _drafted(lawyer)
    batch = batch_create_from_csv(
        author=lawyer, type_id="nda", csv_file=io.BytesIO(_nda_csv({}).read())
    )
    page = page_client_for(admin_user)

    changelist = page.get(reverse("admin:drafting_draft_changelist"), {"status__exact": "drafted"})
    assert changelist.status_code == 200
    assert f"{draft.pk}</a>" in changelist.content.decode()
    for url, data in (
        (reverse("admin:drafting_draft_changelist"), {"document_type": "nda"}),
        (reverse("admin:drafting_draft_changelist"), {"batch__id__exact": batch.pk}),
        (reverse("admin:drafting_draftbatch_changelist"), {"status__exact": "queued"}),
    ):
        assert page.get(url, data).status_code == 200
    change = page.get(reverse("admin:drafting_draft_change", args=[draft.pk]))
    assert change.status_code == 200
    assert "MUTUAL NON-DISCLOSURE AGREEMENT" in change.content.decode()
    assert page.get(reverse("admin:drafting_draft_add")).status_code == 403
    assert page.get(reverse("admin:drafting_draftbatch_add")).status_code == 403
    edit = page.post(reverse("admin:drafting_draft_change", args=[draft.pk]), {"text": "x"})
    assert edit.status_code == 403
    delete = page.post(reverse("admin:drafting_draft_delete", args=[draft.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert Draft.objects.get(pk=draft.pk).text == draft.text
