import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import ResourceFailed, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Backoff, Deadline, retry, wait_for


class Obj(object):
    def __init__(self, status, reason=None):
        self.status = status
        self.status_reason = reason


def sequence(clock, *statuses):
    items = list(statuses)

    def fetch():
        clock.tick()
        value = items.pop(0) if len(items) > 1 else items[0]
        return None if value is None else Obj(*value) if isinstance(value, tuple) else Obj(value)
    return fetch


def status_is(wanted):
    return lambda obj: obj is not None and obj.status == wanted


def failed_in(*failures):
    def failed(obj):
        if obj is not None and obj.status in failures:
            return '%s: %s' % (obj.status, obj.status_reason or 'no reason given')
        return None
    return failed


def test_backoff_starts_short_and_caps(clock):
    gen = Backoff(first=0.1, factor=2, cap=0.5, late_after=60, late_cap=5).intervals(clock)
    firsts = [next(gen) for dummy in range(5)]
    assert firsts == [0.1, 0.2, 0.4, 0.5, 0.5]
    clock.now = 61
    assert [next(gen) for dummy in range(3)] == [1.0, 2.0, 4.0]


def test_deadline_counts_down_on_its_clock(clock):
    deadline = clock.deadline(10)
    assert deadline.remaining() == 10 and not deadline.expired
    clock.sleep(4)
    assert deadline.remaining() == 6
    clock.sleep(7)
    assert deadline.remaining() == 0 and deadline.expired
    assert Deadline(5).remaining() <= 5


def test_first_polls_keep_overshoot_small(clock):
    fetch = sequence(clock, *(['CREATE_IN_PROGRESS'] * 8 + ['CREATE_COMPLETE']))
    obj = wait_for(fetch, status_is('CREATE_COMPLETE'), failed_in('CREATE_FAILED'), clock.deadline(60))
    assert obj.status == 'CREATE_COMPLETE'
    assert max(clock.sleeps) <= 0.5
    assert clock.sleeps[0] == pytest.approx(0.1)


@pytest.mark.parametrize('statuses, error, fragment', [
    ((('CREATE_FAILED', 'Resource CREATE failed: boom'),), ResourceFailed, 'CREATE_FAILED: Resource CREATE failed: boom'),
    (('IN_PROGRESS', ('FAILED', None)), ResourceFailed, 'FAILED: no reason given'),
    (('IN_PROGRESS',), WaitTimeout, 'Timed out after 3s waiting for stack web; last state: IN_PROGRESS'),
])
def test_failures_and_timeouts_carry_reason(clock, statuses, error, fragment):
    fetch = sequence(clock, *statuses)
    with pytest.raises(error) as info:
        wait_for(fetch, status_is('COMPLETE'), failed_in('CREATE_FAILED', 'FAILED'), clock.deadline(3), what='stack web')
    assert fragment in info.value.msg
    assert clock.now <= 3.0 + 1e-9  # never sleeps past the deadline


def test_timeout_counts_time_spent_fetching(make_clock):
    clock = make_clock(per_fetch=2.0)
    with pytest.raises(WaitTimeout):
        wait_for(sequence(clock, 'BUSY'), status_is('DONE'), deadline=clock.deadline(5))
    assert clock.now < 8


def test_a_shared_deadline_spans_waits_and_names_the_whole_budget(clock):
    deadline = clock.deadline(10)
    wait_for(sequence(clock, *(['BUSY'] * 20 + ['DONE'])), status_is('DONE'), deadline=deadline)
    spent = clock.now
    assert spent > 0
    with pytest.raises(WaitTimeout) as info:
        wait_for(sequence(clock, 'BUSY'), status_is('DONE'), deadline=deadline, what='node n1')
    assert info.value.msg.startswith('Timed out after 10s waiting for node n1')
    assert clock.now == pytest.approx(10)


def test_fetches_once_even_when_the_deadline_has_passed(clock):
    deadline = clock.deadline(1)
    clock.sleep(5)
    assert wait_for(sequence(clock, 'DONE'), status_is('DONE'), deadline=deadline).status == 'DONE'


def test_wait_for_absent_and_generic_predicates(clock):
    wait_for(sequence(clock, 'DELETE_IN_PROGRESS', 'DELETE_IN_PROGRESS', None), lambda obj: obj is None,
             failed_in('DELETE_FAILED'), clock.deadline(60))
    with pytest.raises(ResourceFailed) as info:
        wait_for(sequence(clock, ('DELETE_FAILED', 'locked')), lambda obj: obj is None, failed_in('DELETE_FAILED'),
                 clock.deadline(60), what='stack x')
    assert info.value.msg == 'stack x failed: DELETE_FAILED: locked'
    counter = iter(range(100))
    assert wait_for(lambda: next(counter), done=lambda n: n >= 3, deadline=clock.deadline(60)) == 3


def test_retry_until_the_condition_clears(clock):
    results = iter([409, 409, 409, 200])
    assert retry(lambda: next(results), lambda code: code == 409, clock.deadline(60)) == 200
    assert clock.sleeps == pytest.approx([0.2, 0.3, 0.45])


def test_retry_returns_the_last_result_at_the_deadline_or_attempt_limit(clock):
    calls = []

    def call():
        calls.append(clock.now)
        return 409
    assert retry(call, lambda code: code == 409, clock.deadline(1)) == 409
    assert clock.now <= 1 and len(calls) >= 2
    calls[:] = []
    assert retry(call, lambda code: code == 409, clock.deadline(60), attempts=3) == 409
    assert len(calls) == 3
