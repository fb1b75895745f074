"""Persistent state: generated secrets and DB choice, clouds.yaml, localcloud.json, env."""

from __future__ import annotations

import json
import os
import secrets as random
import shlex
import stat

from .config import CLOUD_ADMIN, CLOUD_DEMO, REGION, Settings, private_dir, write_if_changed

SECRET_KEYS = ('admin_password', 'demo_password', 'service_password', 'db_password')


def new_secrets() -> dict:
    values = {key: random.token_hex(12) for key in SECRET_KEYS}
    values['heat_auth_encryption_key'] = random.token_hex(16)    # 32 characters
    return values


def load_or_create(settings: Settings, db: str) -> dict:
    """The state record {'db': ..., 'secrets': {...}}; created on first use.

    The DB backend is fixed when the state is created: switching needs a reset."""
    path = settings.state / 'state.json'
    if path.exists():
        record = json.loads(path.read_text())
        if record['db'] != db:
            raise RuntimeError(
                f'this state uses {record["db"]} for Heat and Ironic, not {db}: run '
                f'`localcloud reset` to switch (or LOCALCLOUD_DB={record["db"]})')
        return record
    record = {'db': db, 'secrets': new_secrets()}
    private_dir(settings.home)
    private_dir(settings.state)
    write_if_changed(path, json.dumps(record, indent=2) + '\n')
    (settings.state / PRIVATE_MARKER).touch(mode=0o600)   # made private: nothing to migrate
    return record


def recorded_db(settings: Settings) -> str | None:
    path = settings.state / 'state.json'
    if not path.exists():
        return None
    return json.loads(path.read_text())['db']


def clouds(settings: Settings, secrets: dict) -> dict:
    def cloud(user, password, project):
        return {
            'auth': {
                'auth_url': settings.auth_url,
                'username': user,
                'password': password,
                'project_name': project,
                'user_domain_name': 'Default',
                'project_domain_name': 'Default',
            },
            'region_name': REGION,
            'interface': 'public',
            'identity_api_version': 3,
        }
    # no clustering microversion here on purpose: modules request what they need
    return {'clouds': {
        CLOUD_ADMIN: cloud('admin', secrets['admin_password'], 'admin'),
        CLOUD_DEMO: cloud('demo', secrets['demo_password'], 'demo'),
    }}


def to_yaml(data, indent: int = 0) -> str:
    """Minimal YAML for nested dicts of scalars (JSON-quoted strings are valid YAML)."""
    lines = []
    pad = '  ' * indent
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f'{pad}{key}:')
            lines.append(to_yaml(value, indent + 1))
        elif isinstance(value, str):
            lines.append(f'{pad}{key}: {json.dumps(value)}')
        else:
            lines.append(f'{pad}{key}: {json.dumps(value)}')
    return '\n'.join(lines)


def write_clouds_yaml(settings: Settings, secrets: dict) -> None:
    text = '# written by tools/localcloud: do not edit (rewritten by `up`)\n'
    write_if_changed(settings.clouds_yaml, text + to_yaml(clouds(settings, secrets)) + '\n')


def read_facts(settings: Settings) -> dict:
    try:
        return json.loads(settings.facts_file.read_text())
    except (OSError, ValueError):
        return {}


def write_facts(settings: Settings, facts: dict) -> None:
    """localcloud.json: no password in it (they are in clouds.yaml), 0600 all the same."""
    write_if_changed(settings.facts_file, json.dumps(facts, indent=2, sort_keys=True) + '\n')


# -- a state made before the tool kept it private ------------------------------------
PRIVATE_MARKER = '.private-v1'


def make_private(settings: Settings, secrets: dict) -> bool:
    """Once per state: narrow what an older version of the tool made readable by others
    (directories to 0700, files to 0600 or 0700) and overwrite, in place and with as many
    '*', every secret an older version wrote into a log (keystone-manage's argv held the admin
    password).  In place, same length: running services keep appending to the same files
    and recorded log offsets stay right.  True when it did something."""
    marker = settings.state / PRIVATE_MARKER
    if marker.exists() or not settings.state.is_dir():
        return False
    for folder, dirs, files in os.walk(settings.state):
        for name in [folder, *(os.path.join(folder, d) for d in dirs),
                     *(os.path.join(folder, f) for f in files)]:
            try:
                info = os.lstat(name)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode) or not info.st_mode & 0o077:
                continue
            os.chmod(name, stat.S_IMODE(info.st_mode) & 0o700)
    if settings.logs.is_dir():
        for log in settings.logs.iterdir():
            if log.is_file():
                redact_file(log, [v for v in secrets.values() if v])
    marker.touch(mode=0o600)
    return True


def redact_file(path, values, chunk: int = 1 << 20) -> int:
    """Overwrite each occurrence of the values in path with '*'s, in place; the count."""
    needles = sorted({v.encode() for v in values}, key=len, reverse=True)
    if not needles:
        return 0
    overlap = max(len(n) for n in needles) - 1
    found = 0
    with open(path, 'r+b') as handle:
        offset = 0
        while True:
            handle.seek(offset)
            data = handle.read(chunk + overlap)
            if not data:
                break
            for needle in needles:
                start = data.find(needle)
                while start != -1:
                    handle.seek(offset + start)
                    handle.write(b'*' * len(needle))
                    found += 1
                    start = data.find(needle, start + len(needle))
            if len(data) <= chunk:
                break
            offset += chunk
    return found


def env_vars(settings: Settings, facts: dict) -> dict:
    image = facts.get('image', {})
    return {
        'OS_CLIENT_CONFIG_FILE': str(settings.clouds_yaml),
        'OS_CLOUD': CLOUD_ADMIN,
        'LOCALCLOUD_IMAGE_URL': image.get('url', ''),
        'LOCALCLOUD_IMAGE_CHECKSUM': image.get('checksum', ''),
        'LOCALCLOUD_HOME': str(settings.home),
    }


def env_exports(values: dict) -> str:
    return ''.join(f'export {key}={shlex.quote(value)}\n' for key, value in values.items())
