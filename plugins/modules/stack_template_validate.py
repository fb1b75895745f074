#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: stack_template_validate
short_description: Validate a Heat template with its environment and files, without a stack
version_added: 0.1.0
description:
  - Asks Heat to validate a template with its environments, files and parameters (Heat's C(POST /validate)), the
    way a CI job checks a template before deploying it. No stack is made and nothing is written, so the task is
    always C(changed=false), in check mode too.
  - Returns Heat's description of the template - its O(parameters) with their types, labels, constraints,
    defaults and the values the environments and O(parameters) give them, its parameter groups and description.
  - Fails with Heat's message when Heat rejects the template, and returns C(error) with Heat's error type and the
    template section the message names (for example C(resources.server.properties)). A YAML mistake is found
    before any request and reported with the document's name, line and column.
  - The template, environments and files are read exactly as M(cloudrise.openstack.stack) reads them (the same
    options, references resolved the same way, the same input limits), so what this module validates is what
    the stack module would send.
  - What Heat's validation checks - the template's sections and version, the resource types (and that their
    services are in the catalog, see O(ignore_errors)), the resource properties' names and the literal values
    it can check without creating anything, references to resources (C(get_resource), C(get_attr)), the
    parameters' declarations and a value given for a parameter the template does not declare.
  - What it does not check - parameter values (a missing value, a value against its type or constraints) and
    C(get_param) of an undeclared parameter, which Heat resolves only when it creates a stack. C(missing_parameters)
    lists the parameters that have no value; O(preview=true) asks Heat for a create preview too, which resolves
    them as a create would.
  - Ad hoc, for a quick check from the shell (see the examples). A template or environment string is read as
    YAML (JSON included), so an inline YAML flow mapping works as well as JSON.
options:
  template:
    description:
      - Path of the template file on the host running the module. C(get_file) and nested template references are
        resolved relative to it.
      - One of O(template), O(template_content) and O(template_url) is required.
    type: str
  template_content:
    description:
      - The template inline, as a dict or a YAML/JSON string.
    type: raw
  template_url:
    description:
      - URL of the template (C(http://), C(https://) or C(file://)); references are resolved relative to it.
    type: str
  files_root:
    description:
      - The directory tree local references may read (as in M(cloudrise.openstack.stack)).
    type: path
  files:
    description:
      - Extra files (name to content) for C(get_file) and nested template references.
    type: dict
  environment:
    description:
      - Paths of environment files, merged in order (later files win).
    type: list
    elements: str
  environment_content:
    description:
      - An environment inline, as a dict or a YAML/JSON string, merged after the O(environment) files.
    type: raw
  parameters:
    description:
      - Parameter values, as the stack would get them. Heat reports them as each parameter's C(Value); it does not
        check them against their types or constraints (see O(preview)).
    type: dict
    default: {}
  secret_parameters:
    description:
      - Secret parameter values (a C(no_log) option), merged into O(parameters); their values are redacted in
        the result like those of hidden parameters.
    type: dict
  ignore_errors:
    description:
      - Heat error codes to ignore, as Heat's validate API takes them (C(99001) or C(HEAT-E99001), the code a Heat
        message starts with).
      - C(99001) is a resource type whose service is not in the catalog (for example C(OS::Nova::Server) checked
        against a cloud without Nova), the one code Heat 27 knows. Heat refuses a code it does not know.
      - Not applied to O(preview), which Heat runs without it.
    type: list
    elements: str
    default: []
  show_nested:
    description:
      - Validate the nested templates too and return their parameters in C(nested_parameters).
    type: bool
    default: false
  preview:
    description:
      - Ask Heat for a create preview as well (C(POST /stacks/preview), nothing is created). It resolves the
        parameter values and the resource properties as a create would, so it also fails on a missing parameter
        value, a value against its constraints and a C(get_param) of an undeclared parameter.
      - Needs a value for every parameter, and every resource type's service in the catalog (O(ignore_errors)
        does not apply). The preview uses a generated stack name, C(template-validate-<random>).
    type: bool
    default: false
notes:
  - No request but the validation (and the preview) - the module needs no stack and no other resource.
  - O(timeout) bounds the whole task, template downloads included; O(wait) has no effect.
seealso:
  - module: cloudrise.openstack.stack
    description: Create or update a stack from the same template, environment and files.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.INFO_ATTRIBUTES
author:
  - cloudrise.openstack contributors (@cloudrise)
'''

EXAMPLES = r'''
- name: Validate a template with its environment in CI
  cloudrise.openstack.stack_template_validate:
    template: "{{ playbook_dir }}/heat/app.yaml"
    environment:
      - "{{ playbook_dir }}/heat/prod.yaml"
  register: checked

- name: Show the parameters a deployment must give
  ansible.builtin.debug:
    msg: "{{ checked.missing_parameters }}"

- name: Validate against a cloud without Nova (Heat error 99001 ignored)
  cloudrise.openstack.stack_template_validate:
    template: app.yaml
    ignore_errors: [HEAT-E99001]

- name: Validate the values too, as a create would (a create preview; nothing is created)
  cloudrise.openstack.stack_template_validate:
    template: app.yaml
    parameters:
      size: 3
    secret_parameters:
      db_password: "{{ vault_db_password }}"
    preview: true

# Ad hoc, from the shell (tests/integration/test_adhoc.py runs these). A template string is read as YAML (JSON
# included), so a flow mapping works.
#   ansible localhost -m cloudrise.openstack.stack_template_validate \
#     -a 'cloud=mycloud template_content="{heat_template_version: 2018-08-31, parameters: {n: {type: number}}}"'
#   ansible localhost -m cloudrise.openstack.stack_template_validate -a 'cloud=mycloud template=app.yaml'
'''

RETURN = r'''
description:
  description: The template's description (Heat's C(No description) when it has none).
  returned: always
  type: str
  sample: The app's servers and network
parameters:
  description:
    - The template's parameters as Heat describes them, by name - C(Type), C(Label), C(Description), C(NoEcho),
      C(Default), C(Value) (from O(parameters) or the environments) and the constraints (C(AllowedValues),
      C(MinLength), C(CustomConstraint), ...).
    - The C(Default) and C(Value) of a hidden parameter (C(NoEcho)) or one given in O(secret_parameters) are
      C(********).
  returned: always
  type: dict
  sample: {size: {Type: Number, Label: size, Description: "", NoEcho: "false", Default: 1, MinValue: 1}}
parameter_groups:
  description: The template's parameter groups (C(label), C(description), C(parameters)), as Heat returns them.
  returned: always
  type: list
  elements: dict
  sample: [{label: Sizing, parameters: [size]}]
missing_parameters:
  description: The parameters with neither a default nor a value, which a create would refuse.
  returned: always
  type: list
  elements: str
  sample: [key_name]
nested_parameters:
  description:
    - The parameters of the nested stacks, by resource name (C(Type), C(Description), C(Parameters),
      C(NestedParameters)), as Heat returns them; hidden values redacted.
  returned: when O(show_nested=true)
  type: dict
preview:
  description: The resources of Heat's create preview (C(name), C(type); nested stacks flattened).
  returned: when O(preview=true)
  type: dict
  sample: {resources: [{name: server, type: "OS::Nova::Server"}]}
error:
  description:
    - On failure, Heat's error - C(type) (for example C(StackValidationFailed), C(ResourceTypeUnavailable)),
      C(message), and C(section), the template section the message names (for example
      C(resources.server.properties)), or None.
  returned: when Heat rejects the template
  type: dict
  sample: {type: HTTPBadRequest, message: "Property error: resources.s.properties: Unknown Property valu",
           section: resources.s.properties}
'''

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.reader import (  # noqa: E402
    TEMPLATE_INPUT_SPEC, TEMPLATE_SOURCES,
)
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.validate import (  # noqa: E402
    DesiredValidation, validate_template)


class StackTemplateValidateModule(CloudModule):
    argument_spec = dict(
        TEMPLATE_INPUT_SPEC,
        ignore_errors=dict(type='list', elements='str', default=[]),
        show_nested=dict(type='bool', default=False),
        preview=dict(type='bool', default=False),
    )
    module_kwargs = dict(
        supports_check_mode=True,
        mutually_exclusive=[TEMPLATE_SOURCES],
        required_one_of=[TEMPLATE_SOURCES],
    )

    def run(self):
        desired = DesiredValidation.from_params(self.params, deadline=self.deadline)  # before any request
        for secret in desired.secret_values():
            self.module.no_log_values.add(secret)
        return self.info_result(**validate_template(HeatApi(self.conn), desired))


def main():
    StackTemplateValidateModule()()


if __name__ == '__main__':
    main()
