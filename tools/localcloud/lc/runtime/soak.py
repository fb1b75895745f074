"""Soak the local cloud: rounds of real operations that must all succeed.

usage: python -m lc.runtime.soak clusters|stacks|allocations [-n N] [--nodes 3]
           [--parallel P] [--timeout S] [--poll S]
       (OS_CLIENT_CONFIG_FILE and OS_CLOUD from the tool, as for enroll)

clusters     N consecutive Senlin clusters of --nodes os.heat.stack nodes (microversion 1.12):
             create, wait; a round fails unless the cluster is ACTIVE with every node ACTIVE
             (each bad node's status_reason and its Heat stack's reason are printed); then
             delete, wait, and delete node stacks left in Heat (tag cluster_id=<id>).
stacks       N rounds of --parallel Heat stacks created at once, then deleted at once.
allocations  N rounds of parallel Ironic allocations (resource class baremetal) over the
             available lc-node-* nodes (--parallel caps how many), then deleted.

Every resource is named soak-<run>-...; only those are touched.  Each round prints one
line; the last line is `soak <kind>: <failures>/<N> failed ...`; the exit status is 1 when
any round failed.  Rounds are bounded by --timeout; the whole soak by N * (timeout + 60 s).
The pure parts (argument parsing, judging a round, the summary) import no SDK.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import statistics
import sys
import time
import uuid

PREFIX = 'soak-'
NODE_PREFIX = 'lc-node-'
CLUSTERING_MICROVERSION = '1.12'
KINDS = ('clusters', 'stacks', 'allocations')
DEFAULTS = {  # kind: (rounds, parallel, round timeout in s)
    'clusters': (10, 1, 180.0),
    'stacks': (1, 20, 300.0),
    'allocations': (2, 4, 120.0),
}
TEMPLATE = {
    'heat_template_version': '2016-10-14',
    'resources': {'secret': {'type': 'OS::Heat::RandomString', 'properties': {'length': 8}}},
    'outputs': {'value': {'value': {'get_attr': ['secret', 'value']}}},
}
STACK_DONE = ('CREATE_COMPLETE', 'CREATE_FAILED')
CLUSTER_DONE = ('ACTIVE', 'ERROR', 'WARNING', 'CRITICAL')
ALLOCATION_DONE = ('active', 'error')


class SoakError(Exception):
    """A round failed; the message says why."""


@dataclasses.dataclass
class Round:
    index: int
    ok: bool
    seconds: float
    detail: str = ''


# -- pure parts ----------------------------------------------------------------------

def parse_args(argv) -> argparse.Namespace:
    top = argparse.ArgumentParser(prog='localcloud soak', description=__doc__.split('\n')[0])
    top.add_argument('kind', choices=KINDS)
    top.add_argument('-n', '--rounds', type=int, help='rounds (default: clusters 10, '
                     'stacks 1, allocations 2)')
    top.add_argument('--nodes', type=int, default=3, help='nodes per cluster (clusters)')
    top.add_argument('--parallel', type=int, help='stacks or allocations at once (default: '
                     'stacks 20, allocations 4 = every available node)')
    top.add_argument('--timeout', type=float, help='seconds per round (default: clusters 180, '
                     'stacks 300, allocations 120)')
    top.add_argument('--poll', type=float, default=0.3, help='seconds between status polls')
    args = top.parse_args(argv)
    rounds, parallel, timeout = DEFAULTS[args.kind]
    args.rounds = rounds if args.rounds is None else args.rounds
    args.parallel = parallel if args.parallel is None else args.parallel
    args.timeout = timeout if args.timeout is None else args.timeout
    for name in ('rounds', 'parallel', 'nodes'):
        if getattr(args, name) < 1:
            top.error(f'--{name} must be >= 1')
    if args.timeout <= 0 or args.poll <= 0:
        top.error('--timeout and --poll must be > 0')
    return args


def cluster_problems(cluster: dict, nodes: list[dict], want: int,
                     stack_reasons: dict | None = None) -> list[str]:
    """Why a finished cluster is not the wanted one ([] when ACTIVE with `want` ACTIVE
    nodes).  cluster: {status, status_reason}; nodes: [{name, status, status_reason,
    physical_id}]; stack_reasons: {physical_id: 'STATUS: reason'} of the bad nodes."""
    stack_reasons = stack_reasons or {}
    problems = []
    if cluster['status'] != 'ACTIVE':
        problems.append(f'cluster {cluster["status"]}: {cluster.get("status_reason") or "-"}')
    if len(nodes) != want:
        problems.append(f'{len(nodes)} nodes instead of {want}')
    for node in nodes:
        if node['status'] == 'ACTIVE':
            continue
        where = stack_reasons.get(node.get('physical_id'), 'no stack')
        problems.append(f'node {node["name"]} {node["status"]}: '
                        f'{node.get("status_reason") or "-"}; Heat stack {where}')
    return problems


def stack_problems(stacks: list[dict], want: int) -> list[str]:
    """stacks: [{name, status, status_reason}] of one round."""
    problems = [f'{len(stacks)} stacks instead of {want}'] if len(stacks) != want else []
    problems += [f'stack {s["name"]} {s["status"]}: {s.get("status_reason") or "-"}'
                 for s in stacks if s['status'] != 'CREATE_COMPLETE']
    return problems


def allocation_problems(allocations: list[dict], candidates: list[str]) -> list[str]:
    """allocations: [{name, state, last_error, node_id}]; each must be active on its own
    node among the candidates."""
    problems = []
    for alloc in allocations:
        if alloc['state'] != 'active':
            problems.append(f'allocation {alloc["name"]} {alloc["state"]}: '
                            f'{alloc.get("last_error") or "-"}')
        elif alloc.get('node_id') not in candidates:
            problems.append(f'allocation {alloc["name"]} on unexpected node {alloc["node_id"]}')
    used = [a['node_id'] for a in allocations if a['state'] == 'active']
    if len(used) != len(set(used)):
        problems.append(f'two allocations on one node: {sorted(used)}')
    return problems


def round_line(kind: str, result: Round, total: int) -> str:
    state = 'ok' if result.ok else 'FAILED'
    line = f'{kind} round {result.index}/{total}: {state} in {result.seconds:.1f} s'
    return line + (f': {result.detail}' if result.detail else '')


def summary_line(kind: str, results: list[Round], wall: float, what: str = '') -> str:
    failed = sum(1 for r in results if not r.ok)
    times = [r.seconds for r in results] or [0.0]
    return (f'soak {kind}: {failed}/{len(results)} failed{what} in {wall:.1f} s '
            f'(round min {min(times):.1f} / median {statistics.median(times):.1f} / '
            f'max {max(times):.1f} s)')


def run_rounds(kind: str, count: int, one_round, echo=print, clock=time.monotonic) -> list:
    """Run one_round(index) count times; a SoakError or any other exception fails only
    that round.  one_round returns a detail string (may be empty)."""
    results = []
    for index in range(1, count + 1):
        start = clock()
        try:
            detail, ok = one_round(index) or '', True
        except SoakError as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # noqa: BLE001 - an API error fails the round, not the soak
            detail, ok = error_text(exc), False
        result = Round(index, ok, clock() - start, detail)
        results.append(result)
        echo(round_line(kind, result, count))
    return results


def error_text(exc) -> str:
    """An exception as one line, with an SDK HttpException's server message."""
    text = f'{type(exc).__name__}: {exc}'
    details = getattr(exc, 'details', None)
    if details and str(details) not in text:
        text += f' ({details})'
    return text


def wait_until(check, timeout: float, poll: float, what: str, clock=time.monotonic,
               sleep=time.sleep):
    """check() until it returns something truthy; SoakError after timeout seconds."""
    deadline = clock() + timeout
    while True:
        result = check()
        if result:
            return result
        if clock() > deadline:
            raise SoakError(f'timed out after {timeout:.0f} s waiting for {what}')
        sleep(poll)


# -- against the cloud -------------------------------------------------------------------

class Soak:
    def __init__(self, conn, args, echo=print):
        self.conn = conn
        self.args = args
        self.echo = echo
        self.run_id = uuid.uuid4().hex[:6]
        self.prefix = f'{PREFIX}{self.run_id}-'

    def wait(self, check, what, timeout=None):
        return wait_until(check, timeout or self.args.timeout, self.args.poll, what)

    def pool(self, size):
        return concurrent.futures.ThreadPoolExecutor(max(1, min(size, 32)))

    # clusters ---------------------------------------------------------------------------
    def clusters(self) -> list:
        senlin = self.conn.clustering
        spec = {'type': 'os.heat.stack', 'version': '1.0',
                'properties': {'template': TEMPLATE, 'timeout': 2}}
        profile = senlin.create_profile(name=f'{self.prefix}profile', spec=spec)
        try:
            return run_rounds('clusters', self.args.rounds,
                              lambda i: self.cluster_round(profile.id, i), self.echo)
        finally:
            senlin.delete_profile(profile.id, ignore_missing=True)

    def cluster_round(self, profile_id, index) -> str:
        senlin = self.conn.clustering
        want = self.args.nodes
        cluster = senlin.create_cluster(name=f'{self.prefix}cluster-{index}',
                                        profile_id=profile_id, desired_capacity=want,
                                        min_size=0, max_size=want)
        try:
            cluster = self.wait(lambda: _done(senlin.get_cluster(cluster.id), CLUSTER_DONE),
                                f'cluster {cluster.name}')
            nodes = list(senlin.nodes(cluster_id=cluster.id))
            bad = [n for n in nodes if n.status != 'ACTIVE']
            reasons = {n.physical_id: self.stack_reason(n.physical_id)
                       for n in bad if n.physical_id}
            problems = cluster_problems(_fields(cluster, 'status', 'status_reason'),
                                        [_fields(n, 'name', 'status', 'status_reason',
                                                 'physical_id') for n in nodes],
                                        want, reasons)
            if not problems and len(self.live_stacks(cluster.id)) != want:
                problems.append('Heat does not list one live stack per node')
        finally:
            self.delete_cluster(cluster.id)
        if problems:
            raise SoakError('; '.join(problems))
        return ''

    def stack_reason(self, stack_id) -> str:
        stack = self.conn.orchestration.find_stack(stack_id, ignore_missing=True)
        return f'{stack.status}: {stack.status_reason}' if stack else 'not found'

    def live_stacks(self, cluster_id) -> list:
        return [s for s in self.conn.orchestration.stacks(tags=[f'cluster_id={cluster_id}'])
                if s.status != 'DELETE_COMPLETE']

    def delete_cluster(self, cluster_id) -> None:
        senlin = self.conn.clustering
        senlin.delete_cluster(cluster_id, ignore_missing=True)
        self.wait(lambda: senlin.find_cluster(cluster_id, ignore_missing=True) is None,
                  f'deletion of cluster {cluster_id}')
        # Senlin leaves the stack of a node whose create failed behind
        leftovers = self.live_stacks(cluster_id)
        for stack in leftovers:
            self.conn.orchestration.delete_stack(stack.id, ignore_missing=True)
        if leftovers:
            self.wait(lambda: not self.live_stacks(cluster_id),
                      f'deletion of the {len(leftovers)} stack(s) left by cluster {cluster_id}')

    # stacks -----------------------------------------------------------------------------
    def stacks(self) -> list:
        return run_rounds('stacks', self.args.rounds, self.stack_round, self.echo)

    def stack_round(self, index) -> str:
        heat = self.conn.orchestration
        tag = f'{self.prefix}{index}'
        names = [f'{tag}-{i}' for i in range(self.args.parallel)]
        with self.pool(len(names)) as pool:
            created = list(pool.map(lambda name: heat.create_stack(
                name=name, template=TEMPLATE, tags=tag, timeout_mins=5), names))  # tags: a string
        try:
            def finished():
                mine = [s for s in heat.stacks(tags=[tag]) if s.status != 'DELETE_COMPLETE']
                if len(mine) >= len(created) and all(s.status in STACK_DONE for s in mine):
                    return mine
                return None
            done = self.wait(finished, f'{len(names)} stack creates')
            problems = stack_problems([_fields(s, 'name', 'status', 'status_reason')
                                       for s in done], len(names))
        finally:
            self.delete_stacks(tag)
        if problems:
            raise SoakError('; '.join(problems))
        return f'{len(names)} stacks'

    def delete_stacks(self, tag) -> None:
        heat = self.conn.orchestration
        live = [s for s in heat.stacks(tags=[tag]) if s.status != 'DELETE_COMPLETE']
        with self.pool(len(live)) as pool:
            list(pool.map(lambda s: heat.delete_stack(s.id, ignore_missing=True), live))
        def gone():
            left = [s for s in heat.stacks(tags=[tag]) if s.status != 'DELETE_COMPLETE']
            failed = [s for s in left if s.status == 'DELETE_FAILED']
            if failed:
                raise SoakError(f'stack {failed[0].name} DELETE_FAILED: '
                                f'{failed[0].status_reason}')
            return not left
        self.wait(gone, f'deletion of the stacks tagged {tag}')

    # allocations ------------------------------------------------------------------------
    def allocations(self) -> list:
        return run_rounds('allocations', self.args.rounds, self.allocation_round, self.echo)

    def allocation_round(self, index) -> str:
        bm = self.conn.baremetal
        ours = [n for n in bm.nodes(details=True) if (n.name or '').startswith(NODE_PREFIX)]
        free = [n for n in ours if n.provision_state == 'available' and not n.allocation_id
                and not n.is_maintenance]
        count = min(self.args.parallel, len(ours))
        if len(free) < count:
            raise SoakError(f'only {len(free)} of the {count} lc-node-* nodes needed are '
                            'available (held by other tests, or left over)')
        candidates = [n.id for n in free]
        names = [f'{self.prefix}{index}-{i}' for i in range(count)]
        with self.pool(count) as pool:
            made = list(pool.map(lambda name: bm.create_allocation(
                name=name, resource_class='baremetal', candidate_nodes=candidates), names))
        try:
            done = self.wait(lambda: _all_done([bm.get_allocation(a.id) for a in made]),
                             f'{count} allocations')
            problems = allocation_problems(
                [_fields(a, 'name', 'state', 'last_error', 'node_id') for a in done],
                candidates)
        finally:
            self.delete_allocations([a.id for a in made], candidates)
        if problems:
            raise SoakError('; '.join(problems))
        return f'{count} allocations on {count} of {len(candidates)} nodes'

    def delete_allocations(self, ids, node_ids) -> None:
        """Delete every allocation (retrying one that fails, e.g. 409 node locked), then
        wait until their nodes are free and unlocked again."""
        from openstack import exceptions
        bm = self.conn.baremetal
        left, errors = set(ids), {}

        def deleted():
            for allocation_id in sorted(left):
                try:
                    bm.delete_allocation(allocation_id, ignore_missing=True)
                    bm.get_allocation(allocation_id, fields=['uuid'])
                except exceptions.NotFoundException:
                    left.discard(allocation_id)
                except exceptions.SDKException as exc:
                    errors[allocation_id] = error_text(exc)
            return not left
        try:
            self.wait(deleted, f'deletion of {len(ids)} allocations')
        except SoakError as exc:
            raise SoakError(f'{exc}: {len(left)} left, e.g. {list(errors.values())[:1]}') \
                from None
        self.wait(lambda: all(not n.allocation_id and not n.reservation
                              for n in bm.nodes(details=True) if n.id in node_ids),
                  'the nodes to be free and unlocked again')


def _done(resource, states):
    return resource if resource.status in states else None


def _all_done(allocations):
    return allocations if all(a.state in ALLOCATION_DONE for a in allocations) else None


def _fields(resource, *names) -> dict:
    return {name: getattr(resource, name, None) for name in names}


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import openstack   # only here: the pure parts are unit-tested without the SDK

    def echo(line):
        print(line, flush=True)

    conn = openstack.connect(clustering_api_version=CLUSTERING_MICROVERSION)
    soak = Soak(conn, args, echo)
    shape = {'clusters': f' ({args.nodes} os.heat.stack nodes each)',
             'stacks': f' ({args.parallel} parallel stacks each)',
             'allocations': f' (up to {args.parallel} parallel allocations each)'}[args.kind]
    echo(f'soak {args.kind}: {args.rounds} rounds{shape}, names {soak.prefix}*')
    start = time.monotonic()
    results = getattr(soak, args.kind)()
    echo(summary_line(args.kind, results, time.monotonic() - start))
    return 1 if any(not r.ok for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
