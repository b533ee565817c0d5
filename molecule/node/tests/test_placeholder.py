def test_systemd_runs(host):
    assert host.service("containerd").is_running or host.file("/sbin/init").exists
