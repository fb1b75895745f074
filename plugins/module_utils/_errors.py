# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by the service helpers and translated once by the base.

Private to this collection: not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class CloudModuleError(Exception):
    """A failure the module reports with ``msg`` and extra result keys.

    ``details`` become top-level keys of the failed result (for example
    ``resource_id``, ``status``, ``status_reason``, ``failed_resources``).
    """

    def __init__(self, msg, **details):
        super(CloudModuleError, self).__init__(msg)
        self.msg = msg
        self.details = details


class InvalidInput(CloudModuleError):
    """The user's options are wrong; raised before any write request."""


class NotFound(CloudModuleError):
    """A referenced resource (profile, cluster, config, ...) does not exist."""


class Ambiguous(CloudModuleError):
    """A name matches more than one resource."""

    def __init__(self, kind, name, matches):
        ids = sorted(str(m.get('id') if isinstance(m, dict) else getattr(m, 'id', m)) for m in matches)
        super(Ambiguous, self).__init__(
            "More than one %s is named '%s': %s. Use the id instead." % (kind, name, ', '.join(ids)),
            matches=ids)


class ResourceFailed(CloudModuleError):
    """The service reports the resource or action in a failed state."""


class WaitTimeout(CloudModuleError):
    """The deadline passed before the resource reached the wanted state."""


class SdkTooOld(CloudModuleError):
    """The installed openstacksdk lacks a feature the user asked for."""
