#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: baremetal_instance
short_description: Provision, reserve or unprovision bare-metal instances (metalsmith semantics on Ironic)
version_added: 0.1.0
description:
  - Deploys images on Ironic nodes the way metalsmith does (reserve a node with an allocation named after
    the hostname, set the image and a config drive, deploy, wait until C(active)), for a list of instances
    in one task, in parallel.
  - Takes the instance list of metalsmith's C(metalsmith_instances) module and C(metalsmith_deployment)
    role, with the same option names and meaning, so a task can switch to this module by changing its name.
  - Idempotent by hostname. An instance is the node that carries the hostname as the name of its
    allocation (or, for nodes deployed by old metalsmith releases, as C(instance_info.display_name) with
    C(instance_uuid) equal to the node's UUID). An instance already C(active) is left alone and no write
    request is sent.
  - O(state=absent) takes a hostname, or the name or UUID of the node an instance is on (as metalsmith's
    C(unprovision) does); a hostname is looked up first. It unprovisions only a node that carries an instance
    (an allocation, or metalsmith's C(display_name)), never a node that has none.
  - O(state=present) for an instance that is already deployed, or deploying (started with O(wait=false)), needs
    no O(instances[].image) - a re-run with the hostnames waits for the deployments as metalsmith's
    C(wait_for_provisioning) does.
  - Everything is validated before the first write (duplicate hostnames, no node matching the resource
    class, traits, capabilities or conductor group, unknown candidates, candidates in maintenance, not
    enough free nodes for all instances, a checksum URL that cannot be downloaded, O(instances[].nics)
    without a network service), so a bad task changes nothing.
  - Check mode reports what would be reserved, provisioned, released or unprovisioned, per instance, with
    no write request.
  - Secrets - the config drive's user data and meta data are never returned, neither in RV(instances) nor in
    the diff (C(--diff) shows state, node and image only). Pass their secret parts in
    O(instances[].config_drive.secret_cloud_config) and O(instances[].config_drive.secret_meta_data), C(no_log)
    suboptions, to keep them out of the module's log line and C(invocation) too (the raw
    O(instances[].config_drive.user_data) is C(no_log) as a whole); a task with secrets anywhere else in
    O(instances) needs C(no_log=true). O(instances[].ssh_public_keys) takes public keys only; no option
    takes a private key.
author:
  - cloudrise.openstack contributors (@cloudrise)
seealso:
  - module: cloudrise.openstack.baremetal_instance_info
    description: List instances by hostname, as metalsmith shows them.
  - module: openstack.cloud.baremetal_node_action
    description: Deploy or undeploy one given node, without allocations or hostnames.
  - module: openstack.cloud.baremetal_node
    description: Enroll and configure bare-metal nodes in Ironic.
  - name: metalsmith Ansible role
    link: https://docs.openstack.org/metalsmith/latest/user/ansible.html
    description: The metalsmith_deployment role whose instance spec this module takes.
  - name: Migrating from metalsmith_deployment
    link: https://cloudrise.github.io/cloudrise.openstack/guides/migrating-metalsmith.html
    description: From the metalsmith role to the baremetal role and this module.
extends_documentation_fragment:
  - cloudrise.openstack.openstack
  - cloudrise.openstack.openstack.ATTRIBUTES
options:
  instances:
    description:
      - The instances, in the format of metalsmith's C(metalsmith_instances) module.
    type: list
    elements: dict
    default: []
    suboptions:
      hostname:
        description:
          - Host name of the instance, used as the name of its allocation and the C(hostname) of its config drive.
            It identifies the instance on later runs.
          - Defaults to O(instances[].name).
          - With O(state=absent), the name or UUID of the instance's node is also accepted.
        type: str
      name:
        description:
          - Name or UUID of a node to deploy on; it is appended to O(instances[].candidates).
        type: str
      candidates:
        description:
          - Nodes (names or UUIDs) to choose from. The other criteria still apply to them.
        type: list
        elements: str
      resource_class:
        description:
          - Resource class of the node to reserve.
        type: str
        default: baremetal
      traits:
        description:
          - Traits the node must have.
        type: list
        elements: str
      capabilities:
        description:
          - Capabilities the node must have (matched against the node's C(properties.capabilities));
            they are also set in the instance's C(instance_info.capabilities).
        type: dict
      conductor_group:
        description:
          - Conductor group to pick the node from; an empty string is the default group.
        type: str
      image:
        description:
          - The image to deploy, a dict with these keys.
          - C(href) is an C(http://), C(https://) or C(file://) URL, or a Glance image name or ID when the cloud has an
            image service.
          - C(checksum) is a hex digest, C(<algorithm>:<digest>), or the URL of a checksum file such as
            C(SHA256SUMS), which is downloaded and checked before anything is reserved.
          - A checksum file is downloaded with the task's TLS settings (O(validate_certs), O(ca_cert),
            O(client_cert), O(client_key)), within O(timeout) and at most 30 seconds. An C(http://) checksum URL
            gives a warning, since the checksum then comes over an unauthenticated channel and proves nothing
            about the image; use C(https://) or give the digest itself. Ironic checks the image against the
            digest in either case.
          - C(kernel) and C(ramdisk) are URLs, for partition images.
          - A plain string is taken as C(href).
          - Required with O(state=present) for an instance that is deployed by this task; an instance already
            deployed or deploying needs none.
        type: raw
      nics:
        description:
          - NICs to attach, each with one of C(network), C(subnet) or C(port) (name or ID), and an optional
            C(fixed_ip) with C(network). Ports are created or attached through the network service (Neutron)
            and recorded in the node's C(extra) as metalsmith does.
          - When the cloud has no network service, an instance with O(instances[].nics) fails before anything
            is reserved.
        type: list
        elements: dict
        suboptions:
          network:
            description: Network to create a port on (name or ID).
            type: str
          subnet:
            description: Subnet to create a port on (name or ID).
            type: str
          port:
            description: Existing port to attach (name or ID).
            type: str
          fixed_ip:
            description: IP address to request on O(instances[].nics[].network).
            type: str
      netboot:
        description:
          - Boot the instance from the network instead of the local disk (C(boot_option) capability).
        type: bool
        default: false
      root_size_gb:
        description:
          - Size of the root partition in GiB. Defaults to the node's C(local_gb) minus one.
        type: int
      swap_size_mb:
        description:
          - Size of the swap partition in MiB (partition images).
        type: int
      ssh_public_keys:
        description:
          - SSH public keys (the keys themselves, not file names) for the config drive and the admin user.
        type: list
        elements: str
      user_name:
        description:
          - Name of an admin user (group C(wheel)) that cloud-init creates, with O(instances[].ssh_public_keys).
        type: str
      passwordless_sudo:
        description:
          - Whether O(instances[].user_name) gets password-less sudo.
        type: bool
        default: true
      config_drive:
        description:
          - Extra data for the config drive.
        type: dict
        suboptions:
          cloud_config:
            description:
              - cloud-init C(#cloud-config) data as a dict; the admin user is added to its C(users).
            type: dict
          meta_data:
            description:
              - Extra meta data; C(public_keys), C(uuid), C(name) and C(hostname) are always set by the module.
            type: dict
          secret_cloud_config:
            description:
              - Secret parts of O(instances[].config_drive.cloud_config) (passwords, password hashes, private
                keys, tokens), merged into it. A C(no_log) option - Ansible masks its values in the C(Invoked with)
                line it logs on the managed host, in C(invocation) of a failed task and in the result.
              - A key may not be in both; the error names the key only.
              - Values typed in O(instances[].config_drive.cloud_config) are logged as given, so a task with
                secrets there (or in O(instances[].config_drive.meta_data)) needs C(no_log=true) (the task keyword).
              - Each string value of it is masked wherever it appears in the task's output, so do not put short or
                common values (V(true), a user name) in it that are not secret.
            type: dict
          secret_meta_data:
            description:
              - Secret parts of O(instances[].config_drive.meta_data), merged into it, like
                O(instances[].config_drive.secret_cloud_config).
            type: dict
          user_data:
            description:
              - Raw user data, a string as cloud-init takes it - a shell script (C(#!)), a C(#cloud-config) text,
                C(#include) URLs, a C(#cloud-boothook), a Jinja template (cloud-init's C(## template) header), a
                MIME multipart message.
              - Alone it is stored as given. With O(instances[].config_drive.cloud_config) or
                O(instances[].user_name) the user data becomes a MIME C(multipart/mixed) message (cloud-init runs
                every part), the generated C(#cloud-config) part first, then this text with the content type
                cloud-init gives its first line (C(text/x-shellscript), C(text/cloud-config), C(text/x-include-url),
                C(text/cloud-boothook), C(text/jinja2), ..., else C(text/plain)), with a fixed boundary so that the
                same task gives the same bytes. A MIME message cannot be combined so (add the parts to it yourself).
              - Two C(#cloud-config) parts are merged by cloud-init, which by default replaces a list of the first
                part (the C(users) with the admin user) by the same list of the second; add C(merge_how) to yours
                to append instead.
              - A C(no_log) option - scripts often carry secrets; its value is masked in the module's log line, in
                C(invocation) and wherever it appears in the task's output, and it is never returned.
              - It must be a string; the task fails on anything else (no conversion).
              - The whole config drive (user data, meta data, network data) may take at most 15 MiB as Ironic
                stores it (JSON in the node's C(instance_info) in its database; MariaDB refuses a statement over
                its C(max_allowed_packet), 16 MiB by default, and the node then stays in C(deploying) until the
                conductor restarts). A bigger one fails before anything is reserved, naming the sizes; fetch big
                files from the instance instead (C(#include), C(write_files) with a URL, a script).
            type: raw
          network_data:
            description:
              - Network configuration in the OpenStack C(network_data.json) format, stored in the config drive
                as given (cloud-init configures the network from it) - C(links) (C(type) V(phy) or another
                physical type with C(ethernet_mac_address), V(bond) with C(bond_links) and C(bond_mode), V(vlan)
                with C(vlan_link), C(vlan_id) and C(vlan_mac_address)), C(networks) (C(type) V(ipv4), V(ipv6),
                V(ipv4_dhcp), V(ipv6_dhcp), V(ipv6_slaac), V(ipv6_dhcpv6-stateless) or V(ipv6_dhcpv6-stateful),
                C(link) naming a link C(id); static V(ipv4) and V(ipv6) need C(ip_address) and C(netmask) or a
                prefix, C(routes) with C(network), C(netmask), C(gateway)) and C(services) (C(type), C(address)).
              - Checked before anything is reserved; each problem names the path of the bad item, for example
                C(network_data.networks[1].link 'bond0' is not a link id).
              - It replaces the network data made for O(instances[].nics). An empty dict is no network data.
              - Give each link its C(mtu) - an Ironic whose network interface regenerates network metadata
                (C(neutron)) replaces a C(network_data) that has a link without one.
            type: dict
  state:
    description:
      - V(present) reserves and deploys each instance and (with O(wait)) waits until it is C(active).
      - V(reserved) only reserves a node (an allocation named after the hostname), without deploying.
      - V(absent) unprovisions the node that carries each hostname (Ironic then removes the allocation) or,
        for a reservation that was never deployed, releases it.
    type: str
    default: present
    choices: [present, absent, reserved]
  clean_up:
    description:
      - When an instance fails, undo what this task did to every instance (undeploy the nodes it deployed,
        remove the reservations and ports it created) and name each failed instance with its reason.
      - When false, what was done is left as is, and the error says so; a second run continues from there.
      - Instances that were already there before the task are never touched by the clean-up.
      - Only what Ironic accepted is undone, and only while the node still carries this task's instance (its
        C(instance_info.display_name) and reservation). A deployment that another run started on the same
        hostname is left alone and named in RV(cleanup_skipped).
    type: bool
    default: true
  concurrency:
    description:
      - How many instances are worked on at the same time; V(0) means all at once.
    type: int
    default: 0
  wait:
    description:
      - Whether to wait until the instances are C(active) (O(state=present)) or unprovisioned
        (O(state=absent)). Reservations are always waited for, since a reservation must hold a node
        before the module can go on.
      - Unlike C(metalsmith_instances), whose default is not to wait, this defaults to V(true).
    type: bool
    default: true
  timeout:
    description:
      - Deadline in seconds for each instance (reservation plus deployment or unprovisioning), counted from
        when the module starts working on that instance.
      - The clean-up after a failure has a deadline of its own, this value but at least 300 seconds.
    type: int
    default: 3600
  log_level:
    description:
      - Accepted for compatibility with C(metalsmith_instances); it has no effect. Use O(sdk_log_path)
        and O(sdk_log_level) to log the API requests.
    type: str
    default: info
    choices: [debug, info, warning, error]
notes:
  - For maintainers. This module uses openstacksdk's baremetal proxy (allocations, C(instance_info) patches,
    provision states with the config drive as a dict), not the metalsmith library. metalsmith's
    C(Instance.to_dict()), C(ip_addresses()) and C(nics()) always call the network service (Neutron) and fail
    with a bare AssertionError on a cloud without one; its C(reserve_node) waits for the allocation with no
    deadline (a stuck allocation hangs the task); its image names need Glance; and it has no check mode.
    metalsmith's behaviour is kept where users rely on it, namely allocations named after the hostname,
    C(instance_info.display_name), capability and conductor group filtering done on the client side (the
    allocation API filters neither), C(metalsmith_created_ports)/C(metalsmith_attached_ports) in the node's
    C(extra), the cloud-init user data and meta data of its C(CloudInitConfig).
  - Every wait has a deadline (O(timeout)) and polls briefly at first, so the module returns within about
    half a second of Ironic finishing.
  - Ironic removes an instance's allocation itself when the node is unprovisioned.
  - When one task reserves several instances, the whole list is matched to the free nodes first (before
    any write; the task fails when some instance would be left without a node), and each reservation asks
    Ironic for its matched node. An instance with loose requirements therefore never takes the only node
    another instance of the task can use. If another client took the matched node meanwhile, the
    reservation is retried on nodes that the other instances of the task do not need.
  - An C(active) instance is not redeployed when its image differs from O(instances[].image); the module
    warns. Unprovision it (O(state=absent)) and provision it again to change it.
  - The C(network_data) of the config drive is not generated from Neutron (metalsmith does it); cloud-init
    then configures the network by DHCP unless O(instances[].config_drive.network_data) gives it.
  - Two runs at once on the same hostname never make two instances (Ironic allows one allocation per name). The
    run that comes second either finds the instance and goes on with it, or fails saying that another run
    reserved or deployed the same hostname at the same time, and undoes nothing of the other run's; a re-run
    then reports no change.
  - A run that is interrupted (SIGINT, or killed) leaves at most the reservation, with or without the
    instance written on its node, or a deployment in progress; the next run continues from there.
'''

EXAMPLES = r'''
- name: Provision two instances in parallel
  cloudrise.openstack.baremetal_instance:
    cloud: mycloud
    instances:
      - hostname: compute-0
        resource_class: baremetal
        traits: [CUSTOM_GOLD]
        capabilities:
          boot_mode: uefi
        image:
          href: http://images.example.com/overcloud-full.qcow2
          checksum: http://images.example.com/SHA256SUMS
        ssh_public_keys:
          - "{{ lookup('file', '~/.ssh/id_ed25519.pub') }}"
        user_name: heat-admin
        config_drive:
          cloud_config:
            ntp: {servers: [ntp.example.com]}
          secret_cloud_config:                 # no_log: masked in the module's log line and invocation
            chpasswd: {list: "root:{{ vault_root_password }}", expire: false}
      - hostname: compute-1
        name: node-7
        image: http://images.example.com/overcloud-full.qcow2
    timeout: 1800
  register: provisioned

- name: Add them to the inventory
  ansible.builtin.add_host:
    name: "{{ item.hostname }}"
    groups: baremetal
    node_uuid: "{{ item.uuid }}"
  loop: "{{ provisioned.instances }}"

- name: Reserve nodes now, deploy them later
  cloudrise.openstack.baremetal_instance:
    state: reserved
    instances:
      - hostname: storage-0
        resource_class: baremetal
        capabilities:
          profile: storage

- name: Start deployments without waiting
  cloudrise.openstack.baremetal_instance:
    instances:
      - {hostname: compute-0, image: http://images.example.com/overcloud-full.qcow2}
      - {hostname: compute-1, image: http://images.example.com/overcloud-full.qcow2}
    wait: false

- name: Later, wait for them (the hostnames are enough, as metalsmith's wait_for_provisioning)
  cloudrise.openstack.baremetal_instance:
    instances:
      - hostname: compute-0
      - hostname: compute-1
    timeout: 1800

- name: Unprovision, by hostname or by the name or UUID of the node
  cloudrise.openstack.baremetal_instance:
    state: absent
    instances:
      - hostname: compute-0
      - hostname: node-7
'''

RETURN = r'''
instances:
  description:
    - One entry per instance of O(instances), in the same order, with the keys of metalsmith's
      C(Instance.to_dict()) (RV(instances[].hostname), RV(instances[].uuid), RV(instances[].state),
      RV(instances[].node), RV(instances[].ip_addresses)) and more.
  returned: always
  type: list
  elements: dict
  contains:
    hostname:
      description: Host name of the instance (also when it was looked up by its node's name or UUID).
      type: str
      sample: compute-0
    action:
      description:
        - What the task did (or, in check mode, would do) to the instance.
        - V(reserved), V(provisioned), V(unprovisioned) (a deployed node), V(released) (a reservation that
          was never deployed) or V(none).
      type: str
      sample: provisioned
    state:
      description:
        - State of the instance as metalsmith reports it (C(Instance.state)); in check mode the predicted one.
        - V(deploying) (a reservation not deployed yet, or a deployment in progress), V(active),
          V(maintenance) (active, node in maintenance), V(error) (deploy failed, node in error, failed
          reservation), V(unknown) (any other provision state, e.g. while unprovisioning), or V(absent) (no
          instance; metalsmith has no instance then).
        - Before release 0.1.0, this key held what RV(instances[].status) holds now.
      type: str
      sample: active
    status:
      description:
        - The finer state this module plans with; in check mode the predicted one.
        - V(absent), V(allocating), V(allocation_error), V(reserved), V(deploying), V(active),
          V(deploy_failed), V(undeploying), V(error), or another Ironic provision state.
      type: str
      sample: reserved
    is_deployed:
      description: Whether the deployment is finished (RV(instances[].state) is V(active) or V(maintenance)).
      type: bool
    is_healthy:
      description: Whether the instance is V(active) or V(deploying) and its node is not in maintenance.
      type: bool
    id:
      description: UUID of the node (C(metalsmith_instances) returns it as C(id)); null when none yet.
      type: str
      sample: 1be26c0b-03f2-4d2e-ae87-c02d7f33c123
    uuid:
      description: UUID of the node (same as RV(instances[].id)), the instance's UUID in metalsmith.
      type: str
    name:
      description: Name of the node.
      type: str
      sample: node-7
    provision_state:
      description: Ironic provision state of the node.
      type: str
      sample: active
    power_state:
      description: Power state of the node.
      type: str
    is_maintenance:
      description: Whether the node is in maintenance.
      type: bool
    node:
      description:
        - The node, or null when the instance has none - C(id), C(uuid), C(name), C(provision_state),
          C(target_provision_state), C(power_state), C(is_maintenance), C(maintenance_reason), C(last_error),
          C(resource_class), C(traits), C(properties), C(conductor_group), C(allocation_id), C(instance_id), C(owner).
        - Its C(instance_info) and C(driver_info) are left out (they can hold the config drive and credentials).
      type: dict
    allocation:
      description: The allocation carrying the hostname (C(id), C(name), C(state), C(node_id), C(last_error)), or null.
      type: dict
    image:
      description: The deployed image (C(instance_info.image_source)), or the requested one in check mode.
      type: str
    ip_addresses:
      description:
        - IP addresses by network name, from the node's VIFs; empty when the cloud has no network service.
      type: dict
ids:
  description: UUIDs of the nodes of the instances (as C(metalsmith_instances) returns for O(state=reserved)).
  returned: always
  type: list
  elements: str
msg:
  description: A summary of what was done.
  returned: always
  type: str
  sample: 2 provisioned, 3 unchanged
failed_instances:
  description: Hostnames of the instances that failed.
  returned: when an instance failed
  type: list
  elements: str
cleanup_skipped:
  description:
    - What the clean-up left alone, one entry per step, because the node is no longer this task's (another
      run deployed it, or it now carries another hostname or reservation), for example when two runs deploy
      the same hostname at once. Each entry is also in RV(msg).
  returned: when an instance failed and the clean-up left something alone
  type: list
  elements: str
problems:
  description: Every problem found by the validation (nothing was changed).
  returned: when the input is invalid
  type: list
  elements: str
'''

from ansible.module_utils.common.text.converters import to_text  # noqa: E402
from ansible.module_utils.urls import open_url  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._base import CloudModule  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.api import BaremetalApi  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.executor import apply_instances  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.plan import (  # noqa: E402
    fresh_view, instance_views, plan_instances, summary,
)
from ansible_collections.cloudrise.openstack.plugins.module_utils._baremetal.spec import DesiredInstances  # noqa: E402
from ansible_collections.cloudrise.openstack.plugins.module_utils._wait import Deadline  # noqa: E402

# the longest a checksum file download may take (less when the task's timeout has less left)
CHECKSUM_TIMEOUT = 30

NIC_SPEC = dict(network=dict(type='str'), subnet=dict(type='str'), port=dict(type='str'), fixed_ip=dict(type='str'))
INSTANCE_SPEC = dict(
    hostname=dict(type='str'),
    name=dict(type='str'),
    candidates=dict(type='list', elements='str'),
    resource_class=dict(type='str', default='baremetal'),
    traits=dict(type='list', elements='str'),
    capabilities=dict(type='dict'),
    conductor_group=dict(type='str'),
    image=dict(type='raw'),
    nics=dict(type='list', elements='dict', options=NIC_SPEC),
    netboot=dict(type='bool', default=False),
    root_size_gb=dict(type='int'),
    swap_size_mb=dict(type='int'),
    ssh_public_keys=dict(type='list', elements='str', no_log=False),
    user_name=dict(type='str'),
    passwordless_sudo=dict(type='bool', default=True),
    # secret_*: no_log suboptions, so Ansible masks their values in the Invoked-with log line and in invocation
    # user_data (raw: its type is checked, not converted) is no_log as a whole: scripts carry secrets
    config_drive=dict(type='dict', options=dict(cloud_config=dict(type='dict'), meta_data=dict(type='dict'),
                                                secret_cloud_config=dict(type='dict', no_log=True),
                                                secret_meta_data=dict(type='dict', no_log=True),
                                                user_data=dict(type='raw', no_log=True),
                                                network_data=dict(type='dict'))),
)


class BaremetalInstanceModule(CloudModule):
    argument_spec = dict(
        instances=dict(type='list', elements='dict', default=[], options=INSTANCE_SPEC),
        state=dict(type='str', default='present', choices=['present', 'absent', 'reserved']),
        clean_up=dict(type='bool', default=True),
        concurrency=dict(type='int', default=0),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=3600),
        log_level=dict(type='str', default='info', choices=['debug', 'info', 'warning', 'error']),
    )
    module_kwargs = dict(supports_check_mode=True)

    deadline = None

    def fetch_url(self, url):
        """A checksum file: the task's TLS settings, bounded by the task's time left (and CHECKSUM_TIMEOUT)."""
        params = self.params
        if url.lower().startswith('http://'):
            self.warn('The image checksum file %s is downloaded over plain http://: anyone on the network path can '
                      'change it along with the image, so it does not prove the image is intact. Use an https:// '
                      'checksum URL or give the checksum itself.' % url)
        timeout = CHECKSUM_TIMEOUT
        if self.deadline is not None:
            timeout = min(timeout, self.deadline.remaining())
            if timeout <= 0:
                raise ValueError('no time left of the task\'s timeout (%ss)' % self.deadline.seconds)
        validate = params['validate_certs']
        response = open_url(url, method='GET', timeout=timeout, validate_certs=True if validate is None else validate,
                            ca_path=params['ca_cert'], client_cert=params['client_cert'],
                            client_key=params['client_key'])
        return to_text(response.read(), errors='surrogate_or_strict')

    def run(self):
        if self.deadline is None:  # the base makes the task's one deadline when the task starts
            self.deadline = Deadline(self.params['timeout'])
        desired = DesiredInstances.from_params(self.params)
        api = BaremetalApi(self.conn, fetch_url=self.fetch_url)
        plan = plan_instances(api, desired)
        for warning in plan.warnings:
            self.warn(warning)
        fresh = False
        if plan.has_work and not self.check_mode:
            try:
                apply_instances(api, plan)
            except Exception as exc:
                self._attach_views(exc, api, plan.jobs)
                raise
            if not desired.wait:
                # the instances are still changing: read them again; after a wait each job holds its last poll
                api.snapshot()
                fresh = True
        views = instance_views(api, plan, self.check_mode, fresh)
        return self.result(plan.diff, instances=views, ids=[v['id'] for v in views if v['id'] and v['state'] != 'absent'],
                           msg=summary(views))

    @staticmethod
    def _attach_views(exc, api, jobs):
        """A failure returns the instances as they are now (after the clean-up)."""
        details = getattr(exc, 'details', None)
        if details is None:
            return
        api.snapshot()
        details['instances'] = [fresh_view(api, job, 'none') for job in jobs]


def main():
    BaremetalInstanceModule()()


if __name__ == '__main__':
    main()
