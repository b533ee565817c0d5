# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bootstrap tokens and join commands for kubeadm, as plain functions.

* ``parse_token_list`` reads ``kubeadm token list -o json``. kubeadm prints one JSON object per token
  (kubeadm 1.20 prints them pretty-printed one after another, not as a list); a JSON list or a
  ``{"items": [...]}`` object is accepted as well.
* ``select_token`` picks a token that can still be used to join: usages authentication and signing, the
  kubeadm default node group, and at least ``min_ttl`` seconds left (or no expiry at all).
* ``ca_cert_hash`` computes the ``sha256:<hex>`` pin of a CA certificate: the SHA-256 of its DER
  SubjectPublicKeyInfo, read with a minimal DER walker (no openssl or python-cryptography needed on the node).
* ``ensure_join_token`` ties it together around an injected command runner, so it can be tested without
  a cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import json
import re

TOKEN_RE = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")
CERT_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_NODE_GROUP = "system:bootstrappers:kubeadm:default-node-token"
REQUIRED_USAGES = ("authentication", "signing")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


class KubeadmTokenError(Exception):
    """Something prevents producing a join command; the message says what and how to fix it."""


# --- parsing -----------------------------------------------------------------------------------------


def parse_duration(value):
    """Seconds in a Go-style duration ('2h', '1h30m', '45m0s', '90s', '0') or a plain number of seconds."""
    if isinstance(value, bool):
        raise KubeadmTokenError("duration %r is not a duration like 2h or 30m" % (value,))
    if isinstance(value, (int, float)):
        if value < 0:
            raise KubeadmTokenError("duration %r is negative" % (value,))
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if not text or _DURATION_RE.sub("", text) != "":
        raise KubeadmTokenError("duration %r is not a duration like 2h, 1h30m, 45m or 90s" % (value,))
    return int(sum(float(number) * _UNITS[unit] for number, unit in _DURATION_RE.findall(text)))


def parse_time(value):
    """An RFC 3339 timestamp as printed by kubeadm ('2026-12-01T10:00:00Z', offsets, fractions) -> aware UTC."""
    text = str(value).strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$", text)
    if not match:
        raise KubeadmTokenError("token expiry %r is not an RFC 3339 timestamp" % (value,))
    moment = datetime.datetime.strptime(match.group(1) + "T" + match.group(2), "%Y-%m-%dT%H:%M:%S")
    zone = match.group(4)
    offset = datetime.timedelta(0)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (moment - offset).replace(tzinfo=_UTC)


class _Utc(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(0)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return "UTC"


_UTC = _Utc()


def utc_now():
    return datetime.datetime.now(_UTC)


def _objects_from_json(data):
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return data["items"]
    return [data]


def parse_token_list(text):
    """List of token dicts from `kubeadm token list -o json` output (concatenated objects, a list, or items)."""
    text = (text or "").strip()
    if not text:
        return []
    decoder = json.JSONDecoder()
    objects = []
    position = 0
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        try:
            data, position = decoder.raw_decode(text, position)
        except ValueError as exc:
            raise KubeadmTokenError(
                "cannot read `kubeadm token list -o json` output (%s) near: %r" % (exc, text[position:position + 80]))
        objects.extend(_objects_from_json(data))
    tokens = []
    for item in objects:
        if not isinstance(item, dict) or "token" not in item:
            raise KubeadmTokenError("`kubeadm token list -o json` printed an object without a token: %r"
                                    % (_redact(item),))
        tokens.append(item)
    return tokens


def _redact(item):
    if isinstance(item, dict):
        return dict((key, "<hidden>" if key == "token" else value) for key, value in item.items())
    return item


# --- choosing a token --------------------------------------------------------------------------------


def token_remaining_seconds(token, now):
    """Seconds before the token expires; None when it never expires."""
    expires = token.get("expires")
    if not expires:
        return None
    return (parse_time(expires) - now).total_seconds()


def token_problem(token, now, min_ttl):
    """Why a listed token cannot be reused (None when it can)."""
    value = str(token.get("token") or "")
    if not TOKEN_RE.match(value):
        return "malformed token"
    usages = token.get("usages") or []
    missing = [usage for usage in REQUIRED_USAGES if usage not in usages]
    if missing:
        return "usages lack %s" % ", ".join(missing)
    if DEFAULT_NODE_GROUP not in (token.get("groups") or []):
        return "not in group %s" % DEFAULT_NODE_GROUP
    remaining = token_remaining_seconds(token, now)
    if remaining is not None and remaining <= 0:
        return "expired"
    if remaining is not None and remaining < min_ttl:
        return "expires in %ds, less than min_ttl %ds" % (int(remaining), min_ttl)
    return None


def select_token(tokens, now, min_ttl):
    """The usable token that lives longest (a token without expiry first), or None."""
    best = None
    best_remaining = None
    for token in tokens:
        if token_problem(token, now, min_ttl) is not None:
            continue
        remaining = token_remaining_seconds(token, now)
        if best is None or (best_remaining is not None and (remaining is None or remaining > best_remaining)):
            best, best_remaining = token, remaining
    return best


# --- CA certificate hash -----------------------------------------------------------------------------


def _der_element(data, offset):
    """(tag, value_start, end) of the DER element at offset."""
    if offset + 2 > len(data):
        raise KubeadmTokenError("CA certificate is truncated (DER element at byte %d)" % offset)
    tag = data[offset] if isinstance(data[offset], int) else ord(data[offset])
    first = data[offset + 1] if isinstance(data[offset + 1], int) else ord(data[offset + 1])
    if tag & 0x1F == 0x1F:
        raise KubeadmTokenError("CA certificate uses a multi-byte DER tag, which X.509 does not")
    if first < 0x80:
        length, header = first, 2
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + 2 + count > len(data):
            raise KubeadmTokenError("CA certificate has an invalid DER length at byte %d" % offset)
        length = int(binascii.hexlify(bytes(bytearray(data[offset + 2:offset + 2 + count]))), 16)
        header = 2 + count
    end = offset + header + length
    if end > len(data):
        raise KubeadmTokenError("CA certificate is truncated (element at byte %d runs past the end)" % offset)
    return tag, offset + header, end


def certificate_der(data):
    """DER bytes of the first certificate in PEM text/bytes (or the input when it is DER already)."""
    if isinstance(data, str):
        data = data.encode("ascii", "replace")
    marker = b"-----BEGIN CERTIFICATE-----"
    if marker in data:
        body = data.split(marker, 1)[1].split(b"-----END CERTIFICATE-----", 1)[0]
        try:
            return base64.b64decode(b"".join(body.split()))
        except (binascii.Error, ValueError) as exc:
            raise KubeadmTokenError("CA certificate PEM body is not base64: %s" % exc)
    return data


def subject_public_key_info(der):
    """The complete DER SubjectPublicKeyInfo element of an X.509 certificate."""
    tag, start, _end = _der_element(der, 0)
    if tag != 0x30:
        raise KubeadmTokenError("CA certificate is not a DER SEQUENCE (is the file a PEM or DER certificate?)")
    tag, position, tbs_end = _der_element(der, start)
    if tag != 0x30:
        raise KubeadmTokenError("CA certificate has no tbsCertificate SEQUENCE")
    tag, _value, end = _der_element(der, position)
    if tag == 0xA0:  # [0] EXPLICIT version, absent in v1 certificates
        position = end
    # serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo
    for expected in (0x02, 0x30, 0x30, 0x30, 0x30):
        tag, _value, end = _der_element(der, position)
        if tag != expected:
            raise KubeadmTokenError("CA certificate has an unexpected DER element 0x%02x in tbsCertificate" % tag)
        position = end
    tag, _value, end = _der_element(der, position)
    if tag != 0x30 or end > tbs_end:
        raise KubeadmTokenError("CA certificate has no SubjectPublicKeyInfo where X.509 puts it")
    return bytes(bytearray(der[position:end]))


def ca_cert_hash(data):
    """'sha256:<hex>' pin of a CA certificate (PEM or DER), as kubeadm join --discovery-token-ca-cert-hash wants."""
    return "sha256:" + hashlib.sha256(subject_public_key_info(certificate_der(data))).hexdigest()


# --- join command ------------------------------------------------------------------------------------


def join_command(api_server_endpoint, token, ca_hash, control_plane=False, certificate_key=None, kubeadm="kubeadm"):
    """The `kubeadm join ...` command line (contains the token: handle it as a secret)."""
    parts = [kubeadm, "join", api_server_endpoint, "--token", token, "--discovery-token-ca-cert-hash", ca_hash]
    if control_plane:
        parts.append("--control-plane")
        if certificate_key:
            parts.extend(["--certificate-key", certificate_key])
    return " ".join(parts)


def _check_params(params):
    endpoint = params.get("api_server_endpoint") or ""
    if not re.match(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$", endpoint):
        raise KubeadmTokenError(
            "api_server_endpoint %r must be host:port (for example 192.0.2.10:6443 or [2001:db8::1]:6443)" % endpoint)
    key = params.get("certificate_key")
    if key and not CERT_KEY_RE.match(key):
        raise KubeadmTokenError(
            "certificate_key must be 64 lowercase hex characters (as printed by `kubeadm certs certificate-key`)")
    if key and not params.get("control_plane"):
        raise KubeadmTokenError("certificate_key only makes sense with control_plane: true")
    min_ttl = parse_duration(params.get("min_ttl", "30m"))
    ttl = parse_duration(params.get("ttl", "2h"))
    if ttl != 0 and ttl <= min_ttl:
        raise KubeadmTokenError(
            "ttl (%ds) must be longer than min_ttl (%ds), or 0 for a token that never expires" % (ttl, min_ttl))
    return min_ttl


def ensure_join_token(run, read_file, params, check_mode=False, now=None):
    """Reuse or create a bootstrap token and return the join data.

    run(argv) -> (rc, stdout, stderr); read_file(path) -> bytes. params: api_server_endpoint, kubeadm_path,
    kubeconfig, ca_cert_path, min_ttl, ttl, description, control_plane, certificate_key.
    """
    min_ttl = _check_params(params)
    now = now or utc_now()
    kubeadm = params.get("kubeadm_path") or "kubeadm"
    kubeconfig = params.get("kubeconfig") or "/etc/kubernetes/admin.conf"
    ca_path = params.get("ca_cert_path") or "/etc/kubernetes/pki/ca.crt"
    try:
        ca_data = read_file(ca_path)
    except (IOError, OSError) as exc:
        raise KubeadmTokenError(
            "cannot read the cluster CA %s (%s): run this on an initialized control-plane node" % (ca_path, exc))
    ca_hash = ca_cert_hash(ca_data)

    argv = [kubeadm, "token", "list", "-o", "json", "--kubeconfig", kubeconfig]
    rc, out, err = run(argv)
    if rc != 0:
        raise KubeadmTokenError(
            "`%s` failed (rc=%d): %s -- is the control plane up and %s readable?"
            % (" ".join(argv), rc, (err or out).strip()[-500:], kubeconfig))
    tokens = parse_token_list(out)
    rejected = dict((str(t.get("token", ""))[:6], token_problem(t, now, min_ttl)) for t in tokens)
    rejected = dict((key, value) for key, value in rejected.items() if value)
    chosen = select_token(tokens, now, min_ttl)

    result = {"changed": False, "created": False, "would_create": False, "ca_cert_hash": ca_hash,
              "api_server_endpoint": params["api_server_endpoint"], "rejected_tokens": rejected}
    if chosen is None and check_mode:
        result.update(changed=True, would_create=True, token=None, token_id=None, expires=None, join_command=None)
        return result
    if chosen is None:
        argv = [kubeadm, "token", "create", "--ttl", str(params.get("ttl", "2h")),
                "--description", params.get("description") or "kubelift join token", "--kubeconfig", kubeconfig]
        rc, out, err = run(argv)
        if rc != 0:
            raise KubeadmTokenError(
                "`%s` failed (rc=%d): %s" % (" ".join(argv[:4]), rc, (err or out).strip()[-500:]))
        lines = [line.strip() for line in (out or "").splitlines() if line.strip()]
        token = lines[-1] if lines else ""
        if not TOKEN_RE.match(token):
            raise KubeadmTokenError("`kubeadm token create` printed no bootstrap token on its last line")
        ttl = parse_duration(params.get("ttl", "2h"))
        expires = None
        if ttl:
            expires = (now + datetime.timedelta(seconds=ttl)).strftime("%Y-%m-%dT%H:%M:%SZ")
        result.update(changed=True, created=True)
    else:
        token = chosen["token"]
        expires = chosen.get("expires")
    result.update(
        token=token,
        token_id=token.split(".", 1)[0],
        expires=expires,
        join_command=join_command(params["api_server_endpoint"], token, ca_hash,
                                  bool(params.get("control_plane")), params.get("certificate_key")),
    )
    return result
