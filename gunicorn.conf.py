"""gunicorn's settings for Counsel, read from the folder it is started in: `gunicorn` alone
serves the app (the options on its command line still win).

Threaded workers rather than gunicorn's default sync ones. A sync worker that has not come
back to its arbiter within `timeout` (30 s) is killed in the middle of its request, and an AI
call may wait on the provider for up to LLM_DEADLINE_MS (50 s by default), a streamed answer
for as long as the model writes: the caller would get a 500 and the call would
never be recorded. A gthread worker reports from its own loop while its threads serve, so a
long request is never mistaken for a hung worker; and the other threads go on answering while
some wait on the provider. Each thread keeps its own database connection (CONN_MAX_AGE), so a
machine holds up to workers x threads of them.
"""

import os

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

wsgi_app = "config.wsgi"
worker_class = "gthread"
# WEB_CONCURRENCY is gunicorn's own variable for the number of worker processes.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
keepalive = 5
# On a restart, a request in flight may be an AI call still inside its deadline.
graceful_timeout = settings.LLM_DEADLINE_MS // 1000 + 10
