# The README's commands. Each installs what it needs first, from the hashed lock files in
# requirements/: `make run` only what running needs, `make test` the test tools as well.
# After changing dependencies in pyproject.toml, regenerate both lock files with `make lock`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
# One resolution for both files: the run lock is constrained by the test lock (a superset).
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock"

.PHONY: install install-test run test soak bench lint lock check-lock check-deploy messages screenshots

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv: on Debian or Ubuntu run 'apt-get install make python3-venv'." >&2; exit 1; }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: requirements/run.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements/run.txt
	touch $@

$(VENV)/.test-installed: requirements/test.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements/test.txt
	touch $(VENV)/.run-installed $@

install: $(VENV)/.run-installed

install-test: $(VENV)/.test-installed

run: install
	$(BIN)/python -m config.run

# The tests run on two workers (pytest-xdist), each with a database, Redis databases and a VAR_DIR
# of its own (tests/devenv.py). `--dist loadgroup` hands each worker tests in collection order, so
# each keeps pytest-django's order: tests that flush the database (transaction=True) after those
# that need its migrated rows (the roles' permissions); a module marked xdist_group runs whole on
# one worker, its module fixture made once. PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

# With services set (CI: PostgreSQL and Redis), the tests whose behaviour depends on the database
# or the broker kind run once more on `make run`'s defaults, SQLite and the SQLite broker, as on
# a newcomer's machine: bulk jobs (the segment's cut and the mirror's writes take paths of their
# own there), health, the default broker and the callback receiver (de-duplication in a table).
NO_SERVICES_TOO := tests/audience/test_jobs.py tests/project/test_stack.py \
	tests/project/test_default_broker.py tests/reports/test_callbacks.py

test: install-test
	$(PYTEST) --ignore=tests/soak
	if [ -n "$$DATABASE_URL$$REDIS_URL" ]; then \
		echo "--- once more without services (SQLite, SQLite broker):"; \
		env -u DATABASE_URL -u REDIS_URL VAR_DIR=$$(mktemp -d) $(PYTEST) -q -p no:cacheprovider \
			$(NO_SERVICES_TOO); \
	fi

# The soak (tests/soak): workers, schedulers, faults, a SIGKILL and restarts for a minute, with
# figures for BENCHMARKS.md, on a Redis of its own that it restarts. Not in `make test` (CI's time).
soak: install-test
	$(BIN)/python -m pytest tests/soak -s

bench: install-test
	$(BIN)/python -m bench.run

lint: install-test
	$(BIN)/ruff check .

# Update the Chinese catalogue from the code (then translate what is new, without fuzzy flags),
# and compile it. tests/project/test_translations.py fails while this would change anything.
messages: install
	DJANGO_DEVELOPMENT=1 $(BIN)/python manage.py makemessages -l zh_Hans --no-location -i ".venv/*" -i "var/*"
	msgfmt -o locale/zh_Hans/LC_MESSAGES/django.mo locale/zh_Hans/LC_MESSAGES/django.po

# Every page at phone and desktop width, in English and Chinese (docs/development.md).
screenshots: install-test
	$(BIN)/python docs/screenshots.py

# Production settings must pass Django's deployment checklist (CI runs this).
check-deploy: install
	DJANGO_DEVELOPMENT= SECRET_KEY=check-deploy-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
		ALLOWED_HOSTS=push.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

lock: | $(BIN)/python
	$(BIN)/pip install -q uv==$(UV_VERSION)
	$(UV_COMPILE) --extra test -o requirements/test.txt
	$(UV_COMPILE) -c requirements/test.txt -o requirements/run.txt

# CI: the lock files are what `make lock` makes from pyproject.toml now (uv keeps the pins it
# finds, so only a change to pyproject.toml changes them). Compiled in a copy, compared here.
check-lock: | $(BIN)/python
	$(BIN)/pip install -q uv==$(UV_VERSION)
	rm -rf var/lock-check && mkdir -p var/lock-check/requirements
	cp pyproject.toml var/lock-check/ && cp requirements/*.txt var/lock-check/requirements/
	cd var/lock-check && ../../$(UV_COMPILE) --extra test -o requirements/test.txt \
		&& ../../$(UV_COMPILE) -c requirements/test.txt -o requirements/run.txt
	diff -u requirements/test.txt var/lock-check/requirements/test.txt \
		&& diff -u requirements/run.txt var/lock-check/requirements/run.txt \
		|| { echo "The lock files are out of date with pyproject.toml: run 'make lock'." >&2; exit 1; }
	rm -rf var/lock-check
