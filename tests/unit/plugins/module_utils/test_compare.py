from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import (
    REDACTED, Difference, Plan, is_equal, redact)


@pytest.mark.parametrize('desired, actual, method, expected', [
    (None, 'anything', 'value', True),          # not set by the user: never a difference
    ('a', 'a', 'value', True),
    ('a', 'b', 'value', False),
    (1, '1', 'value', True),                    # users write numbers, APIs return strings
    (True, 'true', 'value', True),
    (True, False, 'value', False),
    (0, None, 'value', False),
    ([1, 2], [1, 2], 'list', True),
    ([1, 2], [2, 1], 'list', False),
    ([1, 2], [2, 1], 'set', True),
    ([1, 1, 2], [2, 1], 'set', True),
    ([1, 2], [1], 'set', False),
    ([], None, 'list', True),
    ({'a': 1}, {'a': 1}, 'dict', True),
    ({'a': 1}, {'a': 1, 'b': 2}, 'dict', False),
    ({'a': 1}, {'a': 1, 'b': 2}, 'allow_more', True),
    ({'a': {'x': 1}}, {'a': {'x': 1, 'y': 2}}, 'allow_more', True),
    ({'a': {'x': 1}}, {'a': {'x': 2}}, 'allow_more', False),
    ({'a': 1}, None, 'allow_more', False),
    ({'a': [1, 2]}, {'a': [1, 2], 'b': 0}, 'allow_more', True),
    ({}, {'b': 1}, 'dict', False),
])
def test_is_equal(desired, actual, method, expected):
    assert is_equal(desired, actual, method) is expected


def test_unknown_method_is_a_programming_error():
    with pytest.raises(ValueError):
        is_equal(1, 1, 'fuzzy')


@pytest.mark.parametrize('value, expected', [
    (None, None),
    ('s3cret', REDACTED),
    ({'password': 'x', 'user': 'y'}, {'password': REDACTED, 'user': REDACTED}),
])
def test_redact(value, expected):
    assert redact(value) == expected


def test_difference_records_only_differences_and_derives_changed():
    diff = Difference()
    assert not diff.changed and not diff
    assert diff.compare('name', 'web', 'web') is False
    assert diff.compare('min_size', None, 3) is False
    assert not diff.changed
    assert diff.compare('max_size', 5, 3) is True
    assert diff.changed and bool(diff)
    assert diff.keys == ['max_size']
    assert diff.diff() == {'before': {'max_size': 3}, 'after': {'max_size': 5}}


def test_difference_redacts_secrets_in_both_sides():
    diff = Difference()
    diff.compare('password', 'new', 'old', secret=True)
    diff.add('alarm_url', None, 'http://hook', secret=True)
    rendered = diff.diff()
    assert rendered == {'before': {'password': REDACTED, 'alarm_url': None},
                        'after': {'password': REDACTED, 'alarm_url': REDACTED}}
    assert 'new' not in repr(rendered) and 'old' not in repr(rendered)


@pytest.mark.parametrize('key, desired, actual, method, changed', [
    ('tags', ['b', 'a'], ['a', 'b'], 'set', False),
    ('metadata', {'k': 'v'}, {'k': 'v', 'extra': 1}, 'allow_more', False),
    ('name', None, 'x', 'value', False),
    ('token', 't2', 't1', 'value', True),
])
def test_compare_methods(key, desired, actual, method, changed):
    diff = Difference()
    assert diff.compare(key, desired, actual, method, secret=key == 'token') is changed
    assert diff.changed is changed


def test_compare_redacts_secrets():
    diff = Difference()
    diff.compare('token', 't2', 't1', secret=True)
    assert diff.diff() == {'before': {'token': REDACTED}, 'after': {'token': REDACTED}}


def test_plan_changed_comes_from_its_difference():
    plan = Plan()
    assert not plan.changed and plan.steps == []
    plan.step('create', body={'name': 'a'}).step('wait')
    assert not plan.changed, 'steps alone never make a change: the Difference does'
    plan.diff.add('state', 'absent', 'present')
    assert plan.changed and plan.has('wait') and not plan.has('delete')
    assert plan.steps[0] == ('create', {'body': {'name': 'a'}})
    assert repr(plan) == "Plan(changed=True, steps=['create', 'wait'])"


def test_merge_prefixes_keys():
    inner = Difference()
    inner.compare('enabled', True, False)
    outer = Difference().merge(inner, prefix='bindings.web')
    assert outer.diff() == {'before': {'bindings.web.enabled': False}, 'after': {'bindings.web.enabled': True}}


def test_secret_digest_is_keyed_and_sized():
    import hashlib
    from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import RUN_KEY, secret_digest
    digest, size = secret_digest('abc')
    assert size == 3 and len(digest) == 16 and digest == secret_digest('abc', RUN_KEY)[0]
    assert digest != hashlib.sha256(b'abc').hexdigest()[:16]          # not a plain (guessable) hash
    assert secret_digest('abc', b'k1') != secret_digest('abc', b'k2')  # another key, another digest
    assert secret_digest({'b': 1, 'a': 2}) == secret_digest({'a': 2, 'b': 1})
