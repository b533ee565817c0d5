"""kubeadm_token: token list parsing, token choice, CA pin and the module against a mocked kubeadm."""

import datetime
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible.module_utils.testing import patch_module_args

from ansible_collections.kubelift.cluster.plugins.module_utils import kubeadm_token as kt
from ansible_collections.kubelift.cluster.plugins.modules import kubeadm_token as module

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
GROUP = "system:bootstrappers:kubeadm:default-node-token"
VALID = "abcdef.0123456789abcdef"
OTHER = "zyxwvu.abcdefghijklmnop"
NEW = "newtok.qrstuvwxyz012345"


def token(value=VALID, hours=20.0, usages=("signing", "authentication"), groups=(GROUP,), expires=True):
    item = {"kind": "BootstrapToken", "apiVersion": "output.kubeadm.k8s.io/v1alpha1", "token": value,
            "description": "test", "usages": list(usages), "groups": list(groups)}
    if expires:
        item["expires"] = (NOW + datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return item


def kubeadm_120_output(*items):
    """kubeadm 1.20 prints each token as its own indented JSON object, one after the other."""
    return "".join(json.dumps(item, indent=4) + "\n" for item in items)


# --- durations and times -----------------------------------------------------------------------------


@pytest.mark.parametrize("value, seconds", [("2h", 7200), ("1h30m", 5400), ("45m0s", 2700), ("90s", 90),
                                            ("0", 0), (600, 600), ("24h0m0s", 86400), ("1.5h", 5400),
                                            ("1500ms", 1)])
def test_parse_duration(value, seconds):
    assert kt.parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "2 hours", "h", "-5m", True, -1, "5d"])
def test_parse_duration_rejects(value):
    with pytest.raises(kt.KubeadmTokenError):
        kt.parse_duration(value)


@pytest.mark.parametrize("value", ["2026-11-30T12:00:00Z", "2026-11-30T20:00:00+08:00", "2026-11-30T12:00:00.123456Z",
                                   "2026-11-30T07:00:00-0500"])
def test_parse_time(value):
    assert kt.parse_time(value) == NOW


def test_parse_time_rejects_garbage():
    with pytest.raises(kt.KubeadmTokenError, match="RFC 3339"):
        kt.parse_time("tomorrow")


# --- token list parsing ------------------------------------------------------------------------------


def test_parse_kubeadm_120_concatenated_objects():
    tokens = kt.parse_token_list(kubeadm_120_output(token(VALID), token(OTHER)))
    assert [t["token"] for t in tokens] == [VALID, OTHER]


@pytest.mark.parametrize("render", [lambda items: json.dumps(items),
                                    lambda items: json.dumps({"kind": "List", "items": items}),
                                    lambda items: "\n".join(json.dumps(i) for i in items)])
def test_parse_list_items_and_json_lines(render):
    tokens = kt.parse_token_list(render([token(VALID), token(OTHER)]))
    assert [t["token"] for t in tokens] == [VALID, OTHER]


@pytest.mark.parametrize("text", ["", "   \n", None])
def test_parse_empty_output(text):
    assert kt.parse_token_list(text) == []


def test_parse_garbage_fails_clearly():
    with pytest.raises(kt.KubeadmTokenError, match="cannot read"):
        kt.parse_token_list("TOKEN  TTL  EXPIRES\nabcdef.0123456789abcdef 23h")


def test_parse_object_without_token_fails_without_leaking():
    with pytest.raises(kt.KubeadmTokenError, match="without a token") as info:
        kt.parse_token_list(json.dumps({"kind": "Status", "message": "x"}))
    assert VALID not in str(info.value)


# --- choosing a token --------------------------------------------------------------------------------


def test_valid_token_is_reused():
    assert kt.select_token([token(VALID)], NOW, 1800)["token"] == VALID


@pytest.mark.parametrize(
    "item, reason",
    [
        (token(hours=-1), "expired"),
        (token(hours=0.25), "less than min_ttl"),
        (token(usages=("signing",)), "usages lack authentication"),
        (token(usages=("authentication",)), "usages lack signing"),
        (token(groups=("system:bootstrappers:other",)), "not in group"),
        (token(value="ABCDEF.0123456789abcdef"), "malformed"),
    ],
)
def test_unusable_tokens(item, reason):
    assert reason in kt.token_problem(item, NOW, 1800)
    assert kt.select_token([item], NOW, 1800) is None


def test_longest_lived_token_wins_and_no_expiry_is_longest():
    short, longer = token(VALID, hours=2), token(OTHER, hours=20)
    assert kt.select_token([short, longer], NOW, 1800)["token"] == OTHER
    forever = token(NEW, expires=False)
    assert kt.select_token([short, forever, longer], NOW, 1800)["token"] == NEW
    assert kt.select_token([forever, longer], NOW, 1800)["token"] == NEW


# --- CA certificate pin ------------------------------------------------------------------------------


def _certificate(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True))
    return builder.sign(key, hashes.SHA256())


def _expected_pin(cert):
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(spki).hexdigest()


@pytest.fixture(scope="module", params=["rsa2048", "rsa4096", "ecp256"])
def ca_cert(request):
    if request.param == "ecp256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(request.param[3:]))
    return _certificate(key)


def test_ca_hash_of_pem_matches_cryptography(ca_cert):
    pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    assert kt.ca_cert_hash(pem) == _expected_pin(ca_cert)
    assert kt.ca_cert_hash(pem.decode()) == _expected_pin(ca_cert)


def test_ca_hash_of_der_matches_cryptography(ca_cert):
    assert kt.ca_cert_hash(ca_cert.public_bytes(serialization.Encoding.DER)) == _expected_pin(ca_cert)


def _der(tag, body):
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _children(data):
    position, items = 0, []
    while position < len(data):
        tag, start, end = kt._der_element(data, position)
        items.append((tag, data[position:end]))
        position = end
    return items


def test_ca_hash_of_a_v1_certificate_without_version_field():
    cert = _certificate(ec.generate_private_key(ec.SECP256R1()))
    der = cert.public_bytes(serialization.Encoding.DER)
    _tag, start, end = kt._der_element(der, 0)
    outer = _children(der[start:end])
    _tag, tbs_start, tbs_end = kt._der_element(outer[0][1], 0)
    tbs_items = _children(outer[0][1][tbs_start:tbs_end])
    assert tbs_items[0][0] == 0xA0
    tbs_v1 = _der(0x30, b"".join(item for tag, item in tbs_items[1:] if tag != 0xA3))  # no version, no extensions
    v1 = _der(0x30, tbs_v1 + outer[1][1] + outer[2][1])
    assert kt.ca_cert_hash(v1) == _expected_pin(cert)


@pytest.mark.parametrize("data, message", [
    (b"", "truncated"),
    (b"\x02\x01\x00", "not a DER SEQUENCE"),
    (b"\x30\x05\x30\x03\x02\x01", "truncated"),
    (b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "truncated|not base64"),
])
def test_broken_certificates_fail_clearly(data, message):
    with pytest.raises(kt.KubeadmTokenError, match=message):
        kt.ca_cert_hash(data)


def test_join_command():
    assert kt.join_command("192.0.2.1:6443", VALID, "sha256:ab") == (
        "kubeadm join 192.0.2.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:ab")
    assert kt.join_command("lb:6443", VALID, "sha256:ab", True, "f" * 64).endswith(
        "--control-plane --certificate-key " + "f" * 64)
    assert kt.join_command("lb:6443", VALID, "sha256:ab", True).endswith("--control-plane")


# --- ensure_join_token against a mocked kubeadm ------------------------------------------------------


class FakeKubeadm:
    """Records argv and answers `token list` / `token create` from canned results."""

    def __init__(self, listed=(), list_rc=0, list_err="", create_rc=0, create_out=NEW + "\n", create_err=""):
        self.calls = []
        self.listed, self.list_rc, self.list_err = listed, list_rc, list_err
        self.create_rc, self.create_out, self.create_err = create_rc, create_out, create_err

    def __call__(self, argv):
        self.calls.append(list(argv))
        if argv[1:3] == ["token", "list"]:
            return self.list_rc, kubeadm_120_output(*self.listed), self.list_err
        if argv[1:3] == ["token", "create"]:
            return self.create_rc, self.create_out, self.create_err
        raise AssertionError("unexpected command %r" % argv)

    @property
    def created(self):
        return [c for c in self.calls if c[1:3] == ["token", "create"]]


@pytest.fixture(scope="module")
def ca_pem():
    return _certificate(ec.generate_private_key(ec.SECP256R1())).public_bytes(serialization.Encoding.PEM)


def params(**overrides):
    base = {"api_server_endpoint": "192.0.2.100:6443", "kubeadm_path": "/usr/bin/kubeadm",
            "kubeconfig": "/etc/kubernetes/admin.conf", "ca_cert_path": "/etc/kubernetes/pki/ca.crt",
            "min_ttl": "30m", "ttl": "2h", "description": "kubelift join token", "control_plane": False,
            "certificate_key": None}
    base.update(overrides)
    return base


def ensure(fake, ca_pem, check_mode=False, **overrides):
    return kt.ensure_join_token(fake, lambda path: ca_pem, params(**overrides), check_mode=check_mode, now=NOW)


def test_valid_token_reuse_creates_nothing(ca_pem):
    fake = FakeKubeadm(listed=[token(VALID)])
    result = ensure(fake, ca_pem)
    assert fake.calls == [["/usr/bin/kubeadm", "token", "list", "-o", "json", "--kubeconfig",
                           "/etc/kubernetes/admin.conf"]]
    assert result["changed"] is False and result["created"] is False
    assert result["token"] == VALID and result["token_id"] == "abcdef"
    assert result["join_command"] == ("kubeadm join 192.0.2.100:6443 --token %s --discovery-token-ca-cert-hash %s"
                                      % (VALID, result["ca_cert_hash"]))
    assert result["ca_cert_hash"] == kt.ca_cert_hash(ca_pem)


def test_expired_token_leads_to_a_new_one(ca_pem):
    fake = FakeKubeadm(listed=[token(VALID, hours=-3)])
    result = ensure(fake, ca_pem)
    assert fake.created == [["/usr/bin/kubeadm", "token", "create", "--ttl", "2h", "--description",
                             "kubelift join token", "--kubeconfig", "/etc/kubernetes/admin.conf"]]
    assert result["changed"] is True and result["created"] is True
    assert result["token"] == NEW
    assert result["expires"] == "2026-11-30T14:00:00Z"
    assert result["rejected_tokens"] == {"abcdef": "expired"}


def test_short_lived_token_leads_to_a_new_one(ca_pem):
    fake = FakeKubeadm(listed=[token(VALID, hours=0.2)])
    assert ensure(fake, ca_pem, min_ttl="1h")["token"] == NEW
    assert len(fake.created) == 1


def test_no_token_leads_to_a_new_one(ca_pem):
    fake = FakeKubeadm(listed=[], create_out="W1130 warning on stdout\n" + NEW + "\n")
    result = ensure(fake, ca_pem, ttl="0")
    assert result["token"] == NEW and result["expires"] is None
    assert fake.created[0][3:5] == ["--ttl", "0"]


def test_check_mode_never_creates(ca_pem):
    fake = FakeKubeadm(listed=[token(VALID, hours=-1)])
    result = ensure(fake, ca_pem, check_mode=True)
    assert fake.created == []
    assert result["changed"] is True and result["would_create"] is True
    assert result["token"] is None and result["join_command"] is None


def test_check_mode_still_reuses_a_valid_token(ca_pem):
    fake = FakeKubeadm(listed=[token(VALID)])
    result = ensure(fake, ca_pem, check_mode=True)
    assert result["changed"] is False and result["token"] == VALID


def test_control_plane_join_command(ca_pem):
    result = ensure(FakeKubeadm(listed=[token(VALID)]), ca_pem, control_plane=True, certificate_key="a" * 64)
    assert result["join_command"].endswith("--control-plane --certificate-key " + "a" * 64)


def test_list_failure_is_a_clear_error(ca_pem):
    fake = FakeKubeadm(list_rc=1, list_err="error: couldn't connect: connection refused")
    with pytest.raises(kt.KubeadmTokenError, match=r"token list -o json.*rc=1.*connection refused.*admin.conf"):
        ensure(fake, ca_pem)


def test_create_failure_is_a_clear_error(ca_pem):
    fake = FakeKubeadm(listed=[], create_rc=1, create_err="timed out waiting for the condition")
    with pytest.raises(kt.KubeadmTokenError, match=r"token create.*rc=1.*timed out"):
        ensure(fake, ca_pem)


def test_create_without_token_output_fails(ca_pem):
    with pytest.raises(kt.KubeadmTokenError, match="printed no bootstrap token"):
        ensure(FakeKubeadm(listed=[], create_out="something else\n"), ca_pem)


def test_missing_ca_fails_before_kubeadm_runs():
    fake = FakeKubeadm()

    def missing(path):
        raise IOError(2, "No such file or directory")

    with pytest.raises(kt.KubeadmTokenError, match="cannot read the cluster CA /etc/kubernetes/pki/ca.crt"):
        kt.ensure_join_token(fake, missing, params(), now=NOW)
    assert fake.calls == []


@pytest.mark.parametrize("overrides, message", [
    ({"api_server_endpoint": "192.0.2.100"}, "host:port"),
    ({"ttl": "20m"}, "must be longer than min_ttl"),
    ({"certificate_key": "a" * 64}, "only makes sense with control_plane"),
    ({"control_plane": True, "certificate_key": "xyz"}, "64 lowercase hex"),
    ({"min_ttl": "soon"}, "not a duration"),
])
def test_bad_parameters(ca_pem, overrides, message):
    with pytest.raises(kt.KubeadmTokenError, match=message):
        ensure(FakeKubeadm(), ca_pem, **overrides)


def test_ipv6_endpoint_is_accepted(ca_pem):
    result = ensure(FakeKubeadm(listed=[token(VALID)]), ca_pem, api_server_endpoint="[2001:db8::1]:6443")
    assert "join [2001:db8::1]:6443 " in result["join_command"]


# --- the module itself -------------------------------------------------------------------------------


class _Exit(Exception):
    def __init__(self, kind, result):
        super().__init__(kind)
        self.kind, self.result = kind, result


def _run_module(monkeypatch, args, run_command, check_mode=False, bin_path="/usr/bin/kubeadm", ca=b""):
    from ansible.module_utils import basic

    def exit_json(self, **kwargs):
        raise _Exit("exit", kwargs)

    def fail_json(self, msg, **kwargs):
        raise _Exit("fail", dict(kwargs, msg=msg))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, *a, **k: bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: run_command(argv))
    monkeypatch.setattr(module, "_read_file", lambda path: ca)
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(_Exit) as info:
            module.main()
    return info.value


def test_module_reuses_token(monkeypatch, ca_pem):
    fake = FakeKubeadm(listed=[token(VALID, hours=1000)])
    outcome = _run_module(monkeypatch, {"api_server_endpoint": "192.0.2.100:6443"}, fake, ca=ca_pem)
    assert outcome.kind == "exit"
    assert outcome.result["token"] == VALID and outcome.result["changed"] is False


def test_module_check_mode_reports_would_create(monkeypatch, ca_pem):
    fake = FakeKubeadm(listed=[])
    outcome = _run_module(monkeypatch, {"api_server_endpoint": "192.0.2.100:6443"}, fake, check_mode=True, ca=ca_pem)
    assert outcome.kind == "exit" and outcome.result["would_create"] is True and fake.created == []


def test_module_kubeadm_failure_fails_json(monkeypatch, ca_pem):
    fake = FakeKubeadm(list_rc=1, list_err="Unauthorized")
    outcome = _run_module(monkeypatch, {"api_server_endpoint": "192.0.2.100:6443"}, fake, ca=ca_pem)
    assert outcome.kind == "fail"
    assert outcome.result["msg"].startswith("kubeadm_token: `/usr/bin/kubeadm token list -o json")
    assert "Unauthorized" in outcome.result["msg"]


def test_module_without_kubeadm_fails_json(monkeypatch, ca_pem):
    outcome = _run_module(monkeypatch, {"api_server_endpoint": "192.0.2.100:6443"}, FakeKubeadm(), bin_path=None,
                          ca=ca_pem)
    assert outcome.kind == "fail" and "was not found on this node" in outcome.result["msg"]


def test_documentation_matches_the_argument_spec():
    import yaml

    doc = yaml.safe_load(module.DOCUMENTATION)
    yaml.safe_load(module.EXAMPLES)
    returned = yaml.safe_load(module.RETURN)
    assert set(doc["options"]) == set(module.ARGUMENT_SPEC)
    for name, spec in module.ARGUMENT_SPEC.items():
        assert doc["options"][name]["type"] == spec["type"], name
        assert doc["options"][name].get("default") == spec.get("default"), name
        assert doc["options"][name].get("required", False) == spec.get("required", False), name
    assert module.ARGUMENT_SPEC["certificate_key"]["no_log"] is True
    assert {"token", "join_command", "ca_cert_hash", "would_create", "created"} <= set(returned)
    assert doc["attributes"]["check_mode"]["support"] == "full"


def test_ca_hash_matches_the_openssl_pipeline(tmp_path, ca_cert):
    # The pipeline the kubeadm docs give: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed for this cross-check"
    pem = tmp_path / "ca.crt"
    pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    public = subprocess.run([openssl, "x509", "-pubkey", "-noout", "-in", str(pem)], capture_output=True, check=True)
    der = subprocess.run([openssl, "pkey", "-pubin", "-outform", "der"], input=public.stdout, capture_output=True,
                         check=True)
    assert kt.ca_cert_hash(pem.read_bytes()) == "sha256:" + hashlib.sha256(der.stdout).hexdigest()
