"""A callback for test_secrets.py: every task result, as a callback receives it, one JSON line each in the file
named by SECRET_SCAN_RESULTS (the task's name, its status and the whole result, `invocation` included)."""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: secret_dump
type: aggregate
short_description: writes every task result to a file
description: For the secret scanner of the integration tests.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'secret_dump'
    CALLBACK_NEEDS_ENABLED = True

    def _dump(self, status, result):
        path = os.environ.get('SECRET_SCAN_RESULTS')
        if not path:
            return
        record = {'task': result.task_name, 'status': status, 'result': result._result}
        with open(path, 'a', encoding='utf-8') as out:
            out.write(json.dumps(record, default=repr) + '\n')

    def v2_runner_on_ok(self, result):
        self._dump('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._dump('failed', result)

    def v2_runner_on_skipped(self, result):
        self._dump('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._dump('unreachable', result)

    def v2_runner_item_on_ok(self, result):
        self._dump('item_ok', result)

    def v2_runner_item_on_failed(self, result):
        self._dump('item_failed', result)
