# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Template validation without a stack (the stack_template_validate module).

``DesiredValidation``: the template, its environments, files and parameters, read by ``reader.read_inputs`` exactly
as the stack module reads them. ``validate_template``: Heat's ``POST /validate`` (``ignore_errors``,
``show_nested``), and on request a create preview (``POST /stacks/preview``, which resolves the parameter values
and the properties as a create would); no write. It returns what Heat says about the template (description,
parameters, parameter groups) with hidden and secret values redacted, or raises ``InvalidInput`` with Heat's
message, its error type and the template section the message names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re
import uuid

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import sdk_error_text
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import merge_secret, parse_create_preview
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.template import (
    hidden_parameter_names, hidden_values, read_inputs)

try:
    from openstack import exceptions as sdk_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    sdk_exceptions = None

ERROR_CODE_RE = re.compile(r'^(?:HEAT-E)?(\d+)$')
PREVIEW_STACK_NAME = 'template-validate-%s'  # a name no stack has: Heat's preview refuses an existing one

# The forms in which Heat's messages name the part of the template at fault, and how to write it as a path.
_SECTION_FORMS = (
    # "Property error: resources.server.properties.flavor: ..." (any "<Kind> error: <path>: ...")
    (re.compile(r'^[A-Za-z ]*error: ([^\s:]+): '), '%s'),
    # 'The specified reference "db" (in server.Properties.networks)'
    (re.compile(r'\(in ([^)\s]+)\)'), 'resources.%s'),
    # "The template section is invalid: resourcez"
    (re.compile(r'^The template section is invalid: (\S+)'), '%s'),
    # "Parameter 'size' is invalid: ..."
    (re.compile(r"^Parameter '([^']+)' is invalid"), 'parameters.%s'),
    # "The Parameter (size) was not provided." / "The Parameter (x) was not defined in template."
    (re.compile(r'^The Parameter \(([^)]+)\) was not'), 'parameters.%s'),
)


def error_section(message):
    """The template section a Heat message names (``resources.server.properties``), else None."""
    for pattern, form in _SECTION_FORMS:
        found = pattern.search(message or '')
        if found:
            return form % found.group(1)
    return None


def template_error(what, exc):
    """``InvalidInput`` for Heat's 400 answer: ``<what>: <Heat's message>``, with ``error`` = {type, message,
    section}."""
    message = getattr(exc, 'details', None) or sdk_error_text(exc)
    kind = None
    try:
        kind = exc.response.json()['error']['type']
    except (AttributeError, ValueError, KeyError, TypeError):
        pass  # an answer without Heat's error body: the message alone
    return InvalidInput('%s: %s' % (what, message),
                        error=dict(type=kind, message=message, section=error_section(message)))


def normalize_error_codes(codes):
    """Heat error codes as Heat's ``ignore_errors`` takes them (``99001``); ``HEAT-E99001`` (as Heat's messages
    show them) is accepted too."""
    out = []
    for code in codes or []:
        found = ERROR_CODE_RE.match(str(code).strip())
        if not found:
            raise InvalidInput("ignore_errors takes Heat error codes such as 99001 or HEAT-E99001 (the code a Heat "
                               "message starts with), not '%s'" % code)
        if found.group(1) not in out:
            out.append(found.group(1))
    return out


class DesiredValidation(object):
    """What to validate, read on the controller before any request."""

    def __init__(self, template, files=None, environment=None, parameters=None, secret_names=(), ignore_errors=(),
                 show_nested=False, preview=False):
        self.template = template
        self.files = files or {}
        self.environment = environment or {}
        self.parameters = parameters or {}
        self.secret_names = set(secret_names)
        self.ignore_errors = list(ignore_errors)
        self.show_nested = show_nested
        self.preview = preview
        self.hidden = hidden_parameter_names(template)

    @classmethod
    def from_params(cls, params, cwd=None, deadline=None):
        parameters, secret = merge_secret(params.get('parameters'), params.get('secret_parameters'),
                                          'parameters', 'secret_parameters')
        codes = normalize_error_codes(params.get('ignore_errors'))
        template, files, environment = read_inputs(params, cwd=cwd, deadline=deadline)
        return cls(template, files, environment, parameters, secret, codes, bool(params.get('show_nested')),
                   bool(params.get('preview')))

    @property
    def redacted_names(self):
        return self.hidden | self.secret_names

    def body(self):
        """The request body: the template, files and the environment with ``parameters`` folded in (as a stack
        create sends them)."""
        env = copy.deepcopy(self.environment)
        if self.parameters:
            env.setdefault('parameters', {}).update(copy.deepcopy(self.parameters))
        return dict(template=self.template, files=self.files, environment=env)

    def secret_values(self):
        """The hidden parameters' values given in ``parameters`` or the environments, for the no_log list."""
        values = hidden_values(self.body()['environment'], self.hidden).values()
        return [v if isinstance(v, str) else json.dumps(v) for v in values if v not in (None, '')]


def _redact_parameters(parameters, names):
    """Heat's parameter descriptions with the values (``Value``, ``Default``) of hidden ones redacted: those Heat
    marks ``NoEcho`` and those in ``names``."""
    out = {}
    for name, schema in (parameters or {}).items():
        schema = dict(schema) if isinstance(schema, dict) else schema
        if isinstance(schema, dict) and (name in names or str(schema.get('NoEcho')).lower() == 'true'):
            for key in ('Value', 'Default'):
                if schema.get(key) not in (None, ''):
                    schema[key] = REDACTED
        out[name] = schema
    return out


def _redact_nested(nested, names):
    """``show_nested``'s ``NestedParameters`` ({resource: {Type, Description, Parameters, NestedParameters}})
    with hidden values redacted at every level (``names``: the top level's secrets, as parameter_defaults reach
    the nested stacks too)."""
    out = {}
    for resource, info in (nested or {}).items():
        info = dict(info) if isinstance(info, dict) else info
        if isinstance(info, dict):
            info['Parameters'] = _redact_parameters(info.get('Parameters'), names)
            if 'NestedParameters' in info:
                info['NestedParameters'] = _redact_nested(info['NestedParameters'], names)
        out[resource] = info
    return out


def describe(answer, desired):
    """The module's result from Heat's validate answer (pure)."""
    parameters = answer.get('Parameters') or {}
    result = dict(
        description=answer.get('Description'),
        parameters=_redact_parameters(parameters, desired.redacted_names),
        parameter_groups=answer.get('ParameterGroups') or [],
        missing_parameters=sorted(name for name, schema in parameters.items()
                                  if isinstance(schema, dict) and 'Default' not in schema and 'Value' not in schema),
    )
    if desired.show_nested:
        result['nested_parameters'] = _redact_nested(answer.get('NestedParameters'), desired.redacted_names)
    return result


def validate_template(api, desired, preview_name=None):
    """Heat's validation of ``desired`` (a DesiredValidation), then its create preview when asked; no write."""
    try:
        answer = api.validate_template(desired.body(), desired.ignore_errors, desired.show_nested)
    except sdk_exceptions.BadRequestException as exc:
        raise template_error('Heat rejected the template', exc)
    if not isinstance(answer, dict):
        # Heat 27 answers 200 with its exception's text for an ignore_errors code it does not know
        if desired.ignore_errors:
            codes = ', '.join(desired.ignore_errors)
            raise InvalidInput('Heat did not validate the template: ignore_errors holds an error code Heat does not '
                               'know (%s); Heat answered %s' % (codes, json.dumps(answer)[:300]))
        raise InvalidInput('Heat did not validate the template; it answered %s' % json.dumps(answer)[:300])
    result = describe(answer, desired)
    if desired.preview:
        body = dict(desired.body(), stack_name=preview_name or PREVIEW_STACK_NAME % uuid.uuid4().hex[:12])
        try:
            preview = api.preview_create(body)
        except sdk_exceptions.BadRequestException as exc:
            raise template_error("Heat's create preview rejected the template", exc)
        result['preview'] = dict(resources=parse_create_preview(preview))
    return result
