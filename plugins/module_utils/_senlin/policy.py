# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin policies and their bindings to clusters: normalising, reading, planning and applying bindings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None


def normalize_bindings(clusters, default_enabled=True):
    """``clusters`` option items (a name/id, or {cluster, enabled}) -> [{'cluster': str, 'enabled': bool}]."""
    out = []
    for item in clusters or []:
        if isinstance(item, dict):
            if not item.get('cluster'):
                raise InvalidInput('Each item of clusters needs a cluster (name or id): %r' % (item,))
            unknown = set(item) - set(['cluster', 'enabled'])
            if unknown:
                raise InvalidInput('Unknown keys in a clusters item: %s' % ', '.join(sorted(unknown)))
            enabled = item.get('enabled')
            out.append(dict(cluster=str(item['cluster']),
                            enabled=default_enabled if enabled is None else _to_bool(enabled)))
        else:
            out.append(dict(cluster=str(item), enabled=default_enabled))
    return out


def _to_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('1', 'true', 'yes', 'on', 'y'):
        return True
    if text in ('0', 'false', 'no', 'off', 'n'):
        return False
    raise InvalidInput('Not a boolean: %r' % (value,))


def plan_bindings(desired, actual, purge=False):
    """Plan policy bindings.

    ``desired``: {cluster_id: enabled}; ``actual``: {cluster_id: enabled}.
    Returns (attach, update, detach): attach/update are {cluster_id: enabled}, detach a sorted list.
    """
    attach = dict((cid, en) for cid, en in desired.items() if cid not in actual)
    update = dict((cid, en) for cid, en in desired.items() if cid in actual and bool(actual[cid]) != bool(en))
    detach = sorted(cid for cid in actual if cid not in desired) if purge else []
    return attach, update, detach


def policy_bindings(client, policy_id, clusters=None, names=None):
    """{cluster_id: enabled} of a policy's bindings.

    With ``clusters`` (ids) only those clusters are looked at (one GET each); otherwise every cluster of
    the project. ``names`` (a dict) is filled with cluster id -> name.
    """
    names = names if names is not None else {}
    found = {}
    if clusters is not None:
        for cid in clusters:
            try:
                binding = client.get_json('/clusters/%s/policies/%s' % (cid, policy_id)).get('cluster_policy')
            except sdk_exceptions.NotFoundException:
                continue
            if binding:
                found[cid] = bool(binding.get('enabled'))
                names.setdefault(cid, binding.get('cluster_name'))
        return found
    for cluster in client.list('cluster'):
        names.setdefault(cluster['id'], cluster.get('name'))
        for binding in client.get_json('/clusters/%s/policies' % cluster['id']).get('cluster_policies') or []:
            if binding.get('policy_id') == policy_id:
                found[cluster['id']] = bool(binding.get('enabled'))
    return found


def named_bindings(bindings, names):
    return dict((names.get(cid) or cid, enabled) for cid, enabled in bindings.items())


def binding_list(bindings, names):
    return [dict(cluster_id=cid, cluster_name=names.get(cid), enabled=enabled)
            for cid, enabled in sorted(bindings.items(), key=lambda kv: (names.get(kv[0]) or kv[0]))]


def apply_bindings(client, policy_id, attach, update, detach):
    """Detach, then update, then attach (each a cluster action, waited on)."""
    for cid in detach:
        client.write('POST', '/clusters/%s/actions' % cid, {'policy_detach': {'policy_id': policy_id}},
                     'CLUSTER_DETACH_POLICY', cid)
    for cid, enabled in sorted(update.items()):
        client.write('POST', '/clusters/%s/actions' % cid,
                     {'policy_update': {'policy_id': policy_id, 'enabled': enabled}}, 'CLUSTER_UPDATE_POLICY', cid)
    for cid, enabled in sorted(attach.items()):
        client.write('POST', '/clusters/%s/actions' % cid,
                     {'policy_attach': {'policy_id': policy_id, 'enabled': enabled}}, 'CLUSTER_ATTACH_POLICY', cid)
