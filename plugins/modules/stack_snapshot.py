#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: stack_snapshot
short_description: Take, delete or restore a snapshot of an OpenStack Heat stack, by name
version_added: 0.1.0
description:
  - Takes a snapshot of a Heat stack under a name, deletes the snapshots of a name, or restores the stack from the
    snapshot of a name (Heat's C(snapshots) API).
  - Idempotent by name. O(state=present) takes a snapshot only when the stack has none of that name (Heat does not
    make names unique; this module keeps them so - two snapshots of one name fail O(state=present) and
    O(state=restored) as ambiguous, and O(state=absent) deletes them all).
  - O(state=restored) restores the stack from the snapshot and waits for C(RESTORE_COMPLETE). Heat records no
    snapshot id on a restored stack, so the stack counts as restored (no change) when it is C(RESTORE_COMPLETE)
    and its stored template and environment equal the snapshot's (hidden parameter values compared as Heat shows
    them, masked). Any later update, check, suspend or snapshot of the stack changes its status, and the next
    run restores it again.
  - A stack, or a snapshot of the name, found in progress is waited for first (within O(timeout)).
  - Check mode sends no write and returns the predicted snapshot; C(--diff) shows the snapshot taken or deleted,
    or the stack's status before and after a restore.
  - Secrets - Heat keeps in a snapshot the stack's parameter values unmasked, hidden ones too, and shows them to
    anyone who can read the stack's snapshots. This module never returns a snapshot's data (the template,
    environment and resources Heat saved), only its id, name, status and times.
options:
  stack:
    description:
      - Name or id of the stack.
    type: str
    required: true
  name:
    description:
      - Name of the snapshot.
    type: str
    required: true
  state:
    description:
      - C(present) takes a snapshot of that name when the stack has none, and waits until it is C(COMPLETE).
      - C(absent) deletes the stack's snapshots of that name and waits until they are gone.
      - C(restored) restores the stack from the snapshot of that name and waits for C(RESTORE_COMPLETE).
    type: str
    default: present
    choices: [present, absent, restored]
notes:
  - A restore is Heat's - the stack's template, environment and resources go back to the snapshot's, and Heat
    clears the stack's tags (Heat 27 restores a stack without them). Set them again with M(cloudrise.openstack.stack)
    when you need them.
  - O(wait=false) returns after the request, with the snapshot C(IN_PROGRESS) or the stack C(RESTORE_IN_PROGRESS).
  - Heat limits the snapshots of a stack (C(max_snapshots_per_stack), 32 by default); beyond it a snapshot fails
    with Heat's message.
seealso:
  - module: cloudrise.openstack.stack
    description: Create, update and delete the stack itself.
  - module: cloudrise.openstack.stack_info
    description: List a stack with its snapshots.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Take a snapshot before an upgrade (nothing is sent when it exists)
  cloudrise.openstack.stack_snapshot:
    stack: app
    name: before-upgrade

- name: Roll the stack back to it
  cloudrise.openstack.stack_snapshot:
    stack: app
    name: before-upgrade
    state: restored

- name: What would a restore do
  cloudrise.openstack.stack_snapshot:
    stack: app
    name: before-upgrade
    state: restored
  check_mode: true
  diff: true

- name: Delete the snapshot
  cloudrise.openstack.stack_snapshot:
    stack: app
    name: before-upgrade
    state: absent

# Ad hoc:
#   ansible localhost -m cloudrise.openstack.stack_snapshot -a 'cloud=mycloud stack=app name=before-upgrade'
'''

RETURN = r'''
snapshot:
  description:
    - The snapshot (without Heat's C(data), which holds the stack's parameter values). None after O(state=absent).
    - In check mode for a snapshot to take, the predicted one (no id).
  returned: always
  type: dict
  sample:
    id: 3d8eb617-a6d2-4fec-881c-3c84e2a2ed0d
    name: before-upgrade
    status: COMPLETE
    status_reason: Stack SNAPSHOT completed successfully
    creation_time: "2025-01-01T10:00:00Z"
    action: CREATE
stack:
  description: The stack's id, name, status and status reason after the task.
  returned: always
  type: dict
  sample: {id: fdd8b759-baf5-4405-ad3a-154d9e3506de, name: app, status: RESTORE_COMPLETE,
           status_reason: Stack RESTORE completed successfully}
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.snapshot import (  # noqa: E402
    DesiredSnapshot, apply_snapshot, plan_snapshot, read_snapshots, stack_view)
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline  # noqa: E402


class StackSnapshotModule(CloudModule):
    argument_spec = dict(
        stack=dict(type='str', required=True),
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent', 'restored']),
    )
    module_kwargs = dict(supports_check_mode=True)

    def run(self):
        desired = DesiredSnapshot.from_params(self.params)
        deadline = self.deadline or Deadline(self.params['timeout'])
        api = HeatApi(self.conn)
        current = read_snapshots(api, deadline, desired)
        plan = plan_snapshot(current, desired)
        if plan.changed and not self.check_mode:
            snapshot, stack = apply_snapshot(api, deadline, plan, wait=self.params['wait'])
        else:  # check mode, or nothing to do
            snapshot, stack = plan.predicted, current.stack
        return self.result(plan.diff, snapshot=snapshot, stack=stack_view(stack))


def main():
    StackSnapshotModule()()


if __name__ == '__main__':
    main()
