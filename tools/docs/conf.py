"""Sphinx configuration of the docs site (tools/docs/build.py stages the sources and passes ``-c tools/docs``)."""

project = 'cloudrise.openstack'
copyright = 'cloudrise.openstack developers'  # noqa: A001 (Sphinx's name)
author = 'cloudrise.openstack developers'
title = html_title = 'cloudrise.openstack documentation'
html_short_title = 'cloudrise.openstack'

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext', 'myst_parser']
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
root_doc = 'index'

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'
html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
html_copy_source = False
html_use_index = False
html_use_modindex = False
html_theme_options = {'collapse_navigation': False, 'display_version': False}
# No 'Edit on GitHub' link: most pages are generated (antsibull-docs) and the guides are staged copies.
html_context = {'display_github': False}

# The generated module pages refer to labels of the Ansible docs (action_plugins, common_return_values,
# ansible_configuration_settings): they resolve through this inventory when it can be fetched.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', None),
}
intersphinx_timeout = 10

default_role = 'any'
nitpicky = True

# MyST: `# Title` is the page title, `##` its sections; `[text](other.md)` links become document references.
myst_heading_anchors = 3
myst_enable_extensions = ['deflist']
