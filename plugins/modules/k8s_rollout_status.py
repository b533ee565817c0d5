#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: k8s_rollout_status
short_description: Wait for a Deployment rollout and say why it failed
version_added: 0.1.0
description:
  - Reads a Deployment, its ReplicaSets and the pods of its current ReplicaSet and reports whether the rollout
    is C(complete) (observedGeneration caught up, every replica updated and available, no old replica left),
    C(failed) or still C(progressing).
  - With O(wait), polls until the rollout completes, fails or O(timeout) passes (C(timeout)).
  - A rollout fails early on C(ProgressDeadlineExceeded), a C(ReplicaFailure) condition (for example pods
    that Pod Security admission rejects), a paused Deployment, a container in C(CrashLoopBackOff) for
    O(crashloop_restarts) restarts, an invalid image name or a missing ConfigMap/Secret key.
  - When the rollout is not complete, RV(problems) names each pod and container and what is wrong with it
    and RV(message) adds the pods' latest warning events (failing probes, image pulls, scheduling).
  - Read-only; the module never fails because of the rollout's state, only when it cannot read it.
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
  wait:
    description: Poll until the rollout completes or fails, at most O(timeout) seconds.
    type: bool
    default: true
  timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 300
  sleep:
    description: Seconds between two polls.
    type: int
    default: 3
  crashloop_restarts:
    description: Restarts after which a container in C(CrashLoopBackOff) fails the rollout early.
    type: int
    default: 3
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - kubernetes >= 24.2.0 (Python client)
seealso:
  - module: kubelift.cluster.k8s_rollback
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Wait up to 5 minutes for the shop rollout
  kubelift.cluster.k8s_rollout_status:
    kubeconfig: /etc/kubernetes/admin.conf
    namespace: shop
    name: shop
    timeout: 300
  register: rollout

- name: Stop when it did not complete
  ansible.builtin.fail:
    msg: "{{ rollout.message }}"
  when: rollout.status != 'complete'
"""

RETURN = r"""
status:
  description: C(complete), C(failed), C(timeout) (still progressing when O(timeout) passed) or C(progressing) (without O(wait)).
  returned: success
  type: str
  sample: failed
message:
  description: What the Deployment reports, then one line per pod problem and the pods' latest warning events.
  returned: success
  type: str
  sample: |-
    Deployment shop/shop: ProgressDeadlineExceeded: ReplicaSet "shop-5d4f" has timed out progressing.
      pod shop-5d4f-x2x7q: container php is in CrashLoopBackOff (4 restarts, last exit code 78 (Error))
problems:
  description: One line per pod and container that is not right.
  returned: success
  type: list
  elements: str
revision:
  description: Revision of the current ReplicaSet (0 before the controller created it).
  returned: success
  type: int
  sample: 3
previous_revision:
  description: Revision a rollback would return to (0 when there is none).
  returned: success
  type: int
  sample: 2
elapsed:
  description: Seconds spent.
  returned: success
  type: int
deployment_status:
  description: The Deployment's C(status) as last read.
  returned: success
  type: dict
"""

import time

from ansible_collections.kubelift.cluster.plugins.module_utils._k8s_module import run_k8s_module
from ansible_collections.kubelift.cluster.plugins.module_utils.k8s_rollout import (
    current_replicaset,
    deployment_selector,
    failure_message,
    pod_problems,
    pods_of,
    previous_replicaset,
    revision,
    rollout_state,
    warning_events,
)


class _Reader(object):
    def __init__(self, client, namespace, name):
        self.client = client
        self.namespace = namespace
        self.name = name
        self.deployments = client.resource("Deployment", "apps/v1")
        self.replicasets = client.resource("ReplicaSet", "apps/v1")
        self.pods = client.resource("Pod", "v1")
        self.events = client.resource("Event", "v1")

    def deployment(self):
        return self.client.get(self.deployments, name=self.name, namespace=self.namespace).to_dict()

    def list(self, resource, **params):
        return self.client.get(resource, namespace=self.namespace, **params).to_dict().get("items") or []


def _snapshot(reader, crashloop_restarts):
    deployment = reader.deployment()
    selector = deployment_selector(deployment)
    replicasets = reader.list(reader.replicasets, label_selector=selector)
    current = current_replicaset(deployment, replicasets)
    previous = previous_replicaset(deployment, replicasets)
    state = rollout_state(deployment)
    pods = pods_of(current, reader.list(reader.pods, label_selector=selector)) if current else []
    found = pod_problems(pods, crashloop_restarts)
    return {
        "deployment": deployment,
        "state": state,
        "problems": found["problems"],
        "fatal": found["fatal"],
        "revision": revision(current) if current else 0,
        "previous_revision": revision(previous) if previous else 0,
    }


def _pod_events(reader, problems, limit=3):
    events = {}
    for problem in problems:
        pod = problem.split(":", 1)[0].replace("pod ", "", 1)
        if pod in events or len(events) >= limit:
            continue
        items = reader.list(reader.events, field_selector="involvedObject.kind=Pod,involvedObject.name=%s" % pod)
        texts = warning_events(items)
        if texts:
            events[pod] = texts
    return events


def run(module, reader):
    params = module.params
    start = time.time()
    while True:
        snap = _snapshot(reader, params["crashloop_restarts"])
        elapsed = int(time.time() - start)
        state = snap["state"]["state"]
        if state == "complete":
            status = "complete"
        elif state == "failed" or snap["fatal"]:
            status = "failed"
        elif not params["wait"]:
            status = "progressing"
        elif elapsed >= params["timeout"]:
            status = "timeout"
        else:
            time.sleep(max(1, params["sleep"]))
            continue
        break
    state_info = dict(snap["state"])
    if status == "timeout":
        state_info["message"] = "%s (still progressing after %d s)" % (state_info["message"], elapsed)
    elif status == "failed" and snap["fatal"] and state == "progressing":
        state_info["message"] = "%s; a pod cannot start" % state_info["message"]
    events = _pod_events(reader, snap["problems"]) if status != "complete" else {}
    return dict(
        changed=False,
        status=status,
        message=failure_message(state_info, snap["problems"], events) if status != "complete" else state_info["message"],
        problems=snap["problems"],
        revision=snap["revision"],
        previous_revision=snap["previous_revision"],
        elapsed=elapsed,
        deployment_status=snap["deployment"].get("status") or {},
    )


def main():
    run_k8s_module(
        "k8s_rollout_status",
        dict(
            name=dict(type="str", required=True),
            namespace=dict(type="str", required=True),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=300),
            sleep=dict(type="int", default=3),
            crashloop_restarts=dict(type="int", default=3),
        ),
        lambda module, client: run(module, _Reader(client, module.params["namespace"], module.params["name"])),
        "Cannot read Deployment",
    )


if __name__ == "__main__":
    main()
