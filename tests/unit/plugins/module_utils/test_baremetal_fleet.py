# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many instances in one task: the requests in flight are bounded, the polls paced, no GET of a node just reserved.

The figures behind these limits: benchmarks/baremetal_fleet.py (docs/performance.md)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest
import requests
from keystoneauth1 import adapter as ksa_adapter
from keystoneauth1 import session as ksa_session

import test_baremetal as tb
from test_baremetal import make_cloud, run, spec

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import executor
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Backoff


@pytest.fixture(autouse=True)
def _fake_clock(clock, monkeypatch):
    monkeypatch.setattr(tb, 'CLOCK', clock)


# -- poll pacing ---------------------------------------------------------------------------------------------
def take(backoff, count, clock=lambda: 0.0):
    intervals = backoff.intervals(clock)
    return [round(next(intervals), 3) for dummy in range(count)]


def test_one_instance_polls_as_before():
    paced = executor.PacedBackoff(lambda: 1, executor.POLLS_PER_SECOND)
    assert take(paced, 6) == take(executor.DEFAULT_BACKOFF, 6) == [0.1, 0.15, 0.225, 0.338, 0.5, 0.5]


def test_many_waiting_instances_poll_less_often_each():
    waiting = [100]
    paced = executor.PacedBackoff(lambda: waiting[0], 20, base=Backoff())
    assert take(paced, 3) == [5.0, 5.0, 5.0]      # 100 instances: about 20 polls a second together
    intervals = paced.intervals(lambda: 0.0)
    next(intervals)
    waiting[0] = 10                                # as the others finish, the ones left poll faster
    assert [round(next(intervals), 3) for dummy in range(3)] == [0.5, 0.5, 0.5]


def test_the_waits_of_a_fleet_are_paced():
    """40 instances deploying at once: the sleeps of their waits are longer than one instance's."""
    conn, helper = make_cloud([tb.FakeNode('n%d' % i) for i in range(40)])
    proxy = conn.baremetal
    for node in proxy._nodes.values():
        node.deploy_polls = 3
    together, original, seen = threading.Barrier(40, timeout=10), proxy.get_node, set()

    def get_node(ident):
        first = ident not in seen
        seen.add(ident)
        if first:       # every instance's first poll: all 40 are waiting at once then
            together.wait()
        return original(ident)
    proxy.get_node = get_node
    jobs = run(helper, [spec('h%d' % i) for i in range(40)], timeout=100000)  # one fake clock: sleeps add up
    assert all(proxy._node(j.current['node'].id).provision_state == 'active' for j in jobs)
    assert max(tb.CLOCK.sleeps) == 40.0 / executor.POLLS_PER_SECOND    # 0.5 s at most without pacing


# -- no GET of the node a reservation just got -------------------------------------------------------------
def count_gets(proxy):
    gets = []
    original = proxy.get_node

    def get_node(ident):
        gets.append(ident)
        return original(ident)
    proxy.get_node = get_node
    return gets


def test_deploy_after_reserving_reads_the_node_only_to_wait():
    conn, helper = make_cloud()
    gets = count_gets(conn.baremetal)
    jobs = run(helper, [spec('web')])
    node = conn.baremetal._node(jobs[0].current['node'].id)
    assert node.provision_state == 'active'
    assert len(gets) == node.deploy_polls          # the polls of the deploy; the snapshot gave the node
    assert jobs[0].current['node'].allocation_id == node.allocation_id


def test_a_reservation_alone_reads_its_node_again():
    """state=reserved returns the node as it is after the reservation (not the snapshot's, without it)."""
    conn, helper = make_cloud()
    gets = count_gets(conn.baremetal)
    jobs = run(helper, [dict(hostname='later')], state='reserved')
    assert len(gets) == 1
    assert jobs[0].current['node'].allocation_id == jobs[0].current['allocation'].id


# -- requests in flight --------------------------------------------------------------------------------------
class SlowTransport(object):
    """A requests.Session stand-in: each request takes 20 ms; records the most in flight at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = self.most = self.count = 0

    def request(self, method, url, **kwargs):
        with self.lock:
            self.now += 1
            self.count += 1
            self.most = max(self.most, self.now)
        time.sleep(0.02)
        with self.lock:
            self.now -= 1
        response = requests.Response()
        response.status_code, response.url, response._content = 200, url, b'{}'
        response.headers['Content-Type'] = 'application/json'
        return response


def send_all(bm, count):
    threads = [threading.Thread(target=bm.get, args=('http://127.0.0.1:1/v1/nodes/%d' % i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def an_adapter():
    transport = SlowTransport()
    return ksa_adapter.Adapter(ksa_session.Session(session=transport)), transport


def test_request_slots_bound_the_requests_in_flight():
    bm, transport = an_adapter()
    with executor.RequestSlots(bm, 3):
        send_all(bm, 24)
    assert transport.count == 24 and transport.most == 3
    assert 'request' not in vars(bm)                # the adapter's own request again afterwards
    send_all(bm, 24)
    assert transport.most > 3                       # (the measure sees more when nothing bounds it)


def test_request_slots_leave_a_fake_proxy_alone():
    conn, dummy = make_cloud()
    with executor.RequestSlots(conn.baremetal, 3) as slots:
        assert not slots.installed and 'request' not in vars(conn.baremetal)


# -- Ironic's concurrent action limits ------------------------------------------------------------------------
class BusyConductor(tb.FakeProxy):
    """Ironic at its [conductor] max_concurrent_clean: the first ``busy`` undeploy PUTs are answered 503
    (ConcurrentActionLimit), before anything is done."""

    def __init__(self, nodes, busy):
        super(BusyConductor, self).__init__(nodes)
        self.busy, self.refused = busy, 0

    def put(self, url, json=None, microversion=None, retriable_status_codes=None):
        with self.lock:
            if json['target'] == 'deleted' and self.refused < self.busy:
                self.refused += 1
                return tb.FakeResponse(503, {'error_message': tb.json_dumps({
                    'faultstring': 'Unable to process request at this time. The concurrent action limit for '
                                   'unprovisioning has been reached. Current count 50, limit 50.'})})
        return super(BusyConductor, self).put(url, json, microversion, retriable_status_codes)


def busy_cloud(count, busy):
    """``count`` instances deployed, then Ironic busy for the next ``busy`` undeploy requests."""
    nodes = [tb.FakeNode('n%d' % i) for i in range(count)]
    conn, helper = make_cloud(nodes)
    run(helper, [spec('h%d' % i, name='n%d' % i) for i in range(count)])
    proxy = BusyConductor([], busy)
    proxy._nodes, proxy._allocations = conn.baremetal._nodes, conn.baremetal._allocations
    conn.baremetal = helper.bm = proxy
    return helper, proxy


def test_undeploys_refused_by_the_concurrent_action_limit_are_sent_again_within_the_deadline():
    """100 instances unprovisioned in one task met Ironic's max_concurrent_clean (50): 49 failed after the SDK's
    retries. A 503 of the provision PUT changed nothing: it is sent again until the instance's deadline."""
    helper, proxy = busy_cloud(6, busy=9)
    run(helper, [{'hostname': 'h%d' % i} for i in range(6)], state='absent', timeout=600)
    assert proxy.refused == 9
    assert sorted(n.provision_state for n in proxy._nodes.values()) == ['available'] * 6
    assert [w[2] for w in proxy.writes].count('deleted') == 6


def test_a_conductor_busy_past_the_deadline_fails_naming_ironics_reason():
    helper, proxy = busy_cloud(1, busy=1000)
    with pytest.raises(Exception) as err:
        run(helper, [{'hostname': 'h0'}], state='absent', timeout=20)
    assert 'concurrent action limit for unprovisioning' in str(err.value)
    assert 1 < proxy.refused < 20     # sent again, with pauses, until the deadline
    assert proxy._node('n0').provision_state == 'active'
