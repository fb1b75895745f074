"""Every YAML the collection ships parses: module docs, doc fragments, role argument specs.

ansible-test sanity (validate-modules) finds the same, minutes later; this runs with the unit tests, so a ': '
slipped into a list item fails at once.
"""

import ast
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
DOC_NAMES = ('DOCUMENTATION', 'RETURN', 'EXAMPLES')


def _strings(path):
    """(name, YAML text) of the module-level string constants a doc file defines (class-level for fragments)."""
    tree = ast.parse(path.read_text())
    nodes = list(tree.body)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            nodes.extend(node.body)
    for node in nodes:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                and (node.targets[0].id in DOC_NAMES or path.parent.name == 'doc_fragments')):
            yield node.targets[0].id, node.value.value


DOCS = [(path, name, text) for folder in ('modules', 'doc_fragments')
        for path in sorted((ROOT / 'plugins' / folder).glob('*.py')) for name, text in _strings(path)]
SPECS = sorted(ROOT.glob('roles/*/meta/*.yml'))


@pytest.mark.parametrize('path, name, text', DOCS, ids=['%s:%s' % (p.name, n) for p, n, dummy in DOCS])
def test_plugin_doc_yaml_parses(path, name, text):
    assert yaml.safe_load(text) is not None


@pytest.mark.parametrize('path', SPECS, ids=[str(p.relative_to(ROOT)) for p in SPECS])
def test_role_meta_yaml_parses(path):
    assert yaml.safe_load(path.read_text()) is not None


def test_every_module_has_docs():
    modules = sorted(p.stem for p in (ROOT / 'plugins' / 'modules').glob('*.py'))
    documented = sorted(set(p.stem for p, n, dummy in DOCS if n == 'DOCUMENTATION' and p.parent.name == 'modules'))
    assert modules == documented
