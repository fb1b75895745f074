"""Persistent state: generated secrets and DB choice, clouds.yaml, localcloud.json, env."""

from __future__ import annotations

import json
import secrets as random
import shlex

from .config import CLOUD_ADMIN, CLOUD_DEMO, REGION, Settings, write_if_changed

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
    settings.state.mkdir(parents=True, exist_ok=True)
    write_if_changed(path, json.dumps(record, indent=2) + '\n')
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
    write_if_changed(settings.facts_file, json.dumps(facts, indent=2, sort_keys=True) + '\n',
                     mode=0o644)


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
