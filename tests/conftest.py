from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_redis import get_redis_connection
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for
from config.celery import app as celery_app
from tests.celery_settings import celery_conf
from tests.factories import AdminFactory, ClientFactory, LawyerFactory, TOTPDeviceFactory

# The fake OpenAI-compatible server (`fake_llm`) serves every test package that talks to the
# LLM; the S3-compatible server (`s3_server`) the storage tests; the SMTP server (`smtp_server`)
# the tests that read the e-mail the app sends.
pytest_plugins = ["tests.fake_llm", "tests.s3_server", "tests.smtp_server"]

# The suites that start servers, browsers or workers, fuzz, or time growth on large inputs:
# `pytest -m "not slow"` leaves them out for a quick loop (docs/testing.md). Paths under tests/.
SLOW = (
    "containers/",
    "cases/test_hostile_documents.py",
    "faults/",
    "browser/",
    "fuzz/test_openapi",  # the fixed, randomized and served profiles
    "privacy/test_scrubber_corpus.py",
    "privacy/test_no_secret_leaves.py",
    "security/test_batch_upload_linear_time.py",
    "security/test_documents_linear_time.py",
    "security/test_rules_linear_time.py",
    "security/test_scrubber_linear_time.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = item.path.relative_to(item.config.rootpath / "tests").as_posix()
        if where.startswith(SLOW) or item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _services_reachable() -> None:
    """When the settings name Redis or a broker, the suite runs on them or not at all: the
    code under test fails open on a cache outage, so a dead Redis would otherwise go unseen."""
    if settings.REDIS_URL:
        get_redis_connection("default").ping()
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=2, timeout=5)


@pytest.fixture(scope="session", autouse=True)
def _media_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploaded files go to a folder of the run's own, never the app's var/media; a worker
    process the tests start reads it from the environment."""
    media = tmp_path_factory.mktemp("media")
    os.environ["MEDIA_ROOT"] = str(media)
    with override_settings(MEDIA_ROOT=media):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    # The default hasher costs about a second per user on a busy machine; the suite makes
    # hundreds of users and tests no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # The cache is shared (Redis in CI): a test never sees another test's entries.
    cache.clear()


@pytest.fixture
def redis_down(settings: Settings) -> None:
    """The cache is a Redis server that does not answer (nothing listens on its port)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }


@pytest.fixture
def client_user(db: None) -> User:
    return ClientFactory()


@pytest.fixture
def lawyer(db: None) -> User:
    return LawyerFactory()


@pytest.fixture
def admin_user(db: None) -> User:
    return AdminFactory()


@pytest.fixture
def api_client_for() -> Callable[[User], APIClient]:
    """An API client carrying the JWT a user gets after a full login (OTP passed for staff)."""

    def make(user: User) -> APIClient:
        api = APIClient()
        access = tokens_for(user=user, otp_verified=user.is_staff_member)["access"]
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return api

    return make


@pytest.fixture
def page_client_for() -> Callable[[User], Client]:
    """A browser-like client logged in to the pages, OTP-verified when the user is staff."""

    def make(user: User) -> Client:
        page = Client()
        page.force_login(user)
        if user.is_staff_member:
            device = TOTPDeviceFactory(user=user)
            session = page.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return page

    return make


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run inside the test, at once, as soon as they are published (retries too)."""
    with celery_conf(task_always_eager=True):
        yield
