#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: baremetal_instance_info
short_description: List bare-metal instances (hostname to node), as metalsmith shows them
version_added: 0.1.0
description:
  - Lists the bare-metal instances of the cloud, or those of the given hostnames (or node names or UUIDs),
    with the node each one is on, as metalsmith's C(show) does. An instance is a node that carries a hostname as the name of its Ironic allocation (or as
    C(instance_info.display_name) with C(instance_uuid) equal to the node's UUID, for nodes deployed by old
    metalsmith releases), as M(cloudrise.openstack.baremetal_instance) makes them.
  - A hostname that has no instance is left out of RV(instances) and listed in RV(missing); the module
    never fails because an instance does not exist.
author:
  - cloudrise.openstack contributors (@cloudrise)
seealso:
  - module: cloudrise.openstack.baremetal_instance
    description: Reserve, deploy and undeploy instances.
  - module: openstack.cloud.baremetal_node_info
    description: List bare-metal nodes (not instances by hostname).
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
options:
  hostnames:
    description:
      - Instances to look up, each by its hostname or by the name or UUID of its node (a hostname is looked up
        first). When not set, every instance is listed.
      - An instance named twice (by its hostname and by its node) is listed once.
    type: list
    elements: str
    aliases: [hostname]
notes:
  - Reads every node (with details) and every allocation once, whatever the number of hostnames.
'''

EXAMPLES = r'''
- name: Every instance
  cloudrise.openstack.baremetal_instance_info:
    cloud: mycloud
  register: all_instances

- name: Where are compute-0 and compute-1?
  cloudrise.openstack.baremetal_instance_info:
    hostnames: [compute-0, compute-1]
  register: found

- name: Look an instance up by the name of its node
  cloudrise.openstack.baremetal_instance_info:
    hostnames: [node-7]
  register: on_node_7

- name: Show the node of each
  ansible.builtin.debug:
    msg: "{{ item.hostname }} is on {{ item.name }} ({{ item.state }}, {{ item.status }})"
  loop: "{{ found.instances }}"
'''

RETURN = r'''
instances:
  description:
    - The instances found, sorted by hostname (or in the order of O(hostnames)), with the keys of metalsmith's
      C(Instance.to_dict()) and more, as M(cloudrise.openstack.baremetal_instance) returns them.
  returned: always
  type: list
  elements: dict
  contains:
    hostname:
      description: Host name of the instance (also when it was looked up by its node's name or UUID).
      type: str
      sample: compute-0
    action:
      description: Always V(none) (this module only reads).
      type: str
    state:
      description:
        - State of the instance as metalsmith reports it - V(deploying) (reserved, or deploying), V(active),
          V(maintenance), V(error) or V(unknown).
      type: str
      sample: active
    status:
      description:
        - V(allocating), V(allocation_error), V(reserved), V(deploying), V(active), V(deploy_failed),
          V(undeploying), V(error), or another Ironic provision state.
      type: str
      sample: reserved
    is_deployed:
      description: Whether the deployment is finished (RV(instances[].state) is V(active) or V(maintenance)).
      type: bool
    is_healthy:
      description: Whether the instance is V(active) or V(deploying) and its node is not in maintenance.
      type: bool
    id:
      description: UUID of the node; null when the allocation holds no node.
      type: str
    uuid:
      description: UUID of the node (same as RV(instances[].id)).
      type: str
    name:
      description: Name of the node.
      type: str
    provision_state:
      description: Ironic provision state of the node.
      type: str
    power_state:
      description: Power state of the node.
      type: str
    is_maintenance:
      description: Whether the node is in maintenance.
      type: bool
    node:
      description:
        - The node (as in M(cloudrise.openstack.baremetal_instance)), or null; never its C(instance_info) or
          C(driver_info).
      type: dict
    allocation:
      description: The allocation carrying the hostname (C(id), C(name), C(state), C(node_id), C(last_error)), or null.
      type: dict
    image:
      description: The deployed image (C(instance_info.image_source)).
      type: str
    ip_addresses:
      description: IP addresses by network name, from the node's VIFs; empty when the cloud has no network service.
      type: dict
missing:
  description: Hostnames of O(hostnames) that have no instance.
  returned: always
  type: list
  elements: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.api import BaremetalApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.plan import list_instances  # noqa: E402


class BaremetalInstanceInfoModule(CloudModule):
    argument_spec = dict(
        hostnames=dict(type='list', elements='str', aliases=['hostname']),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        api = BaremetalApi(self.conn).snapshot()
        found, missing = list_instances(api, self.params['hostnames'])
        views = [view for view, dummy in found]
        return self.info_result(instances=views, missing=missing)


def main():
    BaremetalInstanceInfoModule()()


if __name__ == '__main__':
    main()
