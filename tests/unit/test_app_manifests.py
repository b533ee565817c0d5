"""App spec validation and rendering (plugins/module_utils/app_manifests.py), the app_manifests module,
and strict schema validation of everything rendered against Kubernetes 1.33-1.37."""

import base64
import copy
import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.kubelift.cluster.plugins.module_utils import app_manifests as am
from ansible_collections.kubelift.cluster.plugins.modules import app_manifests as module

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_VERSIONS = ["1.33", "1.34", "1.35", "1.36", "1.37"]
# What a Kubernetes 1.20 API server (the offline lab) serves, as `kubectl api-versions` printed it.
LAB_API_VERSIONS = [
    "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "apps/v1", "autoscaling/v1",
    "autoscaling/v2beta1", "autoscaling/v2beta2", "batch/v1", "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1", "policy/v1beta1", "rbac.authorization.k8s.io/v1", "v1",
]
CURRENT_WITHOUT_EXTRAS = ["v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1"]


def php(**extra):
    spec = {"name": "shop", "pattern": "php-nginx", "image": "registry.example.cn/shop/php:8.3-fpm"}
    spec.update(extra)
    return spec


def python(**extra):
    spec = {"name": "api", "pattern": "python", "image": "registry.example.cn/api:1.0",
            "python": {"app": "api.wsgi:application"}}
    spec.update(extra)
    return spec


def static(**extra):
    spec = {"name": "site", "pattern": "static", "code": {"image": "registry.example.cn/site:1.0"}}
    spec.update(extra)
    return spec


def container(**extra):
    spec = {"name": "worker", "pattern": "container", "image": "registry.example.cn/worker:1.0"}
    spec.update(extra)
    return spec


def by_kind(manifests, kind, name=None):
    found = [m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''} in {[(m['kind'], m['metadata']['name']) for m in manifests]}"
    return found[0] if name or len(found) == 1 else found


def containers(deployment):
    return {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}


def config_file(manifests, key):
    return by_kind(manifests, "ConfigMap")["data"][key]


# ------------------------------------------------------------------------------------------------------
# Validation: one error per wrong field, naming the app and the field
# ------------------------------------------------------------------------------------------------------

INVALID = [
    (php(probes={"readiness": {"path": "healthz"}}), "app 'shop': probes.readiness.path: must start with '/'"),
    ({"name": "Shop_1", "pattern": "static"}, "app 'Shop_1': name: 'Shop_1' is not a DNS-1035 label"),
    ({"name": "x" * 41, "pattern": "static"}, "at most 40 characters"),
    ({"pattern": "static"}, "apps[0]: name: is required"),
    (php(namespace="Bad NS"), "app 'shop': namespace: 'Bad NS' is not a DNS-1123 label"),
    (php(pattern="java"), "app 'shop': pattern: must be one of 'php-nginx', 'python', 'static', 'container', got 'java'"),
    (php(replica=3), "app 'shop': replica: unknown field; known fields:"),
    (php(replicas="two"), "app 'shop': replicas: must be an integer, got a string"),
    ({"name": "shop", "pattern": "php-nginx"}, "app 'shop': image: is required for the php-nginx pattern"),
    (static(image="nginx"), "app 'site': image: the static pattern runs nginx only; set nginx.image instead"),
    (python(python={"app": ""}), "app 'api': python.app: is required"),
    (python(split=True), "app 'api': split: only applies to the php-nginx pattern"),
    (php(nginx={"enabled": True}), "app 'shop': nginx.enabled: only applies to the python pattern"),
    (php(port=80), "app 'shop': port: 80 needs root to bind"),
    (php(port=70000), "app 'shop': port: 70000 is not a port number"),
    (php(php={"port": 8080}), "app 'shop': php.port: must differ from port (8080)"),
    (php(php={"pool_dir": "etc/php"}), "app 'shop': php.pool_dir: must be an absolute path"),
    (php(nginx={"document_root": "/public"}), "app 'shop': nginx.document_root: must be a path relative to code.path"),
    (php(nginx={"document_root": "../etc"}), "app 'shop': nginx.document_root: must be a path relative to code.path"),
    (php(nginx={"client_max_body_size": "lots"}), "app 'shop': nginx.client_max_body_size: must be a size"),
    (php(env={"1BAD": "x"}), "app 'shop': env: '1BAD' is not a valid environment variable name"),
    (php(env={"A": {"b": 1}}), "app 'shop': env.A: must be a string, number or boolean"),
    (php(env={"DB": "x"}, secrets={"env": {"DB": "y"}}), "app 'shop': env.DB: is also set in secrets.env"),
    (php(config_files=[{"path": "php.ini", "content": ""}]), "app 'shop': config_files[0].path: must be an absolute file path"),
    (php(config_files=[{"path": "/a/app.ini", "content": ""}, {"path": "/b/app.ini", "content": ""}]),
     "app 'shop': config_files[1].key: 'app.ini' is already used by config_files[0]"),
    (php(config_files=[{"path": "/a/x.ini", "content": "", "containers": ["app"]}]),
     "app 'shop': config_files[0].containers: 'app' is not a container of this pattern (php, nginx)"),
    (php(config_files=[{"path": "/a/x.ini"}]), "app 'shop': config_files[0].content: is required"),
    (php(config_files=[{"path": "/a/kubelift-x", "content": ""}]), "keys starting with 'kubelift-' are reserved"),
    (php(nginx={"config": "events {}"}, config_files=[{"path": "/etc/nginx/nginx.conf", "content": "", "containers": ["nginx"]}]),
     "app 'shop': nginx.config: nginx.conf is also given in config_files[0]"),
    (php(resources={"requests": {"cpu": "lots"}}), "app 'shop': resources.requests.cpu: 'lots' is not a quantity"),
    (php(resources={"request": {}}), "app 'shop': resources.request: unknown field; use requests and limits"),
    (php(probes={"liveness": {"type": "grpc"}}), "app 'shop': probes.liveness.type: must be one of 'http', 'tcp', 'exec'"),
    (php(probes={"liveness": {"type": "http"}}), "app 'shop': probes.liveness.path: is required for an http probe"),
    (php(probes={"liveness": {"type": "exec"}}), "app 'shop': probes.liveness.command: is required for an exec probe"),
    (php(probes={"liveness": {"path": "/x", "success_threshold": 2}}),
     "app 'shop': probes.liveness.success_threshold: must be 1 for liveness probes"),
    (php(probes={"readiness": {"path": "/x", "period_seconds": 0}}), "app 'shop': probes.readiness.period_seconds: must be an integer of at least 1"),
    (php(probes={"readiness": {"path": "/x", "port": 0}}), "app 'shop': probes.readiness.port: 0 is not a port number"),
    (php(probes={"readiness": {"path": "/x", "delay": 3}}), "app 'shop': probes.readiness.delay: unknown field"),
    (php(probes={"readiness": True}), "app 'shop': probes.readiness: use a dict to change the probe or false to disable it"),
    (php(backend_probes={"liveness": {"type": "tcp"}}), "app 'shop': backend_probes.liveness: php-fpm listens on 127.0.0.1 in one pod"),
    (static(backend_probes={"liveness": {"path": "/x"}}), "app 'site': backend_probes.liveness: this app runs a single container"),
    (php(rollout={"max_surge": 0, "max_unavailable": "0%"}), "app 'shop': rollout: max_surge and max_unavailable cannot both be 0"),
    (php(rollout={"max_surge": "lots"}), "app 'shop': rollout.max_surge: must be an integer or a percentage"),
    (php(rollout={"progress_deadline_seconds": 5, "min_ready_seconds": 10}),
     "app 'shop': rollout.progress_deadline_seconds: must be greater than min_ready_seconds (10)"),
    (php(rollout={"strategy": "BlueGreen"}), "app 'shop': rollout.strategy: must be one of 'RollingUpdate', 'Recreate'"),
    (php(service={"node_port": 30080}), "app 'shop': service.node_port: needs service.type NodePort or LoadBalancer"),
    (php(service={"type": "External"}), "app 'shop': service.type: must be one of"),
    (php(service={"enabled": False}, ingress={"host": "a.example.com"}), "app 'shop': ingress: needs the app's Service"),
    (container(ingress={}), "app 'worker': ingress: needs the app's Service"),
    (php(ingress={"host": "Not A Host"}), "app 'shop': ingress.host: 'Not A Host' is not a DNS name"),
    (php(ingress={"paths": ["api"]}), "app 'shop': ingress.paths[0]: must start with '/'"),
    (php(http_route={}), "app 'shop': http_route.parent_refs: needs at least one Gateway"),
    (php(http_route={"parent_refs": [{"gateway": "x"}]}), "app 'shop': http_route.parent_refs[0].gateway: unknown field"),
    (php(route={"tls_termination": "passthrough", "path": "/x"}), "app 'shop': route.path: cannot be used with passthrough TLS termination"),
    (php(autoscaling={}), "app 'shop': autoscaling.max_replicas: is required (at least 1)"),
    (php(autoscaling={"max_replicas": 3, "min_replicas": 5}), "app 'shop': autoscaling.min_replicas: 5 is above max_replicas 3"),
    (php(autoscaling={"max_replicas": 3, "cpu_utilization": 0}), "app 'shop': autoscaling: set cpu_utilization and/or memory_utilization"),
    (php(autoscaling={"max_replicas": 3}, resources={"limits": {"memory": "1Gi"}}),
     "app 'shop': autoscaling.cpu_utilization: container php has no cpu request"),
    (php(autoscaling={"max_replicas": 3, "scale_down_stabilization_seconds": 3601}),
     "app 'shop': autoscaling.scale_down_stabilization_seconds: must be between 0 and 3600, got 3601"),
    (php(autoscaling={"max_replicas": 3, "scale_down_stabilization_seconds": -1}),
     "app 'shop': autoscaling.scale_down_stabilization_seconds: must be between 0 and 3600, got -1"),
    (php(autoscaling={"max_replicas": 3, "scale_down_stabilization_seconds": "soon"}),
     "app 'shop': autoscaling.scale_down_stabilization_seconds: must be an integer, got a string"),
    (php(autoscaling={"max_replicas": 3, "scale_down_stabilization_seconds": True}),
     "app 'shop': autoscaling.scale_down_stabilization_seconds: must be an integer, got a boolean"),
    (php(pdb={"min_available": 1, "max_unavailable": 1}), "app 'shop': pdb: set exactly one of min_available and max_unavailable"),
    (php(pdb={"max_unavailable": "half"}), "app 'shop': pdb.max_unavailable: must be an integer or a percentage"),
    (php(pdb=3), "app 'shop': pdb: must be a dict with min_available or max_unavailable, or false"),
    (php(node_selector={"bad key!": "x"}), "app 'shop': node_selector: 'bad key!' is not a valid label key"),
    (php(node_affinity={"required": {"zone": "a"}}), "app 'shop': node_affinity.required.zone: must be a list of label values"),
    (php(node_affinity={"required": {"zone": ["a"]}}, affinity={"nodeAffinity": {}}),
     "app 'shop': node_affinity: cannot be combined with affinity.nodeAffinity"),
    (php(affinity={"podAffinityTerm": {}}), "app 'shop': affinity.podAffinityTerm: unknown field"),
    (php(tolerations=[{"key": "a", "operator": "Has"}]), "app 'shop': tolerations[0].operator: must be Equal or Exists"),
    (php(tolerations=[{"key": "a", "efect": "NoSchedule"}]), "app 'shop': tolerations[0].efect: unknown field"),
    (php(topology_spread_constraints=[{"maxSkew": 1}]), "app 'shop': topology_spread_constraints[0].topologyKey: is required"),
    (php(security={"run_as_user": 0}), "app 'shop': security.run_as_user: 0 is root"),
    (php(security={"run_as_non_root": False}), "app 'shop': pod_security: restricted requires security.run_as_non_root: true"),
    (php(security={"seccomp_profile": "Unconfined"}), "app 'shop': pod_security: restricted requires security.seccomp_profile: RuntimeDefault"),
    (php(labels={am.NAME_LABEL: "x"}), "app 'shop': labels.app.kubernetes.io/name: is set by kubelift"),
    (php(labels={"team": "a b"}), "app 'shop': labels.team: 'a b' is not a valid label value"),
    (php(annotations={"note": 3}), "app 'shop': annotations.note: annotation values must be strings"),
    (php(pre_stop_sleep=40), "app 'shop': pre_stop_sleep: must be shorter than termination_grace_period_seconds (30)"),
    (php(network_policy={"allow_cidrs": ["10.0.0.0"]}), "app 'shop': network_policy.allow_cidrs[0]: '10.0.0.0' is not a CIDR"),
    (php(code={"copy_command": ["true"]}, pattern="python", python={"app": "a:b"}), "app 'shop': code.copy_command: needs code.image"),
    (container(code={"image": "code:1"}), "app 'worker': code.path: is required with code.image for the container pattern"),
    (php(image_pull_secrets=["Bad_Secret"]), "app 'shop': image_pull_secrets: 'Bad_Secret' is not a DNS-1123 subdomain"),
    ("shop", "apps[0]: must be a dict, got a string"),
]


@pytest.mark.parametrize("spec,expected", INVALID, ids=[e[1][:70] for e in INVALID])
def test_validation_names_app_and_field(spec, expected):
    errors = am.validate_apps([spec])
    assert any(expected in error for error in errors), errors


def test_valid_specs_have_no_errors():
    specs = [php(), python(), static(), container(), php(name="blog", split=True),
             python(name="api2", nginx={"enabled": True}), container(name="web", port=8000)]
    assert am.validate_apps(specs) == []


def test_all_errors_are_reported_at_once():
    errors = am.validate_apps([php(replicas=-1, probes={"readiness": {"path": "x"}}), static(name="Bad")])
    assert "app 'shop': replicas: must be at least 0, got -1" in errors
    assert "app 'shop': probes.readiness.path: must start with '/'" in errors
    assert any(e.startswith("app 'Bad': name:") for e in errors)


def test_clashes_between_apps():
    errors = am.validate_apps([php(), php(), static(namespace="shop", pod_security="baseline")])
    assert "app 'shop': namespace shop already has an app of this name (apps[0])" in errors
    assert any("pod_security: baseline conflicts with app 'shop' (restricted) for namespace shop" in e for e in errors)


def test_render_raises_with_every_error():
    with pytest.raises(ValueError, match="must start with '/'"):
        am.render_app(php(probes={"readiness": {"path": "x"}}))


def test_defaults_merge_under_the_spec():
    defaults = {"nginx": {"image": "mirror.example.cn/library/nginx:1.27"}, "security": {"run_as_user": 101}}
    manifests = am.render_apps([static(), static(name="own", nginx={"image": "own/nginx:1"})], defaults=defaults)["manifests"]
    assert containers(by_kind(manifests, "Deployment", "site"))["nginx"]["image"] == "mirror.example.cn/library/nginx:1.27"
    assert containers(by_kind(manifests, "Deployment", "own"))["nginx"]["image"] == "own/nginx:1"
    assert by_kind(manifests, "Deployment", "site")["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 101


def test_string_numbers_are_accepted_like_ansible_does():
    assert am.validate_apps([php(replicas="3", split="true")]) == []


# ------------------------------------------------------------------------------------------------------
# Patterns
# ------------------------------------------------------------------------------------------------------

def test_php_nginx_one_pod():
    manifests = am.render_app(php(code={"image": "registry.example.cn/shop/code:1.4"}, nginx={"document_root": "public"}))
    assert [m["kind"] for m in manifests] == ["ConfigMap", "Service", "Deployment", "PodDisruptionBudget"]
    deployment = by_kind(manifests, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert list(containers(deployment)) == ["php", "nginx"]
    init = pod["initContainers"][0]
    assert init["image"] == "registry.example.cn/shop/code:1.4"
    assert init["command"] == ["sh", "-c", "cp -R /src/. /kubelift-code/"]
    assert {"name": "code", "emptyDir": {}} in pod["volumes"]
    php_c, nginx_c = containers(deployment)["php"], containers(deployment)["nginx"]
    assert {"name": "code", "mountPath": "/var/www/html"} in php_c["volumeMounts"]
    assert {"name": "code", "mountPath": "/var/www/html", "readOnly": True} in nginx_c["volumeMounts"]
    assert "ports" not in php_c  # php-fpm listens on 127.0.0.1 only
    assert nginx_c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    # Readiness goes through nginx to php-fpm's ping.path; php-fpm itself has no probe the kubelet cannot reach.
    assert nginx_c["readinessProbe"]["httpGet"] == {"path": "/fpm-ping", "port": 8080}
    assert nginx_c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert not any(key.endswith("Probe") for key in php_c)
    pool = config_file(manifests, am.PHP_POOL_KEY)
    assert "listen = 127.0.0.1:9000" in pool and "ping.path = /fpm-ping" in pool and "clear_env = no" in pool
    assert {"name": "config", "mountPath": "/usr/local/etc/php-fpm.d/zz-kubelift.conf",
            "subPath": am.PHP_POOL_KEY, "readOnly": True} in php_c["volumeMounts"]
    conf = config_file(manifests, am.NGINX_CONF_KEY)
    assert "server 127.0.0.1:9000;" in conf
    assert "listen 8080;" in conf and "root /var/www/html/public;" in conf
    assert "location = /healthz {" in conf and "location = /fpm-ping {" in conf
    assert "pid /tmp/nginx.pid;" in conf
    assert {"name": "tmp-nginx", "mountPath": "/tmp"} in nginx_c["volumeMounts"]
    assert nginx_c["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]
    # php-fpm must still answer the requests nginx finishes after its sleep (else 502 during a rollout).
    assert php_c["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "10"]


@pytest.mark.parametrize("spec, container, seconds", [
    (php(), "nginx", 5),
    (php(), "php", 10),
    (php(pre_stop_sleep=8, termination_grace_period_seconds=10), "php", 9),
    (php(pre_stop_sleep=0), "php", 0),
    (php(pre_stop_sleep=0), "nginx", 0),
    (php(split=True), "php", 5),
    (php(split=True), "nginx", 5),
    (python(), "app", 5),
    (python(nginx={"enabled": True}), "app", 10),
    (static(), "nginx", 5),
    (container(), "app", 5),
])
def test_pre_stop_seconds(spec, container, seconds):
    normalized, errors = am.normalize_app(spec)
    assert errors == []
    assert am.pre_stop_seconds(normalized, container) == seconds


def test_php_nginx_split_pods_sleep_before_stopping():
    deployments = {d["metadata"]["name"]: d for d in am.render_app(php(split=True)) if d["kind"] == "Deployment"}
    for name, container in (("shop-php", "php"), ("shop", "nginx")):
        assert containers(deployments[name])[container]["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]


def test_php_nginx_without_code_image_copies_from_the_php_image():
    pod = by_kind(am.render_app(php()), "Deployment")["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["image"] == "registry.example.cn/shop/php:8.3-fpm"
    assert pod["initContainers"][0]["command"][-1] == "cp -R /var/www/html/. /kubelift-code/"


def test_php_nginx_split():
    manifests = am.render_app(php(split=True, php={"port": 9001}))
    web, fpm = by_kind(manifests, "Deployment", "shop"), by_kind(manifests, "Deployment", "shop-php")
    assert list(containers(web)) == ["nginx"] and list(containers(fpm)) == ["php"]
    assert web["spec"]["selector"]["matchLabels"][am.COMPONENT_LABEL] == "web"
    assert fpm["spec"]["selector"]["matchLabels"][am.COMPONENT_LABEL] == "php"
    service = by_kind(manifests, "Service", "shop-php")
    assert service["spec"]["ports"][0]["port"] == 9001
    assert service["spec"]["selector"] == fpm["spec"]["selector"]["matchLabels"]
    assert "server shop-php.shop.svc:9001;" in config_file(manifests, am.NGINX_CONF_KEY)
    assert "listen = 9001\n" in config_file(manifests, am.PHP_POOL_KEY)
    php_c = containers(fpm)["php"]
    assert php_c["readinessProbe"]["tcpSocket"] == {"port": 9001}
    assert php_c["startupProbe"]["tcpSocket"] == {"port": 9001}
    assert containers(web)["nginx"]["readinessProbe"]["httpGet"]["path"] == "/healthz"
    # Both pods get the code: php-fpm runs it, nginx serves the static files (try_files needs them).
    assert web["spec"]["template"]["spec"]["initContainers"] and fpm["spec"]["template"]["spec"]["initContainers"]
    assert len(by_kind(manifests, "PodDisruptionBudget")) == 2
    assert am.render_apps([php(split=True)])["apps"][0]["deployments"] == ["shop-php", "shop"]


@pytest.mark.parametrize("server,expected", [
    ("gunicorn", ["gunicorn", "--bind", "0.0.0.0:8080", "--workers", "3", "--access-logfile", "-",
                  "--error-logfile", "-", "api.wsgi:application"]),
    ("uvicorn", ["uvicorn", "--host", "0.0.0.0", "--port", "8080", "--workers", "3", "api.wsgi:application"]),
])
def test_python_servers(server, expected):
    manifests = am.render_app(python(python={"app": "api.wsgi:application", "server": server, "workers": 3}))
    app = containers(by_kind(manifests, "Deployment"))["app"]
    assert app["command"] == expected
    assert app["ports"][0]["containerPort"] == 8080
    assert app["readinessProbe"]["tcpSocket"] == {"port": 8080}
    assert {"name": "PYTHONUNBUFFERED", "value": "1"} in app["env"]
    assert not any(m["kind"] == "ConfigMap" for m in manifests)


def test_python_behind_nginx():
    manifests = am.render_app(python(nginx={"enabled": True}, code={"image": "registry.example.cn/api-code:1"}))
    deployment = by_kind(manifests, "Deployment")
    app, nginx = containers(deployment)["app"], containers(deployment)["nginx"]
    assert app["command"][:3] == ["gunicorn", "--bind", "0.0.0.0:8000"]
    assert app["workingDir"] == "/app"
    assert nginx["ports"][0]["containerPort"] == 8080
    conf = config_file(manifests, am.NGINX_CONF_KEY)
    assert "server 127.0.0.1:8000;" in conf and "proxy_pass http://app;" in conf
    # The server outlives nginx's drain: both stop in parallel once their preStop sleeps end.
    assert nginx["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]
    assert app["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "10"]


def test_static():
    manifests = am.render_app(static(nginx={"server_snippet": "location /old { return 301 /new; }"}))
    deployment = by_kind(manifests, "Deployment")
    assert list(containers(deployment)) == ["nginx"]
    conf = config_file(manifests, am.NGINX_CONF_KEY)
    assert "root /usr/share/nginx/html;" in conf and "try_files $uri $uri/ =404;" in conf
    assert "        location /old { return 301 /new; }" in conf


def test_container_without_port_has_no_service():
    manifests = am.render_app(container())
    assert [m["kind"] for m in manifests] == ["Deployment", "PodDisruptionBudget"]
    app = containers(by_kind(manifests, "Deployment"))["app"]
    assert "ports" not in app and "readinessProbe" not in app


def test_container_with_port_and_args():
    manifests = am.render_app(container(port=9090, command=["/bin/app"], args=["--serve"], replicas=1))
    app = containers(by_kind(manifests, "Deployment"))["app"]
    assert app["command"] == ["/bin/app"] and app["args"] == ["--serve"]
    assert app["readinessProbe"]["tcpSocket"] == {"port": 9090}
    assert by_kind(manifests, "Service")["spec"]["ports"][0]["targetPort"] == "http"
    assert not any(m["kind"] == "PodDisruptionBudget" for m in manifests)  # 1 replica: no budget


def test_user_files_mounts_and_nginx_override():
    manifests = am.render_app(php(
        config_files=[
            {"path": "/usr/local/etc/php/conf.d/zz-app.ini", "content": "memory_limit = 256M\n"},
            {"path": "/etc/nginx/nginx.conf", "content": "events {}\n", "containers": ["nginx"]},
        ],
        secrets={"files": [{"path": "/var/www/html/.env", "content": "KEY=1\n", "key": "dotenv"}]},
    ))
    config = by_kind(manifests, "ConfigMap")
    assert am.NGINX_CONF_KEY not in config["data"]  # the user's nginx.conf replaces the generated one
    assert config["data"]["nginx.conf"] == "events {}\n"
    secret = by_kind(manifests, "Secret")
    assert base64.b64decode(secret["data"]["dotenv"]).decode() == "KEY=1\n"
    php_c = containers(by_kind(manifests, "Deployment"))["php"]
    assert {"name": "secret", "mountPath": "/var/www/html/.env", "subPath": "dotenv", "readOnly": True} in php_c["volumeMounts"]
    volumes = by_kind(manifests, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "secret", "secret": {"secretName": secret["metadata"]["name"]}} in volumes


def test_secret_env_comes_from_the_secret():
    manifests = am.render_app(php(env={"APP_ENV": "prod", "DEBUG": False}, secrets={"env": {"DB_PASSWORD": "hunter2"}}))
    secret = by_kind(manifests, "Secret")
    assert secret["immutable"] is True and secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["env-DB_PASSWORD"]).decode() == "hunter2"
    env = containers(by_kind(manifests, "Deployment"))["php"]["env"]
    assert {"name": "DEBUG", "value": "false"} in env
    assert {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
        "name": secret["metadata"]["name"], "key": "env-DB_PASSWORD"}}} in env
    assert "hunter2" not in json.dumps([m for m in manifests if m["kind"] != "Secret"])


def test_probe_overrides():
    manifests = am.render_app(php(
        probes={"readiness": {"path": "/ready", "period_seconds": 7}, "liveness": False,
                "startup": {"type": "exec", "command": ["test", "-f", "/tmp/ok"]}},
        backend_probes={"liveness": {"command": ["php-fpm-healthcheck"]}},
    ))
    nginx = containers(by_kind(manifests, "Deployment"))["nginx"]
    assert nginx["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 7,
                                       "timeoutSeconds": 2, "failureThreshold": 3}
    assert "livenessProbe" not in nginx
    assert nginx["startupProbe"] == {"exec": {"command": ["test", "-f", "/tmp/ok"]}}
    assert containers(by_kind(manifests, "Deployment"))["php"]["livenessProbe"] == {"exec": {"command": ["php-fpm-healthcheck"]}}


def test_rollout_settings():
    deployment = by_kind(am.render_app(php(rollout={
        "max_surge": 1, "max_unavailable": "25%", "min_ready_seconds": 10, "revision_history_limit": 3,
        "progress_deadline_seconds": 120})), "Deployment")
    spec = deployment["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}
    assert (spec["minReadySeconds"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 3, 120)
    recreate = by_kind(am.render_app(php(rollout={"strategy": "Recreate"})), "Deployment")
    assert recreate["spec"]["strategy"] == {"type": "Recreate"}


def test_exposure():
    manifests = am.render_app(php(
        service={"type": "NodePort", "port": 8081, "node_port": 30080, "annotations": {"a": "b"}},
        ingress={"host": "shop.example.com", "class_name": "nginx", "tls_secret": "shop-tls", "paths": ["/", "/api"]},
        http_route={"parent_refs": [{"name": "gw", "namespace": "infra"}], "hostnames": ["shop.example.com"]},
        route={"host": "shop.apps.example.com", "tls_termination": "edge"},
    ))
    service = by_kind(manifests, "Service")
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["ports"] == [{"name": "http", "port": 8081, "targetPort": "http", "protocol": "TCP", "nodePort": 30080}]
    ingress = by_kind(manifests, "Ingress")["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    assert [p["path"] for p in ingress["rules"][0]["http"]["paths"]] == ["/", "/api"]
    assert ingress["rules"][0]["http"]["paths"][0]["backend"] == {"service": {"name": "shop", "port": {"number": 8081}}}
    route = by_kind(manifests, "HTTPRoute")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "shop", "port": 8081}]
    openshift = by_kind(manifests, "Route")["spec"]
    assert openshift["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    assert openshift["to"] == {"kind": "Service", "name": "shop", "weight": 100}


def test_placement():
    pod = by_kind(am.render_app(php(
        node_selector={"kubernetes.io/os": "linux"},
        node_affinity={"required": {"zone": ["a", "b"]}, "preferred": {"ssd": []}},
        affinity={"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}},
        tolerations=[{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
        topology_spread_constraints=[{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                      "whenUnsatisfiable": "DoNotSchedule"}],
    )), "Deployment")["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    node = pod["affinity"]["nodeAffinity"]
    assert node["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"] == [
        {"key": "zone", "operator": "In", "values": ["a", "b"]}]
    assert node["preferredDuringSchedulingIgnoredDuringExecution"][0]["preference"]["matchExpressions"] == [
        {"key": "ssd", "operator": "Exists"}]
    assert "podAntiAffinity" in pod["affinity"]
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert pod["topologySpreadConstraints"] == [{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {am.NAME_LABEL: "shop", am.COMPONENT_LABEL: "web"}}}]
    default = by_kind(am.render_app(php()), "Deployment")["spec"]["template"]["spec"]
    assert default["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "ScheduleAnyway"
    assert "topologySpreadConstraints" not in by_kind(am.render_app(php(spread_across_nodes=False)), "Deployment")["spec"]["template"]["spec"]


def test_namespace_and_network_policy():
    rendered = am.render_apps([php(network_policy={"ingress_namespaces": ["ingress-nginx"], "allow_cidrs": ["10.0.0.0/8"]}),
                               static(namespace="shop"), container(create_namespace=False, pod_security="baseline",
                                                                   security={"run_as_non_root": False})])
    assert [n["metadata"]["name"] for n in rendered["namespaces"]] == ["shop"]
    labels = rendered["namespaces"][0]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["kubernetes.io/metadata.name"] == "shop"
    assert rendered["manifests"][0]["kind"] == "Namespace"
    policy = by_kind(rendered["manifests"], "NetworkPolicy")["spec"]
    assert policy["ingress"] == [{"from": [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
        {"ipBlock": {"cidr": "10.0.0.0/8"}},
    ]}]
    closed = by_kind(am.render_app(php(network_policy={"allow_same_namespace": False})), "NetworkPolicy")
    assert closed["spec"]["ingress"] == []
    split = by_kind(am.render_app(php(split=True, network_policy={"allow_same_namespace": False})), "NetworkPolicy")
    assert split["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": {am.NAME_LABEL: "shop"}}}]}]


def test_security_defaults_meet_restricted_pod_security():
    for spec in (php(code={"image": "c:1"}), php(split=True), python(nginx={"enabled": True}), static(), container()):
        for deployment in [m for m in am.render_app(spec) if m["kind"] == "Deployment"]:
            pod = deployment["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] == 33
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            assert pod["automountServiceAccountToken"] is False
            for c in pod["containers"] + pod.get("initContainers", []):
                assert c["securityContext"]["allowPrivilegeEscalation"] is False
                assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_low_port_as_root_gets_net_bind_service():
    manifests = am.render_app(static(port=80, pod_security="baseline",
                                     security={"run_as_non_root": False, "run_as_user": None}))
    nginx = containers(by_kind(manifests, "Deployment"))["nginx"]
    assert nginx["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    pod_context = by_kind(manifests, "Deployment")["spec"]["template"]["spec"]["securityContext"]
    assert pod_context["runAsNonRoot"] is False and "runAsUser" not in pod_context


def test_read_only_root_filesystem_gets_tmp_everywhere():
    deployment = by_kind(am.render_app(php(security={"read_only_root_filesystem": True})), "Deployment")
    for c in deployment["spec"]["template"]["spec"]["containers"]:
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"name": "tmp-" + c["name"], "mountPath": "/tmp"} in c["volumeMounts"]


# ------------------------------------------------------------------------------------------------------
# Config checksum and content-named config objects
# ------------------------------------------------------------------------------------------------------

def _checksum_and_names(spec):
    app = am.render_apps([spec])["apps"][0]
    deployment = by_kind(app["manifests"], "Deployment")
    annotation = deployment["spec"]["template"]["metadata"]["annotations"][am.CHECKSUM_ANNOTATION]
    assert annotation == app["checksum"]
    return app["checksum"], [o["name"] for o in app["config_objects"]]


def test_checksum_changes_with_config_and_secrets_only():
    base = php(config_files=[{"path": "/etc/app.ini", "content": "a = 1\n"}], secrets={"env": {"PW": "x"}})
    checksum, names = _checksum_and_names(base)
    assert _checksum_and_names(copy.deepcopy(base)) == (checksum, names)
    assert _checksum_and_names(dict(base, replicas=5)) == (checksum, names)

    changed_config = copy.deepcopy(base)
    changed_config["config_files"][0]["content"] = "a = 2\n"
    checksum2, names2 = _checksum_and_names(changed_config)
    assert checksum2 != checksum and names2[0] != names[0] and names2[1] == names[1]

    changed_secret = copy.deepcopy(base)
    changed_secret["secrets"]["env"]["PW"] = "y"
    checksum3, names3 = _checksum_and_names(changed_secret)
    assert checksum3 != checksum and names3[0] == names[0] and names3[1] != names[1]

    # Generated files count as config: a new php.port rewrites nginx.conf and the pool file.
    assert _checksum_and_names(dict(base, php={"port": 9001}))[0] != checksum


def test_config_objects_are_immutable_and_referenced():
    manifests = am.render_app(php(secrets={"files": [{"path": "/s/key", "content": "k"}]}))
    config, secret = by_kind(manifests, "ConfigMap"), by_kind(manifests, "Secret")
    assert config["immutable"] is True and secret["immutable"] is True
    assert config["metadata"]["name"].startswith("shop-config-") and len(config["metadata"]["name"]) == len("shop-config-") + 10
    volumes = by_kind(manifests, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "config", "configMap": {"name": config["metadata"]["name"]}} in volumes


# ------------------------------------------------------------------------------------------------------
# API versions the server serves
# ------------------------------------------------------------------------------------------------------

SCALED = php(autoscaling={"max_replicas": 6, "memory_utilization": 80})


@pytest.mark.parametrize("api_versions,hpa,pdb", [
    (None, "autoscaling/v2", "policy/v1"),
    (CURRENT_WITHOUT_EXTRAS, "autoscaling/v2", "policy/v1"),
    (LAB_API_VERSIONS, "autoscaling/v2beta2", "policy/v1beta1"),
    (["v1", "apps/v1", "autoscaling/v2", "autoscaling/v2beta2", "policy/v1beta1"], "autoscaling/v2", "policy/v1beta1"),
])
def test_hpa_and_pdb_versions(api_versions, hpa, pdb):
    manifests = am.render_app(SCALED, api_versions)
    hpa_obj, pdb_obj = by_kind(manifests, "HorizontalPodAutoscaler"), by_kind(manifests, "PodDisruptionBudget")
    assert (hpa_obj["apiVersion"], pdb_obj["apiVersion"]) == (hpa, pdb)
    assert hpa_obj["spec"]["minReplicas"] == 2 and hpa_obj["spec"]["maxReplicas"] == 6
    assert [m["resource"]["name"] for m in hpa_obj["spec"]["metrics"]] == ["cpu", "memory"]
    assert "replicas" not in by_kind(manifests, "Deployment")["spec"]  # the HPA owns the count


@pytest.mark.parametrize("api_versions", [None, LAB_API_VERSIONS])
def test_hpa_scale_down_stabilization(api_versions):
    # Omitted (or null): no behavior, Kubernetes' 300 s. 0 is a value (scale down at once), not "omitted".
    for scaling in ({"max_replicas": 3}, {"max_replicas": 3, "scale_down_stabilization_seconds": None}):
        assert "behavior" not in by_kind(am.render_app(php(autoscaling=scaling), api_versions), "HorizontalPodAutoscaler")["spec"]
    for seconds in (0, 15, "15", 3600):
        hpa = by_kind(am.render_app(php(autoscaling={"max_replicas": 3, "scale_down_stabilization_seconds": seconds}),
                                    api_versions), "HorizontalPodAutoscaler")
        assert hpa["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": int(seconds)}}
    # Split: both Deployments' HPAs get it.
    split = am.render_app(php(split=True, autoscaling={"max_replicas": 3, "scale_down_stabilization_seconds": 15}), api_versions)
    hpas = by_kind(split, "HorizontalPodAutoscaler")
    assert sorted(h["spec"]["scaleTargetRef"]["name"] for h in hpas) == ["shop", "shop-php"]
    assert all(h["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 15 for h in hpas)


def test_missing_apis_are_errors():
    old = ["v1", "apps/v1"]
    errors = am.validate_apps([php(autoscaling={"max_replicas": 3}, ingress={}, http_route={"parent_refs": [{"name": "gw"}]},
                                   route={})], old)
    assert "app 'shop': autoscaling: the cluster serves neither autoscaling/v2 nor autoscaling/v2beta2" in errors
    assert "app 'shop': pdb: the cluster serves neither policy/v1 nor policy/v1beta1" not in errors  # default pdb
    assert any("ingress: the cluster does not serve networking.k8s.io/v1" in e for e in errors)
    assert any("http_route: the cluster does not serve gateway.networking.k8s.io" in e for e in errors)
    assert any("route: the cluster does not serve route.openshift.io/v1 (OpenShift only)" in e for e in errors)
    assert "app 'shop': pdb: the cluster serves neither policy/v1 nor policy/v1beta1" in am.validate_apps([php(pdb={"min_available": 1})], old)


def test_gateway_v1beta1_fallback():
    manifests = am.render_app(php(http_route={"parent_refs": [{"name": "gw"}]}),
                              CURRENT_WITHOUT_EXTRAS + ["gateway.networking.k8s.io/v1beta1"])
    assert by_kind(manifests, "HTTPRoute")["apiVersion"] == "gateway.networking.k8s.io/v1beta1"


def test_served_api_versions_flattens_cluster_info():
    apis = {"v1": {"Pod": {}}, "autoscaling/v2": {}, "apps/v1": {}}
    assert am.served_api_versions(apis) == ["apps/v1", "autoscaling/v2", "v1"]
    assert am.served_api_versions(["v1"]) == ["v1"]


# ------------------------------------------------------------------------------------------------------
# Strict schema validation of everything rendered, Kubernetes 1.33-1.37
# ------------------------------------------------------------------------------------------------------

FULL_APPS = [
    php(name="shop", code={"image": "registry.example.cn/shop/code:1"}, nginx={"document_root": "public"},
        config_files=[{"path": "/usr/local/etc/php/conf.d/zz-app.ini", "content": "memory_limit = 256M\n"}],
        secrets={"env": {"DB_PASSWORD": "x"}, "files": [{"path": "/var/www/html/.env", "content": "A=1\n", "key": "env"}]},
        env={"APP_ENV": "prod"}, autoscaling={"max_replicas": 5, "memory_utilization": 80, "scale_down_stabilization_seconds": 120},
        ingress={"host": "shop.example.com", "class_name": "nginx", "tls_secret": "shop-tls", "annotations": {"a": "b"}},
        network_policy={"ingress_namespaces": ["ingress-nginx"], "allow_cidrs": ["192.168.0.0/16"]},
        node_affinity={"required": {"kubernetes.io/arch": ["amd64"]}, "preferred": {"ssd": []}},
        tolerations=[{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        probes={"startup": {"path": "/healthz", "failure_threshold": 30}},
        backend_probes={"liveness": {"command": ["php", "-v"]}},
        image_pull_secrets=["regcred"], service_account_name="shop", labels={"team": "web"},
        annotations={"example.com/owner": "web"}, pdb={"min_available": "50%"},
        security={"read_only_root_filesystem": True}),
    php(name="blog", split=True, replicas=3, service={"type": "NodePort", "node_port": 30080},
        autoscaling={"max_replicas": 6, "scale_down_stabilization_seconds": 0},
        http_route={"parent_refs": [{"name": "gw", "namespace": "infra", "sectionName": "https"}], "hostnames": ["blog.example.com"]},
        rollout={"strategy": "Recreate"}),
    python(name="api", nginx={"enabled": True}, code={"image": "registry.example.cn/api-code:1"},
           route={"host": "api.example.com", "tls_termination": "edge"},
           resources={"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
           topology_spread_constraints=[{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                         "whenUnsatisfiable": "DoNotSchedule"}]),
    python(name="ws", namespace="api", python={"app": "main:app", "server": "uvicorn"}, service={"type": "LoadBalancer"}),
    static(name="site", ingress={"paths": ["/"], "path_type": "Exact"}, pdb=False, replicas=1),
    container(name="worker", namespace="jobs", pod_security="baseline", security={"run_as_non_root": False, "run_as_user": None}),
    container(name="gateway", port=9090, replicas=1, command=["/gw"], probes={"liveness": {"port": 9090}}),
]
FULL_RENDER = am.render_apps(FULL_APPS)["manifests"]
# HTTPRoute (Gateway API) and Route (OpenShift) are CRDs, absent from kubernetes-validate's schemas: they are
# checked by _check_crd below instead.
CRD_KINDS = {"HTTPRoute", "Route"}


def test_every_kind_is_rendered():
    kinds = {m["kind"] for m in FULL_RENDER}
    # The optional HPA behavior (scale_down_stabilization_seconds, 0 included) is in what the schemas check.
    windows = {m["metadata"]["name"]: m["spec"].get("behavior", {}).get("scaleDown", {}).get("stabilizationWindowSeconds")
               for m in FULL_RENDER if m["kind"] == "HorizontalPodAutoscaler"}
    assert windows == {"shop": 120, "blog": 0, "blog-php": 0}
    assert kinds == {"Namespace", "ConfigMap", "Secret", "Service", "Deployment", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget", "NetworkPolicy", "Ingress", "HTTPRoute", "Route"}


def _id(manifest):
    return "%s/%s" % (manifest["kind"], manifest["metadata"]["name"])


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
@pytest.mark.parametrize("manifest", [m for m in FULL_RENDER if m["kind"] not in CRD_KINDS], ids=_id)
def test_strict_schema(manifest, version):
    assert kubernetes_validate.validate(manifest, version, strict=True) == version


def test_strict_validation_rejects_unknown_fields():
    # The schema check above must be able to fail: a misspelt field is an error in strict mode.
    deployment = copy.deepcopy(by_kind(FULL_RENDER, "Deployment", "shop"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readynessProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.35", strict=True)


def _check_crd(manifest):
    """Structure of the two CRD kinds, after their published schemas (Gateway API v1 HTTPRoute,
    OpenShift route.openshift.io/v1 Route): required fields and their types, nothing unknown."""
    assert set(manifest) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(manifest["metadata"]) <= {"name", "namespace", "labels", "annotations"}
    spec = manifest["spec"]
    if manifest["kind"] == "HTTPRoute":
        assert set(spec) <= {"parentRefs", "hostnames", "rules"}
        for ref in spec["parentRefs"]:
            assert set(ref) <= {"group", "kind", "namespace", "name", "sectionName", "port"} and ref["name"]
        for rule in spec["rules"]:
            assert set(rule) <= {"matches", "backendRefs", "filters", "timeouts"}
            for match in rule["matches"]:
                assert match["path"]["type"] in ("Exact", "PathPrefix", "RegularExpression")
                assert match["path"]["value"].startswith("/")
            for backend in rule["backendRefs"]:
                assert set(backend) <= {"group", "kind", "name", "namespace", "port", "weight"}
                assert isinstance(backend["port"], int)
    else:
        assert set(spec) <= {"host", "path", "to", "port", "tls", "wildcardPolicy", "alternateBackends"}
        assert spec["to"]["kind"] == "Service" and spec["to"]["name"]
        assert set(spec.get("tls", {})) <= {"termination", "insecureEdgeTerminationPolicy", "certificate", "key",
                                            "caCertificate", "destinationCACertificate"}
        assert spec.get("tls", {}).get("termination", "edge") in ("edge", "passthrough", "reencrypt")
        assert spec["wildcardPolicy"] in ("None", "Subdomain")


@pytest.mark.parametrize("manifest", [m for m in FULL_RENDER if m["kind"] in CRD_KINDS], ids=_id)
def test_crd_structure(manifest):
    _check_crd(manifest)


def test_lab_api_objects():
    """A 1.20 cluster gets autoscaling/v2beta2 and policy/v1beta1. kubernetes-validate has no 1.20 schemas:
    the v2beta2 HPA is checked against the 1.25 schemas (the last release that served it), and the v1beta1
    PDB spec must equal the policy/v1 one validated above (the two versions share these fields)."""
    lab = am.render_apps(FULL_APPS[:1], LAB_API_VERSIONS)["manifests"]
    hpa = by_kind(lab, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2beta2"
    assert hpa["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 120}}
    assert kubernetes_validate.validate(hpa, "1.25", strict=True) == "1.25"
    pdb = by_kind(lab, "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1beta1"
    assert pdb["spec"] == by_kind(FULL_RENDER, "PodDisruptionBudget", "shop")["spec"]


# ------------------------------------------------------------------------------------------------------
# The module
# ------------------------------------------------------------------------------------------------------

def _run_module(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def test_module_renders(capsys):
    result = _run_module({"apps": [php(secrets={"env": {"PW": "x"}}), static()], "api_versions": LAB_API_VERSIONS}, capsys)
    assert result["changed"] is False
    assert [m["kind"] for m in result["manifests"]][:2] == ["Namespace", "Namespace"]
    assert [a["name"] for a in result["apps"]] == ["shop", "site"]
    assert set(result["checksums"]) == {"shop", "site"}
    assert result["apps"][0]["deployments"] == ["shop"]


def test_module_validate_only_returns_no_secret_data(capsys):
    result = _run_module({"apps": [php(secrets={"env": {"PW": "topsecret-value"}})], "validate_only": True}, capsys)
    assert "manifests" not in result and "manifests" not in result["apps"][0]
    assert "topsecret" not in json.dumps(result) and base64.b64encode(b"topsecret-value").decode() not in json.dumps(result)


def test_module_render_does_not_mask_manifests(capsys):
    # A secret that equals other text must not garble the manifests (masking is for validate_only).
    result = _run_module({"apps": [php(secrets={"env": {"PW": "shop"}})]}, capsys)
    assert by_kind(result["manifests"], "Deployment")["metadata"]["name"] == "shop"


def test_module_fails_with_every_error(capsys):
    result = _run_module({"apps": [php(probes={"readiness": {"path": "x"}}), static(name="Bad")]}, capsys)
    assert result["failed"] is True
    assert "app 'shop': probes.readiness.path: must start with '/'" in result["errors"]
    assert any(e.startswith("app 'Bad': name:") for e in result["errors"])
    assert result["msg"].startswith("%d problem(s) in the app specs" % len(result["errors"]))


def test_module_defaults(capsys):
    result = _run_module({"apps": [static()], "defaults": {"nginx": {"image": "mirror/nginx:1"}}}, capsys)
    assert containers(by_kind(result["manifests"], "Deployment"))["nginx"]["image"] == "mirror/nginx:1"


# ------------------------------------------------------------------------------------------------------
# The role documents exactly the spec the code implements
# ------------------------------------------------------------------------------------------------------

def _compare_spec(options, schema, path):
    assert set(options) == set(schema), f"{path}: argument_specs {sorted(options)} vs schema {sorted(schema)}"
    for key, field in schema.items():
        option = options[key]
        where = f"{path}.{key}"
        assert option.get("description"), f"{where}: no description"
        assert option["type"] == field["type"], f"{where}: type {option['type']} vs {field['type']}"
        assert option.get("default") == field["default"], f"{where}: default {option.get('default')!r} vs {field['default']!r}"
        assert option.get("choices") == field.get("choices"), f"{where}: choices"
        assert bool(option.get("required")) == bool(field.get("required")), f"{where}: required"
        elements = field.get("elements")
        if isinstance(elements, dict):
            assert option.get("elements") == "dict", where
            _compare_spec(option["options"], elements, where)
        else:
            assert option.get("elements") == elements, f"{where}: elements"
        if "fields" in field:
            _compare_spec(option["options"], field["fields"], where)
        else:
            assert "options" not in option or isinstance(elements, dict), f"{where}: options without fields"


def test_role_argument_specs_match_the_schema():
    specs = yaml.safe_load((ROOT / "roles/app/meta/argument_specs.yml").read_text())
    apps = specs["argument_specs"]["main"]["options"]["app_apps"]
    assert apps["type"] == "list" and apps["elements"] == "dict"
    _compare_spec(apps["options"], am.APP_SCHEMA, "app_apps")


def test_role_nginx_default_matches():
    defaults = yaml.safe_load((ROOT / "roles/app/defaults/main.yml").read_text())
    assert defaults["app_nginx_image"] == am.DEFAULT_NGINX_IMAGE


def test_changed_objects_pairs_definitions_and_results():
    definitions = [{"kind": "ConfigMap", "metadata": {"name": "a"}}, {"kind": "Deployment", "metadata": {"name": "b"}}]
    several = {"changed": True, "result": {"results": [{"changed": False}, {"changed": True}]}}
    assert am.changed_objects(definitions, several) == [{"kind": "Deployment", "name": "b"}]
    one = {"changed": True, "result": {"kind": "ConfigMap"}, "method": "apply"}
    assert am.changed_objects(definitions[:1], one) == [{"kind": "ConfigMap", "name": "a"}]
    assert am.changed_objects(definitions, {"skipped": True}) == []


_CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
_KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkP\n-----END EC PRIVATE KEY-----\n"


def _tls_app(**ingress):
    base = {"host": "web.example.com", "tls_cert_file": "certs/web.crt", "tls_key_file": "certs/web.key"}
    base.update(ingress)
    return {"name": "web", "pattern": "container", "image": "nginx:1", "port": 8080, "ingress": base}


def test_tls_files_lists_each_path_once():
    apps = [_tls_app(), dict(_tls_app(), name="other"), {"name": "plain", "pattern": "container", "image": "a:1"}]
    assert am.tls_files(apps) == ["certs/web.crt", "certs/web.key"]
    assert am.tls_files("not a list") == []


def test_tls_secret_is_made_from_the_files():
    files = {"certs/web.crt": _CERT, "certs/web.key": _KEY}
    manifests = am.render_apps([_tls_app()], files=files)["manifests"]
    secret = next(m for m in manifests if m["kind"] == "Secret")
    assert secret["type"] == "kubernetes.io/tls" and secret["metadata"]["name"] == "web-tls"
    assert "immutable" not in secret
    assert secret["metadata"]["labels"]["app.kubernetes.io/component"] == "tls"
    assert base64.b64decode(secret["data"]["tls.key"]).decode() == _KEY
    ingress = next(m for m in manifests if m["kind"] == "Ingress")
    assert ingress["spec"]["tls"] == [{"hosts": ["web.example.com"], "secretName": "web-tls"}]
    named = am.render_apps([_tls_app(tls_secret="wildcard")], files=files)["manifests"]
    assert {m["metadata"]["name"] for m in named if m["kind"] == "Secret"} == {"wildcard"}


def test_tls_file_problems_name_the_field_and_the_fix():
    errors = am.validate_apps([_tls_app()], files={"certs/web.crt": "not pem", "certs/web.key": None})
    assert errors == [
        "app 'web': ingress.tls_cert_file: certs/web.crt does not hold a PEM certificate (-----BEGIN ...----- block)",
        "app 'web': ingress.tls_key_file: certs/web.key does not exist or cannot be read on the Ansible controller;"
        " give the path of a PEM private key file",
    ]
    assert am.validate_apps([_tls_app(tls_key_file="")], files={}) == [
        "app 'web': ingress.tls_cert_file, ingress.tls_key_file: give both (the certificate chain and its key) or neither"]
    # Without files (pure spec validation) the paths are not checked; rendering needs them.
    assert am.validate_apps([_tls_app()]) == []
    with pytest.raises(ValueError, match="does not exist"):
        am.render_apps([_tls_app()])
