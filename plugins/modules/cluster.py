#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster
short_description: Create, resize, update, check, recover or delete a Senlin cluster
version_added: 0.1.0
description:
  - Manages a Senlin (OpenStack Clustering) cluster, that is its profile, size (C(min_size), C(max_size),
    C(desired_capacity)), name, metadata, config and action timeout.
  - "Every change in Senlin is an asynchronous action. The module waits on each action it starts (not on the
    cluster's status) and fails with the action's status reason and each failed node of the cluster with
    Senlin's reason and, for C(os.heat.stack) nodes, the Heat stack's own failure (its status reason and its
    failed resources), for example
    'node node-chNY (stack 3e1d...): CREATE_FAILED: Resource CREATE failed: ValueError: ...'."
  - O(state=present) means the cluster exists with O(desired_capacity) nodes that work. Each run (when
    O(wait=true)) looks at every node; a node that is not C(ACTIVE), or an C(os.heat.stack) node whose Heat
    stack is gone, failed or being deleted (for example deleted out of band), is broken. Broken nodes are
    recreated with Senlin's node C(recover) action (C(operation=RECREATE)), all at once, and the task
    reports C(changed); when a recreated node fails again the task fails with each node's reasons. This also
    happens right after this task's own create or resize action failed on some nodes, so a transient
    failure heals in the same run (with a warning that names the first failure).
  - Heat stacks that failed node creates left behind (Senlin does not delete them) are deleted, also when
    the cluster is deleted, unless O(keep_failed=true).
  - Check mode reports what the repair would do (RV(repaired_nodes), RV(removed_stacks), the diff) without
    writing.
  - Size changes go through one C(resize) action (C(adjustment_type=EXACT_CAPACITY), or the relative one of
    O(adjustment_type)); profile, name, metadata, config and timeout changes through one cluster update action;
    then O(replace_nodes), the repair, O(check), O(recover) and O(operation), in that order.
  - All options are checked before any write, that is C(min_size <= desired_capacity <= max_size) (with the
    cluster's current values for those not given), the profile exists, an inline O(profile_spec) passes
    Senlin's validation.
  - "Secrets in the profile (a password in a Heat parameter, an C(admin_pass) or C(user_data) property): pass
    them in O(profile_secret_parameters) or O(profile_secret_properties), which are C(no_log): they are merged
    into O(profile_spec) and stay out of the module's invocation (the C(Invoked with) log line on the managed
    host, C(invocation) of a failed task) and are masked in the result and the diff. A secret written directly
    in O(profile_spec) appears in the invocation: such a task needs C(no_log=true)."
  - "The diff shows a profile spec redacted unless O(diff_secrets=true): its C(type) and C(version), and each
    property (each Heat parameter) as C(******** <digest>), so you see which parts change, not their values."
  - "Senlin stores a profile's spec as given (no encryption) and shows it to every member of the project and to
    the cloud admins: what protects a secret in a spec is the project's membership."
  - Requests clustering API microversion 1.12.
options:
  name:
    description:
      - Name or id of the cluster. A name that matches more than one cluster is an error.
    type: str
    required: true
  new_name:
    description:
      - Rename the cluster found by O(name) to this name.
      - When no cluster is named O(name) but one is named O(new_name), that one is used, so the task stays
        idempotent after the rename. A new cluster gets this name.
    type: str
  state:
    description:
      - C(present) creates or updates the cluster, C(absent) deletes it with its nodes (Senlin also detaches
        its policies and deletes its receivers).
    type: str
    default: present
    choices: [present, absent]
  profile:
    description:
      - Name or id of an existing profile for the cluster's nodes.
      - Changing it updates the cluster to the new profile; Senlin then updates every node to it, unless
        O(profile_only=true). The new profile must have the same type.
    type: str
  profile_spec:
    description:
      - An inline profile spec (C(type), C(version), C(properties)) instead of O(profile). The module creates
        a profile named O(profile_name) from it.
      - Senlin cannot change a profile's spec, so a different spec creates a new profile, updates the cluster
        to it, and deletes the old profile when it was made by this module and nothing uses it any more.
      - "Senlin 16 limitation: a change of an C(os.heat.stack) spec that leaves the C(template) unchanged
        (only C(parameters), C(timeout), C(environment), C(files) or C(disable_rollback) differ) cannot be
        applied to existing nodes: Senlin sends Heat a stack update without a template and Heat answers
        400 \"No template specified\". The module refuses such a change before any write when the cluster has
        nodes; change the template too, or set O(profile_only=true)."
      - Put secrets in O(profile_secret_parameters) or O(profile_secret_properties) instead (see the
        description); a task with secrets in O(profile_spec) itself needs C(no_log=true).
    type: dict
  profile_spec_file:
    description:
      - Path of a profile spec file, as C(openstack cluster profile create --spec-file) takes it, instead of
        O(profile_spec) (which it then is, with the same behaviour). The spec is made as the openstack CLI
        makes it from the file; read on the host the module runs on. See the
        M(cloudrise.openstack.cluster_profile) module's O(cloudrise.openstack.cluster_profile#module:spec_file)
        for how the file is read.
      - Mutually exclusive with O(profile) and O(profile_spec).
    type: path
  profile_secret_parameters:
    description:
      - Heat parameters merged into O(profile_spec)'s C(properties.parameters) (C(os.heat.stack) specs only),
        for passwords and keys. C(no_log), so they are kept out of the invocation and masked in the result and the diff.
      - They are part of the spec, so a change makes a new profile as any spec change does.
    type: dict
  profile_secret_properties:
    description:
      - Properties merged into O(profile_spec)'s C(properties) (top-level keys replace those of
        O(profile_spec)), for secrets of any profile type. C(no_log) as O(profile_secret_parameters).
    type: dict
  diff_secrets:
    description:
      - Show O(profile_spec) in full in the diff (C(--diff)). By default it is redacted (C(type), C(version),
        each property as C(******** <digest>)), since a spec may hold secrets. The values of
        O(profile_secret_parameters) and O(profile_secret_properties) are masked even then.
    type: bool
    default: false
  profile_name:
    description:
      - Name of the profile created from O(profile_spec). Defaults to the cluster's name.
    type: str
  profile_only:
    description:
      - When the profile changes, only update the cluster's profile (used for new nodes) and leave the
        existing nodes as they are.
    type: bool
    default: false
  min_size:
    description:
      - Minimum number of nodes. A new cluster defaults to 0.
    type: int
  max_size:
    description:
      - Maximum number of nodes; C(-1) means no limit. A new cluster defaults to -1.
    type: int
  desired_capacity:
    description:
      - Number of nodes wanted. A new cluster defaults to O(min_size).
    type: int
  strict:
    description:
      - Passed to Senlin's resize action. With C(true) (Senlin's default) a resize that violates the size
        constraints fails; with C(false) Senlin adjusts it to the nearest allowed size.
    type: bool
  cluster_timeout:
    description:
      - The cluster's default action timeout in seconds (Senlin's cluster C(timeout) attribute).
      - Not the same as O(timeout), which is how long this module waits.
    type: int
  metadata:
    description:
      - Metadata of the cluster (key/value pairs). Compared as a whole; keys not listed are removed.
    type: dict
  config:
    description:
      - Senlin cluster C(config) (for example C(node.name.format)). Compared as a whole.
    type: dict
  check:
    description:
      - Run a cluster C(check) action (health check of every node) after the other changes.
      - Reports C(changed=true) when run; in check mode it is not run but predicted.
    type: bool
    default: false
  recover:
    description:
      - Run a cluster C(recover) action after the other changes (and after O(check)).
      - Reports C(changed=true) when run; in check mode it is not run but predicted.
    type: bool
    default: false
  recover_params:
    description:
      - "Parameters of the recover action, for example C({operation: RECREATE, check: true})."
    type: dict
  adjustment_type:
    description:
      - A resize as Senlin's C(resize) action takes it, with O(number) (and O(min_size), O(max_size), O(strict),
        O(min_step) in the same request). Mutually exclusive with O(desired_capacity).
      - C(EXACT_CAPACITY) sets the capacity to O(number), exactly as O(desired_capacity) does (idempotent, no write
        when equal).
      - "C(CHANGE_IN_CAPACITY) adds O(number) nodes (negative removes), C(CHANGE_IN_PERCENTAGE) adds O(number)
        percent of the current size (negative removes). These are relative, so B(not idempotent): like O(check)
        and O(recover), B(every run resizes again) and reports C(changed). Only when the resulting capacity equals
        the current one (O(number=0), or O(strict=false) holds the cluster at a bound) nothing is written and
        C(changed=false). Use O(desired_capacity) to state a size idempotently."
      - "The module computes the new capacity as Senlin does, before any write (also in check mode, where the diff
        shows C(desired_capacity) old -> new): from the number of member nodes (from C(desired_capacity) when the
        cluster has no node); a percentage is rounded towards zero, but a change below one node is one node;
        O(min_step) is the least number of nodes a percentage changes. With O(strict=true) (Senlin's default) a
        result outside C([min_size, max_size]) fails with Senlin's message; with O(strict=false) it is moved to
        the nearest bound of the cluster. A O(min_size) or O(max_size) given is sent with the resize and Senlin
        holds the result to it whatever O(strict) says (a result outside it fails)."
      - A relative type needs an existing cluster. A percentage of a cluster with no node is refused (it changes
        nothing, and Senlin would apply O(min_step) as a decrease).
    type: str
    choices: [EXACT_CAPACITY, CHANGE_IN_CAPACITY, CHANGE_IN_PERCENTAGE]
  number:
    description:
      - The number of O(adjustment_type) (required with it). A whole number for C(EXACT_CAPACITY) (not negative)
        and C(CHANGE_IN_CAPACITY); C(CHANGE_IN_PERCENTAGE) takes a fraction too (for example C(12.5)).
    type: float
  min_step:
    description:
      - With O(adjustment_type=CHANGE_IN_PERCENTAGE) only, the least number of nodes the resize adds or removes
        (a non-negative integer). Refused with the other types.
    type: int
  operation:
    description:
      - Run this operation of the profile type on the cluster's nodes (Senlin's cluster C(ops), for example
        C(reboot) of C(os.nova.server)), after the other changes and after O(check) and O(recover), waiting on its
        action; a failure names the failed nodes with their reasons.
      - "Checked before any write: the cluster exists, its profile type offers the operation (the message lists
        those it offers; C(os.heat.stack) offers only C(abandon), which Senlin 16 handles as a no-op), and
        O(operation_filters) match a node."
      - Not idempotent (an action like O(check)); reports C(changed=true) on every run, in check mode predicted.
    type: str
  operation_params:
    description:
      - Parameters of O(operation), checked by Senlin against the operation's schema.
    type: dict
  operation_filters:
    description:
      - The nodes O(operation) runs on, by C(name), C(profile_id), C(status) or C(role) (exact values; a list
        means any of them). All the cluster's nodes when not set. Matching no node fails before any write.
    type: dict
  replace_nodes:
    description:
      - "Replace member nodes by standalone ones: old node -> new node (names or ids), in one C(replace_nodes)
        action. Idempotent: when every old node is out of this cluster and every new one is in it, nothing is
        written."
      - Checked before any write, as Senlin checks them; each refusal names the node. Both nodes exist, the old one
        is a member of this cluster, the new one is in no cluster, is C(ACTIVE) and has the cluster's profile
        type.
      - "Senlin 16 limitation: with C(os.heat.stack) nodes the action fails (Senlin updates the stack's tags with a
        Heat stack update that carries no template and Heat answers 400 \"No template specified\"); the task then
        fails naming each node with its status and reason, and the cluster keeps its members."
    type: dict
  force:
    description:
      - "With O(state=absent), delete the cluster even when it is busy (C(CREATING), C(UPDATING), C(DELETING),
        C(RECOVERING)), for example stuck in a create: Senlin's delete action then takes over the cluster's lock
        (C(DELETE /clusters/{id}?force=true), microversion 1.8 or later)."
      - Without it, deleting a busy cluster fails at once, before any write, with its status.
      - Heat stacks of the cluster's nodes that the delete leaves (a stack still being created) are deleted
        as well, unless O(keep_failed=true).
    type: bool
    default: false
  repair:
    description:
      - With O(state=present), recreate broken nodes (see the description). With C(false) a broken node
        fails the task, naming it with its reasons, and nothing is written for it.
    type: bool
    default: true
  keep_failed:
    description:
      - Keep the Heat stacks that failed node creates left behind (for inspection) instead of deleting them;
        they are listed in RV(failed_stacks).
    type: bool
    default: false
  timeout:
    description:
      - How long, in seconds, to wait for all actions of the task together.
    type: int
    default: 600
seealso:
  - module: cloudrise.openstack.cluster_info
    description: Query clusters, their nodes and collected node attributes.
  - module: cloudrise.openstack.cluster_profile
    description: Manage the profile a cluster builds its nodes from.
  - module: cloudrise.openstack.cluster_node
    description: Manage single nodes, in a cluster or standalone.
  - module: cloudrise.openstack.cluster_policy
    description: Attach policies (scaling, deletion, health) to a cluster.
  - module: cloudrise.openstack.receiver
    description: Webhook receivers that trigger actions on a cluster.
  - module: cloudrise.openstack.cluster_action_info
    description: The actions Senlin ran for a cluster, with the reasons of the failed ones.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
notes:
  - Senlin does not enforce unique names. When two runs create the same cluster at once, the run whose cluster
    is newer waits for its create to end, deletes its own cluster (and the profile it made from O(profile_spec)),
    then waits for the older cluster and returns it, with a warning. Clusters made otherwise are never deleted.
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: A cluster of 3 Heat-stack nodes from an inline profile
  cloudrise.openstack.cluster:
    cloud: mycloud
    name: web
    profile_spec:
      type: os.heat.stack
      version: '1.0'
      properties:
        template:
          heat_template_version: '2016-10-14'
          resources:
            rand:
              type: OS::Heat::RandomString
        timeout: 2
    min_size: 1
    max_size: 5
    desired_capacity: 3
    metadata:
      tier: web

- name: Nodes that get a password as a Heat parameter (kept out of logs without no_log on the task)
  cloudrise.openstack.cluster:
    name: db
    profile_spec:
      type: os.heat.stack
      version: '1.0'
      properties:
        template: "{{ lookup('file', 'db-node.yaml') | from_yaml }}"
    profile_secret_parameters:
      db_password: "{{ vault_db_password }}"
    desired_capacity: 2

- name: Scale it to 4 nodes
  cloudrise.openstack.cluster:
    name: web
    desired_capacity: 4

- name: Health-check and recover
  cloudrise.openstack.cluster:
    name: web
    check: true
    recover: true
    recover_params:
      operation: RECREATE

- name: Add one node on every run (not idempotent; desired_capacity is)
  cloudrise.openstack.cluster:
    name: web
    adjustment_type: CHANGE_IN_CAPACITY
    number: 1
    strict: false   # at max_size, stay there (changed=false) instead of failing

- name: Shrink by 25 percent, at least 2 nodes
  cloudrise.openstack.cluster:
    name: web
    adjustment_type: CHANGE_IN_PERCENTAGE
    number: -25
    min_step: 2

- name: Reboot the nodes whose role is db (an os.nova.server profile)
  cloudrise.openstack.cluster:
    name: db
    operation: reboot
    operation_params:
      type: SOFT
    operation_filters:
      role: db

- name: Replace a member node by a standalone one of the same profile type
  cloudrise.openstack.cluster:
    name: db
    replace_nodes:
      db-node-1: db-node-spare

- name: Delete a cluster stuck in CREATING
  cloudrise.openstack.cluster:
    name: web
    state: absent
    force: true

- name: Fail (instead of recreating them) when nodes are broken, and keep failed node stacks for inspection
  cloudrise.openstack.cluster:
    name: web
    repair: false
    keep_failed: true

- name: A cluster from an existing profile
  cloudrise.openstack.cluster:
    name: db
    profile: db-profile
    desired_capacity: 2

- name: Delete the cluster, its nodes and its module-made profile
  cloudrise.openstack.cluster:
    name: web
    state: absent
'''

RETURN = r'''
cluster:
  description: The cluster after the task (the predicted one in check mode); null when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Cluster id.
      type: str
    name:
      description: Cluster name.
      type: str
    status:
      description: Cluster status (ACTIVE, WARNING, ERROR, ...).
      type: str
    profile_id:
      description: Id of the cluster's profile.
      type: str
    min_size:
      description: Minimum size.
      type: int
    max_size:
      description: Maximum size (-1 no limit).
      type: int
    desired_capacity:
      description: Desired number of nodes.
      type: int
    nodes:
      description: Ids of the member nodes.
      type: list
      elements: str
    metadata:
      description: Metadata.
      type: dict
node_ids:
  description: Ids of the cluster's nodes.
  returned: always
  type: list
  elements: str
repaired_nodes:
  description:
    - The broken nodes this task recreated (in check mode, would recreate), with the reason each was broken.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Node id.
      type: str
    name:
      description: Node name.
      type: str
    status:
      description: Senlin's status of the node when it was found broken.
      type: str
    reason:
      description: Why the node was broken (Senlin's status reason, or what is wrong with its Heat stack).
      type: str
    stack_id:
      description: Id of the node's Heat stack (the failed or missing one), when known.
      type: str
    stack_status:
      description: Status of that stack (for example C(CREATE_FAILED)), when it exists.
      type: str
    stack_reason:
      description: Heat's own reason for the failed stack (status reason and failed resources).
      type: str
removed_stacks:
  description:
    - Heat stacks of the cluster that no node uses (left behind by failed node creates) that this task deleted
      (in check mode, would delete).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Stack id.
      type: str
    name:
      description: Stack name.
      type: str
    status:
      description: Stack status when it was found.
      type: str
    reason:
      description: Stack status reason when it was found.
      type: str
failed_stacks:
  description:
    - With O(keep_failed=true), the Heat stacks left behind by failed node creates that were kept (same keys
      as RV(removed_stacks)).
  returned: always
  type: list
  elements: dict
failed_nodes:
  description: On failure, each node still broken (same keys as RV(repaired_nodes)).
  returned: failure
  type: list
  elements: dict
actions:
  description: The Senlin actions this task started, in order (none in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Action id.
      type: str
    name:
      description: Action type, for example CLUSTER_RESIZE, CLUSTER_OPERATION, CLUSTER_REPLACE_NODES.
      type: str
    target:
      description: Id of the cluster or node the action ran on.
      type: str
    status:
      description: Final action status (SUCCEEDED), or null when not waited on.
      type: str
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION, SenlinClient  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.create import remove_orphans, report_twins  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster import (  # noqa: E402
    DesiredCluster, apply_cluster_healing, converge_cluster, find_cluster, plan_cluster, read_cluster_profiles)
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.cluster_ops import read_cluster_ops  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.specfile import spec_file_params, validate_spec  # noqa: E402


class ClusterModule(CloudModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        new_name=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        profile=dict(type='str'),
        profile_spec=dict(type='dict'),
        profile_spec_file=dict(type='path'),
        profile_secret_parameters=dict(type='dict', no_log=True),
        profile_secret_properties=dict(type='dict', no_log=True),
        diff_secrets=dict(type='bool', default=False),
        profile_name=dict(type='str'),
        profile_only=dict(type='bool', default=False),
        min_size=dict(type='int'),
        max_size=dict(type='int'),
        desired_capacity=dict(type='int'),
        strict=dict(type='bool'),
        cluster_timeout=dict(type='int'),
        metadata=dict(type='dict'),
        config=dict(type='dict'),
        check=dict(type='bool', default=False),
        recover=dict(type='bool', default=False),
        recover_params=dict(type='dict'),
        adjustment_type=dict(type='str', choices=['EXACT_CAPACITY', 'CHANGE_IN_CAPACITY', 'CHANGE_IN_PERCENTAGE']),
        number=dict(type='float'),
        min_step=dict(type='int'),
        operation=dict(type='str'),
        operation_params=dict(type='dict'),
        operation_filters=dict(type='dict'),
        replace_nodes=dict(type='dict'),
        force=dict(type='bool', default=False),
        repair=dict(type='bool', default=True),
        keep_failed=dict(type='bool', default=False),
        timeout=dict(type='int', default=600),
    )
    module_kwargs = dict(supports_check_mode=True,
                         mutually_exclusive=[('profile', 'profile_spec', 'profile_spec_file'),
                                             ('desired_capacity', 'adjustment_type')],
                         required_together=[('adjustment_type', 'number')],
                         required_by={'min_step': 'adjustment_type', 'operation_params': 'operation',
                                      'operation_filters': 'operation'})
    microversions = {'clustering': MICROVERSION}

    def run(self):
        desired = DesiredCluster.from_params(spec_file_params(self.params, 'profile_spec', 'profile_spec_file', self.deadline))
        client = SenlinClient(self.conn, wait=self.params['wait'], timeout=self.params['timeout'], deadline=self.deadline)
        current = find_cluster(client, desired)
        current_profile, wanted_profile = read_cluster_profiles(client, current, desired)
        plan = plan_cluster(current, desired, current_profile, wanted_profile, read_cluster_ops(client, current, desired))
        remove_orphans(client, plan.diff, self.check_mode, warn=self.warn)
        if plan.new_profile:
            validate_spec(client, 'profile', plan.new_profile[1], self.params['profile_spec_file'], 'profile_spec_file')
        target, failure = current, None
        if plan.changed and not self.check_mode:
            target, failure = apply_cluster_healing(client, current, plan, desired, warn=self.warn)
        elif plan.changed:
            target = plan.predicted
        report_twins(client, warn=self.warn)
        target = converge_cluster(client, target, plan, desired, self.check_mode, failure, warn=self.warn)
        return self.result(plan.diff, cluster=target, node_ids=list((target or {}).get('nodes') or []),
                           actions=client.actions, **plan.health.result())


def main():
    ClusterModule()()


if __name__ == '__main__':
    main()
