# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired-versus-actual comparison, the difference tracker behind ``changed`` and ``diff``, and ``Plan``.

Only what the user set is compared: a desired value of ``None`` means "not set" and is never a
difference. ``changed`` is derived from the tracker, never set by hand, and the same tracker renders
``diff: {before, after}`` with secret values redacted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import json
import os
import re

REDACTED = '********'
METHODS = ('value', 'list', 'set', 'dict', 'allow_more')


def _normalize(value):
    """Make scalars comparable the way users write them (1 == '1', True == 'true')."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return dict((k, _normalize(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    return value


def _canonical(value):
    return json.dumps(_normalize(value), sort_keys=True, default=str)


def _contains(actual, desired):
    """True when every key of ``desired`` is in ``actual`` with an equal value (recursive for dicts)."""
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return False
        return all(k in actual and _contains(actual[k], v) for k, v in desired.items())
    return _canonical(actual) == _canonical(desired)


def is_equal(desired, actual, method='value'):
    """Compare one desired value with the actual one.

    ``value``: scalar or deep equality; ``list``: ordered; ``set``: unordered, duplicates ignored;
    ``dict``: deep equality of mappings; ``allow_more``: the actual mapping may hold more keys.
    ``desired is None`` means the user did not set it: always equal.
    """
    if method not in METHODS:
        raise ValueError('unknown comparison method %r' % (method,))
    if desired is None:
        return True
    if method == 'set':
        return set(_canonical(v) for v in desired) == set(_canonical(v) for v in (actual or []))
    if method == 'list':
        return _canonical(list(desired)) == _canonical(list(actual or []))
    if method == 'dict':
        return _canonical(desired) == _canonical(actual or {})
    if method == 'allow_more':
        return _contains(actual or {}, desired)
    return _canonical(desired) == _canonical(actual)


def to_dict(resource):
    """A JSON-friendly dict of an SDK resource (``location`` dropped), a dict, or None: the actual state."""
    if resource is None:
        return None
    if hasattr(resource, 'to_dict'):
        data = resource.to_dict(computed=False)
    else:
        data = dict(resource)
    data.pop('location', None)
    return data


# The key of the diffs' digests of secrets: random, for this run (one module process) only.
RUN_KEY = os.urandom(32)


def secret_digest(value, key=None):
    """``(16 hex digits of HMAC-SHA256, size in bytes)`` of a secret ``value`` (JSON for non-strings), for a diff
    that shows *that* a secret changed: equal values give equal digests under one key (``key``, default this
    run's), and without the key nothing can be matched against a guess or against another run's digests."""
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True, default=str)
    data = value.encode('utf-8')
    return hmac.new(key or RUN_KEY, data, hashlib.sha256).hexdigest()[:16], len(data)


def redact(value):
    """Replace a secret value, keeping its shape readable (None stays None)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return dict((k, REDACTED) for k in value)
    return REDACTED


class Difference(object):
    """Tracks the differences between before and after, keyed by option name.

    >>> d = Difference()
    >>> d.compare('min_size', 2, 1)
    True
    >>> d.changed, d.diff()
    (True, {'before': {'min_size': 1}, 'after': {'min_size': 2}})
    """

    def __init__(self):
        self._items = []

    def __bool__(self):
        return self.changed

    __nonzero__ = __bool__

    @property
    def changed(self):
        return bool(self._items)

    @property
    def keys(self):
        return [item[0] for item in self._items]

    def add(self, key, before, after, secret=False):
        """Record a difference that is already known (for example a resource to create)."""
        self._items.append((key, before, after, secret))

    def compare(self, key, desired, actual, method='value', secret=False):
        """Record ``key`` when ``desired`` differs from ``actual``; return True when it does."""
        if is_equal(desired, actual, method):
            return False
        self.add(key, actual, desired, secret)
        return True

    def merge(self, other, prefix=None):
        for key, before, after, secret in other._items:
            self.add('%s.%s' % (prefix, key) if prefix else key, before, after, secret)
        return self

    def diff(self):
        before, after = {}, {}
        for key, old, new, secret in self._items:
            before[key] = redact(old) if secret else old
            after[key] = redact(new) if secret else new
        return {'before': before, 'after': after}

    def __repr__(self):
        return 'Difference(%r)' % (self.keys,)


class Plan(object):
    """What a module will do, decided before any write: a ``Difference`` plus the steps that carry it out.

    Every module follows one shape::

        desired = Desired.from_params(params)          # once, at the boundary
        plan = plan_thing(current, desired)            # pure: no request
        if plan.changed and not check_mode:
            thing = apply_thing(api, current, plan)    # the writes (and waits), in order
        elif plan.changed:
            thing = plan.predicted                     # check mode: the predicted result

    ``changed`` and ``diff`` come from ``diff`` only. ``steps`` lists the write steps in order as
    ``(name, data)`` pairs; a service's plan subclass may keep named attributes instead, when a fixed
    set of steps reads better. ``predicted`` is the resource as it will be after the apply.
    """

    def __init__(self, diff=None):
        self.diff = diff if diff is not None else Difference()
        self.steps = []
        self.predicted = None

    @property
    def changed(self):
        return self.diff.changed

    def step(self, name, **data):
        """Add a write step; returns the plan so steps chain."""
        self.steps.append((name, data))
        return self

    def has(self, name):
        return any(step == name for step, dummy in self.steps)

    def __repr__(self):
        return '%s(changed=%r, steps=%r)' % (type(self).__name__, self.changed, [s for s, d in self.steps])


UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')


def looks_like_id(value):
    """True when ``value`` is shaped like an OpenStack UUID (with or without dashes): look it up by id first."""
    return bool(value) and bool(UUID_RE.match(str(value)))
