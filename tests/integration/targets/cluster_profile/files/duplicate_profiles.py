#!/usr/bin/env python
"""Create (or delete) two Senlin profiles with the same name, behind the modules' back, to test Ambiguous.

usage: duplicate_profiles.py <cloud> <name> create|delete   (prints the ids as JSON)
"""
import json
import sys

import openstack

cloud, name, what = sys.argv[1:4]
conn = openstack.connect(cloud=cloud, clustering_default_microversion='1.12')
spec = {'type': 'os.heat.stack', 'version': '1.0',
        'properties': {'template': {'heat_template_version': '2016-10-14', 'resources': {}}}}
if what == 'create':
    ids = [conn.clustering.create_profile(name=name, spec=spec).id for dummy in range(2)]
else:
    ids = [p.id for p in conn.clustering.profiles(name=name) if p.name == name]
    for pid in ids:
        conn.clustering.delete_profile(pid)
print(json.dumps(sorted(ids)))
