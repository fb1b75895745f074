"""``patch_module_args``: hand options to an ``AnsibleModule`` built in a unit test, on every ansible-core the
collection claims (meta/runtime.yml's ``requires_ansible``, tested from the oldest to the newest).

ansible-core 2.19 changed how a module receives its options and added ``ansible.module_utils.testing.
patch_module_args`` for tests; it is used where it exists. Before 2.19 the module read the JSON document
``{"ANSIBLE_MODULE_ARGS": {...}}`` from ``ansible.module_utils.basic._ANSIBLE_ARGS`` (bytes), which is what the
fallback patches, for the duration of the ``with`` block only. On 2.19+ writing ``_ANSIBLE_ARGS`` no longer
works (the reason this helper exists).

    from module_args import patch_module_args

    with patch_module_args({'name': 'web', '_ansible_check_mode': True}):
        module = AnsibleModule(argument_spec=...)

``INJECT_INVOCATION`` holds the option that makes a module answer with its ``invocation`` (the options it got,
no_log values masked): ansible-core 2.21 leaves ``invocation`` out unless the task asks for it (the
``inject_invocation`` setting); before 2.21 it is always there and the option would be refused as unsupported.
Tests that check what ``invocation`` shows add it to their options.
"""

import contextlib
import json

try:
    from ansible.module_utils.testing import patch_module_args as _core_patch_module_args
except ImportError:  # ansible-core < 2.19
    _core_patch_module_args = None


def _knows_inject_invocation():
    from ansible.module_utils.common.parameters import PASS_VARS

    return 'inject_invocation' in PASS_VARS


INJECT_INVOCATION = {'_ansible_inject_invocation': True} if _knows_inject_invocation() else {}


@contextlib.contextmanager
def _patch_ansible_args(args):
    from ansible.module_utils import basic

    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


def patch_module_args(args=None):
    """A context manager in which a new ``AnsibleModule`` gets ``args`` (a dict; ``None`` is no options)."""
    args = {} if args is None else args
    if _core_patch_module_args is not None:
        return _core_patch_module_args(args)
    return _patch_ansible_args(args)
