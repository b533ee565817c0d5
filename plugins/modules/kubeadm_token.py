#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kubeadm_token
short_description: Reuse or create a kubeadm bootstrap token and return the join command
version_added: 0.1.0
author: kubelift maintainers
description:
  - Runs on an initialized control-plane node. Lists the bootstrap tokens (C(kubeadm token list -o json)),
    reuses one that can still join a node (usages C(authentication) and C(signing), group
    C(system:bootstrappers:kubeadm:default-node-token), at least O(min_ttl) left or no expiry) and otherwise
    creates one with C(kubeadm token create --ttl).
  - Computes the C(sha256:) pin of the cluster CA from O(ca_cert_path) itself (the SHA-256 of the DER
    SubjectPublicKeyInfo), so the node needs neither openssl nor python-cryptography.
  - >-
    B(The result carries the token in) RV(token) B(and) RV(join_command). Ansible cannot hide single return
    values, so every task that calls this module must set C(no_log=true).
options:
  api_server_endpoint:
    description: host:port that joining nodes reach the API server on (the control-plane endpoint in HA).
    type: str
    required: true
  kubeadm_path:
    description: kubeadm binary to run.
    type: str
    default: kubeadm
  kubeconfig:
    description: Admin kubeconfig kubeadm talks to the API server with.
    type: path
    default: /etc/kubernetes/admin.conf
  ca_cert_path:
    description: Cluster CA certificate (PEM or DER) whose public key is pinned in the join command.
    type: path
    default: /etc/kubernetes/pki/ca.crt
  min_ttl:
    description: A listed token is only reused when it lives at least this long (Go duration such as C(30m)).
    type: str
    default: 30m
  ttl:
    description: Lifetime of a newly created token (Go duration; C(0) never expires). Must exceed O(min_ttl).
    type: str
    default: 2h
  description:
    description: Description stored with a newly created token.
    type: str
    default: kubelift join token
  control_plane:
    description: Build the join command for an additional control-plane node (adds C(--control-plane)).
    type: bool
    default: false
  certificate_key:
    description:
      - Key the control-plane certificates were uploaded with (C(kubeadm init --upload-certs)); added as
        C(--certificate-key). Only with O(control_plane=true).
    type: str
attributes:
  check_mode:
    support: full
    details: In check mode a valid token is still reused (listing is read-only); no token is ever created,
      RV(would_create) reports that one would be.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Tokens are secrets. Call this module with C(no_log=true); the token also ends up in any register.
"""

EXAMPLES = r"""
- name: Get a join command from the first control plane
  kubelift.cluster.kubeadm_token:
    api_server_endpoint: "192.0.2.100:6443"
    min_ttl: 30m
  delegate_to: "{{ groups['kube_control_plane'] | first }}"
  register: join
  no_log: true

- name: Join command for another control plane
  kubelift.cluster.kubeadm_token:
    api_server_endpoint: "lb.example.com:6443"
    control_plane: true
    certificate_key: "{{ certificate_key }}"
  delegate_to: "{{ groups['kube_control_plane'] | first }}"
  register: join
  no_log: true
"""

RETURN = r"""
token:
  description: The bootstrap token (C(<id>.<secret>)). Secret. null in check mode when one would be created.
  returned: always
  type: str
token_id:
  description: The public id part of the token.
  returned: always
  type: str
expires:
  description: RFC 3339 expiry of the token, null when it never expires.
  returned: always
  type: str
ca_cert_hash:
  description: C(sha256:<hex>) pin of the cluster CA public key.
  returned: always
  type: str
  sample: sha256:0f0e0d0c0b0a09080706050403020100ffeeddccbbaa99887766554433221100
join_command:
  description: C(kubeadm join <endpoint> --token ... --discovery-token-ca-cert-hash ...). Secret.
  returned: always
  type: str
api_server_endpoint:
  description: The endpoint the join command points at.
  returned: always
  type: str
created:
  description: Whether a new token was created.
  returned: always
  type: bool
would_create:
  description: Check mode only; no usable token exists and one would be created.
  returned: always
  type: bool
rejected_tokens:
  description: Listed tokens that were not reused, token id to reason (expired, usages, group, TTL left).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubelift.cluster.plugins.module_utils.kubeadm_token import (
    KubeadmTokenError,
    ensure_join_token,
)


ARGUMENT_SPEC = dict(
    api_server_endpoint=dict(type="str", required=True),
    kubeadm_path=dict(type="str", default="kubeadm"),
    kubeconfig=dict(type="path", default="/etc/kubernetes/admin.conf"),
    ca_cert_path=dict(type="path", default="/etc/kubernetes/pki/ca.crt"),
    min_ttl=dict(type="str", default="30m"),
    ttl=dict(type="str", default="2h"),
    description=dict(type="str", default="kubelift join token"),
    control_plane=dict(type="bool", default=False),
    certificate_key=dict(type="str", no_log=True),
)


def _read_file(path):
    with open(path, "rb") as handle:
        return handle.read()


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    kubeadm = module.get_bin_path(module.params["kubeadm_path"], required=False, opt_dirs=["/usr/local/bin", "/usr/bin"])
    if kubeadm is None:
        module.fail_json(msg="kubeadm (%s) was not found on this node; install the Kubernetes binaries first"
                         % module.params["kubeadm_path"])
    params = dict(module.params, kubeadm_path=kubeadm)

    def run(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    try:
        result = ensure_join_token(run, _read_file, params, check_mode=module.check_mode)
    except KubeadmTokenError as exc:
        module.fail_json(msg="kubeadm_token: %s" % exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
