# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployment rollouts: is a rollout complete, failed or still going; what is wrong with its pods; which
ReplicaSet holds the previous revision and which patch rolls the Deployment back to it.

Pure functions on plain dicts (objects as the API returns them); the modules k8s_rollout_status and
k8s_rollback do the API calls.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH_LABEL = "pod-template-hash"
# Waiting reasons that do not go away by waiting.
_FATAL_WAITING = ("InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError")
_BAD_WAITING = (
    "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CreateContainerError",
    "InvalidImageName", "ErrImageNeverPull", "RunContainerError", "PreStartHookError", "PostStartHookError",
)


def _meta(obj):
    return obj.get("metadata") or {}


def _name(obj):
    meta = _meta(obj)
    return "%s/%s" % (meta.get("namespace", ""), meta.get("name", "")) if meta.get("namespace") else meta.get("name", "")


def revision(obj):
    """The ``deployment.kubernetes.io/revision`` of a Deployment or ReplicaSet (0 when absent)."""
    value = (_meta(obj).get("annotations") or {}).get(REVISION_ANNOTATION, "0")
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def deployment_selector(deployment):
    """The label selector string (a=1,b=2) of a Deployment's matchLabels, sorted for stable requests."""
    labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join("%s=%s" % item for item in sorted(labels.items()))


def owned_by(obj, owner):
    uid = _meta(owner).get("uid")
    return any(ref.get("uid") == uid and ref.get("controller", False)
               for ref in _meta(obj).get("ownerReferences") or []) if uid else False


def template_without_hash(template):
    """A pod template without the ``pod-template-hash`` label the Deployment controller adds."""
    template = copy.deepcopy(template or {})
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(TEMPLATE_HASH_LABEL, None)
    return template


def _same_template(left, right):
    return template_without_hash(left) == template_without_hash(right)


def owned_replicasets(deployment, replicasets):
    return [rs for rs in replicasets if owned_by(rs, deployment)]


def current_replicaset(deployment, replicasets):
    """The ReplicaSet of the Deployment's current template (None before the controller made it)."""
    template = (deployment.get("spec") or {}).get("template")
    owned = owned_replicasets(deployment, replicasets)
    matching = [rs for rs in owned if _same_template((rs.get("spec") or {}).get("template"), template)]
    if matching:
        return max(matching, key=revision)
    return None


def previous_replicaset(deployment, replicasets):
    """The ReplicaSet of the revision before the current one: the highest revision below the current
    ReplicaSet's whose template differs from the Deployment's (what ``kubectl rollout undo`` picks)."""
    template = (deployment.get("spec") or {}).get("template")
    current = current_replicaset(deployment, replicasets)
    ceiling = revision(current) if current else revision(deployment) + 1
    candidates = [rs for rs in owned_replicasets(deployment, replicasets)
                  if 0 < revision(rs) < ceiling
                  and not _same_template((rs.get("spec") or {}).get("template"), template)]
    return max(candidates, key=revision) if candidates else None


def rollback_patch(deployment, replicaset):
    """JSON patch that puts the ReplicaSet's pod template back into the Deployment. The ``test`` of
    the resourceVersion makes the patch fail instead of overwriting a change made in the meantime."""
    ops = []
    version = _meta(deployment).get("resourceVersion")
    if version:
        ops.append({"op": "test", "path": "/metadata/resourceVersion", "value": version})
    ops.append({"op": "replace", "path": "/spec/template",
                "value": template_without_hash((replicaset.get("spec") or {}).get("template"))})
    return ops


def _condition(obj, kind):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return condition
    return None


def rollout_state(deployment):
    """``{"state": "complete" | "progressing" | "failed", "message": str}`` of a Deployment, from its
    status alone (the checks of ``kubectl rollout status``, plus ReplicaFailure and paused)."""
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    name = _name(deployment)
    generation = _meta(deployment).get("generation", 0)
    observed = status.get("observedGeneration", 0)
    if spec.get("paused"):
        return {"state": "failed", "message": "Deployment %s is paused (kubectl rollout resume)" % name}
    if observed < generation:
        return {"state": "progressing",
                "message": "Deployment %s: waiting for the controller to observe generation %d" % (name, generation)}
    progressing = _condition(deployment, "Progressing")
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        return {"state": "failed", "message": "Deployment %s: ProgressDeadlineExceeded: %s" % (
            name, progressing.get("message", "the rollout made no progress in time"))}
    failure = _condition(deployment, "ReplicaFailure")
    if failure and failure.get("status") == "True":
        return {"state": "failed", "message": "Deployment %s: ReplicaFailure (%s): %s" % (
            name, failure.get("reason", ""), failure.get("message", ""))}
    desired = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    replicas = status.get("replicas", 0)
    available = status.get("availableReplicas", 0)
    if updated < desired:
        return {"state": "progressing",
                "message": "Deployment %s: %d of %d new replicas updated" % (name, updated, desired)}
    if replicas > updated:
        return {"state": "progressing",
                "message": "Deployment %s: %d old replicas pending termination" % (name, replicas - updated)}
    if available < updated:
        return {"state": "progressing",
                "message": "Deployment %s: %d of %d updated replicas available" % (name, available, updated)}
    return {"state": "complete",
            "message": "Deployment %s: %d replicas up to date and available" % (name, updated)}


def _container_problem(pod_name, status, init, crashloop_restarts):
    """(problem text or None, fatal) for one container status."""
    kind = "init container" if init else "container"
    name = status.get("name", "?")
    restarts = status.get("restartCount", 0)
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    last_text = ""
    if last:
        last_text = ", last exit code %s (%s)" % (last.get("exitCode", "?"), last.get("reason", "?"))
    waiting = state.get("waiting")
    if waiting and waiting.get("reason") in _BAD_WAITING:
        reason = waiting["reason"]
        message = waiting.get("message", "")
        text = "pod %s: %s %s is in %s%s (%d restarts%s)" % (
            pod_name, kind, name, reason, ": " + message if message else "", restarts, last_text)
        fatal = reason in _FATAL_WAITING or (reason == "CrashLoopBackOff" and restarts >= crashloop_restarts)
        return text, fatal
    terminated = state.get("terminated")
    if terminated and (terminated.get("exitCode") or 0) != 0:
        return "pod %s: %s %s exited with code %s (%s)" % (
            pod_name, kind, name, terminated.get("exitCode"), terminated.get("reason", "?")), False
    if not init and "running" in state and not status.get("ready"):
        return "pod %s: container %s is running but not ready (%d restarts%s)" % (
            pod_name, name, restarts, last_text), False
    return None, False


def pod_problems(pods, crashloop_restarts=3):
    """``{"fatal": bool, "problems": [str]}`` for the pods of a rollout. ``fatal``: waiting longer
    cannot help (a crash loop of ``crashloop_restarts`` restarts, an invalid image name, a missing
    ConfigMap/Secret key)."""
    problems = []
    fatal = False
    for pod in sorted(pods, key=lambda p: _meta(p).get("name", "")):
        name = _meta(pod).get("name", "?")
        status = pod.get("status") or {}
        if status.get("phase") == "Failed":
            problems.append("pod %s: failed: %s" % (name, status.get("message") or status.get("reason") or "?"))
            continue
        scheduled = _condition(pod, "PodScheduled")
        if scheduled and scheduled.get("status") == "False":
            problems.append("pod %s: not scheduled: %s: %s" % (
                name, scheduled.get("reason", "?"), scheduled.get("message", "")))
            continue
        started = status.get("containerStatuses") or status.get("initContainerStatuses")
        if not scheduled and status.get("phase", "Pending") == "Pending" and not started:
            problems.append("pod %s: pending, not scheduled yet" % name)
            continue
        for init, key in ((True, "initContainerStatuses"), (False, "containerStatuses")):
            for container in status.get(key) or []:
                text, is_fatal = _container_problem(name, container, init, crashloop_restarts)
                if text:
                    problems.append(text)
                    fatal = fatal or is_fatal
    return {"fatal": fatal, "problems": problems}


def warning_events(events, limit=3):
    """The latest Warning events (newest first) as ``<reason>: <message> (xN)`` strings."""
    def when(event):
        return (event.get("lastTimestamp") or event.get("eventTime") or
                (event.get("metadata") or {}).get("creationTimestamp") or "")

    warnings = [e for e in events if e.get("type") == "Warning"]
    result = []
    for event in sorted(warnings, key=when, reverse=True):
        count = event.get("count") or 1
        text = "%s: %s" % (event.get("reason", "?"), (event.get("message") or "").strip())
        if count > 1:
            text += " (x%d)" % count
        if text not in result:
            result.append(text)
        if len(result) >= limit:
            break
    return result


def pods_of(replicaset, pods):
    """Pods that belong to a ReplicaSet (by owner reference)."""
    return [pod for pod in pods if owned_by(pod, replicaset)]


def failure_message(state, problems, events=None):
    """One message for a failed rollout: the Deployment's state, then each pod problem, then the
    recent warning events of the pods."""
    lines = [state["message"]]
    lines += ["  " + problem for problem in problems]
    for pod, texts in sorted((events or {}).items()):
        for text in texts:
            # Skip events that only repeat a problem line (e.g. FailedScheduling and the pod condition).
            message = text.split(": ", 1)[-1].rsplit(" (x", 1)[0]
            if not any(pod in problem and message in problem for problem in problems):
                lines.append("  events of pod %s: %s" % (pod, text))
    return "\n".join(lines)


def referenced_config(replicasets):
    """Names of the ConfigMaps and Secrets the pod templates of these ReplicaSets use."""
    names = {"ConfigMap": set(), "Secret": set()}
    for rs in replicasets:
        pod = (((rs.get("spec") or {}).get("template") or {}).get("spec") or {})
        for volume in pod.get("volumes") or []:
            if volume.get("configMap"):
                names["ConfigMap"].add(volume["configMap"].get("name"))
            if volume.get("secret"):
                names["Secret"].add(volume["secret"].get("secretName"))
            for source in (volume.get("projected") or {}).get("sources") or []:
                if source.get("configMap"):
                    names["ConfigMap"].add(source["configMap"].get("name"))
                if source.get("secret"):
                    names["Secret"].add(source["secret"].get("name"))
        for container in (pod.get("containers") or []) + (pod.get("initContainers") or []):
            for env in container.get("env") or []:
                ref = env.get("valueFrom") or {}
                if ref.get("configMapKeyRef"):
                    names["ConfigMap"].add(ref["configMapKeyRef"].get("name"))
                if ref.get("secretKeyRef"):
                    names["Secret"].add(ref["secretKeyRef"].get("name"))
            for source in container.get("envFrom") or []:
                if source.get("configMapRef"):
                    names["ConfigMap"].add(source["configMapRef"].get("name"))
                if source.get("secretRef"):
                    names["Secret"].add(source["secretRef"].get("name"))
    return names


def stale_config(configmaps, secrets, replicasets, keep):
    """The ConfigMaps and Secrets of an app (as k8s_info lists them) that no ReplicaSet in
    ``replicasets`` uses and that are not in ``keep`` (``[{kind, name}]``, the current render): config of
    revisions the Deployment no longer keeps. Returns ``[{kind, name, namespace}]``, sorted."""
    used = referenced_config(replicasets)
    kept = {(item["kind"], item["name"]) for item in keep}
    stale = []
    for kind, objects in (("ConfigMap", configmaps), ("Secret", secrets)):
        for obj in objects:
            name = _meta(obj).get("name")
            if (kind, name) in kept or name in used[kind]:
                continue
            stale.append({"kind": kind, "name": name, "namespace": _meta(obj).get("namespace", "")})
    return sorted(stale, key=lambda item: (item["kind"], item["name"]))


def _results(registered):
    """The per-item results of a registered loop (``{"results": [...]}``), or [] when skipped."""
    if isinstance(registered, dict):
        return [item for item in registered.get("results") or [] if isinstance(item, dict)]
    return list(registered or [])


def rollout_report(app, rollouts, changed, rollbacks=None, rollback_rollouts=None, rollback_enabled=True):
    """The failure message of one app's deployment run.

    ``app``: name and namespace (and deployments); ``rollouts``: k8s_rollout_status results (registered
    loop over the Deployments); ``changed``: Deployment names this run changed; ``rollbacks``:
    k8s_rollback results (loop over ``changed``); ``rollback_rollouts``: k8s_rollout_status results of
    the rolled back Deployments (loop over the rollback results)."""
    lines = ["app '%s' (namespace %s): the rollout failed." % (app.get("name"), app.get("namespace"))]
    for result in _results(rollouts):
        if result.get("status") not in (None, "complete"):
            lines.append("[%s] %s" % (result["status"], result.get("message", "")))
    undone = {result.get("item"): result for result in _results(rollbacks) if "rolled_back" in result}
    after = {}
    for result in _results(rollback_rollouts):
        item = result.get("item")
        name = item.get("item") if isinstance(item, dict) else item
        after[name] = result.get("status", "unknown")
    for deployment in app.get("deployments") or []:
        if deployment not in changed:
            lines.append("Deployment %s: not rolled back, this run did not change it." % deployment)
        elif not rollback_enabled:
            lines.append("Deployment %s: not rolled back (app_rollback_on_failure is false)." % deployment)
        elif deployment in undone and undone[deployment].get("rolled_back"):
            result = undone[deployment]
            lines.append("Deployment %s: rolled back from revision %s to the template of revision %s; "
                         "the rollback's rollout is %s." % (deployment, result.get("from_revision"),
                                                            result.get("to_revision"), after.get(deployment, "unknown")))
        elif deployment in undone:
            lines.append("Deployment %s: not rolled back: %s." % (deployment, undone[deployment].get("msg", "")))
    lines.append("Fix the app spec or the image and run again.")
    return "\n".join(lines)
