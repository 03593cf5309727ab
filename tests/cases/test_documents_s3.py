"""Documents on S3-compatible storage: the settings' own S3 storage against a real server on
loopback (moto in server mode, `tests/s3_server.py`), through the API from upload to delete."""

from __future__ import annotations

import pytest

from cases.models import Document
from config.settings import s3_document_storage
from tests.documents import pdf_bytes, upload

pytestmark = pytest.mark.django_db

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch):
    """The default storage switched to the S3 server's bucket, configured as production is:
    from the S3_* environment variables."""
    for name, value in {
        "S3_ENDPOINT_URL": s3_server.endpoint_url,
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
        "S3_REGION": "us-east-1",
        "S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": s3_document_storage(s3_server.bucket)}
    return s3_server


def test_upload_list_download_and_delete_go_through_the_bucket(
    firm, api_client_for, s3_storage, django_capture_on_commit_callbacks
):
    api = api_client_for(firm.lawyer_a)
    content = pdf_bytes(["", "", ""])

    with django_capture_on_commit_callbacks(execute=False):
        created = api.post(
            f"/api/cases/{firm.case_a.pk}/documents",
            {"file": upload("Tenancy agreement.pdf", content)},
            format="multipart",
        )
    assert created.status_code == 201, created.json()
    document = Document.objects.get(pk=created.json()["id"])
    key = document.file.name
    assert key.startswith(f"documents/case-{firm.case_a.pk}/")
    assert key.endswith("/Tenancy_agreement.pdf")
    assert key in s3_storage.object_keys()
    stored = s3_storage.client().get_object(Bucket=s3_storage.bucket, Key=key)
    assert stored["Body"].read() == content
    grants = s3_storage.client().get_object_acl(Bucket=s3_storage.bucket, Key=key)["Grants"]
    assert not [grant for grant in grants if grant["Grantee"].get("URI") == ALL_USERS]

    listing = api_client_for(firm.client_a).get(f"/api/cases/{firm.case_a.pk}/documents")
    assert [item["title"] for item in listing.json()["results"]] == ["Tenancy agreement.pdf"]

    download = api_client_for(firm.client_a).get(f"/api/documents/{document.pk}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf"

    with django_capture_on_commit_callbacks(execute=True):
        deleted = api.delete(f"/api/documents/{document.pk}")
    assert deleted.status_code == 204
    assert key not in s3_storage.object_keys()


def test_two_files_of_the_same_name_are_two_objects(
    firm, api_client_for, s3_storage, django_capture_on_commit_callbacks
):
    api = api_client_for(firm.admin_a)
    with django_capture_on_commit_callbacks(execute=False):
        for text in (b"first", b"second"):
            response = api.post(
                "/api/knowledge-base/documents",
                {"file": upload("policy.txt", text)},
                format="multipart",
            )
            assert response.status_code == 201

    documents = Document.objects.order_by("id")
    assert [document.file.read() for document in documents] == [b"first", b"second"]
    assert {document.file.name for document in documents} <= set(s3_storage.object_keys())
