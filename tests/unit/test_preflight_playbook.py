"""Run the preflight role with ansible-playbook against tests/preflight/ inventories on this machine.

The bad inventory holds many distinct mistakes: the run must fail once, name every mistake, and change
nothing. The good inventory must pass, also in check mode.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "preflight"
PLAYBOOK = HERE / "preflight.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
CGROUP_V1 = not Path("/sys/fs/cgroup/cgroup.controllers").exists()

# One row per mistake in tests/preflight/bad_inventory: (what is wrong, where it is, pattern the output must hold).
MISTAKES = [
    ("even number of control-plane hosts", "hosts.yml",
     r"cluster: kubelift_control_plane_group: group 'kube_control_plane' has 4 hosts: an even number of etcd members"),
    ("host in both groups", "hosts.yml",
     r"cp4: kubelift_worker_group: the host is in both 'kube_control_plane' and 'kube_workers'"),
    ("control-plane endpoint without a port", "group_vars/all.yml",
     r"cluster: kubelift_control_plane_endpoint: 'api\.kubelift\.test' is not host:port"),
    ("pod subnet overlaps the service subnet", "group_vars/all.yml",
     r"cluster: kubelift_pod_subnet: pod network 10\.96\.0\.0/16 overlaps service network 10\.96\.0\.0/12"),
    ("unknown container runtime", "group_vars/all.yml",
     r"cluster: kubelift_container_runtime: 'docker' is not a known choice\. Fix: use one of: containerd"),
    ("unknown CNI", "group_vars/all.yml",
     r"cluster: kubelift_cni: 'calico' is not a known choice\. Fix: use one of: flannel, bridge"),
    ("cluster domain is not a DNS name", "group_vars/all.yml",
     r"cluster: kubelift_cluster_domain: 'Cluster_Local' is not a valid DNS domain"),
    ("image repository with a scheme", "group_vars/all.yml",
     r"cluster: kubelift_image_repository: 'https://registry\.example\.cn/k8s' is not a registry path"),
    ("bundle built for another release", "bad_bundle/manifest.json",
     r"cluster: kubelift_bundle_dir: the bundle holds Kubernetes '1\.35\.0' but kubelift_kubernetes_version is '1\.36\.2'"),
    ("bundle entry without sha256", "bad_bundle/manifest.json",
     r"cluster: kubelift_bundle_dir: manifest\.json: binary kubelet has no sha256"),
    ("bundle entry pointing to a missing file", "bad_bundle/manifest.json",
     r"cluster: kubelift_bundle_dir: manifest\.json: binary kubectl points to bin/kubectl, which is missing"),
    ("registry mirror without endpoints", "group_vars/all.yml",
     r"cluster: kubelift_registry_mirrors: item 1 \(docker\.io\) has no endpoints"),
    ("registry mirror endpoint that is not a URL", "group_vars/all.yml",
     r"cluster: kubelift_registry_mirrors: item 2 \(quay\.io\): endpoint 'mirror\.example\.cn' is not an http:// or https:// URL"),
    ("typo of a kubelift variable (warning)", "group_vars/all.yml",
     r"cluster: kubelift_cin: is not a kubelift setting, so nothing reads it\. Fix: rename it to kubelift_cni"),
    ("too few CPUs on a control-plane host", "host_vars/cp1.yml",
     r"cp1: kubelift_min_cpus: the control-plane host has \d+ CPUs, fewer than the 64 required"),
    ("duplicate node names", "host_vars/cp2.yml, host_vars/cp3.yml",
     r"cluster: kubelift_node_name: hosts cp2, cp3 share the node name 'node-a'"),
    ("node IP that is not the host's", "host_vars/cp3.yml",
     r"cp3: kubelift_node_ip: 10\.96\.7\.7 is not an address of this host"),
    ("node IP inside the pod subnet", "host_vars/cp3.yml",
     r"cp3: kubelift_pod_subnet: node address 10\.96\.7\.7 \(kubelift_node_ip\) lies inside 10\.96\.0\.0/16"),
    ("too little memory", "host_vars/cp4.yml",
     r"cp4: kubelift_min_memory_mb: the host has \d+ MiB of memory, less than the 10000000 MiB required"),
    ("node name that is not a DNS-1123 name", "host_vars/w1.yml",
     r"w1: kubelift_node_name: 'Worker_1' is not a valid Kubernetes node name.*Fix: use a name such as 'worker-1'"),
    ("node IP that is not an IP address", "host_vars/w1.yml",
     r"w1: kubelift_node_ip: '10\.0\.0\.300' is not an IP address"),
    ("cluster-wide setting that differs on one host", "host_vars/w2.yml",
     r"w2: kubelift_kubernetes_version: is 'v1\.36\.2' here but '1\.36\.2' on cp1; it must be the same on every host"),
    ("hosts sharing one node address (all are this machine)", "hosts.yml",
     r"cluster: kubelift_node_ip: hosts cp1, cp2, cp4, w2 share the node address '[0-9.]+'"),
]
if CGROUP_V1:
    MISTAKES.append(("cgroup v1 host with Kubernetes 1.36 (this machine)", "group_vars/all.yml",
                     r"cp1, cp2, cp3, cp4, w1, w2: kubelift_kubernetes_version: cgroup v1 in use: kubelet 1\.36\.2 "
                     r"refuses to start on cgroup v1 unless its failCgroupV1 setting is false"))
BAD_HOSTS = ["cp1", "cp2", "cp3", "cp4", "w1", "w2"]


def _run(inventory, *extra):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "ANSIBLE_CACHE_PLUGIN": "memory",  # no facts from earlier runs
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": "%s%s%s" % (ANSIBLE_PLAYBOOK.parent, os.pathsep, env.get("PATH", "")),
    })
    result = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(HERE / inventory), str(PLAYBOOK), *extra],
                            cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300, check=False)
    return result.returncode, result.stdout + result.stderr


def _recap(output):
    """{host: {'ok': n, 'changed': n, 'failed': n, ...}} from the PLAY RECAP."""
    recap = {}
    for host, counters in re.findall(r"^(\S+)\s+:\s+(ok=\d+.*)$", output, re.MULTILINE):
        recap[host] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", counters)}
    return recap


@pytest.fixture(scope="module")
def bad_run():
    return _run("bad_inventory")


def test_bad_inventory_fails_once_in_preflight(bad_run):
    code, output = bad_run
    assert code != 0, output
    assert output.count("fatal: [") == 1, output
    assert re.search(r"fatal: \[cp1\]: FAILED!", output), output
    assert "Preflight found" in output and "nothing was changed" in output
    # The kubelift role's argument validation would stop at the first bad choice: it must not have run.
    assert "Validation of arguments failed" not in output


@pytest.mark.parametrize("mistake, where, pattern", MISTAKES, ids=[row[0] for row in MISTAKES])
def test_bad_inventory_output_names_the_mistake(bad_run, mistake, where, pattern):
    _code, output = bad_run
    assert re.search(pattern, output), "%s (%s) is not reported:\n%s" % (mistake, where, output)


def test_bad_inventory_holds_at_least_ten_distinct_mistakes():
    assert len(MISTAKES) >= 10


def test_bad_inventory_changes_nothing(bad_run):
    _code, output = bad_run
    recap = _recap(output)
    assert sorted(recap) == BAD_HOSTS, output
    for host, counters in recap.items():
        assert counters["changed"] == 0, "%s changed something:\n%s" % (host, output)


@pytest.mark.parametrize("extra", [(), ("--check",)], ids=["run", "check-mode"])
def test_good_inventory_passes(extra):
    code, output = _run("good_inventory", *extra)
    assert code == 0, output
    assert "Preflight passed on 1 host(s): node1" in output
    assert "Preflight found" not in output
    # The one warning of this inventory is shown, and does not fail the run.
    assert "cluster: kubelift_worker_group: group 'kube_workers' is empty or missing" in output
    recap = _recap(output)
    assert recap == {"node1": recap["node1"]} and recap["node1"]["changed"] == 0 and recap["node1"]["failed"] == 0, output


def test_good_inventory_fails_on_its_warning_when_asked():
    code, output = _run("good_inventory", "-e", "preflight_fail_on_warnings=true")
    assert code != 0, output
    # The empty worker group, and on a cgroup v1 machine the lab's accepted cgroup v1 as well.
    cgroup_v1 = not Path("/sys/fs/cgroup/cgroup.controllers").exists()
    assert "Preflight found %d problem(s) on 1 host(s)" % (2 if cgroup_v1 else 1) in output
    assert _recap(output)["node1"]["changed"] == 0
