#!/usr/bin/env python3
"""stack_info benchmark: how many requests listing N stacks costs (a count, not a timing test).

Run against the local cloud:

    eval "$(tools/localcloud/localcloud env)"
    .venv/bin/python benchmarks/stack_info_bench.py [--stacks 300] [--workers 6] [--json out.json]

Creates N stacks from a trivial template (no resources) in parallel, all tagged with one run-unique tag, then
lists them and counts the HTTP requests by method and service, from the SDK's debug log (keystoneauth's
``REQ: curl -g -i -X <METHOD> <URL>`` lines, plus one per redirect followed, a ``RESP: [3xx]`` line):

  * ``cloudrise.openstack.stack_info`` (``ansible -m``, ``sdk_log_path``) with ``outputs: false``: one GET per
    page of 100 stacks, O(pages);
  * the same with ``outputs: true`` (the default, as openstack.cloud resolves outputs): pages + one GET per stack;
  * openstack.cloud.stack_info's calls replayed with the same openstacksdk (``orchestration.stacks(**filters)``,
    then ``orchestration.get_stack(id)`` per stack, as its module does; with a tag filter it does not offer):
    its GET by bare id is answered with a 302 to the canonical URL, so two requests per stack.

Then deletes the stacks (also when interrupted). Heat's default quota is 512 stacks per project
(``max_stacks_per_tenant``): keep N below it minus what the project already has.
"""

import argparse
import collections
import concurrent.futures
import json
import logging
import os
import re
import sys
import tempfile
import time
import uuid

import openstack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heat_bench import link_collection, run_ansible  # noqa: E402

TEMPLATE = {'heat_template_version': '2018-08-31', 'description': 'stack_info benchmark: no resources'}
LINE_RE = re.compile(r'REQ: curl -g -i -X ([A-Z]+) (\S+)|RESP: \[(\d+)\]')


def count(lines):
    """{'heat GET': n, 'keystone POST': n, ...}: HTTP requests from keystoneauth's debug lines, one per
    ``REQ: curl`` line and one more per redirect it followed (a ``RESP: [3xx]`` line)."""
    counts = collections.Counter()
    last = None
    for method, url, status in LINE_RE.findall(lines):
        if method:
            service = 'keystone' if ':5000' in url else 'heat' if ':8004' in url else url.split('/')[2]
            last = '%s %s' % (service, method)
            counts[last] += 1
        elif status.startswith('3') and last:
            counts[last] += 1
    return dict(sorted(counts.items()))


class Recorder(logging.Handler):
    """Collects keystoneauth's request lines of this process."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def create_all(conn, prefix, tag, n, workers):
    def create(i):
        body = {'stack_name': '%s-%03d' % (prefix, i), 'template': TEMPLATE, 'tags': tag, 'timeout_mins': 10}
        answer = conn.orchestration.post('/stacks', json=body)
        if answer.status_code != 201:
            raise RuntimeError('create %s: %d %s' % (body['stack_name'], answer.status_code, answer.text[:300]))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(create, range(n)))


def listed(conn, tag):
    stacks, marker = [], None
    while True:
        params = {'tags': tag, 'limit': 100}
        if marker:
            params['marker'] = marker
        page = conn.orchestration.get('/stacks', params=params).json()['stacks']
        stacks.extend(page)
        if len(page) < 100:
            return stacks
        marker = page[-1]['id']


def wait_complete(conn, tag, n, timeout=900):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        statuses = collections.Counter(s['stack_status'] for s in listed(conn, tag))
        if statuses.get('CREATE_COMPLETE', 0) == n:
            return
        if any(status.endswith('FAILED') for status in statuses):
            raise RuntimeError('stacks failed: %s' % dict(statuses))
        time.sleep(1)
    raise RuntimeError('not all %d stacks CREATE_COMPLETE within %ss' % (n, timeout))


def delete_all(conn, tag, workers, timeout=900):
    def delete(stack):
        conn.orchestration.delete('/stacks/%s/%s' % (stack['stack_name'], stack['id']))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        stacks = [s for s in listed(conn, tag) if s['stack_status'] != 'DELETE_IN_PROGRESS']
        if not stacks and not listed(conn, tag):
            return
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(delete, stacks))
        time.sleep(1)
    raise RuntimeError('stacks tagged %s still there after %ss' % (tag, timeout))


def module_counts(workdir, label, args):
    log = os.path.join(workdir, '%s.log' % label)
    seconds, result = run_ansible('cloudrise.openstack.stack_info', dict(args, sdk_log_path=log,
                                                                          sdk_log_level='DEBUG'))
    assert not result.get('failed'), result
    with open(log) as handle:
        return seconds, len(result['stacks']), count(handle.read())


def openstack_cloud_counts(conn, tag):
    """openstack.cloud.stack_info's run(): list with the filters, then get_stack(id) for each stack (with a tag
    filter, which openstack.cloud.stack_info does not offer: it would list every stack of the cloud)."""
    recorder = Recorder()
    logger = logging.getLogger('keystoneauth.session')
    logger.addHandler(recorder)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    start = time.monotonic()
    try:
        stacks = [conn.orchestration.get_stack(s.id).to_dict(computed=False)
                  for s in conn.orchestration.stacks(tags=[tag])]
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(old_level)
    return time.monotonic() - start, len(stacks), count('\n'.join(recorder.lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--stacks', type=int, default=300)
    parser.add_argument('--workers', type=int, default=6, help='parallel creates and deletes')
    parser.add_argument('--json', help='also write the figures to this file')
    opts = parser.parse_args()
    link_collection()
    conn = openstack.connect()
    run_id = uuid.uuid4().hex[:8]
    prefix, tag = 'bench-info-%s' % run_id, 'bench-info-%s' % run_id
    workdir = tempfile.mkdtemp(prefix='stack-info-bench-')
    rows = []
    try:
        start = time.monotonic()
        create_all(conn, prefix, tag, opts.stacks, opts.workers)
        wait_complete(conn, tag, opts.stacks)
        print('%d stacks created in %.1f s (%d workers)' % (opts.stacks, time.monotonic() - start, opts.workers))
        rows.append(('cloudrise stack_info, outputs: false',)
                    + module_counts(workdir, 'plain', {'tags': tag, 'outputs': False}))
        rows.append(('cloudrise stack_info, outputs: true (default)',)
                    + module_counts(workdir, 'outputs', {'tags': tag}))
        rows.append(('openstack.cloud.stack_info calls (same SDK)',) + openstack_cloud_counts(conn, tag))
    finally:
        start = time.monotonic()
        delete_all(conn, tag, opts.workers)
        print('%d stacks deleted in %.1f s' % (opts.stacks, time.monotonic() - start))
    pages = opts.stacks // 100 + 1
    width = max(len(r[0]) for r in rows)
    print('\n%-*s  %6s  %7s  %s' % (width, 'listing %d stacks' % opts.stacks, 'stacks', 'seconds', 'requests'))
    for what, seconds, found, counts in rows:
        print('%-*s  %6d  %7.2f  %s' % (width, what, found, seconds,
                                         ', '.join('%s %d' % item for item in counts.items())))
    print('\n%d stacks make %d pages of 100 (the last one short or empty)' % (opts.stacks, pages))
    figures = dict(stacks=opts.stacks, pages=pages,
                   rows=[dict(what=w, stacks=f, seconds=round(s, 3), requests=c) for w, s, f, c in rows])
    ok = rows[0][2] == opts.stacks and rows[0][3].get('heat GET') == pages
    print('O(pages) without outputs: %s' % ('yes' if ok else 'NO'))
    if opts.json:
        with open(opts.json, 'w') as handle:
            json.dump(figures, handle, indent=2)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
