"""Rollout state, pod diagnosis, rollback target and config pruning (plugins/module_utils/k8s_rollout.py)."""

import copy

import pytest

from ansible_collections.kubelift.cluster.plugins.module_utils import k8s_rollout as ro

DEPLOYMENT_UID = "d-uid"


def template(version, hash_label=None):
    labels = {"app.kubernetes.io/name": "shop"}
    if hash_label:
        labels[ro.TEMPLATE_HASH_LABEL] = hash_label
    return {
        "metadata": {"labels": labels, "annotations": {"kubelift.io/config-checksum": "sum-%s" % version}},
        "spec": {
            "containers": [{"name": "php", "image": "php:%s" % version,
                            "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "shop-secret-%s" % version, "key": "PW"}}}]}],
            "volumes": [{"name": "config", "configMap": {"name": "shop-config-%s" % version}}],
        },
    }


def deployment(version, revision, generation=1, observed=1, replicas=2, status=None, **spec):
    body = {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": "shop"}},
            "template": template(version)}
    body.update(spec)
    return {
        "metadata": {"name": "shop", "namespace": "shop", "uid": DEPLOYMENT_UID, "generation": generation,
                     "resourceVersion": "4711", "annotations": {ro.REVISION_ANNOTATION: str(revision)}},
        "spec": body,
        "status": dict({"observedGeneration": observed}, **(status or {})),
    }


def replicaset(version, revision, owner=DEPLOYMENT_UID, name=None):
    return {
        "metadata": {"name": name or "shop-%s" % version, "namespace": "shop",
                     "annotations": {ro.REVISION_ANNOTATION: str(revision)},
                     "ownerReferences": [{"uid": owner, "controller": True, "kind": "Deployment", "name": "shop"}]},
        "spec": {"template": template(version, hash_label="hash-%s" % version)},
    }


# ------------------------------------------------------------------------------------------------------
# Rollout state
# ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dep,state,text", [
    (deployment("v2", 2, generation=3, observed=2), "progressing", "waiting for the controller to observe generation 3"),
    (deployment("v2", 2, status={"updatedReplicas": 1, "replicas": 3, "availableReplicas": 2}), "progressing",
     "1 of 2 new replicas updated"),
    (deployment("v2", 2, status={"updatedReplicas": 2, "replicas": 3, "availableReplicas": 2}), "progressing",
     "1 old replicas pending termination"),
    (deployment("v2", 2, status={"updatedReplicas": 2, "replicas": 2, "availableReplicas": 1}), "progressing",
     "1 of 2 updated replicas available"),
    (deployment("v2", 2, status={"updatedReplicas": 2, "replicas": 2, "availableReplicas": 2}), "complete",
     "2 replicas up to date and available"),
    (deployment("v2", 2, replicas=0, status={}), "complete", "0 replicas up to date and available"),
    (deployment("v2", 2, status={"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                                 "message": 'ReplicaSet "shop-v2" has timed out progressing.'}]}),
     "failed", 'ProgressDeadlineExceeded: ReplicaSet "shop-v2" has timed out progressing.'),
    (deployment("v2", 2, status={"conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                                 "message": 'pods "shop-v2-x" is forbidden: violates PodSecurity'}]}),
     "failed", "ReplicaFailure (FailedCreate): pods \"shop-v2-x\" is forbidden"),
    (deployment("v2", 2, paused=True), "failed", "is paused"),
])
def test_rollout_state(dep, state, text):
    result = ro.rollout_state(dep)
    assert result["state"] == state
    assert text in result["message"]
    assert result["message"].startswith("Deployment shop/shop")


def test_deployment_selector_is_sorted_and_tolerates_missing_parts():
    dep = {"spec": {"selector": {"matchLabels": {"b": "2", "a": "1"}}}}
    assert ro.deployment_selector(dep) == "a=1,b=2"
    assert ro.deployment_selector({"spec": {}}) == ""
    assert ro.deployment_selector({}) == ""


def test_replicas_default_to_one():
    dep = deployment("v2", 2, status={"updatedReplicas": 1, "replicas": 1, "availableReplicas": 1})
    del dep["spec"]["replicas"]  # an HPA-managed Deployment as rendered
    assert ro.rollout_state(dep)["state"] == "complete"


# ------------------------------------------------------------------------------------------------------
# Which ReplicaSet is current and which is previous
# ------------------------------------------------------------------------------------------------------

def test_previous_is_the_highest_lower_revision_with_another_template():
    dep = deployment("v5", 7)
    sets = [replicaset("v1", 1), replicaset("v3", 6), replicaset("v4", 4), replicaset("v5", 7),
            replicaset("other", 6, owner="someone-else")]
    assert ro.current_replicaset(dep, sets)["metadata"]["name"] == "shop-v5"
    # Revisions 2, 3 and 5 are gone (history limit, an earlier rollback renumbered one): 6 is the previous.
    assert ro.previous_replicaset(dep, sets)["metadata"]["name"] == "shop-v3"


def test_previous_before_the_controller_made_the_new_replicaset():
    # The Deployment already has the new template (just applied); its ReplicaSet does not exist yet.
    dep = deployment("v3", 2)
    sets = [replicaset("v1", 1), replicaset("v2", 2)]
    assert ro.current_replicaset(dep, sets) is None
    assert ro.previous_replicaset(dep, sets)["metadata"]["name"] == "shop-v2"


def test_no_previous_on_first_rollout():
    dep = deployment("v1", 1)
    assert ro.previous_replicaset(dep, [replicaset("v1", 1)]) is None


def test_only_owned_replicasets_count():
    dep = deployment("v2", 2)
    assert ro.previous_replicaset(dep, [replicaset("v2", 2), replicaset("v1", 1, owner="x")]) is None


def test_rollback_patch():
    dep = deployment("v2", 2)
    previous = replicaset("v1", 1)
    ops = ro.rollback_patch(dep, previous)
    assert ops[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": "4711"}
    assert ops[1]["op"] == "replace" and ops[1]["path"] == "/spec/template"
    assert ops[1]["value"] == template("v1")  # without pod-template-hash
    assert ro.TEMPLATE_HASH_LABEL in previous["spec"]["template"]["metadata"]["labels"]  # input untouched


# ------------------------------------------------------------------------------------------------------
# What is wrong with the pods
# ------------------------------------------------------------------------------------------------------

def pod(name, **status):
    return {"metadata": {"name": name}, "status": status}


def running(name, ready=True, restarts=0):
    return {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}}


def waiting(name, reason, restarts=0, message="", last=None):
    status = {"name": name, "ready": False, "restartCount": restarts,
              "state": {"waiting": {"reason": reason, "message": message}}}
    if last:
        status["lastState"] = {"terminated": last}
    return status


def test_crash_loop_is_fatal_after_the_threshold():
    crashing = pod("shop-1", phase="Running", conditions=[{"type": "PodScheduled", "status": "True"}],
                   containerStatuses=[running("nginx"), waiting("php", "CrashLoopBackOff", 3, "back-off 40s",
                                                                 {"exitCode": 78, "reason": "Error"})])
    found = ro.pod_problems([crashing], crashloop_restarts=3)
    assert found["fatal"] is True
    assert found["problems"] == [
        "pod shop-1: container php is in CrashLoopBackOff: back-off 40s (3 restarts, last exit code 78 (Error))"]
    assert ro.pod_problems([crashing], crashloop_restarts=5)["fatal"] is False


@pytest.mark.parametrize("status,text,fatal", [
    ({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                          "message": "0/3 nodes are available: 3 Insufficient cpu."}]},
     "pod p: not scheduled: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.", False),
    ({"phase": "Pending"}, "pod p: pending, not scheduled yet", False),
    ({"phase": "Pending", "containerStatuses": [waiting("app", "ImagePullBackOff", 0, 'Back-off pulling image "x:1"')]},
     'pod p: container app is in ImagePullBackOff: Back-off pulling image "x:1" (0 restarts)', False),
    ({"phase": "Pending", "containerStatuses": [waiting("app", "InvalidImageName")]},
     "pod p: container app is in InvalidImageName (0 restarts)", True),
    ({"phase": "Pending", "containerStatuses": [waiting("app", "CreateContainerConfigError", 0,
                                                        'couldn\'t find key PW in Secret shop/shop-secret')]},
     "pod p: container app is in CreateContainerConfigError: couldn't find key PW in Secret shop/shop-secret (0 restarts)", True),
    ({"phase": "Pending", "initContainerStatuses": [waiting("copy-code", "CrashLoopBackOff", 4, "",
                                                            {"exitCode": 1, "reason": "Error"})]},
     "pod p: init container copy-code is in CrashLoopBackOff (4 restarts, last exit code 1 (Error))", True),
    ({"phase": "Running", "containerStatuses": [running("nginx", ready=False, restarts=1)]},
     "pod p: container nginx is running but not ready (1 restarts)", False),
    ({"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."},
     "pod p: failed: The node was low on resource: memory.", False),
])
def test_pod_problems(status, text, fatal):
    found = ro.pod_problems([pod("p", **status)])
    assert found["problems"] == [text]
    assert found["fatal"] is fatal


def test_healthy_pods_have_no_problems():
    healthy = pod("p", phase="Running", conditions=[{"type": "PodScheduled", "status": "True"}],
                  containerStatuses=[running("php"), running("nginx")],
                  initContainerStatuses=[{"name": "copy-code", "ready": True, "restartCount": 0,
                                          "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}])
    assert ro.pod_problems([healthy]) == {"fatal": False, "problems": []}


def test_pods_of_replicaset():
    rs = replicaset("v2", 2)
    rs["metadata"]["uid"] = "rs-uid"
    mine = {"metadata": {"name": "a", "ownerReferences": [{"uid": "rs-uid", "controller": True}]}}
    other = {"metadata": {"name": "b", "ownerReferences": [{"uid": "other", "controller": True}]}}
    assert ro.pods_of(rs, [mine, other]) == [mine]


def test_warning_events_newest_first():
    events = [
        {"type": "Normal", "reason": "Pulled", "message": "ok", "lastTimestamp": "2026-01-01T00:00:03Z"},
        {"type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with statuscode: 502",
         "count": 12, "lastTimestamp": "2026-01-01T00:00:05Z"},
        {"type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container",
         "lastTimestamp": "2026-01-01T00:00:04Z"},
    ]
    assert ro.warning_events(events) == [
        "Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 502 (x12)",
        "BackOff: Back-off restarting failed container",
    ]
    assert ro.warning_events(events, limit=1) == ["Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 502 (x12)"]


def test_failure_message_skips_events_that_repeat_a_problem():
    state = {"state": "failed", "message": "Deployment shop/shop: ProgressDeadlineExceeded: timed out"}
    problems = ["pod p: not scheduled: Unschedulable: no nodes available to schedule pods",
                "pod q: container nginx is running but not ready (0 restarts)"]
    events = {"p": ["FailedScheduling: no nodes available to schedule pods"],
              "q": ["Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 502 (x7)"]}
    assert ro.failure_message(state, problems, events) == "\n".join([
        "Deployment shop/shop: ProgressDeadlineExceeded: timed out",
        "  pod p: not scheduled: Unschedulable: no nodes available to schedule pods",
        "  pod q: container nginx is running but not ready (0 restarts)",
        "  events of pod q: Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 502 (x7)",
    ])


# ------------------------------------------------------------------------------------------------------
# Config pruning
# ------------------------------------------------------------------------------------------------------

def named(name):
    return {"metadata": {"name": name, "namespace": "shop"}}


def test_stale_config_keeps_what_kept_revisions_use():
    sets = [replicaset("v2", 2), replicaset("v3", 3)]
    configmaps = [named("shop-config-v1"), named("shop-config-v2"), named("shop-config-v3"), named("shop-config-v4")]
    secrets = [named("shop-secret-v1"), named("shop-secret-v3")]
    keep = [{"kind": "ConfigMap", "name": "shop-config-v4"}]
    assert ro.stale_config(configmaps, secrets, sets, keep) == [
        {"kind": "ConfigMap", "name": "shop-config-v1", "namespace": "shop"},
        {"kind": "Secret", "name": "shop-secret-v1", "namespace": "shop"},
    ]


def test_referenced_config_reads_every_kind_of_reference():
    rs = replicaset("v1", 1)
    pod = rs["spec"]["template"]["spec"]
    pod["volumes"].append({"name": "p", "projected": {"sources": [{"configMap": {"name": "cm-p"}}, {"secret": {"name": "s-p"}}]}})
    pod["volumes"].append({"name": "s", "secret": {"secretName": "s-vol"}})
    pod["initContainers"] = [{"name": "i", "envFrom": [{"configMapRef": {"name": "cm-from"}}, {"secretRef": {"name": "s-from"}}],
                              "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm-key", "key": "a"}}}]}]
    assert ro.referenced_config([rs]) == {
        "ConfigMap": {"shop-config-v1", "cm-p", "cm-from", "cm-key"},
        "Secret": {"shop-secret-v1", "s-p", "s-vol", "s-from"},
    }


# ------------------------------------------------------------------------------------------------------
# The role's failure report
# ------------------------------------------------------------------------------------------------------

APP = {"name": "shop", "namespace": "shop", "deployments": ["shop-php", "shop"]}
ROLLOUTS = {"results": [
    {"item": "shop-php", "status": "failed", "message": "Deployment shop/shop-php: ProgressDeadlineExceeded: x\n  pod a: ..."},
    {"item": "shop", "status": "complete", "message": "Deployment shop/shop: 2 replicas up to date and available"},
]}


def test_rollout_report_after_rollback():
    rollbacks = {"results": [
        {"item": "shop-php", "rolled_back": True, "from_revision": 4, "to_revision": 3},
        {"item": "shop", "rolled_back": False, "msg": "Deployment shop/shop has no previous revision to roll back to"},
    ]}
    after = {"results": [{"item": {"item": "shop-php"}, "status": "complete"}]}
    report = ro.rollout_report(APP, ROLLOUTS, ["shop-php", "shop"], rollbacks, after)
    assert report.splitlines() == [
        "app 'shop' (namespace shop): the rollout failed.",
        "[failed] Deployment shop/shop-php: ProgressDeadlineExceeded: x",
        "  pod a: ...",
        "Deployment shop-php: rolled back from revision 4 to the template of revision 3; the rollback's rollout is complete.",
        "Deployment shop: not rolled back: Deployment shop/shop has no previous revision to roll back to.",
        "Fix the app spec or the image and run again.",
    ]


def test_rollout_report_without_rollback():
    skipped = {"results": [], "skipped": True}
    report = ro.rollout_report(APP, ROLLOUTS, ["shop"], skipped, skipped, rollback_enabled=False)
    assert "Deployment shop-php: not rolled back, this run did not change it." in report
    assert "Deployment shop: not rolled back (app_rollback_on_failure is false)." in report


def test_inputs_are_not_modified():
    dep = deployment("v2", 2)
    sets = [replicaset("v1", 1), replicaset("v2", 2)]
    before = copy.deepcopy((dep, sets))
    ro.previous_replicaset(dep, sets)
    ro.rollback_patch(dep, sets[0])
    ro.current_replicaset(dep, sets)
    assert (dep, sets) == before
