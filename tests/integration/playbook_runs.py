"""Playbooks run as separate ``ansible-playbook`` processes, for the race and interrupt tests.

``start`` launches one in a session of its own (so a test can signal its whole process group), logging to
tests/output/integration/<name>.log; ``finish`` waits for it and returns (exit code, output, changed count);
``barrier_task`` is a task that waits until the test releases every run at once.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTPUT = ROOT / 'tests' / 'output' / 'integration'
RECAP = re.compile(r'^localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)

# Tells the test it is ready (creates argv[1]), then waits until argv[2] exists (for at most argv[3] seconds).
BARRIER = ("import os, sys, time; open(sys.argv[1], 'w').close(); "
           "[time.sleep(0.02) for _ in range(int(float(sys.argv[3]) * 50)) if not os.path.exists(sys.argv[2])]")


def barrier_task(ready, go, seconds=60):
    argv = [sys.executable, '-c', BARRIER, str(ready), str(go), str(seconds)]
    return {'name': 'Barrier', 'ansible.builtin.command': {'argv': argv}, 'changed_when': False}


def write_playbook(tmp_path, name, tasks):
    path = tmp_path / ('%s.yml' % name)
    path.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local',
                                 'tasks': [t for t in tasks if t]}], indent=1), encoding='utf-8')
    return path


def start(env, path, log_name):
    """``ansible-playbook`` on ``path`` in a new session; its output goes to OUTPUT/<log_name>.log."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    bindir = os.path.dirname(sys.executable)
    log_path = OUTPUT / ('%s.log' % log_name)
    with open(str(log_path), 'w', encoding='utf-8') as log:   # the child keeps its own copy of the descriptor
        # the process is waited on by finish() or killed
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [os.path.join(bindir, 'ansible-playbook'), '-i', 'localhost,', str(path)],
            env=dict(env, ANSIBLE_PYTHON_INTERPRETER=sys.executable), cwd=str(path.parent),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log_path = log_path
    return proc


def finish(proc, timeout=300):
    """(exit code, output, changed count of the recap or None)."""
    rc = proc.wait(timeout=timeout)
    out = proc.log_path.read_text(encoding='utf-8')
    recap = RECAP.search(out)
    return rc, out, int(recap.group(2)) if recap else None


def run(env, path, log_name):
    return finish(start(env, path, log_name))
