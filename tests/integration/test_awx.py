"""The shipped playbooks as AWX job templates: run through ansible-runner (awx_jobs.py) with AWX's private data dir,
the local cloud reached only through an AWX OpenStack credential (a clouds.yaml whose one cloud is ``devstack``,
``OS_CLIENT_CONFIG_FILE`` alone in the job's environment), extra vars as a job template gives them.

- (the workflow of provision, inventory update, configure and teardown jobs runs on the demo's environment, in
  test_playbooks.py);
- provision.yml without the image extra vars fails at once, naming them;
- a stray ``OS_AUTH_URL`` in the job's environment: the task warns that openstacksdk uses it instead of the
  credential's clouds.yaml (and fails, as that partial ``envvars`` cloud cannot authenticate).
Job directories and artifacts: tests/output/integration/awx/.
"""

PREFIX = 'awx-job'  # the demo_prefix of these jobs: nothing of the demo's (cloudrise-demo) starts with it


def test_provision_without_the_image_vars_fails_at_once_naming_them(awx_job):
    result = awx_job('no-image', 'provision.yml', extravars={'demo_prefix': PREFIX}).run()
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


def test_a_stray_os_auth_url_beside_the_credential_is_named(awx_job):
    # (the workflow's jobs, without it, have no warning)
    result = awx_job('stray', 'stack_info.yml', envvars={'OS_AUTH_URL': 'http://127.0.0.1:9/v3'},
                     project_files={'stack_info.yml': STACK_INFO}).run()
    # the envvars cloud (an auth_url only) cannot authenticate: the job fails, and says why
    assert result.status == 'failed', result.describe()
    warnings = [w for w in result.warnings() if 'openstacksdk uses its' in w]
    assert len(warnings) == 1 and 'from the environment variable(s) OS_AUTH_URL, and not the clouds in' in warnings[0], (
        result.warnings())
    assert '127.0.0.1:9' not in warnings[0]
