"""The API half of scripts/container-smoke: talks to a running stack as the frontend does.

    python3 scripts/container_smoke_api.py BASE_URL USERNAME PASSWORD STEP [URL]

Steps: `readyz` (200, every dependency ok), `chat` (login, then the offline assistant answers
and says it is offline), `draft` (the document types list the NDA's inputs; a draft is queued
as a job: its status URL is printed), `expect-queued URL` (still queued: no worker took it),
`wait-drafted URL` (polls until drafted, with its text), `me` (prints the user's id),
`document CLIENT_ID` (as a lawyer: opens a case for that client and uploads a text file to it;
prints the case's and the document's ids), `wait-read CASE_ID DOCUMENT_ID` (as the client:
polls until the worker has read the document, downloads it whole, and asks the assistant about
the case, whose answer cites the document). The password comes with a second-factor code in
COUNSEL_OTP for staff. Standard library only: it runs on the host, not in the image. Exit
status 1 with the reason on stderr when a check fails.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

# The NDA's example inputs, as the wire names them (GET /api/ai/document-types lists them).
NDA_INPUTS = {
    "partyAName": "Northwind Analytics Ltd",
    "partyAAddress": "4 Castle Street, Edinburgh EH2 3AH, United Kingdom",
    "partyBName": "Harbour Lane Robotics Inc.",
    "partyBAddress": "200 Park Avenue, Suite 1700, New York, NY 10166, United States",
    "effectiveDate": "2026-12-01",
    "purpose": "evaluating a possible collaboration on warehouse robots",
    "termYears": 2,
    "confidentialityYears": 5,
    "governingLaw": "England and Wales",
    "jurisdiction": "the courts of England and Wales",
}
DRAFT_TIMEOUT_SECONDS = 120
DOCUMENT_TIMEOUT_SECONDS = 120
LEASE = (
    b"Lease of the riverside warehouse.\n\n"
    b"The tenant may terminate this lease by giving three months' written notice to the "
    b"landlord.\n"
)


class CheckFailed(Exception):
    pass


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    token: str = "",
    *,
    upload: tuple[str, bytes] | None = None,
) -> tuple[int, Any]:
    """`body` as JSON, or `upload` (file name, content) as the multipart field `file`."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if upload is not None:
        boundary = uuid.uuid4().hex
        name, content = upload
        data = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: text/plain\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the stack)
            status, raw = response.status, response.read()
            if response.headers.get_content_type() != "application/json":
                return status, raw
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")[:300]


def expect(condition: bool, what: str, got: Any) -> None:
    if not condition:
        raise CheckFailed(f"{what}; got {got!r}"[:2000])


def login(base: str, username: str, password: str) -> tuple[str, str]:
    """The access token and the user's id (a numeric string, as the contract sends it)."""
    credentials = {"username": username, "password": password}
    if otp := os.environ.get("COUNSEL_OTP"):
        credentials["otp"] = otp
    status, body = call(base, "POST", "/api/auth/login", credentials)
    expect(status == 200 and "access" in body, "login answers 200 with a token", (status, body))
    payload = body["access"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return body["access"], str(claims["user_id"])


def readyz(base: str) -> None:
    status, body = call(base, "GET", "/readyz")
    expect(status == 200 and body["status"] == "ok", "/readyz is ok", (status, body))
    print(f"readyz: {body['checks']}", file=sys.stderr)


def chat(base: str, token: str, user_id: str) -> None:
    status, body = call(
        base, "POST", "/api/ai/chat", {"userId": user_id, "message": "What is a tort?"}, token
    )
    expect(status == 200 and isinstance(body.get("answer"), str), "chat answers", (status, body))
    expect("offline" in body["answer"].lower(), "the offline assistant says so", body["answer"])
    status, body = call(
        base, "POST", "/api/ai/chat", {"userId": str(int(user_id) + 1), "message": "x"}, token
    )
    expect(status == 403, "another user's id is refused", (status, body))


def draft(base: str, token: str) -> str:
    status, types = call(base, "GET", "/api/ai/document-types", token=token)
    expect(status == 200, "document types are listed", (status, types))
    nda = next((t for t in types if t["type"] == "nda"), None)
    expect(nda is not None, "the NDA is a document type", [t["type"] for t in types])
    names = {field["name"] for field in nda["fields"]}
    expect(set(NDA_INPUTS) <= names, "the NDA takes these inputs", sorted(names))
    status, body = call(
        base,
        "POST",
        "/api/ai/generate-document",
        {"type": "nda", "inputs": NDA_INPUTS, "async": True},
        token,
    )
    expect(
        status == 202 and body.get("statusUrl"), "a background draft is accepted", (status, body)
    )
    return body["statusUrl"]


def draft_status(base: str, token: str, url: str) -> dict[str, Any]:
    status, body = call(base, "GET", url, token=token)
    expect(status == 200, f"{url} answers", (status, body))
    return body


def expect_queued(base: str, token: str, url: str) -> None:
    body = draft_status(base, token, url)
    expect(body["status"] == "queued", "with no worker the draft stays queued", body)


def wait_drafted(base: str, token: str, url: str) -> None:
    deadline = time.monotonic() + DRAFT_TIMEOUT_SECONDS
    while True:
        body = draft_status(base, token, url)
        if body["status"] in {"drafted", "approved"}:
            text = body.get("result", {}).get("draftText", "")
            expect("Northwind Analytics Ltd" in text, "the draft names its party", text[:300])
            print(f"{url}: {body['status']}, {len(text)} characters", file=sys.stderr)
            return
        expect(body["status"] != "failed", "the draft does not fail", body)
        expect(time.monotonic() < deadline, f"drafted within {DRAFT_TIMEOUT_SECONDS} s", body)
        time.sleep(1)


def document(base: str, token: str, user_id: str, client_id: str) -> None:
    case = {
        "title": "Riverside warehouse lease",
        "practiceArea": "property",
        "clientId": client_id,
        "lawyerIds": [user_id],
    }
    status, body = call(base, "POST", "/api/cases", case, token)
    expect(status == 201, "a lawyer opens a case", (status, body))
    case_id = body["id"]
    status, body = call(
        base, "POST", f"/api/cases/{case_id}/documents", token=token, upload=("lease.txt", LEASE)
    )
    expect(status == 201 and body["status"] == "queued", "a document is uploaded", (status, body))
    print(case_id, body["id"])


def wait_read(base: str, token: str, user_id: str, case_id: str, document_id: str) -> None:
    deadline = time.monotonic() + DOCUMENT_TIMEOUT_SECONDS
    while True:
        status, body = call(base, "GET", f"/api/documents/{document_id}", token=token)
        expect(status == 200, "the client sees the case's document", (status, body))
        if body["status"] == "ready":
            break
        expect(body["status"] != "failed", "the document is read", body)
        expect(time.monotonic() < deadline, f"read within {DOCUMENT_TIMEOUT_SECONDS} s", body)
        time.sleep(1)
    status, content = call(base, "GET", f"/api/documents/{document_id}/download", token=token)
    expect(status == 200 and content == LEASE, "the download is the file uploaded", status)
    question = {
        "userId": user_id,
        "message": "How can the tenant terminate the lease?",
        "context": {"caseId": int(case_id)},
    }
    status, body = call(base, "POST", "/api/ai/chat", question, token)
    cited = [ref for ref in body.get("references", []) if ref["type"] == "document"]
    expect(
        status == 200 and [ref["documentId"] for ref in cited] == [int(document_id)],
        "the answer cites the document",
        (status, body),
    )
    print(f"document {document_id}: read, downloaded, cited", file=sys.stderr)


def main(base: str, username: str, password: str, step: str, *args: str) -> None:
    if step == "readyz":
        readyz(base)
        return
    token, user_id = login(base, username, password)
    if step == "chat":
        chat(base, token, user_id)
    elif step == "draft":
        print(draft(base, token))
    elif step == "expect-queued":
        expect_queued(base, token, *args)
    elif step == "wait-drafted":
        wait_drafted(base, token, *args)
    elif step == "me":
        print(user_id)
    elif step == "document":
        document(base, token, user_id, *args)
    elif step == "wait-read":
        wait_read(base, token, user_id, *args)
    else:
        raise CheckFailed(f"unknown step {step}")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except CheckFailed as exc:
        print(f"check failed: {exc}", file=sys.stderr)
        sys.exit(1)
