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
.PHONY: newest sanity-oldest sanity-newest sanity-range
.PHONY: docs docs-test bench

# The ansible-core range meta/runtime.yml claims, tested at both ends. The oldest (requires_ansible's floor) goes
# into .venv-oldest with the oldest openstacksdk, so `make compat` is also the oldest-ansible-core run; the newest
# release line gets .venv-newest on Python >= 3.12 (ansible-core 2.20+ need it; tools/ci/find-python finds one).
# .venv keeps requirements-dev.txt's ansible-core.
OLDEST_ANSIBLE := $(shell sed -n 's/^requires_ansible: *">=\([0-9.]*\)".*/\1/p' meta/runtime.yml)
NEWEST_ANSIBLE := 2.21.0
VENV_NEWEST := .venv-newest
NEWEST_PYTHON = $(shell $(VENV_NEWEST)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# Units and these fast integration targets run on the newest ansible-core (`make newest`).
NEWEST_TARGETS ?= stack_info software_config

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	tools/ci/install-ansible-test-pip-standin $(PY)
	touch $@

venv: $(VENV)/.installed

# The stamp names the versions, so a venv made for other ones is remade.
$(VENV_OLDEST)/.installed-$(OLDEST_ANSIBLE)-$(OLDEST_SDK): requirements.txt
	rm -rf $(VENV_OLDEST) && $(PYTHON) -m venv $(VENV_OLDEST)
	$(VENV_OLDEST)/bin/pip install -q --disable-pip-version-check 'ansible-core==$(OLDEST_ANSIBLE)' pytest pyyaml \
	  'openstacksdk==$(OLDEST_SDK)'
	tools/ci/install-ansible-test-pip-standin $(VENV_OLDEST)/bin/python
	touch $@

$(VENV_NEWEST)/.installed-$(NEWEST_ANSIBLE): requirements.txt
	rm -rf $(VENV_NEWEST) && "$$(tools/ci/find-python 3.13 3.12)" -m venv $(VENV_NEWEST)
	$(VENV_NEWEST)/bin/pip install -q --disable-pip-version-check 'ansible-core~=$(NEWEST_ANSIBLE)' pytest \
	  -r requirements.txt
	tools/ci/install-ansible-test-pip-standin $(VENV_NEWEST)/bin/python
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

# The side-by-side benchmark (benchmarks/bench.py): after make demo, on its local cloud. Not a test: it measures,
# rewrites the generated part of docs/performance.md and docs/performance.png (about half an hour).
# BENCH_ARGS picks parts and rounds, e.g. BENCH_ARGS='--parts heat,phases --rounds 5'.
BENCH_ARGS ?=
bench: venv link localcloud $(VENV)/.installed-bench
	eval "$$($(LOCALCLOUD) env)" && $(VENV)/bin/python benchmarks/bench.py $(BENCH_ARGS)

$(VENV)/.installed-bench: benchmarks/requirements.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q --disable-pip-version-check -r benchmarks/requirements.txt
	touch $@

lint: venv link
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ansible-lint
	$(VENV)/bin/antsibull-changelog lint

# ansible-test wants the collection at ansible_collections/<ns>/<name>: run it on a copy of what ships.
# $(call run-sanity,venv,python version): one copy per venv, so the three runs can go in parallel (make -j).
define run-sanity
	rm -rf .tmp/sanity/$(1) && mkdir -p .tmp/sanity/$(1)/ansible_collections/cloudrise/openstack
	git ls-files -co --exclude-standard -- galaxy.yml README.md meta plugins roles playbooks tests changelogs docs \
	  | grep -v '^tests/output' | tar -cf - -T - | tar -xf - -C .tmp/sanity/$(1)/ansible_collections/cloudrise/openstack
	cd .tmp/sanity/$(1)/ansible_collections/cloudrise/openstack && git init -q && git add -A && \
	  $(CURDIR)/$(1)/bin/ansible-test sanity --requirements --python $(2) --color no
endef

sanity: venv
	$(call run-sanity,$(VENV),3.11)

sanity-oldest: $(VENV_OLDEST)/.installed-$(OLDEST_ANSIBLE)-$(OLDEST_SDK)
	$(call run-sanity,$(VENV_OLDEST),3.11)

sanity-newest: $(VENV_NEWEST)/.installed-$(NEWEST_ANSIBLE)
	$(call run-sanity,$(VENV_NEWEST),$(NEWEST_PYTHON))

# `make test` runs sanity at both ends of the range, side by side (pylint, the bulk, is single-threaded); the
# middle (.venv's ansible-core, `make sanity`) has passed whenever both ends have, so CI leaves it out.
sanity-range:
	$(MAKE) --no-print-directory -j2 --output-sync=target sanity-oldest sanity-newest

units: venv link
	$(PY) -m pytest tests/unit

integration: venv link
	$(PY) -m pytest --durations=30 tests/integration

# Unit tests and the COMPAT_TARGETS integration targets on the oldest supported openstacksdk and ansible-core (CLOUDRISE_COMPAT=1
# leaves out the slow parts that repeat no SDK call: the cluster target's failing-template test).
compat: $(VENV_OLDEST)/.installed-$(OLDEST_ANSIBLE)-$(OLDEST_SDK) link
	$(VENV_OLDEST)/bin/python -m pytest tests/unit/plugins
	CLOUDRISE_COMPAT=1 $(VENV_OLDEST)/bin/python -m pytest --durations=10 $(foreach t,$(COMPAT_TARGETS),'tests/integration/test_targets.py::test_target[$(t)]')

# Units and the NEWEST_TARGETS integration targets on the newest ansible-core (and the newest openstacksdk).
newest: $(VENV_NEWEST)/.installed-$(NEWEST_ANSIBLE) link
	$(VENV_NEWEST)/bin/python -m pytest tests/unit/plugins
	$(VENV_NEWEST)/bin/python -m pytest --durations=10 $(foreach t,$(NEWEST_TARGETS),'tests/integration/test_targets.py::test_target[$(t)]')

# The role scenarios alone (they also run inside `make integration`).
molecule: venv link localcloud
	eval "$$($(LOCALCLOUD) env)" && PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/molecule test --all

test: lint sanity-range build docs docs-test units integration compat newest

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
