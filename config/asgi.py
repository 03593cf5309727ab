from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.asgi_handler import CounselASGIHandler  # noqa: E402  (needs the apps loaded)

application = CounselASGIHandler()
