# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin's reading (plugin_utils/_inventory.py) on fakes of Ironic, Senlin and Heat, its option checks,
and the plugin run through ansible-core's InventoryManager (compose, keyed groups, cache, the auth failure)."""

import json
import sys
from urllib.parse import urlparse

import pytest
import yaml

from ansible.errors import AnsibleParserError

from ansible_collections.cloudrise.openstack.plugins.inventory import openstack as plugin
from ansible_collections.cloudrise.openstack.plugins.module_utils import _base
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.plan import node_field
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.plugin_utils import _inventory as inv


class Node(object):
    def __init__(self, name, state='active', extra=None, maintenance=False, traits=('CUSTOM_GOLD',)):
        self.id = 'uuid-' + name
        self.name = name
        self.provision_state = state
        self.target_provision_state = None
        self.power_state = 'power on'
        self.is_maintenance = maintenance
        self.maintenance_reason = None
        self.last_error = None
        self.resource_class = 'baremetal'
        self.traits = list(traits)
        self.properties = {'cpus': 2}
        self.conductor_group = ''
        self.allocation_id = 'alloc-' + name
        self.instance_id = self.id
        self.owner = None
        self.instance_info = {'image_source': 'http://images/disk.img'}
        self.extra = dict(extra or {})


class Allocation(object):
    def __init__(self, name, node):
        self.id, self.name, self.node_id = 'alloc-' + node.name, name, node.id
        self.state, self.last_error = 'active', None


class Port(object):
    def __init__(self, network_id, ips):
        self.network_id = network_id
        self.fixed_ips = [{'ip_address': ip} for ip in ips]


class Network(object):
    def __init__(self, name):
        self.id, self.name = 'net-' + name, name


class Baremetal(object):
    def __init__(self, nodes, allocations, vifs=None):
        self._nodes, self._allocations, self.vifs = nodes, allocations, vifs or {}

    def nodes(self, details=False):
        return list(self._nodes)

    def allocations(self):
        return list(self._allocations)

    def list_node_vifs(self, node):
        return list(self.vifs.get(node.id, []))


class NetworkProxy(object):
    def __init__(self, ports):
        self.ports = ports

    def get_port(self, vif):
        return self.ports[vif]

    def get_network(self, network_id):
        return Network(network_id[len('net-'):])


class Response(object):
    def __init__(self, body, status=200):
        self.status_code = status
        self._body = body
        self.text = json.dumps(body)
        self.content = self.text.encode()
        self.headers = {'content-type': 'application/json'}
        self.reason, self.url, self.request = 'reason', 'http://fake', None

    def json(self):
        return self._body


class Senlin(object):
    """GET /clusters, /nodes?cluster_id=..., /clusters/<id>/attrs/details.outputs from a table."""

    def __init__(self, clusters, nodes, outputs):
        self.clusters, self.nodes, self.outputs = clusters, nodes, outputs
        self.calls = []

    def request(self, path, method, **kwargs):
        self.calls.append((method, path))
        url = urlparse(path)
        if url.path == '/clusters':
            return Response({'clusters': self.clusters})
        if url.path == '/nodes':
            cluster_id = url.query.split('cluster_id=')[1].split('&')[0]
            return Response({'nodes': [n for n in self.nodes if n['cluster_id'] == cluster_id]})
        if url.path.startswith('/clusters/') and '/attrs/' in url.path:
            cluster_id = url.path.split('/')[2]
            return Response({'cluster_attributes': [
                {'id': n['id'], 'value': [{'output_key': k, 'output_value': v} for k, v in self.outputs[n['id']].items()]}
                for n in self.nodes if n['cluster_id'] == cluster_id and n['id'] in self.outputs]})
        return Response({'error': {'message': 'not found'}}, 404)


class Heat(object):
    """GET /stacks (list), /stacks/<name> and /stacks/<name>/<id> from a list of stacks with outputs."""

    def __init__(self, stacks):
        self.stacks = stacks
        self.calls = []

    def get(self, url, params=None, **kwargs):
        self.calls.append((url, params))
        parts = url.split('?')[0].strip('/').split('/')
        if parts == ['stacks']:
            tags = set((params or {}).get('tags', '').split(',')) - {''}
            return Response({'stacks': [dict(s, outputs=None) for s in self.stacks if tags <= set(s.get('tags') or [])]})
        found = [s for s in self.stacks if parts[1] in (s['stack_name'], s['id'])]
        if not found:
            return Response({'error': {'message': 'stack not found'}}, 404)
        return Response({'stack': found[0]})


class Conn(object):
    def __init__(self, services=('baremetal', 'clustering', 'orchestration'), nodes=None, allocations=None,
                 clusters=(), cluster_nodes=(), outputs=None, stacks=(), vifs=None, ports=None):
        self.services = services
        nodes = nodes if nodes is not None else [Node('n0', extra={'ssh': '192.0.2.10'}), Node('n1')]
        if allocations is None:
            allocations = [Allocation('host-%d' % i, n) for i, n in enumerate(nodes)]
        self.baremetal = Baremetal(nodes, allocations, vifs)
        self.network = NetworkProxy(ports or {})
        self.clustering = Senlin(list(clusters), list(cluster_nodes), outputs or {})
        self.orchestration = Heat(list(stacks))

    def has_service(self, name):
        return name in self.services


def config(**kwargs):
    sources = kwargs.pop('sources', {})
    result = dict(sources=plugin.source_config(sources), clusters=None, cluster_outputs=True, only_active=True,
                  ansible_host_from=['ip_addresses'])
    result.update(kwargs)
    return result


def read(conn, **kwargs):
    warnings = []
    return inv.read_hosts(conn, config(**kwargs), warnings.append), warnings


def by_name(hosts):
    return dict((h['name'], h) for h in hosts)


# -- bare metal ----------------------------------------------------------------------------------

def test_baremetal_instances_by_hostname_with_the_add_host_variables():
    hosts, warnings = read(Conn(), sources=dict(clusters=False))
    assert warnings == []
    assert sorted(by_name(hosts)) == ['host-0', 'host-1']
    host = by_name(hosts)['host-0']
    assert host['groups'] == ['baremetal']
    assert host['vars'] == dict(
        openstack_node_id='uuid-n0', openstack_node_name='n0', openstack_provision_state='active',
        openstack_power_state='power on', openstack_instance_state='active', openstack_is_maintenance=False,
        openstack_resource_class='baremetal', openstack_traits=['CUSTOM_GOLD'], openstack_allocation_id='alloc-n0',
        openstack_image='http://images/disk.img', openstack_ip_addresses={})
    json.dumps(hosts)  # what the cache stores


def test_only_active_leaves_out_instances_being_deployed_or_in_maintenance():
    nodes = [Node('n0'), Node('n1', state='wait call-back'), Node('n2', maintenance=True)]
    hosts, dummy = read(Conn(nodes=nodes), sources=dict(clusters=False))
    assert sorted(by_name(hosts)) == ['host-0']
    hosts, dummy = read(Conn(nodes=nodes), sources=dict(clusters=False), only_active=False)
    assert sorted(by_name(hosts)) == ['host-0', 'host-1', 'host-2']
    assert by_name(hosts)['host-2']['vars']['openstack_instance_state'] == 'maintenance'


def test_a_node_without_an_allocation_is_no_host():
    nodes = [Node('n0'), Node('n1')]
    nodes[1].instance_id = None
    hosts, dummy = read(Conn(nodes=nodes, allocations=[Allocation('host-0', nodes[0])]), sources=dict(clusters=False))
    assert sorted(by_name(hosts)) == ['host-0']


@pytest.mark.parametrize('sources, expected', [
    (['ip_addresses'], {'host-0': '10.0.0.5', 'host-1': None}),
    (['ip_addresses.storage'], {'host-0': '10.1.0.5', 'host-1': None}),
    (['ip_addresses.nowhere', 'hostname'], {'host-0': 'host-0', 'host-1': 'host-1'}),
    (['extra.ssh', 'name'], {'host-0': '192.0.2.10', 'host-1': 'n1'}),
    (['extra.missing'], {'host-0': None, 'host-1': None}),
    ([], {'host-0': None, 'host-1': None}),
])
def test_ansible_host_from_the_first_source_that_has_a_value(sources, expected):
    vifs = {'uuid-n0': ['p1', 'p2']}
    ports = {'p1': Port('net-storage', ['10.1.0.5']), 'p2': Port('net-ctlplane', ['10.0.0.5'])}
    hosts, dummy = read(Conn(services=('baremetal', 'network'), vifs=vifs, ports=ports), sources=dict(clusters=False),
                        ansible_host_from=sources)
    assert dict((h['name'], h['vars'].get('ansible_host')) for h in hosts) == expected
    assert by_name(hosts)['host-0']['vars']['openstack_ip_addresses'] == {'ctlplane': ['10.0.0.5'], 'storage': ['10.1.0.5']}


def test_ip_addresses_are_empty_without_a_network_service():
    vifs = {'uuid-n0': ['p1']}
    hosts, dummy = read(Conn(services=('baremetal',), vifs=vifs, ports={'p1': Port('net-a', ['10.0.0.1'])}),
                        sources=dict(clusters=False))
    assert 'ansible_host' not in by_name(hosts)['host-0']['vars']


@pytest.mark.parametrize('path, value', [
    ('name', 'n0'), ('extra.ssh', '192.0.2.10'), ('properties.cpus', 2), ('extra.nested.key', 'deep'),
    ('extra.nested.none', None), ('nothing', None), ('name.more', None), ('', None),
])
def test_node_field(path, value):
    node = Node('n0', extra={'ssh': '192.0.2.10', 'nested': {'key': 'deep'}})
    assert node_field(node, path) == value


def test_node_field_of_no_node():
    assert node_field(None, 'name') is None


# -- Senlin -------------------------------------------------------------------------------------

CLUSTERS = [{'id': 'c1', 'name': 'web'}, {'id': 'c2', 'name': 'db-tier'}]
CLUSTER_NODES = [
    {'id': 'w1', 'name': 'node-a', 'cluster_id': 'c1', 'status': 'ACTIVE', 'index': 2, 'physical_id': 's-a',
     'role': None, 'profile_id': 'p1'},
    {'id': 'w0', 'name': 'node-b', 'cluster_id': 'c1', 'status': 'ACTIVE', 'index': 1, 'physical_id': 's-b',
     'role': 'leader', 'profile_id': 'p1'},
    {'id': 'd0', 'name': 'node-c', 'cluster_id': 'c2', 'status': 'ERROR', 'index': 1, 'physical_id': 's-c',
     'role': None, 'profile_id': 'p2'},
]
OUTPUTS = {'w1': {'address': '10.0.0.21', 'token_length': 12}, 'w0': {'address': '10.0.0.20'}}


def senlin_conn(**kwargs):
    return Conn(services=('clustering',), clusters=CLUSTERS, cluster_nodes=CLUSTER_NODES, outputs=OUTPUTS, **kwargs)


def test_cluster_nodes_in_their_groups_with_their_stack_outputs():
    conn = senlin_conn()
    hosts, warnings = read(conn)
    assert warnings == ["The cloud has no baremetal service: the baremetal source is skipped."]
    assert [h['name'] for h in hosts] == ['node-b', 'node-a']   # index order; node-c is not ACTIVE
    host = by_name(hosts)['node-a']
    assert host['groups'] == ['cluster_nodes', 'cluster_web']
    assert host['vars'] == dict(
        openstack_node_id='w1', openstack_cluster='web', openstack_cluster_id='c1', openstack_physical_id='s-a',
        openstack_status='ACTIVE', openstack_role=None, openstack_index=2, openstack_profile_id='p1',
        openstack_outputs={'address': '10.0.0.21', 'token_length': 12})
    collects = [p for m, p in conn.clustering.calls if '/attrs/' in p]
    assert collects == ['/clusters/c1/attrs/details.outputs']   # one per cluster with active nodes


def test_every_node_of_the_named_clusters_without_outputs():
    conn = senlin_conn()
    hosts, dummy = read(conn, clusters=['db-tier'], only_active=False, cluster_outputs=False)
    assert [(h['name'], h['groups']) for h in hosts] == [('node-c', ['cluster_nodes', 'cluster_db_tier'])]
    assert 'openstack_outputs' not in hosts[0]['vars']
    assert not [p for m, p in conn.clustering.calls if '/attrs/' in p]


def test_a_cluster_named_by_id():
    hosts, dummy = read(senlin_conn(), clusters=['c1'])
    assert sorted(by_name(hosts)) == ['node-a', 'node-b']


def test_a_node_without_a_heat_stack_has_empty_outputs():
    conn = Conn(services=('clustering',), clusters=CLUSTERS[:1], cluster_nodes=CLUSTER_NODES[:1], outputs={})
    hosts, dummy = read(conn)
    assert hosts[0]['vars']['openstack_outputs'] == {}


# -- Heat stack outputs -------------------------------------------------------------------------

def stack(name, outputs, tags=()):
    return {'id': 'id-' + name, 'stack_name': name, 'tags': list(tags),
            'outputs': [{'output_key': k, 'output_value': v} for k, v in outputs.items()]}


STACKS = [
    stack('dns', {'hosts': ['ns1', {'name': 'ns2', 'ansible_host': '10.0.0.2', 'zone': 'a'}]}, tags=['infra']),
    stack('app', {'hosts': {'app1': {'ansible_host': '10.0.1.1'}, 'app2': None}, 'other': 1}),
    stack('plain', {'other': 2}),
]


def heat_conn():
    return Conn(services=('orchestration',), stacks=STACKS)


def test_hosts_of_every_stack_that_has_the_output():
    sources = dict(baremetal=False, clusters=False, stack_outputs=[{'output': 'hosts'}])
    hosts, warnings = read(heat_conn(), sources=sources)
    assert warnings == []
    assert [(h['name'], h['groups']) for h in hosts] == [
        ('app1', ['stack_hosts', 'stack_app']), ('app2', ['stack_hosts', 'stack_app']),
        ('ns1', ['stack_hosts', 'stack_dns']), ('ns2', ['stack_hosts', 'stack_dns'])]
    assert by_name(hosts)['ns2']['vars'] == dict(ansible_host='10.0.0.2', zone='a', openstack_stack='dns',
                                                 openstack_stack_id='id-dns', openstack_stack_output='hosts')
    assert by_name(hosts)['app1']['vars']['ansible_host'] == '10.0.1.1'


def test_named_stacks_and_tags_and_an_extra_group():
    conn = heat_conn()
    hosts, warnings = read(conn, sources=dict(baremetal=False, clusters=False, stack_outputs=[
        {'output': 'hosts', 'tags': ['infra'], 'group': 'dns_servers'},
        {'output': 'hosts', 'stacks': ['app', 'plain', 'gone']}]))
    assert [(h['name'], h['groups'][-1]) for h in hosts] == [
        ('ns1', 'dns_servers'), ('ns2', 'dns_servers'), ('app1', 'stack_app'), ('app2', 'stack_app')]
    assert warnings == ["stack_outputs: there is no stack 'gone'.", "stack_outputs: stack 'plain' has no output 'hosts'."]
    assert ('/stacks', {'tags': 'infra', 'limit': 100}) in conn.orchestration.calls


@pytest.mark.parametrize('value, message', [
    ('ns1', 'is neither a list of hosts nor a dict of hosts'),
    ([{'ansible_host': '10.0.0.1'}], 'lists a host without a name'),
    ([3], 'lists a host whose name is not a string'),
    ({'h1': 'not vars'}, 'gives host h1 variables that are not a dict'),
])
def test_an_output_that_lists_no_hosts_fails_with_its_stack(value, message):
    conn = Conn(services=('orchestration',), stacks=[stack('bad', {'hosts': value})])
    with pytest.raises(InvalidInput, match="The output 'hosts' of stack 'bad' " + message):
        read(conn, sources=dict(baremetal=False, clusters=False, stack_outputs=[{'output': 'hosts'}]))


@pytest.mark.parametrize('name, group', [('web', 'cluster_web'), ('db-tier.1', 'cluster_db_tier_1'), ('', 'cluster_')])
def test_group_name(name, group):
    assert inv.group_name('cluster', name) == group


# -- options ------------------------------------------------------------------------------------

def test_source_defaults():
    assert plugin.source_config({}) == dict(baremetal=True, clusters=True, stack_outputs=[])


@pytest.mark.parametrize('sources, message', [
    ([], 'sources must be a dict'),
    ({'servers': True}, r'unknown key\(s\) servers'),
    ({'baremetal': 'yes'}, 'sources.baremetal must be true or false'),
    ({'stack_outputs': {'output': 'x'}}, 'sources.stack_outputs must be a list'),
    ({'stack_outputs': [{'stacks': ['a']}]}, 'each entry needs an output'),
    ({'stack_outputs': [{'output': 'x', 'stack': 'a'}]}, r'unknown key\(s\) stack'),
    ({'stack_outputs': [{'output': 'x', 'stacks': 'a'}]}, 'stacks must be a list of strings'),
])
def test_bad_sources_fail_before_any_request(sources, message):
    with pytest.raises(AnsibleParserError, match=message):
        plugin.source_config(sources)


# -- the connection ------------------------------------------------------------------------------

def test_cloud_connection_reuses_the_modules_connect_kwargs(monkeypatch):
    warnings = []
    connection = _base.CloudConnection({'cloud': 'mycloud', 'region_name': 'r1', 'not_an_option': 1},
                                       microversions={'clustering': '1.12'}, warn=warnings.append)
    assert connection.connect_kwargs() == dict(cloud='mycloud', region_name='r1', interface='public',
                                               clustering_default_microversion='1.12', app_name='cloudrise.openstack')
    connection = _base.CloudConnection({'cloud': {'auth': {'auth_url': 'http://k', 'password': 'p'}}},
                                       warn=warnings.append)
    assert connection.connect_kwargs()['auth'] == {'auth_url': 'http://k', 'password': 'p'}
    assert 'auth.password' in warnings[0]


def test_cloud_connection_authenticates_first(monkeypatch):
    calls = []

    class FakeSession(object):
        def get_token(self):
            calls.append('get_token')

    class FakeSdkConn(object):
        session = FakeSession()

    monkeypatch.setattr(_base.openstack, 'connect', lambda **kwargs: calls.append(kwargs) or FakeSdkConn())
    conn = _base.CloudConnection({'cloud': 'c'}).authenticate()
    assert isinstance(conn, FakeSdkConn) and calls[1] == 'get_token'


# -- the plugin through ansible-core's InventoryManager ------------------------------------------

def inventory(tmp_path, monkeypatch, text, conn=None, error=None, name='cloudrise.openstack.yml'):
    """The plugin's parse of a config file ``text`` (registered with ansible-core's config as the plugin loader
    does), with ``CloudConnection.authenticate`` giving ``conn`` or raising ``error``. Returns the InventoryData."""
    from ansible import constants
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.doc_fragments import constructed, inventory_cache

    def authenticate(self):
        if error is not None:
            raise error
        return conn

    monkeypatch.setattr(_base.CloudConnection, 'authenticate', authenticate)
    # the options of the plugin and of its two fragments (merged here: the fragment loader needs the collection finder)
    options = {}
    for text_of in (constructed, inventory_cache, plugin):
        doc = text_of.DOCUMENTATION if text_of is plugin else text_of.ModuleDocFragment.DOCUMENTATION
        options.update(yaml.safe_load(doc)['options'])
    constants.config.initialize_plugin_configuration_definitions('inventory', plugin.InventoryModule.NAME, options)
    module = plugin.InventoryModule()
    module._load_name = plugin.InventoryModule.NAME
    module._redirected_names = [plugin.InventoryModule.NAME]   # what the plugin loader sets (read by 2.16's verify)
    path = tmp_path / name
    path.write_text(text)
    data = InventoryData()
    module.parse(data, DataLoader(), str(path), cache=True)
    if getattr(module, '_cache', None):  # as InventoryManager does after a parse
        module.update_cache_if_changed()
    return data


def members(data, group):
    return sorted(h.name for h in data.groups[group].get_hosts())


def test_plugin_groups_compose_and_keyed_groups(tmp_path, monkeypatch):
    text = '\n'.join([
        'plugin: cloudrise.openstack.openstack',
        'ansible_host_from: [extra.ssh, name]',
        'sources: {clusters: false}',
        'keyed_groups: [{key: openstack_traits, prefix: trait}]',
        'groups: {gold: "\'CUSTOM_GOLD\' in openstack_traits"}',
        'compose: {node_upper: openstack_node_name | upper}',
    ])
    data = inventory(tmp_path, monkeypatch, text, conn=Conn())
    assert members(data, 'baremetal') == members(data, 'trait_CUSTOM_GOLD') == members(data, 'gold') == [
        'host-0', 'host-1']
    host_vars = data.get_host('host-0').get_vars()
    assert host_vars['ansible_host'] == '192.0.2.10' and host_vars['node_upper'] == 'N0'
    assert data.get_host('host-1').get_vars()['ansible_host'] == 'n1'


def test_plugin_file_names(tmp_path):
    module = plugin.InventoryModule()
    for name, ok in [('cloudrise.openstack.yml', True), ('x.cloudrise.yaml', True), ('openstack.yaml', True),
                     ('hosts.yml', False), ('cloudrise.openstack.json', False)]:
        path = tmp_path / name
        path.write_text('plugin: cloudrise.openstack.openstack\n')
        assert module.verify_file(str(path)) is ok, name


def test_plugin_auth_failure_fails_the_inventory(tmp_path, monkeypatch):
    from keystoneauth1 import exceptions as ksa
    with pytest.raises(AnsibleParserError, match='cloudrise.openstack.openstack inventory: Authentication failed'):
        inventory(tmp_path, monkeypatch, 'plugin: cloudrise.openstack.openstack\n',
                  error=ksa.Unauthorized('The request you have made requires authentication.'))


def test_plugin_cache_is_read_instead_of_the_cloud(tmp_path, monkeypatch):
    cache_dir = tmp_path / 'cache'
    text = '\n'.join(['plugin: cloudrise.openstack.openstack', 'sources: {clusters: false}', 'cache: true',
                      'cache_plugin: jsonfile', 'cache_connection: %s' % cache_dir])
    data = inventory(tmp_path, monkeypatch, text, conn=Conn())
    assert sorted(data.hosts) == ['host-0', 'host-1']
    assert len(list(cache_dir.iterdir())) == 1
    # the same file again: the cache answers, the cloud (here: failing auth) is not asked
    from keystoneauth1 import exceptions as ksa
    data = inventory(tmp_path, monkeypatch, text, error=ksa.Unauthorized('no'))
    assert sorted(data.hosts) == ['host-0', 'host-1']
    assert data.get_host('host-0').get_vars()['openstack_node_name'] == 'n0'


def test_plugin_strict_compose_error_fails(tmp_path, monkeypatch):
    text = '\n'.join(['plugin: cloudrise.openstack.openstack', 'sources: {clusters: false}', 'strict: true',
                      'compose: {x: no_such_variable.attr}'])
    with pytest.raises(Exception, match='no_such_variable'):
        inventory(tmp_path, monkeypatch, text, conn=Conn())
    # not strict: the variable is left out, the host stays
    data = inventory(tmp_path, monkeypatch, text.replace('strict: true', 'strict: false'), conn=Conn())
    assert sorted(data.hosts) == ['host-0', 'host-1'] and 'x' not in data.get_host('host-0').get_vars()


if __name__ == '__main__':  # pragma: no cover
    sys.exit(pytest.main([__file__]))
