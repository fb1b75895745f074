#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_event_info
short_description: List Senlin events of clusters and nodes
version_added: 0.1.0
description:
  - Lists the Senlin (OpenStack Clustering) events of the project (each action records a start and an end event
    on its cluster or node), newest first, optionally filtered.
  - Never fails because nothing matches (a O(cluster) that does not exist included); the list is then empty.
  - Requests clustering API microversion 1.12.
options:
  cluster:
    description:
      - Only the events of this cluster (name or id), its own and its nodes'.
    type: str
  node:
    description:
      - Only the events of this node (an id, else a name).
    type: str
  level:
    description:
      - Only events of these levels.
    type: list
    elements: str
    choices: [CRITICAL, ERROR, WARN, INFO, DEBUG]
  action:
    description:
      - Only events of these action types, for example C(CLUSTER_SCALE_OUT) or C(NODE_CREATE).
    type: list
    elements: str
  since:
    description:
      - Only events at or after this time, ISO 8601 (C(2026-12-01T10:00:00Z); without a zone, UTC).
      - Senlin has no such filter, so the module reads the events newest first and stops at the first older one
        (with another O(sort), it reads every event and filters them).
    type: str
  sort:
    description:
      - Senlin's sort, C(key[:asc|desc]) separated by commas; the keys are C(timestamp), C(level), C(otype),
        C(oname), C(action), C(status), C(oid) and C(cluster_id).
    type: str
    default: timestamp:desc
  limit:
    description:
      - Return at most this many events (the first in O(sort) order); the list is read in pages of 100.
    type: int
seealso:
  - module: cloudrise.openstack.cluster_action_info
    description: The actions behind the events, with the reasons of the failed ones.
  - module: cloudrise.openstack.cluster_info
    description: Query clusters and their nodes.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Errors of a cluster and its nodes in the last run
  cloudrise.openstack.cluster_event_info:
    cluster: web
    level: [ERROR, CRITICAL]
    since: "{{ run_started_at }}"
  register: errors

- name: The last 20 events of a node
  cloudrise.openstack.cluster_event_info:
    node: web-node-1
    limit: 20
'''

RETURN = r'''
events:
  description: The events that match, in O(sort) order (newest first by default).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Event id.
      type: str
    timestamp:
      description: When it happened (ISO 8601, UTC).
      type: str
    level:
      description: C(CRITICAL), C(ERROR), C(WARN), C(INFO) or C(DEBUG).
      type: str
    action:
      description: The action type that recorded it, for example C(CLUSTER_CREATE).
      type: str
    status:
      description: The phase (C(start), C(end), C(error), ...) or the object's status.
      type: str
    status_reason:
      description: The reason, or the id of the action at its start.
      type: str
    oid:
      description: The id of the cluster or node.
      type: str
    oname:
      description: The name of the cluster or node.
      type: str
    otype:
      description: C(CLUSTER) or C(NODE).
      type: str
    cluster_id:
      description: The cluster the object belongs to.
      type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.history import EVENT_LEVELS, list_events  # noqa: E402


class ClusterEventInfoModule(CloudModule):
    argument_spec = dict(
        action=dict(type='list', elements='str'),
        cluster=dict(type='str'),
        level=dict(type='list', elements='str', choices=list(EVENT_LEVELS)),
        limit=dict(type='int'),
        node=dict(type='str'),
        since=dict(type='str'),
        sort=dict(type='str', default='timestamp:desc'),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=False, timeout=p['timeout'], deadline=self.deadline)
        events = list_events(client, p['cluster'], p['node'], p['level'], p['action'], p['since'], p['sort'],
                             p['limit'])
        return self.info_result(events=events)


def main():
    ClusterEventInfoModule()()


if __name__ == '__main__':
    main()
