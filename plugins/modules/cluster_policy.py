#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_policy
short_description: Manage a Senlin policy and its attachments to clusters
version_added: 0.1.0
description:
  - Manages a Senlin (OpenStack Clustering) policy (for example C(senlin.policy.deletion),
    C(senlin.policy.scaling)) and its bindings to clusters (attach, enable/disable, detach).
  - The spec is checked with Senlin's validation before any write (unknown policy type, bad properties).
  - Senlin cannot change a policy's spec. A different spec replaces the policy within the task. The old
    policy is detached from every cluster, deleted, the new one created and attached again to the same
    clusters with the same C(enabled) (plus the bindings O(clusters) asks for).
  - Each attach, update and detach is a Senlin cluster action; the module waits on it.
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Name or id of the policy. A name that matches more than one policy is an error.
    type: str
    required: true
  spec:
    description:
      - The policy spec with C(type), C(version) and C(properties). Required to create the policy.
    type: dict
  clusters:
    description:
      - Clusters the policy is attached to. Each item is a cluster name/id, or a dict with C(cluster)
        (name/id) and C(enabled) (bool, default O(enabled)).
      - Bindings to clusters not listed are kept unless O(purge_clusters=true).
    type: list
    elements: raw
  enabled:
    description:
      - Whether a binding listed in O(clusters) without its own C(enabled) is enabled.
    type: bool
    default: true
  purge_clusters:
    description:
      - Detach the policy from clusters not listed in O(clusters).
    type: bool
    default: false
  state:
    description:
      - C(present) creates/replaces the policy and sets its bindings; C(absent) detaches it from every cluster
        and deletes it.
    type: str
    default: present
    choices: [present, absent]
  timeout:
    description:
      - How long, in seconds, to wait for all actions of the task together.
    type: int
    default: 600
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Delete the oldest nodes first, on two clusters (disabled on the second)
  cloudrise.openstack.cluster_policy:
    name: oldest-first
    spec:
      type: senlin.policy.deletion
      version: '1.1'
      properties:
        criteria: OLDEST_FIRST
        destroy_after_deletion: true
    clusters:
      - web
      - cluster: batch
        enabled: false

- name: Scale out by 2 nodes at a time, only on web
  cloudrise.openstack.cluster_policy:
    name: scale-out-2
    spec:
      type: senlin.policy.scaling
      version: '1.0'
      properties:
        event: CLUSTER_SCALE_OUT
        adjustment:
          type: CHANGE_IN_CAPACITY
          number: 2
    clusters: [web]
    purge_clusters: true

- name: Detach everywhere and delete
  cloudrise.openstack.cluster_policy:
    name: oldest-first
    state: absent
'''

RETURN = r'''
policy:
  description: The policy after the task (predicted in check mode); null when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Policy id.
      type: str
    name:
      description: Policy name.
      type: str
    type:
      description: Policy type with version.
      type: str
    spec:
      description: The spec.
      type: dict
bindings:
  description: The clusters the policy is attached to after the task (those looked at; all of them with
    O(purge_clusters=true), after a replacement, or with O(state=absent)).
  returned: always
  type: list
  elements: dict
  contains:
    cluster_id:
      description: Cluster id.
      type: str
    cluster_name:
      description: Cluster name.
      type: str
    enabled:
      description: Whether the binding is enabled.
      type: bool
actions:
  description: The Senlin actions this task started (none in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Action id.
      type: str
    name:
      description: Action type (CLUSTER_ATTACH_POLICY, CLUSTER_UPDATE_POLICY, CLUSTER_DETACH_POLICY).
      type: str
    target:
      description: Cluster id.
      type: str
    status:
      description: Final status, or null when not waited on.
      type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.common import diff_for_create, diff_for_delete, spec_equal  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.policy import (  # noqa: E402
    apply_bindings, binding_list, named_bindings, normalize_bindings, plan_bindings, policy_bindings)


class ClusterPolicyModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        spec=dict(type='dict'),
        clusters=dict(type='list', elements='raw'),
        enabled=dict(type='bool', default=True),
        purge_clusters=dict(type='bool', default=False),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        timeout=dict(type='int', default=600),
    )
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': MICROVERSION}

    def absent(self, client, policy, diff):
        """Detach the policy from every cluster, then delete it."""
        if policy:
            names = {}
            actual = policy_bindings(client, policy['id'], names=names)
            diff.merge(diff_for_delete(policy))
            if actual:
                diff.add('bindings', named_bindings(actual, names), {})
            if not self.check_mode:
                apply_bindings(client, policy['id'], {}, {}, sorted(actual))
                client.request('DELETE', '/policies/%s' % policy['id'], retry_locked=False)
        return self.result(diff, policy=None, bindings=[], actions=client.actions)

    def run(self):
        p = self.params
        client = SenlinClient(self.conn, wait=p['wait'], timeout=p['timeout'])
        policy = client.find('policy', p['name'])
        diff = Difference()
        if p['state'] == 'absent':
            return self.absent(client, policy, diff)

        names = {}
        desired = {}
        for item in normalize_bindings(p['clusters'], p['enabled']):
            cluster = client.find('cluster', item['cluster'], required=True)
            names[cluster['id']] = cluster['name']
            desired[cluster['id']] = item['enabled']

        replace = policy is not None and p['spec'] is not None and not spec_equal(
            p['spec'], policy.get('spec'))
        if policy is None or replace:
            if p['spec'] is None:
                raise InvalidInput("Policy '%s' does not exist; spec is needed to create it." % p['name'])
            client.validate_spec('policy', p['spec'])
        if policy is None:
            actual = {}
            diff.merge(diff_for_create(dict(name=p['name'], spec=p['spec'])))
        elif replace or p['purge_clusters']:
            actual = policy_bindings(client, policy['id'], names=names)
        else:
            actual = policy_bindings(client, policy['id'], clusters=list(desired))
        if replace:
            diff.add('spec', policy.get('spec'), p['spec'])
        after = dict(actual) if not p['purge_clusters'] else {}
        after.update(desired)
        attach, update, detach = plan_bindings(desired, actual, p['purge_clusters'])
        if attach or update or detach:
            diff.add('bindings', named_bindings(actual, names), named_bindings(after, names))

        if self.check_mode:
            predicted = policy if not replace and policy else dict(
                name=p['name'], spec=p['spec'], type='%s-%s' % (p['spec'].get('type'), p['spec'].get('version')))
            return self.result(diff, policy=predicted, bindings=binding_list(after, names),
                               actions=client.actions)
        if replace:
            apply_bindings(client, policy['id'], {}, {}, sorted(actual))
            client.request('DELETE', '/policies/%s' % policy['id'], retry_locked=False)
            policy = None
            attach, update = after, {}
        if policy is None:
            policy = client.request('POST', '/policies', {'policy': dict(name=p['name'], spec=p['spec'])}
                                    ).json()['policy']
            attach = after
        apply_bindings(client, policy['id'], attach, update, detach)
        return self.result(diff, policy=policy, bindings=binding_list(after, names), actions=client.actions)


def main():
    ClusterPolicyModule()()


if __name__ == '__main__':
    main()
