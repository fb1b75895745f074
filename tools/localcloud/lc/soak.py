"""`localcloud soak`: run lc.runtime.soak in the openstack venv against this cloud.

The soak itself (openstacksdk) runs inside the venv; this side checks the cloud has a
state, builds the child's environment (clouds.yaml of this LOCALCLOUD_HOME, cloud
`localcloud`) and bounds the whole run in time.
"""

from __future__ import annotations

import subprocess

from . import state
from .config import CLOUD_ADMIN, Settings
from .runtime import soak as runtime
from .service import Context
from .venvs import python_of

VENV = 'openstack'
SLACK = 60.0        # per round, on top of its timeout: deletes and cleanup


def deadline(args) -> float:
    """Seconds the whole soak may take before it is killed."""
    return args.rounds * (args.timeout + SLACK) + SLACK


def command(settings: Settings, argv: list) -> list:
    return [python_of(settings, VENV), '-m', 'lc.runtime.soak', *argv]


def environment(settings: Settings) -> dict:
    ctx = Context(settings, secrets={}, db='')
    return ctx.child_env({'OS_CLIENT_CONFIG_FILE': str(settings.clouds_yaml),
                          'OS_CLOUD': CLOUD_ADMIN})


def run(settings: Settings, argv: list, echo=print) -> int:
    args = runtime.parse_args(argv)          # usage errors before anything starts
    if not state.read_facts(settings):
        echo(f'localcloud: no state in {settings.state} (run `localcloud up`)')
        return 1
    limit = deadline(args)
    try:
        return subprocess.run(command(settings, argv), env=environment(settings),
                              stdin=subprocess.DEVNULL, timeout=limit).returncode
    except subprocess.TimeoutExpired:
        echo(f'soak {args.kind}: FAILED: not finished after {limit:.0f} s (killed); '
             f'resources named {runtime.PREFIX}* may be left')
        return 1
