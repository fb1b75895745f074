# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only queries of the cluster_info module: clusters by name/status, with their nodes, policies, receivers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import looks_like_id
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.receiver import receiver_secrets, redact_receiver


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
