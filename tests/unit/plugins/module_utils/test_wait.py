from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

import pytest
import requests
from keystoneauth1 import exceptions as ksa_exceptions
from keystoneauth1 import session as ksa_session
from openstack import exceptions as sdk_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    RequestStalled, ResourceFailed, WaitTimeout, answer_lost, is_transient, not_sent, translate_exception,
    write_may_have_happened)
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import (
    MIN_REQUEST_TIMEOUT, REQUEST_ATTEMPTS, Backoff, BoundedRequests, Deadline, retry, retry_transient, wait_for)


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


# -- transient failures (issue 10, finding 7) ---------------------------------------------------------------
class Answer(object):
    """A requests-like response with a status."""

    def __init__(self, status_code, text=''):
        self.status_code, self.text, self.headers = status_code, text, {}
        self.reason, self.url, self.content = 'reason', 'http://h/v1/x', text.encode()

    def json(self):
        return {}


def sdk_http_error(status):
    return sdk_exceptions.HttpException(message='Service Unavailable', response=Answer(status))


def refused():
    """A real keystoneauth ConnectFailure of a connection refused (nothing reached a server)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    try:
        ksa_session.Session().get('http://127.0.0.1:%d/' % port)
    except ksa_exceptions.ConnectFailure as exc:
        return exc
    raise AssertionError('a connection to a closed port succeeded')  # pragma: no cover


@pytest.mark.parametrize('exc, transient', [
    (sdk_http_error(503), True), (sdk_http_error(502), True), (sdk_http_error(504), True),
    (sdk_http_error(500), False), (sdk_http_error(409), False), (sdk_http_error(404), False),
    (ksa_exceptions.ServiceUnavailable(), True), (ksa_exceptions.BadGateway(), True), (ksa_exceptions.Conflict(), False),
    (ksa_exceptions.ConnectFailure('reset'), True), (ksa_exceptions.ConnectTimeout('Request to http://h timed out'), True),
    (ksa_exceptions.SSLError('bad certificate'), False), (ksa_exceptions.Unauthorized(), False),
    (RequestStalled('GET http://h got no answer within 5s'), True),
    (ResourceFailed('stack failed'), False), (ValueError('x'), False),
])
def test_is_transient(exc, transient):
    assert is_transient(exc) is transient


def test_not_sent_only_when_no_connection_was_made():
    assert not_sent(refused()) is True
    assert not_sent(ksa_exceptions.ConnectFailure('Connection aborted: reset by peer')) is False  # maybe sent
    assert not_sent(RequestStalled('GET http://h got no answer within 5s')) is False
    assert not_sent(sdk_http_error(503)) is False


def failing(clock, *outcomes):
    """fetch() that raises the exceptions and returns the other values of ``outcomes`` in turn (the last repeats)."""
    items = list(outcomes)

    def fetch():
        clock.tick()
        value = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(value, Exception):
            raise value
        return Obj(value)
    return fetch


def test_wait_for_polls_on_through_transient_errors(clock):
    fetch = failing(clock, 'CREATE_IN_PROGRESS', sdk_http_error(503), ksa_exceptions.ConnectFailure('reset'),
                    sdk_http_error(502), 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE')
    obj = wait_for(fetch, status_is('CREATE_COMPLETE'), failed_in('CREATE_FAILED'), clock.deadline(60))
    assert obj.status == 'CREATE_COMPLETE'


def test_wait_for_names_the_last_transient_error_at_the_deadline(clock):
    fetch = failing(clock, 'CREATE_IN_PROGRESS', sdk_http_error(503))
    with pytest.raises(WaitTimeout) as info:
        wait_for(fetch, status_is('CREATE_COMPLETE'), deadline=clock.deadline(5), what='stack web')
    msg = info.value.msg
    assert msg.startswith('Timed out after 5s waiting for stack web; last state: CREATE_IN_PROGRESS')
    assert 'the last poll failed: OpenStack API error 503' in msg
    assert clock.now <= 5 + 1e-9
    with pytest.raises(WaitTimeout) as info:  # never fetched: the state is unknown
        wait_for(failing(clock, RequestStalled('GET http://h/x got no answer within 5s')), status_is('DONE'),
                 deadline=clock.deadline(2), what='node n1')
    assert info.value.msg == ('Timed out after 2s waiting for node n1; last state: unknown; '
                              'the last poll failed: GET http://h/x got no answer within 5s')


@pytest.mark.parametrize('error', [sdk_http_error(500), sdk_http_error(404), ksa_exceptions.SSLError('bad cert'),
                                   ValueError('bug')])
def test_wait_for_lets_other_errors_through_at_once(clock, error):
    with pytest.raises(type(error)):
        wait_for(failing(clock, 'BUSY', error), status_is('DONE'), deadline=clock.deadline(60))
    assert clock.now < 1


class FakeSend(object):
    """A Session.request stand-in: answers (or raises) ``outcomes`` in turn and records each call's timeout."""

    def __init__(self, clock, *outcomes, **kwargs):
        self.clock, self.outcomes, self.calls = clock, list(outcomes), []
        self.per_call = kwargs.get('per_call', 0.0)

    def __call__(self, url, method, **kwargs):
        self.calls.append((method, url, kwargs.get('timeout')))
        self.clock.tick(self.per_call)
        value = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(value, Exception):
            raise value
        return Answer(value)


def test_bounded_requests_retry_idempotent_requests_on_transient_failures(clock):
    send = FakeSend(clock, 503, ksa_exceptions.ConnectFailure('reset'), 502, ksa_exceptions.ServiceUnavailable(), 200)
    answer = BoundedRequests(send, clock.deadline(60))('/stacks/web', 'GET')
    assert answer.status_code == 200 and len(send.calls) == 5


def test_bounded_requests_give_up_at_the_deadline(clock):
    send = FakeSend(clock, 503)
    assert BoundedRequests(send, clock.deadline(5))('/stacks/web', 'GET').status_code == 503  # the caller raises
    assert clock.now <= 5 and len(send.calls) > 2
    send = FakeSend(clock, ksa_exceptions.ConnectFailure('reset'))
    with pytest.raises(ksa_exceptions.ConnectFailure):
        BoundedRequests(send, clock.deadline(5))('/stacks/web', 'GET')


@pytest.mark.parametrize('method', ['POST', 'PUT', 'PATCH', 'DELETE'])
def test_bounded_requests_never_resend_a_write_that_may_have_reached_the_service(clock, method):
    send = FakeSend(clock, 503, 201)
    assert BoundedRequests(send, clock.deadline(60))('/stacks', method).status_code == 503
    send = FakeSend(clock, ksa_exceptions.ConnectFailure('Connection aborted: reset by peer'), 201)
    with pytest.raises(ksa_exceptions.ConnectFailure):
        BoundedRequests(send, clock.deadline(60))('/stacks', method)
    assert len(send.calls) == 1
    send = FakeSend(clock, refused(), 201)  # refused: nothing reached the service
    assert BoundedRequests(send, clock.deadline(60))('/stacks', method).status_code == 201


def test_bounded_requests_time_out_with_the_time_left(clock):
    deadline = clock.deadline(100)
    send = FakeSend(clock, 200, per_call=30)
    bounded = BoundedRequests(send, deadline)
    assert [bounded('/x', 'GET').status_code for dummy in range(4)] == [200] * 4
    assert [call[2] for call in send.calls] == [100, 70, 40, MIN_REQUEST_TIMEOUT]  # never less than the minimum
    send = FakeSend(clock, 200)
    BoundedRequests(send, clock.deadline(100), api_timeout=20)('/x', 'GET')
    BoundedRequests(send, clock.deadline(100))('/x', 'GET', timeout=3)  # the caller's own timeout wins
    assert [call[2] for call in send.calls] == [20, 3]


def test_a_stalled_request_names_itself(clock):
    stalled = ksa_exceptions.ConnectTimeout('Request to http://127.0.0.1:8004/v1/p/stacks/web/1 timed out')
    send = FakeSend(clock, stalled, per_call=20)  # the stall takes the whole time left
    with pytest.raises(RequestStalled) as info:
        BoundedRequests(send, clock.deadline(20))('/stacks/web/1', 'get')
    assert str(info.value) == ("GET http://127.0.0.1:8004/v1/p/stacks/web/1 got no answer within 20s "
                               "(the time left of the task's timeout of 20s)")
    assert translate_exception(info.value)[0] == str(info.value)
    assert clock.now <= 20 + MIN_REQUEST_TIMEOUT
    send = FakeSend(clock, stalled)
    with pytest.raises(RequestStalled, match=r'^POST http://127.0.0.1:8004/\S+ got no answer within 7s \(api_timeout\); '
                                             r'the service may have carried it out: run the task again to converge$'):
        BoundedRequests(send, clock.deadline(60), api_timeout=7)('/stacks', 'POST')
    assert len(send.calls) == 1


def test_a_lost_answer_is_told_apart_from_a_refused_connection():
    reset = None
    try:
        try:
            raise requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection aborted.'))
        except requests.exceptions.ConnectionError as cause:
            raise ksa_exceptions.ConnectFailure('Unable to establish connection to http://h/v1/stacks: %s' % cause)
    except ksa_exceptions.ConnectFailure as exc:
        reset = exc
    assert answer_lost(reset) and not not_sent(reset) and is_transient(reset)
    assert translate_exception(reset)[0].startswith('The connection to the OpenStack endpoint broke before the answer '
                                                    'came (the service may have carried out the request: run the task '
                                                    'again to converge)')
    assert not answer_lost(refused())
    assert translate_exception(refused())[0].startswith('Cannot connect to the OpenStack endpoint')


def test_a_request_stalled_past_the_deadline_says_it_had_the_least_time(clock):
    deadline = clock.deadline(8)
    clock.sleep(5)
    send = FakeSend(clock, ksa_exceptions.ConnectTimeout('Request to http://h/v1/x timed out'), per_call=MIN_REQUEST_TIMEOUT)
    with pytest.raises(RequestStalled) as info:
        BoundedRequests(send, deadline)('/x', 'GET')
    assert str(info.value) == ("GET http://h/v1/x got no answer within %ds (the least a request gets; 3s were left "
                               "of the task's timeout of 8s)" % MIN_REQUEST_TIMEOUT)


def test_a_request_refused_every_time_ends_after_its_attempts_not_at_the_deadline(clock):
    """A wrong auth_url (nothing listens) must not keep the task for its whole timeout."""
    calls = []

    def send(url, method, **kwargs):
        calls.append(clock.now)
        raise ksa_exceptions.ConnectFailure('Unable to establish connection to %s: Connection refused' % url)
    bounded = BoundedRequests(send, clock.deadline(3600))
    with pytest.raises(ksa_exceptions.ConnectFailure):
        bounded('http://127.0.0.1:9/v3', 'GET')
    assert len(calls) == REQUEST_ATTEMPTS
    assert clock.now < 15, 'gave up after a few seconds of pauses, not the task timeout'


def test_retry_transient_stops_after_its_attempts(clock):
    results = iter([503] * 10)
    assert retry_transient(lambda: next(results), clock.deadline(600), transient_result=lambda code: code == 503,
                           attempts=3) == 503
    assert len(clock.sleeps) == 2


def test_a_write_to_an_endpoint_that_refuses_ends_after_its_attempts(clock):
    """The stack target's 'unreachable endpoint' task: the auth POST is refused every time (nothing was sent, so
    it may be retried) and must end after the attempts, not keep the task for its 3600 s timeout."""
    calls = []

    def send(url, method, **kwargs):
        calls.append(method)
        raise refused()
    bounded = BoundedRequests(send, clock.deadline(3600))
    with pytest.raises(ksa_exceptions.ConnectFailure):
        bounded('http://127.0.0.1:9/v3/auth/tokens', 'POST')
    assert calls == ['POST'] * REQUEST_ATTEMPTS and clock.now < 15


class _Response(object):
    def __init__(self, status, body):
        self.status_code, self.body, self.headers, self.text = status, body, {}, str(body)

    def json(self):
        if self.body is None:
            raise ValueError('no JSON')
        return self.body


@pytest.mark.parametrize('status, body, lost', [
    (502, None, True),                                                       # a proxy's answer
    (503, {'message': 'Service Unavailable'}, True),
    (500, {'code': 500, 'error': {'type': 'EResourceCreation', 'message': 'no Zaqar'}}, False),  # Senlin's own
    (500, {'code': 500, 'error': {'type': 'StackValidationFailed', 'message': 'x'}}, False),     # Heat's own
    (409, {'error': {'type': 'Conflict'}}, False),
])
def test_a_write_may_have_happened_unless_the_service_answered_its_own_error(status, body, lost):
    exc = sdk_exceptions.HttpException(message='x', response=_Response(status, body), http_status=status)
    assert write_may_have_happened(exc) is lost


def test_a_write_whose_connection_broke_or_stalled_may_have_happened():
    assert write_may_have_happened(ksa_exceptions.ConnectionError('reset after sending'))
    assert write_may_have_happened(RequestStalled('POST http://h/v1/stacks got no answer within 10s'))
    assert not write_may_have_happened(ValueError('x'))
