#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the cluster module against the local cloud's Senlin (not a test: it measures).

For create (3 nodes) / resize (3 -> 5 -> 3) / delete of a cluster it runs the cluster module as Ansible runs
it (a new Python process with the module's arguments), and reports:

  wall      the module process, start to exit (Python start, SDK import, auth, requests, waiting)
  action    the Senlin action's own duration (its end_time - start_time)
  lag       how long after the action ended the module process exited (the wait overshoot, plus
            the module's last GET and the process exit)
  before    how long the module worked before Senlin started the action (start-up, auth, lookups)

and the requests of an idempotent run (from the SDK's DEBUG log).

usage: eval "$(tools/localcloud/localcloud env)"; .venv/bin/python benchmarks/senlin_bench.py [--repeat N] [--cloud C]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, '.tmp', 'collections')
MODULE = os.path.join(ROOT, 'plugins', 'modules', 'cluster.py')

SPEC = {
    'type': 'os.heat.stack', 'version': '1.0',
    'properties': {
        'template': {'heat_template_version': '2016-10-14',
                     'resources': {'rand': {'type': 'OS::Heat::RandomString', 'properties': {'length': 4}}}},
        'timeout': 2,
    },
}


def run_module(args):
    """Run the module like Ansible does (args file); returns (result dict, start epoch, end epoch)."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
        path = handle.name
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    start = time.time()
    proc = subprocess.run([sys.executable, MODULE, path], env=env, capture_output=True, text=True)
    end = time.time()
    os.unlink(path)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise SystemExit('module output is not JSON:\n%s\n%s' % (proc.stdout, proc.stderr))
    if result.get('failed'):
        raise SystemExit('module failed: %s' % result.get('msg'))
    return result, start, end


def action_times(conn, action_id):
    action = conn.clustering.get_action(action_id)
    return float(action.start_at), float(action.end_at)


def measure(conn, label, args):
    result, start, end = run_module(args)
    rows = []
    for record in result['actions']:
        a_start, a_end = action_times(conn, record['id'])
        rows.append(dict(op=label, action=record['name'], wall=end - start, action_s=a_end - a_start,
                         lag=end - a_end, before=a_start - start))
    return result, rows


def in_process(conn, cloud, name):
    """The waiter alone: resize through SenlinClient in this process; overshoot = wait return - action end."""
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.cloudrise.openstack.plugins.module_utils import _senlin
    rows = []
    for number in (5, 3):
        client = _senlin.SenlinClient(conn, wait=True, timeout=600)
        cluster = client.find('cluster', name, required=True)
        client.write('POST', '/clusters/%s/actions' % cluster['id'],
                     {'resize': {'adjustment_type': 'EXACT_CAPACITY', 'number': number}}, 'CLUSTER_RESIZE')
        returned = time.time()
        a_start, a_end = action_times(conn, client.actions[-1]['id'])
        rows.append(dict(op='resize ->%d (waiter)' % number, action_s=a_end - a_start, overshoot=returned - a_end))
    return rows


def count_requests(cloud, name):
    log = tempfile.NamedTemporaryFile(suffix='.log', delete=False).name
    run_module(dict(cloud=cloud, name=name, profile_spec=SPEC, desired_capacity=3, min_size=0, max_size=5,
                    sdk_log_path=log, sdk_log_level='DEBUG'))
    with open(log) as handle:
        reqs = re.findall(r'REQ: curl -g -i -X (\w+) (\S+)', handle.read())
    os.unlink(log)
    return reqs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--cloud', default=os.environ.get('OS_CLOUD', 'localcloud'))
    opts = parser.parse_args()
    import openstack
    conn = openstack.connect(cloud=opts.cloud, clustering_default_microversion='1.12')
    rows = []
    waiter = []
    requests = None
    for i in range(opts.repeat):
        name = 'bench-senlin-%d-%d' % (os.getpid(), i)
        base = dict(cloud=opts.cloud, name=name, profile_spec=SPEC, min_size=0, max_size=5)
        try:
            rows += measure(conn, 'create 3', dict(base, desired_capacity=3))[1]
            if requests is None:
                requests = count_requests(opts.cloud, name)
            rows += measure(conn, 'resize 3->5', dict(base, desired_capacity=5))[1]
            rows += measure(conn, 'resize 5->3', dict(base, desired_capacity=3))[1]
            waiter += in_process(conn, opts.cloud, name)
            rows += measure(conn, 'delete', dict(cloud=opts.cloud, name=name, state='absent'))[1]
        finally:
            run_module(dict(cloud=opts.cloud, name=name, state='absent'))
    print('%-12s %-16s %8s %8s %8s %8s   (seconds, median of %d)' % ('op', 'action', 'wall', 'action', 'lag',
                                                                      'before', opts.repeat))
    for op in ('create 3', 'resize 3->5', 'resize 5->3', 'delete'):
        mine = [r for r in rows if r['op'] == op]
        print('%-12s %-16s %8.2f %8.2f %8.2f %8.2f' % (
            op, mine[0]['action'], statistics.median(r['wall'] for r in mine),
            statistics.median(r['action_s'] for r in mine), statistics.median(r['lag'] for r in mine),
            statistics.median(r['before'] for r in mine)))
    for op in sorted(set(r['op'] for r in waiter)):
        mine = [r for r in waiter if r['op'] == op]
        print('%-22s action %6.2f  overshoot (wait return - action end) median %.2f, max %.2f' % (
            op, statistics.median(r['action_s'] for r in mine), statistics.median(r['overshoot'] for r in mine),
            max(r['overshoot'] for r in mine)))
    writes = [r for r in requests if r[0] != 'GET' and '/v3/auth/tokens' not in r[1]]
    gets = [r for r in requests if r[0] == 'GET']
    print('\nidempotent run: %d requests: %d GET (%d Senlin API), %d token POST, %d writes'
          % (len(requests), len(gets), len([g for g in gets if '/v1/' in g[1]]),
             len([r for r in requests if '/v3/auth/tokens' in r[1]]), len(writes)))
    for method, url in requests:
        print('  %s %s' % (method, url))
    print('\nraw: %s' % json.dumps(rows + waiter))


if __name__ == '__main__':
    main()
