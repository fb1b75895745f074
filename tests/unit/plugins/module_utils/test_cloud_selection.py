"""Which cloud a task without ``cloud`` uses, and the warning when stray ``OS_*`` variables hide a clouds.yaml.

The table is checked twice: against the base's own reading (``envvars_cloud_warning``) and against openstacksdk's
loader itself (``OpenStackConfig().get_one()``), so the warning fires exactly when openstacksdk picks its
``envvars`` cloud over the clouds.yaml (the AWX credential's case: ``OS_CLIENT_CONFIG_FILE`` only).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
from module_args import patch_module_args
from openstack.config import loader

from ansible_collections.cloudrise.openstack.plugins.module_utils import _base
from ansible_collections.cloudrise.openstack.plugins.module_utils._base import (
    CloudModule, clouds_yaml_in_use, envvars_cloud_variables, envvars_cloud_warning)

CLOUDS_YAML = '''clouds:
  devstack:
    auth: {auth_url: "http://127.0.0.1:5000/v3", username: demo, password: file-secret, project_name: demo,
           user_domain_name: Default, project_domain_name: Default}
    region_name: RegionOne
'''
SECRET = 'canary-env-secret'


@pytest.fixture()
def clouds_yaml(tmp_path):
    path = tmp_path / 'clouds.yaml'
    path.write_text(CLOUDS_YAML)
    return str(path)


@pytest.fixture()
def environ(monkeypatch):
    """os.environ without any OS_* variable; the test sets its own."""
    for key in list(os.environ):
        if key.startswith('OS_'):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.mark.parametrize('env, names', [
    ({}, []),
    ({'OS_CLOUD': 'x', 'OS_REGION_NAME': 'R', 'OS_CLIENT_CONFIG_FILE': '/c', 'OS_CLIENT_SECURE_FILE': '/s',
      'OS_CLOUD_NAME': 'n'}, []),
    ({'OS_TEST_TIMEOUT': '1', 'OS_STDOUT_CAPTURE': '1', 'OS_LOG_CAPTURE': '1'}, []),
    ({'OS_AUTH_URL': 'http://k', 'OS_PASSWORD': SECRET, 'OS_CLIENT_CONFIG_FILE': '/c', 'HOME': '/h'},
     ['OS_AUTH_URL', 'OS_PASSWORD']),
    ({'OS_INTERFACE': 'internal'}, ['OS_INTERFACE']),
])
def test_envvars_cloud_variables_are_those_the_sdk_takes(env, names):
    assert envvars_cloud_variables(env) == names


# (environment without the clouds.yaml, the `cloud` option, the cloud openstacksdk uses, warned)
# CLOUDS in the environment is replaced by OS_CLIENT_CONFIG_FILE=<a clouds.yaml with the one cloud `devstack`>.
CASES = [
    # the AWX credential as AWX injects it: its only cloud is used, whatever its name
    ({'CLOUDS': 1}, None, 'devstack', False),
    # a stray OS_AUTH_URL (or any auth variable) wins over it, silently in openstacksdk: warned
    ({'CLOUDS': 1, 'OS_AUTH_URL': 'http://elsewhere:5000/v3'}, None, 'envvars', True),
    ({'CLOUDS': 1, 'OS_PASSWORD': SECRET, 'OS_USERNAME': 'admin'}, None, 'envvars', True),
    ({'CLOUDS': 1, 'OS_AUTH_URL': 'http://elsewhere:5000/v3', 'OS_CLOUD_NAME': 'fromenv'}, None, 'fromenv', True),
    # selectors alone make no envvars cloud
    ({'CLOUDS': 1, 'OS_REGION_NAME': 'RegionOne'}, None, 'devstack', False),
    # OS_CLOUD or the cloud option choose the cloud: the stray variables do not matter then
    ({'CLOUDS': 1, 'OS_AUTH_URL': 'http://elsewhere:5000/v3', 'OS_CLOUD': 'devstack'}, None, 'devstack', False),
    ({'CLOUDS': 1, 'OS_AUTH_URL': 'http://elsewhere:5000/v3'}, 'devstack', 'devstack', False),
    # an empty OS_CLOUD is no choice (openstacksdk reads it as unset)
    ({'CLOUDS': 1, 'OS_AUTH_URL': 'http://elsewhere:5000/v3', 'OS_CLOUD': ''}, None, 'envvars', True),
    # no clouds.yaml: the OS_* variables are the configuration (an openrc file), nothing to warn about
    ({'OS_AUTH_URL': 'http://k:5000/v3', 'OS_USERNAME': 'u'}, None, 'envvars', False),
]


def _environment(env, clouds_yaml):
    env = dict(env)
    if env.pop('CLOUDS', None):
        env['OS_CLIENT_CONFIG_FILE'] = clouds_yaml
    return env


@pytest.mark.parametrize('env, cloud, used, warned', CASES)
def test_the_warning_fires_when_the_sdk_prefers_the_envvars_cloud(env, cloud, used, warned, clouds_yaml, environ):
    env = _environment(env, clouds_yaml)
    for key, value in env.items():
        environ.setenv(key, value)
    # openstacksdk's own choice, with no clouds.yaml but the one OS_CLIENT_CONFIG_FILE names
    config = loader.OpenStackConfig(config_files=[], vendor_files=[], secure_files=[])
    assert config.get_one(cloud=cloud, validate=False).name == used

    warning = envvars_cloud_warning(cloud, env, config_files=[])
    assert (warning is not None) is warned
    if warned:
        assert warning.startswith("cloud is not set and neither is OS_CLOUD, so openstacksdk uses its '%s' cloud" % used)
        assert ', '.join(envvars_cloud_variables(env)) in warning and clouds_yaml in warning
        assert SECRET not in warning and 'elsewhere' not in warning


def test_clouds_yaml_in_use_follows_the_sdk_search_order(tmp_path):
    first, second = tmp_path / 'a.yaml', tmp_path / 'b.yaml'
    second.write_text(CLOUDS_YAML)
    assert clouds_yaml_in_use({}, [str(first), str(second)]) == str(second)
    first.write_text(CLOUDS_YAML)
    assert clouds_yaml_in_use({}, [str(first), str(second)]) == str(first)
    assert clouds_yaml_in_use({'OS_CLIENT_CONFIG_FILE': str(second)}, [str(first)]) == str(second)
    # a missing OS_CLIENT_CONFIG_FILE is skipped, as openstacksdk skips it
    assert clouds_yaml_in_use({'OS_CLIENT_CONFIG_FILE': str(tmp_path / 'none')}, [str(first)]) == str(first)
    assert clouds_yaml_in_use({}, [str(tmp_path / 'none')]) is None


def test_the_default_search_paths_are_the_sdk_loader_s():
    assert list(_base.sdk_config_files()) == list(loader.CONFIG_FILES)
    assert any(path.endswith('/clouds.yaml') for path in loader.CONFIG_FILES)


class Probe(CloudModule):
    argument_spec = dict(name=dict(required=True))

    def run(self):
        return self.result()


@pytest.mark.parametrize('args, warned', [({'name': 'x'}, True), ({'name': 'x', 'cloud': 'devstack'}, False)])
def test_a_task_warns_once_before_it_connects(args, warned, clouds_yaml, environ):
    environ.setenv('OS_CLIENT_CONFIG_FILE', clouds_yaml)
    environ.setenv('OS_AUTH_URL', 'http://elsewhere:5000/v3')
    environ.setenv('OS_PASSWORD', SECRET)
    connected, messages = [], []
    environ.setattr(_base.openstack, 'connect', lambda **kwargs: connected.append(kwargs) or FakeConnection())
    environ.setattr(Probe, 'warn', lambda self, msg: messages.append(msg))
    with patch_module_args(args):
        module = Probe()
    assert module.conn is module.conn
    assert len(connected) == 1
    assert len(messages) == int(warned)
    if warned:
        assert 'OS_AUTH_URL, OS_PASSWORD' in messages[0] and SECRET not in messages[0]


class FakeConnection(object):
    session = None
