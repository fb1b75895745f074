"""TLS end to end: the modules against the real local cloud behind a loopback TLS terminator with a test CA.

Keystone (the auth URL every task starts with) is served as https://127.0.0.1:<port>/v3 with a certificate of a
throwaway CA: ``ca_cert`` naming that CA works; a wrong CA and no CA fail with a clear message before anything is
sent; ``validate_certs: false`` works and warns.
"""

import json
import os
import subprocess
import sys
import urllib.parse

import pytest
import yaml

from tls_proxy import TlsProxy, make_ca


@pytest.fixture(scope='module')
def tls_cloud(localcloud, tmp_path_factory):
    """A clouds.yaml whose cloud ``tls`` reaches the local Keystone through the TLS proxy; yields (env, CA paths)."""
    tmp = tmp_path_factory.mktemp('tls')
    with open(localcloud['OS_CLIENT_CONFIG_FILE']) as handle:
        clouds = yaml.safe_load(handle)
    cloud = dict(clouds['clouds'][localcloud['OS_CLOUD']])
    auth = dict(cloud['auth'])
    url = urllib.parse.urlsplit(auth['auth_url'])
    good, wrong = make_ca(tmp, 'good'), make_ca(tmp, 'wrong')
    with TlsProxy((url.hostname, url.port), good['cert'], good['key']) as proxy:
        auth['auth_url'] = urllib.parse.urlunsplit(('https', '127.0.0.1:%d' % proxy.port, url.path, '', ''))
        cloud['auth'] = auth
        cloud.pop('cacert', None)
        cloud.pop('verify', None)
        config = tmp / 'clouds.yaml'
        config.write_text(yaml.safe_dump({'clouds': {'tls': cloud}}))
        config.chmod(0o600)
        yield dict(OS_CLIENT_CONFIG_FILE=str(config)), dict(good=good['ca'], wrong=wrong['ca']), proxy


def run_module(ansible_env, extra_env, args, tmp_path):
    """One ad-hoc task of stack_info on localhost; returns (its result dict, what ansible printed).

    The result comes from the ``tree`` callback; warnings are read from the output (ansible-core 2.19 keeps
    them out of the result callbacks get).
    """
    tree = tmp_path / 'tree'
    env = dict(ansible_env, ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_CALLBACKS_ENABLED='ansible.builtin.tree',
               ANSIBLE_CALLBACK_TREE_DIR=str(tree), ANSIBLE_PYTHON_INTERPRETER=sys.executable, **extra_env)
    env.pop('OS_CLOUD', None)
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
           '-m', 'cloudrise.openstack.stack_info', '-a', json.dumps(dict(args, cloud='tls'))]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    try:
        result = json.loads((tree / 'localhost').read_text())
    except (OSError, ValueError):
        pytest.fail('no result (exit %d):\n%s' % (proc.returncode, output[-3000:]))
    result['rc'] = proc.returncode  # the tree result carries no 'failed': the exit code says it
    return result, output


def test_ca_cert_of_the_cloud_works(ansible_env, tls_cloud, tmp_path):
    env, cas, dummy = tls_cloud
    result, output = run_module(ansible_env, env, {'ca_cert': cas['good']}, tmp_path)
    assert result['rc'] == 0, result.get('msg')
    assert isinstance(result['stacks'], list)
    assert 'validate_certs' not in output


@pytest.mark.parametrize('ca', ['wrong', None])
def test_an_untrusted_certificate_fails_clearly(ansible_env, tls_cloud, ca, tmp_path):
    env, cas, proxy = tls_cloud
    before = len(proxy.handshake_errors)
    result, dummy = run_module(ansible_env, env, {'ca_cert': cas[ca]} if ca else {}, tmp_path)
    assert result['rc'] != 0, result
    assert result['msg'] == ('The TLS certificate of https://127.0.0.1:%d is not trusted (certificate verify failed: '
                             'self-signed certificate in certificate chain). Set ca_cert (or cacert in clouds.yaml) to '
                             'the CA that signed it.' % proxy.port)
    assert len(proxy.handshake_errors) > before, 'the client should have hung up in the TLS handshake'


def test_validate_certs_false_works_and_warns(ansible_env, tls_cloud, tmp_path):
    env, dummy, dummy = tls_cloud
    result, output = run_module(ansible_env, env, {'validate_certs': False}, tmp_path)
    assert result['rc'] == 0, result.get('msg')
    assert 'validate_certs is false' in output
