"""Fleet benchmark of baremetal_instance: 1, 10 and 100 instances in ONE task, against the local cloud's Ironic.

Not a test: it prints figures (a Markdown table) and optionally writes them as JSON. For each N it runs, through
ansible-playbook as users do: provision N instances in one task, the same task again (it must report
changed=false and send no write), then state=absent in one task. Per task it records:

- wall time of the module process (the task's time less Ansible's own per-task overhead, about a second) and its CPU;
- every request that reached Ironic, by method: tools/faultproxy runs (in this process, no rules) in front of
  Ironic (``baremetal_endpoint_override`` in a derived clouds.yaml; Keystone stays direct), and each request is
  assigned to the module process whose lifetime it falls in;
- peak memory (max RSS) and CPU time of the module process: the modules run under a wrapper interpreter that
  starts the real one and reads ``wait4``'s rusage of that child (ansible-playbook itself is not measured);
- Ironic ERROR lines and tracebacks logged while the N's tasks ran (its log file in ``$LOCALCLOUD_HOME``);
- the most deployments in flight at once: per node, from its provision PUT to the last GET of that node in the
  task (this interval contains Ironic's deploy, so the count is an upper bound of Ironic's parallel deploys).

Then, with ``--faults`` (100 instances, or the largest N): ``concurrency=10`` (the in-flight bound), and one
instance among N whose provision PUT answers 400 (faultproxy rule), once with ``clean_up=false`` (the other
N-1 are deployed, the failed one is named with its reason) and once with ``clean_up=true`` on top of instances
deployed before (only what the task did is undone; the earlier instances are left alone).

usage (from the repository root; run a local cloud of your own, see docs/performance.md):
    eval "$(tools/localcloud/localcloud env)"
    tools/localcloud/localcloud enroll 96          # 100 nodes
    .venv/bin/python benchmarks/baremetal_fleet.py [--sizes 1,10,100] [--faults] [--json out.json]
Needs max(sizes) available nodes; leaves every node available again (``--clean`` only undeploys leftovers).
"""

import argparse
import configparser
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools' / 'faultproxy'))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import yaml  # noqa: E402

import baremetal_bench as bench  # noqa: E402  (link_collection, COLLECTIONS, IMAGE)
from faultproxy import FaultProxy  # noqa: E402

PREFIX = 'fleet'
UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
NODE_PATH = re.compile(r'^/v1/nodes/(%s)(/states/provision)?(?:\?|$)' % UUID)
MODULE = 'cloudrise.openstack.baremetal_instance'
SDK_REQUEST = re.compile(r'^(\S+ \S+) DEBUG: keystoneauth\.session REQ: curl -g -i (?:--insecure )?-X (\w+) (\S+)')
POLICY_NOISE = re.compile(r' ERROR ironic\.common\.policy .*Rejecting authorization: baremetal:\w+:list_all is disallowed')
METHODS = ('GET', 'POST', 'PATCH', 'PUT', 'DELETE')
IRONIC_REFUSAL = {'error_message': json.dumps({'faultstring': 'injected by the fleet benchmark (faultproxy)',
                                               'code': 400, 'debuginfo': None})}

# The interpreter Ansible runs the module with: it runs the real one as its child and appends that child's
# times and peak RSS (wait4's rusage: the module process only) to a JSON-lines file.
WRAPPER = '''#!{python}
import json, os, subprocess, sys, time
start = time.time()
child = subprocess.Popen([{python!r}] + sys.argv[1:])
pid, status, usage = os.wait4(child.pid, 0)
with open({record!r}, 'a') as handle:
    handle.write(json.dumps(dict(module=os.path.basename(sys.argv[-1]), start=start, end=time.time(), maxrss_kib=usage.ru_maxrss, user=usage.ru_utime,
                                 sys=usage.ru_stime, rc=os.waitstatus_to_exitcode(status))) + '\\n')
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
'''


def hostnames(n, tag):
    return ['%s-%s-%03d' % (PREFIX, tag, i) for i in range(n)]


def instances(names):
    return [dict(hostname=h, image=dict(bench.IMAGE)) for h in names]


class CpuSampler:
    """CPU seconds used by the local cloud's services (each one's process group, from /proc), sampled every
    0.2 s in a thread, so a task's share can be read for its time window."""

    SERVICES = ('ironic', 'mariadb', 'keystone')

    def __init__(self, home):
        self.groups = {}
        for name in self.SERVICES:
            path = home / 'state' / 'run' / ('%s.pid' % name)
            if path.exists():
                self.groups[name] = json.loads(path.read_text())['pgid']
        self.samples = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.tick = os.sysconf('SC_CLK_TCK')

    def _cpu(self):
        used = dict((name, 0.0) for name in self.groups)
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % pid) as handle:
                    fields = handle.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            for name, pgid in self.groups.items():
                if int(fields[2]) == pgid:
                    used[name] += (int(fields[11]) + int(fields[12])) / float(self.tick)
        return used

    def _run(self):
        while not self.stopped.is_set():
            self.samples.append((time.time(), self._cpu()))
            self.stopped.wait(0.2)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()

    def between(self, start, end):
        """{service: CPU seconds} used between start and end (nearest samples)."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        first, last = inside[0][1], inside[-1][1]
        return dict((name, round(last[name] - first.get(name, 0.0), 1)) for name in last)


class Fleet:
    """The proxy in front of Ironic, the derived clouds.yaml, the wrapper interpreter and the Ironic log."""

    def __init__(self, workdir, direct=False):
        self.workdir = pathlib.Path(workdir)
        self.direct = direct
        home = pathlib.Path(os.environ['LOCALCLOUD_HOME'])
        facts = json.loads((home / 'state' / 'localcloud.json').read_text())
        self.ironic_log = home / 'state' / 'logs' / 'ironic.log'
        self.ironic_url = facts['catalog']['baremetal'].rstrip('/')
        self.db = facts['db'].get('ironic', facts['db'].get('backend'))
        ironic_conf = configparser.ConfigParser(interpolation=None)
        ironic_conf.read(str(home / 'state' / 'etc' / 'ironic.conf'))
        # LOCALCLOUD_IRONIC_DEPLOY_DELAY: the fake deploy sleeps it in prepare and in the deploy step
        self.deploy_delay = ironic_conf.get('fake', 'deploy_delay', fallback='0')
        self.proxy = FaultProxy(facts['catalog']['baremetal'], max_lifetime=4 * 3600,
                                log_path=str(self.workdir / 'faultproxy.events')).start()
        with open(os.environ['OS_CLIENT_CONFIG_FILE']) as handle:
            config = yaml.safe_load(handle)
        for cloud in config['clouds'].values():
            cloud['baremetal_endpoint_override'] = self.proxy.url
        self.clouds_yaml = self.workdir / 'clouds.yaml'
        fd = os.open(str(self.clouds_yaml), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds passwords
        with os.fdopen(fd, 'w') as handle:
            yaml.safe_dump(config, handle)
        self.records = self.workdir / 'modules.jsonl'
        self.wrapper = self.workdir / 'python'
        self.wrapper.write_text(WRAPPER.format(python=sys.executable, record=str(self.records)))
        self.wrapper.chmod(0o700)
        self.runs = 0
        self.cpu = CpuSampler(home).start()

    def stop(self):
        self.cpu.stop()
        self.proxy.stop()

    # -- one playbook ---------------------------------------------------------------------------------
    def play(self, tasks, name, rules=()):
        """Run a warm-up task then ``tasks`` (the proxy with ``rules``); returns ([(result, module record,
        requests)] for ``tasks``, Ironic's errors, every request)."""
        self.runs += 1
        out = self.workdir / ('%02d-%s' % (self.runs, name))
        out.mkdir()
        steps = [{'name': 'warm-up (Ansible builds and caches the AnsiballZ payload)',
                  'cloudrise.openstack.baremetal_instance': {'instances': []}}]
        for index, task in enumerate(tasks):
            if self.direct:
                task = dict(task)
                task[MODULE] = dict(task[MODULE], sdk_log_path=str(out / ('sdk-%d.log' % index)), sdk_log_level='DEBUG')
            steps.append(dict(task, register='result', ignore_errors=True))
            steps.append({'name': 'save %d' % index, 'ansible.builtin.copy': {
                'content': '{{ result | to_json }}', 'dest': str(out / ('%d.json' % index))}})
        playbook = out / 'play.yml'
        playbook.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local',
                                             'tasks': steps}], sort_keys=False))
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=os.environ['OS_CLIENT_CONFIG_FILE'] if self.direct else str(self.clouds_yaml),
                   ANSIBLE_COLLECTIONS_PATH=str(bench.COLLECTIONS), ANSIBLE_PYTHON_INTERPRETER=str(self.wrapper),
                   ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                   ANSIBLE_NOCOLOR='1')
        self.proxy.clear()
        self.proxy.set_rules(rules)
        log_from = self.ironic_log.stat().st_size
        before = self._records()
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                               str(playbook)], env=env, cwd=str(out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        (out / 'ansible.log').write_text(proc.stdout)
        records = self._records()[len(before):]
        requests = list(self.proxy.requests)
        errors = self.ironic_errors(log_from)
        if len(records) != len(tasks) + 1:
            raise SystemExit('%s: %d module runs recorded for %d tasks:\n%s' % (name, len(records), len(tasks) + 1,
                                                                               proc.stdout[-4000:]))
        results = []
        for index, record in enumerate(records[1:]):
            path = out / ('%d.json' % index)
            if not path.exists():
                raise SystemExit('%s: task %d did not run:\n%s' % (name, index, proc.stdout[-4000:]))
            if self.direct:
                seen, record['keystone'] = self.sdk_requests(out / ('sdk-%d.log' % index))
            else:
                seen = [r for r in requests if record['start'] <= r['time'] <= record['end']]
            record['services_cpu'] = self.cpu.between(record['start'], record['end'])
            results.append((json.loads(path.read_text()), record, seen))
        return results, errors, requests

    def sdk_requests(self, path):
        """The requests to Ironic in a module's SDK log (keystoneauth logs each one it sends, retries included),
        and how many went elsewhere (Keystone)."""
        found, others = [], 0
        for line in path.read_text().splitlines():
            match = SDK_REQUEST.match(line)
            if not match:
                continue
            stamp, method, url = match.groups()
            if not url.startswith(self.ironic_url + '/'):
                others += 1
                continue
            when = time.mktime(time.strptime(stamp[:19], '%Y-%m-%d %H:%M:%S')) + int(stamp[20:]) / 1000.0
            found.append(dict(method=method, path=url[len(self.ironic_url):], time=when))
        return found, others

    def _records(self):
        if not self.records.exists():
            return []
        records = [json.loads(line) for line in self.records.read_text().splitlines() if line.strip()]
        return [r for r in records if 'baremetal_instance' in r['module']]  # not the copy tasks' modules

    def ironic_errors(self, offset):
        """ERROR lines and tracebacks Ironic logged after ``offset`` (bytes), without the policy refusals of
        ``*:list_all`` that Ironic logs as ERROR on every listing by a project admin (it then lists what the
        project owns: ``POLICY_NOISE``, counted apart)."""
        errors, noise = [], 0
        with open(self.ironic_log, errors='replace') as handle:
            handle.seek(offset)
            for line in handle:
                if POLICY_NOISE.search(line):
                    noise += 1
                elif ' ERROR ' in line or line.startswith('Traceback'):
                    errors.append(line.rstrip())
        return dict(errors=errors, policy_list_all=noise)


def task(state, names, **options):
    return {'name': '%s %d' % (state, len(names)), MODULE: dict(
        dict(state=state, instances=instances(names) if state != 'absent' else [dict(hostname=h) for h in names],
             timeout=1800), **options)}


def by_method(requests):
    counts = dict((m, 0) for m in METHODS)
    for request in requests:
        counts[request['method']] = counts.get(request['method'], 0) + 1
    return counts


def kinds(requests):
    """Requests by what they are (method and path shape), for the per-instance breakdown."""
    counts = {}
    for request in requests:
        path = re.sub(UUID, '<id>', request['path'].split('?')[0])
        key = '%s %s' % (request['method'], path)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def in_flight(requests):
    """The most nodes between their provision PUT and the last GET of them, at once."""
    put, last = {}, {}
    for request in requests:
        match = NODE_PATH.match(request['path'])
        if not match:
            continue
        node = match.group(1)
        if request['method'] == 'PUT' and match.group(2):
            put.setdefault(node, request['time'])
        elif request['method'] == 'GET' and not match.group(2):
            last[node] = request['time']
    events = []
    for node, start in put.items():
        events.append((start, 1))
        events.append((max(last.get(node, start), start), -1))
    most = now = 0
    for event in sorted(events, key=lambda e: (e[0], -e[1])):
        now += event[1]
        most = max(most, now)
    return most


def timeline(requests, start):
    """Requests by kind per second of the module's run: {kind: [count in second 0, 1, ...]}."""
    out = {}
    for request in requests:
        kind = '%s %s' % (request['method'], re.sub(UUID, '<id>', request['path'].split('?')[0]))
        second = int(request['time'] - start)
        counts = out.setdefault(kind, [])
        counts.extend([0] * (second + 1 - len(counts)))
        counts[second] += 1
    return out


def figures(result, record, requests):
    return dict(failed=bool(result.get('failed')), changed=result.get('changed'), msg=result.get('msg', '')[:2000],
                module_wall=record['end'] - record['start'], cpu=record['user'] + record['sys'],
                maxrss_mib=record['maxrss_kib'] / 1024.0, requests=len(requests), by_method=by_method(requests),
                kinds=kinds(requests), writes=sum(1 for r in requests if r['method'] != 'GET'),
                in_flight=in_flight(requests), services_cpu=record.get('services_cpu'), keystone=record.get('keystone'), start=record['start'],
                timeline=timeline(requests, record['start']))


# -- the runs ----------------------------------------------------------------------------------------------
def run_size(fleet, n):
    names = hostnames(n, 'n%d' % n)
    tasks = [task('present', names), task('present', names), task('absent', names)]
    started = time.time()
    results, errors, dummy = fleet.play(tasks, 'n%d' % n)
    out = dict(n=n, wall=time.time() - started, ironic_errors=errors)
    for label, (result, record, requests) in zip(('present', 'rerun', 'absent'), results):
        out[label] = figures(result, record, requests)
    return out


def run_faults(fleet, conn, n):
    """concurrency=10; one failure among n with clean_up=false, then with clean_up=true on top of earlier ones."""
    out = {}
    names = hostnames(n, 'conc')
    results, errors, dummy = fleet.play([task('present', names, concurrency=10), task('absent', names,
                                                                                        concurrency=10)], 'concurrency')
    out['concurrency'] = dict(present=figures(*results[0]), absent=figures(*results[1]), ironic_errors=errors)

    # one PUT provision among n refused (the n//2-th one Ironic is sent), clean_up=false
    names = hostnames(n, 'keep')
    rule = dict(method='PUT', path='/states/provision$', action='status', status=400, body=IRONIC_REFUSAL,
                after=n // 2, count=1)
    results, errors = play_with_rule(fleet, [task('present', names, clean_up=False)], 'one-fails-keep', rule)
    result, record, requests = results[0]
    refused = refused_nodes(fleet)
    nodes = deployed(conn, names)
    out['one_fails_keep'] = dict(figures(result, record, requests), ironic_errors=errors, refused_nodes=refused,
                                 failed_instances=result.get('failed_instances'),
                                 active=sum(1 for s in nodes.values() if s == 'active'), states=summary(nodes),
                                 failed_state=dict((h, s) for h, s in nodes.items()
                                                   if h in (result.get('failed_instances') or [])))
    # clean-up of the kept ones (and of the failed one's reservation)
    fleet.play([task('absent', names)], 'one-fails-keep-absent')

    # clean_up=true: half the instances deployed before, the task adds the other half, one of the new fails
    old, new = hostnames(n // 2, 'old'), hostnames(n - n // 2, 'new')
    fleet.play([task('present', old)], 'one-fails-undo-before')
    rule = dict(method='PUT', path='/states/provision$', action='status', status=400, body=IRONIC_REFUSAL,
                after=len(new) // 2, count=1)
    results, errors = play_with_rule(fleet, [task('present', old + new, clean_up=True)], 'one-fails-undo', rule)
    result, record, requests = results[0]
    nodes = deployed(conn, old + new)
    out['one_fails_undo'] = dict(
        figures(result, record, requests), ironic_errors=errors, refused_nodes=refused_nodes(fleet),
        failed_instances=result.get('failed_instances'),
        old_active=sum(1 for h in old if nodes.get(h) == 'active'),
        new_left=dict((h, nodes[h]) for h in new if nodes.get(h, 'absent') != 'absent'),
        old_writes=writes_on(requests, [n_ for h, n_ in node_ids(conn, old).items()]))
    fleet.play([task('absent', old + new)], 'one-fails-undo-absent')
    return out


def play_with_rule(fleet, tasks, name, rule):
    results, errors, dummy = fleet.play(tasks, name, rules=[rule])
    return results, errors


def refused_nodes(fleet):
    return [NODE_PATH.match(e['path']).group(1) for e in fleet.proxy.events if e.get('event') == 'status']


def deployed(conn, names):
    """{hostname: state} read directly (not through the proxy): the node's provision state, or absent."""
    wanted = set(names)
    states = dict((h, 'absent') for h in names)
    nodes = dict((n.id, n) for n in conn.baremetal.nodes(details=True))
    for allocation in conn.baremetal.allocations():
        if allocation.name in wanted:
            node = nodes.get(allocation.node_id)
            states[allocation.name] = node.provision_state if node is not None else 'allocation ' + allocation.state
            if node is not None and node.provision_state == 'available':
                states[allocation.name] = 'reserved'
    return states


def node_ids(conn, names):
    wanted = set(names)
    return dict((a.name, a.node_id) for a in conn.baremetal.allocations() if a.name in wanted)


def writes_on(requests, nodes):
    nodes = set(nodes)
    return sum(1 for r in requests if r['method'] != 'GET' and NODE_PATH.match(r['path'])
               and NODE_PATH.match(r['path']).group(1) in nodes)


def summary(states):
    counts = {}
    for state in states.values():
        counts[state] = counts.get(state, 0) + 1
    return counts


def ensure_nodes(conn, needed):
    free = len(bench.free_nodes(conn.baremetal))
    if free < needed:
        raise SystemExit('%d nodes available, %d needed: tools/localcloud/localcloud enroll %d'
                         % (free, needed, needed - free))


def clean(fleet):
    """Undeploy whatever an interrupted run left (every fleet-* instance)."""
    import openstack
    conn = openstack.connect()
    names = sorted(a.name for a in conn.baremetal.allocations() if (a.name or '').startswith(PREFIX + '-'))
    if names:
        fleet.play([task('absent', names)], 'clean')
    return len(names)


# -- output ------------------------------------------------------------------------------------------------
def print_tables(sizes, runs, meta):
    print('# baremetal_instance at fleet scale (%s)' % meta)
    base = runs[0]
    print('\n| N | task | wall (s) | x N=%d | CPU (s) | peak RSS (MiB) | requests | GET | POST | PATCH | PUT | '
          'DELETE | per instance | writes | max deploys in flight | changed | failed |' % base['n'])
    print('|' + '---|' * 17)
    for run in runs:
        for label in ('present', 'rerun', 'absent'):
            f = run[label]
            ratio = f['module_wall'] / base[label]['module_wall'] if base[label]['module_wall'] else 0
            m = f['by_method']
            print('| %d | %s | %.1f | %.2f | %.1f | %.0f | %d | %d | %d | %d | %d | %d | %.1f | %d | %s | %s | %s |'
                  % (run['n'], label, f['module_wall'], ratio, f['cpu'], f['maxrss_mib'],
                     f['requests'], m['GET'], m['POST'], m['PATCH'], m['PUT'], m['DELETE'], f['requests'] / run['n'],
                     f['writes'], f['in_flight'] if label != 'rerun' else '-', f['changed'], f['failed']))
    print('\nIronic ERROR lines / tracebacks per N: %s (not counted: the policy refusals of list_all that Ironic '
          'logs as ERROR for each listing by a project admin: %s)' % (
              ', '.join('%d: %d' % (r['n'], len(r['ironic_errors']['errors'])) for r in runs),
              ', '.join('%d: %d' % (r['n'], r['ironic_errors']['policy_list_all']) for r in runs)))
    for run in runs:
        for line in run['ironic_errors']['errors'][:5]:
            print('    N=%d: %s' % (run['n'], line[:300]))
    if runs[0]['present']['keystone'] is not None:
        print('\nKeystone requests per task (SDK log): %s' % ', '.join(
            'N=%d %s %s' % (r['n'], label, r[label]['keystone']) for r in runs for label in ('present', 'rerun', 'absent')))
    print('\nCPU seconds of the services during each task (Ironic is one process: API and conductor share a GIL):')
    for run in runs:
        print('  N=%d: %s' % (run['n'], '; '.join('%s %s (%.1f s wall)' % (label, run[label]['services_cpu'], run[label]['module_wall'])
                                                for label in ('present', 'rerun', 'absent'))))
    big = runs[-1]
    print('\nRequests of N=%d by kind (present / absent):' % big['n'])
    for label in ('present', 'absent'):
        print('  %s: %s' % (label, ', '.join('%s %d' % kv for kv in big[label]['kinds'].items())))


def print_faults(n, faults):
    print('\n## Faults with N=%d' % n)
    conc = faults['concurrency']
    print('- concurrency=10: max deploys in flight %d (present %.1f s), %d Ironic errors'
          % (conc['present']['in_flight'], conc['present']['module_wall'], len(conc['ironic_errors']['errors'])))
    keep = faults['one_fails_keep']
    print('- one PUT provision refused (400), clean_up=false: failed=%s, failed_instances=%s, refused node(s) %s, '
          'instances now %s, %d active; the failed one now %s (%.1f s)'
          % (keep['failed'], keep['failed_instances'], keep['refused_nodes'], keep['states'], keep['active'],
             keep['failed_state'], keep['module_wall']))
    print('  msg: %s' % keep['msg'][:600])
    undo = faults['one_fails_undo']
    print('- one PUT provision refused, clean_up=true, %d deployed before: failed_instances=%s, earlier instances '
          'still active %d, writes on their nodes %d, new instances left %s (%.1f s)'
          % (n // 2, undo['failed_instances'], undo['old_active'], undo['old_writes'], undo['new_left'] or 'none',
             undo['module_wall']))
    print('  msg: %s' % undo['msg'][:600])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', default='1,10,100')
    parser.add_argument('--faults', action='store_true', help='also concurrency=10 and one failure among max(sizes)')
    parser.add_argument('--skip-sizes', action='store_true', help='only the fault runs')
    parser.add_argument('--direct', action='store_true',
                        help='no proxy: the module talks to Ironic itself; requests counted from its SDK debug log')
    parser.add_argument('--json', help='write the figures here too')
    parser.add_argument('--clean', action='store_true', help='only undeploy leftovers of an interrupted run')
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(',')]
    bench.link_collection()
    import openstack
    conn = openstack.connect()
    with tempfile.TemporaryDirectory(prefix='fleet-') as tmp:
        fleet = Fleet(tmp, direct=args.direct)
        try:
            if clean(fleet) or args.clean:
                if args.clean:
                    return
            ensure_nodes(conn, max(sizes))
            load = os.getloadavg()
            meta = 'Ironic DB %s, [fake] deploy_delay %s s, %d cores, load average at start %.2f, requests counted %s' % (
                fleet.db, fleet.deploy_delay, os.cpu_count(), load[0], 'from the SDK log' if args.direct else 'by faultproxy')
            report = dict(meta=meta, runs=[], faults=None)
            if not args.skip_sizes:
                for n in sizes:
                    report['runs'].append(run_size(fleet, n))
                    sys.stderr.write('N=%d done (%.0f s)\n' % (n, report['runs'][-1]['wall']))
                print_tables(sizes, report['runs'], meta)
            if args.faults:
                report['faults'] = run_faults(fleet, conn, max(sizes))
                print_faults(max(sizes), report['faults'])
            print('\nload average at end: %.2f %.2f %.2f' % os.getloadavg())
            if args.json:
                pathlib.Path(args.json).write_text(json.dumps(report, indent=1, sort_keys=True))
        finally:
            fleet.stop()


if __name__ == '__main__':
    main()
