#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the cluster module against the local cloud's Senlin (not a test: it measures).

For create (3 nodes) / resize (3 -> 5 -> 3) / delete of a cluster it runs the cluster module as Ansible runs
it (a new Python process with the module's arguments) and reports, per operation, the median and min-max of
the rounds:

  wall      the module process, start to exit (Python start, SDK import, auth, requests, waiting)
  action    the Senlin action's own duration (its end_time - start_time)
  lag       how long after the action ended the module process exited: the goal is <= 0.5 s.
            It is the sum of
  detect      the poll that saw the action ended (its answer) - end_time: the poll interval's overshoot
  after       the result written (exit_json) - that answer: the GETs after the action (cluster, nodes,
              their Heat stacks) and the result's rendering
  exit        the process's end - the result written (Python's shutdown)
  before    how long the module worked before Senlin started the action (start-up, auth, lookups)
  requests  the HTTP requests the module sent (all services), and `late` the action polls sent after
            end_time that still saw the action running (> 0: Senlin commits the end after it stamps it)

Senlin 16 stores an action's start_time/end_time as Numeric(18, 6) from ``time.time()`` taken just before the
row is written (``Action.set_status`` -> ``action_mark_succeeded``, status and end_time in one commit), so
end_time has microsecond precision and the lag is not biased by truncation; Senlin runs on this machine, so
there is no clock skew either. The requests' times come from keystoneauth's own log records
(``record.created``) in the module process (a wrapper adds a handler; the module's arguments are unchanged).

``--load both`` (the default) runs every round twice, quiet then with CPU burners on every core, so both
columns see the same background (another user's load varies): each figure comes with the 1-minute load
average of its rounds.

usage: eval "$(tools/localcloud/localcloud env)"; .venv/bin/python benchmarks/senlin_bench.py [--rounds N]
       [--load quiet|loaded|both] [--cloud C] [--json FILE]
from Python: ``senlin_bench.run(rounds, cloud=None, load='both') -> dict`` (see ``run``).
"""

import argparse
import collections
import contextlib
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
OPERATIONS = ('create 3', 'resize 3->5', 'resize 5->3', 'delete')
METRICS = ('wall', 'action', 'lag', 'detect', 'after', 'exit', 'before', 'requests', 'late')

SPEC = {
    'type': 'os.heat.stack', 'version': '1.0',
    'properties': {
        'template': {'heat_template_version': '2016-10-14',
                     'resources': {'rand': {'type': 'OS::Heat::RandomString', 'properties': {'length': 4}}}},
        'timeout': 2,
    },
}

# The cluster module, with the epoch time of exit_json and of every request (keystoneauth's log records) on stderr.
MODULE_WRAPPER = r'''
import logging, re, sys, time
from ansible.module_utils import basic

class Requests(logging.Handler):
    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith('REQ: curl'):
            found = re.search(r' -X (\w+) "?([^" ]+)', msg)
            sys.stderr.write('BENCH REQ %.6f %s %s %s\n' % (record.created, record.thread, found.group(1),
                                                            found.group(2)))
        elif msg.startswith('RESP: ['):
            sys.stderr.write('BENCH RESP %.6f %s %s\n' % (record.created, record.thread, msg[7:10]))

session_log = logging.getLogger('keystoneauth.session')
session_log.setLevel(logging.DEBUG)
session_log.addHandler(Requests())
_exit_json = basic.AnsibleModule.exit_json
def exit_json(self, **kwargs):
    sys.stderr.write('BENCH RESULT %.6f\n' % time.time())
    sys.stderr.flush()
    _exit_json(self, **kwargs)
basic.AnsibleModule.exit_json = exit_json
from ansible_collections.cloudrise.openstack.plugins.modules import cluster
cluster.main()
'''


def link_collection():
    """The collection where the module process imports it from (``make link`` makes the same link)."""
    target = os.path.join(COLLECTIONS, 'ansible_collections', 'cloudrise', 'openstack')
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(ROOT, target)


def run_module(args):
    """Run the module like Ansible does (args file). Returns (result, start, result written, end, requests):
    epoch seconds; requests: [{'method', 'url', 'sent', 'answered', 'status'}]."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    start = time.time()
    proc = subprocess.run([sys.executable, '-c', MODULE_WRAPPER, handle.name], env=env, capture_output=True,
                          text=True)
    end = time.time()
    os.unlink(handle.name)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise SystemExit('module output is not JSON:\n%s\n%s' % (proc.stdout, proc.stderr))
    if result.get('failed'):
        raise SystemExit('module failed: %s' % result.get('msg'))
    written = re.search(r'BENCH RESULT (\S+)', proc.stderr)
    return result, start, float(written.group(1)) if written else end, end, parse_requests(proc.stderr)


def parse_requests(stderr):
    """The requests of the wrapper's lines, each answer paired with its thread's last request."""
    requests, open_by_thread = [], {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[:2] == ['BENCH', 'REQ']:
            req = dict(sent=float(parts[2]), method=parts[4], url=parts[5], answered=None, status=None)
            requests.append(req)
            open_by_thread[parts[3]] = req
        elif len(parts) >= 5 and parts[:2] == ['BENCH', 'RESP'] and parts[3] in open_by_thread:
            req = open_by_thread.pop(parts[3])
            req.update(answered=float(parts[2]), status=parts[4])
    return requests


def load_average():
    return os.getloadavg()[0]


def measure(conn, what, args, condition):
    """Run the module once; a row per action it started (the figures of the last one describe the run)."""
    load = load_average()
    result, start, written, end, requests = run_module(args)
    rows = []
    for record in result['actions']:
        action = conn.clustering.get('/actions/%s' % record['id']).json()['action']
        a_start, a_end = float(action['start_time']), float(action['end_time'])
        polls = [r for r in requests if r['method'] == 'GET' and r['url'].endswith('/actions/%s' % record['id'])]
        seen = polls[-1]['answered'] if polls and polls[-1]['answered'] else written
        rows.append(dict(what=what, condition=condition, action_name=record['name'], wall=end - start,
                         action=a_end - a_start, lag=end - a_end, detect=seen - a_end, after=written - seen,
                         exit=end - written, before=a_start - start, requests=len(requests),
                         by_method=dict(collections.Counter(r['method'] for r in requests)),
                         changed=result.get('changed'),
                         late=max(len([p for p in polls if p['sent'] > a_end]) - 1, 0),
                         load=round(load, 2), round=None))
    return result, rows, requests


def waiter_only(conn, name, condition):
    """The waiter alone: resize through SenlinClient in this process; lag = wait return - action end."""
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
    from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import SenlinClient
    rows = []
    for number in (5, 3):
        client = SenlinClient(conn, wait=True, timeout=600)
        cluster = client.find('cluster', name, required=True)
        load = load_average()
        client.write('POST', '/clusters/%s/actions' % cluster['id'],
                     {'resize': {'adjustment_type': 'EXACT_CAPACITY', 'number': number}}, 'CLUSTER_RESIZE')
        returned = time.time()
        action = conn.clustering.get('/actions/%s' % client.actions[-1]['id']).json()['action']
        rows.append(dict(what='waiter ->%d' % number, condition=condition, action=float(action['end_time'])
                         - float(action['start_time']), lag=returned - float(action['end_time']),
                         load=round(load, 2)))
    return rows


@contextlib.contextmanager
def cpu_burners(on):
    """One busy-looping process per core while the block runs (``on`` false: nothing)."""
    procs = [subprocess.Popen(['sh', '-c', 'while :; do :; done']) for _i in range(os.cpu_count() or 2)] if on else []
    try:
        if procs:
            time.sleep(2)   # the load average needs a moment
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def one_round(conn, cloud, index, condition, with_requests=False):
    name = 'bench-senlin-%d-%d-%s' % (os.getpid(), index, condition)
    base = dict(cloud=cloud, name=name, profile_spec=SPEC, min_size=0, max_size=5)
    rows, waiter, idempotent = [], [], None
    try:
        rows += measure(conn, 'create 3', dict(base, desired_capacity=3), condition)[1]
        if with_requests:
            idempotent = run_module(dict(base, desired_capacity=3))[4]
        rows += measure(conn, 'resize 3->5', dict(base, desired_capacity=5), condition)[1]
        rows += measure(conn, 'resize 5->3', dict(base, desired_capacity=3), condition)[1]
        waiter += waiter_only(conn, name, condition)
        rows += measure(conn, 'delete', dict(cloud=cloud, name=name, state='absent'), condition)[1]
    finally:
        run_module(dict(cloud=cloud, name=name, state='absent'))
    for row in rows + waiter:
        row['round'] = index
    return rows, waiter, idempotent


def summarize(rows):
    """{condition: {what: {metric: {'median', 'min', 'max'}, 'load': {...}, 'rounds': n}}}."""
    summary = {}
    for row in rows:
        summary.setdefault(row['condition'], {}).setdefault(row['what'], []).append(row)
    for by_what in summary.values():
        for what, mine in by_what.items():
            figures = dict(rounds=len(mine))
            for metric in METRICS + ('load',):
                values = [r[metric] for r in mine if r.get(metric) is not None]
                if values:
                    figures[metric] = dict(median=statistics.median(values), min=min(values), max=max(values))
            by_what[what] = figures
    return summary


def run(rounds=5, cloud=None, load='both', progress=None):
    """Run ``rounds`` rounds (create 3, resize 3->5, 5->3, the waiter alone, delete) quiet and/or under CPU load.

    ``load``: 'quiet', 'loaded' or 'both' (each round quiet, then loaded). ``progress``: called with a line
    of text after each round (None: silent). Returns ``{'rows': [row], 'waiter': [row], 'summary': summarize(rows),
    'idempotent_requests': [request], 'rounds': rounds}``; a row: ``what`` (the operation), ``condition``
    ('quiet'/'loaded'), ``round``, ``action_name``, ``load`` (1-min load average before it) and the seconds
    ``wall``, ``action``, ``lag``, ``detect``, ``after``, ``exit``, ``before`` (see the module's doc), ``requests``
    (how many) and ``late`` (action polls after end_time that still saw it running)."""
    import openstack
    link_collection()
    cloud = cloud or os.environ.get('OS_CLOUD', 'localcloud')
    conn = openstack.connect(cloud=cloud, clustering_default_microversion='1.12')
    conditions = {'quiet': ('quiet',), 'loaded': ('loaded',), 'both': ('quiet', 'loaded')}[load]
    rows, waiter, idempotent = [], [], None
    for index in range(rounds):
        for condition in conditions:
            with cpu_burners(condition == 'loaded'):
                mine, waits, requests = one_round(conn, cloud, index, condition, with_requests=idempotent is None)
            rows += mine
            waiter += waits
            idempotent = idempotent if idempotent is not None else requests
            if progress:
                progress('round %d %-6s load %.2f: lag %s' % (index + 1, condition, load_average(), ', '.join(
                    '%s %.2f' % (r['what'], r['lag']) for r in mine)))
    return dict(rows=rows, waiter=waiter, summary=summarize(rows + waiter), idempotent_requests=idempotent or [],
                rounds=rounds)


def report(data):
    """The figures as text: per operation and condition, median [min-max] of the rounds."""
    lines = ['seconds, median [min-max] of %d rounds; load = 1-min load average; lag goal <= 0.5 s'
             % data['rounds'], '']
    header = '%-12s %-6s %-17s %-17s %-17s %-17s %-17s %-17s %-17s %-6s %s' % (
        'op', 'cond', 'lag', 'detect', 'after', 'exit', 'action', 'wall', 'before', 'reqs', 'load')
    lines.append(header)

    def fig(figures, metric, fmt='%.2f'):
        f = figures.get(metric)
        if not f:
            return '-'
        return ('%s [%s-%s]' % (fmt, fmt, fmt)) % (f['median'], f['min'], f['max'])

    for what in OPERATIONS + ('waiter ->5', 'waiter ->3'):
        for condition in ('quiet', 'loaded'):
            figures = data['summary'].get(condition, {}).get(what)
            if not figures:
                continue
            lines.append('%-12s %-6s %-17s %-17s %-17s %-17s %-17s %-17s %-17s %-6s %s' % (
                what, condition, fig(figures, 'lag'), fig(figures, 'detect'), fig(figures, 'after'),
                fig(figures, 'exit'), fig(figures, 'action'), fig(figures, 'wall'), fig(figures, 'before'),
                '%d' % figures['requests']['median'] if 'requests' in figures else '-', fig(figures, 'load')))
    late = [r for r in data['rows'] if r.get('late')]
    lines.append('')
    lines.append('action polls sent after end_time that still saw the action running: %d in %d runs'
                 % (sum(r['late'] for r in late), len(data['rows'])))
    requests = data['idempotent_requests']
    if requests:
        gets = [r for r in requests if r['method'] == 'GET']
        lines.append('idempotent run: %d requests: %d GET (%d Senlin API), %d token POST, %d other writes'
                     % (len(requests), len(gets), len([g for g in gets if '/v1/' in g['url']]),
                        len([r for r in requests if '/v3/auth/tokens' in r['url']]),
                        len([r for r in requests if r['method'] != 'GET' and '/v3/auth/tokens' not in r['url']])))
        for req in requests:
            lines.append('  %s %s (%.0f ms)' % (req['method'], req['url'],
                                                 1000 * ((req['answered'] or req['sent']) - req['sent'])))
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', '--repeat', type=int, default=5)
    parser.add_argument('--load', choices=('quiet', 'loaded', 'both'), default='both')
    parser.add_argument('--cloud', default=os.environ.get('OS_CLOUD', 'localcloud'))
    parser.add_argument('--json', help='also write the data (rows, summary) to this file')
    opts = parser.parse_args()
    data = run(opts.rounds, cloud=opts.cloud, load=opts.load, progress=lambda line: print(line, flush=True))
    print()
    print(report(data))
    if opts.json:
        with open(opts.json, 'w') as handle:
            json.dump(data, handle, indent=1)


if __name__ == '__main__':
    main()
