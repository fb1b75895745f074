# cloudrise.openstack — developer entry points. `make demo` and `make test` are the two README commands.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
COLL := .tmp/collections/ansible_collections/cloudrise/openstack
LOCALCLOUD := tools/localcloud/localcloud
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.tmp/collections

# The oldest openstacksdk requirements.txt declares: CI runs the unit and integration tests with it too.
OLDEST_SDK := $(shell sed -n 's/^openstacksdk>=\([0-9.]*\).*/\1/p' requirements.txt)
VENV_OLDEST := .venv-oldest
# One target per service family, re-run on the oldest SDK (all of them: COMPAT_TARGETS="$$(ls tests/integration/targets)").
COMPAT_TARGETS ?= stack software_config cluster receiver baremetal_instance

.PHONY: venv link compat molecule demo teardown localcloud test lint sanity units integration build clean
.PHONY: docs docs-test

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	tools/ci/install-ansible-test-pip-standin $(PY)
	touch $@

venv: $(VENV)/.installed

$(VENV_OLDEST)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV_OLDEST)
	$(VENV_OLDEST)/bin/pip install -q --disable-pip-version-check 'ansible-core>=2.16,<2.20' pytest pyyaml \
	  'openstacksdk==$(OLDEST_SDK)'
	touch $@

link:
	@mkdir -p $(dir $(COLL))
	@[ -e $(COLL) ] || ln -s $(CURDIR) $(COLL)

localcloud:
	$(LOCALCLOUD) up

# The main job: provision the whole environment end to end on the local cloud. The playbooks name no cloud:
# DEMO_VARS gives them the local cloud's own values (its image); add more, e.g. DEMO_VARS+='-e demo_prefix=x'.
DEMO_VARS ?= -e @playbooks/vars/localcloud.yml
demo: venv link localcloud
	eval "$$($(LOCALCLOUD) env)" && $(VENV)/bin/ansible-playbook -i localhost, $(DEMO_VARS) playbooks/provision.yml

teardown: venv link
	eval "$$($(LOCALCLOUD) env)" && $(VENV)/bin/ansible-playbook -i localhost, $(DEMO_VARS) playbooks/teardown.yml

lint: venv link
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ansible-lint
	$(VENV)/bin/antsibull-changelog lint

# ansible-test wants the collection at ansible_collections/<ns>/<name>: run it on a copy of what ships.
sanity: venv
	rm -rf .tmp/sanity && mkdir -p .tmp/sanity/ansible_collections/cloudrise/openstack
	git ls-files -co --exclude-standard -- galaxy.yml README.md meta plugins roles playbooks tests changelogs docs \
	  | grep -v '^tests/output' | tar -cf - -T - | tar -xf - -C .tmp/sanity/ansible_collections/cloudrise/openstack
	cd .tmp/sanity/ansible_collections/cloudrise/openstack && git init -q && git add -A && \
	  $(CURDIR)/$(VENV)/bin/ansible-test sanity --requirements --python 3.11 --color no

units: venv link
	$(PY) -m pytest tests/unit

integration: venv link
	$(PY) -m pytest --durations=30 tests/integration

# Unit tests and the COMPAT_TARGETS integration targets on the oldest supported openstacksdk (CLOUDRISE_COMPAT=1
# leaves out the slow parts that repeat no SDK call: the cluster target's failing-template test).
compat: $(VENV_OLDEST)/.installed link
	$(VENV_OLDEST)/bin/python -m pytest tests/unit/plugins
	CLOUDRISE_COMPAT=1 $(VENV_OLDEST)/bin/python -m pytest --durations=10 $(foreach t,$(COMPAT_TARGETS),'tests/integration/test_targets.py::test_target[$(t)]')

# The role scenarios alone (they also run inside `make integration`).
molecule: venv link localcloud
	eval "$$($(LOCALCLOUD) env)" && PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/molecule test --all

test: lint sanity build docs docs-test units integration compat

# Build the tarball, install it, render every module's docs from the installed copy.
build: venv
	tools/ci/check-build $(VENV)

# The docs site (antsibull-docs + Sphinx, guides from docs/*.md) in .tmp/docs/html, and a headless browser on it
# (selenium with Debian's chromium and chromium-driver). Its own venv: the docs tools pin their own Sphinx/docutils.
VENV_DOCS := .venv-docs
$(VENV_DOCS)/.installed: requirements-docs.txt
	$(PYTHON) -m venv $(VENV_DOCS)
	$(VENV_DOCS)/bin/pip install -q --disable-pip-version-check -r requirements-docs.txt
	touch $@

docs: $(VENV_DOCS)/.installed link
	$(VENV_DOCS)/bin/python tools/docs/build.py --venv $(VENV_DOCS)

docs-test: $(VENV_DOCS)/.installed
	$(VENV_DOCS)/bin/python -m pytest -p no:cacheprovider tests/docs

clean:
	rm -rf .tmp tests/output
