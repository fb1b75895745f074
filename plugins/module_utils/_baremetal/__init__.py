# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bare-metal instances with metalsmith's semantics, built on openstacksdk's baremetal proxy.

An *instance* is a node that carries a hostname: the name of its Ironic allocation (or, for nodes
deployed by old metalsmith releases without an allocation, ``instance_info.display_name`` with
``instance_uuid`` equal to the node's own UUID). It is reported as metalsmith's ``Instance.to_dict()`` (``state``
with metalsmith's values, ``node``, ``is_deployed`` ...) plus this collection's finer ``status``; ``state=absent`` and
the info module also find it by its node's name or UUID. The flow per instance is metalsmith's:

  reserve   -- an allocation named after the hostname (resource class, traits; candidates filtered
               here by capabilities, conductor group, maintenance and availability, because the
               allocation API filters by neither capabilities nor conductor group)
  provision -- instance_info (image, checksum, root/swap size, capabilities, display_name), NICs when
               Neutron exists, then provision state ``active`` with a config drive as a dict
  wait      -- until ``active``, with one ``_wait.Deadline`` per instance (short first polls)
  absent    -- provision state ``deleted`` (Ironic removes the allocation) or, for a reservation
               that was never deployed, delete the allocation

A module run: ``DesiredInstances.from_params`` -> ``plan_instances(api, desired)`` (everything read once,
validated and planned before any write; check mode stops here) -> ``apply_instances(api, plan)``.

Files:
  spec.py        -- ``DesiredInstances`` and the normalisation of the instance list (hostnames, images)
  matching.py    -- which nodes fit an instance, and the matching of a task's reservations to nodes
  image.py       -- checksum files and digests, the image keys and the instance_info to set
  configdrive.py -- the config drive as metalsmith renders it (cloud-init user data and meta data), the user's raw
                    user data (a multipart message with the generated part), network_data checks, size limit
  plan.py        -- instance status and metalsmith state, the plan table, ``plan_instances``/``InstancesPlan``, the
                    returned views
  executor.py    -- ``apply_instances``: jobs in threads with a deadline each, clean-up, the aggregated error
  api.py         -- ``BaremetalApi``: the snapshot of nodes and allocations and every read or write

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
