"""The stack's inputs (plugins/module_utils/_heat/template.py): the hidden-parameter digest and the limits on what
a template may read (issue 10: #5 and the bad-input items for Heat). Loopback HTTP servers only, no cloud."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import functools
import hashlib
import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, WaitTimeout
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import reader as heat_reader
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import stack as heat_stack
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import template as heat_template

HOT = {'heat_template_version': '2018-08-31',
       'parameters': {'p': {'type': 'string', 'default': 'a'},
                      'pw': {'type': 'string', 'hidden': True, 'default': 'x'}},
       'resources': {'v': {'type': 'OS::Heat::Value', 'properties': {'value': {'get_param': 'p'}}}}}
STACK = {'stack_name': 's', 'id': 'i', 'tags': [], 'stack_status': 'CREATE_COMPLETE'}
# 318 bytes, about 1.8 MB as JSON: ten times more at each of 5 levels (the probe)
BOMB = ('heat_template_version: 2018-08-31\n'
        'a: &a ["xxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxx"]\n'
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
        'resources: {}\n')


def old_pbkdf2_digest(values, salt, iterations):
    """The digest the first versions stored, computed here independently of the module."""
    data = json.dumps(values, sort_keys=True, default=str).encode('utf-8')
    digest = hashlib.pbkdf2_hmac('sha256', data, salt.encode('ascii'), iterations)
    return 'pbkdf2-sha256$%d$%s$%s' % (iterations, salt, base64.b64encode(digest).decode('ascii'))


# -- the hidden-parameter digest (#5) ---------------------------------------------------------------------------

def test_digest_without_a_key_is_scrypt_with_the_documented_cost():
    digest = heat_template.make_digest({'parameters.pw': 's1'})
    assert digest.startswith('scrypt$32768$8$1$')
    assert heat_template.digest_matches({'parameters.pw': 's1'}, digest)
    assert not heat_template.digest_matches({'parameters.pw': 's2'}, digest)
    assert 's1' not in digest


def test_digest_with_a_key_is_an_hmac_only_the_key_verifies():
    digest = heat_template.make_digest({'parameters.pw': 's1'}, key='vault-key')
    assert digest.startswith('hmac-sha256$')
    assert heat_template.digest_matches({'parameters.pw': 's1'}, digest, key='vault-key')
    assert not heat_template.digest_matches({'parameters.pw': 's2'}, digest, key='vault-key')
    assert not heat_template.digest_matches({'parameters.pw': 's1'}, digest, key='other-key')
    assert not heat_template.digest_matches({'parameters.pw': 's1'}, digest)  # no key: cannot verify


@pytest.mark.parametrize('key', [None, 'vault-key'])
def test_digest_of_the_first_versions_is_still_verified(key):
    stored = old_pbkdf2_digest({'parameters.pw': 's1'}, 'c2FsdHNhbHRzYWx0', 100000)
    assert heat_template.digest_matches({'parameters.pw': 's1'}, stored, key=key)
    assert not heat_template.digest_matches({'parameters.pw': 's2'}, stored, key=key)


@pytest.mark.parametrize('stored', [
    'pbkdf2-sha256$1000000000$c2FsdA==$eA==',   # the 10^9
    'pbkdf2-sha256$9000000$c2FsdA==$eA==',      # below the old cap of 10^7: seconds of CPU per run
    'scrypt$1048576$8$1$c2FsdA==$eA==',         # 1 GiB
    'scrypt$32768$64$1$c2FsdA==$eA==',          # r beyond the cap
    'scrypt$32768$8$1000$c2FsdA==$eA==',        # p: 1000 times the time
    'scrypt$1000$8$1$c2FsdA==$eA==',            # n not a power of two
    'hmac-sha256$%s$eA==' % ('A' * 100000),     # an oversized salt
    'pbkdf2-sha256$100000$bad salt$eA==',
])
def test_digest_cost_claimed_by_a_stored_digest_is_capped(stored):
    started = time.monotonic()
    assert not heat_template.digest_matches({'parameters.pw': 's1'}, stored, key='k')
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize('stored', ['scrypt$x$8$1$a$b', 'scrypt$32768$8$1$a', 'pbkdf2-sha256$100000$YQ==$\u00e9'])
def test_digest_malformed_does_not_match(stored):
    assert not heat_template.digest_matches({'a': 1}, stored)


def desired(**kwargs):
    values = dict(name='s', template=copy.deepcopy(HOT), parameters={'p': 'b', 'pw': 's1'})
    values.update(kwargs)
    return heat_stack.DesiredStack(**values)


def stored_env(digest=None):
    env = {'parameters': {'p': 'b', 'pw': '******'}, 'parameter_defaults': {}}
    if digest:
        env['parameter_defaults'][heat_template.HIDDEN_DIGEST_KEY] = digest
    return env


def plan_keys(want, env):
    return sorted(heat_stack.plan_stack_update(want, STACK, HOT, env).keys)


@pytest.mark.parametrize('name, kwargs, stored, changed', [
    ('keyed, same', dict(digest_key='k1'), ('k1', 's1'), []),
    ('keyed, value changed', dict(digest_key='k1', parameters={'p': 'b', 'pw': 's2'}), ('k1', 's1'), ['parameters']),
    ('keyed, another key', dict(digest_key='k2'), ('k1', 's1'), ['parameters']),
    ('keyed, stored by the first versions', dict(digest_key='k1'), ('pbkdf2', 's1'), []),
    ('no key, stored by the first versions', {}, ('pbkdf2', 's1'), []),
    ('no key, stored scrypt', {}, ('scrypt', 's1'), []),
    ('no key, stored keyed', {}, ('k1', 's1'), ['parameters']),
    ('digest off, value changed', dict(hidden_digest=False, parameters={'p': 'b', 'pw': 's2'}), ('k1', 's1'), []),
    ('digest off, no digest stored', dict(hidden_digest=False), None, []),
    ('digest off, hidden parameter removed', dict(hidden_digest=False, parameters={'p': 'b'}), None, ['parameters']),
])
def test_plan_hidden_values_through_the_digest(name, kwargs, stored, changed):
    digest = None
    if stored is not None:
        how, value = stored
        values = {'parameters.pw': value}
        digest = (old_pbkdf2_digest(values, 'c2FsdA==', 100000) if how == 'pbkdf2' else
                  heat_template.make_digest(values) if how == 'scrypt' else heat_template.make_digest(values, key=how))
    assert plan_keys(desired(**kwargs), stored_env(digest)) == changed, name


@pytest.mark.parametrize('kwargs, prefix', [
    ({}, 'scrypt$'), (dict(digest_key='k1'), 'hmac-sha256$'), (dict(hidden_digest=False), None)])
def test_body_writes_the_new_digest_or_none(kwargs, prefix):
    env = desired(**kwargs).body()['environment']
    digest = (env.get('parameter_defaults') or {}).get(heat_template.HIDDEN_DIGEST_KEY)
    if prefix is None:
        assert digest is None
    else:
        assert digest.startswith(prefix)
        assert heat_template.digest_matches({'parameters.pw': 's1'}, digest, key=kwargs.get('digest_key'))


def test_from_params_takes_the_digest_options(tmp_path):
    (tmp_path / 't.yaml').write_text(json.dumps(HOT))
    params = dict(name='s', template=str(tmp_path / 't.yaml'), parameters={'pw': 's1'}, hidden_digest_key='k1')
    want = heat_stack.DesiredStack.from_params(params)
    assert want.digest_key == 'k1' and want.hidden_digest is True
    assert want.body()['environment']['parameter_defaults'][heat_template.HIDDEN_DIGEST_KEY].startswith('hmac-')
    want = heat_stack.DesiredStack.from_params(dict(params, hidden_digest=False, hidden_digest_key=None))
    assert want.hidden_digest is False and 'parameter_defaults' not in want.body()['environment']


# -- YAML aliases ----------------------------------------------------------------------------------------------

def test_yaml_bomb_is_refused_with_its_sizes():
    assert len(BOMB) < 400
    with pytest.raises(InvalidInput, match=r'The YAML aliases of \(template_content\) expand it from \d+ to \d+ nodes'):
        heat_template.load_template(template_content=BOMB)


def test_yaml_bomb_in_a_file_an_environment_and_a_nested_template(tmp_path):
    (tmp_path / 'bomb.yaml').write_text(BOMB)
    indented = ''.join('  %s\n' % line for line in BOMB.splitlines()[1:-1])
    (tmp_path / 'env.yaml').write_text('parameter_defaults:\n' + indented)
    (tmp_path / 'main.yaml').write_text('heat_template_version: 2018-08-31\nresources:\n  n: {type: bomb.yaml}\n')
    for call in (lambda: heat_template.load_template(template=str(tmp_path / 'bomb.yaml')),
                 lambda: heat_template.load_template(template=str(tmp_path / 'main.yaml')),
                 lambda: heat_template.load_environment([str(tmp_path / 'env.yaml')])):
        with pytest.raises(InvalidInput, match='YAML aliases of .* expand it'):
            call()


def test_yaml_recursive_alias_is_refused():
    with pytest.raises(InvalidInput, match='refers to itself'):
        heat_template.load_template(template_content='heat_template_version: 2018-08-31\na: &a [*a]\n')


def test_yaml_few_aliases_are_fine():
    text = ('heat_template_version: 2018-08-31\n'
            'x: &props {value: 1, other: [1, 2, 3]}\n'
            'resources:\n  a: {type: OS::Heat::Value, properties: *props}\n  b: {type: OS::Heat::Value, properties: *props}\n')
    template, dummy = heat_template.load_template(template_content=text)
    assert template['resources']['b']['properties'] == {'value': 1, 'other': [1, 2, 3]}


# -- confinement -----------------------------------------------------------------------------------------------

def hot_get_file(ref):
    return ('heat_template_version: 2018-08-31\nresources:\n'
            '  d: {type: OS::Heat::Value, properties: {value: {get_file: "%s"}}}\n' % ref)


@pytest.fixture
def layout(tmp_path):
    """top/templates/main.yaml, top/templates/nested.yaml, top/environments/, top/secret.txt (outside templates/)."""
    top = tmp_path / 'top'
    (top / 'templates').mkdir(parents=True)
    (top / 'environments').mkdir()
    (top / 'secret.txt').write_text('TOP-SECRET')
    (top / 'templates' / 'nested.yaml').write_text('heat_template_version: 2018-08-31\nresources: {}\n')
    (top / 'templates' / 'data.txt').write_text('data')
    return top


@pytest.mark.parametrize('ref', ['../secret.txt', 'SECRET_ABS', 'sub/../../secret.txt', 'link.txt'])
def test_get_file_outside_the_template_directory_is_refused(layout, ref):
    os.symlink(str(layout / 'secret.txt'), str(layout / 'templates' / 'link.txt'))
    ref = str(layout / 'secret.txt') if ref == 'SECRET_ABS' else ref
    (layout / 'templates' / 'main.yaml').write_text(hot_get_file(ref))
    with pytest.raises(InvalidInput, match=r"(secret|link).txt( \(a link to .*/secret.txt\))? is outside the "
                                           r"directories a template may read: .*templates. .*set files_root to allow"):
        heat_template.load_template(template=str(layout / 'templates' / 'main.yaml'))


def test_get_file_inside_and_files_root(layout):
    (layout / 'templates' / 'main.yaml').write_text(hot_get_file('data.txt'))
    dummy, files = heat_template.load_template(template=str(layout / 'templates' / 'main.yaml'))
    assert list(files.values()) == ['data']
    (layout / 'templates' / 'main.yaml').write_text(hot_get_file('../secret.txt'))
    reader = heat_template.TemplateReader(files_root=str(layout))
    dummy, files = heat_template.load_template(template=str(layout / 'templates' / 'main.yaml'), reader=reader)
    assert list(files.values()) == ['TOP-SECRET']


def test_template_content_is_confined_to_the_working_directory(layout):
    with pytest.raises(InvalidInput, match='secret.txt is outside'):
        heat_template.load_template(template_content=hot_get_file('../secret.txt'), cwd=str(layout / 'templates'))


def test_resource_registry_confined_to_the_environment_and_template_directories(layout):
    (layout / 'templates' / 'main.yaml').write_text(hot_get_file('data.txt'))
    (layout / 'environments' / 'ok.yaml').write_text('resource_registry: {"My::N": ../templates/nested.yaml}\n')
    (layout / 'environments' / 'bad.yaml').write_text('resource_registry: {"My::N": ../secret.txt}\n')
    (layout / 'environments' / 'base.yaml').write_text('resource_registry: {base_url: "file:///", "My::N": etc/hostname}\n')
    reader = heat_template.TemplateReader()
    heat_template.load_template(template=str(layout / 'templates' / 'main.yaml'), reader=reader)
    env, files = heat_template.load_environment([str(layout / 'environments' / 'ok.yaml')], reader=reader)
    assert env['resource_registry']['My::N'].endswith('/templates/nested.yaml')
    for name, match in (('bad.yaml', 'secret.txt is outside'), ('base.yaml', '/etc/hostname is outside')):
        with pytest.raises(InvalidInput, match=match):
            heat_template.load_environment([str(layout / 'environments' / name)], reader=reader)
    with pytest.raises(InvalidInput, match='secret.txt is outside'):
        heat_template.load_environment(None, {'resource_registry': {'My::N': '../secret.txt'}},
                                       cwd=str(layout / 'templates'), reader=reader)


@pytest.mark.parametrize('ref', ['data:,hello', 'ftp://127.0.0.1:9/x'])
def test_only_file_http_https_urls(tmp_path, ref):
    with pytest.raises(InvalidInput, match='only file, http and https URLs are supported'):
        heat_template.load_template(template_content=hot_get_file(ref), cwd=str(tmp_path))


# -- sizes -----------------------------------------------------------------------------------------------------

def test_oversize_template_file_get_file_and_inline(tmp_path):
    big = 'heat_template_version: 2018-08-31\n#' + 'x' * heat_template.MAX_FILE_BYTES + '\n'
    (tmp_path / 'big.yaml').write_text(big)
    (tmp_path / 'big.txt').write_text('y' * (heat_template.MAX_FILE_BYTES + 1))
    (tmp_path / 'main.yaml').write_text(hot_get_file('big.txt'))
    match = r'is larger than 1048576 bytes \(\d+\): each template, environment and file may have at most 1048576 bytes'
    for kwargs in (dict(template=str(tmp_path / 'big.yaml')), dict(template=str(tmp_path / 'main.yaml')),
                   dict(template_content=big)):
        with pytest.raises(InvalidInput, match=match):
            heat_template.load_template(**kwargs)


def test_total_size_is_capped(tmp_path):
    for name in 'abc':
        (tmp_path / (name + '.txt')).write_text(name * 400)
    (tmp_path / 'main.yaml').write_text('heat_template_version: 2018-08-31\nresources:\n' + ''.join(
        '  %s: {type: OS::Heat::Value, properties: {value: {get_file: %s.txt}}}\n' % (n, n) for n in 'abc'))
    limit = len((tmp_path / 'main.yaml').read_text()) + 800 + 1
    reader = heat_template.TemplateReader(max_file=1000, max_total=limit)
    with pytest.raises(InvalidInput, match=r'add up to more than %d bytes \(at file://.*/c.txt\)' % limit):
        heat_template.load_template(template=str(tmp_path / 'main.yaml'), reader=reader)


# -- downloads: loopback servers ---------------------------------------------------------------------------------

class Server(object):
    """A loopback HTTP server answering ``routes`` {path: (status, body bytes)}; ``stall`` paths never answer."""

    def __init__(self, routes, stall=()):
        routes, stall, self.release = dict(routes), set(stall), threading.Event()
        release = self.release

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path in stall:
                    release.wait(30)
                    return
                status, body = routes.get(self.path, (404, b'not found'))
                self.send_response(status)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    made = []

    def make(routes, stall=()):
        made.append(Server(routes, stall))
        return made[-1]
    yield make
    for one in made:
        one.close()


def test_template_url_downloads_the_template_and_its_references(server):
    srv = server({'/t/main.yaml': (200, hot_get_file('data.txt').encode()), '/t/data.txt': (200, b'remote')})
    template, files = heat_template.load_template(template_url=srv.url + '/t/main.yaml')
    assert files == {srv.url + '/t/data.txt': 'remote'}
    assert template['resources']['d']['properties']['value'] == {'get_file': srv.url + '/t/data.txt'}


def test_template_from_a_url_reads_no_local_file(server, tmp_path):
    srv = server({'/main.yaml': (200, hot_get_file('file:///etc/hostname').encode())})
    with pytest.raises(InvalidInput, match='/etc/hostname is outside the directories a template may read: no local'):
        heat_template.load_template(template_url=srv.url + '/main.yaml')


def test_environment_from_a_url_reads_no_local_file(server, layout):
    (layout / 'templates' / 'main.yaml').write_text(hot_get_file('data.txt'))
    srv = server({'/env.yaml': (200, ('resource_registry: {"My::N": "file://%s/templates/nested.yaml"}\n'
                                      % layout).encode())})
    reader = heat_template.TemplateReader()
    heat_template.load_template(template=str(layout / 'templates' / 'main.yaml'), reader=reader)
    with pytest.raises(InvalidInput, match='nested.yaml is outside the directories a template may read: no local'):
        heat_template.load_environment([srv.url + '/env.yaml'], reader=reader)


def test_a_redirect_to_another_scheme_is_not_followed(server):
    srv = server({})
    srv.httpd.RequestHandlerClass.do_GET = lambda self: (self.send_response(302),
                                                         self.send_header('Location', 'ftp://127.0.0.1:9/x'),
                                                         self.send_header('Content-Length', '0'), self.end_headers())
    with pytest.raises(InvalidInput, match=r'Cannot download http://127.0.0.1:\d+/t.yaml: unknown url type: ftp'):
        heat_template.load_template(template_url=srv.url + '/t.yaml')


def test_download_errors_and_oversize(server):
    srv = server({'/big.yaml': (200, b'#' * (heat_template.MAX_FILE_BYTES + 10))})
    with pytest.raises(InvalidInput, match=r'http://127.0.0.1:\d+/big.yaml is larger than 1048576 bytes'):
        heat_template.load_template(template_url=srv.url + '/big.yaml')
    with pytest.raises(InvalidInput, match=r'Cannot download http://127.0.0.1:\d+/nope.yaml: HTTP 404'):
        heat_template.load_template(template_url=srv.url + '/nope.yaml')


def test_download_message_hides_credentials_and_query(server):
    srv = server({})
    url = srv.url.replace('http://', 'http://user:pa55word@') + '/nope.yaml?temp_url_sig=SIGNATURE'
    with pytest.raises(InvalidInput) as caught:
        heat_template.load_template(template_url=url)
    assert 'pa55word' not in caught.value.msg and 'SIGNATURE' not in caught.value.msg


def run_bounded(call, seconds):
    """(the exception call raised, elapsed seconds), or AssertionError when it is still running after ``seconds``."""
    box, started = {}, time.monotonic()

    def work():
        try:
            call()
        except Exception as exc:
            box['exc'] = exc
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), 'still running after %ss' % seconds
    return box.get('exc'), time.monotonic() - started


def test_a_stalled_download_ends_by_the_task_timeout(server):
    srv = server({}, stall=['/slow.yaml', '/t/slow.txt'])
    srv2 = server({'/t/main.yaml': (200, hot_get_file(srv.url + '/t/slow.txt').encode())})
    for url in (srv.url + '/slow.yaml', srv2.url + '/t/main.yaml'):
        params = dict(name='s', template_url=url, timeout=1)
        exc, elapsed = run_bounded(functools.partial(heat_stack.DesiredStack.from_params, params), 10)
        assert isinstance(exc, WaitTimeout), exc
        assert 'did not finish within the timeout of 1s' in exc.msg and elapsed < 3


def test_tls_options_reach_the_download(monkeypatch, tmp_path):
    """validate_certs, ca_cert, client_cert and client_key given to the module are the context of the https fetch."""
    seen = []

    class Refuse(Exception):
        pass

    def capture(context=None, **kwargs):
        seen.append(context)
        raise Refuse()
    monkeypatch.setattr(heat_reader.urllib_request, 'HTTPSHandler', capture)
    params = dict(name='s', template_url='https://127.0.0.1:9/t.yaml', timeout=5)
    with pytest.raises(Refuse):
        heat_stack.DesiredStack.from_params(dict(params, validate_certs=False))
    assert seen[-1].verify_mode == ssl.CERT_NONE and not seen[-1].check_hostname
    with pytest.raises(Refuse):
        heat_stack.DesiredStack.from_params(params)
    assert seen[-1].verify_mode == ssl.CERT_REQUIRED and seen[-1].check_hostname
    with pytest.raises(InvalidInput, match='Cannot use the TLS options'):
        heat_stack.DesiredStack.from_params(dict(params, ca_cert=str(tmp_path / 'missing.pem')))
    key, cert = tmp_path / 'key.pem', tmp_path / 'cert.pem'
    made = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj',
                           '/CN=test-ca', '-keyout', str(key), '-out', str(cert)], capture_output=True, check=False)
    if made.returncode:
        pytest.skip('openssl cannot make a certificate here')
    with pytest.raises(Refuse):
        heat_stack.DesiredStack.from_params(dict(params, ca_cert=str(cert), client_cert=str(cert),
                                                 client_key=str(key)))
    assert [c['subject'] for c in seen[-1].get_ca_certs()] == [((('commonName', 'test-ca'),),)]


def test_a_refused_connection_is_a_clear_message():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(InvalidInput, match=r'Cannot download http://127.0.0.1:%d/t.yaml: .*refused' % port):
        heat_template.load_template(template_url='http://127.0.0.1:%d/t.yaml' % port)
