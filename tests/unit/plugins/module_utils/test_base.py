from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import logging
import os
import subprocess
import sys

import pytest
from module_args import patch_module_args
from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils import _base
from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule
from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import Difference, Plan, to_dict
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import (
    Ambiguous, InvalidInput, ResourceFailed, translate_exception)


class Probe(CloudModule):
    argument_spec = dict(name=dict(required=True), timeout=dict(type='int', default=600))
    module_kwargs = dict(supports_check_mode=True)
    microversions = {'clustering': '1.12'}

    def __init__(self, outcome=None):
        super(Probe, self).__init__()
        self.outcome = outcome

    def run(self):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        diff = Difference()
        diff.compare('size', self.outcome, 1)
        return self.result(diff, thing={'name': self.params['name']})


def build(args, outcome=None):
    with patch_module_args(args):
        return Probe(outcome)


def run_module(args, outcome, capsys):
    with patch_module_args(args):
        module = Probe(outcome)
        with pytest.raises(SystemExit) as info:
            module()
    return info.value.code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('args, expected', [
    ({'name': 'x'}, {'interface': 'public', 'clustering_default_microversion': '1.12', 'app_name': 'cloudrise.openstack'}),
    ({'name': 'x', 'cloud': 'mycloud', 'region_name': 'R2', 'validate_certs': False, 'api_timeout': 5},
     {'cloud': 'mycloud', 'region_name': 'R2', 'verify': False, 'api_timeout': 5, 'interface': 'public',
      'clustering_default_microversion': '1.12', 'app_name': 'cloudrise.openstack'}),
    ({'name': 'x', 'interface': 'internal', 'auth': {'auth_url': 'http://k'}, 'ca_cert': '/ca', 'client_cert': '/c',
      'client_key': '/k', 'auth_type': 'password'},
     {'interface': 'internal', 'auth': {'auth_url': 'http://k'}, 'cacert': '/ca', 'cert': '/c', 'key': '/k',
      'auth_type': 'password', 'clustering_default_microversion': '1.12', 'app_name': 'cloudrise.openstack'}),
    ({'name': 'x', 'cloud': {'auth': {'auth_url': 'http://k'}, 'region_name': 'R'}},
     {'auth': {'auth_url': 'http://k'}, 'region_name': 'R', 'clustering_default_microversion': '1.12',
      'app_name': 'cloudrise.openstack'}),
])
def test_connect_kwargs(args, expected):
    assert build(args).connect_kwargs() == expected


def test_cloud_dict_with_other_connection_options_is_rejected():
    module = build({'name': 'x', 'cloud': {'auth': {}}, 'region_name': 'R', 'validate_certs': True})
    with pytest.raises(InvalidInput) as info:
        module.connect_kwargs()
    assert info.value.msg == 'When cloud is a dict, set its settings inside it, not as options: region_name, validate_certs'


def test_cloud_dict_takes_its_secrets_from_the_no_log_options(monkeypatch):
    warned = []
    monkeypatch.setattr(Probe, 'warn', lambda self, msg: warned.append(msg))
    module = build({'name': 'x', 'cloud': {'auth': {'auth_url': 'http://k', 'username': 'u'}, 'region_name': 'R'},
                    'auth': {'password': 'canary-pw'}, 'client_key': '/k'})
    kwargs = module.connect_kwargs()
    assert kwargs['auth'] == {'auth_url': 'http://k', 'username': 'u', 'password': 'canary-pw'}
    assert kwargs['key'] == '/k' and kwargs['region_name'] == 'R'
    assert warned == []
    # the values of the no_log options are what Ansible masks in its log line and in invocation
    assert 'canary-pw' in module.module.no_log_values


def test_cloud_dict_with_a_password_in_clear_warns(monkeypatch):
    warned = []
    monkeypatch.setattr(Probe, 'warn', lambda self, msg: warned.append(msg))
    build({'name': 'x', 'cloud': {'auth': {'auth_url': 'http://k', 'password': 'p', 'token': 't'}}}).connect_kwargs()
    assert len(warned) == 1 and warned[0].startswith('cloud holds auth.password, auth.token in clear text')
    assert 'canary' not in warned[0]


def test_module_spec_overrides_shared_defaults():
    assert build({'name': 'x'}).params['timeout'] == 600


@pytest.mark.parametrize('outcome, changed', [(1, False), (2, True)])
def test_changed_is_derived_from_difference(outcome, changed, capsys):
    code, result = run_module({'name': 'x', '_ansible_diff': True}, outcome, capsys)
    assert code == 0
    assert result['changed'] is changed
    assert result['thing'] == {'name': 'x'}
    assert result['diff'] == ({'before': {'size': 1}, 'after': {'size': 2}} if changed else {'before': {}, 'after': {}})


def test_diff_only_in_diff_mode(capsys):
    _code, result = run_module({'name': 'x'}, 2, capsys)
    assert 'diff' not in result


@pytest.mark.parametrize('check_mode, changed, expected, applied', [
    (False, True, 'applied', True),
    (True, True, 'predicted', False),        # check mode: never a write
    (False, False, 'as read', False),
    (True, False, 'as read', False),
])
def test_apply_or_predict(check_mode, changed, expected, applied):
    module = build({'name': 'x', '_ansible_check_mode': check_mode})
    plan = Plan()
    plan.predicted = 'predicted'
    if changed:
        plan.diff.add('size', 1, 2)
    calls = []

    def apply():
        calls.append(1)
        return 'applied'
    assert module.apply_or_predict(plan, apply, 'as read') == expected
    assert bool(calls) is applied


def test_info_result_never_changes_and_has_no_diff():
    module = build({'name': 'x', '_ansible_diff': True})
    assert module.info_result(things=[1]) == {'changed': False, 'things': [1]}


def test_typed_error_becomes_msg_and_details(capsys):
    code, result = run_module({'name': 'x'}, ResourceFailed('stack web failed: boom', status='CREATE_FAILED'), capsys)
    assert code == 1
    assert result['failed'] is True
    assert result['msg'] == 'stack web failed: boom'
    assert result['status'] == 'CREATE_FAILED'


@pytest.mark.parametrize('outcome, traceback_expected', [
    (ResourceFailed('stack web failed: boom'), False),   # expected failure: its message is enough
    (KeyError('boom'), True),                            # a bug: keep the traceback for -vvv
])
def test_traceback_only_for_unexpected_errors(outcome, traceback_expected):
    module = build({'name': 'x'}, outcome)
    calls = []

    def fail_json(**kwargs):
        calls.append(kwargs)
        raise SystemExit(1)
    module.module.fail_json = fail_json
    with pytest.raises(SystemExit):
        module()
    assert ('exception' in calls[0]) is traceback_expected
    if traceback_expected:
        assert 'Traceback' in calls[0]['exception']


@pytest.mark.parametrize('matches', [
    [{'id': 'b'}, {'id': 'a'}],
    [type('R', (), {'id': 'b'})(), type('R', (), {'id': 'a'})()],
    ['b', 'a'],
])
def test_ambiguous_lists_ids_of_dicts_resources_and_strings(matches):
    error = Ambiguous('profile', 'web', matches)
    assert error.msg == "More than one profile is named 'web': a, b. Use the id instead."
    assert error.details == {'matches': ['a', 'b']}


def test_auth_secrets_never_echoed(capsys):
    _code, result = run_module({'name': 'x', 'auth': {'password': 'hunter2-secret'}},
                               ResourceFailed('nope'), capsys)
    assert 'hunter2-secret' not in json.dumps(result)


def _http_error(status):
    class Response(object):
        status_code = status
        headers = {'x-openstack-request-id': 'req-123'}
        reason = 'Conflict'
        text = ''
        url = 'http://127.0.0.1:8778/v1/clusters'

        def json(self):
            return {}
    return sdk_exceptions.HttpException(message='Cluster is locked', response=Response(), details='Cluster is locked')


@pytest.mark.parametrize('exc, msg_start, details', [
    (InvalidInput('min_size 3 > max_size 2', option='min_size'), 'min_size 3 > max_size 2', {'option': 'min_size'}),
    (_http_error(409), 'OpenStack API error 409: Cluster is locked', {'status_code': 409, 'request_id': 'req-123'}),
    (ksa_exceptions.Unauthorized('The request you have made requires authentication.'),
     'Authentication failed (check the credentials of the cloud)', {}),
    (ksa_exceptions.ConnectFailure('Unable to establish connection to http://127.0.0.1:1'),
     'Cannot connect to the OpenStack endpoint: Unable to establish connection', {}),
    (ksa_exceptions.EndpointNotFound('public endpoint for clustering not found'),
     'The service is not in the cloud catalog', {}),
    (sdk_exceptions.ConfigException('Cloud nope was not found.'), 'Cloud configuration error: Cloud nope was not found.', {}),
    (sdk_exceptions.SDKException('weird'), 'OpenStack error: weird', {}),
    (KeyError('x'), "KeyError: 'x'", {}),
])
def test_translate_exception(exc, msg_start, details):
    msg, extra = translate_exception(exc)
    assert msg.startswith(msg_start)
    for key, value in details.items():
        assert extra[key] == value


def test_to_dict_drops_location():
    class Res(object):
        def to_dict(self, computed=True):
            assert computed is False
            return {'id': '1', 'location': {'cloud': 'x'}}
    assert to_dict(Res()) == {'id': '1'}
    assert to_dict(None) is None
    assert to_dict({'a': 1, 'location': 2}) == {'a': 1}


def test_private_file_is_created_0600_and_tightened(tmp_path):
    fresh = tmp_path / 'fresh.log'
    _base.private_file(str(fresh))
    assert fresh.stat().st_mode & 0o777 == 0o600
    loose = tmp_path / 'loose.log'
    loose.write_text('old\n')
    loose.chmod(0o644)
    _base.private_file(str(loose))
    assert loose.stat().st_mode & 0o777 == 0o600 and loose.read_text() == 'old\n'


@pytest.mark.parametrize('message, expected', [
    ("REQ: curl -g -i -X POST http://h/v1/stacks -H \"X-Auth-Token: {SHA256}ab\" -d '{\"parameters\": {\"pw\": \"x\"}}'",
     "REQ: curl -g -i -X POST http://h/v1/stacks -H \"X-Auth-Token: {SHA256}ab\" -d '<body of 27 bytes not logged>'"),
    ('REQ: curl -g -i -X GET http://h/v1/stacks', 'REQ: curl -g -i -X GET http://h/v1/stacks'),
    ('RESP BODY: {"receiver": {"channel": {"alarm_url": "x"}}}', 'RESP BODY: <45 bytes not logged>'),
    ('RESP: [200] Content-Type: application/json', 'RESP: [200] Content-Type: application/json'),
    ('connecting with s3cret-pw and s3cret', 'connecting with ******** and ********'),
])
def test_secret_log_filter(message, expected):
    record = logging.LogRecord('keystoneauth.session', logging.DEBUG, __file__, 1, message, None, None)
    assert _base.SecretLogFilter({'s3cret', 's3cret-pw', None, ''}).filter(record) is True
    assert record.getMessage() == expected


def test_sdk_log_has_no_bodies_and_no_no_log_values(tmp_path):
    path = tmp_path / 'sdk.log'
    module = build({'name': 'x', 'auth': {'password': 'canary-pw-1'}, 'sdk_log_path': str(path), 'sdk_log_level': 'DEBUG'})
    loggers = [logging.getLogger(name) for name in ('openstack', 'keystoneauth', 'keystoneauth.session.body')]
    saved = [(lg, list(lg.handlers), lg.level) for lg in loggers]
    try:
        module._setup_logging()
        logging.getLogger('keystoneauth.session').debug(
            "REQ: curl -g -i -X POST http://h/v3/auth/tokens -d '{\"password\": \"canary-pw-1\", \"hidden\": \"canary-2\"}'")
        logging.getLogger('keystoneauth.session.body').debug('RESP BODY: {"alarm_url": "canary-3"}')
        logging.getLogger('keystoneauth.session').debug('RESP BODY: {"outputs": "canary-4"}')
        logging.getLogger('openstack').debug('retrying with canary-pw-1')
        for handler in logging.getLogger('openstack').handlers:
            handler.flush()
    finally:
        for logger, handlers, level in saved:
            for handler in logger.handlers:
                if handler not in handlers:
                    handler.close()
            logger.handlers[:] = handlers
            logger.setLevel(level)
    text = path.read_text()
    assert 'REQ: curl -g -i -X POST http://h/v3/auth/tokens' in text and 'retrying with ********' in text
    assert not [canary for canary in ('canary-pw-1', 'canary-2', 'canary-3', 'canary-4') if canary in text]
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize('option, value', [('timeout', 0), ('timeout', -5), ('api_timeout', 0)])
def test_non_positive_timeouts_fail_before_any_request(option, value, capsys):
    code, result = run_module({'name': 'x', option: value}, 2, capsys)
    assert code == 1 and result['failed']
    assert result['msg'] == '%s must be a positive number of seconds, got %s.' % (option, value)


@pytest.mark.parametrize('args, warned', [({'validate_certs': False}, True), ({'validate_certs': True}, False), ({}, False)])
def test_validate_certs_false_warns(args, warned, capsys, monkeypatch):
    # ansible-core's warning list is process-wide: record this module's warnings itself
    messages = []
    monkeypatch.setattr(Probe, 'warn', lambda self, msg: messages.append(msg))
    code, dummy = run_module(dict(args, name='x'), 2, capsys)
    assert code == 0
    assert any('validate_certs is false' in msg for msg in messages) is warned


class FakeSession(object):
    def __init__(self, timeout=None):
        self.timeout = timeout
        self.sent = []

    def request(self, url, method, **kwargs):
        self.sent.append((method, url, kwargs.get('timeout')))


class FakeConn(object):
    def __init__(self, timeout=None):
        self.session = FakeSession(timeout)


@pytest.mark.parametrize('api_timeout', [None, 7])
def test_the_connection_bounds_every_request_by_the_task_deadline(monkeypatch, api_timeout):
    monkeypatch.setattr(_base.openstack, 'connect', lambda **kwargs: FakeConn(kwargs.get('api_timeout')))
    module = build({'name': 'x', 'timeout': 30, 'api_timeout': api_timeout})
    module.deadline = _base.Deadline(30)
    conn = module.conn
    assert isinstance(conn.session.request, _base.BoundedRequests)
    assert conn.session.request.deadline is module.deadline and conn.session.request.api_timeout == api_timeout
    conn.session.request('/stacks', 'GET')
    (method, url, timeout), = conn.session.sent
    assert (method, url) == ('GET', '/stacks') and 0 < timeout <= (api_timeout or 30)
    assert module.conn is conn and isinstance(conn.session.request.send, type(FakeSession().request))  # wrapped once


@pytest.mark.parametrize('outcome, code', [(2, 0), (InvalidInput('bad'), 1)])
def test_the_objects_are_frozen_before_the_result_is_written(monkeypatch, capsys, outcome, code):
    # Python's shutdown would run the garbage collector over every object again (0.1-0.7 s after the result)
    events = []
    monkeypatch.setattr(_base.gc, 'freeze', lambda: events.append('freeze'))
    monkeypatch.setattr(_base.AnsibleModuleLoggingSafely, 'exit_json',
                        lambda self, **kw: events.append('exit') or _exit(0))
    monkeypatch.setattr(_base.AnsibleModuleLoggingSafely, 'fail_json',
                        lambda self, **kw: events.append('fail') or _exit(1))
    with patch_module_args({'name': 'x'}):
        module = Probe(outcome)
        with pytest.raises(SystemExit) as info:
            module()
    assert info.value.code == code and events == ['freeze', 'exit' if code == 0 else 'fail']


def _exit(code):
    raise SystemExit(code)


def test_the_task_deadline_starts_with_the_task(monkeypatch, capsys):
    seen = {}

    class Timed(Probe):
        def run(self):
            seen['deadline'] = self.deadline
            return self.result()
    with patch_module_args({'name': 'x', 'timeout': 42}):
        module = Timed()
        assert module.deadline is None  # no connection bounded before the task runs
        with pytest.raises(SystemExit):
            module()
    assert seen['deadline'].seconds == 42 and 41 < seen['deadline'].remaining() <= 42


@pytest.mark.parametrize('text, msg', [
    ("SSL exception connecting to https://127.0.0.1:40123/v3/auth/tokens: HTTPSConnectionPool(host='127.0.0.1', "
     "port=40123): Max retries exceeded with url: /v3/auth/tokens (Caused by SSLError(SSLCertVerificationError(1, "
     "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain "
     "(_ssl.c:1006)')))",
     'The TLS certificate of https://127.0.0.1:40123 is not trusted (certificate verify failed: self-signed '
     'certificate in certificate chain). Set ca_cert (or cacert in clouds.yaml) to the CA that signed it.'),
    ('SSL exception connecting to https://h:1/x: wrong version number',
     'TLS connection to https://h:1 failed: SSL exception connecting to https://h:1/x: wrong version number'),
])
def test_tls_failures_are_named_plainly(text, msg):
    assert translate_exception(ksa_exceptions.SSLError(text)) == (msg, {})


class NestedSecretProbe(CloudModule):
    """An option holding a list of dicts with a no_log suboption, as baremetal_instance's config_drive.user_data."""
    argument_spec = dict(items=dict(type='list', elements='dict', options=dict(
        name=dict(type='str'), script=dict(type='raw', no_log=True))))

    def run(self):
        return {}


@pytest.mark.parametrize('secret', [
    "#!/bin/sh\necho 'canary-Zq81' > /etc/motd\n",       # newline and quotes: logged escaped inside str(list)
    'canary-Zq81 with "double" quotes and a \\ backslash',
    'canary-Zq81\ttab',
    'plain-canary-Zq81',
])
def test_invoked_with_log_line_masks_a_nested_no_log_value_in_its_escaped_form(secret, monkeypatch):
    logged = []
    monkeypatch.setattr(_base.AnsibleModuleLoggingSafely, 'log', lambda self, msg, log_args=None: logged.append(msg))
    with patch_module_args({'items': [{'name': 'one', 'script': secret}]}):
        NestedSecretProbe()
    assert len(logged) == 1 and 'name' in logged[0]
    assert 'canary-Zq81' not in logged[0], logged[0]


def test_escaped_forms():
    assert _base.escaped_forms({"a'b\nc", 'plain', 7, 'x"y'}) == {"a'b\\nc"}     # repr quotes it with "
    assert _base.escaped_forms({'a\'b"c'}) == {'a\\\'b"c'}
    assert _base.escaped_forms({'tab\there'}) == {'tab\\there'}


@pytest.mark.parametrize('enabled', [True, False])
def test_the_sdk_import_pauses_the_garbage_collector_and_restores_it_as_it_was(enabled):
    # a new interpreter: the first import of openstacksdk is in _errors
    code = ('import gc, sys\n'
            'gc.enable() if sys.argv[1] == "1" else gc.disable()\n'
            'import ansible_collections.cloudrise.openstack.plugins.module_utils._errors as errors\n'
            'assert "openstack" in sys.modules\n'
            'print(gc.isenabled(), errors._GC_WAS_ENABLED)\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, '-c', code, '1' if enabled else '0'], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == [str(enabled), str(enabled)]
