"""The production setup as deploy/ describes it, run for real: two web servers (gunicorn with
deploy/gunicorn.conf.py and its defaults, 4 processes x 4 threads each) and two workers on one PostgreSQL database and
one Redis, started with the command lines of the systemd units and the settings of
deploy/aanwezig.env.example, migrated by both at once as the units do on deploy.

People enrolled through the API while the mail server is down each get exactly one mail once it
is up; the login limit holds across both servers; a token revoked on one server is refused by
the other at once; /readyz and /metrics (summed over each server's processes) answer. nginx
runs deploy/nginx/aanwezig.conf in front of both (only addresses, ports and a self-signed
certificate changed): HTTP goes to HTTPS, the app sees HTTPS (secure cookies, HSTS), the login
limit counts the address nginx saw, /metrics is not served through it.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.helpers.config import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.helpers.deploy import BIN, DEPLOY, read_env_file, unit_commands, with_unit_environment
from tests.helpers.preconditions import by_design_reason, missing
from tests.processes import ROOT, Relay, free_port, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not TEST_DATABASE_URL,
        reason=by_design_reason("the two-server test runs on PostgreSQL (TEST_DATABASE_URL)"),
    ),
]
PEOPLE = 60
PASSWORD = "long enough password"


# --- what deploy/ says, read from its files -----------------------------------------------------


# The name users reach the servers at (AANWEZIG_PUBLIC_URL), the only host they answer to.
PUBLIC_HOST = urlsplit(
    read_env_file(DEPLOY / "aanwezig.env.example")["AANWEZIG_PUBLIC_URL"]
).hostname


def database_urls() -> tuple[str, str]:
    assert TEST_DATABASE_URL
    base, name = TEST_DATABASE_URL.rsplit("/", 1)
    return f"{base}/{name}_multi", f"{base}/postgres"


class ProxiedSession(requests.Session):
    """Requests as the TLS-terminating proxy hands them on: X-Forwarded-Proto https (trusted by
    AANWEZIG_PROXY_COUNT=1), with the app's secure cookies sent back over this plain hop as the
    proxy would (requests itself keeps secure cookies for https:// addresses)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        # As the browser saw the page: over HTTPS at the public address (Flask-WTF checks the
        # referrer's origin), which nginx hands on as the Host.
        referer = f"https://{PUBLIC_HOST}/"
        self.headers.update({"X-Forwarded-Proto": "https", "Referer": referer, "Host": PUBLIC_HOST})

    def go(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("timeout", 15)
        kwargs.setdefault("allow_redirects", False)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)
        headers = {**kwargs.pop("headers", {}), **({"Cookie": cookies} if cookies else {})}
        response = self.request(method, self.base + path, headers=headers, **kwargs)
        assert "Secure" in response.headers.get("Set-Cookie", "Secure")  # as deploy/ sets it
        return response


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, token: str, **kwargs):  # type: ignore[no-untyped-def]
        return requests.request(
            method,
            self.url + "/api/v1" + path,
            # The Host nginx hands on: the servers answer no other (bar the health checks).
            headers={"Authorization": f"Bearer {token}", "Host": PUBLIC_HOST},
            timeout=15,
            **kwargs,
        )

    def browser(self) -> ProxiedSession:
        return ProxiedSession(self.url)


@dataclass
class Cluster:
    servers: list[Server]
    workers: list[subprocess.Popen]
    relay: Relay
    database_url: str
    env: dict[str, str]
    promotor_token: str = ""
    trainer_token: str = ""
    session_id: int = 0
    participants: list[int] = field(default_factory=list)

    def query(self, sql: str):  # type: ignore[no-untyped-def]
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).all()
        finally:
            engine.dispose()


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [f"{BIN}/flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).flushdb()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("two-servers")
    database_url, admin_url = database_urls()
    name = database_url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    _flush_redis()
    relay = Relay(delay=0.05)  # down until the mail test brings it up
    env = {**os.environ, **read_env_file(DEPLOY / "aanwezig.env.example")}
    for key in ("SMTP_USER", "SMTP_PASSWORD"):
        env.pop(key)  # the test's relay asks no login
    env.update(
        {
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": TEST_REDIS_URL,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(relay.port),
            "AANWEZIG_SMTP_STARTTLS": "false",
            # One instance folder for both servers, as an NFS mount would be (keys, uploads).
            "AANWEZIG_INSTANCE_PATH": str(folder / "instance"),
            "AANWEZIG_RATELIMIT_LOGIN": "5 per minute",
            # Faster than production so the test stays short; the mechanism is the same.
            "AANWEZIG_MAIL_RETRY_SECONDS": "1",
            "AANWEZIG_WORKER_POLL_SECONDS": "0.2",
            "AANWEZIG_WORKER_HEARTBEAT_SECONDS": "1",
            # The test counts the mails it causes: no digest of the real day among them.
            "AANWEZIG_DIGEST_TIME": "off",
        }
    )
    web, worker = unit_commands("aanwezig-web.service"), unit_commands("aanwezig-worker.service")
    web_env = with_unit_environment(env, web, folder / "run-upgrade")
    worker_env = with_unit_environment(env, worker, folder / "run-worker")
    # Both machines migrate at once on deploy (ExecStartPre): one waits for the other's lock.
    upgrades = [
        subprocess.Popen(
            web["ExecStartPre"][0],
            cwd=ROOT,
            env=web_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    # Both finish (and their pipes are closed) before either is judged.
    results = [(upgrade.communicate(timeout=120)[1], upgrade.returncode) for upgrade in upgrades]
    for errors, code in results:
        assert code == 0, errors
    for role in ("promotor", "trainer"):
        _flask(env, "create-user", f"{role}@example.org", "--role", role, "--branch", "Gent", "--password", PASSWORD, "--keep-password")  # fmt: skip
    promotor = _flask(env, "create-token", "promotor@example.org").strip().splitlines()[-1]
    trainer = _flask(env, "create-token", "trainer@example.org").strip().splitlines()[-1]

    servers: list[Server] = []
    workers: list[subprocess.Popen] = []
    try:
        for label in ("a", "b"):
            port = free_port()
            server_env = dict(web_env, AANWEZIG_BIND=f"127.0.0.1:{port}")
            for setting in web["Environment"]:
                key, _, value = setting[0].partition("=")
                server_env[key] = value.replace("/run/aanwezig-web", str(folder / f"run-{label}"))
            log = folder / f"web-{label}.log"
            with log.open("w") as out:  # the child keeps its own copy of the file
                process = subprocess.Popen(
                    web["ExecStart"][0], cwd=ROOT, env=server_env, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
            servers.append(Server(label, port, process, log))
        for number in range(2):
            with (folder / f"worker-{number}.log").open("w") as out:
                workers.append(
                    subprocess.Popen(
                        worker["ExecStart"][0],
                        cwd=ROOT,
                        env=worker_env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        for server in servers:
            wait_until(lambda s=server: _ready(s), 90, f"server {server.name} ready")
        cluster = Cluster(servers, workers, relay, database_url, env, promotor, trainer)
        _plan(cluster)
        yield cluster
    finally:
        for process in [*workers, *(server.process for server in servers)]:
            _stop(process)
        relay.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        _flush_redis()


def _ready(server: Server) -> bool:
    assert server.process.poll() is None, server.log.read_text()[-3000:]
    try:
        return requests.get(server.url + "/readyz", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def _plan(cluster: Cluster) -> None:
    a = cluster.servers[0]
    project = a.api("POST", "/projects", cluster.promotor_token, json={"name": "Multi", "number": "ESF-2"}).json()  # fmt: skip
    training = a.api(
        "POST",
        "/trainings",
        cluster.promotor_token,
        json={"project_id": project["id"], "name": "Excel", "mode": "classroom"},
    ).json()
    session = a.api(
        "POST",
        "/sessions",
        cluster.promotor_token,
        json={
            "training_id": training["id"],
            "date": datetime.now(ZoneInfo("Europe/Brussels")).date().isoformat(),
            "start": "00:00",
            "end": "23:59",
            "trainer_email": "trainer@example.org",
        },
    )
    assert session.status_code == 201, session.text
    cluster.session_id = session.json()["id"]


# --- the tests ----------------------------------------------------------------------------------


def test_people_enrolled_while_the_mail_server_is_down_each_get_exactly_one_mail(cluster):
    for number in range(PEOPLE):
        server = cluster.servers[number % 2]  # half through each server
        person = server.api(
            "POST",
            "/participants",
            cluster.promotor_token,
            json={"name": f"Person {number}", "email": f"person{number}@example.org"},
        )
        assert person.status_code == 201, person.text
        enrolled = server.api(
            "POST",
            f"/sessions/{cluster.session_id}/enrolments",
            cluster.promotor_token,
            json={"participant_id": person.json()["id"]},
        )
        assert enrolled.status_code in (200, 201), enrolled.text
        cluster.participants.append(person.json()["id"])

    def all_tried() -> bool:
        [(tried, total)] = cluster.query(
            "SELECT count(*) FILTER (WHERE attempts > 0 AND last_error IS NOT NULL), count(*) FROM jobs"
        )
        return total == PEOPLE and tried == PEOPLE

    wait_until(all_tried, 60, "every mail tried against the mail server that is down", step=0.5)
    assert cluster.relay.count() == 0
    cluster.relay.start()
    wait_until(lambda: cluster.relay.count() >= PEOPLE, 90, f"{PEOPLE} mails", step=0.2)
    time.sleep(2)  # a second copy of any of them would have arrived by now
    per_person: dict[str, int] = {}
    for item in cluster.relay.received:
        per_person[item.to] = per_person.get(item.to, 0) + 1
    assert per_person == {f"person{number}@example.org": 1 for number in range(PEOPLE)}
    assert len(cluster.relay.by_message_id()) == PEOPLE
    [(unsent, unfinished)] = cluster.query(
        "SELECT (SELECT count(*) FROM outbox_mails WHERE sent_at IS NULL),"
        " (SELECT count(*) FROM jobs WHERE finished_at IS NULL)"
    )
    assert (unsent, unfinished) == (0, 0)


def _login(server: Server, email: str, password: str) -> requests.Response:
    browser = server.browser()
    page = browser.go("GET", "/login")
    token = CSRF.search(page.text)
    assert token, page.text[:500]
    return browser.go(
        "POST", "/login", data={"csrf_token": token.group(1), "email": email, "password": password}
    )


def test_the_login_limit_holds_across_both_servers(cluster):
    _flush_redis()
    a, b = cluster.servers
    try:
        answers = [
            _login((a, b)[n % 2], "promotor@example.org", "wrong password").status_code
            for n in range(5)
        ]
        assert answers == [200] * 5  # refused logins, shown again with the error
        assert _login(a, "promotor@example.org", "wrong password").status_code == 429
        assert _login(b, "promotor@example.org", PASSWORD).status_code == 429
    finally:
        _flush_redis()


def _scan(server: Server, cluster: Cluster, person: int) -> requests.Response:
    code = server.api("GET", f"/participants/{person}/code", cluster.promotor_token).json()["code"]
    return server.api(
        "POST",
        "/scans",
        cluster.trainer_token,
        json={"session_id": cluster.session_id, "code": code, "nonce": uuid.uuid4().hex},
    )


def test_a_token_revoked_on_one_server_is_refused_on_the_other_at_once(cluster):
    a, b = cluster.servers
    people = cluster.participants[:6] or _enrol_some(cluster, 6)
    for person in people:  # the token is now known (cached) by B's processes
        assert _scan(b, cluster, person).status_code == 200
    _flush_redis()
    browser = a.browser()
    page = browser.go("GET", "/login")
    login = browser.go(
        "POST",
        "/login",
        data={
            "csrf_token": CSRF.search(page.text).group(1),  # type: ignore[union-attr]
            "email": "trainer@example.org",
            "password": PASSWORD,
        },
    )
    assert login.status_code == 302, login.text[:500]
    tokens = browser.go("GET", "/tokens")
    revoke = re.search(r'action="(/tokens/\d+/revoke)"', tokens.text)
    assert revoke, tokens.text[:500]
    revoked = browser.go(
        "POST",
        revoke.group(1),
        data={"csrf_token": CSRF.search(tokens.text).group(1)},  # type: ignore[union-attr]
    )
    assert revoked.status_code == 302
    for person in people:  # at once, on every process of the other server
        refused = _scan(b, cluster, person)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    listing = b.api("GET", "/sessions", cluster.trainer_token)
    assert listing.status_code == 401


def _enrol_some(cluster: Cluster, count: int) -> list[int]:
    a = cluster.servers[0]
    people = []
    for number in range(count):
        person = a.api("POST", "/participants", cluster.promotor_token, json={"name": f"Scan {number}", "email": f"scan{number}@example.org"}).json()  # fmt: skip
        a.api("POST", f"/sessions/{cluster.session_id}/enrolments", cluster.promotor_token, json={"participant_id": person["id"]})  # fmt: skip
        people.append(person["id"])
    return people


def _metric(page: str, name: str, **labels: str) -> float:
    pairs = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    wanted = name + ("{" + pairs + "}" if labels else "") + " "
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in page.splitlines() if line.startswith(wanted)
    )


def test_readyz_and_metrics_answer_for_each_server_as_a_whole(cluster):
    for server in cluster.servers:
        ready = requests.get(server.url + "/readyz", timeout=5).json()
        assert ready["status"] == "ready" and ready["checks"]["worker"]["mode"] == "separate"
        assert requests.get(server.url + "/healthz", timeout=5).json() == {"status": "ok"}
    a = cluster.servers[0]
    labels = {"method": "GET", "endpoint": "health.healthz", "status": "200"}
    scrape = lambda: requests.get(a.url + "/metrics", timeout=5).text  # noqa: E731
    before = _metric(scrape(), "aanwezig_request_duration_seconds_count", **labels)
    for _ in range(12):
        requests.get(a.url + "/healthz", timeout=5)
    # Whichever of A's four processes answers the scrape, it counts the others' requests too.
    for _ in range(3):
        page = scrape()
        assert _metric(page, "aanwezig_request_duration_seconds_count", **labels) == before + 12
    assert "aanwezig_outbox_backlog" in page and "aanwezig_worker_heartbeat_age_seconds" in page
    # JSON logs, as configured: a line per request from the app, parseable.
    import json

    lines = [json.loads(line) for line in a.log.read_text().splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/healthz" and line.get("status") == 200 for line in lines)


# --- nginx in front, with deploy/nginx/aanwezig.conf ---------------------------------------------

HOST = "aanwezig.example.org"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import ipaddress
    from datetime import UTC, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            # The address too: the test connects to 127.0.0.1 and verifies the certificate.
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "fullchain.pem", folder / "privkey.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def nginx_site(upstreams: list[int], http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/aanwezig.conf with this test's addresses, ports and certificate: everything
    else (TLS settings, headers handed on, the /metrics block) exactly as the file says."""
    site = (DEPLOY / "nginx" / "aanwezig.conf").read_text()
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in upstreams
    )
    replaced = {
        "    server 127.0.0.1:8000 max_fails=3 fail_timeout=10s;": servers,
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(key),
    }
    for old, new in replaced.items():
        assert old in site, f"deploy/nginx/aanwezig.conf no longer has {old!r}"
        site = site.replace(old, new)
    return site


@dataclass
class Proxy:
    http_port: int
    https_port: int
    certificate: Path

    def get(self, path: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("GET", path, **kwargs)

    def request(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        headers = {"Host": HOST, **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 15)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(
            method, f"https://127.0.0.1:{self.https_port}{path}", headers=headers, verify=str(self.certificate), **kwargs
        )  # fmt: skip


@pytest.fixture(scope="module")
def proxy(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    import shutil

    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        missing("nginx", "sudo apt-get install nginx (make proxy)")
    folder = tmp_path_factory.mktemp("nginx")
    cert, key = _self_signed(folder)
    found = Proxy(free_port(), free_port(), cert)
    site = folder / "aanwezig.conf"
    site.write_text(nginx_site([s.port for s in cluster.servers], found.http_port, found.https_port, cert, key))  # fmt: skip
    temp = "\n".join(
        f"  {kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )  # fmt: skip
    user = "user root root;" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n  access_log {folder}/access.log;\n{temp}\n  include {site};\n}}\n"
    )
    process = subprocess.Popen(
        [nginx, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def answers() -> bool:
        assert process.poll() is None, (folder / "error.log").read_text()[-3000:]
        try:
            return found.get("/healthz").status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(answers, 30, "nginx answers")
        yield found
    finally:
        _stop(process)


def test_nginx_sends_plain_http_to_https(proxy):
    answer = requests.get(
        f"http://127.0.0.1:{proxy.http_port}/login?next=/", headers={"Host": HOST}, timeout=10, allow_redirects=False
    )  # fmt: skip
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"https://{HOST}/login?next=/"


def test_behind_nginx_the_app_sees_https_secure_cookies_and_hsts(proxy):
    page = proxy.get("/login")
    assert page.status_code == 200
    assert "max-age=" in page.headers["Strict-Transport-Security"]
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    # Links the app builds for itself use the address the user typed, not the upstream's.
    assert "127.0.0.1" not in page.text


def _proxied_login(proxy: Proxy, email: str, spoofed: str) -> requests.Response:
    page = proxy.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text[:500]
    cookies = "; ".join(part.split(";", 1)[0] for part in page.headers["Set-Cookie"].split(", "))
    return proxy.request(
        "POST",
        "/login",
        data={"csrf_token": token.group(1), "email": email, "password": "wrong password"},
        headers={"Cookie": cookies, "Referer": f"https://{HOST}/login", "X-Forwarded-For": spoofed},
    )


def test_behind_nginx_a_client_cannot_choose_its_address_for_the_login_limit(proxy):
    """nginx replaces X-Forwarded-For, so a spoofed address does not buy a fresh limit; the
    requests alternate between both servers (round robin), so the limit is shared too."""
    _flush_redis()
    try:
        answers = [
            _proxied_login(proxy, f"nobody{n}@example.org", f"10.9.8.{n}").status_code
            for n in range(5)
        ]
        assert answers == [200] * 5  # refused, the form shown again
        assert _proxied_login(proxy, "nobody9@example.org", "10.9.8.99").status_code == 429
    finally:
        _flush_redis()


def test_nginx_hides_metrics_and_carries_the_api(proxy, cluster):
    assert proxy.get("/metrics").status_code == 404
    assert requests.get(cluster.servers[0].url + "/metrics", timeout=5).status_code == 200
    listing = proxy.get(
        "/api/v1/sessions", headers={"Authorization": f"Bearer {cluster.promotor_token}"}
    )
    assert listing.status_code == 200
    assert any(item["id"] == cluster.session_id for item in listing.json()["items"])


def test_a_request_for_another_host_is_refused_through_nginx_and_directly(proxy, cluster):
    """deploy/nginx hands any Host on (its one HTTPS server is the default); the app answers
    only its public address, so a poisoned Host never reaches a page, a redirect or a mail."""
    assert proxy.get("/password/forgotten").status_code == 200
    assert proxy.get("/password/forgotten", headers={"Host": "evil.example"}).status_code == 400
    # nginx replaces X-Forwarded-Host with the Host it was asked for: no way around it there.
    spoofed = proxy.get("/password/forgotten", headers={"X-Forwarded-Host": "evil.example"})
    assert spoofed.status_code == 200 and "evil.example" not in spoofed.text
    a = cluster.servers[0]
    assert requests.get(a.url + "/login", timeout=5).status_code == 400  # Host: 127.0.0.1:port
    # The machine endpoints answer on a server's own address (load balancer, Prometheus).
    assert requests.get(a.url + "/readyz", timeout=5).json()["checks"]["public_url"]["ok"]
    assert requests.get(a.url + "/metrics", timeout=5).status_code == 200
