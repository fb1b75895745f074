# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which nodes an instance may take: capability parsing, reasons a node does not fit, the matching.

``candidate_nodes`` filters the nodes read once (capabilities, conductor group, maintenance and availability,
which the allocation API does not filter by); ``assign_nodes`` matches a whole task's new reservations to
the free nodes so a loose request never takes the only node a narrow one can use; ``reserve_candidates``
says which nodes each reservation attempt asks Ironic for.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def parse_capabilities(value):
    """Ironic node capabilities: a 'k:v,k2:v2' string or a dict -> dict of strings."""
    if not value:
        return {}
    if isinstance(value, dict):
        return dict((str(k), str(v)) for k, v in value.items())
    result = {}
    for item in str(value).split(','):
        if ':' in item:
            key, val = item.split(':', 1)
            result[key.strip()] = val.strip()
    return result


def node_label(node):
    return '%s (%s)' % (node.name, node.id) if getattr(node, 'name', None) else node.id


def unusable_reason(node, hostname=None):
    """Why ``node`` cannot take a new reservation, or None."""
    if node.is_maintenance:
        return 'is in maintenance (%s)' % (node.maintenance_reason or 'no reason given')
    if node.allocation_id or node.instance_id:
        return 'is already in use (allocation %s, instance %s)' % (node.allocation_id, node.instance_id)
    if node.provision_state != 'available':
        return "is in provision state '%s', not 'available'" % node.provision_state
    return None


def mismatch_reason(node, spec):
    """Why ``node`` does not match what ``spec`` asks for (resource class, group, traits, capabilities), or None."""
    if node.resource_class != spec['resource_class']:
        return "has resource_class '%s', not '%s'" % (node.resource_class, spec['resource_class'])
    group = spec['conductor_group']
    if group is not None and (node.conductor_group or '') != group:
        return "is in conductor_group '%s', not '%s'" % (node.conductor_group or '', group)
    missing = sorted(set(spec['traits']) - set(node.traits or []))
    if missing:
        return 'lacks traits %s' % ', '.join(missing)
    caps = parse_capabilities((node.properties or {}).get('capabilities'))
    wrong = ['%s=%s' % (k, v) for k, v in sorted(spec['capabilities'].items()) if caps.get(k) != v]
    if wrong:
        return 'lacks capabilities %s' % ', '.join(wrong)
    return None


def describe_request(spec):
    parts = ["resource_class '%s'" % spec['resource_class']]
    if spec['traits']:
        parts.append('traits %s' % ', '.join(spec['traits']))
    if spec['capabilities']:
        parts.append('capabilities %s' % ', '.join('%s=%s' % kv for kv in sorted(spec['capabilities'].items())))
    if spec['conductor_group'] is not None:
        parts.append("conductor_group '%s'" % spec['conductor_group'])
    if spec['candidates']:
        parts.append('candidates %s' % ', '.join(spec['candidates']))
    return ', '.join(parts)


def _capability_summary(nodes, spec):
    counts = {}
    for node in nodes:
        if node.resource_class != spec['resource_class']:
            continue
        caps = parse_capabilities((node.properties or {}).get('capabilities'))
        for key in spec['capabilities']:
            if key in caps:
                label = '%s=%s' % (key, caps[key])
                counts[label] = counts.get(label, 0) + 1
    return ', '.join('%s (%d node(s))' % item for item in sorted(counts.items())) or 'none'


def lookup_node(nodes, ident):
    for node in nodes:
        if ident in (node.id, node.name):
            return node
    return None


def candidate_nodes(spec, nodes):
    """(usable nodes for a new reservation of ``spec``, problem message or None)."""
    if spec['candidates']:
        usable, why = [], []
        for ident in spec['candidates']:
            node = lookup_node(nodes, ident)
            if node is None:
                why.append("unknown candidate node '%s'" % ident)
                continue
            reason = unusable_reason(node) or mismatch_reason(node, spec)
            if reason:
                why.append('candidate node %s %s' % (node_label(node), reason))
            else:
                usable.append(node)
        unknown = [w for w in why if w.startswith('unknown')]
        if unknown or not usable:
            return [], 'no usable node among the candidates: %s' % '; '.join(why)
        return usable, None
    usable = [n for n in nodes if not unusable_reason(n) and not mismatch_reason(n, spec)]
    if usable:
        return usable, None
    msg = 'no available node matches %s' % describe_request(spec)
    if spec['capabilities']:
        msg += ' (existing capabilities: %s)' % _capability_summary(nodes, spec)
    return [], msg


def assign_nodes(demands):
    """Bipartite matching of instances to nodes. ``demands``: [(hostname, [node ids])].

    Returns ``{hostname: node id}`` for every instance that gets a node of its own (as many as possible);
    an instance missing from it is left without a node.
    """
    options_of = dict(demands)
    owner = {}

    def assign(hostname, seen):
        for node_id in options_of[hostname]:     # a free node first: fewer moves of earlier instances
            if node_id not in owner:
                owner[node_id] = hostname
                return True
        for node_id in options_of[hostname]:
            if node_id in seen:
                continue
            seen.add(node_id)
            if node_id not in owner or assign(owner[node_id], seen):
                owner[node_id] = hostname
                return True
        return False

    for hostname in options_of:
        assign(hostname, set())
    return dict((hostname, node_id) for node_id, hostname in owner.items())


def reserve_candidates(job, attempt):
    """The candidate node ids of a reservation attempt (empty: leave the choice to Ironic).

    First the node the matching assigned; when another client took it, any other matching node the
    other reservations of this run do not need; last, whatever the request itself allows.
    """
    if job.assigned is None:
        return []
    if attempt == 1:
        return [job.assigned]
    if attempt == 2:
        return [n.id for n in job.candidates if n.id not in job.others and n.id != job.assigned]
    return []
