"""Issue 5 on the lab cluster: the apps that converge.yml deployed, driven through playbooks/deploy_apps.yml.

The tests run in file order and build on each other: v1 is served; v2 rolls out under a request loop without a
failed request; a broken v3 fails the play and is rolled back to v2; a changed ConfigMap value rolls the pods;
the apps play is idempotent. Then the split php-nginx app (php-fpm in a Deployment of its own, found by nginx
through its Service name) answers over its NodePort; a client pod in another namespace reaches the apps by their
Service DNS names (CoreDNS); the HPA of app 'scaler' (metrics-server) scales it from 1 to at least 2 replicas under
a bounded request loop and back to 1 after it. Figures go to stdout (pytest -s / molecule's verifier output) and
to <ephemeral dir>/apps-report.txt.
"""

import hashlib
import http.client
import json
import os
import re
import socket
import ssl
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
# converge.yml's apps_work_dir (the TLS files of the hello app's Ingress are there).
WORK_DIR = Path(KUBECONFIG).parent / "apps"
VARS = yaml.safe_load(VARS_FILE.read_text())
APP = VARS["app_apps"][0]
NAME = APP["name"]
NAMESPACE = APP["namespace"]
NODE_PORT = APP["service"]["node_port"]
SECRET = VARS["apps_secret"]
SECRET_SHA256 = hashlib.sha256(SECRET.encode()).hexdigest()
CODE_IMAGE = "%s/code:%%s" % VARS["apps_pull_registry"]
PHP_IMAGE = "%s/php:8.2-1" % VARS["apps_pull_registry"]
NEW_GREETING = "hello from the changed ConfigMap"
SPLIT = next(app for app in VARS["app_apps"] if app["name"] == "hello-split")
SCALER = next(app for app in VARS["app_apps"] if app["name"] == "scaler")
# Traefik's NodePorts (roles/traefik defaults).
TRAEFIK_HTTP, TRAEFIK_HTTPS = 30080, 30443
# The namespace of the DNS test's client pod (created and deleted by the test, not an app's).
CLIENT_NAMESPACE = "kubelift-apps-client"


def _report(line):
    print(line)
    with REPORT.open("a") as handle:
        handle.write(line + "\n")


@pytest.fixture(scope="module")
def kube():
    config.load_kube_config(config_file=KUBECONFIG)
    return {"core": client.CoreV1Api(), "apps": client.AppsV1Api(), "autoscaling": client.AutoscalingV2Api(),
            "custom": client.CustomObjectsApi(), "networking": client.NetworkingV1Api()}


@pytest.fixture(scope="module")
def node_ips(kube):
    """InternalIP of every node: the NodePort answers on each, from the Docker host too."""
    ips = []
    for node in kube["core"].list_node().items:
        ips += [a.address for a in node.status.addresses if a.type == "InternalIP"]
    assert ips
    return ips


def _get(ip, path="/", timeout=5, port=NODE_PORT):
    """GET over a fresh connection; (status, body)."""
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)
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
               "-e", "@%s" % VARS_FILE, "-e", "app_kubeconfig=%s" % KUBECONFIG, "-e", "apps_work_dir=%s" % WORK_DIR]
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


# 6. The split pattern: php-fpm in its own Deployment behind Service <name>-php ---------------------------

def _component_pods(kube, namespace, name, component):
    """Running, not terminating pods of one component (web, php) of an app."""
    selector = "app.kubernetes.io/name=%s,app.kubernetes.io/component=%s" % (name, component)
    pods = kube["core"].list_namespaced_pod(namespace, label_selector=selector).items
    return [p for p in pods if p.metadata.deletion_timestamp is None and p.status.phase == "Running"]


def test_split_app_serves_php_from_its_own_deployment(kube, node_ips):
    name, namespace, port = SPLIT["name"], SPLIT["namespace"], SPLIT["service"]["node_port"]
    web = kube["apps"].read_namespaced_deployment(name, namespace)
    php = kube["apps"].read_namespaced_deployment(name + "-php", namespace)
    assert [c.name for c in web.spec.template.spec.containers] == ["nginx"]
    assert [c.name for c in php.spec.template.spec.containers] == ["php"]
    for deployment in (web, php):
        assert deployment.status.ready_replicas == SPLIT["replicas"], (deployment.metadata.name, deployment.status)
    service = kube["core"].read_namespaced_service(name + "-php", namespace)
    assert service.spec.type == "ClusterIP" and [p.port for p in service.spec.ports] == [9000], service.spec
    # nginx's upstream is the Service's DNS name (CoreDNS answers it), not an address.
    config_map = next(v.config_map.name for v in web.spec.template.spec.volumes if v.config_map)
    nginx_conf = kube["core"].read_namespaced_config_map(config_map, namespace).data["kubelift-nginx.conf"]
    upstream = "server %s-php.%s.svc:9000;" % (name, namespace)
    assert upstream in nginx_conf, nginx_conf
    php_pods = {p.metadata.name for p in _component_pods(kube, namespace, name, "php")}
    web_pods = {p.metadata.name for p in _component_pods(kube, namespace, name, "web")}
    assert php_pods and web_pods
    for ip in node_ips:
        status, body = _get(ip, port=port)
        page = _page(body)
        assert status == 200, body
        assert page.get("version") == "v1", body
        assert page.get("greeting") == VARS["apps_split_greeting"], body
        assert page.get("secret_sha256") == SECRET_SHA256, body
        # PHP ran in the php-fpm Deployment's pod, reached through the Service, not in the nginx pod.
        assert page.get("pod") in php_pods, (page, php_pods, web_pods)
        _report("split app via NodePort %s:%d -> version=%s greeting=%r, PHP in pod %s (Deployment %s-php, "
                "nginx pods %s, upstream %s)" % (ip, port, page["version"], page["greeting"], page["pod"], name,
                                                 sorted(web_pods), upstream.split()[1].rstrip(";")))


# 7. A client pod in another namespace reaches the apps by their Service DNS names (CoreDNS) -------------

CLUSTER_DOMAIN = "cluster.local"  # kubelift_cluster_domain's default, not overridden by the scenario
# The client is PHP's CLI in the app's php image (Debian, dynamically linked glibc: the pod's resolv.conf search list
# and ndots apply as for any app). The lab's busybox (Debian's busybox-static) cannot be the client: its wget
# segfaults in the pods, whatever the address.
_CLIENT_SCRIPT = r"""
foreach (file('/etc/resolv.conf', FILE_IGNORE_NEW_LINES) as $line) {
    echo "resolv.conf: $line\n";
}
foreach (array_slice($argv, 1) as $url) {
    $host = parse_url($url, PHP_URL_HOST);
    $started = microtime(true);
    $context = stream_context_create(['http' => ['timeout' => 10, 'header' => "Connection: close\r\n"]]);
    for ($attempt = 1; ; $attempt++) {
        $address = gethostbyname($host);
        $body = @file_get_contents($url, false, $context);
        if ($body !== false || $attempt >= 5) {
            break;
        }
        echo "retry $url after attempt $attempt (address $address): ", error_get_last()['message'] ?? '?', "\n";
        sleep(3);
    }
    printf("BEGIN %s ok=%d attempts=%d seconds=%d address=%s\n", $url, $body !== false, $attempt,
           (int) round(microtime(true) - $started), $address);
    echo $body === false ? '' : $body, "\n";
    echo "END $url\n";
}
"""


def _run_client_pod(kube, name, urls, timeout=240):
    """Run the PHP client above for ``urls`` in a one-shot pod of CLIENT_NAMESPACE (restricted Pod Security);
    return ({url: (ok, attempts, seconds, resolved address, body)}, log)."""
    core = kube["core"]
    try:
        core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": CLIENT_NAMESPACE, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    core.create_namespaced_pod(CLIENT_NAMESPACE, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "kubelift-apps-client"}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 33, "runAsGroup": 33,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "client", "image": PHP_IMAGE, "command": ["php", "-r", _CLIENT_SCRIPT, "--"] + urls,
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            }],
        },
    })
    deadline = time.monotonic() + timeout
    while True:
        pod = core.read_namespaced_pod(name, CLIENT_NAMESPACE)
        if pod.status.phase in ("Succeeded", "Failed"):
            break
        if time.monotonic() > deadline:
            events = core.list_namespaced_event(CLIENT_NAMESPACE, field_selector="involvedObject.name=%s" % name).items
            pytest.fail("client pod %s still %s after %d s: %s; events: %s" % (
                name, pod.status.phase, timeout, pod.status.container_statuses,
                [(e.reason, e.message) for e in events]))
        time.sleep(2)
    log = core.read_namespaced_pod_log(name, CLIENT_NAMESPACE)
    results = {}
    for match in re.finditer(r"^BEGIN (\S+) ok=(\d) attempts=(\d+) seconds=(\d+) address=(\S*)\n(.*?)^END \1$", log,
                             re.M | re.S):
        results[match.group(1)] = (match.group(2) == "1", int(match.group(3)), int(match.group(4)), match.group(5),
                                   match.group(6))
    return results, log


def _ingress_get(ip, host, path="/"):
    """GET through Traefik's HTTP NodePort with a Host header; (status, body)."""
    conn = http.client.HTTPConnection(ip, TRAEFIK_HTTP, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host, "Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def _wait(predicate, timeout, step=2):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def test_ingress_routes_by_host_name_through_traefik(kube, node_ips):
    """Traefik (the lab's ingress controller) routes each app's host to it and answers 404 for other hosts."""
    hello, split = APP["ingress"]["host"], SPLIT["ingress"]["host"]
    ingress = kube["networking"].read_namespaced_ingress(NAME, NAMESPACE)
    assert ingress.spec.rules[0].host == hello and ingress.spec.tls[0].secret_name == NAME + "-tls"
    secret = kube["core"].read_namespaced_secret(NAME + "-tls", NAMESPACE)
    assert secret.type == "kubernetes.io/tls" and set(secret.data) == {"tls.crt", "tls.key"}

    def routed():
        return _ingress_get(node_ips[0], hello)[0] == 200 and _ingress_get(node_ips[0], split)[0] == 200

    assert _wait(routed, 60), "Traefik does not route the apps' hosts yet"
    for ip in node_ips:
        status, body = _ingress_get(ip, hello)
        assert status == 200 and _page(body).get("greeting") == NEW_GREETING, body
        status, body = _ingress_get(ip, split)
        assert status == 200 and _page(body).get("greeting") == VARS["apps_split_greeting"], body
        status, body = _ingress_get(ip, "unknown.kubelift.test")
        assert status == 404, (status, body)
    _report("Ingress via Traefik NodePort %d: %s -> hello, %s -> hello-split, unknown host -> 404, on %d nodes"
            % (TRAEFIK_HTTP, hello, split, len(node_ips)))


def test_ingress_tls_host_answers_with_the_certificate_from_the_files(node_ips):
    """HTTPS on Traefik's NodePort: the certificate is the one converge.yml wrote (verified against it)."""
    host = APP["ingress"]["host"]
    context = ssl.create_default_context(cafile=str(WORK_DIR / "tls" / (host + ".crt")))
    conn = http.client.HTTPSConnection(node_ips[0], TRAEFIK_HTTPS, timeout=5, context=context)
    # SNI and verification use the host name the request is for, not the node address.
    raw = socket.create_connection((node_ips[0], TRAEFIK_HTTPS), timeout=5)
    conn.sock = context.wrap_socket(raw, server_hostname=host)
    # Read before the request: the connection closes (and drops its socket) once the response is read.
    subject = dict(item for rdn in conn.sock.getpeercert()["subject"] for item in rdn)
    try:
        conn.request("GET", "/", headers={"Host": host, "Connection": "close"})
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
    finally:
        conn.close()
    assert response.status == 200 and _page(body).get("greeting") == NEW_GREETING, body
    assert subject["commonName"] == host
    _report("Ingress TLS via Traefik NodePort %d: %s answered 200 with the certificate from the files (CN=%s)"
            % (TRAEFIK_HTTPS, host, subject["commonName"]))


def test_client_in_another_namespace_reaches_apps_by_service_dns_name(kube, node_ips):
    urls = {}
    for app in (APP, SPLIT):
        service = "%s.%s" % (app["name"], app["namespace"])
        urls[app["name"]] = ["http://%s.svc.%s/" % (service, CLUSTER_DOMAIN), "http://%s/" % service]
    try:
        results, log = _run_client_pod(kube, "dns-client", [u for name in urls for u in urls[name]])
        assert "resolv.conf: search %s.svc.%s svc.%s %s" % (CLIENT_NAMESPACE, CLUSTER_DOMAIN, CLUSTER_DOMAIN,
                                                              CLUSTER_DOMAIN) in log, log
        # The pods whose name the page shows (PHP's hostname): hello's, and hello-split's php-fpm pods.
        page_pods = {APP["name"]: {p.metadata.name for p in _pods(kube)},
                     SPLIT["name"]: {p.metadata.name for p in _component_pods(kube, SPLIT["namespace"], SPLIT["name"], "php")}}
        for app in (APP, SPLIT):
            name = app["name"]
            # What the app serves right now, from the host through its NodePort.
            status, body = _get(node_ips[0], port=app["service"]["node_port"])
            expected = _page(body)
            assert status == 200, body
            pods = page_pods[name]
            cluster_ip = kube["core"].read_namespaced_service(name, app["namespace"]).spec.cluster_ip
            for url in urls[name]:
                assert url in results, log
                ok, attempts, seconds, address, page_text = results[url]
                page = _page(page_text)
                assert ok, "%s: %s\n%s" % (url, page_text, log)
                assert address == cluster_ip, (url, address, cluster_ip)
                assert page.get("version") == expected["version"], (url, page_text)
                assert page.get("greeting") == expected["greeting"], (url, page_text)
                assert page.get("secret_sha256") == SECRET_SHA256, (url, page_text)
                assert page.get("pod") in pods, (url, page, pods)
                _report("DNS from namespace %s: %s -> %s (Service ClusterIP) -> version=%s greeting=%r pod=%s "
                        "(attempts %d, %d s)" % (CLIENT_NAMESPACE, url, address, page["version"], page["greeting"],
                                                 page["pod"], attempts, seconds))
    finally:
        kube["core"].delete_namespace(CLIENT_NAMESPACE, propagation_policy="Background")


# 8. The HPA (metrics-server) scales app 'scaler' up under a bounded load and back down ------------------

# The load: GET /burn.php?n=BURN_ROUNDS (sha256 rounds in PHP), one request in flight, at most LOAD_RATE a
# second, from the host to the NodePort on the node IPs; it stops by itself after LOAD_MAX_REQUESTS or
# LOAD_MAX_SECONDS, or earlier once the scale-up has been seen.
BURN_ROUNDS = 20000
LOAD_RATE = 10
LOAD_MAX_SECONDS = 300
LOAD_MAX_REQUESTS = LOAD_RATE * LOAD_MAX_SECONDS
# Keep the load this long after the first scale-up (the peak), unless max_replicas is reached and ready first.
LOAD_AFTER_SCALE_UP = 60
# Generous for 2 slow cores: metrics-server resolution 15 s, HPA sync 15 s, pod start, stabilization window.
METRICS_TIMEOUT = 300
SCALE_DOWN_TIMEOUT = 420
POLL = 5


class BoundedLoad:
    """Paced GETs of burn.php through the NodePort of every node in turn, in one thread; stops by itself after
    ``max_requests`` or ``max_seconds`` (or when stopped)."""

    def __init__(self, ips, port, rate=LOAD_RATE, max_requests=LOAD_MAX_REQUESTS, max_seconds=LOAD_MAX_SECONDS):
        self.ips, self.port, self.rate = ips, port, rate
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.sent = 0
        self.failures = []
        self.pods = {}
        self.busy = 0.0
        self.seconds = 0.0
        self._stop = threading.Event()
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        started = time.monotonic()
        try:
            while self.sent < self.max_requests and time.monotonic() - started < self.max_seconds:
                delay = started + self.sent / self.rate - time.monotonic()
                if self._stop.wait(max(delay, 0)):
                    break
                ip = self.ips[self.sent % len(self.ips)]
                self.sent += 1
                before = time.monotonic()
                try:
                    status, body = _get(ip, "/burn.php?n=%d" % BURN_ROUNDS, timeout=15, port=self.port)
                    page = _page(body)
                    if status != 200 or page.get("rounds") != str(BURN_ROUNDS):
                        self.failures.append("%s: HTTP %s %r" % (ip, status, body[:80]))
                    else:
                        self.pods[page["pod"]] = self.pods.get(page["pod"], 0) + 1
                except (OSError, http.client.HTTPException) as exc:
                    self.failures.append("%s: %s" % (ip, exc))
                self.busy += time.monotonic() - before
        finally:
            self.seconds = time.monotonic() - started
            self.done.set()

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=30)

    def summary(self):
        return "%d requests in %.0f s (%.1f/s, %.0f ms each on average), %d failed, served by %s" % (
            self.sent, self.seconds, self.sent / max(self.seconds, 1), 1000 * self.busy / max(self.sent, 1),
            len(self.failures), self.pods)


def _hpa_state(kube, started):
    name, namespace = SCALER["name"], SCALER["namespace"]
    hpa = kube["autoscaling"].read_namespaced_horizontal_pod_autoscaler(name, namespace)
    deployment = kube["apps"].read_namespaced_deployment(name, namespace)
    cpu = None
    for metric in hpa.status.current_metrics or []:
        if metric.resource and metric.resource.name == "cpu":
            cpu = metric.resource.current.average_utilization
    return {
        "t": time.monotonic() - started,
        "replicas": deployment.spec.replicas,
        "ready": deployment.status.ready_replicas or 0,
        "pods": deployment.status.replicas or 0,
        "desired": hpa.status.desired_replicas,
        "cpu": cpu,
        "conditions": {c.type: "%s %s: %s" % (c.status, c.reason, c.message) for c in hpa.status.conditions or []},
    }


def _pod_metrics(kube):
    """CPU of the scaler's pods as metrics.k8s.io reports them (for failure messages)."""
    try:
        items = kube["custom"].list_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", SCALER["namespace"], "pods",
            label_selector="app.kubernetes.io/name=%s" % SCALER["name"])["items"]
    except client.ApiException as exc:
        return "metrics.k8s.io: HTTP %s %s" % (exc.status, exc.reason)
    return {i["metadata"]["name"]: {c["name"]: c["usage"]["cpu"] for c in i["containers"]} for i in items}


def _line(state):
    return "t=%3.0fs replicas=%s ready=%s pods=%s desired=%s cpu=%s%%" % (
        state["t"], state["replicas"], state["ready"], state["pods"], state["desired"], state["cpu"])


def test_hpa_scales_up_under_load_and_back_down(kube, node_ips):
    name, namespace = SCALER["name"], SCALER["namespace"]
    scaling = SCALER["autoscaling"]
    hpa = kube["autoscaling"].read_namespaced_horizontal_pod_autoscaler(name, namespace)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (scaling["min_replicas"], scaling["max_replicas"])
    assert hpa.spec.behavior.scale_down.stabilization_window_seconds == scaling["scale_down_stabilization_seconds"]

    # Before the load: the HPA has metrics (metrics-server) and the app runs one replica.
    started = time.monotonic()
    while True:
        state = _hpa_state(kube, started)
        if (state["cpu"] is not None and state["conditions"].get("ScalingActive", "").startswith("True")
                and state["replicas"] == state["pods"] == state["ready"] == 1):
            break
        if state["t"] > METRICS_TIMEOUT:
            pytest.fail("HPA %s/%s not ready to scale from 1 replica after %d s: %s %s; pod metrics: %s" % (
                namespace, name, METRICS_TIMEOUT, _line(state), state["conditions"], _pod_metrics(kube)))
        time.sleep(POLL)
    _report("HPA %s: %s before the load (metrics after %.0f s)" % (name, _line(state), state["t"]))

    # Up under the load.
    timeline = []
    load = BoundedLoad(node_ips, SCALER["service"]["node_port"]).start()
    started = time.monotonic()
    scaled_up = ready_up = None
    try:
        while True:
            time.sleep(POLL)
            state = _hpa_state(kube, started)
            timeline.append(state)
            if scaled_up is None and state["replicas"] >= 2:
                scaled_up = state["t"]
            if ready_up is None and state["ready"] >= 2:
                ready_up = state["t"]
            at_max = state["replicas"] == state["ready"] == scaling["max_replicas"]
            if ready_up is not None and (at_max or state["t"] - scaled_up >= LOAD_AFTER_SCALE_UP):
                break
            if load.done.is_set():
                break
    finally:
        load.stop()
    stopped = time.monotonic()
    peak = max(s["replicas"] for s in timeline)
    peak_cpu = max((s["cpu"] for s in timeline if s["cpu"] is not None), default=None)
    _report("HPA %s: load %s" % (name, load.summary()))
    for state in timeline:
        _report("HPA %s under load: %s" % (name, _line(state)))
    assert scaled_up is not None, "no scale-up within the load (%s); last: %s %s; pod metrics: %s" % (
        load.summary(), _line(timeline[-1]), timeline[-1]["conditions"], _pod_metrics(kube))
    assert ready_up is not None, "scaled to %d but never 2 ready pods: %s" % (peak, _line(timeline[-1]))
    assert len(load.failures) <= load.sent // 100, load.failures[:10]

    # Down after the load.
    down = None
    while True:
        state = _hpa_state(kube, stopped)
        timeline.append(state)
        if down is None and state["replicas"] == 1:
            down = state["t"]
        if state["replicas"] == state["pods"] == 1:
            break
        if state["t"] > SCALE_DOWN_TIMEOUT:
            pytest.fail("HPA %s/%s did not scale back to 1 within %d s of the load's end: %s %s; pod metrics: %s" % (
                namespace, name, SCALE_DOWN_TIMEOUT, _line(state), state["conditions"], _pod_metrics(kube)))
        time.sleep(POLL)
    _report("HPA %s: scaled up to 2 replicas %.0f s into the load (2 ready at %.0f s), peak %d replicas "
            "(max %d), peak CPU %s%% of the requests (target %d%%)" % (
                name, scaled_up, ready_up, peak, scaling["max_replicas"], peak_cpu, scaling["cpu_utilization"]))
    _report("HPA %s: back to 1 replica %.0f s after the load stopped (extra pods gone at %.0f s; scale-down "
            "stabilization window %d s)" % (name, down, state["t"], scaling["scale_down_stabilization_seconds"]))
    assert peak >= 2
