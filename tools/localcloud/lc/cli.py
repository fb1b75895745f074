"""Command line: localcloud up|down|status|env|reset|enroll N|soak KIND."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sys

from . import soak, state
from .cloud import Cloud
from .config import DB_CHOICES, open_private, private_dir, settings_from_env


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog='localcloud',
        description='A small real OpenStack (Keystone, Heat, Senlin, Ironic) on 127.0.0.1. '
                    'State in $LOCALCLOUD_HOME (default <repo>/.localcloud).')
    sub = top.add_subparsers(dest='command', required=True)
    up = sub.add_parser('up', help='create what is missing, start every service (idempotent)')
    up.add_argument('--db', choices=DB_CHOICES,
                    help='backend for Heat and Ironic (default $LOCALCLOUD_DB or auto: '
                         'MariaDB when installed)')
    up.add_argument('--install-mariadb', action='store_true',
                    help='apt-get install mariadb-server first when missing (root only; '
                         'or LOCALCLOUD_INSTALL_MARIADB=1)')
    up.add_argument('--nodes', type=int, help='fake bare-metal nodes (default 4)')
    sub.add_parser('down', help='stop the processes localcloud started')
    sub.add_parser('status', help='exit non-zero when any service is down')
    sub.add_parser('env', help='print shell exports (eval "$(localcloud env)")')
    sub.add_parser('reset', help='down, then delete the state (venvs are kept)')
    enroll = sub.add_parser('enroll', help='enroll N more fake nodes (available)')
    enroll.add_argument('count', type=int)
    sub.add_parser('soak', add_help=False,
                   help='soak clusters|stacks|allocations [-n N] [--nodes 3] [--parallel P] '
                        '[--timeout S]: rounds that must all succeed (soak -h for more)')
    return top


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ['soak']:           # its own options, parsed by lc.runtime.soak
        try:
            return soak.run(settings_from_env(), argv[1:], echo=_echo)
        except (RuntimeError, ValueError, OSError) as exc:
            _echo(f'ERROR: {exc}')
            return 1
    args = parser().parse_args(argv)
    settings = settings_from_env()
    if getattr(args, 'db', None):
        settings.db = args.db
    if getattr(args, 'install_mariadb', False):
        settings.install_mariadb = True
    if getattr(args, 'nodes', None) is not None:
        settings.nodes = args.nodes
    echo = _echo
    cloud = Cloud(settings, echo=echo)
    try:
        if args.command == 'env':
            return print_env(settings)
        if args.command == 'status':
            return cloud.status()
        with exclusive(settings.home):
            return run_locked(cloud, args)
    except (RuntimeError, ValueError, OSError) as exc:
        echo(f'ERROR: {exc}')
        return 1


def run_locked(cloud, args) -> int:
    """The commands that change things, one at a time per LOCALCLOUD_HOME."""
    if args.command == 'up':
        return cloud.up()
    if args.command == 'down':
        return cloud.down()
    if args.command == 'reset':
        return cloud.reset()
    if args.command == 'enroll':
        return cloud.enroll(args.count)
    return 2


@contextlib.contextmanager
def exclusive(home):
    """Hold an flock on <home>/.lock (a concurrent `up` waits for the first one)."""
    private_dir(home)
    with os.fdopen(open_private(home / '.lock', os.O_WRONLY | os.O_CREAT), 'w') as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f'localcloud: waiting for another localcloud command on {home}', flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def print_env(settings) -> int:
    facts = state.read_facts(settings)
    if not facts:
        print(f'localcloud: no state in {settings.state} (run `localcloud up`)',
              file=sys.stderr)
        return 1
    sys.stdout.write(state.env_exports(state.env_vars(settings, facts)))
    return 0


def _echo(message: str) -> None:
    print(message, flush=True)
