# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only queries of cluster_info (clusters with their nodes, policies, receivers, and an attribute
collected from every node), cluster_profile_info, cluster_policy_info and cluster_receiver_info."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import quote_value
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.listing import find_all
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.receiver import receiver_secrets, redact_receiver

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None


def list_clusters(client, name=None, status=None):
    """Clusters by name or id and/or status, sorted by name; [] when none match."""
    if name and looks_like_id(name):
        found = client.get('cluster', name)
        clusters = [found] if found else []
        if not clusters:
            clusters = client.list('cluster', name=name)
    else:
        clusters = client.list('cluster', name=name)
    if name:
        clusters = [c for c in clusters if c.get('name') == name or c.get('id') == name]
    if status:
        clusters = [c for c in clusters if c.get('status') == status.upper()]
    return sorted(clusters, key=lambda c: (c.get('name') or '', c.get('id')))


def cluster_details(client, clusters, nodes=False, policies=False, receivers=False, hide_urls=True, secrets=None):
    """Add the clusters' ``nodes``, ``policies`` (bindings) and ``receivers`` (webhook URLs and ids redacted with
    ``hide_urls``) to each cluster dict, as asked. The hidden values go into ``secrets`` (a set), when given, to be
    masked everywhere else. Returns ``clusters``."""
    all_receivers = client.list('receiver') if receivers and clusters else []
    if hide_urls and secrets is not None:
        for receiver in all_receivers:
            secrets.update(receiver_secrets(receiver))
    for cluster in clusters:
        if nodes:
            cluster['nodes'] = sorted(client.list('node', cluster_id=cluster['id']),
                                      key=lambda n: (n.get('index') or 0, n.get('name') or ''))
        if policies:
            cluster['policies'] = client.get_json('/clusters/%s/policies' % cluster['id']).get('cluster_policies') or []
        if receivers:
            cluster['receivers'] = [redact_receiver(r, hide_urls) for r in all_receivers
                                    if r.get('cluster_id') == cluster['id']]
    return clusters


# -- collect: one attribute of every node of a cluster (GET /clusters/{id}/attrs/{path}, microversion 1.2) -------

HEAT_OUTPUTS = 'details.outputs'
_MISSING = object()


def collect_request(path):
    """``(path sent to Senlin, Heat output key or None)``.

    Senlin evaluates ``path`` with jsonpath-rw on each node's dict, where ``details`` is the node's Heat stack and
    ``details.outputs`` a list of ``{output_key, output_value}``: jsonpath-rw cannot pick a list item by key, so
    ``details.outputs.<key>`` is sent as ``details.outputs`` and the key's ``output_value`` picked here. Any other
    path is sent as it is."""
    path = (path or '').strip()
    if not path:
        raise InvalidInput('collect needs an attribute path, for example details.outputs.<output key> or name.')
    prefix = HEAT_OUTPUTS + '.'
    if path.startswith(prefix) and path[len(prefix):] and not any(c in path[len(prefix):] for c in '.[]*'):
        return HEAT_OUTPUTS, path[len(prefix):]
    return path, None


def heat_output(outputs, key):
    """The ``output_value`` of the output ``key`` in a Heat stack's ``outputs`` list; _MISSING when absent."""
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict) and output.get('output_key') == key:
            return output.get('output_value')
    return _MISSING


def collect(client, clusters, path):
    """Add ``collected`` (``[{node_id, node_name, node_index, value}]`` in node index order, the nodes on which
    ``path`` matched) to each cluster dict. Raises InvalidInput when ``path`` matched nothing on any node of the
    clusters (an empty cluster has nothing to match), or when Senlin refuses it. Returns ``clusters``."""
    sent, key = collect_request(path)
    with_nodes = 0
    output_keys = set()
    for cluster in clusters:
        nodes = cluster.get('nodes')
        if not (nodes and isinstance(nodes[0], dict)):
            nodes = sorted(client.list('node', cluster_id=cluster['id']),
                           key=lambda n: (n.get('index') or 0, n.get('name') or ''))
        with_nodes += len(nodes)
        values = dict((a.get('id'), a.get('value')) for a in _collect_one(client, cluster, sent, path))
        collected = []
        for node in nodes:
            value = values.get(node['id'], _MISSING)
            if key is not None and value is not _MISSING:
                output_keys.update(o.get('output_key') for o in (value if isinstance(value, list) else [])
                                   if isinstance(o, dict))
                value = heat_output(value, key)
            if value is not _MISSING:
                collected.append(dict(node_id=node['id'], node_name=node.get('name'), node_index=node.get('index'),
                                      value=value))
        cluster['collected'] = collected
    if with_nodes and not any(c['collected'] for c in clusters):
        hint = ''
        if key is not None:
            hint = (' The nodes\' Heat stacks have the outputs: %s.' % ', '.join(sorted(k for k in output_keys if k))
                    if output_keys else ' The nodes have no Heat stack outputs.')
        raise InvalidInput("collect: the path '%s' matches nothing on the %d node(s) of cluster(s) %s.%s"
                           % (path, with_nodes, ', '.join(c.get('name') or c['id'] for c in clusters), hint),
                           path=path)
    return clusters


def node_outputs(client, cluster):
    """``{node id: {output key: value}}``: the Heat stack outputs of every node of ``cluster`` (a dict with ``id``),
    from one cluster collect of ``details.outputs``. A node without a Heat stack (or without outputs) is left out."""
    outputs = {}
    for attribute in _collect_one(client, cluster, HEAT_OUTPUTS, HEAT_OUTPUTS):
        value = attribute.get('value')
        if isinstance(value, list):
            outputs[attribute.get('id')] = dict(
                (o['output_key'], o.get('output_value')) for o in value if isinstance(o, dict) and o.get('output_key'))
    return outputs


def _collect_one(client, cluster, sent, path):
    try:
        data = client.get_json('/clusters/%s/attrs/%s' % (cluster['id'], quote_value(sent)))
    except sdk_exceptions.HttpException as exc:
        reason = getattr(exc, 'details', None) or str(exc)
        if exc.status_code == 400:
            raise InvalidInput("collect: Senlin refuses the path '%s': %s" % (path, reason), path=path,
                               status_code=400)
        if exc.status_code == 500 and 'list index out of range' in reason:
            # Senlin 16's get_path_parser fails on a parse error without a position (an unclosed bracket)
            raise InvalidInput("collect: Senlin refuses the path '%s': it cannot parse it (Senlin answers 500 "
                               "'list index out of range' to an incomplete path such as an unclosed bracket)."
                               % path, path=path, status_code=500)
        raise
    return data.get('cluster_attributes') or []


# -- profiles, policies, receivers -------------------------------------------------------------------------------

VERSIONED = re.compile(r'-[0-9]+(\.[0-9]+)*$')   # a type with its version: os.heat.stack-1.0


def type_filter(kind_type):
    """``(server filter, client-side check)`` for a profile/policy ``type``: Senlin stores ``name-version``
    (``os.heat.stack-1.0``) and filters on it exactly; a type without its version (``os.heat.stack``) matches
    every version, checked here."""
    if not kind_type or VERSIONED.search(kind_type):
        return kind_type or None, None
    return None, lambda item: (item.get('type') or '').rsplit('-', 1)[0] == kind_type


def list_profiles(client, name=None, profile_type=None, sort=None):
    """Profiles by name or id and type (with or without its version), in ``sort`` order (Senlin's)."""
    sent, keep = type_filter(profile_type)
    profiles = find_all(client, 'profile', name, sort=sort, type=sent)
    return [p for p in profiles if keep is None or keep(p)]


def list_policies(client, name=None, policy_type=None, sort=None, with_clusters=False):
    """Policies by name or id and type; with ``with_clusters`` each gets ``clusters``, its bindings
    (``cluster_id``, ``cluster_name``, ``enabled``, ``priority``): Senlin lists bindings only per cluster, so
    that is one request per cluster of the project."""
    sent, keep = type_filter(policy_type)
    policies = [p for p in find_all(client, 'policy', name, sort=sort, type=sent) if keep is None or keep(p)]
    if with_clusters and policies:
        bindings = {}
        for cluster in client.list('cluster', sort='name'):
            for binding in client.get_json('/clusters/%s/policies' % cluster['id']).get('cluster_policies') or []:
                bindings.setdefault(binding.get('policy_id'), []).append(dict(
                    cluster_id=cluster['id'], cluster_name=cluster.get('name'), enabled=binding.get('enabled'),
                    priority=binding.get('priority')))
        for policy in policies:
            policy['clusters'] = bindings.get(policy['id'], [])
    return policies


def list_receivers(client, name=None, receiver_type=None, cluster=None, action=None, sort=None, hide_urls=True,
                   secrets=None):
    """Receivers by name or id, type, target cluster (name or id: a cluster that does not exist gives []) and
    action, webhooks' URLs and ids redacted with ``hide_urls`` (the hidden values go into ``secrets``)."""
    cluster_id = None
    if cluster:
        found = client.find('cluster', cluster)
        if found is None:
            return []
        cluster_id = found['id']
    receivers = find_all(client, 'receiver', name, sort=sort, type=receiver_type, cluster_id=cluster_id,
                         action=action)
    if hide_urls and secrets is not None:
        for receiver in receivers:
            secrets.update(receiver_secrets(receiver))
    return [redact_receiver(r, hide_urls) for r in receivers]
