# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small pure helpers the Senlin files share: ``Desired``, field access, spec comparison, create/delete diffs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference, is_equal


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
        shown = ['%s=%r' % (k, getattr(self, k)) for k in self.OPTIONS if getattr(self, k) is not None]
        return '%s(%s)' % (type(self).__name__, ', '.join(shown))


def spec_type(spec):
    """The type name Senlin gives an object made from ``spec``, for example ``os.heat.stack-1.0``."""
    return '%s-%s' % (spec.get('type'), spec.get('version'))
