# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets of the Senlin modules (issue 10 #1, #3, #4): canary values driven through the receiver, cluster_info,
cluster_profile and cluster modules (success, check mode with --diff, a failure), and the cluster and provision
roles' tasks that carry webhook URLs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import pathlib

import pytest
import yaml
from module_args import INJECT_INVOCATION, patch_module_args

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import SpecView, merge_spec_secrets
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.receiver import redact_receiver
from ansible_collections.cloudrise.openstack.plugins.modules import cluster, cluster_info, cluster_profile, receiver
from ansible_collections.cloudrise.openstack.tests.unit.plugins.module_utils.test_senlin import (
    CID, FakeProxy, FakeResponse, client_for, heat_spec)

ROOT = pathlib.Path(__file__).resolve().parents[4]
RID = '99999999-8888-7777-6666-555555555555'
URL = 'http://senlin:8777/v1/webhooks/%s/trigger?V=2&count=1' % RID
HOOK = dict(id=RID, name='hook', type='webhook', cluster_id=CID, action='CLUSTER_SCALE_OUT', params={'count': '1'},
            channel={'alarm_url': URL})
CANARY = 'canary-Zx81-secret'
MASKED = (REDACTED, 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER')  # Ansible's masks: within a text, a whole value
SECRET_CANARY = 'canary-Qp42-no-log'


def run(module, cls, monkeypatch, capsys, client, **params):
    """The module's JSON output (as Ansible would get it), on a fake Senlin."""
    monkeypatch.setattr(module, 'SenlinClient', lambda *a, **kw: client)
    monkeypatch.setattr(cls, 'conn', object())
    with patch_module_args(dict(params, _ansible_diff=True, **INJECT_INVOCATION)):
        with pytest.raises(SystemExit):
            cls()()
    return capsys.readouterr().out


# -- #4 webhook receivers -------------------------------------------------------------------------------

def test_redact_receiver_hides_the_id_of_a_webhook_not_of_a_message_receiver():
    redacted = redact_receiver(HOOK, True)
    assert redacted['id'] == REDACTED and redacted['channel']['alarm_url'] == REDACTED
    assert RID not in json.dumps(redacted)
    message = dict(HOOK, type='message', channel={'queue_name': 'q'})
    assert redact_receiver(message, True)['id'] == RID


def receiver_routes():
    return {('GET', '/receivers?name=hook'): FakeResponse(200, {'receivers': [dict(HOOK)]}),
            ('GET', '/clusters?name=web'): FakeResponse(200, {'clusters': [{'id': CID, 'name': 'web'}]})}


@pytest.mark.parametrize('check', [True, False])
def test_receiver_hides_url_and_id_by_default(monkeypatch, capsys, clock, check):
    out = run(receiver, receiver.ReceiverModule, monkeypatch, capsys, client_for(clock, FakeProxy(receiver_routes())),
              name='hook', cluster='web', action='CLUSTER_SCALE_OUT', params={'count': 1}, _ansible_check_mode=check)
    result = json.loads(out)
    assert result['changed'] is False
    assert result['alarm_url'] == REDACTED and result['receiver']['id'] == REDACTED
    assert RID not in out and 'webhooks' not in out


def test_receiver_update_failure_does_not_give_the_id_away(monkeypatch, capsys, clock):
    patch = FakeResponse(500, {'error': {'message': 'Receiver %s could not be updated' % RID}})
    proxy = FakeProxy(receiver_routes())
    proxy.routes[('PATCH', '/receivers/%s' % RID)] = patch
    out = run(receiver, receiver.ReceiverModule, monkeypatch, capsys, client_for(clock, proxy),
              name='hook', action='CLUSTER_SCALE_IN')
    result = json.loads(out)
    assert result['failed'] is True and 'could not be updated' in result['msg']
    assert RID not in out


def test_receiver_with_hide_url_false_returns_the_url(monkeypatch, capsys, clock):
    out = run(receiver, receiver.ReceiverModule, monkeypatch, capsys, client_for(clock, FakeProxy(receiver_routes())),
              name='hook', hide_url=False)
    result = json.loads(out)
    assert result['alarm_url'] == URL and result['receiver']['id'] == RID


def test_cluster_info_hides_receiver_urls_and_ids_by_default(monkeypatch, capsys, clock):
    routes = {('GET', '/clusters?name=web'): FakeResponse(200, {'clusters': [{'id': CID, 'name': 'web'}]}),
              ('GET', '/receivers'): FakeResponse(200, {'receivers': [dict(HOOK)]})}
    out = run(cluster_info, cluster_info.ClusterInfoModule, monkeypatch, capsys, client_for(clock, FakeProxy(routes)),
              name='web', with_receivers=True)
    assert json.loads(out)['clusters'][0]['receivers'][0]['id'] == REDACTED
    assert RID not in out
    out = run(cluster_info, cluster_info.ClusterInfoModule, monkeypatch, capsys, client_for(clock, FakeProxy(routes)),
              name='web', with_receivers=True, hide_urls=False)
    assert json.loads(out)['clusters'][0]['receivers'][0]['channel']['alarm_url'] == URL


def role_tasks(path):
    return yaml.safe_load((ROOT / path).read_text())


@pytest.mark.parametrize('path, marker', [
    ('roles/cluster/tasks/present.yml', 'cloudrise.openstack.receiver'),
    ('roles/cluster/tasks/present.yml', 'cluster_receiver_urls'),
    ('roles/provision/tasks/cluster.yml', 'receiver_urls'),
])
def test_role_tasks_that_carry_webhook_urls_are_no_log(path, marker):
    tasks = [t for t in role_tasks(path) if marker in json.dumps(t)
             and ('register' in t or 'ansible.builtin.set_fact' in t)]
    assert tasks, 'no task of %s carries %s' % (path, marker)
    assert [t['name'] for t in tasks if t.get('no_log') is not True] == []


def test_role_asks_for_the_url_it_publishes():
    task = [t for t in role_tasks('roles/cluster/tasks/present.yml') if 'cloudrise.openstack.receiver' in t][0]
    assert task['cloudrise.openstack.receiver']['hide_url'] is False


# -- #1 and #3 profile specs ------------------------------------------------------------------------------

def canary_spec():
    return heat_spec(parameters={'flavor': 'small', 'password': CANARY})


def test_spec_view_redacts_values_and_shows_what_changed():
    view = SpecView()
    before, after = view.show(canary_spec()), view.show(heat_spec(parameters={'flavor': 'big', 'password': CANARY}))
    assert CANARY not in json.dumps([before, after])
    assert before['type'] == 'os.heat.stack' and before['version'] == '1.0'
    assert sorted(before['properties']) == ['parameters', 'template']
    assert before['properties']['parameters']['password'] == after['properties']['parameters']['password']
    assert before['properties']['parameters']['flavor'] != after['properties']['parameters']['flavor']
    assert before['properties']['template'].startswith(REDACTED + ' ')
    assert SpecView().show(canary_spec()) != before            # a key per task: no digest to look up offline
    assert SpecView(full=True).show(canary_spec()) == canary_spec()


@pytest.mark.parametrize('props, params, expected', [
    (None, {'password': 's'}, {'template': {'t': 1}, 'parameters': {'a': 1, 'password': 's'}}),
    ({'timeout': 9}, None, {'template': {'t': 1}, 'parameters': {'a': 1}, 'timeout': 9}),
    ({'timeout': 9}, {'c': 3}, {'template': {'t': 1}, 'parameters': {'a': 1, 'c': 3}, 'timeout': 9}),
])
def test_merge_spec_secrets(props, params, expected):
    spec = {'type': 'os.heat.stack', 'version': '1.0', 'properties': {'template': {'t': 1}, 'parameters': {'a': 1}}}
    merged = merge_spec_secrets(spec, props, params)
    assert merged['properties'] == expected
    assert spec['properties']['parameters'] == {'a': 1}


@pytest.mark.parametrize('spec, message', [
    (None, 'secret_parameters needs spec'),
    ({'type': 'os.nova.server', 'version': '1.0', 'properties': {}}, 'secret_parameters is for os.heat.stack specs'),
    (heat_spec(parameters={'p': 'typed'}), 'A name is set in both the spec parameters and secret_parameters: p'),
])
def test_merge_spec_secrets_errors(spec, message):
    with pytest.raises(InvalidInput) as err:
        merge_spec_secrets(spec, None, {'p': 'x'})
    assert message in err.value.msg


def test_merge_spec_secret_properties_overlap_fails():
    with pytest.raises(InvalidInput) as err:
        merge_spec_secrets(heat_spec(), {'template': {}}, None)
    assert 'A name is set in both the spec properties and secret_properties: template' in err.value.msg


def profile_routes(existing=None):
    routes = {('GET', '/profiles?name=web'): FakeResponse(200, {'profiles': [existing] if existing else []}),
              ('POST', '/profiles/validate'): FakeResponse(200, {'profile': {}})}
    if existing:
        routes[('GET', '/clusters')] = FakeResponse(200, {'clusters': []})
        routes[('GET', '/nodes')] = FakeResponse(200, {'nodes': []})
    return routes


@pytest.mark.parametrize('existing', [None, dict(id='p1', name='web', spec=heat_spec(parameters={'password': 'old'}),
                                                 metadata={})])
def test_cluster_profile_diff_redacts_the_spec_by_default(monkeypatch, capsys, clock, existing):
    out = run(cluster_profile, cluster_profile.ClusterProfileModule, monkeypatch, capsys,
              client_for(clock, FakeProxy(profile_routes(existing))), name='web', spec=canary_spec(),
              _ansible_check_mode=True)
    result = json.loads(out)
    assert result['changed'] is True
    assert CANARY not in json.dumps(result['diff'])
    shown = result['diff']['after'].get('spec') or result['diff']['after']['attributes']['spec']
    assert shown['properties']['parameters']['password'].startswith(REDACTED)


def test_cluster_profile_diff_secrets_opt_in_shows_the_spec(monkeypatch, capsys, clock):
    out = run(cluster_profile, cluster_profile.ClusterProfileModule, monkeypatch, capsys,
              client_for(clock, FakeProxy(profile_routes())), name='web', spec=canary_spec(), diff_secrets=True,
              secret_parameters={'db_password': SECRET_CANARY}, _ansible_check_mode=True)
    result = json.loads(out)
    spec = result['diff']['after']['attributes']['spec']
    assert spec['properties']['parameters']['password'] == CANARY
    assert spec['properties']['parameters']['db_password'] in MASKED   # a no_log value stays masked
    assert SECRET_CANARY not in out


def test_cluster_profile_secret_parameters_reach_senlin_but_not_the_output(monkeypatch, capsys, clock):
    proxy = FakeProxy(profile_routes())
    proxy.routes[('POST', '/profiles')] = FakeResponse(201, {'profile': dict(
        id='p1', name='web', spec=heat_spec(parameters={'flavor': 'small', 'db_password': SECRET_CANARY}))})
    out = run(cluster_profile, cluster_profile.ClusterProfileModule, monkeypatch, capsys, client_for(clock, proxy),
              name='web', spec=heat_spec(parameters={'flavor': 'small'}),
              secret_parameters={'db_password': SECRET_CANARY})
    sent = [body for method, path, body in proxy.calls if (method, path) == ('POST', '/profiles')][0]
    assert sent['profile']['spec']['properties']['parameters'] == {'flavor': 'small', 'db_password': SECRET_CANARY}
    assert json.loads(out)['changed'] is True
    assert SECRET_CANARY not in out


def test_cluster_profile_failure_before_any_write_keeps_secrets_out_of_invocation(monkeypatch, capsys, clock):
    proxy = FakeProxy(profile_routes())
    proxy.routes[('POST', '/profiles/validate')] = FakeResponse(400, {'error': {'message': 'bad spec'}})
    out = run(cluster_profile, cluster_profile.ClusterProfileModule, monkeypatch, capsys, client_for(clock, proxy),
              name='web', spec=heat_spec(), secret_parameters={'db_password': SECRET_CANARY})
    result = json.loads(out)
    assert result['failed'] is True and 'bad spec' in result['msg']
    assert result['invocation']['module_args']['secret_parameters'] == {'db_password': MASKED[1]}
    assert SECRET_CANARY not in out


MANAGED = dict(id='p1', name='web', type='os.heat.stack-1.0', spec=heat_spec(parameters={'password': CANARY}),
               metadata={'cloudrise_managed_by': 'cloudrise.openstack.cluster'})


def cluster_routes():
    current = dict(id=CID, name='web', status='ACTIVE', profile_id='p1', nodes=[], desired_capacity=0, min_size=0,
                   max_size=-1, metadata={})
    return {('GET', '/clusters?name=web'): FakeResponse(200, {'clusters': [current]}),
            ('GET', '/profiles/p1'): FakeResponse(200, {'profile': MANAGED}),
            ('POST', '/profiles/validate'): FakeResponse(200, {'profile': {}}),
            ('GET', '/nodes?cluster_id=%s' % CID): FakeResponse(200, {'nodes': []})}


@pytest.mark.parametrize('diff_secrets', [False, True])
def test_cluster_profile_spec_diff_redacted_unless_opted_in(monkeypatch, capsys, clock, diff_secrets):
    new_spec = heat_spec(parameters={'password': CANARY + '-new'})
    client = client_for(clock, FakeProxy(cluster_routes()))
    client._heat = type('NoHeat', (), {'list_stacks': lambda self, q: []})()
    out = run(cluster, cluster.ClusterModule, monkeypatch, capsys, client, name='web', profile_spec=new_spec,
              diff_secrets=diff_secrets, _ansible_check_mode=True)
    result = json.loads(out)
    assert result['changed'] is True, result
    assert (CANARY in json.dumps(result['diff'])) is diff_secrets   # (profile_spec itself is no no_log option)
    if not diff_secrets:
        shown = result['diff']['after']['profile_spec']['properties']['parameters']['password']
        assert shown.startswith(REDACTED) and shown != result['diff']['before']['profile_spec']['properties'][
            'parameters']['password']


def test_cluster_profile_secret_parameters_stay_out_of_the_output(monkeypatch, capsys, clock):
    client = client_for(clock, FakeProxy(cluster_routes()))
    client._heat = type('NoHeat', (), {'list_stacks': lambda self, q: []})()
    out = run(cluster, cluster.ClusterModule, monkeypatch, capsys, client, name='web',
              profile_spec=heat_spec(), profile_secret_parameters={'password': SECRET_CANARY}, diff_secrets=True,
              _ansible_check_mode=True)
    result = json.loads(out)
    assert result['changed'] is True
    assert result['diff']['after']['profile_spec']['properties']['parameters']['password'] in MASKED
    assert SECRET_CANARY not in out
