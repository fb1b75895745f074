# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only queries of cluster_profile_type_info and cluster_policy_type_info: the profile and policy types
Senlin offers, and one type's spec schema (and, for a profile type, its operations)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import quote_value

# kind -> (path, key of the list, key of one)
TYPE_KINDS = {
    'profile': ('/profile-types', 'profile_types', 'profile_type'),
    'policy': ('/policy-types', 'policy_types', 'policy_type'),
}


def full_name(listed):
    """``name-version`` (``os.heat.stack-1.0``): how a type is named in a profile's or policy's ``type`` and in
    Senlin's URLs; Senlin's list gives ``name`` and ``version`` apart."""
    return '%s-%s' % (listed.get('name'), listed.get('version')) if listed.get('version') else listed.get('name')


def list_types(client, kind, name=None):
    """The ``kind`` ('profile' or 'policy') types sorted by ``type``, each ``{name, version, type,
    support_status}``; with ``name`` (``os.heat.stack-1.0``, or ``os.heat.stack`` for each of its versions) only
    that type, with its ``schema`` (and ``operations`` for a profile type). InvalidInput for an unknown name."""
    path, many, one = TYPE_KINDS[kind]
    types = [dict(t, type=full_name(t)) for t in client.get_json(path).get(many) or []]
    types.sort(key=lambda t: t['type'])
    if not name:
        return types
    matches = [t for t in types if name in (t['type'], t.get('name'))]
    if not matches:
        raise InvalidInput("Senlin has no %s type '%s'. Its %s types are: %s." % (
            kind, name, kind, ', '.join(t['type'] for t in types)), name=name)
    for listed in matches:
        url = '%s/%s' % (path, quote_value(listed['type']))
        listed['schema'] = (client.get_json(url).get(one) or {}).get('schema') or {}
        if kind == 'profile':
            listed['operations'] = client.get_json(url + '/ops').get('operations') or {}
    return matches
