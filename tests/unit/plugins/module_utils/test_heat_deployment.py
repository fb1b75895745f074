"""Software deployments that wait for their agent's signal, and the deployment listing of software_deployment_info."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, ResourceFailed, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import deployment as heat_deployment
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.software import MARKER_KEY

CONFIG = '00000000-0000-0000-0000-00000000000c'


class Agent(object):
    """The deployments API as the wait sees it: each GET returns the next of ``answers`` (the last one repeats);
    None is a deployment deleted meanwhile."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.gets = 0

    def get_deployment(self, deployment_id):
        self.gets += 1
        answer = self.answers[min(self.gets, len(self.answers)) - 1]
        return copy.deepcopy(answer)


def deployment(status='IN_PROGRESS', outputs=None, reason='None', **kwargs):
    found = dict(id='d1', config_id=CONFIG, server_id='srv', action='CREATE', status=status, status_reason=reason,
                 input_values={'a': 1, MARKER_KEY: 'token'}, output_values=outputs)
    found.update(kwargs)
    return found


def desired(**kwargs):
    params = dict(config='c', server_id='srv', state='present', action=None, status=None, status_reason=None,
                  input_values=None, signal_transport=None, wait=True)
    params.update(kwargs)
    return heat_deployment.DesiredDeployment.from_params(params)


WHAT = 'software deployment d1 (config c on server srv)'


def test_wait_returns_the_deployment_once_signalled_complete_without_the_token(clock):
    outputs = {'deploy_stdout': 'ok', 'deploy_stderr': '', 'deploy_status_code': 0, 'result': 'v1'}
    api = Agent(deployment(), deployment(), deployment('COMPLETE', outputs, 'Outputs received'))
    found = heat_deployment.wait_for_signal(api, deployment(), clock.deadline(60), WHAT)
    assert found['status'] == 'COMPLETE' and found['output_values'] == outputs
    assert found['input_values'] == {'a': 1}
    assert api.gets == 3 and sum(clock.sleeps) < 1


def test_wait_reads_nothing_for_a_final_deployment(clock):
    api = Agent()
    done = deployment('COMPLETE', {'result': 'v1'})
    assert heat_deployment.wait_for_signal(api, done, clock.deadline(60), WHAT) is done
    assert api.gets == 0


def test_wait_fails_with_the_status_reason_and_the_agents_outputs(clock):
    outputs = {'deploy_stdout': 'x', 'deploy_stderr': 'E: no such package\n', 'deploy_status_code': 3}
    reason = 'deploy_status_code : Deployment exited with non-zero status code: 3'
    api = Agent(deployment(), deployment('FAILED', outputs, reason))
    with pytest.raises(ResourceFailed) as err:
        heat_deployment.wait_for_signal(api, deployment(), clock.deadline(60), WHAT, changed=True)
    assert err.value.msg == ('software deployment d1 (config c on server srv) failed: ' + reason
                             + '; deploy_status_code: 3; deploy_stderr: E: no such package')
    details = err.value.details
    assert details['changed'] is True and details['status'] == 'FAILED' and details['status_reason'] == reason
    assert details['output_values'] == outputs and details['id'] == 'd1'
    assert details['software_deployment']['input_values'] == {'a': 1}


@pytest.mark.parametrize('outputs, expected', [
    (None, 'failed: why'),
    ({}, 'failed: why'),
    ({'deploy_status_code': 0}, 'failed: why; deploy_status_code: 0'),
    ({'deploy_status_code': '', 'deploy_stderr': '  \n'}, 'failed: why'),
    ({'deploy_stderr': 'x' * 10 + 'y' * heat_deployment.STDERR_SHOWN},
     'failed: why; deploy_stderr: ...' + 'y' * heat_deployment.STDERR_SHOWN),
])
def test_failure_message(outputs, expected, clock):
    with pytest.raises(ResourceFailed) as err:
        heat_deployment.wait_for_signal(Agent(), deployment('FAILED', outputs, 'why'), clock.deadline(1), WHAT)
    assert err.value.msg == WHAT + ' ' + expected


def test_failure_without_a_status_reason(clock):
    with pytest.raises(ResourceFailed, match='failed: no status_reason$'):
        heat_deployment.wait_for_signal(Agent(), deployment('FAILED', None, ''), clock.deadline(1), WHAT)


def test_wait_times_out_saying_what_would_end_it(clock):
    api = Agent(deployment(status_reason='waiting'))
    with pytest.raises(WaitTimeout) as err:
        heat_deployment.wait_for_signal(api, deployment(), clock.deadline(30), WHAT, changed=True)
    assert err.value.msg.startswith('Timed out after 30s waiting for ' + WHAT + '; last state: IN_PROGRESS. '
                                    'Nothing signalled it: ')
    assert 'PUT of its status and output_values to /software_deployments/<id>' in err.value.msg
    details = err.value.details
    assert details['changed'] is True and details['id'] == 'd1' and details['status'] == 'IN_PROGRESS'
    assert details['software_deployment']['status_reason'] == 'waiting'
    assert MARKER_KEY not in details['software_deployment']['input_values']
    assert clock.now >= 30


def test_a_deployment_deleted_while_waiting_fails(clock):
    with pytest.raises(ResourceFailed, match=r'd1 \(config c on server srv\) disappeared .* waiting for its signal'):
        heat_deployment.wait_for_signal(Agent(deployment(), None), deployment(), clock.deadline(60), WHAT)


def test_status_failed_with_wait_is_refused():
    with pytest.raises(InvalidInput, match='^status=FAILED with wait=true would always fail the task'):
        desired(status='FAILED')
    assert desired(status='FAILED', wait=False).wanted['status'] == 'FAILED'
    assert desired(status='FAILED', state='absent').state == 'absent'


def plan(found, **kwargs):
    current = heat_deployment.CurrentDeployment(CONFIG, found)
    return heat_deployment.plan_deployment(current, desired(**kwargs))


@pytest.mark.parametrize('kwargs, stored, after', [
    # with wait, new input values are a new run of the agent
    (dict(input_values={'a': 2}), {}, {'input_values': None, 'action': 'UPDATE', 'status': 'IN_PROGRESS'}),
    # what the task sets wins
    (dict(input_values={'a': 2}, action='RESUME'), {},
     {'input_values': None, 'action': 'RESUME', 'status': 'IN_PROGRESS'}),
    (dict(input_values={'a': 2}, status='COMPLETE'), {}, {'input_values': None, 'action': 'UPDATE'}),
    # a new config version too
    (dict(), {'config_id': 'old'}, {'config_id': CONFIG, 'action': 'UPDATE', 'status': 'IN_PROGRESS'}),
    # without wait, as before: only what the task sets
    (dict(input_values={'a': 2}, wait=False), {}, {'input_values': None}),
    # nothing changes, no run (a FAILED one stays FAILED)
    (dict(input_values={'a': 1}), {'status': 'FAILED'}, None),
    (dict(), {}, None),
])
def test_plan_with_wait_starts_a_new_run_when_the_config_or_inputs_change(kwargs, stored, after):
    found = dict(deployment('COMPLETE', {'result': 'v1'}, input_values={'a': 1}), **stored)
    result = plan(found, **kwargs)
    if after is None:
        assert not result.changed and result.steps == []
        return
    shown = result.diff.diff()['after']
    assert dict((k, None if k == 'input_values' else v) for k, v in shown.items()) == after
    (step, data), = result.steps
    assert step == 'update' and data['body']['config_id'] == CONFIG
    assert dict((k, data['body'].get(k)) for k in ('action', 'status')) == dict(
        (k, after.get(k, kwargs.get(k))) for k in ('action', 'status'))


def test_await_deployment(clock):
    failed = deployment('FAILED', {'deploy_status_code': 1}, 'why')
    unchanged = plan(dict(failed, input_values={}))
    assert not unchanged.changed
    # check mode reads nothing more, and fails as the run would on a FAILED deployment it leaves alone
    with pytest.raises(ResourceFailed) as err:
        heat_deployment.await_deployment(Agent(), unchanged, failed, clock.deadline(1), check_mode=True)
    assert err.value.details['changed'] is False and err.value.msg.endswith('failed: why; deploy_status_code: 1')
    # check mode of a change returns the prediction without waiting
    changed = plan(dict(failed, input_values={}), input_values={'a': 2})
    api = Agent(deployment())
    predicted = heat_deployment.await_deployment(api, changed, changed.predicted, clock.deadline(1), check_mode=True)
    assert predicted['status'] == 'IN_PROGRESS' and api.gets == 0 and clock.sleeps == []
    # a real run waits
    api = Agent(deployment('COMPLETE', {'result': 'v2'}))
    done = heat_deployment.await_deployment(api, changed, changed.predicted, clock.deadline(5))
    assert done['output_values'] == {'result': 'v2'} and api.gets == 1
    # without wait, or absent: as it is
    no_wait = plan(dict(failed, input_values={}), wait=False)
    assert heat_deployment.await_deployment(Agent(), no_wait, failed, clock.deadline(1)) is failed
    gone = plan(None, state='absent')
    assert heat_deployment.await_deployment(Agent(), gone, None, clock.deadline(1)) is None


class Listing(object):
    """The list/get calls of software_deployment_info; ``calls`` records them."""

    def __init__(self, configs, deployments):
        self.configs, self.deployments, self.calls = configs, deployments, []

    def list_configs(self):
        self.calls.append('list_configs')
        return copy.deepcopy(self.configs)

    def list_deployments(self, server_id=None):
        self.calls.append(('list_deployments', server_id))
        return [copy.deepcopy(d) for d in self.deployments if server_id in (None, d['server_id'])]

    def get_deployment(self, deployment_id):
        self.calls.append(('get_deployment', deployment_id))
        return next((copy.deepcopy(d) for d in self.deployments if d['id'] == deployment_id), None)


def listing():
    configs = [dict(id='c1', name='app'), dict(id='c2', name='app'), dict(id='c3', name='db')]
    deployments = [deployment(id='d1', config_id='c1', server_id='a', status='COMPLETE'),
                   deployment(id='d2', config_id='c2', server_id='b', status='FAILED'),
                   deployment(id='d3', config_id='c3', server_id='a', status='IN_PROGRESS'),
                   deployment(id='d4', config_id='gone', server_id='b', status='COMPLETE')]
    return Listing(configs, deployments)


@pytest.mark.parametrize('kwargs, ids', [
    (dict(), ['d1', 'd2', 'd3', 'd4']),
    (dict(server_id='a'), ['d1', 'd3']),
    (dict(config='app'), ['d1', 'd2']),           # every version of the name
    (dict(config='c2'), ['d2']),                  # an id
    (dict(config='app', server_id='b'), ['d2']),
    (dict(status='COMPLETE'), ['d1', 'd4']),
    (dict(config='app', status='IN_PROGRESS'), []),
    (dict(deployment_id='d3'), ['d3']),
    (dict(deployment_id='d3', server_id='b'), []),
    (dict(deployment_id='nope'), []),
    (dict(server_id='nope'), []),
    (dict(config='nope'), []),
])
def test_deployment_info_filters(kwargs, ids):
    api = listing()
    found = heat_deployment.deployment_info(api, **kwargs)
    assert [d['id'] for d in found] == ids
    for item in found:
        assert item['input_values'] == {'a': 1}  # the create token is never shown
        assert item['config_name'] == dict(c1='app', c2='app', c3='db').get(item['config_id'])


def test_deployment_info_requests():
    api = listing()
    heat_deployment.deployment_info(api, server_id='a')
    assert api.calls == [('list_deployments', 'a'), 'list_configs']
    api.calls = []
    heat_deployment.deployment_info(api, deployment_id='d1')
    assert api.calls == [('get_deployment', 'd1'), 'list_configs']
    api.calls = []
    heat_deployment.deployment_info(api, server_id='nope')  # nothing matches: no config listing
    assert api.calls == [('list_deployments', 'nope')]
