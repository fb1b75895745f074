#!/usr/bin/env python
"""Make a profile from a spec file exactly as ``openstack cluster profile create --spec-file`` does
(python-senlinclient: utils.get_spec_content, CreateProfile.take_action and utils.process_stack_spec, with
openstacksdk's template_utils, the copy of heatclient's the CLI uses), run from the spec file's directory.

usage: cli_profile.py <cloud> <name> <spec_file>   (prints {"id": ..., "spec": <the spec sent>} as JSON)
"""
import json
import os
import sys

import openstack
import yaml
from openstack.orchestration.util import template_utils

cloud, name, spec_file = sys.argv[1:4]
os.chdir(os.path.dirname(os.path.abspath(spec_file)))
with open(os.path.basename(spec_file)) as handle:
    spec = yaml.safe_load(handle)
if spec['type'] == 'os.heat.stack':
    props = spec['properties']
    tpl_files, template = template_utils.get_template_contents(template_file=props.get('template'))
    env_files, env = template_utils.process_multiple_environments_and_files(env_paths=props.get('environment'))
    spec['properties'] = {
        'disable_rollback': props.get('disable_rollback', True),
        'context': props.get('context', {}),
        'parameters': props.get('parameters', {}),
        'timeout': props.get('timeout', 60),
        'template': template,
        'files': dict(list(tpl_files.items()) + list(env_files.items())),
        'environment': env,
    }
conn = openstack.connect(cloud=cloud, clustering_default_microversion='1.12')
profile = conn.clustering.create_profile(name=name, spec=spec)
print(json.dumps({'id': profile.id, 'spec': spec}))
