#!/usr/bin/env python
"""Create (or delete) two Senlin profiles with the same name, behind the modules' back, to test Ambiguous;
or (``orphan``) two as an interrupted create of this collection leaves them: each with a create token in its
metadata, the second made after the first (as by a create sent again after a lost answer).

usage: duplicate_profiles.py <cloud> <name> create|orphan|delete   (prints the ids as JSON; orphan: oldest first)
"""
import json
import sys
import time

import openstack

cloud, name, what = sys.argv[1:4]
conn = openstack.connect(cloud=cloud, clustering_default_microversion='1.12')
spec = {'type': 'os.heat.stack', 'version': '1.0',
        'properties': {'template': {'heat_template_version': '2016-10-14', 'resources': {}}}}
if what == 'create':
    ids = [conn.clustering.create_profile(name=name, spec=spec).id for dummy in range(2)]
elif what == 'orphan':
    ids = []
    for token in ('first-run', 'resent'):
        if ids:
            # Senlin stores created_at in whole seconds and breaks a tie by id: the resent create must be stored
            # in a later second to be the newer one (two creates within one second were ordered by chance)
            time.sleep(1.05 - time.time() % 1)
        ids.append(conn.clustering.create_profile(name=name, spec=spec,
                                                  metadata={'cloudrise_create_token': token}).id)
    print(json.dumps(ids))
    sys.exit(0)
else:
    ids = [p.id for p in conn.clustering.profiles(name=name) if p.name == name]
    for pid in ids:
        conn.clustering.delete_profile(pid)
print(json.dumps(sorted(ids)))
