#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: stack
short_description: Create, update, suspend or delete an OpenStack Heat stack, idempotently
version_added: 0.1.0
description:
  - Creates, updates, suspends/resumes or deletes a Heat stack.
  - Accepts every option of C(openstack.cloud.stack) with the same meaning, so a task can switch FQCN.
  - Idempotent. The desired template, environment, files, parameters and tags are compared with the stack's
    stored ones (Heat's stored template, environment and files; pseudo-parameters ignored). When they are
    equal nothing is sent (no write request) and the task reports C(changed=false); otherwise the stack is
    updated with a full C(PUT) (template, environment, files, parameters and tags).
  - Secrets - pass secret parameter values in O(secret_parameters), a C(no_log) option, and declare them
    C(hidden=true) in the template. Ansible then masks the values everywhere - in the C(Invoked with) line it
    logs on the managed host, in C(invocation) of a task that fails before the template is read (a
    missing template file, a bad YAML), in the result and in the diff - and Heat masks them in its own reads.
    A hidden value typed in O(parameters) is masked only once the template was read (the module learns there
    which parameters are hidden), so such a task needs C(no_log=true) (the task keyword). So does a task whose secrets are in
    the template itself or its files (O(template_content), O(files), O(environment_content)), as module
    options are logged as given.
  - The diff (C(--diff)) never shows hidden or secret parameter values. By default it also hides what
    templates and files may carry - the template defaults of hidden and secret parameters, and the content of
    every file (C(get_file) contents, nested templates) - showing a file as C(********) with its size and a
    digest keyed for the run only (equal contents show equal digests within one diff, so the diff still shows
    which file changed; the digest cannot be matched against a guess). O(diff_secrets=true) shows them in full.
  - Hidden parameters (C(hidden=true) in the template) are masked by Heat in every read. To detect a change of their value
    without reading it, each write stores a salted digest of the hidden values in the stack
    environment's C(parameter_defaults) under C(cloudrise_hidden_parameters_digest) (Heat ignores defaults
    for parameters the template does not declare). Anyone who can read the stack can read the digest, so
    it is an HMAC-SHA256 keyed with O(hidden_digest_key) when given (nothing to brute-force without the
    key), else scrypt (n=32768, r=8, p=1 - 32 MiB of memory and about 0.1 s per guess, which still lets a short
    or common secret be guessed - use O(hidden_digest_key), or O(hidden_digest=false)). Digests of earlier
    versions (PBKDF2-SHA256) are still verified, so an upgrade causes no update; the next update writes
    the new digest. A stored digest that claims a cost above the caps (PBKDF2 10^6 iterations, scrypt
    32 MiB, p 4) is not computed and counts as a change. A stack written by another tool has no digest, so its
    hidden values cannot be verified and count as a change once. Hidden values are kept out of the output
    and the diff.
  - Input limits - every template, environment and file read or downloaded may have at most 1 MiB, all
    together 10 MiB (Heat's own default limits are 512 KiB per template and 1 MiB per request); YAML aliases
    may add at most 10000 nodes (or as many as the document has) to a document; only C(file), C(http) and
    C(https) URLs are read. A local C(get_file), nested template or C(resource_registry) reference must be
    under the template's directory (see O(files_root)). C(http)/C(https) downloads use O(ca_cert),
    O(validate_certs), O(client_cert) and O(client_key) (not the C(clouds.yaml) ones) and end within O(timeout).
    Each limit fails the task before any request to the cloud.
  - Check mode sends no write. For a new stack it returns Heat's create preview (C(POST /stacks/preview));
    for an existing stack that would change it returns the update preview's resource changes
    (C(PUT .../preview)). C(--diff) shows the template, environment, parameter, file and tag differences and
    the resource changes.
  - A stack that ends C(*_FAILED) (or rolled back) fails the task with the stack's status reason and each
    failed resource's name, type and reason. A stack that failed while being created by this task is deleted
    (nothing half-made is left) unless O(keep_failed=true).
  - A stack found C(*_FAILED) is updated (Heat recovers it), or deleted and created again with
    O(recreate_failed=true). A stack found C(*_IN_PROGRESS) is waited for first.
  - The task waits with short first polls (0.1 s growing to 0.5 s) so it returns soon after Heat finishes.
options:
  name:
    description:
      - Name of the stack.
    type: str
    required: true
  state:
    description:
      - C(present) creates or updates the stack (and resumes it if it is suspended).
      - C(suspended) makes the stack exist like C(present) and suspends it (Heat's suspend action).
        Without a template an existing stack is only suspended.
      - C(absent) deletes it and waits until it is gone.
      - C(checked) runs Heat's stack check (its C(check) action - each resource verifies that its underlying
        object is there and as expected) and waits for it; a check that finds a resource failed, missing or drifted
        fails the task with the stack's status reason and each failed resource's name, type and reason. With a
        template, the stack is first created, updated or resumed as with C(present); without one the existing
        stack is checked as it is (suspended or failed too).
      - C(checked) is a state, as C(suspended) is - Heat records a check as the stack's last action
        (C(CHECK_COMPLETE) or C(CHECK_FAILED)). The check runs on every real run; the task reports C(changed)
        when the stack's status changes (for example C(UPDATE_COMPLETE) or C(CHECK_FAILED) to C(CHECK_COMPLETE)),
        not when a stack already C(CHECK_COMPLETE) passes again (Heat then records new events only). Check mode
        runs no check (it would be recorded on the stack) and predicts C(CHECK_COMPLETE).
    type: str
    default: present
    choices: [present, absent, suspended, checked]
  template:
    description:
      - Path of the template file on the host running the module (as in C(openstack.cloud.stack)).
      - C(get_file) and nested template references are resolved relative to it and sent as the stack's files.
      - One of O(template), O(template_content) and O(template_url) is required to create or update a stack.
    type: str
  template_content:
    description:
      - The template inline, as a dict or a YAML/JSON string (for example C(lookup('template', 'stack.yaml.j2'))).
      - Relative C(get_file) and nested template references are resolved against the module's working directory,
        or taken from O(files).
    type: raw
  template_url:
    description:
      - URL of the template (C(http://), C(https://) or C(file://)); references are resolved relative to it.
      - A template downloaded from C(http://) or C(https://) may not read local files, unless O(files_root) is set.
    type: str
  files_root:
    description:
      - The directory tree local references may read - C(get_file), nested templates (C(type) ending in
        C(.yaml) or C(.template)) and C(resource_registry) entries, in the template, its nested templates and
        the environments. A reference resolving outside it (C(../), an absolute path, a symbolic link leading
        out) fails the task before any request.
      - When not set, the template's directory (for O(template_content) the module's working directory), and
        for an environment file's C(resource_registry) also the environment file's directory. A template or
        environment downloaded from C(http://) or C(https://) reads no local file then.
      - The paths given in O(template) and O(environment) themselves may be anywhere.
    type: path
  files:
    description:
      - Extra files (name to content) for C(get_file) and nested template references; a reference to a name in
        this dict uses this content instead of reading the file.
    type: dict
  environment:
    description:
      - Paths of environment files, merged in order (later files win), as in C(openstack.cloud.stack).
      - Files referenced by their C(resource_registry) are resolved and sent too.
    type: list
    elements: str
  environment_content:
    description:
      - An environment inline, as a dict or a YAML string, merged after the O(environment) files.
    type: raw
  parameters:
    description:
      - Stack parameters. They are sent on every create and update; a parameter not listed takes its default
        (or the value from an environment file).
    type: dict
    default: {}
  secret_parameters:
    description:
      - Stack parameters whose values are secret (passwords, keys, tokens), merged into O(parameters); a name
        in both fails the task (the message names the parameter, never its value).
      - A C(no_log) option - the values never appear in the module's log line, its C(invocation), its
        result or its diff, even when the task fails before anything was read.
      - They are sent and compared like O(parameters) (moving a value from O(parameters) here changes nothing
        on the stack). Declare them C(hidden=true) in the template too, so that Heat masks them in its reads
        (M(cloudrise.openstack.stack_info), the Heat API); a secret parameter the template does not hide is
        compared by value and redacted in this module's diff and result only.
    type: dict
  hidden_digest:
    description:
      - Store a digest of the hidden parameters' values in the stack (see the description), so that a change
        of a hidden value alone is detected and updates the stack.
      - With C(false) no digest is stored (an update removes an existing one), and hidden parameters are
        compared by name only - a changed hidden value alone does not update the stack (the task stays
        idempotent and sends nothing); it is sent with the next update made for another reason (or
        rotate it with a task that changes something else too, or with C(true) once).
    type: bool
    default: true
  hidden_digest_key:
    description:
      - The key of the hidden parameters' digest (an HMAC-SHA256), for example from Ansible Vault. Without it the
        digest is scrypt, which a project member can brute-force for short secrets.
      - A C(no_log) option. Use the same key for every run on a stack - a digest written with another key (or
        with none) cannot be verified, counts as a change once and is then rewritten with this key.
    type: str
  diff_secrets:
    description:
      - Show in the diff what is redacted by default - the template defaults of hidden and secret parameters
        and the content of the files (C(get_file) contents, nested templates). For templates and files that
        hold no secret.
      - Hidden and O(secret_parameters) values are never shown.
    type: bool
    default: false
  tags:
    description:
      - Tags of the stack, as a comma-separated string (as in C(openstack.cloud.stack)) or a list.
      - When not set, the stack's current tags are kept.
    type: raw
    aliases: [tag]
  timeout:
    description:
      - How long, in seconds, to wait for the stack operation. Also sent to Heat as the stack's
        C(timeout_mins), rounded B(up) to whole minutes (C(90) is 2 minutes, C(30) is 1), so that Heat never
        stops an operation before the task stops waiting for it. C(openstack.cloud.stack) (through openstacksdk)
        rounds down (C(timeout // 60) - 90 s is 1 minute, under 60 s is 0); both agree on whole minutes.
    type: int
    default: 3600
  rollback:
    description:
      - Whether Heat rolls the stack back when a create or update fails (C(disable_rollback = not rollback)).
      - A rolled-back operation still fails the task.
      - With O(cancel_update), whether the cancelled update is rolled back.
    type: bool
    default: false
  recreate_failed:
    description:
      - When the stack is found in a C(*_FAILED) or C(ROLLBACK_COMPLETE) state, delete it and create it again
        instead of updating it.
    type: bool
    default: false
  cancel_update:
    description:
      - Cancel the stack's update in progress (or create, without rollback) instead of waiting for it, and wait
        until the stack settles. With O(rollback=true) it is Heat's C(cancel_update) - the stack goes back to
        its previous template and resources (C(ROLLBACK_COMPLETE)); Heat cancels only updates so. With
        O(rollback=false) (the default) it is Heat's C(cancel_without_rollback) - the stack ends
        C(UPDATE_FAILED) or C(CREATE_FAILED) (C(Stack UPDATE cancelled)) with the resources as far as they got.
      - Without a template (and O(state=present)) only the cancel is done. With one, the stack is then compared
        and updated (a cancelled stack is a failed one, so it is updated) as usual - cancel the running update
        and apply this one. Check mode does not preview past a cancel (the stack's state after it is not known
        before), and with O(wait=false) the task returns after sending the cancel.
      - A stack in any other state has nothing to cancel (C(changed=false)); one in another C(*_IN_PROGRESS) state
        (a rollback, a delete) is waited for as usual. A stack that does not exist fails the task unless a
        template is given to create it. A rollback that fails fails the task with the failed resources.
    type: bool
  keep_failed:
    description:
      - Keep a stack that failed (or timed out) while this task created it, for debugging. By default it is
        deleted so nothing half-made is left.
    type: bool
    default: false
notes:
  - Options O(timeout) and O(rollback) apply to the operation and are not compared with the stack.
  - Heat's other stack actions - snapshots (take, delete, restore) are M(cloudrise.openstack.stack_snapshot),
    listing them is O(cloudrise.openstack.stack_info#module:snapshots); see also C(docs/heat.md).
  - Differences from C(openstack.cloud.stack) - a second run is C(changed=false) with no write request;
    a failed stack fails the task; a stack that fails while being created is deleted unless O(keep_failed);
    O(wait) is honoured for create and update too.
  - Runs at once and re-runs - when another run creates the stack between this task's read and its create (Heat
    answers 409, or, its name check not being atomic, creates both, and the task deletes its own, the newer),
    the task warns, waits for the other stack and compares it as an existing one; it deletes only a stack it
    created itself. A task interrupted during a create leaves the stack to Heat; the re-run waits for
    a stack found in progress, then compares it.
seealso:
  - module: openstack.cloud.stack
    description: The module this one replaces; every one of its options is accepted with the same meaning.
  - module: cloudrise.openstack.stack_info
    description: Query stacks, their outputs, resources and events.
  - module: cloudrise.openstack.stack_snapshot
    description: Take, restore and delete snapshots of a stack.
  - module: cloudrise.openstack.stack_template_validate
    description: Validate a template with its environment and files, without a stack.
  - module: cloudrise.openstack.software_deployment
    description: Deploy a software config to a server of a stack.
  - name: Migrating from openstack.cloud.stack
    link: https://cloudrise.github.io/cloudrise.openstack/guides/migrating-openstack-cloud.html
    description: Option mapping and the differences in the returned values.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Create or update a stack from a template file
  cloudrise.openstack.stack:
    name: app
    template: "{{ role_path }}/files/app.yaml"
    environment:
      - "{{ role_path }}/files/env.yaml"
    parameters:
      size: 3
    secret_parameters:                          # no_log: masked even when the task fails early
      db_password: "{{ vault_db_password }}"   # declare it hidden: true in the template too
    tags: [app, prod]
  register: app

- name: A hidden value typed in parameters is masked only once the template was read - add no_log
  cloudrise.openstack.stack:
    name: legacy
    template: legacy.yaml
    parameters:
      admin_password: "{{ vault_admin_password }}"
  no_log: true

- name: Use an output
  ansible.builtin.debug:
    msg: "{{ app.outputs.endpoint }}"

- name: Inline template, created by a template lookup
  cloudrise.openstack.stack:
    name: inline
    template_content: "{{ lookup('ansible.builtin.template', 'stack.yaml.j2') }}"

- name: Preview what an update would change (file contents and hidden defaults shown as digests)
  cloudrise.openstack.stack:
    name: app
    template: app.yaml
  check_mode: true
  diff: true
  register: preview

- name: The same preview with the files' contents and the hidden parameters' defaults in full
  cloudrise.openstack.stack:
    name: app
    template: app.yaml
    diff_secrets: true
  check_mode: true
  diff: true

- name: Suspend the stack
  cloudrise.openstack.stack:
    name: app
    state: suspended

- name: Check the stack (Heat's check action) - fails with the failed resources when something drifted
  cloudrise.openstack.stack:
    name: app
    state: checked

- name: Start a long update without waiting for it
  cloudrise.openstack.stack:
    name: app
    template: app.yaml
    parameters:
      size: 5
    wait: false

- name: Cancel it, rolling the stack back to its previous template
  cloudrise.openstack.stack:
    name: app
    cancel_update: true
    rollback: true

# Ad hoc:
#   ansible localhost -m cloudrise.openstack.stack -a 'cloud=mycloud name=app state=checked'
#   ansible localhost -m cloudrise.openstack.stack -a 'cloud=mycloud name=app cancel_update=true rollback=true'

- name: Delete it
  cloudrise.openstack.stack:
    name: app
    state: absent

# Ad hoc, from the shell (tests/integration/test_adhoc.py runs these). A template or environment string is read
# as YAML (JSON included), so a flow mapping works.
#   ansible localhost -m cloudrise.openstack.stack \
#     -a 'cloud=mycloud name=adhoc template_content="{heat_template_version: 2018-08-31}"'
#   ansible localhost -m cloudrise.openstack.stack \
#     -a 'cloud=mycloud name=adhoc template_content="{heat_template_version: 2018-08-31, description: ad hoc}"'
#   ansible localhost -m cloudrise.openstack.stack -a 'cloud=mycloud name=adhoc state=absent'
'''

RETURN = r'''
id:
  description: Id of the stack (None when absent or not yet created in check mode).
  returned: always
  type: str
  sample: 3d0b5e34-0a8b-4a2d-9d8e-2f9cbd0e5a49
stack:
  description:
    - The stack (openstacksdk C(Stack.to_dict()) keys, as C(openstack.cloud.stack) returns them).
    - In check mode for a new stack, the predicted stack (no id).
    - None when O(state=absent).
  returned: always
  type: dict
  sample:
    id: 3d0b5e34-0a8b-4a2d-9d8e-2f9cbd0e5a49
    name: app
    status: CREATE_COMPLETE
    status_reason: Stack CREATE completed successfully
    parameters: {size: "3", db_password: "******"}
    tags: [app, prod]
    outputs: [{output_key: endpoint, output_value: "http://..."}]
outputs:
  description: The stack outputs as a dict, output key to value.
  returned: always
  type: dict
  sample: {endpoint: "http://10.0.0.5"}
outputs_list:
  description: The stack outputs as Heat returns them (a list of C(output_key), C(output_value), C(description)).
  returned: always
  type: list
  elements: dict
preview:
  description: The create preview of a new stack in check mode, with the resources Heat would create.
  returned: in check mode, when the stack does not exist
  type: dict
  sample: {resources: [{name: server, type: "OS::Heat::Value"}]}
resource_changes:
  description: The update preview - names of resources that would be added, updated, replaced, deleted or left unchanged.
  returned: when an existing stack would change and check mode or diff mode is on
  type: dict
  sample: {added: [], updated: [value], replaced: [], deleted: [], unchanged: [random]}
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference, to_dict  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.actions import (  # noqa: E402
    CancelPlan, apply_cancel, plan_cancel)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.reader import (  # noqa: E402
    TEMPLATE_INPUT_SPEC, TEMPLATE_SOURCES,
)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.runner import StackRunner, StackTaken  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import (  # noqa: E402
    DesiredStack, plan_stack, redact_stack, stack_outputs)
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline  # noqa: E402

try:
    from openstack.orchestration.v1.stack import Stack
except ImportError:  # pragma: no cover - the base reports the missing SDK
    Stack = None


def stack_result(stack, secret_names=()):
    """The SDK view of a stack dict (the keys openstack.cloud.stack returns), secret parameters redacted."""
    if stack is None:
        return None
    return to_dict(Stack.existing(**redact_stack(stack, secret_names)))


class StackModule(CloudModule):
    argument_spec = dict(
        TEMPLATE_INPUT_SPEC,
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent', 'suspended', 'checked']),
        hidden_digest=dict(type='bool', default=True),
        hidden_digest_key=dict(type='str', no_log=True),
        diff_secrets=dict(type='bool', default=False),
        tags=dict(type='raw', aliases=['tag']),
        timeout=dict(type='int', default=3600),
        rollback=dict(type='bool', default=False),
        recreate_failed=dict(type='bool', default=False),
        keep_failed=dict(type='bool', default=False),
        cancel_update=dict(type='bool'),
    )
    module_kwargs = dict(
        supports_check_mode=True,
        mutually_exclusive=[TEMPLATE_SOURCES],
        required_if=[('state', 'present', TEMPLATE_SOURCES + ('cancel_update',), True)],
    )

    def run(self):
        params = self.params
        # the task's one deadline (the base made it when the task started; it also bounds every request)
        deadline = self.deadline or Deadline(params['timeout'])
        desired = DesiredStack.from_params(params, deadline=deadline)  # read and validated before any request
        for secret in desired.secret_values():
            self.module.no_log_values.add(secret)
        runner = StackRunner(HeatApi(self.conn), deadline, wait=params['wait'],
                             keep_failed=params['keep_failed'], rollback=params['rollback'])
        diff = Difference()
        if desired.cancel_update:
            cancel_diff, stack, done = self.cancel_first(runner, desired)
            diff.merge(cancel_diff)
            if done:
                return self.stack_result(diff, desired, stack, {})
        plan = plan_stack(runner.read(desired), desired)
        runner.add_previews(plan, self.check_mode, self.diff_mode)
        try:
            stack = self.converge(runner, plan)
        except StackTaken as taken:
            # another run created the stack between our read and our create: go on as for an existing stack
            self.warn("Stack '%s' was created by another run meanwhile (%s): this task waited for it and compared "
                      "it instead of creating it." % (desired.name, taken.stack.get('id')))
            plan = plan_stack(runner.read(desired, taken.stack), desired)
            runner.add_previews(plan, self.check_mode, self.diff_mode)
            stack = self.converge(runner, plan)
        diff.merge(plan.diff)
        if desired.state == 'absent':
            return self.result(diff, id=(plan.current or {}).get('id'), stack=None, outputs={}, outputs_list=[])
        return self.stack_result(diff, desired, stack, plan.extra)

    def converge(self, runner, plan):
        """Apply or predict the plan. Heat's check (state=checked) runs on every real run, changed or not."""
        if plan.has('check') and not self.check_mode:
            return runner.apply(plan)
        return self.apply_or_predict(plan, lambda: runner.apply(plan), plan.predicted)

    def cancel_first(self, runner, desired):
        """cancel_update: cancel a create or update in progress. Returns (its diff, the stack, whether the task ends
        there: without a template for state=present, in check mode after a cancel - what follows it cannot be
        previewed -, and without wait after a cancel - the stack is still settling)."""
        cancel = plan_cancel(runner.api.find_stack(desired.name, resolve_outputs=False), desired)
        stack, sent = cancel.current, cancel.changed and not self.check_mode
        if sent:
            stack, cancelled = apply_cancel(runner, cancel)  # the stack read after it (outputs resolved)
            if not cancelled:
                self.warn("Stack '%s' was no longer %s when the cancel reached Heat: nothing was cancelled"
                          % (desired.name, cancel.current.get('stack_status')))
                cancel = CancelPlan(stack)
        done = (desired.template is None and desired.state == 'present') or \
            (cancel.changed and (self.check_mode or not runner.wait))
        if done and not sent and stack is not None:
            stack = runner.api.get_stack(stack)
        return cancel.diff, stack, done

    def stack_result(self, diff, desired, stack, extra):
        outputs, outputs_list = stack_outputs(stack)
        return self.result(diff, id=(stack or {}).get('id'), stack=stack_result(stack, desired.secret_names),
                           outputs=outputs, outputs_list=outputs_list, **extra)


def main():
    StackModule()()


if __name__ == '__main__':
    main()
