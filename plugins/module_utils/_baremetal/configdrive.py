# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config drive: cloud-init user data (metalsmith's admin user and keys, the user's raw user data), meta data
and the user's network_data.json; the checks of the user's parts, made before anything is read or written.

Given to Ironic as a dict with the provision state change (API microversion 1.56). Ironic keeps that dict as JSON
in the node's ``instance_info`` (its database) until the deployment builds the ISO image from it.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import ipaddress
import json
import re

# cloud-init's content types by the start of the user data (cloudinit/handlers/__init__.py INCLUSION_TYPES_MAP:
# it lowercases the text, strips leading blanks and takes the longest prefix that matches)
USER_DATA_TYPES = (
    ('## template: jinja', 'text/jinja2'),
    ('#cloud-config-archive', 'text/cloud-config-archive'),
    ('#cloud-config-jsonp', 'text/cloud-config-jsonp'),
    ('#cloud-boothook', 'text/cloud-boothook'),
    ('#cloud-config', 'text/cloud-config'),
    ('#include-once', 'text/x-include-once-url'),
    ('#part-handler', 'text/part-handler'),
    ('#include', 'text/x-include-url'),
    ('#!', 'text/x-shellscript'),
)
# a part cloud-init does not recognise is text/plain: cloud-init then looks at its start itself (and skips it)
UNKNOWN_USER_DATA_TYPE = 'text/plain'
# fixed, so that the same task renders the same bytes; a part that contains it is refused
MIME_BOUNDARY = '===============cloudrise-openstack-user-data=='
_MIME_START = re.compile(r'^\s*(content-type|mime-version)\s*:', re.I)

# The largest config drive: Ironic keeps the dict as JSON in instance_info and writes the whole column with one SQL
# statement. MariaDB's default max_allowed_packet is 16 MiB (MySQL 8: 64 MiB); above it the conductor's write fails
# ("MySQL server has gone away") and the node stays in 'deploying' until the conductor restarts (seen on Ironic 39).
# 1 MiB is left for the rest of instance_info and the NICs' network data; far below ironic-python-agent's 64 MiB
# config drive partition.
MAX_CONFIG_DRIVE_BYTES = 15 * 1024 * 1024

# network_data.json (Nova's netutils.get_network_metadata; what cloud-init's openstack helper reads)
NETWORK_DATA_KEYS = ('links', 'networks', 'services')
PHYSICAL_LINK_TYPES = ('bgpovs', 'bridge', 'cascading', 'dvs', 'ethernet', 'hw_veb', 'hyperv', 'ovs', 'phy',
                       'tap', 'vhostuser', 'vif')   # cloud-init's KNOWN_PHYSICAL_TYPES
LINK_TYPES = ('bond', 'vlan') + PHYSICAL_LINK_TYPES
BOND_MODES = ('802.3ad', 'active-backup', 'balance-alb', 'balance-rr', 'balance-tlb', 'balance-xor', 'broadcast')
STATIC_NETWORK_TYPES = {'ipv4': 4, 'ipv6': 6}
NETWORK_TYPES = ('ipv4', 'ipv6', 'ipv4_dhcp', 'ipv6_dhcp', 'ipv6_slaac', 'ipv6_dhcpv6-stateless',
                 'ipv6_dhcpv6-stateful')
_MAC_RE = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$', re.I)


# ------------------------------------------------------------------------------------------------
# user data
# ------------------------------------------------------------------------------------------------

def render_cloud_config(spec):
    """metalsmith's CloudInitConfig: cloud_config plus the admin user, as '#cloud-config' JSON (or None)."""
    user_data = copy.deepcopy(spec['cloud_config'] or {})
    if spec['user_name']:
        user = {'name': spec['user_name'], 'groups': ['wheel']}
        if spec['passwordless_sudo']:
            user['sudo'] = 'ALL=(ALL) NOPASSWD:ALL'
        if spec['ssh_public_keys']:
            user['ssh_authorized_keys'] = list(spec['ssh_public_keys'])
        user_data.setdefault('users', []).append(user)
    if not user_data:
        return None
    return '#cloud-config\n' + json.dumps(user_data, sort_keys=True)


def user_data_type(text):
    """The MIME type cloud-init gives user data that starts like ``text``."""
    start = text.lstrip().lower()
    for prefix, content_type in USER_DATA_TYPES:
        if start.startswith(prefix):
            return content_type
    return UNKNOWN_USER_DATA_TYPE


def is_mime(text):
    return bool(_MIME_START.match(text))


def mime_multipart(parts):
    """``parts`` ([(content_type, filename, text)]) as a multipart/mixed message, the way cloud-init's make-mime
    writes one, with a fixed boundary: the same parts give the same bytes. ASCII text is kept as is (7bit),
    other text is base64 of its UTF-8 (a 7bit/8bit payload with non-ASCII text does not survive Python's
    email parser, which cloud-init uses)."""
    lines = ['Content-Type: multipart/mixed; boundary="%s"' % MIME_BOUNDARY, 'MIME-Version: 1.0', '']
    for content_type, filename, text in parts:
        if '--' + MIME_BOUNDARY in text:
            raise ValueError('config_drive.user_data contains the MIME boundary %s' % MIME_BOUNDARY)
        try:
            text.encode('ascii')
            encoding, body = '7bit', text
        except UnicodeEncodeError:
            encoding = 'base64'
            data = base64.b64encode(text.encode('utf-8')).decode('ascii')
            body = '\n'.join(data[i:i + 76] for i in range(0, len(data), 76))
        lines += ['--' + MIME_BOUNDARY,
                  'Content-Type: %s; charset="%s"' % (content_type, 'us-ascii' if encoding == '7bit' else 'utf-8'),
                  'MIME-Version: 1.0', 'Content-Transfer-Encoding: %s' % encoding,
                  'Content-Disposition: attachment; filename="%s"' % filename, '', body]
    lines += ['--%s--' % MIME_BOUNDARY, '']
    return '\n'.join(lines)


def render_user_data(spec):
    """The user data for Ironic: the generated '#cloud-config' (cloud_config, user_name), the raw
    ``user_data`` as given, or both as a multipart/mixed message (generated part first), or None."""
    generated, raw = render_cloud_config(spec), spec.get('user_data')
    if not raw:
        return generated
    if generated is None:
        return raw
    if is_mime(raw):
        raise ValueError('config_drive.user_data is a MIME message: it cannot be combined with '
                         'config_drive.cloud_config or user_name; add them to it as a part instead')
    return mime_multipart([('text/cloud-config', 'cloud-config', generated),
                           (user_data_type(raw), 'user-data', raw)])


def render_meta_data(spec, node):
    """metalsmith's GenericConfig meta_data: the user's meta_data plus keys, uuid, name and hostname."""
    meta = dict(spec['meta_data'] or {})
    meta.update({
        'public_keys': dict((str(i), key) for i, key in enumerate(spec['ssh_public_keys'])),
        'uuid': node.id,
        'name': node.name,
        'hostname': spec['hostname'],
    })
    meta.setdefault('launch_index', 0)
    meta.setdefault('availability_zone', '')
    meta.setdefault('files', [])
    meta.setdefault('meta', {})
    return meta


def render_config_drive(spec, node, network_data=None):
    """The config drive dict; the user's ``network_data`` replaces the one made for the NICs (``network_data``)."""
    drive = {'meta_data': render_meta_data(spec, node)}
    user_data = render_user_data(spec)
    if user_data is not None:
        drive['user_data'] = user_data
    network_data = spec.get('network_data') or network_data
    if network_data:
        drive['network_data'] = network_data
    return drive


# ------------------------------------------------------------------------------------------------
# size
# ------------------------------------------------------------------------------------------------

class _PlaceholderNode(object):
    """The node fields the meta data carries, at their largest (a UUID, a 255-character name)."""
    id = '00000000-0000-0000-0000-000000000000'
    name = 'n' * 255


def stored_size(value):
    """Bytes ``value`` takes in Ironic's database: JSON as oslo's jsonutils writes it (non-ASCII as \\uXXXX),
    each backslash and quote escaped once more in the SQL statement."""
    text = json.dumps(value)
    return len(text) + text.count('\\') + text.count('"') + text.count("'")


def _mib(size):
    return '%.1f MiB' % (size / 1048576.0) if size >= 104858 else '%d bytes' % size


def check_size(spec):
    """Refuse a config drive that Ironic cannot store (``MAX_CONFIG_DRIVE_BYTES``), naming the sizes."""
    drive = render_config_drive(spec, _PlaceholderNode())
    size = stored_size(drive)
    if size <= MAX_CONFIG_DRIVE_BYTES:
        return
    parts = ', '.join('%s %s' % (key, _mib(stored_size(drive[key])))
                      for key in ('user_data', 'meta_data', 'network_data') if key in drive)
    raise ValueError('user_data too large for a config drive: it takes %s in Ironic (%s), at most %s fit (the '
                     'default max_allowed_packet of its MariaDB is 16 MiB); fetch big files from the instance '
                     'instead (e.g. #include URLs)' % (_mib(size), parts, _mib(MAX_CONFIG_DRIVE_BYTES)))


# ------------------------------------------------------------------------------------------------
# network_data.json
# ------------------------------------------------------------------------------------------------

def _is_text(value):
    return isinstance(value, str) and value != ''


def _address(value, version=None):
    if not isinstance(value, str):
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return address if version is None or address.version == version else None


def _prefix(netmask, version):
    """The prefix length of a netmask (dotted, IPv6 mask, or a length); None when invalid."""
    if isinstance(netmask, bool):
        return None
    if isinstance(netmask, int) or (isinstance(netmask, str) and netmask.isdigit()):
        length = int(netmask)
        return length if 0 <= length <= (32 if version == 4 else 128) else None
    mask = _address(netmask, version)
    if mask is None:
        return None
    bits = bin(int(mask))[2:].zfill(mask.max_prefixlen)
    return None if '01' in bits else bits.count('1')


def _check_static(network, path, version, problems):
    address = network.get('ip_address')
    if not isinstance(address, str) or not address:
        problems.append('%s.ip_address is required for type %s' % (path, network.get('type')))
        return
    host, _sep, length = address.partition('/')
    if _address(host, version) is None:
        problems.append("%s.ip_address '%s' is not an IPv%d address" % (path, address, version))
    elif length and _prefix(length, version) is None:
        problems.append("%s.ip_address '%s' has an invalid prefix length" % (path, address))
    netmask = network.get('netmask')
    if netmask is None and not length:
        problems.append('%s.netmask is required (or an ip_address with a /prefix)' % path)
    elif netmask is not None and _prefix(netmask, version) is None:
        problems.append("%s.netmask '%s' is not a valid IPv%d netmask" % (path, netmask, version))
    routes = network.get('routes', [])
    if not isinstance(routes, list):
        problems.append('%s.routes must be a list' % path)
        return
    for index, route in enumerate(routes):
        where = '%s.routes[%d]' % (path, index)
        if not isinstance(route, dict):
            problems.append('%s must be a dict' % where)
            continue
        for key in ('network', 'gateway'):
            if _address(route.get(key), version) is None:
                problems.append("%s.%s %s is not an IPv%d address" % (where, key, _show(route.get(key)), version))
        if _prefix(route.get('netmask'), version) is None:
            problems.append('%s.netmask %s is not a valid IPv%d netmask' % (where, _show(route.get('netmask')), version))


def _show(value):
    return "'%s'" % value if isinstance(value, str) else repr(value)


def _check_services(services, path, problems):
    if not isinstance(services, list):
        problems.append('%s must be a list of dicts' % path)
        return
    for index, service in enumerate(services):
        where = '%s[%d]' % (path, index)
        if not isinstance(service, dict):
            problems.append('%s must be a dict' % where)
            continue
        if not _is_text(service.get('type')):
            problems.append('%s.type is required' % where)
        if not _is_text(service.get('address')):
            problems.append('%s.address is required' % where)
        elif service.get('type') == 'dns' and _address(service['address']) is None:
            problems.append("%s.address '%s' is not an IP address" % (where, service['address']))


def _items(data, key, problems):
    items = data.get(key, [])
    if not isinstance(items, list):
        problems.append('network_data.%s must be a list of dicts' % key)
        return []
    good = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            good.append((index, item))
        else:
            problems.append('network_data.%s[%d] must be a dict' % (key, index))
    return good


def _check_ids(items, key, problems):
    ids = []
    for index, item in items:
        if not _is_text(item.get('id')):
            problems.append('network_data.%s[%d].id is required (a string)' % (key, index))
        elif item['id'] in ids:
            problems.append("network_data.%s[%d].id '%s' is used twice" % (key, index, item['id']))
        else:
            ids.append(item['id'])
    return ids


def _check_bond(link, path, link_ids, problems):
    members = link.get('bond_links')
    if not isinstance(members, list) or not members:
        problems.append('%s.bond_links is required (a list of link ids)' % path)
    else:
        for member in members:
            if member not in link_ids or member == link.get('id'):
                problems.append('%s.bond_links %s is not the id of another link' % (path, _show(member)))
    mode = link.get('bond_mode')
    if mode is not None and mode not in BOND_MODES:
        problems.append('%s.bond_mode %s is not one of %s' % (path, _show(mode), ', '.join(BOND_MODES)))


def _check_vlan(link, path, link_ids, problems):
    parent = link.get('vlan_link')
    if parent is None:
        problems.append('%s.vlan_link is required (a link id)' % path)
    elif parent not in link_ids or parent == link.get('id'):
        problems.append('%s.vlan_link %s is not the id of another link' % (path, _show(parent)))
    vlan_id = link.get('vlan_id')
    if isinstance(vlan_id, bool) or not isinstance(vlan_id, int) or not 0 <= vlan_id <= 4094:
        problems.append('%s.vlan_id %s is not a number from 0 to 4094' % (path, _show(vlan_id)))
    vlan_mac = link.get('vlan_mac_address')
    if not (isinstance(vlan_mac, str) and _MAC_RE.match(vlan_mac)):   # cloud-init reads it unconditionally
        problems.append('%s.vlan_mac_address %s is not a MAC address (required)' % (path, _show(vlan_mac)))


def _check_link(link, path, link_ids, problems):
    kind = link.get('type')
    if kind not in LINK_TYPES:
        problems.append('%s.type %s is not one of %s' % (path, _show(kind), ', '.join(LINK_TYPES)))
        return
    mtu = link.get('mtu')
    if mtu is not None and (isinstance(mtu, bool) or not isinstance(mtu, int) or not 68 <= mtu <= 65535):
        problems.append('%s.mtu %s is not a number from 68 to 65535' % (path, _show(mtu)))
    mac = link.get('ethernet_mac_address')
    if mac is not None and not (isinstance(mac, str) and _MAC_RE.match(mac)):
        problems.append('%s.ethernet_mac_address %s is not a MAC address' % (path, _show(mac)))
    if kind == 'bond':
        _check_bond(link, path, link_ids, problems)
    elif kind == 'vlan':
        _check_vlan(link, path, link_ids, problems)
    elif mac is None and not _is_text(link.get('name')):
        # cloud-init finds a physical link's interface by its MAC address ("No mac_address or name entry")
        problems.append('%s.ethernet_mac_address is required for a %s link (or a name)' % (path, kind))


def _check_network(network, path, link_ids, problems):
    kind = network.get('type')
    if kind not in NETWORK_TYPES:
        problems.append('%s.type %s is not one of %s' % (path, _show(kind), ', '.join(NETWORK_TYPES)))
    link = network.get('link')
    if link is None:
        problems.append('%s.link is required (a link id)' % path)
    elif link not in link_ids:
        problems.append('%s.link %s is not a link id' % (path, _show(link)))
    if kind in STATIC_NETWORK_TYPES:
        _check_static(network, path, STATIC_NETWORK_TYPES[kind], problems)
    if 'services' in network:
        _check_services(network['services'], path + '.services', problems)


def network_data_problems(data):
    """Every problem of a network_data.json document, each naming the path of the bad item; [] when valid."""
    if not isinstance(data, dict):
        return ['network_data must be a dict (links, networks, services)']
    problems = ['network_data: unknown key %s (allowed: %s)' % (_show(key), ', '.join(NETWORK_DATA_KEYS))
                for key in sorted(data, key=str) if key not in NETWORK_DATA_KEYS]
    if not any(data.get(key) for key in NETWORK_DATA_KEYS):
        problems.append('network_data has no links, networks or services')
    links = _items(data, 'links', problems)
    link_ids = _check_ids(links, 'links', problems)
    for index, link in links:
        _check_link(link, 'network_data.links[%d]' % index, link_ids, problems)
    networks = _items(data, 'networks', problems)
    _check_ids(networks, 'networks', problems)
    for index, network in networks:
        _check_network(network, 'network_data.networks[%d]' % index, link_ids, problems)
    if 'services' in data:
        _check_services(data['services'], 'network_data.services', problems)
    return problems


def normalize_config_drive(user_data, network_data):
    """The user's raw ``user_data`` and ``network_data``, checked: (user_data or None, network_data or None)."""
    if user_data is not None and not isinstance(user_data, str):
        raise ValueError('config_drive.user_data must be a string (the user data as cloud-init takes it), not %s'
                         % type(user_data).__name__)
    if network_data is not None and network_data != {}:     # {} (e.g. a templated default) is no network_data
        problems = network_data_problems(network_data)
        if problems:
            raise ValueError('invalid config_drive.network_data: ' + '; '.join(problems))
    return user_data or None, network_data or None
