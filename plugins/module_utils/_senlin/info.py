# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only queries of the cluster_info module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import looks_like_id


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
