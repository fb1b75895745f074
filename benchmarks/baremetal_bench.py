"""Benchmark of baremetal_instance against the local cloud's Ironic (not a test: it prints figures).

1. Ansible wall time: N instances (1, 5, 10) provisioned in ONE baremetal_instance task versus a loop of N
   single-instance tasks (what a role without bulk support does), and the same for unprovisioning.
2. Wait overshoot: the moment the last node of the task reached ``active`` in Ironic (the conductor's log line
   'moved to provision state "active"', millisecond timestamps; ``provision_updated_at`` has a resolution of
   one second) to the moment the wait returned: in-process (the module's own _baremetal util, i.e. the wait
   code alone) and for the Ansible task (module start-up, final reads, result handling included).

usage (from the repository root, with the local cloud up):
    eval "$(tools/localcloud/localcloud env)"
    .venv/bin/python benchmarks/baremetal_bench.py [--sizes 1,5,10] [--repeat 2] [--skip-ansible]
Needs 10 free nodes; enrolls more with tools/localcloud/localcloud when fewer are free. Leaves every node
available again.
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / '.tmp' / 'collections'
sys.path.insert(0, str(COLLECTIONS))

import openstack  # noqa: E402

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.api import BaremetalApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.executor import apply_instances  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.plan import plan_instances  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.spec import (  # noqa: E402
    DesiredInstances, normalize_instances)

PREFIX = 'bench-bm'
IMAGE = {'href': os.environ.get('LOCALCLOUD_IMAGE_URL', ''), 'checksum': os.environ.get('LOCALCLOUD_IMAGE_CHECKSUM', '')}


def link_collection():
    link = COLLECTIONS / 'ansible_collections' / 'cloudrise' / 'openstack'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)


def free_nodes(bm):
    return [n for n in bm.nodes(details=True) if n.provision_state == 'available' and not n.allocation_id
            and not n.instance_id and not n.is_maintenance and n.resource_class == 'baremetal']


def ensure_nodes(conn, needed):
    free = len(free_nodes(conn.baremetal))
    if free < needed:
        subprocess.run([str(ROOT / 'tools' / 'localcloud' / 'localcloud'), 'enroll', str(needed - free)], check=True,
                       stdout=subprocess.DEVNULL)


def instances(n, tag):
    return [dict(hostname='%s-%s-%d' % (PREFIX, tag, i), image=dict(IMAGE)) for i in range(n)]


# ------------------------------------------------------------------------------------------- ansible
PLAY = '''
- hosts: localhost
  gather_facts: false
  connection: local
  vars:
    one_task: {one_task}
    single: {single}
  tasks:
    - name: warm-up (Ansible builds and caches the module's AnsiballZ payload on first use)
      cloudrise.openstack.baremetal_instance:
        instances: []
    - set_fact: {{t0: "{{{{ now().timestamp() }}}}"}}
    - name: N instances in one task
      cloudrise.openstack.baremetal_instance:
        instances: "{{{{ one_task }}}}"
        timeout: 600
      register: made
    - set_fact: {{t1: "{{{{ now().timestamp() }}}}"}}
    - name: N instances unprovisioned in one task
      cloudrise.openstack.baremetal_instance:
        state: absent
        instances: "{{{{ one_task }}}}"
        timeout: 600
    - set_fact: {{t2: "{{{{ now().timestamp() }}}}"}}
    - name: a loop of single-instance tasks
      cloudrise.openstack.baremetal_instance:
        instances: ["{{{{ item }}}}"]
        timeout: 600
      loop: "{{{{ single }}}}"
    - set_fact: {{t3: "{{{{ now().timestamp() }}}}"}}
    - name: a loop of single-instance unprovisions
      cloudrise.openstack.baremetal_instance:
        state: absent
        instances: ["{{{{ item }}}}"]
        timeout: 600
      loop: "{{{{ single }}}}"
    - set_fact: {{t4: "{{{{ now().timestamp() }}}}"}}
    - debug:
        msg: "TIMES {{{{ [t0, t1, t2, t3, t4] | to_json }}}}"
    - debug:
        msg: "IDS {{{{ made.ids | to_json }}}}"
'''


def ansible_run(n):
    play = PLAY.format(one_task=json.dumps(instances(n, 'one')), single=json.dumps(instances(n, 'loop')))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1')
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / 'bench.yml'
        path.write_text(play)
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                               str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              check=False)
    if proc.returncode != 0:
        raise SystemExit('ansible-playbook failed:\n' + proc.stdout[-4000:])
    t = [float(x) for x in _marked(proc.stdout, 'TIMES ')]
    ids = _marked(proc.stdout, 'IDS ')
    last_active = max(active_times(set(ids), before=t[1]).values())
    return dict(one_present=t[1] - t[0], one_absent=t[2] - t[1], loop_present=t[3] - t[2], loop_absent=t[4] - t[3],
                task_overshoot=t[1] - last_active)


def _marked(output, marker):
    line = [x for x in output.splitlines() if marker in x][0]
    return json.loads(line.split(marker, 1)[1].rstrip('"').replace('\\"', '"'))


# ------------------------------------------------------------------------------------------ overshoot
ACTIVE_RE = re.compile(r'^(\S+ \S+) \d+ INFO ironic\.conductor\.task_manager .*Node (\S+) moved to provision state '
                       r'"active" from state "deploying"')


def active_times(node_ids, before=None):
    """{node id: epoch seconds} of the last move to ``active`` of each node (before ``before``), from Ironic's log."""
    log = pathlib.Path(os.environ['LOCALCLOUD_HOME']) / 'state' / 'logs' / 'ironic.log'
    found = {}
    with open(log, errors='replace') as handle:
        for line in handle:
            match = ACTIVE_RE.match(line)
            if match and match.group(2) in node_ids:
                stamp = datetime.datetime.strptime(match.group(1), '%Y-%m-%d %H:%M:%S.%f')
                stamp = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
                if before is None or stamp <= before:
                    found[match.group(2)] = stamp
    return found


def provision_updated_at(conn, node_id):
    body = conn.baremetal.get('/nodes/%s' % node_id, microversion='1.52').json()
    return datetime.datetime.fromisoformat(body['provision_updated_at']).timestamp()


def clean(conn, tag=''):
    """Unprovision every benchmark instance left over (an interrupted run)."""
    api = BaremetalApi(conn).snapshot()
    names = [h for h, dummy in api.instances() if h.startswith(PREFIX + tag)]
    if names:
        specs = normalize_instances([{'hostname': h} for h in names], 'absent')
        apply_instances(api, plan_instances(api, DesiredInstances(specs, 'absent', True, 600)))


def overshoot_run(conn, n):
    api = BaremetalApi(conn).snapshot()
    plan = plan_instances(api, DesiredInstances(normalize_instances(instances(n, 'wait'), 'present'), 'present', True, 600))
    jobs = plan.jobs
    start = time.time()
    apply_instances(api, plan)
    returned = time.time()
    ids = [job.current['node'].id for job in jobs]
    last_active = max(active_times(set(ids), before=returned).values())
    updated = max(provision_updated_at(conn, i) for i in ids)
    clean(conn, '-wait')
    return dict(apply=returned - start, overshoot=returned - last_active, overshoot_updated_at=returned - updated,
                active_after=last_active - start)


def main():
    """Print the figures as Markdown tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--sizes', default='1,5,10')
    parser.add_argument('--repeat', type=int, default=2)
    parser.add_argument('--skip-ansible', action='store_true')
    parser.add_argument('--skip-overshoot', action='store_true')
    parser.add_argument('--clean', action='store_true', help='only unprovision leftovers of an interrupted run')
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(',')]
    link_collection()
    conn = openstack.connect()
    ensure_nodes(conn, max(sizes))
    print('load average at start: %.2f %.2f %.2f' % os.getloadavg())
    clean(conn)
    if args.clean:
        return
    runs = [n for n in sizes for dummy in range(args.repeat)]
    if not args.skip_overshoot:
        print_overshoot(conn, runs)
    if not args.skip_ansible:
        print_ansible(runs)
    print('\nload average at end: %.2f %.2f %.2f' % os.getloadavg())


def print_overshoot(conn, runs):
    print('\n## Wait overshoot, in-process (the module\'s wait code): last node active -> apply() returns')
    print('| N | apply wall (s) | last node active after (s) | overshoot (s, Ironic log ms) | vs provision_updated_at (s, 1 s resolution) |')
    print('|---|---|---|---|---|')
    for n in runs:
        r = overshoot_run(conn, n)
        print('| %d | %.2f | %.2f | %.3f | %.2f |' % (n, r['apply'], r['active_after'], r['overshoot'],
                                                      r['overshoot_updated_at']))
        sys.stdout.flush()


def print_ansible(runs):
    print('\n## Ansible: one task with N instances vs a loop of N single-instance tasks (wall, s)')
    print('| N | one task present | loop present | one task absent | loop absent | task overshoot (s) |')
    print('|---|---|---|---|---|---|')
    for n in runs:
        r = ansible_run(n)
        print('| %d | %.1f | %.1f | %.1f | %.1f | %.2f |' % (n, r['one_present'], r['loop_present'], r['one_absent'],
                                                             r['loop_absent'], r['task_overshoot']))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
