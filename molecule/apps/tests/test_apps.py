"""Issue 5 on the lab cluster: the php-nginx app that converge.yml deployed, driven through playbooks/deploy_apps.yml.

The tests run in file order and build on each other: v1 is served; v2 rolls out under a request loop without a
failed request; a broken v3 fails the play and is rolled back to v2; a changed ConfigMap value rolls the pods;
the apps play is idempotent. Figures go to stdout (pytest -s / molecule's verifier output) and to
<ephemeral dir>/apps-report.txt.
"""

import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

KUBECONFIG = os.environ["KUBECONFIG"]
VARS_FILE = Path(os.environ["APPS_VARS"])
ROOT = Path(__file__).resolve().parents[3]
REPORT = Path(KUBECONFIG).parent / "apps-report.txt"
VARS = yaml.safe_load(VARS_FILE.read_text())
APP = VARS["app_apps"][0]
NAME = APP["name"]
NAMESPACE = APP["namespace"]
NODE_PORT = APP["service"]["node_port"]
SECRET = VARS["apps_secret"]
SECRET_SHA256 = hashlib.sha256(SECRET.encode()).hexdigest()
CODE_IMAGE = "%s/code:%%s" % VARS["apps_pull_registry"]
NEW_GREETING = "hello from the changed ConfigMap"


def _report(line):
    print(line)
    with REPORT.open("a") as handle:
        handle.write(line + "\n")


@pytest.fixture(scope="module")
def kube():
    config.load_kube_config(config_file=KUBECONFIG)
    return {"core": client.CoreV1Api(), "apps": client.AppsV1Api()}


@pytest.fixture(scope="module")
def node_ips(kube):
    """InternalIP of every node: the NodePort answers on each, from the Docker host too."""
    ips = []
    for node in kube["core"].list_node().items:
        ips += [a.address for a in node.status.addresses if a.type == "InternalIP"]
    assert ips
    return ips


def _get(ip, path="/", timeout=5):
    """GET over a fresh connection; (status, body)."""
    conn = http.client.HTTPConnection(ip, NODE_PORT, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def _page(text):
    return dict(line.split("=", 1) for line in text.strip().splitlines() if "=" in line)


def _play(**extra_vars):
    """Run playbooks/deploy_apps.yml with the scenario's app vars and ``extra_vars``; (rc, output, seconds)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/deploy_apps.yml",
               "-e", "@%s" % VARS_FILE, "-e", "app_kubeconfig=%s" % KUBECONFIG]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def _recap(output):
    match = re.search(r"^localhost\s*:\s*(.*)$", output, re.MULTILINE)
    assert match, output[-3000:]
    return dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1)))


class RequestLoop:
    """Requests the NodePort of every node in turn, without pause, until stopped."""

    def __init__(self, ips):
        self.ips = ips
        self.sent = 0
        self.failures = []
        self.versions = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            ip = self.ips[self.sent % len(self.ips)]
            self.sent += 1
            try:
                status, body = _get(ip)
                version = _page(body).get("version")
                if status != 200 or not version:
                    self.failures.append("%s: HTTP %s %r" % (ip, status, body[:80]))
                else:
                    self.versions[version] = self.versions.get(version, 0) + 1
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append("%s: %s" % (ip, exc))

    def __enter__(self):
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        time.sleep(2)  # a little after the play, when the old pods finish terminating
        self._stop.set()
        self._thread.join(timeout=30)
        self.seconds = time.monotonic() - self.started

    def summary(self):
        return "%d requests in %.0f s (%.0f/s), %d failed, versions served %s" % (
            self.sent, self.seconds, self.sent / self.seconds, len(self.failures), self.versions)


def _deployment(kube):
    return kube["apps"].read_namespaced_deployment(NAME, NAMESPACE)


def _code_image(deployment):
    return deployment.spec.template.spec.init_containers[0].image


def _pods(kube):
    """The app's pods that are not terminating."""
    pods = kube["core"].list_namespaced_pod(NAMESPACE, label_selector="app.kubernetes.io/name=%s" % NAME).items
    return [p for p in pods if p.metadata.deletion_timestamp is None]


def _pod_page(kube, pod):
    """The page of one pod, through the API server's pod proxy."""
    return kube["core"].connect_get_namespaced_pod_proxy_with_path("%s:8080" % pod.metadata.name, NAMESPACE, "index.php")


def _wait_settled(kube, timeout=120):
    """Wait until exactly the Deployment's replicas run (terminating pods gone) and return them."""
    deadline = time.monotonic() + timeout
    while True:
        replicas = _deployment(kube).spec.replicas
        pods = kube["core"].list_namespaced_pod(NAMESPACE, label_selector="app.kubernetes.io/name=%s" % NAME).items
        if len(pods) == replicas and all(p.metadata.deletion_timestamp is None for p in pods):
            return pods
        if time.monotonic() > deadline:
            pytest.fail("pods did not settle: %s" % [(p.metadata.name, p.status.phase) for p in pods])
        time.sleep(2)


def _assert_every_pod_serves(kube, version, greeting):
    pods = _wait_settled(kube)
    for pod in pods:
        page = _page(_pod_page(kube, pod))
        assert page.get("version") == version, (pod.metadata.name, page)
        assert page.get("greeting") == greeting, (pod.metadata.name, page)
        assert page.get("pod") == pod.metadata.name
    return pods


# 0. The nodes pull docker.io/... from the scenario's registry (testinfra, on every node) -----------

def test_nodes_pull_docker_io_through_the_lab_registry(host):
    hosts = host.file("/etc/containerd/certs.d/docker.io/hosts.toml")
    assert hosts.exists
    assert hosts.contains("http://kubelift-molecule-apps-registry:5000")


# 1. v1 over HTTP ----------------------------------------------------------------------------------

def test_v1_page_reads_config_and_secret(kube, node_ips):
    REPORT.write_text("")
    deployment = _deployment(kube)
    assert deployment.status.ready_replicas == 2, deployment.status
    assert _code_image(deployment) == CODE_IMAGE % "v1"
    for ip in node_ips:
        status, body = _get(ip)
        page = _page(body)
        assert status == 200, body
        assert page["version"] == "v1"
        assert page["greeting"] == VARS["apps_greeting"]
        assert page["secret_sha256"] == SECRET_SHA256
        assert SECRET not in body
        _report("v1 via NodePort %s:%d -> %s" % (ip, NODE_PORT, page))
    _assert_every_pod_serves(kube, "v1", VARS["apps_greeting"])


# 2. Roll to v2 under load -------------------------------------------------------------------------

def test_rolling_update_to_v2_drops_no_request(kube, node_ips):
    old_pods = {p.metadata.name for p in _pods(kube)}
    with RequestLoop(node_ips) as loop:
        rc, output, seconds = _play(apps_release="v2")
    _report("roll to v2: play rc %d in %.0f s; %s" % (rc, seconds, loop.summary()))
    assert rc == 0, output[-4000:]
    assert loop.failures == [], loop.failures[:10]
    assert loop.sent >= 200, loop.summary()
    assert loop.versions.get("v2"), loop.versions
    assert _code_image(_deployment(kube)) == CODE_IMAGE % "v2"
    pods = _assert_every_pod_serves(kube, "v2", VARS["apps_greeting"])
    assert not old_pods & {p.metadata.name for p in pods}


# 3. Broken v3 is rolled back ----------------------------------------------------------------------

def test_broken_v3_fails_and_rolls_back_to_v2(kube, node_ips):
    with RequestLoop(node_ips) as loop:
        rc, output, seconds = _play(apps_release="v3")
    _report("broken v3: play rc %d in %.0f s; %s" % (rc, seconds, loop.summary()))
    assert rc != 0, output[-4000:]
    assert "app 'hello' (namespace kubelift-apps): the rollout failed." in output, output[-4000:]
    assert "ProgressDeadlineExceeded" in output
    assert "running but not ready" in output
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in output
    rolled_back = re.search(r"Deployment hello: rolled back from revision \d+ to the template of revision \d+", output)
    assert rolled_back, output[-4000:]
    message = re.search(r"app 'hello' \(namespace kubelift-apps\): the rollout failed\..*?Fix the app spec or the image "
                        r"and run again\.", output, re.DOTALL)
    assert message, output[-4000:]
    _report("broken v3: the play failed with:\n    " + "\n    ".join(line.strip() for line in message.group(0).splitlines()))
    assert loop.failures == [], loop.failures[:10]
    assert set(loop.versions) == {"v2"}, loop.versions
    deployment = _deployment(kube)
    assert _code_image(deployment) == CODE_IMAGE % "v2"
    assert deployment.status.ready_replicas == 2
    _assert_every_pod_serves(kube, "v2", VARS["apps_greeting"])


# 4. A changed ConfigMap value rolls the pods ------------------------------------------------------

def test_changed_config_value_rolls_the_pods(kube, node_ips):
    before = {p.metadata.name for p in _pods(kube)}
    checksum_before = _deployment(kube).spec.template.metadata.annotations["kubelift.io/config-checksum"]
    with RequestLoop(node_ips) as loop:
        rc, output, seconds = _play(apps_release="v2", apps_greeting=NEW_GREETING)
    _report("config change: play rc %d in %.0f s; %s" % (rc, seconds, loop.summary()))
    assert rc == 0, output[-4000:]
    assert loop.failures == [], loop.failures[:10]
    deployment = _deployment(kube)
    assert deployment.spec.template.metadata.annotations["kubelift.io/config-checksum"] != checksum_before
    pods = _assert_every_pod_serves(kube, "v2", NEW_GREETING)
    after = {p.metadata.name for p in pods}
    assert not before & after, (before, after)
    hashes = {p.metadata.labels["pod-template-hash"] for p in pods}
    _report("config change: pods %s -> %s (ReplicaSet %s-%s)" % (sorted(before), sorted(after), NAME, hashes.pop()))
    for ip in node_ips:
        status, body = _get(ip)
        assert status == 200 and _page(body)["greeting"] == NEW_GREETING, body


# 5. The apps play is idempotent -------------------------------------------------------------------

def test_apps_play_twice_changes_nothing_the_second_time(kube):
    runs = [_play(apps_release="v2", apps_greeting=NEW_GREETING) for _ in range(2)]
    for number, (rc, output, seconds) in enumerate(runs, 1):
        _report("apps play run %d: rc %d in %.0f s, %s" % (number, rc, seconds, _recap(output)))
        assert rc == 0, output[-4000:]
    recap = _recap(runs[1][1])
    assert recap["changed"] == 0, runs[1][1][-4000:]
    assert recap["failed"] == 0
