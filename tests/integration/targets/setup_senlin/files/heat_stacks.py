#!/usr/bin/env python
"""Print, as JSON, the live Heat stacks Senlin made for a cluster or node (tags cluster_id=/cluster_node_id=).

usage: heat_stacks.py <cloud> <cluster-or-node-id>...   (stacks in DELETE_COMPLETE are not counted)
"""
import json
import sys

import openstack

conn = openstack.connect(cloud=sys.argv[1])
wanted = set(sys.argv[2:])
found = []
for stack in conn.orchestration.stacks():
    tags = stack.tags or []
    if isinstance(tags, str):
        tags = tags.split(',')
    ids = set(tag.split('=', 1)[1] for tag in tags if tag.startswith(('cluster_id=', 'cluster_node_id=')))
    if ids & wanted and stack.status != 'DELETE_COMPLETE':
        found.append(dict(id=stack.id, name=stack.name, status=stack.status))
print(json.dumps(found))
