"""The shipped playbooks as AWX job templates: run through ansible-runner (awx_jobs.py) with AWX's private data dir,
the local cloud reached only through an AWX OpenStack credential (a clouds.yaml whose one cloud is ``devstack``,
``OS_CLIENT_CONFIG_FILE`` alone in the job's environment), extra vars as a job template gives them.

- a workflow: provision.yml (no cloud named: openstacksdk takes the credential's only cloud), then teardown.yml
  (``provision_cloud: devstack``) on its always edge; each job ``successful`` with rc 0 and the recap of its
  ``playbook_on_stats`` event as expected, and nothing left with the run's prefix afterwards;
- provision.yml without the image extra vars fails at once, naming them;
- a stray ``OS_AUTH_URL`` in the job's environment: the task warns that openstacksdk uses it instead of the
  credential's clouds.yaml (and fails, as that partial ``envvars`` cloud cannot authenticate).
Job directories and artifacts: tests/output/integration/awx/.
"""

import pathlib

import openstack
import pytest
from awx_jobs import Job, devstack_clouds_yaml, run_workflow
from test_playbooks import leftovers

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / 'tests' / 'output' / 'integration' / 'awx'
PREFIX = 'awx-job'  # the demo_prefix of these jobs: nothing of the demo's (cloudrise-demo) starts with it


@pytest.fixture(scope='module')
def credential(localcloud):
    return devstack_clouds_yaml(localcloud['OS_CLIENT_CONFIG_FILE'], localcloud['OS_CLOUD'])


@pytest.fixture()
def job(credential, collections_path):
    def make(name, playbook, **kwargs):
        kwargs.setdefault('credential', credential)
        return Job(BASE, name, playbook, collections_path=collections_path, **kwargs)
    return make


def test_provision_then_teardown_as_an_awx_workflow(job, localcloud):
    extravars = {'demo_prefix': PREFIX, 'demo_image_url': localcloud['LOCALCLOUD_IMAGE_URL'],
                 'demo_image_checksum': localcloud['LOCALCLOUD_IMAGE_CHECKSUM']}
    provision = job('provision', 'provision.yml', extravars=extravars)
    # provision leaves the cloud to openstacksdk (the credential's only cloud); teardown names it, as a job template
    # may: both ways reach the devstack cloud
    teardown = job('teardown', 'teardown.yml', extravars={'demo_prefix': PREFIX, 'provision_cloud': 'devstack'})
    assert set(provision.envvars) == {'OS_CLIENT_CONFIG_FILE', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_NOCOLOR'}

    # the inventory update (the cloudrise.openstack.openstack plugin as a source) goes after provision here
    results = run_workflow([provision.run], always=[teardown.run])
    for result in results:
        print('%s: %s, rc %s in %.1f s, recap %s' % (result.name, result.status, result.rc, result.seconds, result.recap()))
    made, removed = results

    assert made.status == 'successful' and made.rc == 0, made.describe()
    recap = made.recap()
    bare_metal = sorted(h for h in recap if h.startswith(PREFIX))
    nodes = sorted(h for h in recap if h.startswith('node-'))
    assert bare_metal == ['%s-bm-0' % PREFIX, '%s-bm-1' % PREFIX] and len(nodes) == 2, made.describe()
    assert recap['localhost']['changed'] > 0 and not any(r['failures'] or r['dark'] for r in recap.values()), recap
    assert made.warnings() == [], made.warnings()
    summary = [e for e in made.events_of('runner_on_ok') if e['event_data'].get('task') == 'Summary of the environment']
    assert summary and 'on cloud openstacksdk\'s default' in summary[0]['event_data']['res']['msg'][0], summary

    assert removed.status == 'successful' and removed.rc == 0, removed.describe()
    assert list(removed.recap()) == ['localhost'] and removed.recap()['localhost']['changed'] > 0, removed.recap()
    conn = openstack.connect(cloud=localcloud['OS_CLOUD'], clustering_default_microversion='1.12')
    try:
        left = leftovers(conn, prefix=PREFIX)
    finally:
        conn.close()
    assert not any(left.values()), 'the teardown job left resources behind: %s' % left


def test_provision_without_the_image_vars_fails_at_once_naming_them(job):
    result = job('no-image', 'provision.yml', extravars={'demo_prefix': PREFIX}).run()
    assert result.status == 'failed' and result.rc == 2, result.describe()
    assert result.recap() == {'localhost': {'ok': 0, 'changed': 0, 'failures': 1, 'dark': 0}}, result.recap()
    assert [m.split(':')[0] for m in result.failed_messages()] == ['Set the extra var(s) demo_image_url'], result.failed_messages()
    # nothing reached the cloud: the check is the play's first task
    assert [e['event_data']['task'] for e in result.events_of('runner_on_failed')] == ['Check that the required extra vars are set']


STACK_INFO = '''- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Read the stacks
      cloudrise.openstack.stack_info:
        name: %s-none
''' % PREFIX


def test_a_stray_os_auth_url_beside_the_credential_is_named(job):
    # (the workflow's jobs, without it, have no warning)
    result = job('stray', 'stack_info.yml', envvars={'OS_AUTH_URL': 'http://127.0.0.1:9/v3'},
                 project_files={'stack_info.yml': STACK_INFO}).run()
    # the envvars cloud (an auth_url only) cannot authenticate: the job fails, and says why
    assert result.status == 'failed', result.describe()
    warnings = [w for w in result.warnings() if 'openstacksdk uses its' in w]
    assert len(warnings) == 1 and 'from the environment variable(s) OS_AUTH_URL, and not the clouds in' in warnings[0], (
        result.warnings())
    assert '127.0.0.1:9' not in warnings[0]
