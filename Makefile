.PHONY: run test lint bench

# Set up everything and run the app (embedded defaults: SQLite, local cache, offline AI).
run:
	./scripts/run

# Set up and run the test suite (SQLite unless DATABASE_URL / REDIS_URL point elsewhere).
test:
	./scripts/setup --dev
	.venv/bin/pytest

lint:
	./scripts/setup --dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	./scripts/api-client check
