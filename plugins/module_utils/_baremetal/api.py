# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reads and writes against the cloud: ``BaremetalApi`` over ``conn.baremetal`` (and Neutron, Glance).

One snapshot of every node (with details) and allocation per run, finding an instance by hostname in it,
the checks that need the cloud before any write (checksum files, Glance images, NIC networks), the
provision state PUT (config drive as a dict), and NIC attach/detach recorded metalsmith's way.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from urllib.parse import urlparse

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.image import image_instance_info, parse_checksum_file
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.spec import HOSTNAME_FIELD, link_type
# the SDK's exception modules, imported once (None without the SDK, which the base reports)
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import ksa_exceptions, sdk_exceptions

CREATED_PORTS = 'metalsmith_created_ports'
ATTACHED_PORTS = 'metalsmith_attached_ports'
CONFIG_DRIVE_DICT_VERSION = '1.56'        # config drive as a JSON dict
# node locked: retried by keystoneauth (as the SDK's baremetal proxy does). A 503 (conductor at a limit, no free worker)
# is retried by the executor within the instance's deadline, with longer pauses (executor.BUSY_BACKOFF).
RETRIABLE_STATUS_CODES = [409]


def not_found_error():
    return sdk_exceptions.NotFoundException if sdk_exceptions is not None else LookupError


class BaremetalApi(object):
    """The cloud of one module run: a snapshot of nodes and allocations, and the calls that read or write."""

    def __init__(self, conn, fetch_url=None):
        self.conn = conn
        self.bm = conn.baremetal
        self.fetch_url = fetch_url
        self.nodes = None
        self.allocations = None
        self._checksums = {}
        self._services = {}

    # -- reading --------------------------------------------------------------------------------
    def snapshot(self):
        """Read all visible nodes (details) and allocations once."""
        self.nodes = list(self.bm.nodes(details=True))
        self.allocations = list(self.bm.allocations())
        return self

    def find(self, hostname):
        """{'allocation', 'node'} carrying ``hostname`` (allocation name first, then metalsmith's display_name)."""
        by_id = dict((n.id, n) for n in self.nodes)
        for allocation in self.allocations:
            if allocation.name == hostname:
                return {'allocation': allocation, 'node': by_id.get(allocation.node_id)}
        for node in self.nodes:
            info = node.instance_info or {}
            if info.get(HOSTNAME_FIELD) == hostname and node.instance_id == node.id and not node.allocation_id:
                return {'allocation': None, 'node': node}
        return {'allocation': None, 'node': None}

    def find_by_node(self, name_or_id):
        """(hostname, {'allocation', 'node'}) of the instance on the node named ``name_or_id`` (or with that UUID),
        or None when no such node carries an instance (an allocation, or metalsmith's display_name)."""
        for node in self.nodes:
            if name_or_id not in (node.id, node.name):
                continue
            for allocation in self.allocations:
                if allocation.node_id == node.id and allocation.name:
                    return allocation.name, {'allocation': allocation, 'node': node}
            hostname = (node.instance_info or {}).get(HOSTNAME_FIELD)
            if hostname and node.instance_id == node.id and not node.allocation_id:
                return hostname, {'allocation': None, 'node': node}
        return None

    def lookup(self, key):
        """(hostname, current) of the instance named ``key`` as a hostname, else as a node's name or UUID (as
        metalsmith's show and unprovision take either), or None."""
        current = self.find(key)
        if current['allocation'] is not None or current['node'] is not None:
            return key, current
        return self.find_by_node(key)

    def instances(self, keys=None):
        """Every instance (allocation name or metalsmith display_name), or those of ``keys`` (hostnames, node
        names or node UUIDs) as [(key, hostname, current)]; a key without an instance is left out."""
        if keys:
            found = [(key, self.lookup(key)) for key in keys]
            return [(key, f[0], f[1]) for key, f in found if f is not None]
        names = [a.name for a in self.allocations if a.name]
        allocated = set(a.node_id for a in self.allocations if a.node_id)
        for node in self.nodes:
            info = node.instance_info or {}
            if info.get(HOSTNAME_FIELD) and node.instance_id == node.id and node.id not in allocated:
                names.append(info[HOSTNAME_FIELD])
        return [(h, h, self.find(h)) for h in sorted(set(names))]

    def service_available(self, service_type):
        if service_type not in self._services:
            try:
                self._services[service_type] = bool(self.conn.has_service(service_type))
            except (sdk_exceptions.SDKException, ksa_exceptions.ClientException):
                self._services[service_type] = False
        return self._services[service_type]

    def ip_addresses(self, node):
        """{network name: [ip, ...]} of the node's VIFs, empty without a network service (as metalsmith's)."""
        if node is None or not self.service_available('network'):
            return {}
        result = {}
        for vif in self.bm.list_node_vifs(node):
            try:
                port = self.conn.network.get_port(vif)
            except not_found_error():
                continue
            network = self.conn.network.get_network(port.network_id)
            ips = [ip['ip_address'] for ip in port.fixed_ips or [] if ip.get('ip_address')]
            result.setdefault(network.name or network.id, []).extend(ips)
        return result

    # -- validation -----------------------------------------------------------------------------
    def resolve_checksum(self, image):
        """The image's checksum; a checksum URL is downloaded and parsed here (before any write)."""
        checksum = image['checksum']
        if link_type(checksum) != 'http':
            return checksum
        if checksum not in self._checksums:
            if self.fetch_url is None:
                raise ValueError('cannot download checksum file %s: no HTTP client' % checksum)
            try:
                text = self.fetch_url(checksum)
            except Exception as exc:  # the HTTP client's errors vary (urllib, ansible's open_url)
                raise ValueError('cannot download checksum file %s: %s' % (checksum, exc))
            self._checksums[checksum] = text
        filename = os.path.basename(urlparse(image['href']).path)
        value = parse_checksum_file(self._checksums[checksum], filename)
        if value is None:
            raise ValueError('there is no checksum for %s in %s' % (filename, checksum))
        return value

    def image_info(self, spec):
        """instance_info image keys for ``spec``; raises ValueError with a clear reason."""
        image = spec['image']
        kind = link_type(image['href'])
        if kind == 'glance':
            if image['checksum'] or image['kernel'] or image['ramdisk']:
                raise ValueError('checksum, kernel and ramdisk cannot be given for a Glance image (%s)' % image['href'])
            if not self.service_available('image'):
                raise ValueError("image '%s' is not an http(s):// or file:// URL and the cloud has no image service "
                                 "(Glance) to look it up" % image['href'])
            found = self.conn.image.find_image(image['href'], ignore_missing=True)
            if found is None:
                raise ValueError("image '%s' not found in the image service" % image['href'])
            return image_instance_info(image, glance_image={
                'id': found.id, 'kernel': getattr(found, 'kernel_id', None), 'ramdisk': getattr(found, 'ramdisk_id', None)})
        for key in ('kernel', 'ramdisk'):
            if image[key] and link_type(image[key]) != kind:
                raise ValueError('image.%s must be a %s link like image.href' % (key, kind))
        if not image['checksum']:
            raise ValueError('image.checksum is required for HTTP and file images')
        if kind == 'file' and link_type(image['checksum']) == 'http':
            raise ValueError('image.checksum cannot be a URL for file images')
        return image_instance_info(image, resolved_checksum=self.resolve_checksum(image))

    def check_nics(self, spec):
        """Resolve the NICs' networks/subnets/ports (they must exist) before any write."""
        if not spec['nics']:
            return
        if not self.service_available('network'):
            raise ValueError('nics need the network service (Neutron), which is not in the cloud catalog; '
                             'remove nics to deploy without it')
        for nic in spec['nics']:
            if nic.get('network'):
                self.conn.network.find_network(nic['network'], ignore_missing=False)
            elif nic.get('subnet'):
                self.conn.network.find_subnet(nic['subnet'], ignore_missing=False)
            else:
                self.conn.network.find_port(nic['port'], ignore_missing=False)

    def get_node(self, node_id):
        return self.bm.get_node(node_id)

    def find_allocation_named(self, name):
        """The allocation named ``name`` now (Ironic's names are unique), or None."""
        for allocation in self.bm.allocations():
            if allocation.name == name:
                return allocation
        return None

    def get_allocation_or_none(self, allocation_id):
        try:
            return self.bm.get_allocation(allocation_id)
        except not_found_error():
            return None

    # -- writing --------------------------------------------------------------------------------
    def set_provision_state(self, node_id, target, config_drive=None):
        """One PUT (the SDK's set_node_provision_state GETs the node after it; the waits poll anyway)."""
        body, microversion = {'target': target}, None
        if config_drive is not None:
            body['configdrive'] = config_drive
            microversion = CONFIG_DRIVE_DICT_VERSION
        response = self.bm.put('/nodes/%s/states/provision' % node_id, json=body, microversion=microversion,
                               retriable_status_codes=RETRIABLE_STATUS_CODES)
        sdk_exceptions.raise_from_response(
            response, error_message='Failed to set provision state of node %s to %s' % (node_id, target))

    # NICs (need Neutron; metalsmith records them in node.extra)
    def attach_nics(self, hostname, node, nics, record):
        """Create or find each NIC's port and attach it; ``record(kind, data)`` is told each write, for undo."""
        created, attached = [], []
        net = self.conn.network
        for nic in nics:
            if nic.get('port'):
                port = net.find_port(nic['port'], ignore_missing=False)
            else:
                if nic.get('subnet'):
                    subnet = net.find_subnet(nic['subnet'], ignore_missing=False)
                    network_id, fixed_ips = subnet.network_id, [{'subnet_id': subnet.id}]
                else:
                    network = net.find_network(nic['network'], ignore_missing=False)
                    network_id = network.id
                    fixed_ips = [{'ip_address': nic['fixed_ip']}] if nic.get('fixed_ip') else None
                kwargs = dict(network_id=network_id, name='%s-%s' % (hostname, network_id[:8]))
                if fixed_ips:
                    kwargs['fixed_ips'] = fixed_ips
                port = net.create_port(**kwargs)
                created.append(port.id)
                record('port', port.id)
            self.bm.attach_vif_to_node(node, port.id)
            attached.append(port.id)
            record('vif', (node.id, port.id))
        extra = dict(node.extra or {})
        extra[CREATED_PORTS], extra[ATTACHED_PORTS] = created, attached
        self.bm.patch_node(node, [{'op': 'add', 'path': '/extra', 'value': extra}])
        return None

    def detach_nics(self, node):
        extra = node.extra or {}
        attached, created = extra.get(ATTACHED_PORTS) or [], extra.get(CREATED_PORTS) or []
        if not (attached or created):
            return
        for port_id in attached:
            self.bm.detach_vif_from_node(node, port_id, ignore_missing=True)
        for port_id in created:
            self.conn.network.delete_port(port_id, ignore_missing=True)
        extra = dict((k, v) for k, v in extra.items() if k not in (CREATED_PORTS, ATTACHED_PORTS))
        self.bm.patch_node(node, [{'op': 'add', 'path': '/extra', 'value': extra}])
