#!/usr/bin/env python3
"""Heat benchmark: plain openstacksdk vs cloudrise.openstack.stack (vs openstack.cloud.stack when installed).

Run against the local cloud (a measurement, not a test):

    eval "$(tools/localcloud/localcloud env)"
    .venv/bin/python benchmarks/heat_bench.py [--rounds 10] [--json out.json]

Measures, in one run, on the same Heat:
  * plain openstacksdk create / delete of a 1-resource stack (0.05 s polling: the floor);
  * an Ansible task's own overhead (`ansible -m cloudrise.openstack.stack_info` for a missing stack);
  * cloudrise.openstack.stack via `ansible -m`: create, no-op re-run (with the request count from the
    SDK debug log: GETs and writes), update, delete;
  * the time from Heat reaching *_COMPLETE to the module returning (median of --rounds): the module runs
    as a plain process (no Ansible controller around it) while a watcher thread polls the stack every
    20 ms; lag = (module wrote its result | process exited) - first watcher poll that saw COMPLETE (the
    first includes the module's final GET with outputs, the second also Python's interpreter teardown);
  * openstack.cloud.stack create / delete when /work/main/.venv-bench has the `ansible` package
    (openstack.cloud 2.5.0 needs openstacksdk < 4.15 there).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import openstack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)
BENCH_VENV_BIN = os.path.join(ROOT, '.venv-bench', 'bin')
COLLECTIONS = os.path.join(ROOT, '.tmp', 'collections')

TEMPLATE_V1 = '''heat_template_version: 2018-08-31
parameters:
  word: {type: string, default: one}
resources:
  value:
    type: OS::Heat::Value
    properties:
      value: {get_param: word}
outputs:
  value: {value: {get_attr: [value, value]}}
'''


def link_collection():
    link = os.path.join(COLLECTIONS, 'ansible_collections', 'cloudrise', 'openstack')
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.exists(link):
        os.symlink(ROOT, link)


def ansible_env(bin_dir=VENV_BIN):
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_PYTHON_INTERPRETER=os.path.join(bin_dir, 'python'),
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_NOCOLOR='1', ANSIBLE_DEPRECATION_WARNINGS='false')
    if bin_dir != VENV_BIN:  # the bench venv: its own bundled collections (openstack.cloud)
        env.pop('ANSIBLE_COLLECTIONS_PATH')
    return env


def run_ansible(module, args, bin_dir=VENV_BIN):
    """Run one module with `ansible -m` on localhost; returns (seconds, result dict)."""
    cmd = [os.path.join(bin_dir, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module,
           '-a', json.dumps(args), '-o']
    start = time.monotonic()
    proc = subprocess.run(cmd, env=ansible_env(bin_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    elapsed = time.monotonic() - start
    match = re.search(r'=> (\{.*\})\s*$', proc.stdout, re.S)
    result = json.loads(match.group(1)) if match else {'raw': proc.stdout}
    if proc.returncode != 0 and not result.get('failed'):
        result['failed'] = True
    return elapsed, result


def count_requests(log_path):
    methods = re.findall(r'REQ: curl -g -i -X ([A-Z]+) (\S+)', open(log_path).read())
    gets = [u for m, u in methods if m == 'GET' and ':5000' not in u]
    writes = [(m, u) for m, u in methods if m != 'GET' and '/v3/auth/tokens' not in u]
    return len(gets), len(writes)


class Watcher(threading.Thread):
    """Polls a stack (by name) every 20 ms and records when it is first seen with the wanted status."""

    def __init__(self, conn, name, wanted):
        super().__init__(daemon=True)
        self.conn, self.name, self.wanted = conn, name, wanted
        self.seen_at = None
        self.stop = False

    def run(self):
        proxy = self.conn.orchestration
        while not self.stop and self.seen_at is None:
            resp = proxy.get('/stacks/%s?resolve_outputs=False' % self.name)
            if resp.status_code == 200 and resp.json()['stack']['stack_status'] == self.wanted:
                self.seen_at = time.monotonic()
                return
            time.sleep(0.02)


def sdk_cycle(conn, name, template):
    proxy = conn.orchestration
    start = time.monotonic()
    stack = proxy.create_stack(name=name, template=template)
    proxy.wait_for_status(stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], interval=0.05, wait=120)
    created = time.monotonic() - start
    start = time.monotonic()
    proxy.delete_stack(stack)
    proxy.wait_for_delete(stack, interval=0.05, wait=120)
    return created, time.monotonic() - start


MODULE_WRAPPER = r'''
import sys, time
from ansible.module_utils import basic
_exit_json = basic.AnsibleModule.exit_json
def exit_json(self, **kwargs):
    sys.stderr.write('RESULT_AT %r\n' % time.monotonic())
    sys.stderr.flush()
    _exit_json(self, **kwargs)
basic.AnsibleModule.exit_json = exit_json
from ansible_collections.cloudrise.openstack.plugins.modules import stack
stack.main()
'''


def module_process(args):
    """Run the stack module as a plain process (args file, as AnsiballZ does).

    Returns (monotonic time the result was written, monotonic time the process ended, result).
    """
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    proc = subprocess.run([sys.executable, '-c', MODULE_WRAPPER, handle.name], env=env, capture_output=True,
                          text=True)
    ended = time.monotonic()
    os.unlink(handle.name)
    written = float(re.search(r'RESULT_AT (\S+)', proc.stderr).group(1)) if 'RESULT_AT' in proc.stderr else ended
    return written, ended, json.loads(proc.stdout)


def completion_lags(conn, template_path, rounds):
    """[(COMPLETE -> result written, COMPLETE -> process exit)] for ``rounds`` creates."""
    lags = []
    for i in range(rounds):
        name = 'bench-heat-lag'
        watcher = Watcher(conn, name, 'CREATE_COMPLETE')
        watcher.start()
        written, ended, result = module_process({'name': name, 'template': template_path, 'timeout': 120})
        watcher.stop = True
        watcher.join(5)
        if result.get('failed') or watcher.seen_at is None:
            raise RuntimeError('lag round %d failed: %s' % (i, result.get('msg')))
        lags.append((written - watcher.seen_at, ended - watcher.seen_at))
        stack = conn.orchestration.find_stack(name)
        conn.orchestration.delete_stack(stack)
        conn.orchestration.wait_for_delete(stack, interval=0.05, wait=120)
        wait_name_free(conn, name)
    return lags


def wait_name_free(conn, name, timeout=60):
    """Heat frees a deleted stack's name a few seconds after DELETE_COMPLETE; wait so the next create works."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if conn.orchestration.get('/stacks/%s' % name).status_code == 404:
            return
        time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--json', help='also write the figures to this file')
    opts = parser.parse_args()
    link_collection()
    conn = openstack.connect()
    workdir = tempfile.mkdtemp(prefix='heat-bench-')
    template_path = os.path.join(workdir, 'one.yaml')
    with open(template_path, 'w') as handle:
        handle.write(TEMPLATE_V1)
    template = json.loads(json.dumps(__import__('yaml').safe_load(TEMPLATE_V1), default=str))
    rows, figures = [], {}

    def row(what, seconds, note=''):
        rows.append((what, seconds, note))
        figures[what] = dict(seconds=round(seconds, 3) if seconds is not None else None, note=note)

    # plain SDK floor (warm once)
    sdk_cycle(conn, 'bench-heat-sdk', template)
    wait_name_free(conn, 'bench-heat-sdk')
    creates, deletes = [], []
    for _ in range(3):
        c, d = sdk_cycle(conn, 'bench-heat-sdk', template)
        creates.append(c)
        deletes.append(d)
        wait_name_free(conn, 'bench-heat-sdk')
    row('openstacksdk create (1 resource, 0.05 s polls)', statistics.median(creates), 'median of 3')
    row('openstacksdk delete', statistics.median(deletes), 'median of 3')

    seconds, _ = run_ansible('cloudrise.openstack.stack_info', {'name': 'bench-heat-none'})
    row('ansible task overhead (stack_info, missing stack)', seconds, 'import + auth + 1 GET + controller')

    name = 'bench-heat-mod'
    base = {'name': name, 'template': template_path, 'timeout': 120}
    seconds, result = run_ansible('cloudrise.openstack.stack', base)
    assert result.get('changed') and not result.get('failed'), result
    row('cloudrise stack: create', seconds, 'ansible -m')
    log = os.path.join(workdir, 'noop.log')
    seconds, result = run_ansible('cloudrise.openstack.stack', dict(base, sdk_log_path=log, sdk_log_level='DEBUG'))
    assert not result.get('changed') and not result.get('failed'), result
    gets, writes = count_requests(log)
    row('cloudrise stack: no-op re-run', seconds, '%d GETs, %d writes' % (gets, writes))
    figures['noop_requests'] = dict(gets=gets, writes=writes)
    seconds, result = run_ansible('cloudrise.openstack.stack', dict(base, parameters={'word': 'two'}))
    assert result.get('changed') and result['outputs']['value'] == 'two', result
    row('cloudrise stack: update (parameter)', seconds, 'ansible -m')
    seconds, result = run_ansible('cloudrise.openstack.stack', {'name': name, 'state': 'absent'})
    assert result.get('changed'), result
    row('cloudrise stack: delete', seconds, 'ansible -m')

    lags = completion_lags(conn, template_path, opts.rounds)
    written = [w for w, _ in lags]
    ended = [e for _, e in lags]
    row('Heat CREATE_COMPLETE -> module result written', statistics.median(written),
        'median of %d (min %.3f, max %.3f); includes the final GET with outputs' % (len(lags), min(written),
                                                                                   max(written)))
    row('Heat CREATE_COMPLETE -> module process exited', statistics.median(ended),
        'median of %d (min %.3f, max %.3f); adds Python interpreter teardown' % (len(lags), min(ended), max(ended)))

    if os.path.exists(os.path.join(BENCH_VENV_BIN, 'ansible')):
        oc_name = 'bench-heat-oc'
        seconds, result = run_ansible('openstack.cloud.stack', {'name': oc_name, 'template': template_path},
                                      BENCH_VENV_BIN)
        row('openstack.cloud.stack 2.5.0: create', seconds,
            'failed: %s' % str(result.get('msg'))[:60] if result.get('failed') else 'ansible -m')
        seconds, result = run_ansible('openstack.cloud.stack', {'name': oc_name, 'template': template_path},
                                      BENCH_VENV_BIN)
        row('openstack.cloud.stack 2.5.0: re-run', seconds, 'changed=%s' % result.get('changed'))
        seconds, result = run_ansible('openstack.cloud.stack', {'name': oc_name, 'state': 'absent'}, BENCH_VENV_BIN)
        row('openstack.cloud.stack 2.5.0: delete', seconds,
            'failed: %s' % str(result.get('msg'))[:60] if result.get('failed') else 'ansible -m')
    else:
        rows.append(('openstack.cloud.stack', None, 'not measured: no %s' % BENCH_VENV_BIN))

    load = os.getloadavg() if hasattr(os, 'getloadavg') else None
    if load:
        rows.append(('machine load average (1/5/15 min) at the end', None, '%.1f / %.1f / %.1f on %d CPUs'
                     % (load + (os.cpu_count(),))))
    width = max(len(r[0]) for r in rows)
    print('%-*s  %8s  %s' % (width, 'measurement', 'seconds', 'note'))
    for what, seconds, note in rows:
        print('%-*s  %8s  %s' % (width, what, '%.3f' % seconds if seconds is not None else '-', note))
    if opts.json:
        with open(opts.json, 'w') as handle:
            json.dump(figures, handle, indent=2)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
