# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One waiting layer for every service: a ``Deadline``, polling with ``wait_for``, retrying with ``retry``.

A task's time budget (its ``timeout`` option) is one ``Deadline``, made once and handed to every wait and
retry of the task (or one per instance, when instances run in parallel). The deadline also carries the
clock and the sleep, so tests drive every wait with one fake clock.

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
RETRY_BACKOFF = Backoff(first=0.2, factor=1.5, cap=2.0, late_cap=2.0)


class Deadline(object):
    """The end of a time budget: ``seconds`` from now on ``clock``; ``sleep`` is the matching sleep.

    >>> deadline = Deadline(600)
    >>> 0 < deadline.remaining() <= 600
    True
    """

    def __init__(self, seconds, clock=time.monotonic, sleep=time.sleep):
        self.seconds, self.clock, self.sleep = seconds, clock, sleep
        self.at = clock() + seconds

    def remaining(self):
        """Seconds left, never negative."""
        return max(self.at - self.clock(), 0)

    @property
    def expired(self):
        return self.clock() >= self.at

    def __repr__(self):
        return 'Deadline(%ss, %.1fs left)' % (self.seconds, self.remaining())


def wait_for(fetch, done, failed=None, deadline=None, what='resource', describe=None, backoff=DEFAULT_BACKOFF):
    """Call ``fetch()`` until ``done(obj)``; raise on ``failed(obj)`` or when the ``deadline`` passes.

    ``deadline``: a ``Deadline`` (default: 180 s from now). ``failed(obj)`` returns a reason (truthy) when
    the object is in a failure state; ``describe(obj)`` renders the last state for the messages.
    ``fetch`` is called at least once, even when the deadline has passed. Returns the last fetched object.
    The timeout message names the deadline's whole budget (the user's ``timeout``), not what was left.
    """
    deadline = deadline if deadline is not None else Deadline(180)
    describe = describe or (lambda obj: getattr(obj, 'status', obj))
    for interval in backoff.intervals(deadline.clock):
        obj = fetch()
        if done(obj):
            return obj
        reason = failed(obj) if failed else None
        if reason:
            raise ResourceFailed('%s failed: %s' % (what, reason), status=describe(obj))
        remaining = deadline.remaining()
        if remaining <= 0:
            raise WaitTimeout('Timed out after %ss waiting for %s; last state: %s'
                              % (deadline.seconds, what, describe(obj)), status=describe(obj))
        deadline.sleep(min(interval, remaining))
    return None  # pragma: no cover - intervals() never ends


def retry(call, again, deadline, attempts=None, backoff=RETRY_BACKOFF):
    """Return ``call()``'s result, calling again while ``again(result)`` is true.

    Stops retrying (and returns the last result, for the caller to judge) when the next pause would end past
    the ``deadline`` or after ``attempts`` calls. For conditions that are transient by nature: a resource
    locked by another action, a conductor that is busy, a node taken by a concurrent reservation.
    """
    count = 0
    for interval in backoff.intervals(deadline.clock):
        result = call()
        count += 1
        if not again(result) or (attempts is not None and count >= attempts) or deadline.remaining() <= interval:
            return result
        deadline.sleep(interval)
    return None  # pragma: no cover - intervals() never ends
