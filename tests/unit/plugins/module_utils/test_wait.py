import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import ResourceFailed, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import (
    Backoff, wait_for, wait_for_absent, wait_for_status)


class FakeClock(object):
    """A clock that only moves when the waiter sleeps (and optionally per fetch)."""

    def __init__(self, per_fetch=0.0):
        self.now = 0.0
        self.per_fetch = per_fetch
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class Obj(object):
    def __init__(self, status, reason=None):
        self.status = status
        self.status_reason = reason


def sequence(clock, *statuses):
    items = list(statuses)

    def fetch():
        clock.now += clock.per_fetch
        value = items.pop(0) if len(items) > 1 else items[0]
        return None if value is None else Obj(*value) if isinstance(value, tuple) else Obj(value)
    return fetch


def test_backoff_starts_short_and_caps():
    clock = FakeClock()
    gen = Backoff(first=0.1, factor=2, cap=0.5, late_after=60, late_cap=5).intervals(clock)
    firsts = [next(gen) for dummy in range(5)]
    assert firsts == [0.1, 0.2, 0.4, 0.5, 0.5]
    clock.now = 61
    assert [next(gen) for dummy in range(3)] == [1.0, 2.0, 4.0]


def test_first_polls_keep_overshoot_small():
    clock = FakeClock()
    fetch = sequence(clock, *(['CREATE_IN_PROGRESS'] * 8 + ['CREATE_COMPLETE']))
    obj = wait_for_status(fetch, 'CREATE_COMPLETE', ['CREATE_FAILED'], timeout=60, sleep=clock.sleep, clock=clock)
    assert obj.status == 'CREATE_COMPLETE'
    assert max(clock.sleeps) <= 0.5
    assert clock.sleeps[0] == pytest.approx(0.1)


@pytest.mark.parametrize('statuses, error, fragment', [
    ((('CREATE_FAILED', 'Resource CREATE failed: boom'),), ResourceFailed, 'CREATE_FAILED: Resource CREATE failed: boom'),
    (('IN_PROGRESS', ('FAILED', None)), ResourceFailed, 'FAILED: no reason given'),
    (('IN_PROGRESS',), WaitTimeout, 'Timed out after 3s waiting for stack web; last state: IN_PROGRESS'),
])
def test_failures_and_timeouts_carry_reason(statuses, error, fragment):
    clock = FakeClock()
    fetch = sequence(clock, *statuses)
    with pytest.raises(error) as info:
        wait_for_status(fetch, 'COMPLETE', ['CREATE_FAILED', 'FAILED'], timeout=3, what='stack web',
                        sleep=clock.sleep, clock=clock)
    assert fragment in info.value.msg
    assert clock.now <= 3.0 + 1e-9  # never sleeps past the deadline


def test_timeout_counts_time_spent_fetching():
    clock = FakeClock(per_fetch=2.0)
    with pytest.raises(WaitTimeout):
        wait_for_status(sequence(clock, 'BUSY'), 'DONE', timeout=5, sleep=clock.sleep, clock=clock)
    assert clock.now < 8


def test_wait_for_absent():
    clock = FakeClock()
    wait_for_absent(sequence(clock, 'DELETE_IN_PROGRESS', 'DELETE_IN_PROGRESS', None), failures=['DELETE_FAILED'],
                    sleep=clock.sleep, clock=clock)
    with pytest.raises(ResourceFailed) as info:
        wait_for_absent(sequence(clock, ('DELETE_FAILED', 'locked')), failures=['DELETE_FAILED'],
                        what='stack x', sleep=clock.sleep, clock=clock)
    assert info.value.msg == 'stack x failed: DELETE_FAILED: locked'


def test_wait_for_generic_predicates():
    clock = FakeClock()
    counter = iter(range(100))
    result = wait_for(lambda: next(counter), done=lambda n: n >= 3, sleep=clock.sleep, clock=clock)
    assert result == 3
