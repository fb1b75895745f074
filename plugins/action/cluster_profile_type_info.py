# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# The module's own action: module_defaults apply to options the task omits (see plugin_utils/_module_defaults.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudrise.openstack.plugins.plugin_utils._module_defaults import ActionModule

__all__ = ['ActionModule']
