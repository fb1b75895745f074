"""Bring the local real cloud (tools/localcloud) up once and hand its environment to tests.

`localcloud_env()` runs `tools/localcloud/localcloud up` (skipped when LOCALCLOUD_SKIP_UP=1),
then parses `localcloud env` into a dict: OS_CLIENT_CONFIG_FILE, OS_CLOUD,
LOCALCLOUD_IMAGE_URL, LOCALCLOUD_IMAGE_CHECKSUM, LOCALCLOUD_HOME.  `facts(env)` reads
<home>/state/localcloud.json (URLs, nodes with traits/capabilities, DB backend, ...).
"""

import json
import os
import pathlib
import shlex
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'localcloud' / 'localcloud'


class LocalCloudError(RuntimeError):
    pass


def _run(*args, timeout=3600):
    return subprocess.run([str(TOOL), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, check=False)


def bring_up():
    """`localcloud up`; raises LocalCloudError with its output when it fails."""
    result = _run('up')
    if result.returncode != 0:
        raise LocalCloudError('tools/localcloud/localcloud up failed (exit %d):\n%s'
                              % (result.returncode, result.stdout[-8000:]))
    return result.stdout


def parse_exports(text):
    """{'NAME': 'value'} from lines like `export NAME=value` (shell-quoted values)."""
    values = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == 'export' and '=' in words[1]:
            key, value = words[1].split('=', 1)
            values[key] = value
    return values


def read_env():
    result = _run('env', timeout=60)
    if result.returncode != 0:
        raise LocalCloudError('tools/localcloud/localcloud env failed:\n' + result.stdout)
    return parse_exports(result.stdout)


def localcloud_env(skip_up=None):
    """Bring the cloud up (unless skipped) and return its environment variables."""
    if skip_up is None:
        skip_up = os.environ.get('LOCALCLOUD_SKIP_UP', '') not in ('', '0')
    if not skip_up:
        bring_up()
    return read_env()


def facts(env):
    home = pathlib.Path(env['LOCALCLOUD_HOME'])
    return json.loads((home / 'state' / 'localcloud.json').read_text())
