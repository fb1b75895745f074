# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Connection, logging and waiting options shared by every module.
    DOCUMENTATION = r'''
options:
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml), or a dict with a whole cloud configuration
        (as openstacksdk's C(openstack.connect()) takes it).
      - When not set, openstacksdk resolves the cloud from C(OS_CLOUD), C(OS_CLIENT_CONFIG_FILE) and the
        other C(OS_*) environment variables; this is how an AWX/Tower OpenStack credential reaches a module.
      - "The order openstacksdk follows: this option; C(OS_CLOUD); its C(envvars) cloud, made whenever an C(OS_*)
        variable other than C(OS_CLOUD), C(OS_REGION_NAME), C(OS_CLIENT_CONFIG_FILE), C(OS_CLIENT_SECURE_FILE) and
        C(OS_CLOUD_NAME) is set (C(OS_AUTH_URL), C(OS_PASSWORD), ...); the only cloud of C(clouds.yaml)."
      - So a stray C(OS_AUTH_URL) hides the C(clouds.yaml) an AWX credential gives. The module warns when that
        happens (naming the variables, not their values); set this option or C(OS_CLOUD) to choose.
      - When a dict, the other connection options must not be set, except O(auth) and O(client_key), which are
        merged into it (O(auth) over the dict's C(auth)). Put the secrets there, not in the dict. Ansible logs a
        task's arguments on the managed host and returns them when the task fails early; O(auth) and O(client_key)
        are never logged, a password or token inside a dict O(cloud) is (the module warns when it finds one).
    type: raw
  auth:
    description:
      - Authentication data (C(auth_url), C(username), C(password), C(project_name), ...) merged over the
        cloud's.
    type: dict
  auth_type:
    description:
      - Name of the keystoneauth plugin, for example C(password), C(token), C(v3applicationcredential).
    type: str
  region_name:
    description:
      - Region of the cloud to use.
    type: str
  validate_certs:
    description:
      - Whether to verify TLS certificates. Defaults to the cloud's setting (true).
    type: bool
    aliases: [verify]
  ca_cert:
    description:
      - Path to a CA bundle used to verify the endpoints.
    type: str
    aliases: [cacert]
  client_cert:
    description:
      - Path to a client certificate for TLS client authentication.
    type: str
    aliases: [cert]
  client_key:
    description:
      - Path to the key of O(client_cert).
    type: str
    aliases: [key]
  api_timeout:
    description:
      - The most, in seconds, each API request waits for an answer (not the whole task, see O(timeout)). Must be
        positive.
      - When not set (here, in a O(cloud) dict or in C(clouds.yaml)), each request waits at most the time left of
        O(timeout), and at least 10 seconds.
    type: int
  interface:
    description:
      - Which endpoint of the catalog to use.
    type: str
    default: public
    choices: [public, internal, admin]
    aliases: [endpoint_type]
  sdk_log_path:
    description:
      - Path of a file openstacksdk logs to. With O(sdk_log_level=DEBUG) it records every HTTP request (method, URL,
        headers with the token hashed, status) but never a request or response body, as bodies carry templates, hidden
        parameters, config drives and webhook URLs.
      - The file is created readable and writable by its owner only (mode 0600; an existing file is made so), and every
        value of a C(no_log) option is written as C(********).
    type: path
  sdk_log_level:
    description:
      - Level of the openstacksdk log.
    type: str
    default: INFO
    choices: [INFO, DEBUG]
  wait:
    description:
      - Whether to wait until the change is complete (and fail when it failed).
    type: bool
    default: true
  timeout:
    description:
      - How long, in seconds, to wait when O(wait=true). Each module documents its own default. It must be positive; a
        value of 0 or less fails before any request.
      - The task's requests share this time. A read (GET) that fails transiently (HTTP 502, 503 or 504, a connection
        refused or reset, no answer) is sent again while time is left, and a wait polls on through such failures. A
        write is sent again only when it never reached the service; when its answer is lost the task fails saying so,
        and running it again converges.
    type: int
    default: 180
requirements:
  - python >= 3.8
  - openstacksdk >= 3.0.0
notes:
  - Authentication is resolved by openstacksdk from C(clouds.yaml) (current directory,
    C(~/.config/openstack/), C(/etc/openstack/)), then C(OS_*) environment variables, then the options above.
  - All modules are in the action group C(cloudrise.openstack.openstack), so
    C(module_defaults) with C(group/cloudrise.openstack.openstack) sets these options once for a play.
'''

    # Attributes of a module that fully supports check mode and diff mode and is idempotent.
    ATTRIBUTES = r'''
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: full
  action_group:
    description: Use C(group/cloudrise.openstack.openstack) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - cloudrise.openstack.openstack
'''

    # Attributes of an *_info module.
    INFO_ATTRIBUTES = r'''
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details: This module only reads; it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: N/A
    details: This module only reads.
  action_group:
    description: Use C(group/cloudrise.openstack.openstack) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - cloudrise.openstack.openstack
'''
