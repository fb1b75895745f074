import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import (
    REDACTED, Difference, is_equal, redact)


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


def test_compare_all_uses_methods_and_secrets():
    diff = Difference().compare_all(
        dict(tags=['b', 'a'], metadata={'k': 'v'}, token='t2', name=None),
        dict(tags=['a', 'b'], metadata={'k': 'v', 'extra': 1}, token='t1', name='x'),
        methods=dict(tags='set', metadata='allow_more'), secrets=('token',))
    assert diff.keys == ['token']
    assert diff.diff()['after'] == {'token': REDACTED}


def test_merge_prefixes_keys():
    inner = Difference()
    inner.compare('enabled', True, False)
    outer = Difference().merge(inner, prefix='bindings.web')
    assert outer.diff() == {'before': {'bindings.web.enabled': False}, 'after': {'bindings.web.enabled': True}}
