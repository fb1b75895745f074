"""Run every integration target (tests/integration/targets/<name>/tasks/main.yml) against the local cloud.

Targets whose ``aliases`` say ``hidden`` (``setup_*``) are shared setup that other targets import, not tests.

Each target is an Ansible role run by ansible-playbook on localhost with the local cloud's environment,
so the modules talk to the real Keystone, Heat, Senlin and Ironic. Select targets with ``-k <name>``.
"""

import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGETS = HERE / 'targets'


def _targets():
    names = []
    for path in sorted(TARGETS.iterdir()) if TARGETS.is_dir() else []:
        aliases = (path / 'aliases').read_text().split() if (path / 'aliases').exists() else []
        if (path / 'tasks' / 'main.yml').exists() and not {'disabled', 'hidden'} & set(aliases):
            names.append(path.name)
    return names


def run_target(name, ansible_env, tmp_path, extra_args=()):
    playbook = tmp_path / 'play.yml'
    playbook.write_text(
        '- hosts: localhost\n  gather_facts: false\n  connection: local\n'
        '  roles:\n    - role: %s\n' % name)
    run_env = dict(ansible_env, ANSIBLE_ROLES_PATH=str(TARGETS), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    bindir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bindir, 'ansible-playbook'), '-i', 'localhost,', str(playbook)] + list(extra_args)
    return subprocess.run(cmd, env=run_env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)


@pytest.mark.parametrize('target', _targets())
def test_target(target, ansible_env, tmp_path):
    proc = run_target(target, ansible_env, tmp_path)
    log = ROOT / 'tests' / 'output' / 'integration' / ('%s.log' % target)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout)
    assert proc.returncode == 0, 'target %s failed (full log: %s):\n%s' % (target, log, proc.stdout[-6000:])
