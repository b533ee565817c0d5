# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn a short application spec (a legacy PHP+Nginx, Python, static or container service) into
Kubernetes manifests.

Pure functions only: no cluster access, no Ansible imports. ``validate_app`` returns every problem of a
spec as ``app '<name>': <field>: <problem>`` strings; ``render_app`` returns the manifests (plain dicts)
of one valid spec; ``render_apps`` renders a list of specs, namespaces first. The API versions a cluster
serves (``api_versions``, e.g. ``["v1", "apps/v1", "autoscaling/v2", ...]``) pick the HPA, PDB,
Gateway API and OpenShift Route versions; ``None`` means a current cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import hashlib
import json
import posixpath
import re
import shlex

PATTERNS = ("php-nginx", "python", "static", "container")
MANAGED_BY = "kubelift"
CHECKSUM_ANNOTATION = "kubelift.io/config-checksum"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_LABEL = "app.kubernetes.io/managed-by"
CODE_MOUNT = "/kubelift-code"
NGINX_CONF_PATH = "/etc/nginx/nginx.conf"
NGINX_CONF_KEY = "kubelift-nginx.conf"
PHP_POOL_KEY = "kubelift-php-fpm-pool.conf"
PHP_POOL_FILE = "zz-kubelift.conf"
DEFAULT_NGINX_IMAGE = "docker.io/library/nginx:1.27"

# What a cluster without api_versions is assumed to serve (any supported release, 1.34+).
CURRENT_API_VERSIONS = (
    "v1",
    "apps/v1",
    "autoscaling/v2",
    "policy/v1",
    "networking.k8s.io/v1",
    "gateway.networking.k8s.io/v1",
    "route.openshift.io/v1",
)
# Preference order when the server serves several versions of a group.
_HPA_VERSIONS = ("autoscaling/v2", "autoscaling/v2beta2")
_PDB_VERSIONS = ("policy/v1", "policy/v1beta1")
_GATEWAY_VERSIONS = ("gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1")
_ROUTE_VERSION = "route.openshift.io/v1"
_INGRESS_VERSION = "networking.k8s.io/v1"

_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_WILDCARD_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_PERCENT = re.compile(r"^[0-9]+%$")
_NGINX_SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")
_SAFE_PATH = re.compile(r"^/[^\s;{}'\"\\$]*$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
# Longest app name: "<name>-config-<10 hex>" and "<name>-php" must stay valid names with room for the
# ReplicaSet and pod suffixes the controllers add.
MAX_NAME_LENGTH = 40


def _field(type_, default=None, choices=None, required=False, fields=None, elements=None, nullable=False):
    """One entry of the spec schema (mirrored, with descriptions, in roles/app/meta/argument_specs.yml).
    ``nullable``: an explicit null is a value (not "use the default")."""
    field = {"type": type_, "default": default}
    if nullable:
        field["nullable"] = True
    if choices is not None:
        field["choices"] = list(choices)
    if required:
        field["required"] = True
    if fields is not None:
        field["fields"] = fields
    if elements is not None:
        field["elements"] = elements
    return field


_PROBES = {
    "readiness": _field("raw"),
    "liveness": _field("raw"),
    "startup": _field("raw"),
}
_FILE = {
    "path": _field("str", required=True),
    "content": _field("str", required=True),
    "containers": _field("list", [], elements="str"),
    "key": _field("str", ""),
}

# The app spec. Types: str, int, bool, list, dict (with "fields": a sub-spec; without: free-form), raw.
APP_SCHEMA = {
    "name": _field("str", required=True),
    "namespace": _field("str", ""),
    "pattern": _field("str", required=True, choices=PATTERNS),
    "split": _field("bool", False),
    "replicas": _field("int", 2),
    "image": _field("str", ""),
    "image_pull_policy": _field("str", "IfNotPresent", choices=("Always", "IfNotPresent", "Never")),
    "image_pull_secrets": _field("list", [], elements="str"),
    "command": _field("list", [], elements="str"),
    "args": _field("list", [], elements="str"),
    "port": _field("int", 0),
    "env": _field("dict", {}),
    "resources": _field("dict", {}),
    "code": _field("dict", {}, fields={
        "image": _field("str", ""),
        "source": _field("str", ""),
        "path": _field("str", ""),
        "copy_command": _field("list", [], elements="str"),
    }),
    "php": _field("dict", {}, fields={
        "port": _field("int", 9000),
        "pool_dir": _field("str", "/usr/local/etc/php-fpm.d"),
        "pool_config": _field("str", ""),
        "ping_path": _field("str", "/fpm-ping"),
    }),
    "python": _field("dict", {}, fields={
        "server": _field("str", "gunicorn", choices=("gunicorn", "uvicorn")),
        "app": _field("str", ""),
        "port": _field("int", 8000),
        "workers": _field("int", 2),
        "extra_args": _field("list", [], elements="str"),
    }),
    "nginx": _field("dict", {}, fields={
        "enabled": _field("bool", False),
        "image": _field("str", DEFAULT_NGINX_IMAGE),
        "config": _field("str", ""),
        "server_snippet": _field("str", ""),
        "client_max_body_size": _field("str", "16m"),
        "document_root": _field("str", ""),
        "resources": _field("dict", {}),
    }),
    "config_files": _field("list", [], elements=_FILE),
    "secrets": _field("dict", {}, fields={
        "env": _field("dict", {}),
        "files": _field("list", [], elements=_FILE),
    }),
    "probes": _field("dict", {}, fields=copy.deepcopy(_PROBES)),
    "backend_probes": _field("dict", {}, fields=copy.deepcopy(_PROBES)),
    "rollout": _field("dict", {}, fields={
        "strategy": _field("str", "RollingUpdate", choices=("RollingUpdate", "Recreate")),
        "max_surge": _field("raw", "25%"),
        "max_unavailable": _field("raw", 0),
        "min_ready_seconds": _field("int", 5),
        "revision_history_limit": _field("int", 5),
        "progress_deadline_seconds": _field("int", 300),
    }),
    "service": _field("dict", {}, fields={
        "enabled": _field("bool", True),
        "type": _field("str", "ClusterIP", choices=("ClusterIP", "NodePort", "LoadBalancer")),
        "port": _field("int", 80),
        "node_port": _field("int", 0),
        "annotations": _field("dict", {}),
    }),
    "ingress": _field("dict", None, fields={
        "host": _field("str", ""),
        "class_name": _field("str", ""),
        "paths": _field("list", ["/"], elements="str"),
        "path_type": _field("str", "Prefix", choices=("Prefix", "Exact", "ImplementationSpecific")),
        "tls_secret": _field("str", ""),
        "tls_cert_file": _field("str", ""),
        "tls_key_file": _field("str", ""),
        "annotations": _field("dict", {}),
    }),
    "http_route": _field("dict", None, fields={
        "parent_refs": _field("list", [], elements="dict"),
        "hostnames": _field("list", [], elements="str"),
        "paths": _field("list", ["/"], elements="str"),
    }),
    "route": _field("dict", None, fields={
        "host": _field("str", ""),
        "path": _field("str", ""),
        "tls_termination": _field("str", "", choices=("", "edge", "passthrough", "reencrypt")),
        "insecure_edge_termination": _field("str", "Redirect", choices=("None", "Allow", "Redirect")),
    }),
    "autoscaling": _field("dict", None, fields={
        "min_replicas": _field("int", 0),
        "max_replicas": _field("int", 0),
        "cpu_utilization": _field("int", 75),
        "memory_utilization": _field("int", 0),
        "scale_down_stabilization_seconds": _field("int", None),
    }),
    "pdb": _field("raw"),
    "node_selector": _field("dict", {}),
    "node_affinity": _field("dict", {}, fields={
        "required": _field("dict", {}),
        "preferred": _field("dict", {}),
    }),
    "affinity": _field("dict", {}),
    "tolerations": _field("list", [], elements="dict"),
    "topology_spread_constraints": _field("list", [], elements="dict"),
    "spread_across_nodes": _field("bool", True),
    "create_namespace": _field("bool", True),
    "pod_security": _field("str", "restricted", choices=("restricted", "baseline", "privileged")),
    "network_policy": _field("dict", None, fields={
        "ingress_namespaces": _field("list", [], elements="str"),
        "allow_cidrs": _field("list", [], elements="str"),
        "allow_same_namespace": _field("bool", True),
    }),
    "security": _field("dict", {}, fields={
        "run_as_non_root": _field("bool", True),
        "run_as_user": _field("int", 33, nullable=True),
        "run_as_group": _field("int", 33, nullable=True),
        "fs_group": _field("int", 33, nullable=True),
        "read_only_root_filesystem": _field("bool", False),
        "seccomp_profile": _field("str", "RuntimeDefault", choices=("RuntimeDefault", "Unconfined", "")),
    }),
    "labels": _field("dict", {}),
    "annotations": _field("dict", {}),
    "service_account_name": _field("str", ""),
    "automount_service_account_token": _field("bool", False),
    "termination_grace_period_seconds": _field("int", 30),
    "pre_stop_sleep": _field("int", 5),
}

_APP_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}}
_NGINX_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}}
_INIT_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}}
# Extra preStop seconds of a backend that shares its pod with nginx (php-fpm, the python server): it must still
# answer while nginx finishes the requests it accepted before its own preStop sleep ended.
_BACKEND_DRAIN_SECONDS = 5
_PROBE_KEYS = {
    "type", "path", "port", "command", "scheme", "initial_delay_seconds", "period_seconds",
    "timeout_seconds", "failure_threshold", "success_threshold",
}
_PROBE_TIMING = (
    ("initial_delay_seconds", "initialDelaySeconds", 0),
    ("period_seconds", "periodSeconds", 1),
    ("timeout_seconds", "timeoutSeconds", 1),
    ("failure_threshold", "failureThreshold", 1),
    ("success_threshold", "successThreshold", 1),
)
_TOLERATION_KEYS = {"key", "operator", "value", "effect", "tolerationSeconds"}
_SPREAD_KEYS = {
    "maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains", "matchLabelKeys",
    "nodeAffinityPolicy", "nodeTaintsPolicy",
}
_PARENT_REF_KEYS = {"group", "kind", "namespace", "name", "sectionName", "port"}


# ---------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------

def deep_merge(base, override):
    """Return ``base`` updated recursively with ``override`` (dicts merge, anything else replaces)."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _sha256(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _label(spec, fallback=None):
    name = spec.get("name") if isinstance(spec, dict) else None
    if isinstance(name, str) and name:
        return "app '%s'" % name
    return fallback or "app (without a name)"


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _type_name(value):
    return {dict: "a dict", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)


def _data_key(path):
    return posixpath.basename(path.rstrip("/"))


def secret_values(specs):
    """Every secret value in app specs (secrets.env values, secrets.files contents), for output masking."""
    values = set()
    for spec in specs if isinstance(specs, list) else []:
        secrets = spec.get("secrets") if isinstance(spec, dict) else None
        if not isinstance(secrets, dict):
            continue
        env = secrets.get("env")
        if isinstance(env, dict):
            values.update(_env_value(value) for value in env.values() if value not in (None, ""))
        files = secrets.get("files")
        for item in files if isinstance(files, list) else []:
            if isinstance(item, dict) and isinstance(item.get("content"), str) and item["content"]:
                values.add(item["content"])
    return sorted(values)


def served(api_versions, candidates):
    """First of ``candidates`` (group/version strings, in preference order) that is served, or None."""
    versions = CURRENT_API_VERSIONS if api_versions is None else api_versions
    for candidate in candidates:
        if candidate in versions:
            return candidate
    return None


def served_api_versions(apis):
    """Flatten kubernetes.core.k8s_cluster_info's ``apis`` result into a sorted list of group/versions."""
    if isinstance(apis, dict):
        return sorted(str(key) for key in apis)
    return sorted(str(item) for item in apis or [])


# ---------------------------------------------------------------------------------------------------
# Normalisation: fill defaults, check types and unknown keys against APP_SCHEMA
# ---------------------------------------------------------------------------------------------------

def _coerce(value, field, path, errors):
    kind = field["type"]
    if kind == "raw":
        return copy.deepcopy(value)
    if kind == "int":
        if _is_int(value):
            return value
        if isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()):
            return int(value)
        errors.append("%s: must be an integer, got %s" % (path, _type_name(value)))
        return field["default"]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "false", "no"):
            return value.lower() in ("true", "yes")
        errors.append("%s: must be true or false, got %s" % (path, _type_name(value)))
        return field["default"]
    if kind == "str":
        if isinstance(value, str):
            return value
        if _is_int(value) or isinstance(value, float):
            return str(value)
        errors.append("%s: must be a string, got %s" % (path, _type_name(value)))
        return field["default"]
    if kind == "list":
        if not isinstance(value, list):
            errors.append("%s: must be a list, got %s" % (path, _type_name(value)))
            return copy.deepcopy(field["default"])
        elements = field.get("elements")
        result = []
        for index, item in enumerate(value):
            item_path = "%s[%d]" % (path, index)
            if isinstance(elements, dict):
                if not isinstance(item, dict):
                    errors.append("%s: must be a dict, got %s" % (item_path, _type_name(item)))
                    continue
                result.append(_normalize_fields(item, elements, item_path, errors))
            elif elements:
                result.append(_coerce(item, {"type": elements, "default": None}, item_path, errors))
            else:
                result.append(copy.deepcopy(item))
        return result
    if kind == "dict":
        if value is False and field["default"] is None:
            return None
        if value is False and "enabled" in field.get("fields", {}):
            value = {"enabled": False}
        if value is True and field["default"] is None:
            value = {}
        if not isinstance(value, dict):
            errors.append("%s: must be a dict, got %s" % (path, _type_name(value)))
            return copy.deepcopy(field["default"])
        if "fields" in field:
            return _normalize_fields(value, field["fields"], path, errors)
        return copy.deepcopy(value)
    raise ValueError("unknown schema type %s" % kind)


def _normalize_fields(value, fields, path, errors):
    result = {}
    prefix = path + "." if path else ""
    for key in value:
        if key not in fields:
            errors.append("%s%s: unknown field; known fields: %s" % (prefix, key, ", ".join(sorted(fields))))
    for key, field in fields.items():
        if key in value and value[key] is not None:
            result[key] = _coerce(value[key], field, prefix + key, errors)
            if "choices" in field and result[key] not in field["choices"]:
                errors.append("%s%s: must be one of %s, got %r" % (
                    prefix, key, ", ".join(repr(c) for c in field["choices"]), result[key]))
        elif key in value and field.get("nullable"):
            result[key] = None
        else:
            if field.get("required"):
                errors.append("%s%s: is required" % (prefix, key))
            default = field["default"]
            if field["type"] == "dict" and "fields" in field and default is not None:
                result[key] = _normalize_fields({}, field["fields"], prefix + key, errors)
            else:
                result[key] = copy.deepcopy(default)
    return result


def normalize_app(spec, defaults=None):
    """Return ``(normalized_spec, errors)``: ``defaults`` deep-merged under ``spec``, schema defaults
    filled in, types checked. Errors are plain field messages (without the app prefix)."""
    errors = []
    if not isinstance(spec, dict):
        return None, ["must be a dict, got %s" % _type_name(spec)]
    merged = deep_merge(defaults or {}, spec) if defaults else copy.deepcopy(spec)
    return _normalize_fields(merged, APP_SCHEMA, "", errors), errors


# ---------------------------------------------------------------------------------------------------
# Pattern facts
# ---------------------------------------------------------------------------------------------------

def _has_nginx(s):
    return s["pattern"] in ("php-nginx", "static") or (s["pattern"] == "python" and s["nginx"]["enabled"])


def _http_port(s):
    """Port the pod serves HTTP on (nginx when present, else the app), 0 for none."""
    if s["port"]:
        return s["port"]
    return 0 if s["pattern"] == "container" else 8080


def _code_path(s):
    if s["code"]["path"]:
        return s["code"]["path"]
    return {"php-nginx": "/var/www/html", "static": "/usr/share/nginx/html"}.get(s["pattern"], "/app")


def _code_copy_image(s):
    """Image the init container copies code from, or "" when there is no copy step."""
    if s["code"]["image"]:
        return s["code"]["image"]
    if s["pattern"] == "php-nginx":
        # nginx needs the files too: copy them out of the PHP image that has them baked in.
        return s["image"]
    return ""


def _code_source(s):
    if s["code"]["source"]:
        return s["code"]["source"]
    return "/src" if s["code"]["image"] else _code_path(s)


def _container_names(s, component):
    """Names of the containers of a pod (component: web, or php for split php-nginx)."""
    if component == "php":
        return ["php"]
    pattern = s["pattern"]
    if pattern == "php-nginx":
        return ["nginx"] if s["split"] else ["php", "nginx"]
    if pattern == "static":
        return ["nginx"]
    if pattern == "python":
        return ["app", "nginx"] if s["nginx"]["enabled"] else ["app"]
    return ["app"]


def _all_container_names(s):
    names = []
    for component in _components(s):
        for name in _container_names(s, component):
            if name not in names:
                names.append(name)
    return names


def _is_front(s, name):
    """The container that serves the pod's HTTP port (``probes``); the others take ``backend_probes``."""
    return name == "nginx" if _has_nginx(s) else True


def pre_stop_seconds(s, name):
    """preStop sleep of container ``name`` (0: none). The container serving the pod's port, and split php-fpm behind
    its Service, sleep ``pre_stop_sleep`` so that endpoints and ingress controllers drop the pod before it stops
    accepting. A backend in nginx's pod (one-pod php-fpm, the python server behind the sidecar) sleeps
    ``_BACKEND_DRAIN_SECONDS`` longer (within the grace period): the kubelet stops the containers of a pod in
    parallel, and a backend that stopped with nginx would fail the requests nginx still passes it (502)."""
    sleep = s["pre_stop_sleep"]
    if not sleep:
        return 0
    if name == "nginx" or not _has_nginx(s) or (name == "php" and s["split"]):
        return sleep
    return max(sleep, min(sleep + _BACKEND_DRAIN_SECONDS, s["termination_grace_period_seconds"] - 1))


def _main_container(s):
    return {"php-nginx": "php", "static": "nginx"}.get(s["pattern"], "app")


def _components(s):
    return ["php", "web"] if s["pattern"] == "php-nginx" and s["split"] else ["web"]


def _deployment_name(s, component):
    return s["name"] + "-php" if component == "php" else s["name"]


def _namespace(s):
    return s["namespace"] or s["name"]


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------

def _check_name(value, path, errors, max_length=63, pattern=_DNS1123_LABEL, what="a DNS-1123 label"):
    if not value:
        return
    if len(value) > max_length or not pattern.match(value):
        errors.append("%s: %r is not %s (lower-case letters, digits and '-', at most %d characters)" % (
            path, value, what, max_length))


def _check_quantity_map(resources, path, errors):
    if not isinstance(resources, dict):
        errors.append("%s: must be a dict with requests and/or limits" % path)
        return
    for section, values in resources.items():
        if section not in ("requests", "limits"):
            errors.append("%s.%s: unknown field; use requests and limits" % (path, section))
            continue
        if not isinstance(values, dict):
            errors.append("%s.%s: must be a dict such as {cpu: 100m, memory: 128Mi}" % (path, section))
            continue
        for resource, quantity in values.items():
            if resource not in ("cpu", "memory", "ephemeral-storage"):
                errors.append("%s.%s.%s: unknown resource; use cpu, memory or ephemeral-storage" % (path, section, resource))
            elif isinstance(quantity, bool) or not _QUANTITY.match(str(quantity)):
                errors.append("%s.%s.%s: %r is not a quantity such as 250m, 1, 128Mi or 1Gi" % (
                    path, section, resource, quantity))


def _check_port(value, path, errors, allow_zero=False):
    if allow_zero and value == 0:
        return
    if not 1 <= value <= 65535:
        errors.append("%s: %d is not a port number (1-65535)" % (path, value))


def _check_int_range(value, path, errors, minimum, maximum=None):
    if value < minimum or (maximum is not None and value > maximum):
        bound = "at least %d" % minimum if maximum is None else "between %d and %d" % (minimum, maximum)
        errors.append("%s: must be %s, got %d" % (path, bound, value))


def _check_probe(probe, path, errors, kind):
    if probe is None or probe is False:
        return
    if probe is True:
        errors.append("%s: use a dict to change the probe or false to disable it" % path)
        return
    if not isinstance(probe, dict):
        errors.append("%s: must be a dict or false, got %s" % (path, _type_name(probe)))
        return
    for key in probe:
        if key not in _PROBE_KEYS:
            errors.append("%s.%s: unknown field; known fields: %s" % (path, key, ", ".join(sorted(_PROBE_KEYS))))
    probe_type = probe.get("type")
    if probe_type is not None and probe_type not in ("http", "tcp", "exec"):
        errors.append("%s.type: must be one of 'http', 'tcp', 'exec', got %r" % (path, probe_type))
    if "path" in probe:
        if not isinstance(probe["path"], str) or not probe["path"].startswith("/"):
            errors.append("%s.path: must start with '/'" % path)
    if probe_type == "http" and "path" not in probe:
        errors.append("%s.path: is required for an http probe" % path)
    if "command" in probe:
        command = probe["command"]
        if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
            errors.append("%s.command: must be a non-empty list of strings" % path)
    if probe_type == "exec" and "command" not in probe:
        errors.append("%s.command: is required for an exec probe" % path)
    if "port" in probe:
        port = probe["port"]
        if isinstance(port, str):
            if not _DNS1123_LABEL.match(port) or len(port) > 15:
                errors.append("%s.port: %r is neither a port number nor a port name" % (path, port))
        elif not _is_int(port) or not 1 <= port <= 65535:
            errors.append("%s.port: %r is not a port number (1-65535)" % (path, port))
    if "scheme" in probe and probe["scheme"] not in ("HTTP", "HTTPS"):
        errors.append("%s.scheme: must be HTTP or HTTPS" % path)
    for key, _camel, minimum in _PROBE_TIMING:
        if key in probe:
            if not _is_int(probe[key]) or probe[key] < minimum:
                errors.append("%s.%s: must be an integer of at least %d" % (path, key, minimum))
    if kind in ("liveness", "startup") and probe.get("success_threshold", 1) != 1:
        errors.append("%s.success_threshold: must be 1 for %s probes" % (path, kind))


def _probe_type(probe):
    if probe.get("type"):
        return probe["type"]
    if "path" in probe:
        return "http"
    return "exec" if "command" in probe else "tcp"


def _check_files(files, path, errors, names, used_keys, used_mounts, main):
    for index, item in enumerate(files):
        item_path = "%s[%d]" % (path, index)
        file_path = item["path"]
        if not file_path:
            continue
        if not file_path.startswith("/") or file_path.endswith("/"):
            errors.append("%s.path: must be an absolute file path, got %r" % (item_path, file_path))
            continue
        key = item["key"] or _data_key(file_path)
        if not _DATA_KEY.match(key) or len(key) > 253:
            errors.append("%s.key: %r is not a valid key (letters, digits, '-', '_', '.'); set key: explicitly" % (
                item_path, key))
        elif key.startswith("kubelift-"):
            errors.append("%s.key: %r: keys starting with 'kubelift-' are reserved for generated files" % (item_path, key))
        elif key in used_keys:
            errors.append("%s.key: %r is already used by %s; set key: to a unique name" % (item_path, key, used_keys[key]))
        else:
            used_keys[key] = item_path
        containers = item["containers"] or [main]
        for container in containers:
            if container not in names:
                errors.append("%s.containers: %r is not a container of this pattern (%s)" % (
                    item_path, container, ", ".join(names)))
                continue
            mount = (container, file_path)
            if mount in used_mounts:
                errors.append("%s.path: %s is already mounted into container %s by %s" % (
                    item_path, file_path, container, used_mounts[mount]))
            else:
                used_mounts[mount] = item_path


def _check_env(env, path, errors):
    if not isinstance(env, dict):
        return
    for key, value in env.items():
        if not isinstance(key, str) or not _ENV_NAME.match(key):
            errors.append("%s: %r is not a valid environment variable name" % (path, key))
        if isinstance(value, (dict, list)) or value is None:
            errors.append("%s.%s: must be a string, number or boolean" % (path, key))


def _check_labels(labels, path, errors):
    for key, value in labels.items():
        if not isinstance(key, str) or not _LABEL_KEY.match(key):
            errors.append("%s: %r is not a valid label key" % (path, key))
        if isinstance(value, (dict, list, bool)) or value is None or not _LABEL_VALUE.match(str(value)):
            errors.append("%s.%s: %r is not a valid label value (63 characters: letters, digits, '-', '_', '.')" % (
                path, key, value))


def _check_annotations(annotations, path, errors):
    for key, value in annotations.items():
        if not isinstance(key, str) or not _LABEL_KEY.match(key):
            errors.append("%s: %r is not a valid annotation key" % (path, key))
        if not isinstance(value, str):
            errors.append("%s.%s: annotation values must be strings (quote them)" % (path, key))


def _int_or_percent(value, path, errors):
    if _is_int(value):
        if value < 0:
            errors.append("%s: must not be negative" % path)
        return value
    if isinstance(value, str) and _PERCENT.match(value):
        return value
    if isinstance(value, str) and re.match(r"^[0-9]+$", value):
        return int(value)
    errors.append("%s: must be an integer or a percentage such as '25%%', got %r" % (path, value))
    return None


def _is_zero(value):
    return value == 0 or value == "0%"


def _check_placement(s, errors):
    _check_labels(s["node_selector"], "node_selector", errors)
    for section in ("required", "preferred"):
        terms = s["node_affinity"][section]
        for key, values in terms.items():
            if not _LABEL_KEY.match(str(key)):
                errors.append("node_affinity.%s: %r is not a valid node label key" % (section, key))
            if not isinstance(values, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
                errors.append("node_affinity.%s.%s: must be a list of label values ([] means the label exists)" % (section, key))
    for key in s["affinity"]:
        if key not in ("nodeAffinity", "podAffinity", "podAntiAffinity"):
            errors.append("affinity.%s: unknown field; use nodeAffinity, podAffinity or podAntiAffinity" % key)
    if "nodeAffinity" in s["affinity"] and (s["node_affinity"]["required"] or s["node_affinity"]["preferred"]):
        errors.append("node_affinity: cannot be combined with affinity.nodeAffinity; use one of them")
    for index, toleration in enumerate(s["tolerations"]):
        for key in toleration:
            if key not in _TOLERATION_KEYS:
                errors.append("tolerations[%d].%s: unknown field; known fields: %s" % (
                    index, key, ", ".join(sorted(_TOLERATION_KEYS))))
        if toleration.get("operator", "Equal") not in ("Equal", "Exists"):
            errors.append("tolerations[%d].operator: must be Equal or Exists" % index)
        if toleration.get("effect", "") not in ("", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            errors.append("tolerations[%d].effect: must be NoSchedule, PreferNoSchedule or NoExecute" % index)
    for index, constraint in enumerate(s["topology_spread_constraints"]):
        for key in constraint:
            if key not in _SPREAD_KEYS:
                errors.append("topology_spread_constraints[%d].%s: unknown field; known fields: %s" % (
                    index, key, ", ".join(sorted(_SPREAD_KEYS))))
        for key in ("maxSkew", "topologyKey", "whenUnsatisfiable"):
            if key not in constraint:
                errors.append("topology_spread_constraints[%d].%s: is required" % (index, key))
        if constraint.get("whenUnsatisfiable", "DoNotSchedule") not in ("DoNotSchedule", "ScheduleAnyway"):
            errors.append("topology_spread_constraints[%d].whenUnsatisfiable: must be DoNotSchedule or ScheduleAnyway" % index)
        if "maxSkew" in constraint and (not _is_int(constraint["maxSkew"]) or constraint["maxSkew"] < 1):
            errors.append("topology_spread_constraints[%d].maxSkew: must be an integer of at least 1" % index)


# PEM blocks a TLS Secret's files must hold: a certificate (chain) and one private key.
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")
_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----[A-Za-z0-9+/=\s]+-----END \1-----")


def tls_files(specs, defaults=None):
    """Controller paths the specs name (``ingress.tls_cert_file``, ``ingress.tls_key_file``), sorted: the
    files a caller reads and passes as ``files`` to validation and rendering."""
    paths = set()
    for spec in specs if isinstance(specs, list) else []:
        s, _errors = normalize_app(spec, defaults)
        ingress = s["ingress"] if s is not None else None
        if isinstance(ingress, dict):
            paths.update(path for path in (ingress["tls_cert_file"], ingress["tls_key_file"]) if path)
    return sorted(paths)


def _check_tls_files(ingress, files, errors):
    """Both files or neither; with ``files`` (path -> content, None when unreadable) each must hold PEM."""
    cert, key = ingress["tls_cert_file"], ingress["tls_key_file"]
    if bool(cert) != bool(key):
        errors.append("ingress.tls_cert_file, ingress.tls_key_file: give both (the certificate chain and its key) or neither")
        return
    if not cert or files is None:
        return
    for field, path, pattern, what in (("tls_cert_file", cert, _PEM_CERTIFICATE, "a PEM certificate"),
                                       ("tls_key_file", key, _PEM_PRIVATE_KEY, "a PEM private key")):
        content = files.get(path)
        if content is None:
            errors.append("ingress.%s: %s does not exist or cannot be read on the Ansible controller; give the path "
                          "of %s file" % (field, path, what))
        elif not pattern.search(content):
            errors.append("ingress.%s: %s does not hold %s (-----BEGIN ...----- block)" % (field, path, what))


def _tls_secret_name(s):
    return s["ingress"]["tls_secret"] or "%s-tls" % s["name"]


def _tls_secret(s, files):
    """The kubernetes.io/tls Secret made from the controller files (mutable: a renewed certificate replaces
    the data in place and the ingress controller reloads it)."""
    ingress = s["ingress"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(s, _tls_secret_name(s), "tls"),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": _b64(files[ingress["tls_cert_file"]]), "tls.key": _b64(files[ingress["tls_key_file"]])},
    }


def _check_exposure(s, api_versions, errors, files=None):
    port = _http_port(s)
    service = s["service"]
    if service["enabled"]:
        _check_port(service["port"], "service.port", errors)
        if service["node_port"]:
            if service["type"] == "ClusterIP":
                errors.append("service.node_port: needs service.type NodePort or LoadBalancer")
            _check_port(service["node_port"], "service.node_port", errors)
        _check_annotations(service["annotations"], "service.annotations", errors)
    exposed = [key for key in ("ingress", "http_route", "route") if s[key] is not None]
    for key in exposed:
        if not service["enabled"] or not port:
            errors.append("%s: needs the app's Service (service.enabled: true and a port)" % key)
    ingress = s["ingress"]
    if ingress is not None:
        if ingress["host"] and not _WILDCARD_HOST.match(ingress["host"]):
            errors.append("ingress.host: %r is not a DNS name" % ingress["host"])
        if ingress["class_name"]:
            _check_name(ingress["class_name"], "ingress.class_name", errors, 253, _DNS1123_SUBDOMAIN, "a DNS-1123 subdomain")
        if ingress["tls_secret"]:
            _check_name(ingress["tls_secret"], "ingress.tls_secret", errors, 253, _DNS1123_SUBDOMAIN, "a DNS-1123 subdomain")
        _check_tls_files(ingress, files, errors)
        if not ingress["paths"]:
            errors.append("ingress.paths: needs at least one path such as '/'")
        for index, path in enumerate(ingress["paths"]):
            if not path.startswith("/"):
                errors.append("ingress.paths[%d]: must start with '/'" % index)
        _check_annotations(ingress["annotations"], "ingress.annotations", errors)
        if not served(api_versions, (_INGRESS_VERSION,)):
            errors.append("ingress: the cluster does not serve %s (Kubernetes 1.19+ does)" % _INGRESS_VERSION)
    route = s["http_route"]
    if route is not None:
        if not route["parent_refs"]:
            errors.append("http_route.parent_refs: needs at least one Gateway, e.g. [{name: my-gateway, namespace: infra}]")
        for index, ref in enumerate(route["parent_refs"]):
            for key in ref:
                if key not in _PARENT_REF_KEYS:
                    errors.append("http_route.parent_refs[%d].%s: unknown field; known fields: %s" % (
                        index, key, ", ".join(sorted(_PARENT_REF_KEYS))))
            if not ref.get("name"):
                errors.append("http_route.parent_refs[%d].name: is required" % index)
        for index, host in enumerate(route["hostnames"]):
            if not _WILDCARD_HOST.match(host):
                errors.append("http_route.hostnames[%d]: %r is not a DNS name" % (index, host))
        if not route["paths"]:
            errors.append("http_route.paths: needs at least one path such as '/'")
        for index, path in enumerate(route["paths"]):
            if not path.startswith("/"):
                errors.append("http_route.paths[%d]: must start with '/'" % index)
        if not served(api_versions, _GATEWAY_VERSIONS):
            errors.append("http_route: the cluster does not serve gateway.networking.k8s.io (install the Gateway API CRDs or use ingress)")
    openshift = s["route"]
    if openshift is not None:
        if openshift["host"] and not _WILDCARD_HOST.match(openshift["host"]):
            errors.append("route.host: %r is not a DNS name" % openshift["host"])
        if openshift["path"] and not openshift["path"].startswith("/"):
            errors.append("route.path: must start with '/'")
        if openshift["path"] and openshift["tls_termination"] == "passthrough":
            errors.append("route.path: cannot be used with passthrough TLS termination")
        if not served(api_versions, (_ROUTE_VERSION,)):
            errors.append("route: the cluster does not serve %s (OpenShift only); use ingress instead" % _ROUTE_VERSION)


def _check_scaling(s, api_versions, errors):
    _check_int_range(s["replicas"], "replicas", errors, 0)
    scaling = s["autoscaling"]
    if scaling is not None:
        if scaling["max_replicas"] < 1:
            errors.append("autoscaling.max_replicas: is required (at least 1)")
        minimum = scaling["min_replicas"] or max(s["replicas"], 1)
        if scaling["max_replicas"] and minimum > scaling["max_replicas"]:
            errors.append("autoscaling.min_replicas: %d is above max_replicas %d" % (minimum, scaling["max_replicas"]))
        if not scaling["cpu_utilization"] and not scaling["memory_utilization"]:
            errors.append("autoscaling: set cpu_utilization and/or memory_utilization")
        for metric, resource in (("cpu_utilization", "cpu"), ("memory_utilization", "memory")):
            if scaling[metric]:
                _check_int_range(scaling[metric], "autoscaling." + metric, errors, 1, 1000)
                for name, resources in _container_resources(s):
                    if not isinstance(resources, dict) or resource not in (resources.get("requests") or {}):
                        errors.append("autoscaling.%s: container %s has no %s request; the HPA needs one on every container" % (
                            metric, name, resource))
        if scaling["scale_down_stabilization_seconds"] is not None:
            _check_int_range(scaling["scale_down_stabilization_seconds"], "autoscaling.scale_down_stabilization_seconds",
                             errors, 0, 3600)
        if not served(api_versions, _HPA_VERSIONS):
            errors.append("autoscaling: the cluster serves neither autoscaling/v2 nor autoscaling/v2beta2")
    pdb = s["pdb"]
    if pdb is not None and pdb is not False:
        if not isinstance(pdb, dict):
            errors.append("pdb: must be a dict with min_available or max_unavailable, or false")
        else:
            for key in pdb:
                if key not in ("min_available", "max_unavailable"):
                    errors.append("pdb.%s: unknown field; use min_available or max_unavailable" % key)
            if ("min_available" in pdb) == ("max_unavailable" in pdb):
                errors.append("pdb: set exactly one of min_available and max_unavailable")
            for key in ("min_available", "max_unavailable"):
                if key in pdb:
                    _int_or_percent(pdb[key], "pdb." + key, errors)
        if not served(api_versions, _PDB_VERSIONS):
            errors.append("pdb: the cluster serves neither policy/v1 nor policy/v1beta1")


def _container_resources(s):
    """(container name, resources) of every long-running container, as rendered."""
    result = []
    for name in _all_container_names(s):
        if name == "nginx":
            result.append((name, s["nginx"]["resources"] or _NGINX_RESOURCES))
        else:
            result.append((name, s["resources"] or _APP_RESOURCES))
    return result


def validate_app(spec, api_versions=None, defaults=None, label=None, files=None):
    """Every problem of one app spec, as ``app '<name>': <field>: <problem>`` strings (empty: valid).
    ``label`` names a spec without a usable name (validate_apps passes ``apps[<index>]``). ``files`` maps the
    controller paths of tls_files() to their content (None: unreadable); without it the files are not checked."""
    s, problems = normalize_app(spec, defaults)
    label = _label(spec, label)
    if s is None:
        return ["%s: %s" % (label, problem) for problem in problems]
    errors = list(problems)
    if s["name"]:
        _check_name(s["name"], "name", errors, MAX_NAME_LENGTH, _DNS1035_LABEL, "a DNS-1035 label")
    _check_name(s["namespace"], "namespace", errors)
    if s["pattern"] not in PATTERNS:
        return ["%s: %s" % (label, error) for error in errors]
    pattern = s["pattern"]
    names = _all_container_names(s)
    main = _main_container(s)

    # Images and processes.
    if pattern == "static":
        if s["image"]:
            errors.append("image: the static pattern runs nginx only; set nginx.image instead")
        if s["command"] or s["args"]:
            errors.append("command: the static pattern runs nginx only; command and args are not used")
    elif not s["image"]:
        errors.append("image: is required for the %s pattern" % pattern)
    if s["split"] and pattern != "php-nginx":
        errors.append("split: only applies to the php-nginx pattern")
    if s["nginx"]["enabled"] and pattern != "python":
        errors.append("nginx.enabled: only applies to the python pattern (php-nginx and static always run nginx)")
    if _has_nginx(s) and not s["nginx"]["image"]:
        errors.append("nginx.image: is required when nginx runs")
    if pattern == "python" and not s["command"] and not s["python"]["app"]:
        errors.append("python.app: is required (e.g. 'myproject.wsgi:application'), unless command is set")
    if pattern == "python":
        _check_int_range(s["python"]["workers"], "python.workers", errors, 1)
    if s["port"]:
        _check_port(s["port"], "port", errors)
    port = _http_port(s)
    if pattern == "php-nginx":
        _check_port(s["php"]["port"], "php.port", errors)
        if s["php"]["port"] == port:
            errors.append("php.port: must differ from port (%d), which nginx listens on" % port)
        for key in ("pool_dir", "ping_path"):
            if not _SAFE_PATH.match(s["php"][key]):
                errors.append("php.%s: must be an absolute path without spaces, quotes or ';{}$'" % key)
    if pattern == "python" and s["nginx"]["enabled"]:
        _check_port(s["python"]["port"], "python.port", errors)
        if s["python"]["port"] == port:
            errors.append("python.port: must differ from port (%d), which nginx listens on" % port)
    if port and port < 1024 and s["security"]["run_as_non_root"]:
        errors.append("port: %d needs root to bind; keep an unprivileged port such as 8080 (service.port still "
                      "exposes %d) or set security.run_as_non_root: false" % (port, s["service"]["port"]))
    if not _NGINX_SIZE.match(s["nginx"]["client_max_body_size"]):
        errors.append("nginx.client_max_body_size: must be a size such as 16m")
    document_root = s["nginx"]["document_root"]
    if document_root and (document_root.startswith("/") or ".." in document_root.split("/")
                          or not _SAFE_PATH.match("/" + document_root)):
        errors.append("nginx.document_root: must be a path relative to code.path, such as 'public'")

    # Code delivery.
    for key in ("source", "path"):
        value = s["code"][key]
        if value and not _SAFE_PATH.match(value):
            errors.append("code.%s: must be an absolute path without spaces, quotes or ';{}$'" % key)
    if s["code"]["image"] and pattern == "container" and not s["code"]["path"]:
        errors.append("code.path: is required with code.image for the container pattern (where the app expects its code)")
    if s["code"]["copy_command"] and not _code_copy_image(s):
        errors.append("code.copy_command: needs code.image")

    # Environment, config, secrets.
    _check_env(s["env"], "env", errors)
    _check_env(s["secrets"]["env"], "secrets.env", errors)
    for key in s["env"]:
        if key in s["secrets"]["env"]:
            errors.append("env.%s: is also set in secrets.env; keep it in one place" % key)
    used_keys, used_mounts = {}, {}
    _check_files(s["config_files"], "config_files", errors, names, used_keys, used_mounts, main)
    _check_files(s["secrets"]["files"], "secrets.files", errors, names, {}, used_mounts, main)
    if s["nginx"]["config"] and (("nginx", NGINX_CONF_PATH) in used_mounts):
        errors.append("nginx.config: nginx.conf is also given in %s; keep one" % used_mounts[("nginx", NGINX_CONF_PATH)])

    # Resources and probes.
    _check_quantity_map(s["resources"], "resources", errors)
    _check_quantity_map(s["nginx"]["resources"], "nginx.resources", errors)
    for kind in ("readiness", "liveness", "startup"):
        _check_probe(s["probes"][kind], "probes." + kind, errors, kind)
        _check_probe(s["backend_probes"][kind], "backend_probes." + kind, errors, kind)
        backend = s["backend_probes"][kind]
        if isinstance(backend, dict) and len(_all_container_names(s)) < 2:
            errors.append("backend_probes.%s: this app runs a single container; use probes.%s" % (kind, kind))
        elif isinstance(backend, dict) and pattern == "php-nginx" and not s["split"] and _probe_type(backend) != "exec":
            errors.append("backend_probes.%s: php-fpm listens on 127.0.0.1 in one pod, where the kubelet's %s probe "
                          "cannot reach it; use an exec probe (the default readiness probe already checks "
                          "php-fpm through nginx's %s)" % (kind, _probe_type(backend), s["php"]["ping_path"]))

    # Rollout.
    rollout = s["rollout"]
    surge = _int_or_percent(rollout["max_surge"], "rollout.max_surge", errors)
    unavailable = _int_or_percent(rollout["max_unavailable"], "rollout.max_unavailable", errors)
    if rollout["strategy"] == "RollingUpdate" and surge is not None and unavailable is not None:
        if _is_zero(surge) and _is_zero(unavailable):
            errors.append("rollout: max_surge and max_unavailable cannot both be 0")
    _check_int_range(rollout["min_ready_seconds"], "rollout.min_ready_seconds", errors, 0)
    _check_int_range(rollout["revision_history_limit"], "rollout.revision_history_limit", errors, 1)
    if rollout["progress_deadline_seconds"] <= rollout["min_ready_seconds"]:
        errors.append("rollout.progress_deadline_seconds: must be greater than min_ready_seconds (%d)" % rollout["min_ready_seconds"])

    _check_exposure(s, api_versions, errors, files)
    _check_scaling(s, api_versions, errors)
    _check_placement(s, errors)

    # Security and pod settings.
    security = s["security"]
    if security["run_as_non_root"] and security["run_as_user"] == 0:
        errors.append("security.run_as_user: 0 is root; use a non-root uid or set run_as_non_root: false")
    for key in ("run_as_user", "run_as_group", "fs_group"):
        if security[key] is not None and security[key] < 0:
            errors.append("security.%s: must not be negative" % key)
    if s["pod_security"] == "restricted":
        if not security["run_as_non_root"]:
            errors.append("pod_security: restricted requires security.run_as_non_root: true; use pod_security: baseline")
        if security["seccomp_profile"] != "RuntimeDefault":
            errors.append("pod_security: restricted requires security.seccomp_profile: RuntimeDefault")
    _check_labels(s["labels"], "labels", errors)
    _check_annotations(s["annotations"], "annotations", errors)
    for key in s["labels"]:
        if key in (NAME_LABEL, COMPONENT_LABEL):
            errors.append("labels.%s: is set by kubelift (selector label)" % key)
    for secret in s["image_pull_secrets"]:
        _check_name(secret, "image_pull_secrets", errors, 253, _DNS1123_SUBDOMAIN, "a DNS-1123 subdomain")
    _check_name(s["service_account_name"], "service_account_name", errors, 253, _DNS1123_SUBDOMAIN, "a DNS-1123 subdomain")
    _check_int_range(s["termination_grace_period_seconds"], "termination_grace_period_seconds", errors, 0)
    _check_int_range(s["pre_stop_sleep"], "pre_stop_sleep", errors, 0)
    if s["pre_stop_sleep"] and s["pre_stop_sleep"] >= s["termination_grace_period_seconds"]:
        errors.append("pre_stop_sleep: must be shorter than termination_grace_period_seconds (%d)" % (
            s["termination_grace_period_seconds"]))
    policy = s["network_policy"]
    if policy is not None:
        for index, namespace in enumerate(policy["ingress_namespaces"]):
            _check_name(namespace, "network_policy.ingress_namespaces[%d]" % index, errors)
        for index, cidr in enumerate(policy["allow_cidrs"]):
            if not re.match(r"^[0-9a-fA-F:.]+/[0-9]{1,3}$", cidr):
                errors.append("network_policy.allow_cidrs[%d]: %r is not a CIDR such as 10.0.0.0/8" % (index, cidr))
    return ["%s: %s" % (label, error) for error in errors]


def validate_apps(specs, api_versions=None, defaults=None, files=None):
    """Problems of a list of specs, including clashes between apps (``files``: see validate_app)."""
    if not isinstance(specs, list):
        return ["apps: must be a list of app specs, got %s" % _type_name(specs)]
    errors = []
    seen = {}
    levels = {}
    for index, spec in enumerate(specs):
        problems = validate_app(spec, api_versions, defaults, label="apps[%d]" % index, files=files)
        errors.extend(problems)
        if problems:
            continue
        s, _errors = normalize_app(spec, defaults)
        key = (_namespace(s), s["name"])
        if key in seen:
            errors.append("%s: namespace %s already has an app of this name (apps[%d])" % (_label(s), key[0], seen[key]))
        seen[key] = index
        if s["create_namespace"]:
            namespace = _namespace(s)
            if namespace in levels and levels[namespace][0] != s["pod_security"]:
                errors.append("%s: pod_security: %s conflicts with %s for namespace %s" % (
                    _label(s), s["pod_security"], levels[namespace][1], namespace))
            levels.setdefault(namespace, (s["pod_security"], "app '%s' (%s)" % (s["name"], s["pod_security"])))
    return errors


# ---------------------------------------------------------------------------------------------------
# Generated configuration files
# ---------------------------------------------------------------------------------------------------

def _nginx_root(s):
    root = _code_path(s).rstrip("/") or "/"
    if s["nginx"]["document_root"]:
        root = posixpath.join(root, s["nginx"]["document_root"].strip("/"))
    return root


def nginx_conf(s):
    """Default nginx.conf for a (normalized) spec: unprivileged port, temp files under /tmp, /healthz."""
    pattern = s["pattern"]
    port = _http_port(s)
    lines = [
        "# nginx.conf generated by kubelift.cluster for app '%s' (pattern %s)." % (s["name"], pattern),
        "# Runs as a non-root user: pid and temporary files live in /tmp (an emptyDir).",
        "worker_processes auto;",
        "error_log /dev/stderr warn;",
        "pid /tmp/nginx.pid;",
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        "    include /etc/nginx/mime.types;",
        "    default_type application/octet-stream;",
        "    access_log /dev/stdout;",
        "    sendfile on;",
        "    keepalive_timeout 65;",
        "    server_tokens off;",
        "    client_max_body_size %s;" % s["nginx"]["client_max_body_size"],
        "    client_body_temp_path /tmp/nginx-client-body;",
        "    proxy_temp_path /tmp/nginx-proxy;",
        "    fastcgi_temp_path /tmp/nginx-fastcgi;",
        "    uwsgi_temp_path /tmp/nginx-uwsgi;",
        "    scgi_temp_path /tmp/nginx-scgi;",
        "",
    ]
    if pattern == "php-nginx":
        if s["split"]:
            backend = "%s-php.%s.svc:%d" % (s["name"], _namespace(s), s["php"]["port"])
        else:
            backend = "127.0.0.1:%d" % s["php"]["port"]
        lines += ["    upstream php_fpm {", "        server %s;" % backend, "    }", ""]
    if pattern == "python":
        lines += [
            "    upstream app {",
            "        server 127.0.0.1:%d;" % s["python"]["port"],
            "    }",
            "",
            "    # Keep the scheme a TLS-terminating ingress reports.",
            "    map $http_x_forwarded_proto $kubelift_forwarded_proto {",
            "        default $http_x_forwarded_proto;",
            "        \"\" $scheme;",
            "    }",
            "",
        ]
    lines += [
        "    server {",
        "        listen %d;" % port,
        "        server_name _;",
    ]
    if pattern in ("php-nginx", "static") or _code_copy_image(s):
        lines.append("        root %s;" % _nginx_root(s))
    if pattern == "php-nginx":
        lines.append("        index index.php index.html;")
    elif pattern == "static":
        lines.append("        index index.html index.htm;")
    lines += [
        "",
        "        location = /healthz {",
        "            access_log off;",
        "            default_type text/plain;",
        "            return 200 \"ok\\n\";",
        "        }",
    ]
    if pattern == "php-nginx":
        ping = s["php"]["ping_path"]
        lines += [
            "",
            "        # php-fpm answers its ping.path with 'pong': the readiness probe checks nginx and php-fpm.",
            "        location = %s {" % ping,
            "            access_log off;",
            "            include fastcgi_params;",
            "            fastcgi_param SCRIPT_NAME %s;" % ping,
            "            fastcgi_param SCRIPT_FILENAME %s;" % ping,
            "            fastcgi_pass php_fpm;",
            "        }",
            "",
            "        location / {",
            "            try_files $uri $uri/ /index.php$is_args$args;",
            "        }",
            "",
            "        # /x.php and /x.php/path/info; try_files resets $fastcgi_path_info, so keep a copy.",
            "        location ~ [^/]\\.php(/|$) {",
            "            fastcgi_split_path_info ^(.+?\\.php)(/.*)$;",
            "            set $kubelift_path_info $fastcgi_path_info;",
            "            try_files $fastcgi_script_name =404;",
            "            include fastcgi_params;",
            "            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;",
            "            fastcgi_param PATH_INFO $kubelift_path_info;",
            "            fastcgi_pass php_fpm;",
            "        }",
        ]
    elif pattern == "static":
        lines += [
            "",
            "        location / {",
            "            try_files $uri $uri/ =404;",
            "        }",
        ]
    else:
        lines += [
            "",
            "        location / {",
            "            proxy_pass http://app;",
            "            proxy_http_version 1.1;",
            "            proxy_set_header Host $host;",
            "            proxy_set_header X-Real-IP $remote_addr;",
            "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "            proxy_set_header X-Forwarded-Proto $kubelift_forwarded_proto;",
            "            proxy_redirect off;",
            "        }",
        ]
    lines += [
        "",
        "        # Never serve dotfiles such as .git or .env.",
        "        location ~ /\\.(?!well-known) {",
        "            deny all;",
        "        }",
    ]
    snippet = s["nginx"]["server_snippet"].strip("\n")
    if snippet:
        lines += ["", "        # server_snippet"] + ["        " + line if line else "" for line in snippet.splitlines()]
    lines += ["    }", "}", ""]
    return "\n".join(lines)


def php_pool_conf(s):
    """php-fpm overrides, loaded after the image's own pool files (zz- sorts last): logs to stderr, pid
    in /tmp, foreground (Debian's php-fpm.conf writes to /run/php and /var/log, which a non-root user
    cannot), then the [www] pool's listen address, ping and environment."""
    listen = "%d" % s["php"]["port"] if s["split"] else "127.0.0.1:%d" % s["php"]["port"]
    lines = [
        "; php-fpm settings generated by kubelift.cluster for app '%s', loaded last from the pool directory." % s["name"],
        "; Works with the official php images and Debian's php-fpm package, as a non-root user.",
        "[global]",
        "error_log = /proc/self/fd/2",
        "pid = /tmp/php-fpm.pid",
        "daemonize = no",
        "",
        "; Re-opens the image's [www] pool.",
        "[www]",
        "listen = %s" % listen,
        "ping.path = %s" % s["php"]["ping_path"],
        "ping.response = pong",
        "; Pass the container's environment (env, secrets.env) to PHP.",
        "clear_env = no",
        "catch_workers_output = yes",
    ]
    extra = s["php"]["pool_config"].strip("\n")
    if extra:
        lines += ["; php.pool_config"] + extra.splitlines()
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------------

def _labels(s, component):
    return {NAME_LABEL: s["name"], COMPONENT_LABEL: component, MANAGED_LABEL: MANAGED_BY}


def _selector(s, component):
    return {NAME_LABEL: s["name"], COMPONENT_LABEL: component}


def _meta(s, name, component, annotations=None):
    meta = {"name": name, "namespace": _namespace(s), "labels": _labels(s, component)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def _file_entries(s):
    """(source, key, content, path, containers) of every file mounted into a container."""
    entries = []
    for source, files in (("config", s["config_files"]), ("secret", s["secrets"]["files"])):
        for item in files:
            entries.append((source, item["key"] or _data_key(item["path"]), item["content"], item["path"],
                            item["containers"] or [_main_container(s)]))
    if _has_nginx(s) and ("nginx", NGINX_CONF_PATH) not in [(c, e[3]) for e in entries for c in e[4]]:
        content = s["nginx"]["config"] or nginx_conf(s)
        entries.append(("config", NGINX_CONF_KEY, content, NGINX_CONF_PATH, ["nginx"]))
    if s["pattern"] == "php-nginx":
        entries.append(("config", PHP_POOL_KEY, php_pool_conf(s), posixpath.join(s["php"]["pool_dir"], PHP_POOL_FILE), ["php"]))
    return entries


def config_data(s):
    """(configmap data, secret string data) of a normalized spec."""
    config, secret = {}, {}
    for source, key, content, _path, _containers in _file_entries(s):
        (config if source == "config" else secret)[key] = content
    for key, value in s["secrets"]["env"].items():
        secret["env-" + key] = _env_value(value)
    return config, secret


def _env_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _object_names(s, config, secret):
    return (
        "%s-config-%s" % (s["name"], _sha256(config)[:10]) if config else "",
        "%s-secret-%s" % (s["name"], _sha256(secret)[:10]) if secret else "",
    )


def config_checksum(s):
    config, secret = config_data(s)
    return _sha256({"configmap": config, "secret": secret})


def _probe(kind, user, default, default_port):
    """Merge a user probe (None: default, False: none, dict: overrides) into a Kubernetes probe."""
    if user is False:
        return None
    if user is None:
        merged = copy.deepcopy(default)
    else:
        base = copy.deepcopy(default) if default else {}
        if any(key in user for key in ("type", "path", "command")):
            for key in ("type", "path", "command", "scheme"):
                base.pop(key, None)
        if "type" not in user:
            if "path" in user:
                base["type"] = "http"
            elif "command" in user:
                base["type"] = "exec"
            elif "type" not in base:
                base["type"] = "tcp"
        merged = deep_merge(base, user)
    if not merged:
        return None
    probe = {}
    probe_type = merged.get("type", "tcp")
    port = merged.get("port", default_port)
    if probe_type == "http":
        probe["httpGet"] = {"path": merged["path"], "port": port}
        if merged.get("scheme", "HTTP") != "HTTP":
            probe["httpGet"]["scheme"] = merged["scheme"]
    elif probe_type == "exec":
        probe["exec"] = {"command": list(merged["command"])}
    else:
        probe["tcpSocket"] = {"port": port}
    for key, camel, _minimum in _PROBE_TIMING:
        if key in merged:
            probe[camel] = merged[key]
    if kind != "readiness":
        probe.pop("successThreshold", None)
    return probe


def _default_probe(path_or_none, period, failure_threshold):
    """An HTTP GET probe of path, or a TCP probe when there is no path (2 s timeout)."""
    probe = {"period_seconds": period, "timeout_seconds": 2, "failure_threshold": failure_threshold}
    if path_or_none:
        probe.update(type="http", path=path_or_none)
    else:
        probe.update(type="tcp")
    return probe


def _readiness(path_or_none):
    return _default_probe(path_or_none, period=5, failure_threshold=3)


def _liveness(path_or_none):
    return _default_probe(path_or_none, period=10, failure_threshold=3)


def _startup(path_or_none):
    # Up to 2 minutes to start (60 x 2 s) before liveness takes over.
    return _default_probe(path_or_none, period=2, failure_threshold=60)


def default_probes(s, container):
    """Default readiness/liveness/startup probes (probe dicts of the spec's form) of one container."""
    pattern = s["pattern"]
    if container == "nginx":
        if pattern == "php-nginx" and not s["split"]:
            # End to end: nginx -> php-fpm's ping.path. php-fpm listens on 127.0.0.1 only, where the
            # kubelet's tcpSocket probe (which dials the pod IP) cannot reach it.
            return {"readiness": _readiness(s["php"]["ping_path"]), "liveness": _liveness("/healthz"), "startup": None}
        return {"readiness": _readiness("/healthz"), "liveness": _liveness("/healthz"), "startup": None}
    if container == "php":
        if s["split"]:
            return {"readiness": _readiness(None), "liveness": _liveness(None), "startup": _startup(None)}
        return {"readiness": None, "liveness": None, "startup": None}
    if pattern == "python":
        return {"readiness": _readiness(None), "liveness": _liveness(None), "startup": _startup(None)}
    if pattern == "container" and _http_port(s):
        return {"readiness": _readiness(None), "liveness": None, "startup": None}
    return {"readiness": None, "liveness": None, "startup": None}


def _security_context(s, port=0):
    context = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    if port and port < 1024:
        context["capabilities"]["add"] = ["NET_BIND_SERVICE"]
    if s["security"]["read_only_root_filesystem"]:
        context["readOnlyRootFilesystem"] = True
    return context


def _pod_security_context(s):
    security = s["security"]
    context = {"runAsNonRoot": security["run_as_non_root"]}
    for key, camel in (("run_as_user", "runAsUser"), ("run_as_group", "runAsGroup"), ("fs_group", "fsGroup")):
        if security[key] is not None:
            context[camel] = security[key]
    if security["seccomp_profile"]:
        context["seccompProfile"] = {"type": security["seccomp_profile"]}
    return context


def _python_command(s):
    python = s["python"]
    port = python["port"] if s["nginx"]["enabled"] else _http_port(s)
    if python["server"] == "uvicorn":
        command = ["uvicorn", "--host", "0.0.0.0", "--port", str(port), "--workers", str(python["workers"])]
    else:
        command = ["gunicorn", "--bind", "0.0.0.0:%d" % port, "--workers", str(python["workers"]),
                   "--access-logfile", "-", "--error-logfile", "-"]
    return command + list(python["extra_args"]) + [python["app"]]


def _env(s, secret_name):
    env = []
    if s["pattern"] == "python":
        env.append({"name": "PYTHONUNBUFFERED", "value": "1"})
    for key, value in s["env"].items():
        env = [item for item in env if item["name"] != key]
        env.append({"name": key, "value": _env_value(value)})
    for key in s["secrets"]["env"]:
        env.append({"name": key, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": "env-" + key}}})
    return env


def _mounts(s, container, entries, with_code):
    mounts = []
    if with_code:
        mounts.append({"name": "code", "mountPath": _code_path(s)})
        if container == "nginx":
            mounts[-1]["readOnly"] = True
    for source, key, _content, path, containers in entries:
        if container in containers:
            mounts.append({"name": source, "mountPath": path, "subPath": key, "readOnly": True})
    if container == "nginx" or s["security"]["read_only_root_filesystem"]:
        mounts.append({"name": "tmp-" + container, "mountPath": "/tmp"})
    return mounts


def _container(s, name, entries, with_code, secret_name):
    """One long-running container of the pod."""
    is_nginx = name == "nginx"
    front = _is_front(s, name)
    if is_nginx:
        image, port, port_name = s["nginx"]["image"], _http_port(s), "http"
    elif name == "php":
        image, port, port_name = s["image"], s["php"]["port"] if s["split"] else 0, "fastcgi"
    elif s["pattern"] == "python" and s["nginx"]["enabled"]:
        image, port, port_name = s["image"], s["python"]["port"], "app"
    else:
        image, port, port_name = s["image"], _http_port(s), "http"
    probe_port = s["php"]["port"] if name == "php" else port
    container = {"name": name, "image": image, "imagePullPolicy": s["image_pull_policy"]}
    if not is_nginx:
        if s["command"]:
            container["command"] = list(s["command"])
        elif s["pattern"] == "python":
            container["command"] = _python_command(s)
        if s["args"]:
            container["args"] = list(s["args"])
        if s["pattern"] == "python" and s["code"]["image"]:
            container["workingDir"] = _code_path(s)
        env = _env(s, secret_name)
        if env:
            container["env"] = env
    if port:
        container["ports"] = [{"name": port_name, "containerPort": port, "protocol": "TCP"}]
    if is_nginx:
        container["resources"] = copy.deepcopy(s["nginx"]["resources"] or _NGINX_RESOURCES)
    else:
        container["resources"] = copy.deepcopy(s["resources"] or _APP_RESOURCES)
    container["resources"] = _quantities(container["resources"])
    user = s["probes"] if front else s["backend_probes"]
    defaults = default_probes(s, name)
    for kind in ("readiness", "liveness", "startup"):
        probe = _probe(kind, user[kind], defaults[kind], probe_port)
        if probe:
            container[kind + "Probe"] = probe
    sleep = pre_stop_seconds(s, name)
    if sleep:
        container["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", str(sleep)]}}}
    mounts = _mounts(s, name, entries, with_code)
    if mounts:
        container["volumeMounts"] = mounts
    container["securityContext"] = _security_context(s, port if port_name == "http" else 0)
    return container


def _quantities(resources):
    return {section: {key: str(value) for key, value in values.items()} for section, values in resources.items()}


def _init_container(s):
    image = _code_copy_image(s)
    command = s["code"]["copy_command"] or [
        "sh", "-c", "cp -R %s/. %s/" % (shlex.quote(_code_source(s).rstrip("/") or "/"), CODE_MOUNT)]
    return {
        "name": "copy-code",
        "image": image,
        "imagePullPolicy": s["image_pull_policy"],
        "command": list(command),
        "resources": copy.deepcopy(_INIT_RESOURCES),
        "volumeMounts": [{"name": "code", "mountPath": CODE_MOUNT}],
        "securityContext": _security_context(s),
    }


def _affinity(s):
    affinity = copy.deepcopy(s["affinity"])
    node = {}
    required = s["node_affinity"]["required"]
    preferred = s["node_affinity"]["preferred"]

    def expressions(terms):
        result = []
        for key in sorted(terms):
            values = [str(v) for v in terms[key]]
            if values:
                result.append({"key": key, "operator": "In", "values": values})
            else:
                result.append({"key": key, "operator": "Exists"})
        return result

    if required:
        node["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [{"matchExpressions": expressions(required)}]}
    if preferred:
        node["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": 100, "preference": {"matchExpressions": expressions(preferred)}}]
    if node:
        affinity["nodeAffinity"] = node
    return affinity


def _spread(s, component):
    constraints = []
    for constraint in s["topology_spread_constraints"]:
        item = copy.deepcopy(constraint)
        item.setdefault("labelSelector", {"matchLabels": _selector(s, component)})
        constraints.append(item)
    if not constraints and s["spread_across_nodes"]:
        constraints.append({
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": _selector(s, component)},
        })
    return constraints


def _deployment(s, component, config_name, secret_name, checksum):
    entries = _file_entries(s)
    names = _container_names(s, component)
    copy_image = _code_copy_image(s)
    # The nginx pod of a split app gets the code too (static files, and try_files needs them).
    with_code = bool(copy_image)
    containers = [_container(s, name, entries, with_code, secret_name) for name in names]
    volumes = []
    if with_code:
        volumes.append({"name": "code", "emptyDir": {}})
    used = {mount["name"] for container in containers for mount in container.get("volumeMounts", [])}
    if "config" in used:
        volumes.append({"name": "config", "configMap": {"name": config_name}})
    if "secret" in used:
        volumes.append({"name": "secret", "secret": {"secretName": secret_name}})
    for name in names:
        if "tmp-" + name in used:
            volumes.append({"name": "tmp-" + name, "emptyDir": {}})
    annotations = dict(s["annotations"])
    annotations[CHECKSUM_ANNOTATION] = checksum
    labels = dict(s["labels"])
    labels.update(_labels(s, component))
    pod = {
        "serviceAccountName": s["service_account_name"] or None,
        "automountServiceAccountToken": s["automount_service_account_token"],
        "terminationGracePeriodSeconds": s["termination_grace_period_seconds"],
        "securityContext": _pod_security_context(s),
        "initContainers": [_init_container(s)] if with_code else None,
        "containers": containers,
        "volumes": volumes or None,
        "imagePullSecrets": [{"name": name} for name in s["image_pull_secrets"]] or None,
        "nodeSelector": dict(s["node_selector"]) or None,
        "affinity": _affinity(s) or None,
        "tolerations": copy.deepcopy(s["tolerations"]) or None,
        "topologySpreadConstraints": _spread(s, component) or None,
    }
    pod = {key: value for key, value in pod.items() if value is not None}
    rollout = s["rollout"]
    strategy = {"type": rollout["strategy"]}
    if rollout["strategy"] == "RollingUpdate":
        strategy["rollingUpdate"] = {
            "maxSurge": _int_or_percent(rollout["max_surge"], "", []),
            "maxUnavailable": _int_or_percent(rollout["max_unavailable"], "", []),
        }
    spec = {
        "selector": {"matchLabels": _selector(s, component)},
        "strategy": strategy,
        "minReadySeconds": rollout["min_ready_seconds"],
        "revisionHistoryLimit": rollout["revision_history_limit"],
        "progressDeadlineSeconds": rollout["progress_deadline_seconds"],
        "template": {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod},
    }
    if s["autoscaling"] is None:
        # With an HPA the replica count is the HPA's: re-applying a fixed count would fight it.
        spec = dict([("replicas", s["replicas"])] + list(spec.items()))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(s, _deployment_name(s, component), component),
        "spec": spec,
    }


def _service(s, component):
    if component == "php":
        ports = [{"name": "fastcgi", "port": s["php"]["port"], "targetPort": "fastcgi", "protocol": "TCP"}]
        spec = {"type": "ClusterIP"}
        annotations = None
    else:
        service = s["service"]
        port = {"name": "http", "port": service["port"], "targetPort": "http", "protocol": "TCP"}
        if service["node_port"]:
            port["nodePort"] = service["node_port"]
        ports = [port]
        spec = {"type": service["type"]}
        annotations = service["annotations"]
    spec.update(selector=_selector(s, component), ports=ports)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(s, _deployment_name(s, component), component, annotations),
        "spec": spec,
    }


def _ingress(s):
    ingress = s["ingress"]
    backend = {"service": {"name": s["name"], "port": {"number": s["service"]["port"]}}}
    rule = {"http": {"paths": [{"path": path, "pathType": ingress["path_type"], "backend": copy.deepcopy(backend)}
                               for path in ingress["paths"]]}}
    if ingress["host"]:
        rule = dict([("host", ingress["host"])] + list(rule.items()))
    spec = {}
    if ingress["class_name"]:
        spec["ingressClassName"] = ingress["class_name"]
    if ingress["tls_secret"] or ingress["tls_cert_file"]:
        tls = {"secretName": _tls_secret_name(s)}
        if ingress["host"]:
            tls = {"hosts": [ingress["host"]], "secretName": _tls_secret_name(s)}
        spec["tls"] = [tls]
    spec["rules"] = [rule]
    return {
        "apiVersion": _INGRESS_VERSION,
        "kind": "Ingress",
        "metadata": _meta(s, s["name"], "web", ingress["annotations"]),
        "spec": spec,
    }


def _http_route(s, api_versions):
    route = s["http_route"]
    spec = {"parentRefs": copy.deepcopy(route["parent_refs"])}
    if route["hostnames"]:
        spec["hostnames"] = list(route["hostnames"])
    spec["rules"] = [{
        "matches": [{"path": {"type": "PathPrefix", "value": path}} for path in route["paths"]],
        "backendRefs": [{"name": s["name"], "port": s["service"]["port"]}],
    }]
    return {
        "apiVersion": served(api_versions, _GATEWAY_VERSIONS),
        "kind": "HTTPRoute",
        "metadata": _meta(s, s["name"], "web"),
        "spec": spec,
    }


def _openshift_route(s):
    route = s["route"]
    spec = {}
    if route["host"]:
        spec["host"] = route["host"]
    if route["path"]:
        spec["path"] = route["path"]
    spec["to"] = {"kind": "Service", "name": s["name"], "weight": 100}
    spec["port"] = {"targetPort": "http"}
    if route["tls_termination"]:
        spec["tls"] = {"termination": route["tls_termination"]}
        if route["tls_termination"] == "edge":
            spec["tls"]["insecureEdgeTerminationPolicy"] = route["insecure_edge_termination"]
    spec["wildcardPolicy"] = "None"
    return {
        "apiVersion": _ROUTE_VERSION,
        "kind": "Route",
        "metadata": _meta(s, s["name"], "web"),
        "spec": spec,
    }


def _hpa(s, component, api_versions):
    scaling = s["autoscaling"]
    metrics = []
    for key, resource in (("cpu_utilization", "cpu"), ("memory_utilization", "memory")):
        if scaling[key]:
            metrics.append({"type": "Resource", "resource": {
                "name": resource, "target": {"type": "Utilization", "averageUtilization": scaling[key]}}})
    name = _deployment_name(s, component)
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        "minReplicas": scaling["min_replicas"] or max(s["replicas"], 1),
        "maxReplicas": scaling["max_replicas"],
        "metrics": metrics,
    }
    if scaling["scale_down_stabilization_seconds"] is not None:
        # Both autoscaling/v2 and v2beta2 have behavior; without it Kubernetes waits 300 s before scaling down.
        spec["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": scaling["scale_down_stabilization_seconds"]}}
    return {
        "apiVersion": served(api_versions, _HPA_VERSIONS),
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(s, name, component),
        "spec": spec,
    }


def _pdb(s, component, api_versions):
    pdb = s["pdb"]
    if pdb is False:
        return None
    if pdb is None:
        replicas = (s["autoscaling"]["min_replicas"] or s["replicas"]) if s["autoscaling"] else s["replicas"]
        if replicas < 2:
            # A budget for a single replica would block every node drain.
            return None
        budget = {"maxUnavailable": 1}
    elif "min_available" in pdb:
        budget = {"minAvailable": _int_or_percent(pdb["min_available"], "", [])}
    else:
        budget = {"maxUnavailable": _int_or_percent(pdb["max_unavailable"], "", [])}
    spec = {"selector": {"matchLabels": _selector(s, component)}}
    spec.update(budget)
    return {
        "apiVersion": served(api_versions, _PDB_VERSIONS),
        "kind": "PodDisruptionBudget",
        "metadata": _meta(s, _deployment_name(s, component), component),
        "spec": spec,
    }


def _network_policy(s):
    policy = s["network_policy"]
    peers = []
    if policy["allow_same_namespace"]:
        peers.append({"podSelector": {}})
    elif s["split"]:
        # The nginx pods of a split app must still reach its php-fpm pods.
        peers.append({"podSelector": {"matchLabels": {NAME_LABEL: s["name"]}}})
    for namespace in policy["ingress_namespaces"]:
        peers.append({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}})
    for cidr in policy["allow_cidrs"]:
        peers.append({"ipBlock": {"cidr": cidr}})
    spec = {"podSelector": {"matchLabels": {NAME_LABEL: s["name"]}}, "policyTypes": ["Ingress"]}
    # No peers at all: deny every ingress connection (an empty rule list).
    spec["ingress"] = [{"from": peers}] if peers else []
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(s, s["name"], "web"),
        "spec": spec,
    }


def namespace_manifest(name, level):
    """Namespace with Pod Security Admission labels (enforce, audit and warn at the same level)."""
    labels = {"kubernetes.io/metadata.name": name, MANAGED_LABEL: MANAGED_BY}
    for mode in ("enforce", "audit", "warn"):
        labels["pod-security.kubernetes.io/%s" % mode] = level
        labels["pod-security.kubernetes.io/%s-version" % mode] = "latest"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def render_app(spec, api_versions=None, defaults=None):
    """Manifests of one app (without its Namespace), in apply order. Raises ValueError when invalid."""
    errors = validate_app(spec, api_versions, defaults)
    if errors:
        raise ValueError("\n".join(errors))
    s, _errors = normalize_app(spec, defaults)
    return _render(s, api_versions)["manifests"]


def _render(s, api_versions, files=None):
    config, secret = config_data(s)
    config_name, secret_name = _object_names(s, config, secret)
    checksum = _sha256({"configmap": config, "secret": secret})
    manifests = []
    if config:
        manifests.append({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(s, config_name, "config"),
            "immutable": True,
            "data": dict(sorted(config.items())),
        })
    if secret:
        manifests.append({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(s, secret_name, "config"),
            "immutable": True,
            "type": "Opaque",
            "data": {key: _b64(value) for key, value in sorted(secret.items())},
        })
    components = _components(s)
    for component in components:
        if component == "php" or (s["service"]["enabled"] and _http_port(s)):
            manifests.append(_service(s, component))
    deployments = []
    for component in components:
        deployment = _deployment(s, component, config_name, secret_name, checksum)
        deployments.append(deployment["metadata"]["name"])
        manifests.append(deployment)
    for component in components:
        if s["autoscaling"] is not None:
            manifests.append(_hpa(s, component, api_versions))
        pdb = _pdb(s, component, api_versions)
        if pdb:
            manifests.append(pdb)
    if s["network_policy"] is not None:
        manifests.append(_network_policy(s))
    if s["ingress"] is not None:
        if s["ingress"]["tls_cert_file"]:
            manifests.insert(0, _tls_secret(s, files or {}))
        manifests.append(_ingress(s))
    if s["http_route"] is not None:
        manifests.append(_http_route(s, api_versions))
    if s["route"] is not None:
        manifests.append(_openshift_route(s))
    return {
        "name": s["name"],
        "namespace": _namespace(s),
        "checksum": checksum,
        "deployments": deployments,
        "config_objects": [{"kind": kind, "name": name} for kind, name in
                           (("ConfigMap", config_name), ("Secret", secret_name)) if name],
        "manifests": manifests,
    }


def render_apps(specs, api_versions=None, defaults=None, files=None):
    """Render a list of specs. Returns ``{"namespaces": [...], "apps": [...], "manifests": [...]}`` where
    each app carries name, namespace, checksum, deployments, config_objects and its manifests, and
    ``manifests`` is everything in apply order (namespaces first). Raises ValueError when invalid."""
    errors = validate_apps(specs, api_versions, defaults, files if files is not None else {})
    if errors:
        raise ValueError("\n".join(errors))
    namespaces = []
    seen = set()
    apps = []
    for spec in specs:
        s, _errors = normalize_app(spec, defaults)
        if s["create_namespace"] and _namespace(s) not in seen:
            seen.add(_namespace(s))
            namespaces.append(namespace_manifest(_namespace(s), s["pod_security"]))
        apps.append(_render(s, api_versions, files))
    manifests = list(namespaces)
    for app in apps:
        manifests.extend(app["manifests"])
    return {"namespaces": namespaces, "apps": apps, "manifests": manifests}


def changed_objects(definitions, result):
    """``[{kind, name}]`` of the definitions that one kubernetes.core.k8s call (given all of them) changed.
    With one definition the module returns that object's result itself, with several a list of them."""
    if not isinstance(result, dict):
        return []
    inner = result.get("result")
    results = inner.get("results") if isinstance(inner, dict) and "results" in inner else [result]
    changed = []
    for definition, item in zip(definitions, results):
        if isinstance(item, dict) and item.get("changed"):
            changed.append({"kind": definition.get("kind"), "name": (definition.get("metadata") or {}).get("name")})
    return changed
