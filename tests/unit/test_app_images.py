"""Checks of the app_image role's builds (plugins/module_utils/app_images.py) and its Dockerfile templates."""

from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.kubelift.cluster.plugins.module_utils.app_images import image_build_problems, image_reference

ROOT = Path(__file__).resolve().parents[2]
GOOD = [
    {"name": "shop-php", "kind": "php", "tag": "8.3-1", "php_extensions": ["pdo_mysql", "gd"], "packages": ["libpng-dev"],
     "pecl_extensions": ["redis-6.1.0"], "src": "/srv/shop"},
    {"name": "shop/code", "kind": "code", "tag": "1.4.2", "src": "/srv/shop", "exclude": [".git", "node_modules/"]},
    {"name": "api", "kind": "python", "tag": "2024.1", "src": "/srv/api", "requirements": "requirements.txt",
     "pip_packages": ["gunicorn>=23,<24"]},
    {"name": "legacy", "kind": "php-debian", "tag": "8.2", "php_extensions": ["mysql", "intl"], "base_image": "mirror/debian:12"},
]


def test_good_builds():
    assert image_build_problems(GOOD, "registry.example.cn:5000/shop", True) == []
    assert image_build_problems(GOOD, "", False) == []


@pytest.mark.parametrize("build,registry,expected", [
    ({"name": "a", "kind": "code", "tag": "1", "src": "/a"}, "", "app_image_registry: is required to push"),
    ({"name": "a", "kind": "code", "tag": "1", "src": "/a"}, "bad registry!", "app_image_registry: 'bad registry!' is not host[:port][/path]"),
    ({"name": "Shop", "kind": "code", "tag": "1", "src": "/a"}, "r", "(Shop).name: 'Shop' is not an image repository name"),
    ({"name": "a", "kind": "ruby", "tag": "1"}, "r", "(a).kind: must be one of php, php-debian, python, code, nginx-debian, got 'ruby'"),
    ({"name": "a", "kind": "php", "tag": 1.4}, "r", "(a).tag: 1.4 is not an image tag (quote version numbers"),
    ({"name": "a", "kind": "php", "tag": "latest"}, "r", "(a).tag: use a version, not latest"),
    ({"name": "a", "kind": "code", "tag": "1"}, "r", "(a).src: is required for a code image"),
    ({"name": "a", "kind": "code", "tag": "1", "src": "srv/a"}, "r", "(a).src: must be an absolute directory"),
    ({"name": "a", "kind": "php", "tag": "1", "requirements": "r.txt"}, "r", "(a).requirements: only applies to python images"),
    ({"name": "a", "kind": "python", "tag": "1", "requirements": "r.txt"}, "r", "(a).requirements: needs src"),
    ({"name": "a", "kind": "python", "tag": "1", "src": "/a", "requirements": "../r.txt"}, "r",
     "(a).requirements: must be a path relative to src"),
    ({"name": "a", "kind": "python", "tag": "1", "php_extensions": ["gd"]}, "r", "(a).php_extensions: only applies to php"),
    ({"name": "a", "kind": "php-debian", "tag": "1", "pecl_extensions": ["redis"]}, "r",
     "(a).pecl_extensions: php-debian images take Debian packages"),
    ({"name": "a", "kind": "php", "tag": "1", "pip_packages": ["x"]}, "r", "(a).pip_packages: only applies to python images"),
    ({"name": "a", "kind": "code", "tag": "1", "src": "/a", "packages": ["curl"]}, "r", "(a).packages: code images have no package manager"),
    ({"name": "a", "kind": "php", "tag": "1", "packages": ["curl; rm -rf /"]}, "r", "(a).packages: must be a list of plain names"),
    ({"name": "a", "kind": "code", "tag": "1", "src": "/a", "exclude": ["--delete-all"]}, "r", "(a).exclude: must be a list of rsync patterns"),
    ({"name": "a", "kind": "php", "tag": "1", "dockerfile": "x"}, "r", "(a).dockerfile: unknown field"),
])
def test_problems(build, registry, expected):
    problems = image_build_problems([build], registry, True)
    assert any(expected in problem for problem in problems), problems


def test_duplicates_and_types():
    assert "app_image_builds: must be a list, got dict" in image_build_problems({}, "r", True)
    problems = image_build_problems([GOOD[0], dict(GOOD[0])], "r", True)
    assert any("(shop-php): shop-php:%s is already built by app_image_builds[0]" % GOOD[0]["tag"] in p for p in problems)


def test_one_repository_several_tags():
    releases = [{"name": "code", "kind": "code", "tag": tag, "src": "/srv/" + tag} for tag in ("v1", "v2", "v3")]
    assert image_build_problems(releases, "r", True) == []
    problems = image_build_problems(releases + [dict(releases[1], src="/srv/other")], "r", True)
    assert problems == ["app_image_builds[3] (code): code:v2 is already built by app_image_builds[1]"]


def test_reference():
    assert image_reference("registry.example.cn/shop/", {"name": "php", "tag": "1"}) == "registry.example.cn/shop/php:1"
    assert image_reference("", {"name": "php", "tag": "1"}) == "php:1"


def _render(kind, build, **settings):
    """Render a Dockerfile template with Ansible's own templar (its filters: comment, quote, regex_replace)."""
    variables = {"ansible_managed": "managed", "app_image_apt_mirror": "", "app_image_debian_php_version": "8.2",
                 "_app_image_base": "base:1", "_app_image_build": build}
    variables.update(settings)
    source = (ROOT / "roles/app_image/templates" / f"Dockerfile.{kind}.j2").read_text()
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(source))


def test_php_dockerfile():
    text = _render("php", GOOD[0], app_image_apt_mirror="http://mirrors.example.cn")
    assert "FROM base:1" in text
    assert "sed -i 's#http://deb.debian.org#http://mirrors.example.cn#g'" in text
    assert 'docker-php-ext-install -j"$(nproc)" pdo_mysql gd' in text
    assert "pecl install redis-6.1.0" in text and "docker-php-ext-enable redis" in text
    assert "COPY src/ /var/www/html/" in text and "STOPSIGNAL SIGQUIT" in text and "USER 33:33" in text


def test_php_debian_dockerfile():
    text = _render("php-debian", GOOD[3])
    assert "php8.2-fpm php8.2-mysql php8.2-intl" in text
    assert 'CMD ["php-fpm", "--nodaemonize"]' in text and "COPY" not in text


def test_nginx_debian_dockerfile():
    text = _render("nginx-debian", {"name": "nginx", "kind": "nginx-debian", "tag": "1", "packages": ["curl"]})
    assert "nginx-light curl" in text and 'CMD ["nginx", "-g", "daemon off;"]' in text and "USER 33:33" in text


def test_python_and_code_dockerfiles():
    python = _render("python", GOOD[2])
    assert "COPY src/requirements.txt /tmp/requirements.txt" in python
    assert "RUN pip install 'gunicorn>=23,<24'" in python and "COPY src/ /app/" in python
    assert "ARG PIP_INDEX_URL" in python
    code = _render("code", GOOD[1])
    assert "COPY src/ /src/" in code and "USER 33:33" in code
