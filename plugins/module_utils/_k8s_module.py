# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private plumbing shared by the collection's Kubernetes modules (k8s_rollout_status, k8s_rollback).

They take kubernetes.core's connection options (kubeconfig, context, host, api_key, ...), build the client the
way kubernetes.core's own modules do, and turn API errors into one failure message. The logic of each module
lives in module_utils/k8s_rollout.py as plain functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.ansiblemodule import AnsibleModule
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    HAS_KUBERNETES_CORE = True
except ImportError:  # reported by run_k8s_module()
    from ansible.module_utils.basic import AnsibleModule
    AUTH_ARG_SPEC = {}
    HAS_KUBERNETES_CORE = False

try:
    from kubernetes.dynamic.exceptions import DynamicApiError
except ImportError:  # AnsibleK8SModule reports the missing library
    DynamicApiError = Exception


def run_k8s_module(module_name, argument_spec, run, failure):
    """Run a Kubernetes module: kubernetes.core's auth options plus argument_spec, a client, then
    run(module, client) -> result dict, exited with. An API error fails with
    "<failure> <namespace>/<name>: <the API's summary>"."""
    spec = dict(AUTH_ARG_SPEC)
    spec.update(argument_spec)
    if not HAS_KUBERNETES_CORE:
        module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
        module.fail_json(msg="kubelift.cluster.%s needs the kubernetes.core collection (>= 3.0.0): "
                             "ansible-galaxy collection install kubernetes.core" % module_name)
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=spec, supports_check_mode=True)
    try:
        client = get_api_client(module=module)
        module.exit_json(**run(module, client))
    except CoreException as e:
        module.fail_from_exception(e)
    except DynamicApiError as e:
        module.fail_json(msg="%s %s/%s: %s" % (
            failure, module.params["namespace"], module.params["name"], getattr(e, "summary", lambda: str(e))()))
