#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: k8s_rollback
short_description: Roll a Deployment back to its previous revision
version_added: 0.1.0
description:
  - The API equivalent of C(kubectl rollout undo deployment/<name>).
  - Finds the Deployment's ReplicaSets (by owner reference), picks the one with the highest
    C(deployment.kubernetes.io/revision) below the current ReplicaSet's whose pod template differs from the
    Deployment's, and puts that template (without its C(pod-template-hash) label) back into the Deployment
    with a JSON patch. The patch tests the Deployment's resourceVersion first, so a change made in the
    meantime makes it fail instead of being overwritten.
  - Revisions need not be consecutive (a rollback re-numbers the revision it returns to), which is why
    the highest lower revision is taken rather than current minus one.
  - Only the pod template changes; the Deployment's other fields and annotations stay.
  - When there is no previous revision (the first rollout), nothing changes and RV(rolled_back) is false.
author: kubelift maintainers
options:
  name:
    description: Deployment name.
    type: str
    required: true
  namespace:
    description: Deployment namespace.
    type: str
    required: true
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Sends the patch as a server-side dry run and reports what would change.
  diff_mode:
    support: full
    details: Shows the pod template before and after.
  platform:
    platforms: posix
requirements:
  - kubernetes >= 24.2.0 (Python client)
seealso:
  - module: kubelift.cluster.k8s_rollout_status
  - module: kubernetes.core.k8s_rollback
    description: Looks for exactly current revision minus one and replaces all of the Deployment's annotations.
"""

EXAMPLES = r"""
- name: Undo the last shop rollout
  kubelift.cluster.k8s_rollback:
    kubeconfig: /etc/kubernetes/admin.conf
    namespace: shop
    name: shop
  register: undo

- name: Report it
  ansible.builtin.debug:
    msg: "{{ 'rolled back from revision %d to %d' % (undo.from_revision, undo.to_revision) if undo.rolled_back else undo.msg }}"
"""

RETURN = r"""
rolled_back:
  description: Whether the Deployment got the previous template (or would, in check mode).
  returned: success
  type: bool
from_revision:
  description: Revision of the ReplicaSet the Deployment ran (0 when the controller had not created it yet).
  returned: success
  type: int
  sample: 4
to_revision:
  description: Revision rolled back to (0 when there is none); the controller renumbers it to the next revision.
  returned: success
  type: int
  sample: 3
replicaset:
  description: Name of the ReplicaSet whose template was restored.
  returned: when rolled_back
  type: str
  sample: shop-6c9d7f8b5
msg:
  description: What happened.
  returned: success
  type: str
"""

from ansible_collections.kubelift.cluster.plugins.module_utils._k8s_module import run_k8s_module
from ansible_collections.kubelift.cluster.plugins.module_utils.k8s_rollout import (
    current_replicaset,
    deployment_selector,
    previous_replicaset,
    revision,
    rollback_patch,
    template_without_hash,
)


def run(module, client):
    name = module.params["name"]
    namespace = module.params["namespace"]
    deployments = client.resource("Deployment", "apps/v1")
    replicasets = client.resource("ReplicaSet", "apps/v1")
    deployment = client.get(deployments, name=name, namespace=namespace).to_dict()
    selector = deployment_selector(deployment)
    items = client.get(replicasets, namespace=namespace, label_selector=selector).to_dict().get("items") or []
    current = current_replicaset(deployment, items)
    previous = previous_replicaset(deployment, items)
    result = dict(changed=False, rolled_back=False, from_revision=revision(current) if current else 0, to_revision=0)
    if previous is None:
        result["msg"] = "Deployment %s/%s has no previous revision to roll back to" % (namespace, name)
        return result
    ops = rollback_patch(deployment, previous)
    # In check mode the client sends the patch with dryRun=All: the server validates it, nothing changes.
    client.patch(deployments, ops, name=name, namespace=namespace, content_type="application/json-patch+json")
    result.update(
        changed=True,
        rolled_back=True,
        to_revision=revision(previous),
        replicaset=previous["metadata"]["name"],
        msg="Deployment %s/%s rolled back from revision %d to the template of revision %d (ReplicaSet %s)" % (
            namespace, name, result["from_revision"], revision(previous), previous["metadata"]["name"]),
    )
    if module._diff:
        result["diff"] = dict(
            before=template_without_hash(deployment["spec"]["template"]),
            after=template_without_hash(previous["spec"]["template"]),
            before_header="%s/%s template" % (namespace, name),
            after_header="%s/%s template of revision %d" % (namespace, name, revision(previous)),
        )
    return result


def main():
    run_k8s_module(
        "k8s_rollback",
        dict(name=dict(type="str", required=True), namespace=dict(type="str", required=True)),
        run,
        "Cannot roll back Deployment",
    )


if __name__ == "__main__":
    main()
