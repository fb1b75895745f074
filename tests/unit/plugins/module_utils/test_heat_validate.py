"""Template and environment strings read as YAML (JSON included) with the line and column of a mistake, and the
template validation of stack_template_validate (plugins/module_utils/_heat/validate.py) against a fake Heat."""


import pytest

from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import reader as heat_reader
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import template as heat_template


# -- template and environment strings: YAML, a superset of JSON --------------------------------------------

@pytest.mark.parametrize('text, expected', [
    # the ad-hoc command: a YAML flow mapping, once read as JSON only
    ('{heat_template_version: 2018-08-31}', {'heat_template_version': '2018-08-31'}),
    ('  {heat_template_version: 2018-08-31, description: "a, b"}\n',
     {'heat_template_version': '2018-08-31', 'description': 'a, b'}),
    ('{heat_template_version: 2018-08-31, resources: {v: {type: OS::Heat::Value, properties: {value: 1}}}}',
     {'heat_template_version': '2018-08-31', 'resources': {'v': {'type': 'OS::Heat::Value',
                                                                 'properties': {'value': 1}}}}),
    # JSON stays JSON (escapes, tabs)
    ('{"heat_template_version": "2018-08-31",\t"description": "a\\/b \\u00e9"}',
     {'heat_template_version': '2018-08-31', 'description': 'a/b \u00e9'}),
    ('heat_template_version: 2018-08-31\n', {'heat_template_version': '2018-08-31'}),
])
def test_template_strings_are_yaml_or_json(text, expected):
    assert heat_reader.parse_template(text) == expected
    template, files = heat_template.load_template(template_content=text)
    assert template == expected and files == {}


@pytest.mark.parametrize('text, where', [
    ('{heat_template_version: 2018-08-31, resources: [1, 2}', 'line 1, column 53'),
    ('{\n  "heat_template_version": "2018-08-31"\n  "description": "x"\n}', 'line 3, column 3'),
    ('heat_template_version: 2018-08-31\nresources:\n  a: [\n', 'line 4, column 1'),
])
def test_a_template_string_mistake_names_its_line_and_column(text, where):
    with pytest.raises(InvalidInput) as err:
        heat_template.load_template(template_content=text)
    message = str(err.value)
    assert message.startswith('Cannot parse the template (template_content): ')
    assert 'in "(template_content)", %s' % where in message


def test_a_template_file_mistake_names_the_file_line_and_column(tmp_path):
    path = tmp_path / 'bad.yaml'
    path.write_text('{heat_template_version: 2018-08-31,\n resources: {a: }}}\n')
    with pytest.raises(InvalidInput) as err:
        heat_template.load_template(template=str(path))
    assert 'in "file://%s", line 2, column ' % path in str(err.value)


@pytest.mark.parametrize('text, expected', [
    ('{parameters: {p: 1}, parameter_defaults: {q: "x, y"}}', {'parameters': {'p': 1}, 'parameter_defaults': {'q': 'x, y'}}),
    ('{"parameters": {"p": 1}}', {'parameters': {'p': 1}}),
])
def test_environment_strings_are_yaml_or_json(text, expected):
    assert heat_template.load_environment(None, text) == (expected, {})


def test_an_environment_string_mistake_names_its_line_and_column():
    with pytest.raises(InvalidInput) as err:
        heat_template.load_environment(None, '{parameters: {p: 1}\n')
    assert str(err.value).startswith('Cannot parse environment_content: ')
    assert 'in "(environment_content)", line 2, column 1' in str(err.value)


def test_flow_yaml_keeps_the_alias_cap():
    levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for n in range(1, 6):
        levels.append('%s: &%s [%s]' % ('abcdefg'[n], 'abcdefg'[n], ', '.join(['*' + 'abcdefg'[n - 1]] * 10)))
    text = '{heat_template_version: 2018-08-31, %s}' % ', '.join(levels)
    with pytest.raises(InvalidInput, match='aliases of \\(template_content\\) expand it'):
        heat_template.load_template(template_content=text)
    with pytest.raises(InvalidInput, match='aliases of \\(environment_content\\) expand it'):
        heat_template.load_environment(None, '{parameter_defaults: {%s}}' % ', '.join(levels))


def test_flow_yaml_keeps_the_size_cap():
    text = '{heat_template_version: 2018-08-31, description: "%s"}' % ('x' * heat_reader.MAX_FILE_BYTES)
    with pytest.raises(InvalidInput, match='larger than'):
        heat_template.load_template(template_content=text)
    with pytest.raises(InvalidInput, match='larger than'):
        heat_template.load_environment(None, '{parameters: {p: "%s"}}' % ('x' * heat_reader.MAX_FILE_BYTES))



def test_an_environment_file_mistake_names_the_file_line_and_column(tmp_path):
    path = tmp_path / 'env.yaml'
    path.write_text('{parameters: {p: 1},\n parameter_defaults: {q: [}}\n')
    with pytest.raises(InvalidInput) as err:
        heat_template.load_environment([str(path)])
    assert 'in "file://%s", line 2, column ' % path in str(err.value)
