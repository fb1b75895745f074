# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Heat (orchestration) service logic behind the stack, stack_info, stack_template_validate, software_config and
software_deployment modules.

Private to this collection. Each file owns one concern and is testable with a fake of the layer below:

* ``api.py`` -- ``HeatApi``: the REST calls, made through the openstacksdk orchestration proxy (a keystoneauth
  adapter) so that every request and its status are explicit (the SDK's ``Stack`` resource drops the update
  preview's ``resource_changes`` and sends no template when it thinks the template is unchanged);
* ``reader.py`` -- reading the template, environments and files within limits (``read_inputs``: the one code
  path of the stack and stack_template_validate modules; template and environment strings are YAML, JSON included);
* ``template.py`` -- tags, environment normalisation, hidden-parameter digests (re-exports the reader's names);
* ``stack.py`` -- ``DesiredStack``, the comparison with the stored stack, ``plan_stack`` (a ``StackPlan``,
  no request), preview parsing, status helpers and failure details;
* ``runner.py`` -- ``StackRunner``: reads the stack, asks Heat for previews, applies a ``StackPlan`` (the
  writes and the waits, within the task's one ``Deadline``), Heat's check included;
* ``actions.py`` -- cancelling a create or update in progress (``cancel_update``): plan and apply;
* ``snapshot.py`` -- stack snapshots by name (stack_snapshot): take, delete, restore;
* ``software.py`` -- software configs (desired, read, plan, apply) and the create token configs and deployments
  share;
* ``deployment.py`` -- software deployments: desired, read, plan, apply, the wait for the agent's signal, and
  the listing of software_deployment_info;
* ``info.py`` -- the queries of stack_info and software_config_info;
* ``validate.py`` -- template validation without a stack (stack_template_validate): Heat's validate API and
  create preview, hidden values redacted, Heat's message with the section it names.
"""
