#!/usr/bin/env python
"""Signal a Heat software deployment as the agent on its server would: wait until the server's deployment of a
config is IN_PROGRESS, then PUT its status, status_reason and output_values to /software_deployments/<id>.

In the local cloud no agent runs (no Nova, no os-collect-config). A deployment made through the API (no stack)
has no stack-domain user: the agent of such a server holds credentials of a member of the deployment's project,
which is what Heat's policy asks for the PUT (software_deployments:update is project member); run this with
such a cloud (localcloud-demo: member only, no admin role). It finds its deployment as an agent does, by
listing its server's deployments, and reports what Heat answered (JSON on stdout).

usage: deployment_agent.py --cloud C --server S --config NAME --status COMPLETE|FAILED
                           [--reason R] [--outputs JSON] [--delay SECONDS] [--timeout SECONDS]
"""
import argparse
import json
import sys
import time

import openstack


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cloud', required=True)
    parser.add_argument('--server', required=True)
    parser.add_argument('--config', required=True, help='the name of the deployed config')
    parser.add_argument('--status', required=True, choices=['COMPLETE', 'FAILED'])
    parser.add_argument('--reason', default='Outputs received')
    parser.add_argument('--outputs', default='{}', help='output_values, as JSON')
    parser.add_argument('--delay', type=float, default=2.0,
                        help='seconds between seeing the deployment IN_PROGRESS and signalling (the module waits)')
    parser.add_argument('--timeout', type=float, default=120.0)
    args = parser.parse_args()
    heat = openstack.connect(cloud=args.cloud).orchestration
    end = time.monotonic() + args.timeout
    while True:
        configs = heat.get('/software_configs', params={'limit': 1000}).json()['software_configs']
        config_ids = set(c['id'] for c in configs if c['name'] == args.config)
        deployments = [d for d in heat.get('/software_deployments', params={'server_id': args.server}).json()[
            'software_deployments'] if d['config_id'] in config_ids and d['status'] == 'IN_PROGRESS']
        if deployments:
            break
        if time.monotonic() > end:
            sys.exit('no deployment of %s on %s went IN_PROGRESS within %ss' % (args.config, args.server, args.timeout))
        time.sleep(0.2)
    if len(deployments) > 1:
        sys.exit('more than one deployment of %s on %s: %s' % (args.config, args.server, deployments))
    seen = deployments[0]
    time.sleep(args.delay)
    answer = heat.put('/software_deployments/%s' % seen['id'], json={
        'status': args.status, 'status_reason': args.reason, 'output_values': json.loads(args.outputs)})
    if answer.status_code != 200:
        sys.exit('PUT /software_deployments/%s: %s %s' % (seen['id'], answer.status_code, answer.text))
    print(json.dumps({'seen': seen, 'signalled': answer.json()['software_deployment']}))


if __name__ == '__main__':
    main()
