"""Fixtures for tests that run against the local real cloud (tools/localcloud)."""

import os

import pytest

from awx_jobs import AWX_OUTPUT, Job, devstack_clouds_yaml
from localcloud_fixture import LocalCloudError, localcloud_env


@pytest.fixture(scope='session')
def localcloud():
    """Brings tools/localcloud up once per run (LOCALCLOUD_SKIP_UP=1: use a running one).

    Returns the dict of `localcloud env` (OS_CLIENT_CONFIG_FILE, OS_CLOUD,
    LOCALCLOUD_IMAGE_URL, LOCALCLOUD_IMAGE_CHECKSUM, LOCALCLOUD_HOME) and sets those
    variables in os.environ for the session.  The cloud is left running afterwards.
    """
    try:
        env = localcloud_env()
    except LocalCloudError as exc:
        pytest.fail(str(exc), pytrace=False)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope='session')
def ansible_env(collections_path, localcloud):
    """The environment every ansible command of the integration tests runs with: the local cloud's variables,
    this checkout as the collection, plain output (no colour, the default callback), no localhost warnings."""
    env = dict(os.environ, **localcloud)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        NO_COLOR='1',
        ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default',
        ANSIBLE_LOCALHOST_WARNING='false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
    )
    return env


@pytest.fixture(scope='session')
def awx_credential(localcloud):
    """The clouds.yaml an AWX OpenStack credential for the local cloud writes (one cloud ``devstack``)."""
    return devstack_clouds_yaml(localcloud['OS_CLIENT_CONFIG_FILE'], localcloud['OS_CLOUD'])


@pytest.fixture(scope='session')
def awx_job(awx_credential, collections_path):
    """``awx_job(name, playbook, **kwargs)``: a ``Job`` (awx_jobs.py) with the credential and this checkout's
    collections, its private data dir under tests/output/integration/awx/."""
    def make(name, playbook, **kwargs):
        kwargs.setdefault('credential', awx_credential)
        return Job(AWX_OUTPUT, name, playbook, collections_path=collections_path, **kwargs)
    return make
