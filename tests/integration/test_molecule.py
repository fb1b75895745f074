"""Run every molecule scenario (extensions/molecule/<scenario>/molecule.yml) against the local cloud.

One scenario per role (heat_stack, cluster, baremetal, provision). Each runs ``molecule test -s <scenario>``:
syntax, cleanup, converge, idempotence (a second converge must report no change), verify, cleanup (which
asserts that nothing is left). Full log of each run: tests/output/integration/molecule-<scenario>.log.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIO_ROOT = ROOT / 'extensions' / 'molecule'
ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\')
STEPS = ('syntax', 'cleanup', 'converge', 'idempotence', 'verify')


def _scenarios():
    return sorted(path.parent.name for path in SCENARIO_ROOT.glob('*/molecule.yml'))


def test_every_role_has_a_scenario():
    roles = sorted(path.name for path in (ROOT / 'roles').iterdir() if (path / 'tasks' / 'main.yml').exists())
    assert roles, 'no roles found'
    assert sorted(set(roles) - set(_scenarios())) == [], 'roles without a molecule scenario'


@pytest.mark.parametrize('scenario', _scenarios())
def test_molecule(scenario, ansible_env):
    bindir = pathlib.Path(sys.executable).parent
    molecule = bindir / 'molecule'
    assert molecule.exists(), 'molecule is not installed in %s (pip install molecule)' % bindir
    env = dict(ansible_env, PATH='%s%s%s' % (bindir, os.pathsep, ansible_env.get('PATH', '')))
    proc = subprocess.run([str(molecule), 'test', '-s', scenario], cwd=str(ROOT), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800, check=False)
    output = ANSI.sub('', proc.stdout)
    log = ROOT / 'tests' / 'output' / 'integration' / ('molecule-%s.log' % scenario)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(output)
    assert proc.returncode == 0, 'molecule test -s %s failed (full log: %s):\n%s' % (scenario, log, output[-6000:])
    for step in STEPS:
        assert re.search(r'%s\s+\S+\s+%s: Executed: Successful' % (re.escape(scenario), step), output), (
            'step %s of scenario %s did not run successfully (full log: %s)' % (step, scenario, log))
