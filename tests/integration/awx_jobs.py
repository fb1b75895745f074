"""AWX jobs without AWX: a playbook run through ansible-runner in a private data dir laid out as AWX lays it out.

What AWX gives a job, reproduced here (awx/main/tasks/jobs.py and the OpenStack credential's injector):

- ``project/``: the project's files (here the collection's ``playbooks/``), the playbook path relative to it;
- ``inventory/hosts``: the job's inventory as an executable script printing its JSON (AWX writes it so);
- ``env/extravars``: the job template's extra vars; ``env/envvars``: the job's environment;
- the OpenStack credential: a clouds.yaml with **one cloud named ``devstack``** (auth_url, username, password,
  project_name, domain_name; verify; region_name), written mode 0600 as a temporary file under ``env/``, and only
  ``OS_CLIENT_CONFIG_FILE`` naming it in ``env/envvars`` (no ``OS_CLOUD``);
- the collections the EE carries: ``ANSIBLE_COLLECTIONS_PATH`` in ``env/envvars`` (here: this checkout).

The job runs ``ansible-runner run`` (the runner AWX uses) as a process with an environment of its own: nothing of the
caller's ``OS_*`` variables reaches it, as nothing of the AWX host's reaches a job in its execution environment.
Its artifacts are read as AWX reads them: ``status``, ``rc`` and the job events, whose ``playbook_on_stats`` gives
the per-host recap.

A workflow (``run_workflow``) is a list of nodes run in order, each on success of the one before (AWX's success
edges), and ``always`` nodes that run whatever happened (AWX's always edges: the teardown). A node is any callable
that returns a ``JobResult``.

The inventory update (``InventoryUpdate``): in AWX the step after provisioning is an inventory update, which runs
``ansible-inventory --list`` through ansible-runner on an inventory source (here a ``cloudrise.openstack.openstack`` plugin file,
docs/inventory.md) with the same credential; the next job template runs on the hosts it found, given to that job as
AWX gives every job its inventory: a script printing the inventory's JSON (``Job(..., inventory=...)``).
"""

import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import yaml
from inventory_checks import unwrap

ROOT = pathlib.Path(__file__).resolve().parents[2]
AWX_OUTPUT = ROOT / 'tests' / 'output' / 'integration' / 'awx'   # the jobs' private data dirs
BIN = pathlib.Path(sys.executable).parent
# What an execution environment's process has besides the job's envvars: no OS_* variable, no Ansible setting.
BASE_ENV_KEYS = ('HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'USER')


def devstack_clouds_yaml(clouds_yaml, cloud):
    """The clouds.yaml an AWX OpenStack credential for ``cloud`` of ``clouds_yaml`` writes: one cloud ``devstack``
    with the credential's fields only (host, username, password, project, domain, region, verify_ssl)."""
    source = yaml.safe_load(pathlib.Path(clouds_yaml).read_text())['clouds'][cloud]
    auth = source['auth']
    devstack = {
        'auth': {
            'auth_url': auth['auth_url'],
            'username': auth['username'],
            'password': auth['password'],
            'project_name': auth['project_name'],
            # AWX's "Domain name": openstacksdk makes it the user's and the project's domain
            'domain_name': auth.get('user_domain_name') or auth.get('project_domain_name') or 'Default',
        },
        'verify': source.get('verify', True),
    }
    if source.get('region_name'):
        devstack['region_name'] = source['region_name']
    return {'clouds': {'devstack': devstack}}


class JobResult:
    """A finished job's artifacts: ``status`` and ``rc`` as AWX records them, the events, the recap."""

    def __init__(self, name, artifacts, seconds):
        self.name = name
        self.artifacts = artifacts
        self.seconds = seconds
        self.status = (artifacts / 'status').read_text().strip() if (artifacts / 'status').exists() else None
        self.rc = int((artifacts / 'rc').read_text().strip()) if (artifacts / 'rc').exists() else None
        self.stdout = (artifacts / 'stdout').read_text(errors='replace') if (artifacts / 'stdout').exists() else ''
        events_dir = artifacts / 'job_events'
        files = sorted(events_dir.glob('*.json'), key=lambda p: int(p.name.split('-', 1)[0])) if events_dir.exists() else []
        self.events = [json.loads(p.read_text()) for p in files]

    def events_of(self, kind):
        return [e for e in self.events if e.get('event') == kind]

    @property
    def stats(self):
        """The ``playbook_on_stats`` event's data: {'changed': {host: n}, 'failures': {...}, 'ok': ..., ...}."""
        found = self.events_of('playbook_on_stats')
        return found[-1]['event_data'] if found else None

    def recap(self):
        """{host: {'ok', 'changed', 'failures', 'dark'}} from the stats event."""
        stats = self.stats or {}
        hosts = set()
        for key in ('ok', 'changed', 'failures', 'dark', 'skipped'):
            hosts.update((stats.get(key) or {}).keys())
        return {h: {k: (stats.get(k) or {}).get(h, 0) for k in ('ok', 'changed', 'failures', 'dark')} for h in hosts}

    def failed_messages(self):
        return [e['event_data'].get('res', {}).get('msg', '') for e in self.events_of('runner_on_failed')]

    def warnings(self):
        found = []
        for event in self.events_of('runner_on_ok') + self.events_of('runner_on_failed'):
            found.extend(event['event_data'].get('res', {}).get('warnings') or [])
        return found

    def describe(self, tail=6000):
        return 'job %s: status %s, rc %s in %.1f s\n%s' % (self.name, self.status, self.rc, self.seconds, self.stdout[-tail:])


class Job:
    """One AWX job template run: its private data dir under ``base``, then ``ansible-runner run``."""

    def __init__(self, base, name, playbook, extravars=None, credential=None, collections_path=None,
                 hosts=('localhost',), envvars=None, project=ROOT / 'playbooks', project_files=None, inventory=None):
        self.name = name
        self.playbook = playbook
        self.dir = pathlib.Path(base) / name
        if self.dir.exists():
            shutil.rmtree(str(self.dir))
        (self.dir / 'env').mkdir(parents=True)
        (self.dir / 'inventory').mkdir()
        shutil.copytree(str(project), str(self.dir / 'project'))
        for relative, text in (project_files or {}).items():
            (self.dir / 'project' / relative).write_text(text)
        self._write_inventory(hosts, inventory)
        env = dict(envvars or {})
        if credential is not None:
            env['OS_CLIENT_CONFIG_FILE'] = self._write_credential(credential)
        if collections_path:
            env['ANSIBLE_COLLECTIONS_PATH'] = str(collections_path)
        env.setdefault('ANSIBLE_NOCOLOR', '1')
        self._write_env('envvars', env)
        self._write_env('extravars', dict(extravars or {}))
        self.envvars = env

    def _write_env(self, name, values):
        path = self.dir / 'env' / name
        path.write_text(json.dumps(values, indent=1))
        os.chmod(str(path), stat.S_IRUSR | stat.S_IWUSR)

    def _write_inventory(self, hosts, inventory=None):
        data = inventory or {'all': {'hosts': list(hosts)},
                             '_meta': {'hostvars': {h: {'ansible_connection': 'local'} for h in hosts}}}
        path = self.dir / 'inventory' / 'hosts'
        path.write_text('#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n' % json.dumps(data))
        os.chmod(str(path), stat.S_IRWXU)

    def _write_credential(self, clouds):
        handle, path = tempfile.mkstemp(dir=str(self.dir / 'env'))
        with os.fdopen(handle, 'w') as stream:
            yaml.safe_dump(clouds, stream, default_flow_style=False)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        return path

    def run(self, timeout=900):
        env = _clean_env({})
        started = time.monotonic()
        proc = subprocess.run(
            [str(BIN / 'ansible-runner'), 'run', str(self.dir), '-p', self.playbook, '--ident', self.name, '-q'],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
        result = JobResult(self.name, self.dir / 'artifacts' / self.name, time.monotonic() - started)
        result.runner_output = proc.stdout
        result.runner_exit = proc.returncode
        return result


def _clean_env(envvars):
    """The environment of a process in the execution environment: the base keys, the venv's PATH, the job's envvars."""
    env = {k: os.environ[k] for k in BASE_ENV_KEYS if k in os.environ}
    env['PATH'] = os.pathsep.join([str(BIN), '/usr/local/bin', '/usr/bin', '/bin'])
    env.update(envvars)
    return env


class InventoryResult:
    """An inventory update's outcome, shaped as a JobResult for ``run_workflow``: status, rc, the inventory."""

    def __init__(self, name, inventory, error, seconds):
        self.name = name
        self.rc = 0 if inventory is not None else 1
        self.status = 'successful' if inventory is not None else 'failed'
        self.seconds = seconds
        self.stderr = error
        # as AWX stores an inventory: plain values (ansible-core 2.19 marks unsafe ones {"__ansible_unsafe": value})
        self.inventory = unwrap(inventory) if inventory is not None else None

    def groups(self):
        """{group: sorted hosts} (the groups with hosts of their own)."""
        return dict((name, sorted(group['hosts'])) for name, group in (self.inventory or {}).items()
                    if name != '_meta' and group.get('hosts'))

    def describe(self, tail=6000):
        return 'inventory update %s: rc %s in %.1f s\n%s' % (self.name, self.rc, self.seconds, self.stderr[-tail:])


# The inventory update's process: ansible-runner's get_inventory (ansible-inventory --list, as AWX's inventory update
# runs it), the job's environment read from the private data dir's env/envvars.
INVENTORY_UPDATE = """
import json, sys
import ansible_runner
try:
    out, err = ansible_runner.get_inventory('list', [sys.argv[1]], response_format='json', private_data_dir=sys.argv[2],
                                            runner_mode='subprocess', quiet=True, timeout=int(sys.argv[3]))
except Exception as exc:  # a failed ansible-inventory gives no JSON to parse
    out, err = None, repr(exc)
print(json.dumps({'inventory': out if isinstance(out, dict) else None, 'error': err}))
"""


class InventoryUpdate:
    """An AWX inventory update: ansible-runner's ``get_inventory`` (``ansible-inventory --list``) on a source file in a
    private data dir of its own, with the job's environment from its ``env/envvars`` (the credential's clouds.yaml
    through ``OS_CLIENT_CONFIG_FILE``, the collections), in a process with no other ``OS_*`` variable."""

    def __init__(self, base, name, source, credential, collections_path=None):
        self.name = name
        self.job = Job(base, name, None, credential=credential, collections_path=collections_path)
        self.source = self.job.dir / 'inventory' / 'cloudrise.openstack.yml'   # the plugin wants this file name
        self.source.write_text(source)
        self.result = None

    def run(self, timeout=300):
        started = time.monotonic()
        proc = subprocess.run([str(BIN / 'python'), '-c', INVENTORY_UPDATE, str(self.source), str(self.job.dir), str(timeout)],
                              env=_clean_env({'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'true'}),   # a failing source fails
                              cwd=str(self.job.dir), capture_output=True, text=True, timeout=timeout + 60, check=False)
        try:
            answer = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            answer = {'inventory': None, 'error': proc.stdout + proc.stderr}
        inventory = answer['inventory'] if proc.returncode == 0 else None
        self.result = InventoryResult(self.name, inventory, str(answer['error'] or ''), time.monotonic() - started)
        return self.result


def run_workflow(nodes, always=()):
    """Runs ``nodes`` (callables returning a JobResult) in order while each succeeds, then every ``always`` node.

    Returns the list of results, in the order run."""
    results = []
    try:
        for node in nodes:
            results.append(node())
            if results[-1].status != 'successful':
                break
    finally:
        for node in always:
            results.append(node())
    return results
