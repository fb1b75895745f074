#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plain-openstacksdk floor of the benchmark: one process making the fewest calls a step needs.

    sdk_floor.py create|noop|update|delete NAME [--template PATH] [--word W] [--cloud C]
    sdk_floor.py list [--cloud C]

create   create the stack, poll it every 0.05 s until CREATE_COMPLETE
noop     the reads that tell nothing changed: the stack (by name), its template and its environment
update   find the stack, update its parameter, poll every 0.05 s until UPDATE_COMPLETE
delete   find the stack, delete it, poll every 0.05 s until it is gone
list     list the project's stacks (one GET per page)

Like a module, it is a new Python process that imports openstacksdk and authenticates; unlike a module it
checks nothing and reports nothing (it exits 1 on a failed status).
"""

import argparse
import json
import sys

import openstack
import yaml

POLL = 0.05


def load(path):
    # as JSON types (heat_template_version is a date to YAML)
    with open(path) as handle:
        return json.loads(json.dumps(yaml.safe_load(handle), default=str))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('step', choices=['create', 'noop', 'update', 'delete', 'list'])
    parser.add_argument('name', nargs='?')
    parser.add_argument('--template')
    parser.add_argument('--word', default='one')
    parser.add_argument('--cloud')
    args = parser.parse_args()
    heat = openstack.connect(cloud=args.cloud).orchestration
    if args.step == 'list':
        print(len(list(heat.stacks())))
        return 0
    if args.step == 'create':
        stack = heat.create_stack(name=args.name, template=load(args.template), parameters={'word': args.word})
        heat.wait_for_status(stack, 'CREATE_COMPLETE', failures=['CREATE_FAILED'], interval=POLL, wait=300)
        return 0
    stack = heat.find_stack(args.name, ignore_missing=False)
    if args.step == 'noop':
        heat.get_stack_template(stack)
        heat.get_stack_environment(stack)
    elif args.step == 'update':
        heat.update_stack(stack, template=load(args.template), parameters={'word': args.word})
        heat.wait_for_status(stack, 'UPDATE_COMPLETE', failures=['UPDATE_FAILED'], interval=POLL, wait=300)
    else:
        heat.delete_stack(stack)
        heat.wait_for_delete(stack, interval=POLL, wait=300)
    return 0


if __name__ == '__main__':
    sys.exit(main())
