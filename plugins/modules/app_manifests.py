#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: app_manifests
short_description: Render Kubernetes manifests from short application specs
version_added: 0.1.0
description:
  - Validates a list of application specs (a legacy PHP+Nginx, Python, static or container service each)
    and turns them into Kubernetes manifests, namespaces first, in apply order.
  - Pure computation; the module reads nothing from and changes nothing on any host or cluster.
  - Every problem of every spec is reported at once, each as C(app '<name>' <field> <problem>) with colons
    after the app and the field.
  - The app spec is documented with the C(kubelift.cluster.app) role (C(ansible-doc -t role kubelift.cluster.app))
    and in its README.
  - ConfigMap and Secret names carry a hash of their content and are immutable, so a changed config rolls
    the pods and a rollback finds the old config; the pod template also carries the
    C(kubelift.io/config-checksum) annotation (sha256 of the ConfigMap and Secret data).
author: kubelift maintainers
options:
  apps:
    description:
      - Application specs (see the C(kubelift.cluster.app) role for every field).
    type: list
    elements: dict
    required: true
  api_versions:
    description:
      - Group/versions the cluster serves, such as C(autoscaling/v2) or C(policy/v1beta1) (the keys of
        M(kubernetes.core.k8s_cluster_info)'s RV(kubernetes.core.k8s_cluster_info#module:apis)).
      - Picks the HorizontalPodAutoscaler (C(autoscaling/v2), else C(v2beta2)), PodDisruptionBudget
        (C(policy/v1), else C(v1beta1)) and HTTPRoute (C(gateway.networking.k8s.io/v1), else C(v1beta1))
        versions, and whether an OpenShift Route can be used.
      - Omitted, a current cluster is assumed (every one of those APIs at its newest version).
    type: list
    elements: str
  defaults:
    description:
      - Settings deep-merged under every app spec (the spec wins), for example an C(nginx.image) on a
        mirror, or C(security.run_as_user) for images built for another uid.
    type: dict
    default: {}
  files:
    description:
      - Contents of the files on the Ansible controller that the specs name (C(ingress.tls_cert_file),
        C(ingress.tls_key_file)), keyed by the path as written in the spec; a null value is a file that could not
        be read. The C(kubelift.cluster.app) role reads them; a named file missing here is reported as a problem.
      - Treated as secret (C(no_log)).
    type: dict
    default: {}
  validate_only:
    description:
      - Only validate; return the per-app summary without manifests (and so without Secret data). Use it
        on a task that logs, then render on a C(no_log) task.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Nothing changes in either mode; the result is the same.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - With O(validate_only), the secret values of the specs (C(secrets.env) values, C(secrets.files) contents)
    are masked in the module's output, so the task can log.
  - Otherwise the output holds them (the module arguments, and the Secrets' base64 data in RV(manifests)); set
    C(no_log) on a task that renders apps with C(secrets).
seealso:
  - module: kubelift.cluster.k8s_rollout_status
  - module: kubelift.cluster.k8s_rollback
"""

EXAMPLES = r"""
- name: Check the specs before touching the cluster
  kubelift.cluster.app_manifests:
    apps: "{{ app_apps }}"
    validate_only: true

- name: Render a PHP shop for a Kubernetes 1.20 cluster (HPA v2beta2, PDB v1beta1)
  kubelift.cluster.app_manifests:
    api_versions: [v1, apps/v1, autoscaling/v2beta2, policy/v1beta1, networking.k8s.io/v1]
    apps:
      - name: shop
        pattern: php-nginx
        image: registry.example.cn/shop/php:8.3-fpm
        code:
          image: registry.example.cn/shop/code:1.4.2
        nginx:
          document_root: public
        config_files:
          - path: /usr/local/etc/php/conf.d/zz-shop.ini
            content: |
              memory_limit = 256M
        secrets:
          env:
            DB_PASSWORD: "{{ vault_shop_db_password }}"
        ingress:
          host: shop.example.com
          class_name: nginx
        autoscaling:
          max_replicas: 6
          cpu_utilization: 60
          # spec.behavior.scaleDown.stabilizationWindowSeconds (v2 and v2beta2); omitted, Kubernetes waits 300 s
          scale_down_stabilization_seconds: 120
  register: shop
  no_log: true

- name: Write them out for review
  ansible.builtin.copy:
    dest: /tmp/shop.yaml
    content: "{{ shop.manifests | ansible.builtin.to_nice_yaml }}"
    mode: "0600"
"""

RETURN = r"""
manifests:
  description: Every object, namespaces first, then each app's objects in apply order.
  returned: success, unless O(validate_only)
  type: list
  elements: dict
namespaces:
  description: The Namespace objects (one per namespace with C(create_namespace)).
  returned: success, unless O(validate_only)
  type: list
  elements: dict
apps:
  description: One entry per app.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: App name.
      type: str
      sample: shop
    namespace:
      description: Namespace of the app's objects.
      type: str
      sample: shop
    checksum:
      description: sha256 of the app's ConfigMap and Secret data (the pod template annotation).
      type: str
      sample: 3889b419d1802b773848880d0a65e6b6dc6bf45b87bc92c9e4eb938c8394d038
    deployments:
      description: Deployment names, in rollout order (C(<name>-php) before C(<name>) when split).
      type: list
      elements: str
      sample: [shop]
    config_objects:
      description: The content-named ConfigMap and Secret of the app (C(kind), C(name)).
      type: list
      elements: dict
      sample: [{kind: ConfigMap, name: shop-config-ec8516d441}]
    manifests:
      description: The app's objects, without its Namespace.
      type: list
      elements: dict
      returned: unless O(validate_only)
checksums:
  description: App name to config checksum (namespace/name when two namespaces hold the same name).
  returned: success
  type: dict
  sample: {shop: 3889b419d1802b773848880d0a65e6b6dc6bf45b87bc92c9e4eb938c8394d038}
errors:
  description: Every problem found (the module fails when there is any).
  returned: failure
  type: list
  elements: str
  sample: ["app 'shop': probes.readiness.path: must start with '/'"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubelift.cluster.plugins.module_utils.app_manifests import (
    render_apps,
    secret_values,
    validate_apps,
)


def _checksums(apps):
    names = [app["name"] for app in apps]
    result = {}
    for app in apps:
        key = app["name"] if names.count(app["name"]) == 1 else "%s/%s" % (app["namespace"], app["name"])
        result[key] = app["checksum"]
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            apps=dict(type="list", elements="dict", required=True),
            api_versions=dict(type="list", elements="str"),
            defaults=dict(type="dict", default={}),
            files=dict(type="dict", default={}, no_log=True),
            validate_only=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    apps = module.params["apps"]
    if module.params["validate_only"]:
        # Mask the secret values in the result (the invocation's module_args), so the task can log. Not
        # when rendering: masking would also rewrite any manifest text that happens to equal a secret.
        module.no_log_values.update(secret_values(apps))
    api_versions = module.params["api_versions"]
    defaults = module.params["defaults"]
    files = module.params["files"]
    errors = validate_apps(apps, api_versions, defaults, files)
    if errors:
        module.fail_json(
            msg="%d problem(s) in the app specs; fix these fields:\n%s" % (len(errors), "\n".join(errors)),
            errors=errors,
        )
    rendered = render_apps(apps, api_versions, defaults, files)
    result = dict(changed=False, checksums=_checksums(rendered["apps"]))
    if module.params["validate_only"]:
        result["apps"] = [{key: value for key, value in app.items() if key != "manifests"} for app in rendered["apps"]]
    else:
        result.update(apps=rendered["apps"], namespaces=rendered["namespaces"], manifests=rendered["manifests"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
