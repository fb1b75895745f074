# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config drive, as metalsmith renders it: cloud-init user data (admin user, keys) and meta data.

Given to Ironic as a dict with the provision state change (API microversion 1.56).

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json


def render_user_data(spec):
    """metalsmith's CloudInitConfig: cloud_config plus the admin user, as '#cloud-config' JSON (or None)."""
    user_data = copy.deepcopy(spec['cloud_config'] or {})
    if spec['user_name']:
        user = {'name': spec['user_name'], 'groups': ['wheel']}
        if spec['passwordless_sudo']:
            user['sudo'] = 'ALL=(ALL) NOPASSWD:ALL'
        if spec['ssh_public_keys']:
            user['ssh_authorized_keys'] = list(spec['ssh_public_keys'])
        user_data.setdefault('users', []).append(user)
    if not user_data:
        return None
    return '#cloud-config\n' + json.dumps(user_data, sort_keys=True)


def render_meta_data(spec, node):
    """metalsmith's GenericConfig meta_data: the user's meta_data plus keys, uuid, name and hostname."""
    meta = dict(spec['meta_data'] or {})
    meta.update({
        'public_keys': dict((str(i), key) for i, key in enumerate(spec['ssh_public_keys'])),
        'uuid': node.id,
        'name': node.name,
        'hostname': spec['hostname'],
    })
    meta.setdefault('launch_index', 0)
    meta.setdefault('availability_zone', '')
    meta.setdefault('files', [])
    meta.setdefault('meta', {})
    return meta


def render_config_drive(spec, node, network_data=None):
    drive = {'meta_data': render_meta_data(spec, node)}
    user_data = render_user_data(spec)
    if user_data is not None:
        drive['user_data'] = user_data
    if network_data:
        drive['network_data'] = network_data
    return drive
