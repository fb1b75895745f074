# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin policies and their bindings to clusters: the cluster_policy module's ``DesiredPolicy``, ``read_policy``,
``plan_policy`` and ``apply_policy``, and the binding helpers they use."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import create_object
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import (
    Desired, diff_for_create, diff_for_delete, spec_equal, spec_type)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.specfile import validate_spec

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


# -- the cluster_policy module -------------------------------------------------------------------------

class DesiredPolicy(Desired):
    """The policy the user asked for (the cluster_policy module's options); ``bindings`` are the ``clusters``
    items normalised (``[{'cluster', 'enabled'}]``, only with ``state=present``)."""

    OPTIONS = ('name', 'spec', 'spec_file', 'clusters', 'enabled', 'purge_clusters', 'state')

    def __init__(self, **values):
        super(DesiredPolicy, self).__init__(**values)
        self.bindings = normalize_bindings(self.clusters, self.enabled) if self.state == 'present' else []

    def replaces(self, policy):
        """True when the policy exists with another spec (Senlin cannot change a spec: delete, create)."""
        return policy is not None and self.spec is not None and not spec_equal(self.spec, policy.get('spec'))


class PolicyState(object):
    """What ``read_policy`` found: the policy (or None), its bindings ``{cluster_id: enabled}`` (all of them, or
    only those of the clusters named), the bindings asked for by cluster id, and cluster id -> name."""

    def __init__(self, policy, bindings, wanted, names):
        self.policy, self.bindings, self.wanted, self.names = policy, bindings, wanted, names


class PolicyPlan(Plan):
    """A policy change: ``delete`` the current policy (after detaching it from ``detach_first``), ``create``
    (body) a policy, then ``attach``/``update``/``detach`` bindings of the resulting one. ``bindings`` is the
    result's binding list."""

    def __init__(self):
        super(PolicyPlan, self).__init__()
        self.delete = False
        self.detach_first = []
        self.create = None
        self.attach, self.update, self.detach = {}, {}, []
        self.bindings = []


def read_policy(client, desired):
    """The policy, the clusters named (each must exist), Senlin's validation of a new spec and the current
    bindings: every check made before any write. Returns a PolicyState."""
    policy = client.find('policy', desired.name)
    names, wanted = {}, {}
    if desired.state == 'absent':
        return PolicyState(policy, policy_bindings(client, policy['id'], names=names) if policy else {}, wanted, names)
    for item in desired.bindings:
        cluster = client.find('cluster', item['cluster'], required=True)
        names[cluster['id']] = cluster['name']
        wanted[cluster['id']] = item['enabled']
    replace = desired.replaces(policy)
    if policy is None or replace:
        if desired.spec is None:
            raise InvalidInput("Policy '%s' does not exist; spec is needed to create it (option spec or spec_file)." % desired.name)
        validate_spec(client, 'policy', desired.spec, desired.spec_file)
    if policy is None:
        actual = {}
    elif replace or desired.purge_clusters:
        actual = policy_bindings(client, policy['id'], names=names)
    else:
        actual = policy_bindings(client, policy['id'], clusters=list(wanted))
    return PolicyState(policy, actual, wanted, names)


def plan_policy(current, desired):
    """Plan a policy change from a PolicyState: create, replace (detach, delete, create, attach), bindings,
    delete (detach from every cluster, then delete)."""
    plan = PolicyPlan()
    policy, actual, names = current.policy, current.bindings, current.names
    if desired.state == 'absent':
        if policy:
            plan.diff.merge(diff_for_delete(policy))
            if actual:
                plan.diff.add('bindings', named_bindings(actual, names), {})
            plan.delete, plan.detach_first = True, sorted(actual)
        return plan
    replace = desired.replaces(policy)
    if policy is None:
        plan.diff.merge(diff_for_create(dict(name=desired.name, spec=desired.spec)))
    if replace:
        plan.diff.add('spec', policy.get('spec'), desired.spec)
    after = dict(actual) if not desired.purge_clusters else {}
    after.update(current.wanted)
    plan.attach, plan.update, plan.detach = plan_bindings(current.wanted, actual, desired.purge_clusters)
    if plan.attach or plan.update or plan.detach:
        plan.diff.add('bindings', named_bindings(actual, names), named_bindings(after, names))
    plan.bindings = binding_list(after, names)
    if replace:
        plan.delete, plan.detach_first = True, sorted(actual)
    if policy is None or replace:
        plan.create = dict(name=desired.name, spec=desired.spec)
        plan.attach, plan.update = after, {}
        plan.predicted = dict(name=desired.name, spec=desired.spec, type=spec_type(desired.spec))
    else:
        plan.predicted = policy
    return plan


def apply_policy(client, current, plan):
    """Carry out ``plan`` (never in check mode). Returns the policy afterwards (None when deleted)."""
    policy = current.policy
    if plan.delete:
        apply_bindings(client, policy['id'], {}, {}, plan.detach_first)
        client.request('DELETE', '/policies/%s' % policy['id'], retry_locked=False)
        policy = None
    if plan.create is not None:
        policy = create_object(client, 'policy', plan.create)[0]
    if policy is not None:
        apply_bindings(client, policy['id'], plan.attach, plan.update, plan.detach)
    return policy
