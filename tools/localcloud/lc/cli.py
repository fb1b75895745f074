"""Command line: localcloud up|down|status|env|reset|enroll N."""

from __future__ import annotations

import argparse
import sys

from . import state
from .cloud import Cloud
from .config import DB_CHOICES, settings_from_env


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
    return top


def main(argv=None) -> int:
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
        if args.command == 'up':
            return cloud.up()
        if args.command == 'down':
            return cloud.down()
        if args.command == 'status':
            return cloud.status()
        if args.command == 'reset':
            return cloud.reset()
        if args.command == 'enroll':
            return cloud.enroll(args.count)
        if args.command == 'env':
            return print_env(settings)
    except (RuntimeError, ValueError, OSError) as exc:
        echo(f'ERROR: {exc}')
        return 1
    return 2


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
