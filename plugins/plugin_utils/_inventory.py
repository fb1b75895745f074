# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosts of the inventory plugin ``cloudrise.openstack.openstack``, read from the cloud as plain data.

``read_hosts(conn, config)`` returns ``[{'name', 'groups', 'vars'}]`` (JSON-serialisable: this is what the
inventory cache holds), from three sources, each built on the module_utils the modules use:

  baremetal     -- bare-metal instances by hostname (``_baremetal.plan.list_instances``), group ``baremetal``
  clusters      -- Senlin cluster nodes, groups ``cluster_nodes`` and ``cluster_<name>``, with the node stacks'
                   outputs from one cluster collect per cluster (``_senlin.info.node_outputs``)
  stack_outputs -- hosts listed in an output of Heat stacks (``_heat.api.HeatApi``), groups ``stack_hosts`` and
                   ``stack_<name>``

The host variables of the first two are those ``playbooks/provision.yml`` gives with ``add_host``
(``openstack_node_id``, ``openstack_node_name``, ``openstack_provision_state``, ``openstack_cluster``, ...).

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.api import BaremetalApi
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.plan import list_instances, node_field
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat.api import HeatApi
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import SenlinClient
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.info import list_clusters, node_outputs

BAREMETAL_GROUP = 'baremetal'
CLUSTER_GROUP = 'cluster_nodes'
STACK_GROUP = 'stack_hosts'
SERVICES = {'baremetal': 'baremetal', 'clusters': 'clustering', 'stack_outputs': 'orchestration'}
HOST_NAME_KEYS = ('name', 'hostname', 'inventory_hostname')


def group_name(prefix, name):
    """``<prefix>_<name>`` with every character Ansible does not take in a group name made ``_``."""
    return '%s_%s' % (prefix, re.sub(r'[^A-Za-z0-9_]', '_', name or ''))


def _present(value):
    return value is not None and value != '' and value != [] and value != {}


def ansible_host_of(view, node, sources):
    """The first value the ``sources`` give for an instance: ``ip_addresses`` (the first address, networks in
    name order), ``ip_addresses.<network>``, ``hostname``, or a node field (``extra.<key>``, ``name``, ...)."""
    addresses = view.get('ip_addresses') or {}
    for source in sources:
        if source == 'ip_addresses':
            value = next((ips[0] for net, ips in sorted(addresses.items()) if ips), None)
        elif source.startswith('ip_addresses.'):
            value = (addresses.get(source[len('ip_addresses.'):]) or [None])[0]
        elif source == 'hostname':
            value = view['hostname']
        else:
            value = node_field(node, source)
        if _present(value):
            return value
    return None


def baremetal_hosts(conn, only_active=True, ansible_host_from=('ip_addresses',)):
    """A host per bare-metal instance (by its hostname); with ``only_active`` only the deployed ones."""
    hosts = []
    found, dummy = list_instances(BaremetalApi(conn).snapshot())
    for view, node in found:
        if only_active and view['state'] != 'active':
            continue
        node_dict = view['node'] or {}
        host_vars = dict(
            openstack_node_id=view['uuid'],
            openstack_node_name=view['name'],
            openstack_provision_state=view['provision_state'],
            openstack_power_state=view['power_state'],
            openstack_instance_state=view['state'],
            openstack_is_maintenance=view['is_maintenance'],
            openstack_resource_class=node_dict.get('resource_class'),
            openstack_traits=node_dict.get('traits') or [],
            openstack_allocation_id=(view['allocation'] or {}).get('id'),
            openstack_image=view['image'],
            openstack_ip_addresses=view['ip_addresses'] or {},
        )
        address = ansible_host_of(view, node, ansible_host_from)
        if address is not None:
            host_vars['ansible_host'] = address
        hosts.append(dict(name=view['hostname'], groups=[BAREMETAL_GROUP], vars=host_vars))
    return hosts


def cluster_hosts(conn, clusters=None, only_active=True, outputs=True):
    """A host per Senlin node (by its name) of the ``clusters`` (names or ids; all when empty), in groups
    ``cluster_nodes`` and ``cluster_<cluster name>``; ``openstack_outputs``: its Heat stack's outputs."""
    client = SenlinClient(conn, wait=False)
    hosts = []
    wanted = set(clusters or [])
    for cluster in list_clusters(client):
        if wanted and cluster.get('name') not in wanted and cluster['id'] not in wanted:
            continue
        nodes = sorted(client.list('node', cluster_id=cluster['id']),
                       key=lambda n: (n.get('index') or 0, n.get('name') or ''))
        if only_active:
            nodes = [n for n in nodes if n.get('status') == 'ACTIVE']
        collected = node_outputs(client, cluster) if outputs and nodes else {}
        for node in nodes:
            host_vars = dict(
                openstack_node_id=node['id'],
                openstack_cluster=cluster.get('name'),
                openstack_cluster_id=cluster['id'],
                openstack_physical_id=node.get('physical_id'),
                openstack_status=node.get('status'),
                openstack_role=node.get('role'),
                openstack_index=node.get('index'),
                openstack_profile_id=node.get('profile_id'),
            )
            if outputs:
                host_vars['openstack_outputs'] = collected.get(node['id'], {})
            hosts.append(dict(name=node.get('name') or node['id'],
                              groups=[CLUSTER_GROUP, group_name('cluster', cluster.get('name') or cluster['id'])],
                              vars=host_vars))
    return hosts


def output_hosts(value, where):
    """``[(host name, vars)]`` of an output's value: a list of names, a list of dicts with a ``name`` (or
    ``hostname``, ``inventory_hostname``) and the host's variables, or a dict ``{name: vars or null}``."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict):
                host_vars = dict(item)
                key = next((k for k in HOST_NAME_KEYS if _present(host_vars.get(k))), None)
                if key is None:
                    raise InvalidInput('%s lists a host without a name (a dict needs one of %s): %s'
                                       % (where, ', '.join(HOST_NAME_KEYS), item))
                items.append((host_vars.pop(key), host_vars))
            else:
                items.append((item, {}))
    else:
        raise InvalidInput('%s is neither a list of hosts nor a dict of hosts: %r' % (where, value))
    hosts = []
    for name, host_vars in items:
        if not isinstance(name, str) or not name:
            raise InvalidInput('%s lists a host whose name is not a string: %r' % (where, name))
        if host_vars is not None and not isinstance(host_vars, dict):
            raise InvalidInput('%s gives host %s variables that are not a dict: %r' % (where, name, host_vars))
        hosts.append((name, dict(host_vars or {})))
    return hosts


def stack_output_hosts(conn, specs, warn):
    """The hosts listed in the output ``output`` of the stacks of each spec (``stacks``: names or ids; else every
    stack, or those with all the ``tags``), in groups ``stack_hosts``, ``stack_<stack name>`` and the spec's
    ``group``. A named stack that does not exist, or lacks the output, is warned about."""
    heat = HeatApi(conn)
    hosts = []
    for spec in specs:
        output = spec['output']
        if spec.get('stacks'):
            stacks = []
            for name in spec['stacks']:
                stack = heat.find_stack(name)
                if stack is None:
                    warn("stack_outputs: there is no stack '%s'." % name)
                else:
                    stacks.append(stack)
        else:
            query = {'tags': ','.join(spec['tags'])} if spec.get('tags') else None
            stacks = [heat.get_stack(s) for s in sorted(heat.list_stacks(query), key=lambda s: s['stack_name'])]
        for stack in stacks:
            if stack is None:
                continue
            values = dict((o.get('output_key'), o.get('output_value')) for o in stack.get('outputs') or [])
            if output not in values:
                if spec.get('stacks'):
                    warn("stack_outputs: stack '%s' has no output '%s'." % (stack['stack_name'], output))
                continue
            where = "The output '%s' of stack '%s'" % (output, stack['stack_name'])
            groups = [STACK_GROUP, group_name('stack', stack['stack_name'])]
            if spec.get('group'):
                groups.append(spec['group'])
            for name, host_vars in output_hosts(values[output], where):
                host_vars.update(openstack_stack=stack['stack_name'], openstack_stack_id=stack['id'],
                                 openstack_stack_output=output)
                hosts.append(dict(name=name, groups=list(groups), vars=host_vars))
    return hosts


def read_hosts(conn, config, warn):
    """Every host of the enabled sources. ``config``: the plugin's options (``sources``, ``clusters``,
    ``only_active``, ``ansible_host_from``, ``cluster_outputs``). A source whose service is not in the catalog is
    skipped with a warning."""
    sources = config['sources']
    hosts = []
    for source, service in sorted(SERVICES.items()):
        if not sources.get(source):
            continue
        if not conn.has_service(service):
            warn("The cloud has no %s service: the %s source is skipped." % (service, source))
            continue
        if source == 'baremetal':
            hosts.extend(baremetal_hosts(conn, config['only_active'], config['ansible_host_from']))
        elif source == 'clusters':
            hosts.extend(cluster_hosts(conn, config.get('clusters'), config['only_active'], config['cluster_outputs']))
        else:
            hosts.extend(stack_output_hosts(conn, sources['stack_outputs'], warn))
    return hosts
