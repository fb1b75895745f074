# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One waiting layer: a deadline, short first polls then backoff, explicit failure states.

The first polls are short so a module returns within about half a second of the server finishing;
after a minute the interval grows so long waits do not hammer the API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import ResourceFailed, WaitTimeout


class Backoff(object):
    """Poll intervals: ``first`` growing by ``factor`` up to ``cap``; after ``late_after`` seconds up to ``late_cap``."""

    def __init__(self, first=0.1, factor=1.5, cap=0.5, late_after=60.0, late_cap=5.0):
        self.first, self.factor, self.cap = first, factor, cap
        self.late_after, self.late_cap = late_after, late_cap

    def intervals(self, clock):
        start = clock()
        interval = self.first
        while True:
            yield interval
            cap = self.late_cap if clock() - start >= self.late_after else self.cap
            interval = min(interval * self.factor, cap)


DEFAULT_BACKOFF = Backoff()


def wait_for(fetch, done, failed=None, timeout=180, what='resource', describe=None,
             backoff=DEFAULT_BACKOFF, sleep=time.sleep, clock=time.monotonic):
    """Call ``fetch()`` until ``done(obj)``; raise on ``failed(obj)`` or when ``timeout`` passes.

    ``failed(obj)`` returns a reason (truthy) when the object is in a failure state.
    ``describe(obj)`` renders the last state for the timeout message.
    Returns the last fetched object.
    """
    describe = describe or (lambda obj: getattr(obj, 'status', obj))
    deadline = clock() + timeout
    for interval in backoff.intervals(clock):
        obj = fetch()
        if done(obj):
            return obj
        reason = failed(obj) if failed else None
        if reason:
            raise ResourceFailed('%s failed: %s' % (what, reason), status=describe(obj))
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout('Timed out after %ss waiting for %s; last state: %s' % (timeout, what, describe(obj)),
                              status=describe(obj))
        sleep(min(interval, remaining))
    return None  # pragma: no cover - intervals() never ends


def _status_checks(failures, attribute, reason_attribute):
    def current(obj):
        return getattr(obj, attribute, None)

    def failed(obj):
        if obj is not None and current(obj) in failures:
            return '%s: %s' % (current(obj), getattr(obj, reason_attribute, None) or 'no reason given')
        return None

    return current, failed


def wait_for_status(fetch, status, failures=(), timeout=180, what='resource', attribute='status',
                    reason_attribute='status_reason', **kwargs):
    """Wait until ``getattr(obj, attribute)`` is in ``status`` (a string or a collection).

    A status in ``failures`` raises ResourceFailed carrying the object's status reason.
    """
    wanted = (status,) if isinstance(status, str) else tuple(status)
    current, failed = _status_checks(failures, attribute, reason_attribute)
    return wait_for(fetch, lambda obj: current(obj) in wanted, failed, timeout, what, describe=current, **kwargs)


def wait_for_absent(fetch, failures=(), timeout=180, what='resource', attribute='status',
                    reason_attribute='status_reason', **kwargs):
    """Wait until ``fetch()`` returns None (the resource is gone); a status in ``failures`` raises."""
    current, failed = _status_checks(failures, attribute, reason_attribute)
    wait_for(fetch, lambda obj: obj is None, failed, timeout, what, describe=current, **kwargs)
