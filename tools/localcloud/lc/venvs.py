"""The two venvs: 'openstack' (Keystone, Heat, Ironic) and 'senlin' (2023.2 pins).

A venv is (re)built when its lock file changed; both are installed in parallel with one
pip call each.  They live in $LOCALCLOUD_HOME/venvs, which `reset` keeps.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .config import REQUIREMENTS_DIR, Settings, private_dir

LOCKS = {
    'openstack': 'openstack.txt',
    'senlin': 'senlin.txt',
}
MARKER = '.localcloud-lock.sha256'
MAX_PYTHON = (3, 11)   # the Senlin 2023.2 pins (eventlet 0.33, greenlet 2.0) stop at 3.11


def lock_path(name: str) -> Path:
    return REQUIREMENTS_DIR / LOCKS[name]


def lock_digest(name: str) -> str:
    return hashlib.sha256(lock_path(name).read_bytes()).hexdigest()


def is_current(settings: Settings, name: str) -> bool:
    marker = settings.venv(name) / MARKER
    return marker.exists() and marker.read_text().strip() == lock_digest(name)


def python_version(python: str) -> tuple[int, int]:
    out = subprocess.run([python, '-c', 'import sys; print(*sys.version_info[:2])'],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def check_python(python: str) -> None:
    version = python_version(python)
    if version != MAX_PYTHON:
        raise RuntimeError(
            f'{python} is Python {version[0]}.{version[1]}; the pinned venvs need Python 3.11 '
            '(set LOCALCLOUD_PYTHON to a python3.11)')


def build(settings: Settings, name: str) -> float:
    """Create venv `name` from its lock file; returns the seconds it took.

    The wheels go to a wheelhouse outside the state (pip's own HTTP cache may not keep
    downloads), so a rebuilt venv - after deleting the venvs, or in a fresh clone on the
    same machine - installs without the network."""
    start = time.monotonic()
    target = settings.venv(name)
    log = settings.venvs / f'{name}.install.log'
    if target.exists():
        shutil.rmtree(target)
    private_dir(settings.home)
    private_dir(settings.venvs)
    house = settings.wheelhouse / name
    complete = house / f'.complete-{lock_digest(name)[:16]}'
    lock = str(lock_path(name))
    with open(log, 'w') as out:
        subprocess.run([settings.python, '-m', 'venv', str(target)],
                       check=True, stdout=out, stderr=subprocess.STDOUT)
        python = str(target / 'bin' / 'python')
        if not complete.exists():
            _pip(python, ['wheel', '--wheel-dir', str(house), '-r', lock], out, log, name)
            complete.touch()
        # --no-compile: byte-compiling all 170 packages costs more CPU than the install;
        # the services compile only the modules they import, once, on first start
        _pip(python, ['install', '--no-compile', '--no-index', '--find-links', str(house),
                      '-r', lock], out, log, name)
    (target / MARKER).write_text(lock_digest(name) + '\n')
    return time.monotonic() - start


def _pip(python: str, args: list, out, log: Path, name: str) -> None:
    argv = [python, '-m', 'pip', args[0], '-q', '--disable-pip-version-check', *args[1:]]
    out.write(f'--- {" ".join(argv)}\n')
    out.flush()
    if subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
        tail = ''.join(log.read_text().splitlines(True)[-30:])
        raise RuntimeError(f'pip {args[0]} for venv {name} failed (log {log}):\n{tail}')


def ensure(settings: Settings, names=tuple(LOCKS), echo=print) -> dict[str, float]:
    """Build the venvs that are missing or stale, in parallel; {name: seconds}."""
    todo = [n for n in names if not is_current(settings, n)]
    if not todo:
        return {}
    check_python(settings.python)
    echo(f'installing venvs {", ".join(todo)} under {settings.venvs} '
         '(first time: a few minutes; uwsgi compiles)')
    timings = {}
    with concurrent.futures.ThreadPoolExecutor(len(todo)) as pool:
        futures = {pool.submit(build, settings, n): n for n in todo}
        errors = []
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            try:
                timings[name] = future.result()
                echo(f'  venv {name:<9} ready in {timings[name]:.0f} s')
            except Exception as exc:   # report both venvs' failures
                errors.append(str(exc))
    if errors:
        raise RuntimeError('\n'.join(errors))
    return timings


def python_of(settings: Settings, name: str) -> str:
    return str(settings.venv(name) / 'bin' / 'python')


def bin_of(settings: Settings, name: str, program: str) -> str:
    return str(settings.venv(name) / 'bin' / program)


if __name__ == '__main__':   # pragma: no cover - manual use: python -m lc.venvs
    from .config import settings_from_env
    print(ensure(settings_from_env()))
    sys.exit(0)
