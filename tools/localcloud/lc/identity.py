"""The Keystone objects every service needs, created once per state (lc.runtime.identity)."""

from __future__ import annotations

import hashlib
import json
import subprocess

from . import proc
from .config import CHILD_UMASK, REGION, append_private, write_if_changed
from .venvs import python_of

VENV = 'openstack'
HEAT_ROLES = ('heat_stack_owner', 'heat_stack_user')


def spec(settings, secrets, catalog) -> dict:
    """catalog: [(name, type, url, user)] of the services behind Keystone."""
    password = secrets['service_password']
    return {
        'auth_url': settings.auth_url,
        'admin_password': secrets['admin_password'],
        'region': REGION,
        'roles': ['admin', 'member', 'reader', 'service', *HEAT_ROLES],
        'services': [{'name': name, 'type': type_, 'url': url, 'user': user,
                      'password': password} for name, type_, url, user in catalog],
        'heat_domain': {'name': 'heat', 'admin': 'heat_domain_admin', 'password': password},
        'admin_extra_roles': ['heat_stack_owner'],
        'demo': {'project': 'demo', 'user': 'demo', 'password': secrets['demo_password']},
    }


def digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def ensure(settings, env, data: dict) -> dict | None:
    """Run lc.runtime.identity unless this exact spec was applied already.

    Returns the script's facts (project ids), or None when nothing had to be done."""
    marker = settings.data / 'identity.json'
    wanted = digest(data)
    if marker.exists():
        done = json.loads(marker.read_text())
        if done.get('digest') == wanted:
            return None
    log = settings.log('identity')
    # the spec (passwords) goes on stdin, not in argv
    with append_private(log) as err:
        result = subprocess.run([python_of(settings, VENV), '-m', 'lc.runtime.identity'],
                                input=json.dumps(data).encode(), env=env,
                                stdout=subprocess.PIPE, stderr=err, umask=CHILD_UMASK)
    if result.returncode != 0:
        raise proc.ServiceError('keystone', f'creating the identity objects failed '
                                f'(log {log})', proc.tail(log))
    facts = json.loads(result.stdout)
    write_if_changed(marker, json.dumps({'digest': wanted, **facts}) + '\n')
    return facts


def recorded(settings) -> dict:
    marker = settings.data / 'identity.json'
    if not marker.exists():
        return {}
    facts = json.loads(marker.read_text())
    facts.pop('digest', None)
    return facts
