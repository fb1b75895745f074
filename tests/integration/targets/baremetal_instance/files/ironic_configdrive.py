"""Test helper: the config drive Ironic stored for a node, read from Ironic's database (the API shows "******").

usage: ironic_configdrive.py NODE            -> {"node": uuid, "provision_state": ..., "configdrive": {...} or null,
                                                  "user_data_parts": [[content_type, filename, text], ...] or null}

Ironic keeps a config drive given as a dict as JSON in the node's instance_info['configdrive'] (with
configdrive_use_object_store = false, as the local cloud runs it). The database is the local cloud's, found in
$LOCALCLOUD_HOME/state/localcloud.json: its private MariaDB, read with the mariadb client over its socket as root
(no password), or the sqlite file. ``user_data_parts`` splits a multipart/mixed user data with Python's email
parser, as cloud-init does (payloads decoded).
"""
import email
import json
import os
import re
import sqlite3
import subprocess
import sys

_UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


def facts():
    home = os.environ.get('LOCALCLOUD_HOME')
    if not home:
        raise SystemExit('LOCALCLOUD_HOME is not set (eval "$(tools/localcloud/localcloud env)")')
    with open(os.path.join(home, 'state', 'localcloud.json')) as stream:
        return home, json.load(stream)


def query(node):
    """(uuid, provision_state, instance_info text) of the node named or with UUID ``node``."""
    home, data = facts()
    column = 'uuid' if _UUID.match(node) else 'name'
    if data['db']['ironic'] == 'mariadb':
        if not re.match(r'^[A-Za-z0-9._-]+$', node):
            raise SystemExit('bad node name %r' % node)
        sql = "SELECT uuid, provision_state, instance_info FROM nodes WHERE %s = '%s'" % (column, node)
        out = subprocess.run(['mariadb', '--no-defaults', '-S', data['services']['mariadb']['socket'], '-uroot',
                              '--batch', '--raw', '--skip-column-names', '--default-character-set=utf8mb4',
                              'ironic', '-e', sql], check=True, capture_output=True, text=True).stdout
        rows = [line.split('\t', 2) for line in out.splitlines() if line]
    else:
        with sqlite3.connect(os.path.join(home, 'state', 'data', 'ironic.db')) as db:
            rows = db.execute('SELECT uuid, provision_state, instance_info FROM nodes WHERE %s = ?' % column,
                              (node,)).fetchall()
    if len(rows) != 1:
        raise SystemExit('node %s: %d rows' % (node, len(rows)))
    return rows[0]


def parts(user_data):
    if not isinstance(user_data, str):
        return None
    message = email.message_from_string(user_data)
    if not message.is_multipart():
        return None
    return [[p.get_content_type(), p.get_filename(), p.get_payload(decode=True).decode('utf-8')]
            for p in message.walk() if not p.is_multipart()]


def main():
    uuid, state, info = query(sys.argv[1])
    drive = (json.loads(info) if info and info != 'NULL' else {}).get('configdrive')
    print(json.dumps({'node': uuid, 'provision_state': state, 'configdrive': drive,
                      'user_data_parts': parts((drive or {}).get('user_data') if isinstance(drive, dict) else None)}))


if __name__ == '__main__':
    main()
