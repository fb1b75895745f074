# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health of a cluster's nodes: which nodes are broken (``assess_nodes``), which Heat stacks failed
node creates left behind, how a failure is described, and the repair (``converge_health``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.stack import is_failed_status, is_in_progress
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import ResourceFailed

NODE_BUSY = ('CREATING', 'UPDATING', 'DELETING', 'RECOVERING', 'OPERATING')
HEAT_PROFILE = 'os.heat.stack'


class NodeProblem(object):
    """A node that is not healthy: Senlin's view (status, reason) and, for a Heat-stack node, its stack."""

    def __init__(self, node, why, stack=None):
        self.node = node
        self.why = why
        self.stack = stack
        self.stack_failure = None   # Heat's own reason, filled by SenlinClient.add_stack_failure

    @property
    def name(self):
        return self.node.get('name') or self.node.get('id')

    def as_dict(self):
        return dict(id=self.node.get('id'), name=self.name, status=self.node.get('status'), reason=self.why,
                    stack_id=(self.stack or {}).get('id'), stack_status=(self.stack or {}).get('stack_status'),
                    stack_reason=self.stack_failure)


def stack_tags(stack):
    tags = stack.get('tags') or []
    if isinstance(tags, str):
        tags = tags.split(',')
    return dict(tag.split('=', 1) for tag in tags if '=' in tag)


def stack_usable(stack):
    """A stack that serves its node: not failed, not deleted or being deleted."""
    status = str((stack or {}).get('stack_status') or '')
    return bool(stack) and not is_failed_status(status) and not status.startswith('DELETE')


def assess_nodes(nodes, stacks, heat_nodes=True):
    """Which nodes are broken, and which of the cluster's Heat stacks no node uses.

    ``nodes``: the cluster's nodes (Senlin dicts); ``stacks``: the Heat stacks tagged with the cluster (or
    node), as Heat lists them; ``heat_nodes``: the nodes are os.heat.stack nodes, so a node is healthy only
    when its stack (``physical_id``) exists and is usable.
    Returns ``([NodeProblem], [orphan stack])``. Nodes in a transitional status are neither.
    """
    by_id = dict((s.get('id'), s) for s in stacks)
    by_node = {}
    for stack in sorted(stacks, key=lambda s: s.get('creation_time') or ''):
        node_id = stack_tags(stack).get('cluster_node_id')
        if node_id:
            by_node[node_id] = stack   # the newest stack made for the node
    problems = []
    for node in sorted(nodes, key=lambda n: (n.get('index') or 0, n.get('name') or '')):
        status = node.get('status')
        if status in NODE_BUSY:
            continue
        stack = by_id.get(node.get('physical_id')) if node.get('physical_id') else None
        if status != 'ACTIVE':
            problems.append(NodeProblem(node, '%s: %s' % (status, node.get('status_reason') or 'no reason given'),
                                        stack or by_node.get(node.get('id'))))
        elif heat_nodes and not stack_usable(stack):
            if stack is None:
                why = 'its Heat stack %s is gone' % node.get('physical_id') if node.get('physical_id') \
                    else 'it has no Heat stack'
            else:
                why = 'its Heat stack %s is %s' % (stack.get('stack_name'), stack.get('stack_status'))
            problems.append(NodeProblem(node, why, stack))
    used = set(n.get('physical_id') for n in nodes if n.get('physical_id'))
    busy = set(n.get('id') for n in nodes if n.get('status') in NODE_BUSY)
    orphans = [s for s in stacks if s.get('id') not in used and stack_tags(s).get('cluster_node_id') not in busy
               and not is_in_progress(s.get('stack_status'))
               and not str(s.get('stack_status') or '').startswith('DELETE')]
    return problems, sorted(orphans, key=lambda s: s.get('stack_name') or '')


def describe_problem(problem):
    """``node <name> (stack <id>): <Heat's reason>; Senlin: <reason>`` for one broken node."""
    stack = problem.stack
    where = ' (stack %s)' % stack.get('id') if stack else ''
    if problem.stack_failure:
        return 'node %s%s: %s; Senlin: %s' % (problem.name, where, problem.stack_failure, problem.why)
    return 'node %s%s: %s' % (problem.name, where, problem.why)


def is_heat_profile(profile):
    return str((profile or {}).get('type') or '').startswith(HEAT_PROFILE)


class HealthReport(object):
    """What ``converge_health`` found and did: the result keys of the cluster module."""

    def __init__(self):
        self.repaired = []   # NodeProblem: nodes recreated (or, in check mode, to be recreated)
        self.removed = []    # stacks deleted (or to be deleted)
        self.kept = []       # stacks left behind on purpose (keep_failed)

    def result(self):
        def stack(s):
            return dict(id=s.get('id'), name=s.get('stack_name'), status=s.get('stack_status'),
                        reason=s.get('stack_status_reason'))
        return dict(repaired_nodes=[p.as_dict() for p in self.repaired],
                    removed_stacks=[stack(s) for s in self.removed], failed_stacks=[stack(s) for s in self.kept])


def converge_health(client, cluster, diff, heat_nodes, check_mode=False, repair=True, keep_failed=False,
                    failure=None):
    """Make ``state: present`` true: every node of the cluster ACTIVE (and, for os.heat.stack nodes, backed
    by a usable Heat stack), and no stack of a failed node create left behind.

    Broken nodes are recreated with Senlin's node recover (``operation: RECREATE``): on Senlin 16 with real
    Heat it deletes the node's stack (if any) and creates a new one, also for a node that never got a stack
    or whose stack was deleted out of band (a cluster ``recover`` skips nodes Senlin still thinks ACTIVE, and
    ``replace_nodes`` cannot move os.heat.stack nodes between clusters). All recovers run at once.
    ``failure``: the ResourceFailed of this task's own cluster action, reported if the repair fails too.
    Raises ResourceFailed, naming each node with Senlin's and Heat's reasons, when a node stays broken.
    Returns a HealthReport.
    """
    report = HealthReport()
    problems, orphans = client.cluster_health(cluster, heat_nodes)
    if problems and not repair:
        _raise_unhealthy(client, cluster, problems, 'has broken nodes (repair=false)', failure)
    if problems:
        report.repaired = problems
        diff.add('nodes', dict((p.name, p.why) for p in problems), dict((p.name, 'ACTIVE (recreated)') for p in problems))
        if check_mode:
            # the recover deletes each node's own stack; the others it had become orphans
            physical = set(p.node.get('physical_id') for p in problems)
            orphans = orphans + [p.stack for p in problems if p.stack and p.stack.get('id') not in physical
                                 and p.stack not in orphans]
        elif not client.wait:
            _start_recovers(client, problems)
            return report
        else:
            orphans = _recreate_nodes(client, cluster, heat_nodes, problems, keep_failed, failure)
    if orphans and keep_failed:
        report.kept = orphans
    elif orphans:
        report.removed = orphans
        diff.add('failed_stacks', sorted(s.get('stack_name') for s in orphans), [])
        if not check_mode:
            client.delete_stacks(orphans)
    return report


def _start_recovers(client, problems):
    return [client.start('POST', '/nodes/%s/actions' % p.node['id'], {'recover': {'operation': 'RECREATE'}},
                         'NODE_RECOVER', p.node['id'])[1] for p in problems]


def _recreate_nodes(client, cluster, heat_nodes, problems, keep_failed, failure):
    """Recover (RECREATE) every broken node at once and wait; returns the orphan stacks afterwards, or raises
    when a node is still broken (after deleting the orphans unless ``keep_failed``)."""
    for problem in problems:   # describe them now: their failed stacks are deleted afterwards
        client.add_stack_failure(problem)
    for record in _start_recovers(client, problems):
        if record:
            try:
                client.wait_record(record)
            except ResourceFailed:
                pass  # the nodes are looked at again below
    still, orphans = client.cluster_health(cluster, heat_nodes)
    if still:
        for problem in still:
            client.add_stack_failure(problem)
        if orphans and not keep_failed:
            client.delete_stacks(orphans)
        _raise_unhealthy(client, cluster, still, 'could not be made healthy: the recreated nodes failed', failure,
                         before=problems)
    return orphans


def _raise_unhealthy(client, cluster, problems, what, failure=None, before=None):
    msg = "Cluster '%s' %s: %s" % (cluster.get('name'), what, '; '.join(describe_problem(p) for p in problems))
    if failure is not None:   # its message already names the nodes as they were before the repair
        msg = '%s. %s' % (failure.msg, msg)
    elif before:
        msg += '. Before the repair: %s' % '; '.join(describe_problem(p) for p in before)
    raise ResourceFailed(msg, cluster=cluster.get('id'), failed_nodes=[p.as_dict() for p in problems],
                         actions=client.actions)
