# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: openstack
short_description: Bare-metal instances, Senlin cluster nodes and Heat stack output hosts as an inventory
version_added: 0.1.0
description:
  - Builds an inventory from the hosts this collection makes, so that the next job of a workflow (an AWX workflow,
    or a later C(ansible-playbook) run) finds them without C(add_host).
  - "Bare-metal instances, named by their hostname (the name of their Ironic allocation, as
    M(cloudrise.openstack.baremetal_instance) and metalsmith make them), in group C(baremetal)."
  - "Senlin cluster nodes, named by the node's name, in groups C(cluster_nodes) and C(cluster_<cluster name>), with
    the outputs of each node's Heat stack (one cluster collect per cluster) in C(openstack_outputs)."
  - "Hosts listed in an output of Heat stacks (the output is named in the configuration), in groups C(stack_hosts) and
    C(stack_<stack name>)."
  - The host variables of bare-metal instances and cluster nodes have the names C(playbooks/provision.yml) gives with
    C(add_host) (C(openstack_node_id), C(openstack_node_name), C(openstack_provision_state), C(openstack_cluster), ...),
    so a play can switch from one to the other. See C(docs/inventory.md) for every variable.
  - The plugin authenticates first; bad credentials or an unreachable cloud fail the inventory with the reason, never
    give an empty one.
  - The configuration file must end with C(openstack.yml), C(openstack.yaml), C(cloudrise.yml) or C(cloudrise.yaml).
author:
  - cloudrise.openstack contributors (@cloudrise)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
requirements:
  - python >= 3.8
  - openstacksdk >= 3.0.0
options:
  plugin:
    description: The name of this plugin.
    required: true
    type: str
    choices: [cloudrise.openstack.openstack]
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml), or a dict with a whole cloud configuration, as the modules take it.
      - When not set, openstacksdk resolves the cloud from C(OS_CLOUD), C(OS_CLIENT_CONFIG_FILE) and the other C(OS_*)
        environment variables, which is how an AWX OpenStack credential reaches an inventory source.
    type: raw
  auth:
    description: Authentication data (C(auth_url), C(username), C(password), ...) merged over the cloud's.
    type: dict
  auth_type:
    description: Name of the keystoneauth plugin, for example C(password) or C(v3applicationcredential).
    type: str
  region_name:
    description: Region of the cloud to use.
    type: str
  validate_certs:
    description: Whether to verify TLS certificates. Defaults to the cloud's setting (true).
    type: bool
    aliases: [verify]
  ca_cert:
    description: Path to a CA bundle used to verify the endpoints.
    type: str
    aliases: [cacert]
  client_cert:
    description: Path to a client certificate for TLS client authentication.
    type: str
    aliases: [cert]
  client_key:
    description: Path to the key of O(client_cert).
    type: str
    aliases: [key]
  api_timeout:
    description: The most, in seconds, each API request waits for an answer.
    type: int
  interface:
    description: Which endpoint of the catalog to use.
    type: str
    default: public
    choices: [public, internal, admin]
    aliases: [endpoint_type]
  timeout:
    description:
      - The most, in seconds, the requests of one inventory read may take together. A read that fails transiently (HTTP
        502, 503 or 504, a connection refused or reset) is sent again while time is left.
    type: int
    default: 120
  sources:
    description:
      - Which hosts to list. A source whose service is not in the cloud's catalog is skipped with a warning.
    type: dict
    default: {}
    suboptions:
      baremetal:
        description: Bare-metal instances (group C(baremetal)).
        type: bool
        default: true
      clusters:
        description: Senlin cluster nodes (groups C(cluster_nodes) and C(cluster_<name>)).
        type: bool
        default: true
      stack_outputs:
        description:
          - Heat stack outputs that list hosts. Each output value is a list of host names, a list of dicts each
            with a C(name) (or C(hostname), C(inventory_hostname)) and the host's variables, or a dict of host name
            to variables.
          - Each host is in groups C(stack_hosts), C(stack_<stack name>) and the entry's C(group) when set, with
            C(openstack_stack), C(openstack_stack_id) and C(openstack_stack_output).
        type: list
        elements: dict
        default: []
        suboptions:
          output:
            description: The name of the output.
            type: str
            required: true
          stacks:
            description:
              - Names or ids of the stacks to read (a missing stack, or one without the output, is warned about).
                When not set, every stack (or every stack with all of O(sources.stack_outputs[].tags)) that has
                the output.
            type: list
            elements: str
          tags:
            description: Read only the stacks that have all these tags (when O(sources.stack_outputs[].stacks) is not set).
            type: list
            elements: str
          group:
            description: One more group for these hosts.
            type: str
  clusters:
    description: Names or ids of the Senlin clusters whose nodes to list. When not set, every cluster's.
    type: list
    elements: str
  cluster_outputs:
    description: Whether to read the outputs of each cluster node's Heat stack (C(openstack_outputs)).
    type: bool
    default: true
  only_active:
    description:
      - List only the bare-metal instances that are deployed (V(active)) and the cluster nodes that are V(ACTIVE).
      - When false, instances being deployed, in error or in maintenance, and nodes in any status are listed too.
    type: bool
    default: true
  ansible_host_from:
    description:
      - Where the C(ansible_host) of a bare-metal instance comes from, in order; the first that gives a value wins,
        and without one C(ansible_host) is not set (Ansible then connects to the host name).
      - V(ip_addresses) is the first address of the instance's ports (networks in name order; empty when the cloud
        has no network service), V(ip_addresses.<network>) the first on that network, V(hostname) the instance's
        host name; anything else is a field of the Ironic node, a dot picking a key in a dict field, for example
        V(extra.ssh_address), V(instance_info.display_name), V(properties.address) or V(name).
      - For cluster nodes and stack output hosts, set C(ansible_host) with O(compose) (for example from
        C(openstack_outputs)) or in the output's host variables.
    type: list
    elements: str
    default: [ip_addresses]
notes:
  - With O(cache=true), the hosts and their variables (stack outputs included) are written to the cache plugin's
    store; read from the cache, the cloud is not contacted. C(ansible-inventory --flush-cache) reads the cloud again.
'''

EXAMPLES = r'''
# inventory/cloudrise.openstack.yml: every bare-metal instance and cluster node of the cloud "mycloud"
plugin: cloudrise.openstack.openstack
cloud: mycloud

# Each example below is a config file of its own (ansible-core 2.16 reads EXAMPLES as one YAML document).

# ansible_host from a key of the node's "extra", else its first IP address; keyed groups by trait and cluster
# plugin: cloudrise.openstack.openstack
# ansible_host_from: [extra.ssh_address, ip_addresses]
# keyed_groups:
#   - key: openstack_traits
#     prefix: trait
#   - key: openstack_resource_class
#     prefix: rc
# compose:
#   ansible_user: "'cloud-user'"

# Only the nodes of one cluster, their ansible_host from their stack's "address" output, and the hosts the stack
# "dns" lists in its output "hosts"; the result cached for an hour
# plugin: cloudrise.openstack.openstack
# sources:
#   baremetal: false
#   clusters: true
#   stack_outputs:
#     - output: hosts
#       stacks: [dns]
#       group: dns_hosts
# clusters: [web]
# compose:
#   ansible_host: openstack_outputs.address
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: /tmp/cloudrise-inventory
# cache_timeout: 3600
'''

from ansible.errors import AnsibleParserError  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudConnection  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import translate_exception  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._senlin.client import MICROVERSION  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.plugin_utils._inventory import read_hosts  # noqa: E402

display = Display()

CONNECTION_OPTIONS = ('cloud', 'auth', 'auth_type', 'region_name', 'validate_certs', 'ca_cert', 'client_cert',
                      'client_key', 'api_timeout', 'interface')
FILE_ENDINGS = ('openstack.yml', 'openstack.yaml', 'cloudrise.yml', 'cloudrise.yaml')
SOURCE_DEFAULTS = dict(baremetal=True, clusters=True, stack_outputs=[])
STACK_OUTPUT_KEYS = ('output', 'stacks', 'tags', 'group')


def source_config(sources):
    """``sources`` with its defaults, checked (the config system does not check sub-options)."""
    if not isinstance(sources, dict):
        raise AnsibleParserError('sources must be a dict, got %r' % (sources,))
    unknown = sorted(set(sources) - set(SOURCE_DEFAULTS))
    if unknown:
        raise AnsibleParserError('sources: unknown key(s) %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(SOURCE_DEFAULTS))))
    config = dict(SOURCE_DEFAULTS, **sources)
    for key in ('baremetal', 'clusters'):
        if not isinstance(config[key], bool):
            raise AnsibleParserError('sources.%s must be true or false, got %r' % (key, config[key]))
    specs = config['stack_outputs'] or []
    if not isinstance(specs, list):
        raise AnsibleParserError('sources.stack_outputs must be a list, got %r' % (specs,))
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get('output'), str) or not spec['output']:
            raise AnsibleParserError('sources.stack_outputs: each entry needs an output (a name), got %r' % (spec,))
        unknown = sorted(set(spec) - set(STACK_OUTPUT_KEYS))
        if unknown:
            raise AnsibleParserError('sources.stack_outputs: unknown key(s) %s in %r' % (', '.join(unknown), spec))
        for key in ('stacks', 'tags'):
            if spec.get(key) is not None and not (isinstance(spec[key], list) and all(isinstance(v, str) for v in spec[key])):
                raise AnsibleParserError('sources.stack_outputs: %s must be a list of strings in %r' % (key, spec))
    config['stack_outputs'] = specs
    return config


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'cloudrise.openstack.openstack'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(FILE_ENDINGS)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        config = dict(
            sources=source_config(self.get_option('sources')),
            clusters=self.get_option('clusters'),
            cluster_outputs=self.get_option('cluster_outputs'),
            only_active=self.get_option('only_active'),
            ansible_host_from=self.get_option('ansible_host_from') or [],
        )
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        hosts = None
        if use_cache:
            try:
                hosts = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if hosts is None:
            hosts = self._read_cloud(config)
        if update_cache:
            self._cache[cache_key] = hosts
        self._populate(hosts)

    def _read_cloud(self, config):
        options = dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS)
        connection = CloudConnection(options, microversions={'clustering': MICROVERSION}, warn=display.warning,
                                     timeout=self.get_option('timeout'))
        try:
            conn = connection.authenticate()
            return read_hosts(conn, config, display.warning)
        except Exception as exc:  # translated once, here, as the modules' base does
            msg, dummy = translate_exception(exc)
            raise AnsibleParserError('cloudrise.openstack.openstack inventory: %s' % msg, orig_exc=exc)

    def _populate(self, hosts):
        strict = self.get_option('strict')
        for host in hosts:
            name = self.inventory.add_host(host['name'])
            for group in host['groups']:
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            for key, value in host['vars'].items():
                self.inventory.set_variable(name, key, value)
            host_vars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option('compose'), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), host_vars, name, strict=strict)
