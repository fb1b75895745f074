"""Template and environment strings read as YAML (JSON included) with the line and column of a mistake, and the
template validation of stack_template_validate (plugins/module_utils/_heat/validate.py) against a fake Heat."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

import pytest
import requests
from openstack import exceptions as sdk_exceptions

from ansible_collections.cloudrise.openstack.plugins.module_utils._compare import REDACTED
from ansible_collections.cloudrise.openstack.plugins.module_utils._errors import InvalidInput
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import reader as heat_reader
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import stack as heat_stack
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import template as heat_template
from ansible_collections.cloudrise.openstack.plugins.module_utils._heat import validate as heat_validate


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


# -- template validation (stack_template_validate) -----------------------------------------------------------

HOT = {'heat_template_version': '2018-08-31', 'description': 'd',
       'parameters': {'size': {'type': 'number'}, 'pw': {'type': 'string', 'hidden': True},
                      'name': {'type': 'string', 'default': 'n'}},
       'resources': {'v': {'type': 'OS::Heat::Value', 'properties': {'value': {'get_file': 'note.txt'}}}}}

# Heat 27's answers (recorded from the local cloud)
ANSWER = {'Description': 'd', 'ParameterGroups': [{'label': 'g', 'parameters': ['size']}],
          'Parameters': {'size': {'Type': 'Number', 'Label': 'size', 'NoEcho': 'false', 'Description': ''},
                         'pw': {'Type': 'String', 'Label': 'pw', 'NoEcho': 'true', 'Value': 'CANARY-pw',
                                'Description': ''},
                         'name': {'Type': 'String', 'Label': 'name', 'NoEcho': 'false', 'Default': 'n',
                                  'Value': 'CANARY-name', 'Description': ''}},
          'Environment': {'parameters': {'pw': 'CANARY-pw', 'name': 'CANARY-name'}}}


def heat_error(message, kind='HTTPBadRequest'):
    response = requests.Response()
    response.status_code = 400
    response._content = json.dumps({'code': 400, 'title': 'Bad Request', 'error': {
        'type': kind, 'traceback': None, 'message': message}}).encode()
    return sdk_exceptions.BadRequestException(message='BadRequestException: 400', response=response, details=message)


class FakeHeat(object):
    def __init__(self, answer=None, error=None, preview=None, preview_error=None):
        self.answer, self.error, self.preview, self.preview_error = answer, error, preview, preview_error
        self.calls = []

    def validate_template(self, body, ignore_errors=None, show_nested=False):
        self.calls.append(('validate', body, ignore_errors, show_nested))
        if self.error:
            raise self.error
        return copy.deepcopy(self.answer)

    def preview_create(self, body):
        self.calls.append(('preview', body))
        if self.preview_error:
            raise self.preview_error
        return self.preview


def desired_validation(tmp_path, **params):
    (tmp_path / 'note.txt').write_text('a note')
    (tmp_path / 't.yaml').write_text(json.dumps(HOT))
    values = dict(template=str(tmp_path / 't.yaml'), parameters={'name': 'CANARY-name'},
                  secret_parameters={'pw': 'CANARY-pw'}, environment_content={'parameter_defaults': {'size': 2}})
    values.update(params)
    return heat_validate.DesiredValidation.from_params(values, cwd=str(tmp_path))


@pytest.mark.parametrize('message, section', [
    ('Property error: resources.s.properties: Unknown Property valu', 'resources.s.properties'),
    ('Property error: resources.s.properties.value: The Parameter (missing) was not provided.',
     'resources.s.properties.value'),
    ('The specified reference "nope" (in s.Properties.value) is incorrect.', 'resources.s.Properties.value'),
    ('The template section is invalid: resourcez', 'resourcez'),
    ("Parameter 'p' is invalid: Invalid default 1 (1 is not an allowed value [\"a\"])", 'parameters.p'),
    ('The Parameter (p) was not provided.', 'parameters.p'),
    ('The Parameter (p) was not defined in template.', 'parameters.p'),
    ('The Resource Type (OS::Nope::X) could not be found.', None),
    ('HEAT-E99001 Service nova is not available for resource type OS::Nova::Server, reason: nova compute endpoint '
     'is not in service catalog.', None),
    ('Invalid type (strin)', None),
])
def test_error_section_of_heat_messages(message, section):
    assert heat_validate.error_section(message) == section


@pytest.mark.parametrize('codes, expected', [
    (None, []), ([], []), (['99001'], ['99001']), (['HEAT-E99001', ' 99001 ', 12], ['99001', '12']),
])
def test_ignore_errors_codes(codes, expected):
    assert heat_validate.normalize_error_codes(codes) == expected


@pytest.mark.parametrize('code', ['E99001', 'nova', '', '99001,99002'])
def test_ignore_errors_bad_code(code):
    with pytest.raises(InvalidInput, match="ignore_errors takes Heat error codes .*not '%s'" % code):
        heat_validate.normalize_error_codes([code])


def test_desired_validation_reads_as_the_stack_module_does(tmp_path):
    want = desired_validation(tmp_path)
    stack = heat_stack.DesiredStack.from_params(dict(
        name='s', template=str(tmp_path / 't.yaml'), parameters={'name': 'CANARY-name'},
        secret_parameters={'pw': 'CANARY-pw'}, environment_content={'parameter_defaults': {'size': 2}}),
        cwd=str(tmp_path))
    body = want.body()
    assert body['template'] == stack.template and body['files'] == stack.files == {
        'file://%s/note.txt' % tmp_path: 'a note'}
    assert body['environment'] == stack.effective_environment == {
        'parameter_defaults': {'size': 2}, 'parameters': {'name': 'CANARY-name', 'pw': 'CANARY-pw'}}
    assert want.redacted_names == {'pw'} and want.secret_values() == ['CANARY-pw']


def test_desired_validation_bad_inputs(tmp_path):
    with pytest.raises(InvalidInput, match='given in both parameters and secret_parameters: pw'):
        desired_validation(tmp_path, parameters={'pw': 'x'})
    with pytest.raises(InvalidInput, match='ignore_errors takes Heat error codes'):
        desired_validation(tmp_path, ignore_errors=['nova'])
    with pytest.raises(InvalidInput, match='line 1, column'):
        desired_validation(tmp_path, template=None, template_content='{heat_template_version: [}')


def test_validate_returns_heats_description_with_secrets_redacted(tmp_path):
    api = FakeHeat(ANSWER)
    result = heat_validate.validate_template(api, desired_validation(tmp_path, secret_parameters={'pw': 'CANARY-pw',
                                                                                                  'size': 3}))
    assert result['description'] == 'd'
    assert result['parameter_groups'] == [{'label': 'g', 'parameters': ['size']}]
    assert result['parameters']['pw']['Value'] == REDACTED  # hidden (NoEcho)
    assert result['parameters']['name']['Value'] == 'CANARY-name'
    assert result['missing_parameters'] == ['size']
    assert 'CANARY-pw' not in json.dumps(result) and 'preview' not in result and 'nested_parameters' not in result
    assert [c[0] for c in api.calls] == ['validate'] and api.calls[0][2:] == ([], False)


def test_validate_redacts_secret_parameters_heat_does_not_hide(tmp_path):
    answer = copy.deepcopy(ANSWER)
    answer['Parameters']['pw']['NoEcho'] = 'false'
    answer['Parameters']['pw']['Default'] = 'CANARY-default'
    result = heat_validate.validate_template(FakeHeat(answer), heat_validate.DesiredValidation(
        {'heat_template_version': '2018-08-31'}, secret_names={'pw'}))
    assert result['parameters']['pw']['Value'] == result['parameters']['pw']['Default'] == REDACTED


def test_validate_show_nested_redacts_every_level(tmp_path):
    answer = dict(ANSWER, NestedParameters={'inner': {'Type': 'x.yaml', 'Parameters': {
        'key': {'NoEcho': 'true', 'Value': 'CANARY-k', 'Type': 'String'}, 'pw': {'NoEcho': 'false', 'Value': 'CANARY-pw'}},
        'NestedParameters': {'deeper': {'Parameters': {'k2': {'NoEcho': 'true', 'Default': 'CANARY-k2'}}}}}})
    api = FakeHeat(answer)
    result = heat_validate.validate_template(api, desired_validation(tmp_path, show_nested=True,
                                                                     ignore_errors=['HEAT-E99001']))
    assert api.calls[0][2:] == (['99001'], True)
    inner = result['nested_parameters']['inner']
    assert inner['Parameters']['key']['Value'] == inner['Parameters']['pw']['Value'] == REDACTED
    assert inner['NestedParameters']['deeper']['Parameters']['k2']['Default'] == REDACTED
    assert 'CANARY' not in json.dumps(result).replace('CANARY-name', '')


def test_validate_failure_carries_heats_message_type_and_section(tmp_path):
    api = FakeHeat(error=heat_error('The specified reference "db" (in app.Properties.value) is incorrect.',
                                    'InvalidTemplateReference'))
    with pytest.raises(InvalidInput) as err:
        heat_validate.validate_template(api, desired_validation(tmp_path, preview=True))
    assert err.value.msg == 'Heat rejected the template: The specified reference "db" (in app.Properties.value) is ' \
                            'incorrect.'
    assert err.value.details == {'error': {'type': 'InvalidTemplateReference', 'section': 'resources.app.Properties.value',
                                           'message': 'The specified reference "db" (in app.Properties.value) is '
                                                      'incorrect.'}}
    assert [c[0] for c in api.calls] == ['validate']  # no preview after a failed validation


@pytest.mark.parametrize('codes, match', [
    (['12345'], r'ignore_errors holds an error code Heat does not know \(12345\); Heat answered "<HTTPBadRequest'),
    ([], r'Heat did not validate the template; it answered "<HTTPBadRequest'),
])
def test_validate_heats_string_answer(tmp_path, codes, match):
    api = FakeHeat('<HTTPBadRequest at 0x7f 400 Bad Request>')
    with pytest.raises(InvalidInput, match=match):
        heat_validate.validate_template(api, desired_validation(tmp_path, ignore_errors=codes))


def test_validate_preview(tmp_path):
    api = FakeHeat(ANSWER, preview={'stack': {'resources': [{'resource_name': 'v', 'resource_type': 'OS::Heat::Value'}]}})
    desired = desired_validation(tmp_path, preview=True)
    result = heat_validate.validate_template(api, desired, preview_name='probe')
    assert result['preview'] == {'resources': [{'name': 'v', 'type': 'OS::Heat::Value'}]}
    assert api.calls[1] == ('preview', dict(desired.body(), stack_name='probe'))
    heat_validate.validate_template(api, desired)
    assert api.calls[3][1]['stack_name'].startswith('template-validate-')


def test_validate_preview_failure(tmp_path):
    api = FakeHeat(ANSWER, preview_error=heat_error('Property error: resources.v.properties.value: The Parameter '
                                                    '(nope) was not provided.', 'StackValidationFailed'))
    with pytest.raises(InvalidInput) as err:
        heat_validate.validate_template(api, desired_validation(tmp_path, preview=True))
    assert err.value.msg.startswith("Heat's create preview rejected the template: Property error: ")
    assert err.value.details['error']['section'] == 'resources.v.properties.value'
    assert err.value.details['error']['type'] == 'StackValidationFailed'
