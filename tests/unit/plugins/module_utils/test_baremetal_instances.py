# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instance model as metalsmith reports it, lookups by node name or UUID, and deployed instances without an
image (the fakes of Ironic are test_baremetal's)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

import test_baremetal as tb
from test_baremetal import FakeNode, make_cloud, run, spec

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput


@pytest.fixture(autouse=True)
def _fake_clock(clock, monkeypatch):
    monkeypatch.setattr(tb, 'CLOCK', clock)


# ------------------------------------------------------------------------------------------------
# state as metalsmith's Instance.state, status as before
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('status, maintenance, state', [
    ('absent', False, 'absent'),
    ('allocating', False, 'deploying'),
    ('reserved', False, 'deploying'),        # metalsmith: available with an instance is deploying
    ('deploying', False, 'deploying'),
    ('active', False, 'active'),
    ('active', True, 'maintenance'),
    ('deploy_failed', False, 'error'),
    ('error', False, 'error'),
    ('allocation_error', False, 'error'),
    ('undeploying', False, 'unknown'),
    ('manageable', False, 'unknown'),
    ('rescue', False, 'unknown'),
])
def test_metalsmith_state(status, maintenance, state):
    assert plan.metalsmith_state(status, FakeNode('n', maintenance=maintenance)) == state


@pytest.mark.parametrize('provision_state, maintenance, expected', [
    ('active', False, dict(state='active', status='active', is_deployed=True, is_healthy=True)),
    ('active', True, dict(state='maintenance', status='active', is_deployed=True, is_healthy=False)),
    ('available', False, dict(state='deploying', status='reserved', is_deployed=False, is_healthy=True)),
    ('wait call-back', False, dict(state='deploying', status='deploying', is_deployed=False, is_healthy=True)),
    ('deploy failed', False, dict(state='error', status='deploy_failed', is_deployed=False, is_healthy=False)),
    ('cleaning', False, dict(state='unknown', status='undeploying', is_deployed=False, is_healthy=False)),
])
def test_instance_view_has_metalsmiths_keys(provision_state, maintenance, expected):
    node = FakeNode('n7', traits=['CUSTOM_GOLD'], caps='boot_mode:uefi', state=provision_state, maintenance=maintenance)
    node.instance_info = {'image_source': 'http://x/img', 'configdrive': '******', 'display_name': 'web'}
    view = plan.instance_view('web', {'allocation': tb._alloc(node_id=node.id), 'node': node})
    for key, value in expected.items():
        assert view[key] == value, key
    assert view['hostname'] == 'web' and view['uuid'] == view['id'] == 'uuid-n7'
    assert view['ip_addresses'] == {}
    assert view['node']['name'] == 'n7' and view['node']['uuid'] == 'uuid-n7'
    assert view['node']['provision_state'] == provision_state and view['node']['power_state'] == 'power off'
    assert view['node']['is_maintenance'] is maintenance
    assert view['node']['traits'] == ['CUSTOM_GOLD'] and view['node']['resource_class'] == 'baremetal'
    assert view['node']['properties']['capabilities'] == 'boot_mode:uefi'
    # instance_info (the config drive) and driver_info are never returned
    assert 'instance_info' not in view['node'] and 'driver_info' not in view['node']
    # the current keys stay
    assert view['provision_state'] == provision_state and view['is_maintenance'] is maintenance
    assert view['image'] == 'http://x/img' and view['allocation']['name'] == 'h'


def test_view_of_no_instance():
    view = plan.instance_view('gone', {'allocation': None, 'node': None})
    assert view['state'] == view['status'] == 'absent'
    assert view['node'] is None and view['uuid'] is None and view['ip_addresses'] == {}
    assert view['is_deployed'] is False and view['is_healthy'] is False


def test_returned_state_after_a_reservation_and_a_deployment():
    conn, helper = make_cloud()
    jobs = run(helper, [spec('r')], state='reserved')
    view = plan.job_view(jobs[0], 'reserved', True)
    assert (view['state'], view['status'], view['is_deployed']) == ('deploying', 'reserved', False)
    jobs = run(helper, [spec('r')])
    view = plan.job_view(jobs[0], 'present', True)
    assert (view['state'], view['status'], view['is_deployed'], view['is_healthy']) == ('active', 'active', True, True)


# ------------------------------------------------------------------------------------------------
# Lookups by hostname, node name or node UUID
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('key', ['web', 'n1', 'uuid-n1'])
def test_absent_by_hostname_node_name_or_uuid(key):
    conn, helper = make_cloud()
    run(helper, [spec('web', name='n1'), spec('db', name='n2')])
    proxy = conn.baremetal
    proxy.writes[:] = []
    jobs = run(helper, [{'hostname': key}], state='absent')
    assert proxy.writes == [('provision', 'n1', 'deleted')]
    assert jobs[0].hostname == 'web'
    view = plan.job_view(jobs[0], 'absent', True)
    assert view['hostname'] == 'web' and view['action'] == 'unprovisioned' and view['name'] == 'n1'
    assert proxy._node('n2').provision_state == 'active'
    # idempotent: nothing carries it now
    proxy.writes[:] = []
    assert run(helper, [{'hostname': key}], state='absent')[0].steps == []
    assert proxy.writes == []


def test_absent_by_node_name_of_a_reservation_releases_it():
    conn, helper = make_cloud()
    run(helper, [spec('res', name='n3')], state='reserved')
    conn.baremetal.writes[:] = []
    run(helper, [{'name': 'n3'}], state='absent')
    assert conn.baremetal.writes == [('delete_allocation', 'res')]


def test_absent_by_the_name_of_a_node_without_an_instance_does_nothing():
    conn, helper = make_cloud()
    run(helper, [spec('web', name='n1')])
    conn.baremetal.writes[:] = []
    jobs = run(helper, [{'hostname': 'n0'}, {'hostname': 'uuid-n2'}], state='absent')
    assert conn.baremetal.writes == [] and [j.steps for j in jobs] == [[], []]


def test_a_hostname_is_looked_up_before_a_node_name():
    """An instance whose hostname is another node's name: absent removes that instance, not the node's."""
    conn, helper = make_cloud()
    run(helper, [spec('n2', name='n1'), spec('other', name='n2')])
    conn.baremetal.writes[:] = []
    run(helper, [{'hostname': 'n2'}], state='absent')
    assert conn.baremetal.writes == [('provision', 'n1', 'deleted')]


def test_present_never_looks_up_by_node_name():
    """hostname 'n1' to deploy is a new instance, even when node n1 carries another one."""
    conn, helper = make_cloud()
    run(helper, [spec('web', name='n1')])
    conn.baremetal.writes[:] = []
    jobs = run(helper, [spec('n1')])
    assert jobs[0].steps == ['reserve', 'provision', 'wait_active']
    assert jobs[0].current['node'].id != 'uuid-n1'


def test_one_instance_named_twice_is_refused_before_any_write():
    conn, helper = make_cloud()
    run(helper, [spec('web', name='n1')])
    conn.baremetal.writes[:] = []
    with pytest.raises(InvalidInput) as err:
        run(helper, [{'hostname': 'web'}, {'hostname': 'n1'}], state='absent')
    assert "instances #0 and #1 are the same instance 'web'" in err.value.msg
    assert conn.baremetal.writes == []


def test_info_lookup_by_hostname_node_name_or_uuid():
    conn, helper = make_cloud()
    run(helper, [spec('web', name='n1'), spec('db', name='n2')])
    helper.snapshot()
    found = helper.instances(['n1', 'uuid-n2', 'db', 'nope', 'n0'])
    assert [(key, hostname) for key, hostname, dummy in found] == [('n1', 'web'), ('uuid-n2', 'db'), ('db', 'db')]
    assert found[0][2]['node'].id == 'uuid-n1'


# ------------------------------------------------------------------------------------------------
# state=present of a deployed instance needs no image
# ------------------------------------------------------------------------------------------------

def test_present_of_an_active_instance_needs_no_image():
    conn, helper = make_cloud()
    run(helper, [spec('web')])
    conn.baremetal.writes[:] = []
    jobs = run(helper, [{'hostname': 'web'}])
    assert jobs[0].steps == [] and conn.baremetal.writes == []


def test_present_of_a_deploying_instance_waits_without_an_image():
    """metalsmith's wait_for_provisioning: a deployment started with wait=false, waited for by a re-run."""
    conn, helper = make_cloud()
    jobs = run(helper, [spec('web')], wait=False)
    node_id = jobs[0].current['node'].id
    assert conn.baremetal._node(node_id).provision_state == 'deploying'
    conn.baremetal.writes[:] = []
    jobs = run(helper, [{'hostname': 'web'}])
    assert jobs[0].steps == ['wait_active'] and conn.baremetal.writes == []
    assert conn.baremetal._node(node_id).provision_state == 'active'
    assert plan.job_view(jobs[0], 'present', True)['state'] == 'active'


@pytest.mark.parametrize('before', ['absent', 'reserved'])
def test_present_without_an_image_fails_before_any_write_when_it_has_to_deploy(before):
    conn, helper = make_cloud()
    if before == 'reserved':
        run(helper, [spec('web')], state='reserved')
    conn.baremetal.writes[:] = []
    with pytest.raises(InvalidInput) as err:
        run(helper, [{'hostname': 'web'}])
    assert "instance 'web' is %s: image is required to deploy it" % before in err.value.msg
    assert conn.baremetal.writes == []
