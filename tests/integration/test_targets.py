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
COLLECTIONS = ROOT / '.tmp' / 'collections'


def _targets():
    names = []
    for path in sorted(TARGETS.iterdir()) if TARGETS.is_dir() else []:
        aliases = (path / 'aliases').read_text().split() if (path / 'aliases').exists() else []
        if (path / 'tasks' / 'main.yml').exists() and not {'disabled', 'hidden'} & set(aliases):
            names.append(path.name)
    return names


def link_collection():
    """Make ROOT importable as ansible_collections.cloudrise.openstack (a symlink, so edits show at once)."""
    link = COLLECTIONS / 'ansible_collections' / 'cloudrise' / 'openstack'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    return COLLECTIONS


def run_target(name, env, tmp_path, extra_args=()):
    playbook = tmp_path / 'play.yml'
    playbook.write_text(
        '- hosts: localhost\n  gather_facts: false\n  connection: local\n'
        '  roles:\n    - role: %s\n' % name)
    run_env = dict(os.environ, **env)
    run_env.update(
        ANSIBLE_COLLECTIONS_PATH=str(link_collection()),
        ANSIBLE_ROLES_PATH=str(TARGETS),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default',
        ANSIBLE_LOCALHOST_WARNING='false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
    )
    bindir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bindir, 'ansible-playbook'), '-i', 'localhost,', str(playbook)] + list(extra_args)
    return subprocess.run(cmd, env=run_env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)


@pytest.mark.parametrize('target', _targets())
def test_target(target, localcloud, tmp_path):
    proc = run_target(target, localcloud, tmp_path)
    log = ROOT / 'tests' / 'output' / 'integration' / ('%s.log' % target)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout)
    assert proc.returncode == 0, 'target %s failed (full log: %s):\n%s' % (target, log, proc.stdout[-6000:])
