# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One waiting layer for every service: a ``Deadline``, polling with ``wait_for``, retrying with ``retry``.

A task's time budget (its ``timeout`` option) is one ``Deadline``, made once and handed to every wait and
retry of the task (or one per instance, when instances run in parallel). The deadline also carries the
clock and the sleep, so tests drive every wait with one fake clock.

The first polls are short so a module returns within about half a second of the server finishing;
after a minute the interval grows so long waits do not hammer the API.

Transient failures (``_errors.is_transient``: a 502/503/504, a connection refused or reset, a read timeout)
never end a task while its deadline has time left: a poll of ``wait_for`` that fails so is polled again,
and ``BoundedRequests`` (installed on the task's keystoneauth session by the base) sends an idempotent
request (GET, HEAD) again with ``RETRY_BACKOFF``. A write is sent again only when it surely never reached the
service (``_errors.not_sent``). Every request's timeout is the time left of the task's deadline (at least
``MIN_REQUEST_TIMEOUT``, at most the user's ``api_timeout``), so a stalled answer cannot outlive the task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    TRANSIENT_STATUS_CODES, RequestStalled, ResourceFailed, WaitTimeout, is_transient, not_sent, translate_exception)

try:
    from keystoneauth1 import exceptions as ksa_exceptions
except ImportError:  # pragma: no cover - the base reports the missing SDK
    ksa_exceptions = None

IDEMPOTENT_METHODS = ('GET', 'HEAD', 'OPTIONS')
# The least time a request gets once the deadline passed (a clean-up after a timeout still sends requests).
MIN_REQUEST_TIMEOUT = 10
# Tries of one request that fails transiently: about 8 s of pauses, what a restarting service or a proxy's burst
# needs. Longer outages end the request (a wait polls on through them until its deadline): an endpoint that
# refuses every connection (a wrong auth_url) must not keep a task for its whole timeout.
REQUEST_ATTEMPTS = 8


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


def _error_text(exc):
    return translate_exception(exc)[0]


def wait_for(fetch, done, failed=None, deadline=None, what='resource', describe=None, backoff=DEFAULT_BACKOFF):
    """Call ``fetch()`` until ``done(obj)``; raise on ``failed(obj)`` or when the ``deadline`` passes.

    ``deadline``: a ``Deadline`` (default: 180 s from now). ``failed(obj)`` returns a reason (truthy) when
    the object is in a failure state; ``describe(obj)`` renders the last state for the messages.
    ``fetch`` is called at least once, even when the deadline has passed. Returns the last fetched object.
    A transient error of ``fetch()`` (``_errors.is_transient``) is not fatal: the polls go on until the
    deadline; any other error propagates. The timeout message names the deadline's whole budget (the user's
    ``timeout``), not what was left, and the last poll's error when the last poll failed.
    """
    deadline = deadline if deadline is not None else Deadline(180)
    describe = describe or (lambda obj: getattr(obj, 'status', obj))
    fetched, obj, last_error = False, None, None
    for interval in backoff.intervals(deadline.clock):
        try:
            obj = fetch()
        except Exception as exc:  # only transient errors are kept; the others propagate
            if not is_transient(exc):
                raise
            last_error = exc
        else:
            fetched, last_error = True, None
            if done(obj):
                return obj
            reason = failed(obj) if failed else None
            if reason:
                raise ResourceFailed('%s failed: %s' % (what, reason), status=describe(obj))
        remaining = deadline.remaining()
        if remaining <= 0:
            status = describe(obj) if fetched else None
            msg = 'Timed out after %ss waiting for %s; last state: %s' % (deadline.seconds, what,
                                                                          status if fetched else 'unknown')
            if last_error is not None:
                msg += '; the last poll failed: %s' % _error_text(last_error)
            raise WaitTimeout(msg, status=status)
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


def _no_more(deadline, interval, count, attempts):
    """True when no further try fits: the next pause would end past the deadline, or the attempts are used up."""
    return deadline.remaining() <= interval or (attempts is not None and count >= attempts)


def retry_transient(call, deadline, may_retry=is_transient, transient_result=None, backoff=RETRY_BACKOFF,
                    attempts=None):
    """Return ``call()``'s result, calling again after an error for which ``may_retry(exc)`` is true (default:
    a transient error) or a result for which ``transient_result(result)`` is true, while the deadline has time
    for the next pause and fewer than ``attempts`` calls were made. Then the last error is raised (or the last
    result returned, for the caller to judge)."""
    count = 0
    for interval in backoff.intervals(deadline.clock):
        count += 1
        try:
            result = call()
        except Exception as exc:  # only the errors may_retry accepts are retried; the others propagate
            if not may_retry(exc) or _no_more(deadline, interval, count, attempts):
                raise
        else:
            if (transient_result is None or not transient_result(result)
                    or _no_more(deadline, interval, count, attempts)):
                return result
        deadline.sleep(interval)
    return None  # pragma: no cover - intervals() never ends


class BoundedRequests(object):
    """A keystoneauth ``Session.request`` bounded by a task's ``deadline``; the base installs it on the session
    every service proxy of the task's connection shares (``session.request = BoundedRequests(...)``).

    - each request's timeout is the time left (at least ``min_timeout``, at most ``api_timeout`` when the user
      set one); a request that gets no answer in time raises ``RequestStalled`` naming it;
    - an idempotent request (GET, HEAD, OPTIONS) that fails transiently (a 502/503/504 answer, a connection
      refused or reset, no answer in time) is sent again with ``backoff`` while the deadline has time;
    - a write (POST, PUT, PATCH, DELETE) is sent again only when it surely never reached the service: its
      answer may be lost after the service acted on it, and resending could act twice.
    """

    TIMED_OUT_URL = re.compile(r'Request to (\S+) timed out')

    def __init__(self, send, deadline, api_timeout=None, min_timeout=MIN_REQUEST_TIMEOUT, backoff=RETRY_BACKOFF,
                 attempts=REQUEST_ATTEMPTS):
        self.send, self.deadline, self.api_timeout = send, deadline, api_timeout
        self.min_timeout, self.backoff, self.attempts = min_timeout, backoff, attempts

    def timeout(self):
        """The timeout of a request sent now: the time left, at least ``min_timeout``, at most ``api_timeout``."""
        left = max(self.deadline.remaining(), self.min_timeout)
        return left if self.api_timeout is None else min(left, self.api_timeout)

    def _once(self, url, method, kwargs):
        if kwargs.get('timeout') is not None:  # the caller chose its own
            return self.send(url, method, **kwargs)
        left = self.deadline.remaining()
        timeout = self.timeout()
        try:
            return self.send(url, method, **dict(kwargs, timeout=timeout))
        except RequestStalled:
            raise
        except Exception as exc:
            if ksa_exceptions is None or not isinstance(exc, ksa_exceptions.ConnectTimeout) or not_sent(exc):
                raise  # not a stalled answer (a connect timeout sent nothing: even a write may be sent again)
            match = self.TIMED_OUT_URL.search(str(exc))
            target = match.group(1) if match else url
            if self.api_timeout is not None and timeout >= self.api_timeout:
                why = 'api_timeout'
            elif left >= self.min_timeout:
                why = "the time left of the task's timeout of %ss" % self.deadline.seconds
            else:
                why = "the least a request gets; %.0fs were left of the task's timeout of %ss" % (left, self.deadline.seconds)
            msg = '%s %s got no answer within %.0fs (%s)' % (method.upper(), target, timeout, why)
            if method.upper() not in IDEMPOTENT_METHODS:
                msg += '; the service may have carried it out: run the task again to converge'
            raise RequestStalled(msg, method=method.upper(), url=target)

    def __call__(self, url, method, **kwargs):
        idempotent = method.upper() in IDEMPOTENT_METHODS

        def transient_answer(response):
            return idempotent and getattr(response, 'status_code', None) in TRANSIENT_STATUS_CODES

        return retry_transient(lambda: self._once(url, method, kwargs), self.deadline,
                               may_retry=is_transient if idempotent else not_sent,
                               transient_result=transient_answer, backoff=self.backoff, attempts=self.attempts)
