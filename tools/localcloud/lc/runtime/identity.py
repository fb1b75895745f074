"""Create the Keystone objects of the local cloud (idempotent), as devstack does.

Reads a JSON spec on stdin (written by lc.identity.spec()):
  service users (admin, plus 'service' when it exists, on project 'service'), catalog
  services with public/internal/admin endpoints, Heat's roles and stack-user domain,
  the non-admin 'demo' user (member of project 'demo').
"""

import json
import sys

import openstack


def ensure_project(idn, name, domain_id, description=''):
    return idn.find_project(name, domain_id=domain_id) or idn.create_project(
        name=name, domain_id=domain_id, description=description)


def ensure_user(idn, name, password, domain_id, project=None):
    user = idn.find_user(name, domain_id=domain_id)
    if user:
        return idn.update_user(user, password=password)
    return idn.create_user(name=name, password=password, domain_id=domain_id,
                           default_project_id=project.id if project else None)


def ensure_role(idn, name):
    return idn.find_role(name) or idn.create_role(name=name)


def ensure_service(idn, name, type_, urls, region):
    service = next(iter(idn.services(type=type_)), None) or idn.create_service(
        name=name, type=type_, description=f'{name} (localcloud)')
    have = {e.interface: e for e in idn.endpoints(service_id=service.id)}
    for interface in ('public', 'internal', 'admin'):
        url = urls[interface] if isinstance(urls, dict) else urls
        endpoint = have.get(interface)
        if endpoint is None:
            idn.create_endpoint(service_id=service.id, interface=interface, url=url,
                                region_id=region)
        elif endpoint.url != url:
            idn.update_endpoint(endpoint, url=url)
    return service


def main():
    spec = json.load(sys.stdin)
    conn = openstack.connect(
        auth_url=spec['auth_url'], username='admin', password=spec['admin_password'],
        project_name='admin', user_domain_name='Default', project_domain_name='Default',
        region_name=spec['region'], identity_api_version='3')
    idn = conn.identity
    default = idn.find_domain('default')
    roles = {name: ensure_role(idn, name) for name in spec['roles']}
    service_project = ensure_project(idn, 'service', default.id, 'service users')

    for svc in spec['services']:
        user = ensure_user(idn, svc['user'], svc['password'], default.id, service_project)
        idn.assign_project_role_to_user(service_project, user, roles['admin'])
        if 'service' in roles:
            idn.assign_project_role_to_user(service_project, user, roles['service'])
        ensure_service(idn, svc['name'], svc['type'], svc['url'], spec['region'])

    heat = spec['heat_domain']
    domain = idn.find_domain(heat['name']) or idn.create_domain(
        name=heat['name'], description='users and projects created by Heat')
    domain_admin = ensure_user(idn, heat['admin'], heat['password'], domain.id)
    idn.assign_domain_role_to_user(domain, domain_admin, roles['admin'])

    admin_project = idn.find_project('admin', domain_id=default.id)
    admin_user = idn.find_user('admin', domain_id=default.id)
    for role in spec['admin_extra_roles']:
        idn.assign_project_role_to_user(admin_project, admin_user, roles[role])

    demo = spec['demo']
    demo_project = ensure_project(idn, demo['project'], default.id, 'non-admin tests')
    demo_user = ensure_user(idn, demo['user'], demo['password'], default.id, demo_project)
    idn.assign_project_role_to_user(demo_project, demo_user, roles['member'])
    print(json.dumps({'service_project': service_project.id,
                      'demo_project': demo_project.id,
                      'admin_project': admin_project.id}))


if __name__ == '__main__':
    main()
