# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Senlin (clustering) service logic of the cluster, cluster_node, cluster_policy, cluster_profile and receiver
modules and of the cluster_*info modules. Private to this collection: not a public API.

Which file holds what:

- ``client.py``: ``SenlinClient``, the REST calls (409-locked retry), finding objects, Senlin's asynchronous
  actions and the waits on them (one task-wide ``_wait.Deadline``), failure messages naming failed nodes.
- ``common.py``: small pure helpers the other files share (``Desired``, ids, spec comparison, create/delete diffs,
  the secret parts merged into a profile spec, ``SpecView``: a spec redacted for the diff).
- ``create.py``: creates that survive a lost answer (a token in the metadata, looked up before resending) and the
  clean-up of the duplicates an interrupted create left behind.
- ``health.py``: the health of a cluster's nodes and the repair of broken ones (``converge_health``).
- ``cluster.py``: sizes, ``DesiredCluster``, ``ClusterPlan``, ``plan_cluster``, ``apply_cluster``, and
  ``converge_cluster`` (node repair, check/recover after the plan).
- ``cluster_ops.py``: the cluster module's relative resize (Senlin's arithmetic), operations, ``replace_nodes`` and
  the busy check before a delete (``force``).
- ``profile.py``: profiles (``plan_profile``/``apply_profile``) and the profiles the cluster module makes.
- ``node.py``: nodes (``plan_node``/``apply_node``), membership checks and moves between clusters.
- ``policy.py``: policies and their cluster bindings (``plan_policy``/``apply_policy``).
- ``receiver.py``: receivers (``plan_receiver``/``apply_receiver``) and webhook URL redaction.
- ``listing.py``: the list pager (``marker`` until a short page), query strings, sort keys, name-or-id filters.
- ``info.py``: the read-only queries of cluster_info (and its ``collect``), cluster_profile_info,
  cluster_policy_info and cluster_receiver_info.
- ``history.py``: the queries of cluster_action_info and cluster_event_info (``limit``, ``since``).
- ``schemas.py``: the profile and policy types of cluster_profile_type_info and cluster_policy_type_info.

Every module follows one shape: ``Desired*.from_params(params)`` at the boundary; the lookups and checks that
need a request (``read_*``/``find_*``: nothing is written); a pure ``plan_*`` that returns a ``_compare.Plan``
subclass; then ``apply_*`` (or, in check mode, ``plan.predicted``). No module file sends a request itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
