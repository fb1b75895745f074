#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a no-op ``cloudrise.openstack.stack`` task's time goes (a part of ``make bench``).

A probe process does, one after the other and timed, what the module process does: import Ansible's module
boilerplate, import openstacksdk, import the module's own code, load the cloud config, authenticate, and make the
no-op's reads. Beside it: an empty Python process, the module process whole (``python -m`` on the module with an
args file, as AnsiballZ runs it but without the zip), the ping module process, and the two plays; the
controller's share is the play minus its module process.
"""

import json
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = ROOT / '.venv' / 'bin' / 'python'
COLLECTIONS = ROOT / '.tmp' / 'collections'
NAME = 'bench-phases'

NOTE = ('The phases are measured in a probe process that does what the module does, step by step; they add up to '
        'about the module process (the rest is argument parsing, the result and interpreter exit). '
        '`import openstack` loads every service proxy the SDK has (about 800 modules) whichever one a module uses.')

PROBE = r'''
import json, sys, time
marks = [('start', time.perf_counter())]
def mark(what):
    marks.append((what, time.perf_counter()))
import ansible.module_utils.basic
mark('import ansible.module_utils.basic (the module boilerplate; ping pays it too)')
import openstack
mark('import openstack')
from ansible_collections.cloudrise.openstack.plugins.modules import stack  # noqa
mark("import the module's own code (module_utils)")
conn = openstack.connect()
mark('openstack.connect (clouds.yaml, no request)')
conn.session.get_token()
mark('authenticate (Keystone discovery + token)')
heat = conn.orchestration
found = heat.find_stack(sys.argv[1], ignore_missing=False)
heat.get_stack_template(found)
heat.get_stack_environment(found)
mark("the no-op's reads (stack by name + redirect, template, environment)")
print(json.dumps([(what, t - marks[i - 1][1]) for i, (what, t) in enumerate(marks) if i]))
'''


def timed(cmd, env):
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit('%s failed: %s %s' % (cmd, proc.stdout[-2000:], proc.stderr[-2000:]))
    return time.monotonic() - start, proc.stdout


def measure(runner):
    """[(what, seconds)] for one round; the stack it reads exists during the round."""
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    template = runner.workdir / 'phases.yaml'
    if not template.exists():
        from heat_bench import TEMPLATE_V1
        template.write_text(TEMPLATE_V1)
        timed([str(PYTHON), str(HERE / 'sdk_floor.py'), 'create', NAME, '--template', str(template)], env)
    args = runner.workdir / 'phases-args.json'
    args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {'name': NAME, 'template': str(template),
                                                        'parameters': {'word': 'one'}}}))
    ping_args = runner.workdir / 'ping-args.json'
    ping_args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {}}))
    rows = []
    empty, dummy = timed([str(PYTHON), '-c', 'pass'], env)
    rows.append(('Python start and exit (python -c pass)', empty))
    dummy, out = timed([str(PYTHON), '-c', PROBE, NAME], env)
    rows.extend(tuple(row) for row in json.loads(out))
    module, out = timed([str(PYTHON), '-m', 'ansible_collections.cloudrise.openstack.plugins.modules.stack',
                         str(args)], env)
    if json.loads(out).get('changed') is not False:
        raise SystemExit('the phases stack changed: %s' % out)
    rows.append(('the stack module process, whole (no-op)', module))
    ping, dummy = timed([str(PYTHON), '-m', 'ansible.modules.ping', str(ping_args)], env)
    rows.append(('the ping module process, whole', ping))
    play = runner.play([{'cloudrise.openstack.stack': {'name': NAME, 'template': str(template),
                                                       'parameters': {'word': 'one'}}}])
    ping_play = runner.play([{'ansible.builtin.ping': None}])
    rows.append(('ansible-playbook around the stack module (its play - its module process)', play.seconds - module))
    rows.append(('ansible-playbook around the ping module (its play - its module process)', ping_play.seconds - ping))
    return rows


def clean():
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    subprocess.run([str(PYTHON), str(HERE / 'sdk_floor.py'), 'delete', NAME], env=env, capture_output=True,
                   check=False)


if __name__ == '__main__':
    sys.exit('a part of make bench: benchmarks/bench.py --parts phases')
