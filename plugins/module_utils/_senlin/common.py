# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small pure helpers the Senlin files share: ``Desired``, field access, spec comparison, create/delete diffs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
from urllib.parse import quote

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import (
    REDACTED, Difference, is_equal, secret_digest)
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput

HEAT_STACK_TYPE = 'os.heat.stack'


def quote_value(value):
    """``value`` quoted for a URL path or query (nothing kept unquoted)."""
    return quote(str(value), safe='')


def get_value(obj, key, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def spec_equal(desired, actual):
    """Compare a profile/policy spec as Senlin stores it (version '1.0' == 1.0, key order ignored)."""
    return is_equal(desired, actual or {}, 'dict')


def diff_for_create(desired):
    """The diff of a creation: before {state: absent}, after {state: present, <the options set>}."""
    diff = Difference()
    diff.add('state', 'absent', 'present')
    diff.add('attributes', None, dict((k, v) for k, v in desired.items() if v is not None))
    return diff


def diff_for_delete(before):
    diff = Difference()
    diff.add('state', 'present', 'absent')
    return diff


def plan_delete(plan, current):
    """``state=absent``: the plan deletes ``current`` when it exists (``plan.delete``). Returns the plan."""
    if current:
        plan.delete = True
        plan.diff.merge(diff_for_delete(current))
    return plan


class Desired(object):
    """What the user asked for, converted once from the module's options: one attribute per name in
    ``OPTIONS`` (None when not set). Subclasses add the conversions and derived values they need."""

    OPTIONS = ()
    SECRETS = ()  # options whose values may hold secrets: never in repr()

    def __init__(self, **values):
        unknown = set(values) - set(self.OPTIONS)
        if unknown:
            raise TypeError('%s got unknown options: %s' % (type(self).__name__, ', '.join(sorted(unknown))))
        for key in self.OPTIONS:
            setattr(self, key, values.get(key))

    @classmethod
    def from_params(cls, params):
        """The desired state from the module's ``params`` (only the options this class knows)."""
        return cls(**dict((key, params.get(key)) for key in cls.OPTIONS))

    def __repr__(self):
        shown = ['%s=%r' % (k, REDACTED if k in self.SECRETS else getattr(self, k)) for k in self.OPTIONS
                 if getattr(self, k) is not None]
        return '%s(%s)' % (type(self).__name__, ', '.join(shown))


def spec_type(spec):
    """The type name Senlin gives an object made from ``spec``, for example ``os.heat.stack-1.0``."""
    return '%s-%s' % (spec.get('type'), spec.get('version'))


# -- secrets in profile specs -----------------------------------------------------------------------

SECRET_OPTION_NAMES = ('spec', 'secret_properties', 'secret_parameters')


def merge_spec_secrets(spec, secret_properties=None, secret_parameters=None, names=SECRET_OPTION_NAMES):
    """``spec`` with the no_log parts merged in: ``secret_properties`` over ``spec.properties`` (top-level keys),
    ``secret_parameters`` over ``spec.properties.parameters`` (an ``os.heat.stack`` spec's Heat parameters).
    A name in both fails (as the Heat modules' ``secret_parameters``). ``names``: the option names, for the
    messages. The result is a new dict (``spec`` is not changed)."""
    if not secret_properties and not secret_parameters:
        return spec
    if not isinstance(spec, dict):
        given = [n for n, v in zip(names[1:], (secret_properties, secret_parameters)) if v]
        raise InvalidInput('%s needs %s (the secrets are merged into it).' % (' and '.join(given), names[0]))
    spec = copy.deepcopy(spec)
    properties = spec.get('properties')
    properties = dict(properties) if isinstance(properties, dict) else {}
    _no_overlap(properties, secret_properties, '%s properties' % names[0], names[1])
    properties.update(secret_properties or {})
    if secret_parameters:
        if not str(spec.get('type') or '').startswith(HEAT_STACK_TYPE):
            raise InvalidInput('%s is for %s specs (Heat parameters); this spec is of type %s: use %s.'
                               % (names[2], HEAT_STACK_TYPE, spec.get('type'), names[1]))
        parameters = properties.get('parameters')
        parameters = dict(parameters) if isinstance(parameters, dict) else {}
        _no_overlap(parameters, secret_parameters, '%s parameters' % names[0], names[2])
        parameters.update(secret_parameters)
        properties['parameters'] = parameters
    spec['properties'] = properties
    return spec


def _no_overlap(given, secret, where, option):
    both = sorted(set(given) & set(secret or {}))
    if both:
        raise InvalidInput('%s set in both the %s and %s: %s (give each once).' % (
            'A name is' if len(both) == 1 else 'Names are', where, option, ', '.join(both)))


class SpecView(object):
    """How a profile spec is shown in ``diff``.

    ``full``: as it is. Otherwise redacted: ``type`` and ``version`` as they are, every property (and, for
    ``os.heat.stack``, every Heat parameter) as ``******** <digest>``. The digest is an HMAC-SHA256 with a
    random key made for this one task (never stored or returned): two values differ in one diff exactly when
    their digests do, so the diff shows *which* parts change without a value that could be guessed offline
    (digests of two tasks are not comparable)."""

    def __init__(self, full=False, key=None):
        self.full = bool(full)
        self.key = key if key is not None else os.urandom(32)

    def digest(self, value):
        return '%s %s' % (REDACTED, secret_digest(value, self.key)[0])

    def show(self, spec):
        """``spec`` for the diff (None stays None)."""
        if self.full or spec is None:
            return spec
        if not isinstance(spec, dict):
            return self.digest(spec)
        shown = dict((key, spec[key]) for key in ('type', 'version') if key in spec)
        properties = spec.get('properties')
        if isinstance(properties, dict):
            shown['properties'] = dict((name, self.digest(value)) for name, value in properties.items())
            parameters = properties.get('parameters')
            if isinstance(parameters, dict) and str(spec.get('type') or '').startswith(HEAT_STACK_TYPE):
                shown['properties']['parameters'] = dict((name, self.digest(value))
                                                         for name, value in parameters.items())
        elif properties is not None:
            shown['properties'] = self.digest(properties)
        for key in spec:
            if key not in shown:
                shown[key] = self.digest(spec[key])
        return shown
