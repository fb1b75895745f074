#!/usr/bin/env python
"""Take a snapshot of a stack through Heat's API and wait until Heat has taken it (the stack back in
SNAPSHOT_COMPLETE): the stack_info target lists it. Prints the snapshot as Heat shows it, without its data.

usage: heat_snapshot.py --cloud C --stack NAME --name SNAPSHOT [--timeout SECONDS]
"""
import argparse
import json
import sys
import time

import openstack


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cloud', required=True)
    parser.add_argument('--stack', required=True)
    parser.add_argument('--name', required=True)
    parser.add_argument('--timeout', type=float, default=120.0)
    args = parser.parse_args()
    heat = openstack.connect(cloud=args.cloud).orchestration
    stack = heat.get('/stacks', params={'name': args.stack}).json()['stacks'][0]
    url = '/stacks/%s/%s/snapshots' % (stack['stack_name'], stack['id'])
    answer = heat.post(url, json={'name': args.name})
    if answer.status_code != 200:
        sys.exit('POST %s: %d %s' % (url, answer.status_code, answer.text))
    snapshot_id = answer.json()['id']
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        snapshot = heat.get('%s/%s' % (url, snapshot_id)).json()['snapshot']
        if snapshot['status'] in ('COMPLETE', 'FAILED'):
            snapshot.pop('data', None)
            print(json.dumps(snapshot))
            return 0 if snapshot['status'] == 'COMPLETE' else 1
        time.sleep(0.2)
    sys.exit('snapshot %s not taken within %ss' % (args.name, args.timeout))


if __name__ == '__main__':
    sys.exit(main())
