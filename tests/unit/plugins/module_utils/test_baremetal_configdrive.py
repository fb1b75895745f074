# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config drive's pure parts: raw user data and the multipart message, content types, network_data.json
checks (every branch), the size limit, and their place in the normalisation (before any request)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import email
import json

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import configdrive
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal import spec as bm_spec
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput

IMAGE = {'href': 'http://127.0.0.1:8089/disk.img', 'checksum': 'a' * 64}
MAC0, MAC1, MAC2 = 'fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', 'fa:16:3e:00:00:03'

# a bond of two NICs, a VLAN on it with a static IPv4 and IPv6, DHCP on a third NIC, DNS (Nova's format)
NETWORK_DATA = {
    'links': [
        {'id': 'eth0', 'type': 'phy', 'ethernet_mac_address': MAC0, 'mtu': 9000},
        {'id': 'eth1', 'type': 'phy', 'ethernet_mac_address': MAC1, 'mtu': 9000},
        {'id': 'bond0', 'type': 'bond', 'bond_links': ['eth0', 'eth1'], 'bond_mode': '802.3ad',
         'ethernet_mac_address': MAC0, 'mtu': 9000},
        {'id': 'vlan100', 'type': 'vlan', 'vlan_link': 'bond0', 'vlan_id': 100, 'vlan_mac_address': MAC0,
         'mtu': 9000},
        {'id': 'eth2', 'type': 'ethernet', 'ethernet_mac_address': MAC2},
    ],
    'networks': [
        {'id': 'storage', 'type': 'ipv4', 'link': 'vlan100', 'ip_address': '192.0.2.10', 'netmask': '255.255.255.0',
         'routes': [{'network': '0.0.0.0', 'netmask': '0.0.0.0', 'gateway': '192.0.2.1'}],
         'services': [{'type': 'dns', 'address': '192.0.2.53'}]},
        {'id': 'storage6', 'type': 'ipv6', 'link': 'vlan100', 'ip_address': '2001:db8::10/64',
         'routes': [{'network': '::', 'netmask': '::', 'gateway': '2001:db8::1'}]},
        {'id': 'v6mask', 'type': 'ipv6', 'link': 'bond0', 'ip_address': '2001:db8:1::10',
         'netmask': 'ffff:ffff:ffff:ffff::'},
        {'id': 'prefix', 'type': 'ipv4', 'link': 'eth2', 'ip_address': '198.51.100.7/24'},
        {'id': 'prov', 'type': 'ipv4_dhcp', 'link': 'eth2'},
        {'id': 'slaac', 'type': 'ipv6_slaac', 'link': 'eth2'},
    ],
    'services': [{'type': 'dns', 'address': '2001:db8::53'}, {'type': 'ntp', 'address': 'ntp.example.com'}],
}


def instance(**config_drive):
    return bm_spec.normalize_instance(dict(hostname='h-1', image=IMAGE, config_drive=config_drive), 0, 'present')


def structured(**config_drive):
    return bm_spec.normalize_instance(dict(hostname='h-1', image=IMAGE, user_name='metalsmith', ssh_public_keys=['k1'],
                                           config_drive=config_drive), 0, 'present')


class Node(object):
    id, name = 'uuid-n7', 'n7'


# ------------------------------------------------------------------------------------------------
# content types and user data
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, content_type', [
    ('#!/bin/sh\necho hi\n', 'text/x-shellscript'),
    ('  \n#!/usr/bin/env python3\n', 'text/x-shellscript'),
    ('#cloud-config\npackages: [vim]\n', 'text/cloud-config'),
    ('#Cloud-Config\n', 'text/cloud-config'),
    ('#cloud-config-archive\n- type: foo\n', 'text/cloud-config-archive'),
    ('#cloud-config-jsonp\n[]\n', 'text/cloud-config-jsonp'),
    ('#include\nhttp://example.com/a\n', 'text/x-include-url'),
    ('#include-once\nhttp://example.com/a\n', 'text/x-include-once-url'),
    ('#cloud-boothook\n#!/bin/sh\n', 'text/cloud-boothook'),
    ('#part-handler\ndef list_types(): pass\n', 'text/part-handler'),
    ('## template: jinja\n#cloud-config\n', 'text/jinja2'),
    ('hello\n', 'text/plain'),
    ('', 'text/plain'),
])
def test_user_data_type(text, content_type):
    assert configdrive.user_data_type(text) == content_type


@pytest.mark.parametrize('raw', ['#!/bin/sh\necho hi\n', '#cloud-config\nruncmd: [ls]', 'plain text, no newline'])
def test_raw_user_data_alone_is_stored_as_given(raw):
    s = instance(user_data=raw, meta_data={'role': 'db'})
    assert s['user_data'] == raw
    drive = configdrive.render_config_drive(s, Node())
    assert drive['user_data'] == raw
    assert drive['meta_data']['role'] == 'db'


def test_keys_without_a_user_give_no_user_data_part():
    s = bm_spec.normalize_instance(dict(hostname='h', image=IMAGE, ssh_public_keys=['k1'],
                                        config_drive={'user_data': '#!/bin/sh\n'}), 0, 'present')
    assert configdrive.render_user_data(s) == '#!/bin/sh\n'


def parts_of(text):
    message = email.message_from_string(text)
    assert message.get_content_type() == 'multipart/mixed'
    return [(p.get_content_type(), p.get_filename(), p.get_payload(decode=True).decode('utf-8'))
            for p in message.walk() if not p.is_multipart()]


@pytest.mark.parametrize('raw, content_type', [
    ('#!/bin/sh\necho "hi" > /tmp/x\n', 'text/x-shellscript'),
    ('#cloud-config\nruncmd:\n  - [touch, /tmp/y]\n', 'text/cloud-config'),
    ('## template: jinja\n#!/bin/sh\necho {{ v1.local_hostname }}\n', 'text/jinja2'),
    ('#!/bin/sh\necho "caf\u00e9 \u2713"\n', 'text/x-shellscript'),       # non-ASCII: base64 of UTF-8
    ('no trailing newline', 'text/plain'),
    ('\n\nblank lines around\n\n', 'text/plain'),
])
def test_raw_and_structured_user_data_is_a_multipart_message(raw, content_type):
    s = structured(user_data=raw, cloud_config={'packages': ['vim']})
    text = configdrive.render_user_data(s)
    generated = configdrive.render_cloud_config(s)
    assert parts_of(text) == [('text/cloud-config', 'cloud-config', generated), (content_type, 'user-data', raw)]
    assert json.loads(generated[len('#cloud-config\n'):])['users'][0]['name'] == 'metalsmith'
    # deterministic: the same spec renders the same bytes
    assert configdrive.render_user_data(copy.deepcopy(s)) == text
    assert configdrive.MIME_BOUNDARY in text.splitlines()[0]


def test_multipart_ascii_parts_are_readable_as_is():
    text = configdrive.render_user_data(structured(user_data='#!/bin/sh\necho hi\n'))
    assert 'Content-Transfer-Encoding: 7bit' in text
    assert '\n#!/bin/sh\necho hi\n\n--%s--\n' % configdrive.MIME_BOUNDARY in text


def test_multipart_refuses_a_part_with_the_boundary():
    with pytest.raises(InvalidInput, match='contains the MIME boundary'):
        bm_spec.normalize_instances([dict(hostname='h', image=IMAGE, user_name='u', config_drive={
            'user_data': '#!/bin/sh\n--%s\n' % configdrive.MIME_BOUNDARY})], 'present')


@pytest.mark.parametrize('mime', ['Content-Type: multipart/mixed; boundary="b"\n\n--b--\n',
                                  'MIME-Version: 1.0\nContent-Type: text/x-shellscript\n\necho\n'])
def test_a_mime_message_is_stored_as_given_alone_and_refused_with_structured_data(mime):
    assert instance(user_data=mime)['user_data'] == mime
    with pytest.raises(InvalidInput, match="instance 'h-1': config_drive.user_data is a MIME message"):
        bm_spec.normalize_instances([dict(hostname='h-1', image=IMAGE, config_drive={
            'user_data': mime, 'cloud_config': {'a': 1}})], 'present')


@pytest.mark.parametrize('value, name', [({'a': 1}, 'dict'), (['#!/bin/sh'], 'list'), (42, 'int'), (True, 'bool')])
def test_user_data_must_be_a_string(value, name):
    with pytest.raises(InvalidInput) as err:
        bm_spec.normalize_instances([dict(hostname='h-1', image=IMAGE, config_drive={'user_data': value})], 'present')
    assert ("instance 'h-1': config_drive.user_data must be a string (the user data as cloud-init takes it), not %s"
            % name) in err.value.msg


def test_empty_user_data_and_network_data_are_none():
    s = instance(user_data='', network_data={})
    assert s['user_data'] is None and s['network_data'] is None
    assert 'user_data' not in configdrive.render_config_drive(s, Node())
    assert 'network_data' not in configdrive.render_config_drive(s, Node())


# ------------------------------------------------------------------------------------------------
# network_data
# ------------------------------------------------------------------------------------------------

def test_network_data_valid_is_stored_as_given():
    s = instance(network_data=copy.deepcopy(NETWORK_DATA))
    assert configdrive.network_data_problems(NETWORK_DATA) == []
    drive = configdrive.render_config_drive(s, Node(), network_data={'links': [{'id': 'from-nics'}]})
    assert drive['network_data'] == NETWORK_DATA           # the user's replaces the one made for the NICs
    assert configdrive.render_config_drive(instance(), Node(), network_data={'x': 1})['network_data'] == {'x': 1}


def changed(path, value):
    """NETWORK_DATA with the item at ``path`` (keys and indexes) set to ``value`` (or deleted: value DELETE)."""
    data = copy.deepcopy(NETWORK_DATA)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()


@pytest.mark.parametrize('data, message', [
    ('links: []', 'network_data must be a dict (links, networks, services)'),
    ({'links': [], 'networks': []}, 'network_data has no links, networks or services'),
    (changed(('routes',), []), "network_data: unknown key 'routes' (allowed: links, networks, services)"),
    (changed(('links',), {'id': 'x'}), 'network_data.links must be a list of dicts'),
    (changed(('links', 1), 'eth1'), 'network_data.links[1] must be a dict'),
    (changed(('links', 0, 'id'), DELETE), 'network_data.links[0].id is required (a string)'),
    (changed(('links', 1, 'id'), 'eth0'), "network_data.links[1].id 'eth0' is used twice"),
    (changed(('links', 0, 'type'), 'wifi'), "network_data.links[0].type 'wifi' is not one of bond, vlan, bgpovs"),
    (changed(('links', 0, 'type'), DELETE), 'network_data.links[0].type None is not one of'),
    (changed(('links', 0, 'mtu'), 'big'), "network_data.links[0].mtu 'big' is not a number from 68 to 65535"),
    (changed(('links', 0, 'mtu'), 65536), 'network_data.links[0].mtu 65536 is not a number from 68 to 65535'),
    (changed(('links', 0, 'mtu'), True), 'network_data.links[0].mtu True is not a number'),
    (changed(('links', 0, 'ethernet_mac_address'), 'fa:16:3e'),
     "network_data.links[0].ethernet_mac_address 'fa:16:3e' is not a MAC address"),
    (changed(('links', 4, 'ethernet_mac_address'), DELETE),
     'network_data.links[4].ethernet_mac_address is required for a ethernet link (or a name)'),
    (changed(('links', 2, 'bond_links'), DELETE), 'network_data.links[2].bond_links is required (a list of link ids)'),
    (changed(('links', 2, 'bond_links'), []), 'network_data.links[2].bond_links is required'),
    (changed(('links', 2, 'bond_links'), ['eth0', 'eth9']),
     "network_data.links[2].bond_links 'eth9' is not the id of another link"),
    (changed(('links', 2, 'bond_links'), ['eth0', 'bond0']),
     "network_data.links[2].bond_links 'bond0' is not the id of another link"),
    (changed(('links', 2, 'bond_mode'), 'lacp'), "network_data.links[2].bond_mode 'lacp' is not one of 802.3ad"),
    (changed(('links', 3, 'vlan_link'), DELETE), 'network_data.links[3].vlan_link is required (a link id)'),
    (changed(('links', 3, 'vlan_link'), 'bond1'), "network_data.links[3].vlan_link 'bond1' is not the id of another link"),
    (changed(('links', 3, 'vlan_link'), 'vlan100'), "network_data.links[3].vlan_link 'vlan100' is not the id of"),
    (changed(('links', 3, 'vlan_id'), DELETE), 'network_data.links[3].vlan_id None is not a number from 0 to 4094'),
    (changed(('links', 3, 'vlan_id'), 4095), 'network_data.links[3].vlan_id 4095 is not a number from 0 to 4094'),
    (changed(('links', 3, 'vlan_id'), '100'), "network_data.links[3].vlan_id '100' is not a number"),
    (changed(('links', 3, 'vlan_mac_address'), DELETE),
     'network_data.links[3].vlan_mac_address None is not a MAC address (required)'),
    (changed(('networks',), 'x'), 'network_data.networks must be a list of dicts'),
    (changed(('networks', 0), None), 'network_data.networks[0] must be a dict'),
    (changed(('networks', 1, 'id'), 'storage'), "network_data.networks[1].id 'storage' is used twice"),
    (changed(('networks', 0, 'type'), 'static'), "network_data.networks[0].type 'static' is not one of ipv4, ipv6"),
    (changed(('networks', 1, 'link'), 'bond1'), "network_data.networks[1].link 'bond1' is not a link id"),
    (changed(('networks', 1, 'link'), DELETE), 'network_data.networks[1].link is required (a link id)'),
    (changed(('networks', 0, 'ip_address'), DELETE), 'network_data.networks[0].ip_address is required for type ipv4'),
    (changed(('networks', 0, 'ip_address'), '192.0.2.300'),
     "network_data.networks[0].ip_address '192.0.2.300' is not an IPv4 address"),
    (changed(('networks', 0, 'ip_address'), '2001:db8::1'),
     "network_data.networks[0].ip_address '2001:db8::1' is not an IPv4 address"),
    (changed(('networks', 1, 'ip_address'), '192.0.2.1/24'),
     "network_data.networks[1].ip_address '192.0.2.1/24' is not an IPv6 address"),
    (changed(('networks', 3, 'ip_address'), '198.51.100.7/33'),
     "network_data.networks[3].ip_address '198.51.100.7/33' has an invalid prefix length"),
    (changed(('networks', 0, 'netmask'), DELETE),
     'network_data.networks[0].netmask is required (or an ip_address with a /prefix)'),
    (changed(('networks', 0, 'netmask'), '255.0.255.0'),
     "network_data.networks[0].netmask '255.0.255.0' is not a valid IPv4 netmask"),
    (changed(('networks', 2, 'netmask'), 'ffff::ffff'),
     "network_data.networks[2].netmask 'ffff::ffff' is not a valid IPv6 netmask"),
    (changed(('networks', 0, 'routes'), {}), 'network_data.networks[0].routes must be a list'),
    (changed(('networks', 0, 'routes', 0), 'default'), 'network_data.networks[0].routes[0] must be a dict'),
    (changed(('networks', 0, 'routes', 0, 'gateway'), 'router'),
     "network_data.networks[0].routes[0].gateway 'router' is not an IPv4 address"),
    (changed(('networks', 1, 'routes', 0, 'network'), '0.0.0.0'),
     "network_data.networks[1].routes[0].network '0.0.0.0' is not an IPv6 address"),
    (changed(('networks', 0, 'routes', 0, 'netmask'), DELETE),
     'network_data.networks[0].routes[0].netmask None is not a valid IPv4 netmask'),
    (changed(('networks', 0, 'services'), 'dns'), 'network_data.networks[0].services must be a list of dicts'),
    (changed(('networks', 0, 'services', 0, 'address'), '192.0.2'),
     "network_data.networks[0].services[0].address '192.0.2' is not an IP address"),
    (changed(('services',), {}), 'network_data.services must be a list of dicts'),
    (changed(('services', 0), 'dns'), 'network_data.services[0] must be a dict'),
    (changed(('services', 0, 'type'), DELETE), 'network_data.services[0].type is required'),
    (changed(('services', 1, 'address'), ''), 'network_data.services[1].address is required'),
])
def test_network_data_problems(data, message):
    problems = configdrive.network_data_problems(data)
    assert any(message in p for p in problems), problems


def test_network_data_every_problem_at_once_in_the_instance_error():
    data = changed(('networks', 1, 'link'), 'bond1')
    data['links'][3]['vlan_id'] = 5000
    with pytest.raises(InvalidInput) as err:
        bm_spec.normalize_instances([dict(hostname='h-1', image=IMAGE, config_drive={'network_data': data})],
                                    'present')
    assert err.value.msg == ("Invalid instances: instance 'h-1': invalid config_drive.network_data: "
                             "network_data.links[3].vlan_id 5000 is not a number from 0 to 4094; "
                             "network_data.networks[1].link 'bond1' is not a link id")


@pytest.mark.parametrize('netmask, version, prefix', [
    ('255.255.255.0', 4, 24), ('0.0.0.0', 4, 0), (24, 4, 24), ('24', 4, 24), (33, 4, None), ('255.0.255.0', 4, None),
    ('ffff:ffff:ffff:ffff::', 6, 64), ('::', 6, 0), (128, 6, 128), (129, 6, None), ('255.255.255.0', 6, None),
    (None, 4, None), (True, 4, None), ('x', 4, None),
])
def test_prefix(netmask, version, prefix):
    assert configdrive._prefix(netmask, version) == prefix   # pylint: disable=protected-access


# ------------------------------------------------------------------------------------------------
# size
# ------------------------------------------------------------------------------------------------

def test_stored_size_counts_json_and_sql_escapes():
    assert configdrive.stored_size('ab') == 4 + 2                  # "ab": two quotes, each escaped in SQL
    assert configdrive.stored_size('a\nb') == len('"a\\nb"') + 1 + 2
    assert configdrive.stored_size('\u00e9') == len('"\\u00e9"') + 1 + 2


def test_size_limit_just_fits_and_just_fails():
    base = configdrive.stored_size(configdrive.render_config_drive(
        instance(user_data='#!/bin/sh\n'), configdrive._PlaceholderNode()))   # pylint: disable=protected-access
    room = configdrive.MAX_CONFIG_DRIVE_BYTES - base
    fits = '#!/bin/sh\n' + 'x' * room
    assert instance(user_data=fits)['user_data'] == fits
    with pytest.raises(InvalidInput) as err:
        bm_spec.normalize_instances([dict(hostname='big-1', image=IMAGE,
                                          config_drive={'user_data': fits + 'x'})], 'present')
    assert "instance 'big-1': user_data too large for a config drive: it takes 15.0 MiB in Ironic" in err.value.msg
    assert 'at most 15.0 MiB fit' in err.value.msg


def test_size_limit_counts_escapes_and_names_each_part():
    quotes = '#!/bin/sh\n' + '"' * (4 * 1024 * 1024)     # 4 MiB of quotes take 16 MiB in the SQL statement
    with pytest.raises(InvalidInput) as err:
        bm_spec.normalize_instances([dict(hostname='q-1', image=IMAGE, config_drive={
            'user_data': quotes, 'network_data': NETWORK_DATA, 'meta_data': {'role': 'db'}})], 'present')
    assert 'it takes 16.0 MiB in Ironic (user_data 16.0 MiB, meta_data ' in err.value.msg
    assert ', network_data ' in err.value.msg and 'bytes)' in err.value.msg


def test_size_limit_applies_to_deployments_only():
    big = {'user_data': 'x' * (16 * 1024 * 1024)}
    for state in ('absent', 'reserved'):
        assert bm_spec.normalize_instance(dict(hostname='h', config_drive=big), 0, state)['user_data']
