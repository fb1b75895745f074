#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_info
short_description: List Senlin clusters with their nodes, policies and receivers
version_added: 0.1.0
description:
  - Lists Senlin (OpenStack Clustering) clusters of the project, optionally filtered, each optionally with its
    nodes, its policy bindings and its receivers.
  - Never fails because nothing matches; the list is then empty.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Only the cluster with this name or id.
    type: str
  status:
    description:
      - Only clusters in this status, for example C(ACTIVE), C(WARNING), C(ERROR).
    type: str
  with_nodes:
    description:
      - Add C(nodes), the member nodes (one more request per cluster).
    type: bool
    default: false
  with_policies:
    description:
      - Add C(policies), the policy bindings (one more request per cluster).
    type: bool
    default: false
  with_receivers:
    description:
      - Add C(receivers), the receivers that target the cluster (one request in all).
    type: bool
    default: false
  collect:
    description:
      - An attribute path to collect from every node of each cluster (Senlin's cluster collect,
        C(GET /clusters/{id}/attrs/{path})), returned as C(collected), so that a play can build its inventory from the
        nodes' stack outputs without one request per node.
      - C(details.outputs.<key>) is the value of the Heat output C(<key>) of each node's stack (C(os.heat.stack)
        nodes). Senlin's jsonpath cannot pick a list item by key, so the module collects C(details.outputs) and picks
        the key itself.
      - Any other path is sent as it is, for example C(name), C(physical_id) or C(details.stack_status); Senlin
        evaluates it (jsonpath-rw) on each node's dict, C(details) being the node's Heat stack, and keeps the first
        match.
      - The task fails when the path matches nothing on any node of the clusters (an empty cluster has nothing to
        match; the message lists the stacks' output keys for a C(details.outputs.<key>) path), and when Senlin
        refuses the path.
      - One request per cluster, plus its node list unless O(with_nodes=true).
    type: str
  hide_urls:
    description:
      - Replace the webhook receivers' URLs B(and ids) by C(********) (the id is the secret part of a webhook's
        URL, see M(cloudrise.openstack.receiver)); they are also masked wherever else they would appear.
      - Set C(false) to read the URLs, and then set C(no_log=true) on the task, since a webhook URL is a bearer
        credential. The default was C(false) before.
    type: bool
    default: true
seealso:
  - module: cloudrise.openstack.cluster
    description: Create, resize, update or delete a cluster.
  - module: cloudrise.openstack.cluster_action_info
    description: The actions Senlin ran for a cluster.
  - module: cloudrise.openstack.cluster_event_info
    description: The events of a cluster and its nodes.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Every cluster with its nodes
  cloudrise.openstack.cluster_info:
    with_nodes: true
  register: info

- name: One cluster, everything about it
  cloudrise.openstack.cluster_info:
    name: web
    with_nodes: true
    with_policies: true
    with_receivers: true

- name: The Heat output "address" of every node of a cluster, in node index order
  cloudrise.openstack.cluster_info:
    name: web
    collect: details.outputs.address
  register: web

- name: Add the nodes to the inventory
  ansible.builtin.add_host:
    name: "{{ item.node_name }}"
    ansible_host: "{{ item.value }}"
  loop: "{{ web.clusters[0].collected }}"
'''

RETURN = r'''
clusters:
  description: The clusters that match, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Cluster id.
      type: str
    name:
      description: Cluster name.
      type: str
    status:
      description: Cluster status.
      type: str
    desired_capacity:
      description: Desired size.
      type: int
    nodes:
      description: Member nodes (dicts with id, name, status, physical_id, role, ...) when O(with_nodes=true);
        otherwise the member node ids, as Senlin returns them.
      type: list
      elements: raw
    policies:
      description: Policy bindings (policy_id, policy_name, policy_type, enabled) when O(with_policies=true).
      type: list
      elements: dict
    receivers:
      description: Receivers targeting the cluster when O(with_receivers=true); a webhook's C(id) and
        C(channel.alarm_url) are C(********) unless O(hide_urls=false).
      type: list
      elements: dict
    collected:
      description: With O(collect), the value of the path on each node where it matched, in node index order.
      returned: when O(collect) is set
      type: list
      elements: dict
      contains:
        node_id:
          description: Node id.
          type: str
        node_name:
          description: Node name.
          type: str
        node_index:
          description: The node's index in the cluster.
          type: int
        value:
          description: The value (for C(details.outputs.<key>), the output's C(output_value)).
          type: raw
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.info import cluster_details, collect, list_clusters  # noqa: E402


class ClusterInfoModule(CloudModule):
    argument_spec = dict(
        collect=dict(type='str'),
        name=dict(type='str'),
        status=dict(type='str'),
        with_nodes=dict(type='bool', default=False),
        with_policies=dict(type='bool', default=False),
        with_receivers=dict(type='bool', default=False),
        hide_urls=dict(type='bool', default=True),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=False, timeout=p['timeout'], deadline=self.deadline)
        secrets = self.module.no_log_values if p['hide_urls'] else None
        clusters = cluster_details(client, list_clusters(client, p['name'], p['status']), nodes=p['with_nodes'],
                                   policies=p['with_policies'], receivers=p['with_receivers'], hide_urls=p['hide_urls'],
                                   secrets=secrets)
        if p['collect'] is not None:
            collect(client, clusters, p['collect'])
        return self.info_result(clusters=clusters)


def main():
    ClusterInfoModule()()


if __name__ == '__main__':
    main()
