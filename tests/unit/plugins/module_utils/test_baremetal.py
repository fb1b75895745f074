# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the _baremetal package: normalisation, matching, rendering, planning, apply/clean-up with a fake proxy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import json
from json import dumps as json_dumps
import sys
import threading

import pytest
from openstack import exceptions as sdk_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import api as bm_api
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import configdrive, image, matching, plan
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import spec as bm_spec
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.executor import Executor, apply_instances
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput, ResourceFailed, WaitTimeout

SHA = 'a' * 64
IMAGE = {'href': 'http://127.0.0.1:8089/disk.img', 'checksum': SHA}


# ------------------------------------------------------------------------------------------------
# A fake of openstacksdk's baremetal proxy: Ironic's allocation and provision state machine
# ------------------------------------------------------------------------------------------------

class FakeNode(object):
    def __init__(self, name, traits=(), caps='', resource_class='baremetal', group='', maintenance=False,
                 state='available', local_gb=100):
        self.id = 'uuid-' + name
        self.name = name
        self.traits = list(traits)
        self.properties = {'capabilities': caps, 'local_gb': local_gb}
        self.resource_class = resource_class
        self.conductor_group = group
        self.is_maintenance = maintenance
        self.maintenance_reason = 'broken fan' if maintenance else None
        self.provision_state = state
        self.power_state = 'power off'
        self.instance_info = {}
        self.instance_id = None
        self.allocation_id = None
        self.extra = {}
        self.last_error = None
        self.pending = []          # provision states to go through, one per get_node
        self.deploy_polls = 2      # how many gets a deploy takes
        self.deploy_fails = False

    def copy(self):
        clone = FakeNode.__new__(FakeNode)
        clone.__dict__.update(json.loads(json.dumps(dict(self.__dict__))))
        return clone


class FakeAllocation(object):
    def __init__(self, id, name, resource_class, traits, candidates):
        self.id, self.name, self.resource_class = id, name, resource_class
        self.traits, self.candidate_nodes = traits or [], candidates or []
        self.state, self.node_id, self.last_error = 'allocating', None, None

    def copy(self):
        clone = FakeAllocation.__new__(FakeAllocation)
        clone.__dict__.update(self.__dict__)
        return clone


# the provision states Ironic accepts each target from (others: 400, the requested action can not be performed)
PROVISION_FROM = {'active': ('available', 'deploy failed'),
                  'deleted': ('active', 'deploy failed', 'error', 'wait call-back')}


class FakeProxy(object):
    def __init__(self, nodes):
        self._nodes = dict((n.id, n) for n in nodes)
        self._allocations = {}
        self._ids = itertools.count(1)
        self.writes = []
        self.lock = threading.Lock()

    # reads
    def nodes(self, details=False):
        return [n.copy() for n in self._nodes.values()]

    def allocations(self):
        return [a.copy() for a in self._allocations.values()]

    def _node(self, ident):
        ident = getattr(ident, 'id', ident)
        for node in self._nodes.values():
            if ident in (node.id, node.name):
                return node
        raise sdk_exceptions.NotFoundException('Node %s could not be found' % ident)

    def get_node(self, ident):
        with self.lock:
            node = self._node(ident)
            if node.pending:
                node.provision_state = node.pending.pop(0)
                if node.provision_state == 'available':
                    self._undeployed(node)
                elif node.provision_state == 'deploy failed':
                    node.last_error = 'fake deploy failed'
            return node.copy()

    def get_allocation(self, ident):
        with self.lock:
            allocation = self._allocations.get(getattr(ident, 'id', ident))
            if allocation is None:
                raise sdk_exceptions.NotFoundException('Allocation %s could not be found' % ident)
            if allocation.state == 'allocating':
                self._allocate(allocation)
            return allocation.copy()

    # Ironic's allocation: first free node with the class and traits among the candidates
    def _allocate(self, allocation):
        for node in self._nodes.values():
            if allocation.candidate_nodes and node.id not in allocation.candidate_nodes:
                continue
            if (node.resource_class == allocation.resource_class and not node.allocation_id and not node.is_maintenance
                    and node.provision_state == 'available' and set(allocation.traits) <= set(node.traits)):
                allocation.state, allocation.node_id = 'active', node.id
                node.allocation_id, node.instance_id = allocation.id, allocation.id
                node.instance_info = {'traits': list(allocation.traits)} if allocation.traits else {}
                return
        allocation.state = 'error'
        allocation.last_error = 'none of the requested nodes are available and match the resource class'

    def _undeployed(self, node):
        self._allocations.pop(node.allocation_id, None)
        node.allocation_id = node.instance_id = None
        node.instance_info = {}

    # writes
    def create_allocation(self, **kwargs):
        with self.lock:
            self.writes.append(('create_allocation', kwargs['name']))
            if any(a.name == kwargs['name'] for a in self._allocations.values()):
                raise sdk_exceptions.ConflictException('An allocation with name %s already exists' % kwargs['name'])
            allocation = FakeAllocation('alloc-%d' % next(self._ids), kwargs['name'], kwargs['resource_class'],
                                        kwargs.get('traits'), kwargs.get('candidate_nodes'))
            self._allocations[allocation.id] = allocation
            return allocation.copy()

    def delete_allocation(self, ident, ignore_missing=True):
        with self.lock:
            allocation = self._allocations.get(getattr(ident, 'id', ident))
            self.writes.append(('delete_allocation', allocation.name if allocation else ident))
            if allocation is not None and allocation.node_id and not self._nodes[allocation.node_id].is_maintenance \
                    and self._nodes[allocation.node_id].provision_state == 'active':
                raise sdk_exceptions.ConflictException('Cannot remove allocation %s for node %s, because the node is '
                                                       'active (and maintenance mode is off)'
                                                       % (allocation.id, allocation.node_id))
            self._allocations.pop(getattr(ident, 'id', ident), None)
            if allocation is not None and allocation.node_id:
                node = self._nodes[allocation.node_id]
                node.allocation_id = node.instance_id = None

    def patch_node(self, node, patch, retry_on_conflict=True):
        with self.lock:
            node = self._node(node)
            self.writes.append(('patch_node', node.name, [p['path'] for p in patch]))
            for op in patch:
                if op['path'] == '/instance_info':
                    node.instance_info = dict(op['value'])
                elif op['path'] == '/extra':
                    node.extra = dict(op['value'])
                elif op['path'] == '/instance_uuid':
                    node.instance_id = None
            return node.copy()

    def put(self, url, json=None, microversion=None, retriable_status_codes=None):
        """PUT /nodes/<id>/states/provision, answered as Ironic does (202, or 400 with a JSON error)."""
        assert url.endswith('/states/provision') and retriable_status_codes == [409]
        assert microversion == ('1.56' if 'configdrive' in json else None)
        try:
            self.set_node_provision_state(url.split('/')[2], json['target'], json.get('configdrive'))
        except sdk_exceptions.BadRequestException as exc:
            return FakeResponse(400, {'error_message': json_dumps({'faultstring': exc.details})})
        return FakeResponse(202, None)

    def set_node_provision_state(self, node, target, config_drive=None):
        with self.lock:
            node = self._node(node)
            self.writes.append(('provision', node.name, target))
            if node.is_maintenance:
                raise sdk_exceptions.BadRequestException(details='node %s is in maintenance mode' % node.name)
            if node.provision_state not in PROVISION_FROM[target]:
                # Ironic's InvalidStateRequested (400): e.g. another run deployed the node first
                raise sdk_exceptions.BadRequestException(
                    details='The requested action "%s" can not be performed on node "%s" while it is in state "%s".'
                            % (target, node.id, node.provision_state))
            if target == 'active':
                node.config_drive = config_drive
                node.provision_state = 'deploying'
                end = 'deploy failed' if node.deploy_fails else 'active'
                node.pending = ['deploying'] * (node.deploy_polls - 1) + [end]
            elif target == 'deleted':
                node.provision_state = 'deleting'
                node.pending = ['cleaning', 'available']
            return node.copy()

    def list_node_vifs(self, node):
        return []


class FakeResponse(object):
    def __init__(self, status_code, body):
        self.status_code, self._body = status_code, body
        self.headers = {'content-type': 'application/json'} if body is not None else {}
        self.content = json_dumps(body).encode() if body is not None else b''
        self.text = self.content.decode()
        self.reason = 'Bad Request' if status_code == 400 else 'Accepted'
        self.url = 'http://ironic/v1/nodes'

    def json(self):
        return self._body


class FakeConn(object):
    def __init__(self, nodes, services=('baremetal',)):
        self.baremetal = FakeProxy(nodes)
        self.services = services

    def has_service(self, name):
        return name in self.services


def make_cloud(nodes=None, services=('baremetal',), checksums=None):
    if nodes is None:
        nodes = [FakeNode('n%d' % i, traits=['CUSTOM_GOLD'] if i % 2 == 0 else ['CUSTOM_SILVER'],
                          caps='boot_mode:uefi' if i % 2 == 0 else 'boot_mode:bios') for i in range(4)]
    conn = FakeConn(nodes, services)

    def fetch(url):
        if url not in (checksums or {}):
            raise OSError('HTTP Error 404: File not found')
        return checksums[url]

    helper = bm_api.BaremetalApi(conn, fetch_url=fetch)
    return conn, helper


def spec(hostname, **kwargs):
    raw = dict(hostname=hostname, image=dict(IMAGE))
    raw.update(kwargs)
    return raw


CLOCK = None   # the test's fake clock (the ``clock`` fixture), set for every test below


@pytest.fixture(autouse=True)
def _fake_clock(clock, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], 'CLOCK', clock)


def run(helper, instances, state='present', wait=True, timeout=60, clean_up=True, concurrency=0):
    specs = bm_spec.normalize_instances(instances, state)
    helper.snapshot()
    desired = bm_spec.DesiredInstances(specs, state, wait, timeout, concurrency, clean_up)
    the_plan = plan.plan_instances(helper, desired)
    apply_instances(helper, the_plan, new_deadline=CLOCK.deadline)   # each instance's deadline on the fake clock
    return the_plan.jobs


# ------------------------------------------------------------------------------------------------
# Normalisation
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('raw, state, expected', [
    (dict(hostname='web-1', image='http://x/img'), 'present',
     dict(hostname='web-1', image={'href': 'http://x/img', 'checksum': None, 'kernel': None, 'ramdisk': None},
          resource_class='baremetal', candidates=[], passwordless_sudo=True, netboot=False)),
    (dict(name='node-3', image=IMAGE), 'present', dict(hostname='node-3', candidates=['node-3'])),
    (dict(hostname='a', name='n1', candidates=['n2']), 'reserved', dict(candidates=['n2', 'n1'], image=None)),
    (dict(hostname='a', traits=['B', 'A', 'B'], capabilities={'profile': 'compute', 'n': 1}), 'absent',
     dict(traits=['A', 'B'], capabilities={'profile': 'compute', 'n': '1'})),
    (dict(hostname='a', ssh_public_keys='ssh-ed25519 AAA', config_drive={'cloud_config': {'x': 1}}), 'absent',
     dict(ssh_public_keys=['ssh-ed25519 AAA'], cloud_config={'x': 1}, meta_data=None)),
    (dict(hostname='a', passwordless_sudo=False, resource_class='gpu'), 'absent',
     dict(passwordless_sudo=False, resource_class='gpu')),
])
def test_normalize_instance(raw, state, expected):
    result = bm_spec.normalize_instance(raw, 0, state)
    for key, value in expected.items():
        assert result[key] == value, key


@pytest.mark.parametrize('instances, state, message', [
    ([{'image': IMAGE}], 'present', 'hostname (or name) is required'),
    ([{'hostname': 'bad_name!', 'image': IMAGE}], 'present', 'cannot be used as a hostname'),
    ([{'hostname': 'a', 'image': {'checksum': SHA}}], 'present', 'image.href is required'),
    ([{'hostname': 'a', 'image': {'href': 'http://x', 'sha': 1}}], 'present', 'unknown image keys: sha'),
    ([spec('a'), spec('b'), spec('a')], 'present', "duplicate hostname 'a' (instances #0, #2)"),
    ([spec('a', name='n1'), spec('b', name='n1')], 'present', "node 'n1' is requested by more than one instance: a, b"),
    ([spec('a', nics=[{'network': 'x', 'port': 'y'}])], 'present', 'exactly one of network, subnet or port'),
    ([spec('a', nics=[{'port': 'y', 'fixed_ip': '10.0.0.1'}])], 'present', 'fixed_ip is only valid with network'),
    ([spec('a', config_drive={'meta_data': 'x'})], 'present', 'config_drive.meta_data must be a dict'),
])
def test_normalize_instances_errors(instances, state, message):
    with pytest.raises(InvalidInput) as err:
        bm_spec.normalize_instances(instances, state)
    assert message in err.value.msg


# ------------------------------------------------------------------------------------------------
# Matching
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    (None, {}), ('', {}), ('boot_mode:uefi', {'boot_mode': 'uefi'}),
    ('boot_mode:uefi, profile:compute', {'boot_mode': 'uefi', 'profile': 'compute'}),
    ('a:b:c', {'a': 'b:c'}), ({'x': 1}, {'x': '1'}), ('junk', {}),
])
def test_parse_capabilities(value, expected):
    assert matching.parse_capabilities(value) == expected


def _spec(**kwargs):
    return bm_spec.normalize_instance(dict(dict(hostname='h'), **kwargs), 0, 'reserved')


@pytest.mark.parametrize('node, asked, reason', [
    (FakeNode('n', traits=['CUSTOM_GOLD'], caps='boot_mode:uefi'), {}, None),
    (FakeNode('n', resource_class='gpu'), {}, "has resource_class 'gpu', not 'baremetal'"),
    (FakeNode('n', group='rack1'), {'conductor_group': ''}, "is in conductor_group 'rack1', not ''"),
    (FakeNode('n', group='rack1'), {'conductor_group': 'rack1'}, None),
    (FakeNode('n'), {'conductor_group': 'rack1'}, "is in conductor_group '', not 'rack1'"),
    (FakeNode('n', traits=['CUSTOM_GOLD']), {'traits': ['CUSTOM_GOLD', 'CUSTOM_X']}, 'lacks traits CUSTOM_X'),
    (FakeNode('n', caps='boot_mode:bios'), {'capabilities': {'boot_mode': 'uefi'}}, 'lacks capabilities boot_mode=uefi'),
    (FakeNode('n', caps='boot_mode:uefi,profile:db'), {'capabilities': {'profile': 'db'}}, None),
])
def test_mismatch_reason(node, asked, reason):
    assert matching.mismatch_reason(node, _spec(**asked)) == reason


@pytest.mark.parametrize('node, reason', [
    (FakeNode('n'), None),
    (FakeNode('n', maintenance=True), 'is in maintenance (broken fan)'),
    (FakeNode('n', state='active'), "is in provision state 'active', not 'available'"),
])
def test_unusable_reason(node, reason):
    assert matching.unusable_reason(node) == reason


NODES = [FakeNode('n0', traits=['CUSTOM_GOLD'], caps='boot_mode:uefi'),
         FakeNode('n1', traits=['CUSTOM_SILVER'], caps='boot_mode:bios'),
         FakeNode('n2', traits=['CUSTOM_GOLD'], caps='boot_mode:uefi', maintenance=True),
         FakeNode('n3', traits=['CUSTOM_GOLD'], caps='boot_mode:uefi', group='rack1')]


@pytest.mark.parametrize('asked, names, problem', [
    ({}, ['n0', 'n1', 'n3'], None),
    ({'traits': ['CUSTOM_GOLD']}, ['n0', 'n3'], None),
    ({'capabilities': {'boot_mode': 'bios'}}, ['n1'], None),
    ({'conductor_group': 'rack1'}, ['n3'], None),
    ({'conductor_group': ''}, ['n0', 'n1'], None),
    ({'capabilities': {'boot_mode': 'nope'}}, [],
     "no available node matches resource_class 'baremetal', capabilities boot_mode=nope "
     "(existing capabilities: boot_mode=bios (1 node(s)), boot_mode=uefi (3 node(s)))"),
    ({'traits': ['CUSTOM_NOPE']}, [], "no available node matches resource_class 'baremetal', traits CUSTOM_NOPE"),
    ({'candidates': ['n1', 'n0']}, ['n1', 'n0'], None),
    ({'candidates': ['n2', 'n0']}, ['n0'], None),
    ({'candidates': ['n2']}, [], 'no usable node among the candidates: candidate node n2 (uuid-n2) is in maintenance'),
    ({'candidates': ['ghost', 'n0']}, [], "unknown candidate node 'ghost'"),
    ({'candidates': ['n1'], 'traits': ['CUSTOM_GOLD']}, [], 'candidate node n1 (uuid-n1) lacks traits CUSTOM_GOLD'),
])
def test_candidate_nodes(asked, names, problem):
    usable, message = matching.candidate_nodes(_spec(**asked), NODES)
    assert [n.name for n in usable] == names
    if problem is None:
        assert message is None
    else:
        assert problem in message


@pytest.mark.parametrize('demands, short', [
    ([], []),
    ([('a', ['n1']), ('b', ['n1', 'n2'])], []),
    ([('a', ['n1', 'n2']), ('b', ['n1'])], []),          # needs the augmenting path
    ([('a', ['n1']), ('b', ['n1'])], ['b']),
    ([('a', ['n1', 'n2']), ('b', ['n1', 'n2']), ('c', ['n2', 'n1'])], ['c']),
    ([('a', ['n1', 'n2', 'n3']), ('b', ['n1']), ('c', ['n2'])], []),
])
def test_assign_nodes(demands, short):
    placed = matching.assign_nodes(demands)
    assert [hostname for hostname, dummy in demands if hostname not in placed] == short
    assert all(placed[hostname] in options for hostname, options in demands if hostname in placed)
    assert len(set(placed.values())) == len(placed)


# ------------------------------------------------------------------------------------------------
# Image, checksum, instance_info, config drive
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, filename, expected', [
    ('%s  disk.img\n%s  other.img\n' % ('1' * 64, '2' * 64), 'disk.img', '1' * 64),
    ('%s *disk.img\n' % ('3' * 64), 'disk.img', '3' * 64),
    ('SHA256 (disk.img) = %s\n' % ('4' * 64), 'disk.img', '4' * 64),
    ('%s\n' % ('5' * 64), 'disk.img', '5' * 64),                    # a bare checksum
    ('%s  other.img\n' % ('6' * 64), 'disk.img', None),
    ('# comment\n\n%s  ./images/disk.img\n' % ('7' * 32), 'disk.img', '7' * 32),
    ('<html>not found</html>', 'disk.img', None),
])
def test_parse_checksum_file(text, filename, expected):
    assert image.parse_checksum_file(text, filename) == expected


@pytest.mark.parametrize('checksum, expected', [
    ('A' * 32, {'image_checksum': 'a' * 32}),
    ('b' * 64, {'image_os_hash_algo': 'sha256', 'image_os_hash_value': 'b' * 64}),
    ('c' * 128, {'image_os_hash_algo': 'sha512', 'image_os_hash_value': 'c' * 128}),
    ('SHA256:' + 'd' * 64, {'image_os_hash_algo': 'sha256', 'image_os_hash_value': 'd' * 64}),
    ('md5:' + 'e' * 32, {'image_checksum': 'e' * 32}),
])
def test_checksum_fields(checksum, expected):
    assert image.checksum_fields(checksum) == expected


@pytest.mark.parametrize('checksum', ['xyz', 'f' * 33])
def test_checksum_fields_errors(checksum):
    with pytest.raises(ValueError):
        image.checksum_fields(checksum)


@pytest.mark.parametrize('raw, expected', [
    ({}, {'image_type': 'whole-disk', 'root_gb': 99, 'display_name': 'h',
          'capabilities': {'boot_option': 'local'}}),
    ({'netboot': True, 'root_size_gb': 20, 'swap_size_mb': 512, 'capabilities': {'profile': 'db'}},
     {'root_gb': 20, 'swap_mb': 512, 'capabilities': {'boot_option': 'netboot', 'profile': 'db'}}),
    ({'image': {'href': 'http://x/root.img', 'checksum': SHA, 'kernel': 'http://x/k', 'ramdisk': 'http://x/r'}},
     {'image_type': 'partition', 'kernel': 'http://x/k', 'ramdisk': 'http://x/r', 'image_source': 'http://x/root.img'}),
])
def test_build_instance_info(raw, expected):
    s = bm_spec.normalize_instance(dict(dict(hostname='h', image=IMAGE), **raw), 0, 'present')
    node = FakeNode('n')
    node.instance_info = {'traits': ['CUSTOM_GOLD'], 'stale': 'dropped'}
    info = image.build_instance_info(s, node, image.image_instance_info(s['image']))
    assert info['traits'] == ['CUSTOM_GOLD'] and 'stale' not in info
    assert info['image_os_hash_value'] == SHA
    for key, value in expected.items():
        assert info[key] == value, key


def test_build_instance_info_partition_needs_root_size():
    s = bm_spec.normalize_instance(dict(hostname='h', image=dict(IMAGE, kernel='http://k', ramdisk='http://r')), 0, 'present')
    node = FakeNode('n', local_gb=None)
    with pytest.raises(InvalidInput, match='partition images need root_size_gb'):
        image.build_instance_info(s, node, image.image_instance_info(s['image']))


@pytest.mark.parametrize('raw, expected', [
    ({}, None),
    ({'ssh_public_keys': ['k1']}, None),
    ({'user_name': 'admin', 'ssh_public_keys': ['k1']},
     {'users': [{'name': 'admin', 'groups': ['wheel'], 'sudo': 'ALL=(ALL) NOPASSWD:ALL', 'ssh_authorized_keys': ['k1']}]}),
    ({'user_name': 'admin', 'passwordless_sudo': False},
     {'users': [{'name': 'admin', 'groups': ['wheel']}]}),
    ({'user_name': 'u', 'config_drive': {'cloud_config': {'users': [{'name': 'other'}], 'packages': ['vim']}}},
     {'users': [{'name': 'other'}, {'name': 'u', 'groups': ['wheel'], 'sudo': 'ALL=(ALL) NOPASSWD:ALL'}],
      'packages': ['vim']}),
])
def test_render_user_data(raw, expected):
    s = bm_spec.normalize_instance(dict(dict(hostname='h'), **raw), 0, 'absent')
    text = configdrive.render_user_data(s)
    if expected is None:
        assert text is None
    else:
        assert text.startswith('#cloud-config\n')
        assert json.loads(text[len('#cloud-config\n'):]) == expected


def test_render_meta_data_and_config_drive():
    s = bm_spec.normalize_instance(dict(hostname='web-1', ssh_public_keys=['k1', 'k2'],
                                   config_drive={'meta_data': {'role': 'web', 'hostname': 'overridden'}}), 0, 'absent')
    drive = configdrive.render_config_drive(s, FakeNode('n7'))
    assert drive == {'meta_data': {'role': 'web', 'hostname': 'web-1', 'public_keys': {'0': 'k1', '1': 'k2'},
                                   'uuid': 'uuid-n7', 'name': 'n7', 'launch_index': 0, 'availability_zone': '',
                                   'files': [], 'meta': {}}}


# ------------------------------------------------------------------------------------------------
# Status and plan
# ------------------------------------------------------------------------------------------------

def _alloc(state='active', node_id='uuid-n'):
    a = FakeAllocation('a1', 'h', 'baremetal', [], [])
    a.state, a.node_id = state, node_id
    return a


@pytest.mark.parametrize('current, status', [
    ({}, 'absent'),
    ({'allocation': _alloc('allocating', None)}, 'allocating'),
    ({'allocation': _alloc('error', None)}, 'allocation_error'),
    ({'allocation': _alloc(), 'node': FakeNode('n')}, 'reserved'),
    ({'allocation': _alloc(), 'node': FakeNode('n', state='active')}, 'active'),
    ({'allocation': _alloc(), 'node': FakeNode('n', state='wait call-back')}, 'deploying'),
    ({'allocation': _alloc(), 'node': FakeNode('n', state='deploy failed')}, 'deploy_failed'),
    ({'allocation': _alloc(), 'node': FakeNode('n', state='cleaning')}, 'undeploying'),
    ({'node': FakeNode('n', state='error')}, 'error'),
])
def test_instance_status(current, status):
    assert plan.instance_status(current) == status


@pytest.mark.parametrize('state, status, steps, action, after_wait, after_nowait', [
    ('present', 'absent', ['reserve', 'provision', 'wait_active'], 'provisioned', 'active', 'deploying'),
    ('present', 'reserved', ['provision', 'wait_active'], 'provisioned', 'active', 'deploying'),
    ('present', 'allocation_error', ['drop_allocation', 'reserve', 'provision', 'wait_active'], 'provisioned',
     'active', 'deploying'),
    ('present', 'deploy_failed', ['provision', 'wait_active'], 'provisioned', 'active', 'deploying'),
    ('present', 'deploying', ['wait_active'], 'none', 'active', 'deploying'),
    ('present', 'active', [], 'none', 'active', 'active'),
    ('present', 'undeploying', None, None, None, None),
    ('present', 'error', None, None, None, None),
    ('reserved', 'absent', ['reserve'], 'reserved', 'reserved', 'reserved'),
    ('reserved', 'active', [], 'none', 'active', 'active'),
    ('reserved', 'reserved', [], 'none', 'reserved', 'reserved'),
    ('absent', 'absent', [], 'none', 'absent', 'absent'),
    ('absent', 'reserved', ['release'], 'released', 'absent', 'absent'),
    ('absent', 'allocation_error', ['drop_allocation'], 'released', 'absent', 'absent'),
    ('absent', 'active', ['undeploy', 'wait_available'], 'unprovisioned', 'absent', 'undeploying'),
    ('absent', 'deploying', ['wait_deployed', 'undeploy', 'wait_available'], 'unprovisioned', 'absent', 'undeploying'),
    ('absent', 'undeploying', ['wait_available'], 'none', 'absent', 'undeploying'),
])
def test_plan(state, status, steps, action, after_wait, after_nowait):
    assert plan.plan_steps(state, status) == steps
    if steps is None:
        return
    assert plan.action_of(steps) == action
    assert plan.predicted_status(state, steps, status, True) == after_wait
    assert plan.predicted_status(state, steps, status, False) == after_nowait


# ------------------------------------------------------------------------------------------------
# plan_instances: validation before any write
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('instances, services, message', [
    ([spec('a', traits=['CUSTOM_NOPE'])], (),
     "instance 'a': no available node matches resource_class 'baremetal', traits CUSTOM_NOPE"),
    ([spec('a', capabilities={'boot_mode': 'nope'})], (),
     'existing capabilities: boot_mode=bios (2 node(s)), boot_mode=uefi (2 node(s))'),
    ([spec('a', candidates=['ghost'])], (), "instance 'a': no usable node among the candidates: unknown candidate node 'ghost'"),
    ([spec('a', nics=[{'network': 'ctlplane'}])], (), "instance 'a': nics need the network service (Neutron)"),
    ([spec('a', image={'href': 'http://x/disk.img', 'checksum': 'http://x/SHA256SUMS'})], (),
     "instance 'a': cannot download checksum file http://x/SHA256SUMS: HTTP Error 404"),
    ([spec('a', image={'href': 'http://x/other.img', 'checksum': 'http://x/OK'})], (),
     'there is no checksum for other.img in http://x/OK'),
    ([spec('a', image='http://x/disk.img')], (), 'image.checksum is required for HTTP and file images'),
    ([spec('a', image='overcloud-full')], (), "image 'overcloud-full' is not an http(s):// or file:// URL and the cloud "
                                              "has no image service"),
    ([spec('g%d' % i, traits=['CUSTOM_GOLD']) for i in range(3)], (),
     'not enough available nodes for every new instance: no node left for g2'),
])
def test_prepare_errors_write_nothing(instances, services, message):
    conn, helper = make_cloud(services=('baremetal',) + services, checksums={'http://x/OK': SHA + '  disk.img\n'})
    with pytest.raises(InvalidInput) as err:
        run(helper, instances)
    assert message in err.value.msg, err.value.msg
    assert err.value.msg.startswith('Nothing was changed: ')
    assert conn.baremetal.writes == []


def test_prepare_reports_every_problem_at_once():
    conn, helper = make_cloud()
    with pytest.raises(InvalidInput) as err:
        run(helper, [spec('a', traits=['CUSTOM_NOPE']), spec('b', candidates=['ghost'])])
    assert len(err.value.details['problems']) == 2


def test_candidate_in_maintenance():
    nodes = [FakeNode('n0', maintenance=True), FakeNode('n1')]
    conn, helper = make_cloud(nodes)
    with pytest.raises(InvalidInput, match=r'candidate node n0 \(uuid-n0\) is in maintenance \(broken fan\)'):
        run(helper, [spec('a', name='n0')])
    assert conn.baremetal.writes == []


def test_checksum_url_resolved_once():
    conn, helper = make_cloud(checksums={'http://x/SUMS': '%s  disk.img\n' % SHA})
    image = {'href': 'http://x/disk.img', 'checksum': 'http://x/SUMS'}
    jobs = run(helper, [spec('a', image=image), spec('b', image=image)])
    node = conn.baremetal._node(jobs[0].current['node'].id)
    assert node.instance_info['image_os_hash_value'] == SHA


def test_active_instance_on_other_node_than_requested():
    conn, helper = make_cloud()
    run(helper, [spec('a', name='n0')])
    with pytest.raises(InvalidInput, match="instance 'a' is already on node n0 .* not among the requested candidates n1"):
        run(helper, [spec('a', name='n1')])


# ------------------------------------------------------------------------------------------------
# apply: provisioning, idempotency, absent, reserved
# ------------------------------------------------------------------------------------------------

def _writes_by_target(writes):
    by = {}
    for write in writes:
        by.setdefault(write[1], []).append(write)
    return by


def test_present_then_idempotent():
    conn, helper = make_cloud()
    instances = [spec('web-%d' % i, ssh_public_keys=['k'], user_name='admin') for i in range(3)]
    run(helper, instances)
    proxy = conn.baremetal
    assert sorted(w[0] for w in proxy.writes).count('create_allocation') == 3
    active = [n for n in proxy._nodes.values() if n.provision_state == 'active']
    assert sorted(n.instance_info['display_name'] for n in active) == ['web-0', 'web-1', 'web-2']
    drive = active[0].config_drive
    assert drive['meta_data']['hostname'] == active[0].instance_info['display_name']
    assert drive['user_data'].startswith('#cloud-config\n')
    proxy.writes[:] = []
    jobs = run(helper, instances)
    assert proxy.writes == []
    assert [j.steps for j in jobs] == [[], [], []]


def test_present_order_of_writes_per_instance():
    conn, helper = make_cloud()
    run(helper, [spec('one', name='n1')])
    assert conn.baremetal.writes == [
        ('create_allocation', 'one'),
        ('patch_node', 'n1', ['/instance_info']),
        ('provision', 'n1', 'active'),
    ]


def test_reserved_then_present_then_absent():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    jobs = run(helper, [spec('r1', traits=['CUSTOM_SILVER'])], state='reserved')
    node_id = jobs[0].current['node'].id
    assert proxy._node(node_id).provision_state == 'available' and proxy._node(node_id).allocation_id
    assert run(helper, [spec('r1')], state='reserved')[0].steps == []
    jobs = run(helper, [spec('r1')])
    assert jobs[0].steps == ['provision', 'wait_active'] and proxy._node(node_id).provision_state == 'active'
    jobs = run(helper, [spec('r1')], state='absent')
    assert proxy._node(node_id).provision_state == 'available' and not proxy._allocations


def test_absent_releases_a_reservation_and_leaves_others():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    run(helper, [spec('keep'), spec('drop')], state='reserved')
    proxy.writes[:] = []
    run(helper, [spec('drop'), spec('never-existed')], state='absent')
    assert proxy.writes == [('delete_allocation', 'drop')]
    assert [a.name for a in proxy._allocations.values()] == ['keep']


def test_absent_finds_old_metalsmith_instance_by_display_name():
    node = FakeNode('n0', state='active')
    node.instance_id = node.id
    node.instance_info = {'display_name': 'legacy'}
    nova = FakeNode('n1', state='active')
    nova.instance_id = 'some-nova-server'
    nova.instance_info = {'display_name': 'legacy-nova'}
    conn, helper = make_cloud([node, nova])
    assert helper.snapshot().find('legacy-nova') == {'allocation': None, 'node': None}
    run(helper, [spec('legacy'), spec('legacy-nova')], state='absent')
    assert conn.baremetal.writes == [('provision', 'n0', 'deleted')]


def test_wait_false_returns_while_deploying():
    conn, helper = make_cloud()
    jobs = run(helper, [spec('fast')], wait=False)
    assert conn.baremetal._node(jobs[0].current['node'].id).provision_state == 'deploying'


def test_concurrency_bound(monkeypatch):
    conn, helper = make_cloud()
    active, peak = [0], [0]
    original = Executor._step_provision

    def counting(self, job, deadline):
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        try:
            original(self, job, deadline)
        finally:
            active[0] -= 1
    monkeypatch.setattr(Executor, '_step_provision', counting)
    run(helper, [spec('c%d' % i) for i in range(4)], concurrency=1)
    assert peak[0] == 1


def test_loose_request_does_not_take_the_node_a_narrow_one_needs():
    # Ironic (and the fake) give a loose request the first free node; n0 is the only node 'pinned' can use.
    nodes = [FakeNode('n0'), FakeNode('n1'), FakeNode('n2', traits=['CUSTOM_GOLD'])]
    conn, helper = make_cloud(nodes)
    jobs = run(helper, [spec('loose'), spec('pinned', name='n0'), spec('gold', traits=['CUSTOM_GOLD'])],
               concurrency=1)
    assert [j.current['node'].name for j in jobs] == ['n1', 'n0', 'n2']


def test_reservation_widens_when_another_client_took_the_assigned_node():
    nodes = [FakeNode('n0'), FakeNode('n1'), FakeNode('n2')]
    conn, helper = make_cloud(nodes)
    proxy = conn.baremetal
    asked = []
    original = proxy.create_allocation

    def recording(**kwargs):
        asked.append((kwargs['name'], kwargs.get('candidate_nodes')))
        if len(asked) == 1:                 # someone else reserves the node 'a' was assigned meanwhile
            proxy._nodes[kwargs['candidate_nodes'][0]].allocation_id = 'other-client'
        return original(**kwargs)
    proxy.create_allocation = recording
    jobs = run(helper, [spec('a'), spec('b')], concurrency=1)
    assert asked[0] == ('a', ['uuid-n0'])
    assert asked[1] == ('a', ['uuid-n2'])   # not n1: the matching gave it to 'b'
    assert asked[2] == ('b', ['uuid-n1'])
    assert [j.current['node'].name for j in jobs] == ['n2', 'n1']


def test_single_reservation_leaves_the_choice_to_ironic():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    asked = []
    original = proxy.create_allocation

    def recording(**kwargs):
        asked.append(kwargs.get('candidate_nodes'))
        return original(**kwargs)
    proxy.create_allocation = recording
    run(helper, [spec('only')])
    assert asked == [None]


# ------------------------------------------------------------------------------------------------
# apply: failures, clean-up ordering, error aggregation
# ------------------------------------------------------------------------------------------------

def test_failure_with_clean_up_undoes_this_run_only():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    run(helper, [spec('existing', name='n3')])
    proxy._node('n1').deploy_fails = True
    proxy.writes[:] = []
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('existing', name='n3'), spec('ok', name='n0'), spec('bad', name='n1')])
    msg = err.value.msg
    assert "1 of 3 instance(s) failed: 'bad' (node n1 (uuid-n1)): the deployment of 'bad' on node n1 (uuid-n1) " \
           "failed: deploy failed: fake deploy failed." in msg
    assert 'Clean-up:' in msg and 'unprovisioned node n1 (uuid-n1)' in msg
    assert err.value.details['failed_instances'] == ['bad']
    by = _writes_by_target(proxy.writes)
    # per instance, undo in reverse order: the deploy is undone by undeploying (Ironic drops the allocation)
    assert by['n1'] == [('patch_node', 'n1', ['/instance_info']), ('provision', 'n1', 'active'),
                        ('provision', 'n1', 'deleted')]
    assert 'n3' not in by                   # there before the run: untouched
    assert all(n.provision_state == 'available' for n in proxy._nodes.values() if n.name != 'n3')
    assert [a.name for a in proxy._allocations.values()] == ['existing']


def test_failure_without_clean_up_leaves_things():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    proxy._node('n1').deploy_fails = True
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('ok', name='n0'), spec('bad', name='n1')], clean_up=False)
    assert 'clean_up is off: what was done is left as is' in err.value.msg
    assert proxy._node('n0').provision_state == 'active'
    assert proxy._node('n1').provision_state == 'deploy failed'
    # a second run continues: the failed deploy is tried again
    proxy._node('n1').deploy_fails = False
    jobs = run(helper, [spec('ok', name='n0'), spec('bad', name='n1')])
    assert [j.steps for j in jobs] == [[], ['provision', 'wait_active']]
    assert proxy._node('n1').provision_state == 'active'


def test_failed_reservation_is_released():
    nodes = [FakeNode('n0'), FakeNode('n1')]
    conn, helper = make_cloud(nodes)
    proxy = conn.baremetal
    original = proxy._allocate

    def steal(allocation):
        if allocation.name == 'b':       # another client took every node meanwhile
            allocation.state, allocation.last_error = 'error', 'no available nodes match the resource class'
            return
        original(allocation)
    proxy._allocate = steal
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('a'), spec('b')])
    assert "'b': Reserving a node for 'b' failed" in err.value.msg
    assert not proxy._allocations
    assert all(n.provision_state == 'available' and not n.instance_info for n in proxy._nodes.values())


@pytest.mark.parametrize('timeout, attempts, pauses', [
    (60, 3, [0.2, 0.3]),        # RESERVE_ATTEMPTS reservations, _wait.retry's pauses between them
    (0.3, 2, [0.2]),            # no retry whose pause would end past the instance's deadline
])
def test_reservation_retries_are_bounded_by_attempts_and_deadline(timeout, attempts, pauses):
    conn, helper = make_cloud([FakeNode('n0')])
    proxy = conn.baremetal

    def taken(allocation):        # another client takes the node every time
        allocation.state, allocation.last_error = 'error', 'no available nodes match the resource class'
    proxy._allocate = taken
    with pytest.raises(ResourceFailed, match="Reserving a node for 'a' failed: the reservation of 'a' failed: no available"):
        run(helper, [spec('a')], timeout=timeout)
    assert [w[0] for w in proxy.writes] == ['create_allocation', 'delete_allocation'] * attempts
    assert CLOCK.sleeps == pytest.approx(pauses)
    assert not proxy._allocations


def test_timeout_with_clean_up_restores_an_earlier_reservation():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    jobs = run(helper, [spec('slow', name='n2')], state='reserved')
    proxy._node('n2').deploy_polls = 50
    with pytest.raises(WaitTimeout) as err:
        run(helper, [spec('slow', name='n2')], timeout=0)
    assert "Timed out after 0s waiting for the deployment of 'slow' on node n2" in err.value.msg
    assert 'reservation slow on node n2 (uuid-n2) restored' in err.value.msg
    node = proxy._node('n2')
    assert node.provision_state == 'available'
    assert [a.name for a in proxy._allocations.values()] == ['slow'] and node.allocation_id
    assert jobs[0].current['node'].id == node.id


def test_timeout_of_a_new_instance_leaves_nothing():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    for node in proxy._nodes.values():
        node.deploy_polls = 50
    with pytest.raises(WaitTimeout):
        run(helper, [spec('t1'), spec('t2')], timeout=1)
    assert not proxy._allocations
    assert all(n.provision_state == 'available' and not n.instance_info for n in proxy._nodes.values())


def test_errors_of_several_instances_are_aggregated():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    for name in ('n0', 'n1'):
        proxy._node(name).deploy_fails = True
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('x', name='n0'), spec('y', name='n1')], clean_up=False)
    assert err.value.msg.startswith('2 of 2 instance(s) failed: ')
    assert "'x' (node n0 (uuid-n0))" in err.value.msg and "'y' (node n1 (uuid-n1))" in err.value.msg
    assert sorted(err.value.details['failed_instances']) == ['x', 'y']


def test_sdk_error_message_is_translated():
    conn, helper = make_cloud()

    def refuse(node, target, config_drive=None):
        raise sdk_exceptions.BadRequestException(details='The provisioning operation cannot be performed')
    conn.baremetal.set_node_provision_state = refuse
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('a', name='n0')])
    assert 'OpenStack API error' in err.value.msg and 'cannot be performed' in err.value.msg
    assert 'released reservation' in err.value.msg
    assert not conn.baremetal._allocations


# ------------------------------------------------------------------------------------------------
# two runs at once on one hostname: the clean-up undoes only what this run did and still owns
# ------------------------------------------------------------------------------------------------

def plan_only(helper, instances, state='present', timeout=60):
    """This run's plan, made now; ``apply_instances`` later (another run may act in between)."""
    specs = bm_spec.normalize_instances(instances, state)
    helper.snapshot()
    return plan.plan_instances(helper, bm_spec.DesiredInstances(specs, state, True, timeout, 0, True))


def another_run_first(proxy, action):
    """``action()`` (another run) runs once, just before this run's first provision PUT reaches Ironic."""
    original, pending = proxy.put, [action]

    def put(url, **kwargs):
        if pending:
            pending.pop()()
        return original(url, **kwargs)
    proxy.put = put


def test_rejected_deploy_of_a_reservation_leaves_the_other_runs_deploy():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    run(helper, [spec('twin', name='n1')], state='reserved')
    mine = plan_only(helper, [spec('twin')])                 # both runs see 'twin' reserved on n1
    another_run_first(proxy, lambda: run(bm_api.BaremetalApi(conn), [spec('twin')]))
    proxy.writes[:] = []
    with pytest.raises(ResourceFailed) as err:
        apply_instances(helper, mine, new_deadline=CLOCK.deadline)
    msg = err.value.msg
    assert 'The requested action "active" can not be performed on node "uuid-n1" while it is in state "active"' in msg
    node = proxy._node('n1')
    assert node.provision_state == 'active' and node.allocation_id       # the other run's instance stands
    assert ('provision', 'n1', 'deleted') not in proxy.writes
    assert [a.name for a in proxy._allocations.values()] == ['twin']
    assert node.instance_info['display_name'] == 'twin' and node.instance_info['image_source'] == IMAGE['href']
    assert "Clean-up: twin: left node n1 (uuid-n1) as it is: it is in provision state 'active'" in msg
    assert err.value.details['cleanup_skipped'] == [
        "twin: left node n1 (uuid-n1) as it is: it is in provision state 'active', a deployment this run did not "
        "start (its instance_info was not cleared)"]


def test_deploy_of_a_reservation_another_run_deployed_since_the_plan_writes_nothing():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    run(helper, [spec('twin', name='n1')], state='reserved')
    mine = plan_only(helper, [spec('twin')])
    run(bm_api.BaremetalApi(conn), [spec('twin')])            # another run, between this run's plan and apply
    proxy.writes[:] = []
    with pytest.raises(ResourceFailed) as err:
        apply_instances(helper, mine, new_deadline=CLOCK.deadline)
    assert ("node n1 (uuid-n1) of 'twin' is now in provision state 'active', a deployment this run did not start; "
            "nothing was written to it") in err.value.msg
    assert proxy.writes == [] and proxy._node('n1').provision_state == 'active'


def test_rejected_deploy_of_a_new_reservation_keeps_it_for_the_run_that_deployed_it():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    # this run reserves 'twin'; another run sees the reservation and deploys it before this run can
    another_run_first(proxy, lambda: run(bm_api.BaremetalApi(conn), [spec('twin')]))
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('twin', name='n2')])
    assert 'can not be performed on node "uuid-n2" while it is in state "active"' in err.value.msg
    node = proxy._node('n2')
    assert node.provision_state == 'active' and node.allocation_id
    assert [a.name for a in proxy._allocations.values()] == ['twin']
    assert ('provision', 'n2', 'deleted') not in proxy.writes
    assert [w for w in proxy.writes if w[0] == 'delete_allocation'] == []
    skipped = err.value.details['cleanup_skipped']
    assert len(skipped) == 2 and skipped[0].startswith('twin: left node n2 (uuid-n2) as it is: ')
    assert skipped[1] == ("twin: kept reservation alloc-1: its node n2 (uuid-n2) is in provision state 'active', "
                          "a deployment this run did not start")


def test_clean_up_leaves_a_node_that_another_instance_took_meanwhile():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    proxy._node('n1').deploy_fails = True
    original, pending = proxy.get_node, [True]

    def get_node(ident):
        node = original(ident)
        if node.provision_state == 'deploy failed' and pending:
            pending.pop()
            # before this run cleans up, another run removes the instance and deploys its own on the node
            proxy._node('n1').deploy_fails = False
            other = bm_api.BaremetalApi(conn)
            run(other, [spec('mine')], state='absent')
            run(other, [spec('theirs', name='n1')])
        return node
    proxy.get_node = get_node
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('mine', name='n1')])
    node = proxy._node('n1')
    assert node.provision_state == 'active' and node.instance_info['display_name'] == 'theirs'
    assert [a.name for a in proxy._allocations.values()] == ['theirs']
    assert err.value.details['cleanup_skipped'] == [
        "mine: left node n1 (uuid-n1) as it is: its instance_info.display_name is 'theirs', not 'mine' "
        "(it was not unprovisioned)"]


def test_instances_listing_for_info():
    conn, helper = make_cloud()
    run(helper, [spec('b-host', name='n1'), spec('a-host', name='n0')])
    helper.snapshot()
    listed = helper.instances()
    assert [h for dummy, h, dummy2 in listed] == ['a-host', 'b-host']
    assert [h for dummy, h, dummy2 in helper.instances(['b-host', 'nope'])] == ['b-host']
    view = plan.instance_view('a-host', dict(listed[0][2]))
    assert view['name'] == 'n0' and view['state'] == 'active' and view['allocation']['name'] == 'a-host'
    assert view['image'] == IMAGE['href'] and view['id'] == view['uuid'] == 'uuid-n0'


@pytest.mark.parametrize('state, wait, instances, expected', [
    ('present', True, [spec('v')], dict(action='provisioned', state='active', provision_state='active', image=IMAGE['href'])),
    ('present', False, [spec('v')], dict(action='provisioned', state='deploying')),
    ('reserved', True, [spec('v')], dict(action='reserved', state='deploying', status='reserved',
                                         provision_state='available')),
])
def test_job_view_after_apply(state, wait, instances, expected):
    conn, helper = make_cloud()
    jobs = run(helper, instances, state=state, wait=wait)
    view = plan.job_view(jobs[0], state, wait)
    for key, value in expected.items():
        assert view[key] == value, key
    assert view['allocation']['name'] == 'v' and view['id'] == view['uuid'] and view['name'].startswith('n')


def test_job_view_absent_keeps_the_node():
    conn, helper = make_cloud()
    run(helper, [spec('v', name='n2')])
    jobs = run(helper, [spec('v')], state='absent')
    view = plan.job_view(jobs[0], 'absent', True)
    assert view['state'] == 'absent' and view['action'] == 'unprovisioned'
    assert view['name'] == 'n2' and view['provision_state'] == 'available'
    assert view['allocation'] is None and view['image'] is None


# ------------------------------------------------------------------------------------------------
# NICs and Glance images (services the local cloud lacks): fakes of the network and image proxies
# ------------------------------------------------------------------------------------------------

class FakeResource(object):
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class FakeNetwork(object):
    def __init__(self):
        self.networks = {'ctlplane': FakeResource(id='net-ctl-0001', name='ctlplane')}
        self.subnets = {'ctl-sub': FakeResource(id='sub-1', name='ctl-sub', network_id='net-ctl-0001')}
        self.ports = {'pre-port': FakeResource(id='port-pre', name='pre-port', network_id='net-ctl-0001',
                                               fixed_ips=[{'ip_address': '10.0.0.9'}])}
        self.writes = []

    def _find(self, table, ident, ignore_missing=True):
        for item in table.values():
            if ident in (item.id, item.name):
                return item
        if ignore_missing:
            return None
        raise sdk_exceptions.NotFoundException('No resource found for %s' % ident)

    def find_network(self, ident, ignore_missing=True):
        return self._find(self.networks, ident, ignore_missing)

    def find_subnet(self, ident, ignore_missing=True):
        return self._find(self.subnets, ident, ignore_missing)

    def find_port(self, ident, ignore_missing=True):
        return self._find(self.ports, ident, ignore_missing)

    def get_port(self, ident):
        return self._find(self.ports, ident, False)

    def get_network(self, ident):
        return self._find(self.networks, ident, False)

    def create_port(self, **kwargs):
        attrs = dict(kwargs)
        address = '10.0.0.%d' % (len(self.ports) + 10)
        # Neutron fills in what was not asked: the address from the subnet, or a subnet and address
        attrs['fixed_ips'] = [dict({'ip_address': address}, **ip) for ip in kwargs.get('fixed_ips') or [{}]]
        port = FakeResource(id='port-%d' % (len(self.ports) + 1), **attrs)
        self.ports[port.id] = port
        self.writes.append(('create_port', kwargs['name']))
        return port

    def delete_port(self, ident, ignore_missing=True):
        self.writes.append(('delete_port', ident))
        self.ports.pop(ident, None)


def make_neutron_cloud():
    conn, helper = make_cloud(services=('baremetal', 'network'))
    conn.network = FakeNetwork()
    proxy = conn.baremetal
    proxy.vifs = {}

    def attach_vif_to_node(node, vif):
        proxy.writes.append(('attach_vif', proxy._node(node).name, vif))
        proxy.vifs.setdefault(proxy._node(node).id, []).append(vif)

    def detach_vif_from_node(node, vif, ignore_missing=True):
        proxy.writes.append(('detach_vif', proxy._node(node).name, vif))
        proxy.vifs.get(proxy._node(node).id, []).remove(vif)

    proxy.attach_vif_to_node = attach_vif_to_node
    proxy.detach_vif_from_node = detach_vif_from_node
    proxy.list_node_vifs = lambda node: list(proxy.vifs.get(proxy._node(node).id, []))
    return conn, helper


def test_nics_created_attached_recorded_and_removed():
    conn, helper = make_neutron_cloud()
    proxy, net = conn.baremetal, conn.network
    nics = [{'network': 'ctlplane', 'fixed_ip': '10.0.0.5'}, {'subnet': 'ctl-sub'}, {'port': 'pre-port'}]
    jobs = run(helper, [spec('nic-1', name='n0', nics=nics)])
    node = proxy._node('n0')
    assert node.provision_state == 'active'
    assert node.extra[bm_api.CREATED_PORTS] == ['port-2', 'port-3']
    assert node.extra[bm_api.ATTACHED_PORTS] == ['port-2', 'port-3', 'port-pre']
    assert net.ports['port-2'].fixed_ips == [{'ip_address': '10.0.0.5'}]
    assert net.ports['port-3'].fixed_ips == [{'subnet_id': 'sub-1', 'ip_address': '10.0.0.12'}]
    assert helper.ip_addresses(jobs[0].current['node']) == {'ctlplane': ['10.0.0.5', '10.0.0.12', '10.0.0.9']}
    run(helper, [spec('nic-1')], state='absent')
    assert proxy.vifs[node.id] == []
    assert sorted(w for w in net.writes if w[0] == 'delete_port') == [('delete_port', 'port-2'), ('delete_port', 'port-3')]
    assert 'pre-port' in net.ports          # attached, not created: detached only
    assert bm_api.CREATED_PORTS not in node.extra


def test_nics_undone_when_the_deploy_fails():
    conn, helper = make_neutron_cloud()
    proxy, net = conn.baremetal, conn.network
    proxy._node('n1').deploy_fails = True
    with pytest.raises(ResourceFailed):
        run(helper, [spec('nic-2', name='n1', nics=[{'network': 'ctlplane'}])])
    assert ('delete_port', 'port-2') in net.writes and 'port-2' not in net.ports
    assert proxy.vifs[proxy._node('n1').id] == []


def test_unknown_network_fails_before_writes():
    conn, helper = make_neutron_cloud()
    with pytest.raises(InvalidInput, match="instance 'nic-3': No resource found for nope"):
        run(helper, [spec('nic-3', nics=[{'network': 'nope'}])])
    assert conn.baremetal.writes == [] and conn.network.writes == []


class FakeImageProxy(object):
    def __init__(self, images):
        self.images = images

    def find_image(self, name, ignore_missing=True):
        return self.images.get(name)


@pytest.mark.parametrize('href, images, expected, error', [
    ('overcloud-full', {'overcloud-full': FakeResource(id='img-1', kernel_id=None, ramdisk_id=None)},
     {'image_source': 'img-1', 'image_type': 'whole-disk'}, None),
    ('part', {'part': FakeResource(id='img-2', kernel_id='k-1', ramdisk_id='r-1')},
     {'image_source': 'img-2', 'kernel': 'k-1', 'ramdisk': 'r-1', 'image_type': 'partition'}, None),
    ('missing', {}, None, "image 'missing' not found in the image service"),
])
def test_glance_images(href, images, expected, error):
    conn, helper = make_cloud(services=('baremetal', 'image'))
    conn.image = FakeImageProxy(images)
    s = bm_spec.normalize_instance(dict(hostname='g', image=href), 0, 'present')
    if error:
        with pytest.raises(ValueError, match=error):
            helper.image_info(s)
    else:
        assert helper.image_info(s) == expected


def test_absent_of_an_instance_in_maintenance_fails_before_writes():
    conn, helper = make_cloud()
    run(helper, [spec('m', name='n0')])
    node = conn.baremetal._node('n0')
    node.is_maintenance, node.maintenance_reason = True, 'disk swap'
    conn.baremetal.writes[:] = []
    with pytest.raises(InvalidInput, match=r"instance 'm': node n0 \(uuid-n0\) is in maintenance \(disk swap\)"):
        run(helper, [spec('m')], state='absent')
    assert conn.baremetal.writes == []
    # present leaves an active instance in maintenance alone
    assert run(helper, [spec('m')])[0].steps == []


# ------------------------------------------------------------------------------------------------
# The module's checksum download: the task's TLS settings, its time left, a warning for http://
# ------------------------------------------------------------------------------------------------

class FakeHttpResponse(object):
    def __init__(self, text):
        self.text = text

    def read(self):
        return self.text.encode()


def run_module(monkeypatch, capsys, image_checksum, deadline=None, **args):
    """baremetal_instance in check mode on the fake cloud: (JSON result with the module's own warnings under
    ``_warned``, the open_url calls' URLs and kwargs). ``deadline(seconds)`` makes the task's Deadline."""
    from module_args import patch_module_args
    from ansible_collections.cloudrise.openstack.plugins.modules import baremetal_instance
    calls, warned = [], []

    def open_url(url, **kwargs):
        calls.append((url, kwargs))
        return FakeHttpResponse('%s  disk.img\n' % SHA)
    monkeypatch.setattr(baremetal_instance, 'open_url', open_url)
    monkeypatch.setattr(baremetal_instance.BaremetalInstanceModule, 'conn', make_cloud()[0])
    # ansible-core's warning list is process-wide: record this module's warnings itself
    monkeypatch.setattr(baremetal_instance.BaremetalInstanceModule, 'warn', lambda self, msg: warned.append(msg))
    from ansible_collections.cloudrise.openstack.plugins.module_utils import _base
    # the task's deadline is made by the base when the task starts
    monkeypatch.setattr(_base, 'Deadline', deadline or CLOCK.deadline)
    monkeypatch.setattr(baremetal_instance, 'Deadline', deadline or CLOCK.deadline)
    params = dict(instances=[dict(hostname='sum', image=dict(href='http://x/disk.img', checksum=image_checksum))],
                  _ansible_check_mode=True)
    params.update(args)
    with patch_module_args(params):
        with pytest.raises(SystemExit):
            baremetal_instance.BaremetalInstanceModule()()
    return dict(json.loads(capsys.readouterr().out), _warned=warned), calls


@pytest.mark.parametrize('checksum, warned', [
    ('http://x/SHA256SUMS', True),
    ('https://x/SHA256SUMS', False),
])
def test_checksum_download_warns_on_plain_http(monkeypatch, capsys, checksum, warned):
    result, calls = run_module(monkeypatch, capsys, checksum)
    assert result['changed'] and not result.get('failed'), result
    assert [url for url, dummy in calls] == [checksum]
    warning = ('The image checksum file %s is downloaded over plain http://: anyone on the network path can change '
               'it along with the image, so it does not prove the image is intact. Use an https:// checksum URL or '
               'give the checksum itself.' % checksum)
    assert result['_warned'] == ([warning] if warned else [])


@pytest.mark.parametrize('args, expected', [
    ({}, dict(validate_certs=True, ca_path=None, client_cert=None, client_key=None, timeout=30)),
    (dict(validate_certs=False), dict(validate_certs=False)),
    (dict(ca_cert='/etc/ca.pem', client_cert='/etc/c.pem', client_key='/etc/c.key'),
     dict(validate_certs=True, ca_path='/etc/ca.pem', client_cert='/etc/c.pem', client_key='/etc/c.key')),
    (dict(cacert='/etc/ca2.pem', verify=True), dict(ca_path='/etc/ca2.pem', validate_certs=True)),
])
def test_checksum_download_uses_the_tasks_tls_settings(monkeypatch, capsys, args, expected):
    result, calls = run_module(monkeypatch, capsys, 'https://x/SHA256SUMS', **args)
    assert not result.get('failed'), result
    (url, kwargs), = calls
    for key, value in expected.items():
        assert kwargs[key] == value, key


@pytest.mark.parametrize('timeout, bounded', [(3600, 30), (8, 8)])
def test_checksum_download_is_bounded_by_the_tasks_time_left(monkeypatch, capsys, timeout, bounded):
    result, calls = run_module(monkeypatch, capsys, 'https://x/SHA256SUMS', timeout=timeout)
    assert not result.get('failed'), result
    assert calls[0][1]['timeout'] == bounded


def test_checksum_download_with_no_time_left(monkeypatch, capsys):
    def spent(seconds):
        deadline = CLOCK.deadline(seconds)
        CLOCK.tick(seconds)
        return deadline
    result, calls = run_module(monkeypatch, capsys, 'https://x/SHA256SUMS', deadline=spent, timeout=5)
    assert result['failed'] and calls == []
    assert ("instance 'sum': cannot download checksum file https://x/SHA256SUMS: no time left of the task's "
            "timeout (5s)") in result['msg']


# ------------------------------------------------------------------------------------------------
# Config-drive secrets (issue 10 #1): the no_log suboptions, merged; never in the output or the log line
# ------------------------------------------------------------------------------------------------

SECRET_CANARY = 'canary-Bm77-no-log'      # a secret_cloud_config value
PLAIN_CANARY = 'canary-Bm78-user-data'    # a value typed in cloud_config (no no_log): still never returned


@pytest.mark.parametrize('drive, expected', [
    (None, dict(cloud_config=None, meta_data=None)),
    (dict(cloud_config={'a': 1}, secret_cloud_config={'b': 's'}), dict(cloud_config={'a': 1, 'b': 's'}, meta_data=None)),
    (dict(secret_cloud_config={'b': 's'}, secret_meta_data={'m': 't'}), dict(cloud_config={'b': 's'}, meta_data={'m': 't'})),
    (dict(meta_data={'m': 1}, secret_meta_data={}), dict(cloud_config=None, meta_data={'m': 1})),
])
def test_merge_config_drive_secrets(drive, expected):
    assert bm_spec.merge_config_drive_secrets(drive) == expected


@pytest.mark.parametrize('drive, message', [
    (dict(cloud_config={'users': [], 'a': 1}, secret_cloud_config={'users': [SECRET_CANARY]}),
     'a key is set in both config_drive.cloud_config and config_drive.secret_cloud_config: users'),
    (dict(secret_meta_data='x'), 'config_drive.secret_meta_data must be a dict'),
])
def test_merge_config_drive_secrets_errors(drive, message):
    with pytest.raises(ValueError) as err:
        bm_spec.merge_config_drive_secrets(drive)
    assert str(err.value) == message and SECRET_CANARY not in str(err.value)


def run_drive_module(monkeypatch, capsys, conn, **params):
    """baremetal_instance as Ansible runs it, on a fake cloud: (its JSON answer, the lines it logged)."""
    from ansible.module_utils.basic import AnsibleModule
    from module_args import INJECT_INVOCATION, patch_module_args
    from ansible_collections.cloudrise.openstack.plugins.modules import baremetal_instance
    logged = []
    monkeypatch.setattr(AnsibleModule, 'log', lambda self, msg, log_args=None: logged.append(msg))
    monkeypatch.setattr(baremetal_instance.BaremetalInstanceModule, 'conn', conn)
    with patch_module_args(dict(params, _ansible_diff=True, **INJECT_INVOCATION)):
        with pytest.raises(SystemExit):
            baremetal_instance.main()
    return json.loads(capsys.readouterr().out), logged


def drive_instance(hostname, **kwargs):
    return spec(hostname, user_name='admin', config_drive=dict(
        cloud_config={'write_files': [{'path': '/etc/motd', 'content': PLAIN_CANARY}]},
        secret_cloud_config={'chpasswd': {'list': 'root:' + SECRET_CANARY, 'expire': False}},
        meta_data={'role': PLAIN_CANARY}, secret_meta_data={'token': SECRET_CANARY}), **kwargs)


def test_config_drive_secrets_reach_ironic_but_not_the_output_or_the_log(monkeypatch, capsys):
    conn, _helper = make_cloud()
    result, logged = run_drive_module(monkeypatch, capsys, conn, instances=[drive_instance('web-1')], wait=False)
    assert result['changed'] and not result.get('failed'), result
    node = [n for n in conn.baremetal._nodes.values() if getattr(n, 'config_drive', None)][0]
    user_data = node.config_drive['user_data']
    assert SECRET_CANARY in user_data and PLAIN_CANARY in user_data and 'admin' in user_data
    assert node.config_drive['meta_data']['token'] == SECRET_CANARY
    assert SECRET_CANARY not in json.dumps(result)
    answer = dict((k, v) for k, v in result.items() if k != 'invocation')    # the options as given: logged
    assert PLAIN_CANARY not in json.dumps(answer)                             # the result and diff never echo it
    assert 'user_data' not in json.dumps(result['instances'])
    assert logged and all(SECRET_CANARY not in line for line in logged)


def test_config_drive_secrets_stay_out_of_invocation_of_an_early_failure(monkeypatch, capsys):
    conn, _helper = make_cloud()
    bad = drive_instance('web-1', image={'href': 'http://127.0.0.1:8089/disk.img'})     # no checksum: fails
    result, logged = run_drive_module(monkeypatch, capsys, conn, instances=[bad])
    assert result['failed'] and 'image.checksum is required' in result['msg']
    assert conn.baremetal.writes == []
    drive = result['invocation']['module_args']['instances'][0]['config_drive']
    assert drive['secret_cloud_config']['chpasswd']['list'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert drive['secret_meta_data'] == {'token': 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'}
    assert SECRET_CANARY not in json.dumps(result)
    assert logged and all(SECRET_CANARY not in line for line in logged)
    assert any('Invoked with' in line for line in logged)


# ------------------------------------------------------------------------------------------------
# Two runs at once on one hostname (issue 10 #10): the run that loses says so, and changes nothing of the other's
# ------------------------------------------------------------------------------------------------

def test_refused_deploy_names_the_other_run():
    conn, helper = make_cloud()
    another_run_first(conn.baremetal, lambda: run(bm_api.BaremetalApi(conn), [spec('twin')]))
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('twin', name='n2')])
    msg = err.value.msg
    assert ("'twin' (node n2 (uuid-n2)): another run deployed the same hostname at the same time (node n2 (uuid-n2) "
            "is now in provision state 'active'); Ironic refused this run's deploy request: ") in msg
    assert 'can not be performed on node "uuid-n2" while it is in state "active"' in msg   # Ironic's reason kept
    assert conn.baremetal._node('n2').provision_state == 'active'


def test_refused_deploy_for_another_reason_is_reported_as_is(monkeypatch):
    conn, helper = make_cloud()

    def maintenance_first():
        conn.baremetal._node('n2').is_maintenance = True
    another_run_first(conn.baremetal, maintenance_first)
    with pytest.raises(ResourceFailed) as err:
        run(helper, [spec('twin', name='n2')])
    assert 'node n2 is in maintenance mode' in err.value.msg and 'another run' not in err.value.msg


def test_reservation_taken_by_another_run_at_the_same_time_fails_clearly_and_writes_nothing():
    conn, helper = make_cloud()
    proxy = conn.baremetal
    mine = plan_only(helper, [spec('twin')])                   # 'twin' absent: this run will reserve it
    run(bm_api.BaremetalApi(conn), [spec('twin')])              # another run reserves and deploys it first
    proxy.writes[:] = []
    with pytest.raises(ResourceFailed) as err:
        apply_instances(helper, mine, new_deadline=CLOCK.deadline)
    assert ("'twin': another run reserved the same hostname at the same time (Ironic: An allocation with name twin "
            "already exists); this run changed nothing") in err.value.msg
    assert proxy.writes == [('create_allocation', 'twin')]
    assert [a.name for a in proxy._allocations.values()] == ['twin'] and proxy._node('n0').provision_state == 'active'
    again = plan_only(helper, [spec('twin')])
    assert [job.steps for job in again.jobs] == [[]]             # a re-run has nothing to do
