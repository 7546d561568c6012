"""Two `roadwork serve` processes on one database behind HAProxy serve the same users as one would.

Started by deploy/test after the Swift tests: it passes the built binary, the test database and its streaming standby
(the servers read from it, as a read replica). HAProxy balances round robin and names the server that answered in
X-Served-By, so each test can check that both servers took part.
"""
import http.client
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

BIN = os.environ["ROADWORK_TEST_BIN"]
DATABASE_URL = os.environ["ROADWORK_TEST_DATABASE_URL"]
STANDBY_URL = os.environ["ROADWORK_TEST_STANDBY_URL"]
STANDBY_ADMIN_URL = os.environ["ROADWORK_TEST_STANDBY_ADMIN_URL"]
BALANCER_PORT = int(os.environ.get("ROADWORK_TEST_BALANCER_PORT", "18130"))
SERVER_PORTS = (BALANCER_PORT + 1, BALANCER_PORT + 2)
PASSWORD = "two-servers-password"


def request(port, method, path, body=None, token=None, headers=None, timeout=10):
    """One request on a new connection (so the balancer picks a server for each); status, headers, parsed body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
                                    **(headers or {})})
        response = connection.getresponse()
        text = response.read()
        parsed = json.loads(text) if text and response.getheader("Content-Type", "").startswith(("application/json", "application/problem+json")) else None
        return response.status, response, parsed
    finally:
        connection.close()


def through_balancer(method, path, body=None, token=None):
    status, response, parsed = request(BALANCER_PORT, method, path, body, token)
    return status, response.getheader("X-Served-By"), parsed


def wait_until(check, what, seconds=20):
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"no {what} after {seconds} s"
        time.sleep(0.1)


def answers(port):
    try:
        return request(port, "GET", "/readyz", timeout=1)[0] == 200
    except OSError:
        return False


def servers_answering():
    """Which servers answered ten requests through HAProxy; none while it does not listen yet."""
    try:
        return {through_balancer("GET", "/readyz")[1] for _ in range(10)}
    except OSError:
        return set()


def cli(*args):
    subprocess.run([BIN, *args, "--database-url", DATABASE_URL, "--log-level", "warning"], input=PASSWORD + "\n", check=True,
                   capture_output=True, text=True, env={**os.environ, "ROADWORK_BCRYPT_COST": "4"})


@pytest.fixture(scope="module")
def cluster():
    """Two servers (with the standby as their read replica) and HAProxy in front; an organization with its people."""
    tag = uuid.uuid4().hex[:8]
    org = f"Two Servers {tag}"
    cli("org", "create", "--name", org, "--admin-email", f"admin-{tag}@example.com")
    people = {role: f"{role}-{tag}@example.com" for role in ("sales_head", "marketer", "rep", "locked")}
    for role, email in people.items():
        cli("user", "add", "--org", org, "--email", email, "--name", role, "--role", "rep" if role == "locked" else role)
    people["admin"] = f"admin-{tag}@example.com"
    env = {**os.environ, "ROADWORK_DATABASE_URL": DATABASE_URL, "ROADWORK_READ_DATABASE_URL": STANDBY_URL, "ROADWORK_BCRYPT_COST": "4",
           "ROADWORK_WEBHOOK_ALLOW_PRIVATE": "true", "ROADWORK_LOG_LEVEL": "info",
           # As the webhook process tests do: a delivery that fails once is tried again within a second, not after 30 s.
           "ROADWORK_WEBHOOK_BACKOFF_SECONDS": "0.2", "ROADWORK_WEBHOOK_BACKOFF_MAX_SECONDS": "1",
           # Every request comes from HAProxy's address, as do earlier suites' failed sign-ins: only the per-email count is tested.
           "ROADWORK_SIGNIN_MAX_FAILURES_PER_ADDRESS": "100000"}
    logs = tempfile.mkdtemp(prefix="roadwork-servers-")
    processes = [subprocess.Popen([BIN, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(f"{logs}/server-{port}.log", "w")) for port in SERVER_PORTS]
    config = f"{logs}/haproxy.cfg"
    with open(config, "w") as file:
        file.write(f"""
global
    maxconn 200
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend roadwork
    bind 127.0.0.1:{BALANCER_PORT}
    default_backend servers
backend servers
    balance roundrobin
    option httpchk GET /readyz
    http-response set-header X-Served-By %[srv_name]
    server one 127.0.0.1:{SERVER_PORTS[0]} check inter 500ms
    server two 127.0.0.1:{SERVER_PORTS[1]} check inter 500ms
""")
    processes.append(subprocess.Popen(["haproxy", "-db", "-f", config], stdout=subprocess.DEVNULL, stderr=open(f"{logs}/haproxy.log", "w")))
    try:
        for port in SERVER_PORTS:
            wait_until(lambda: answers(port), f"server on {port}")
        # HAProxy listens, and both servers are up as far as its health checks know, once ten answers come from both.
        wait_until(lambda: servers_answering() == {"one", "two"}, "both servers behind HAProxy")
        yield {"org": org, "people": people, "logs": logs}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def sign_in(email, password=PASSWORD):
    status, _, body = through_balancer("POST", "/api/v1/session", {"email": email, "password": password})
    assert status == 200, body
    return body["token"]


def test_a_session_opened_on_one_server_works_on_both_and_signing_out_ends_it_on_both(cluster):
    token = sign_in(cluster["people"]["rep"])
    served = [through_balancer("GET", "/api/v1/me", token=token)[:2] for _ in range(6)]
    assert {status for status, _ in served} == {200}
    assert {server for _, server in served} == {"one", "two"}
    status, _, _ = through_balancer("DELETE", "/api/v1/session", token=token)
    assert status == 204
    # Both servers had the session in their memory a moment ago; neither may keep answering for it.
    served = [through_balancer("GET", "/api/v1/me", token=token)[:2] for _ in range(6)]
    assert {status for status, _ in served} == {401}
    assert {server for _, server in served} == {"one", "two"}


def test_failed_sign_ins_count_whichever_server_saw_them(cluster):
    email = cluster["people"]["locked"]
    seen = set()
    for _ in range(5):
        status, server, _ = through_balancer("POST", "/api/v1/session", {"email": email, "password": "wrong"})
        assert status == 401
        seen.add(server)
    assert seen == {"one", "two"}
    # The sixth attempt, even with the right password, waits on either server.
    for port in SERVER_PORTS:
        status, response, _ = request(port, "POST", "/api/v1/session", {"email": email, "password": PASSWORD})
        assert status == 429 and int(response.getheader("Retry-After")) > 0


def test_a_person_reads_their_own_change_on_the_other_server_while_the_replica_lags(cluster):
    marketer, head = sign_in(cluster["people"]["marketer"]), sign_in(cluster["people"]["sales_head"])
    statement = f"Procurement wants a {uuid.uuid4().hex[:6]} clause"

    def listed(port, token):
        status, _, body = request(port, "GET", "/api/v1/objections?limit=200", token=token)
        assert status == 200, body
        return statement in [item["statement"] for item in body["items"]]

    # Both servers read from the replica (neither person wrote lately); then the replica stops replaying.
    assert not listed(SERVER_PORTS[1], marketer) and not listed(SERVER_PORTS[1], head)
    admin = subprocess.run(["psql", "-X", "-q", "-d", STANDBY_ADMIN_URL, "-c", "SELECT pg_wal_replay_pause()"], capture_output=True, text=True)
    assert admin.returncode == 0, admin.stderr
    try:
        status, _, body = request(SERVER_PORTS[0], "POST", "/api/v1/objections", {"statement": statement}, token=marketer)
        assert status == 201, body
        # The writer, on the other server, reads the primary; someone who did not write still reads the paused replica.
        assert listed(SERVER_PORTS[1], marketer)
        assert not listed(SERVER_PORTS[1], head)
    finally:
        subprocess.run(["psql", "-X", "-q", "-d", STANDBY_ADMIN_URL, "-c", "SELECT pg_wal_replay_resume()"], check=True, capture_output=True)
    wait_until(lambda: listed(SERVER_PORTS[1], head), "the change on the replica once it replays again")


class Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.received.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_every_event_is_delivered_once_whichever_server_filed_it(cluster):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        admin, rep = sign_in(cluster["people"]["admin"]), sign_in(cluster["people"]["rep"])
        status, _, body = through_balancer("POST", "/api/v1/webhooks", {"url": f"http://localhost:{receiver.server_port}/hook",
                                                                       "event_types": ["report.filed"]}, token=admin)
        assert status == 201, body
        filed, servers = set(), set()
        for number in range(20):
            status, server, body = through_balancer("POST", "/api/v1/reports", {"summary": f"Legal asked for a DPA, time {number}",
                                                                                "account": f"Account {number}"}, token=rep)
            assert status == 201, body
            filed.add(body["report"]["id"])
            servers.add(server)
        assert servers == {"one", "two"}
        try:
            wait_until(lambda: {event["object_id"] for event in Receiver.received} >= filed, "every report.filed event", seconds=30)
        except AssertionError as missing:
            # Say why: the servers log each failed delivery.
            failures = [line for port in SERVER_PORTS for line in open(f"{cluster['logs']}/server-{port}.log") if "webhook" in line]
            raise AssertionError(f"{missing}; {len(Receiver.received)} of {len(filed)} received; server log: {failures[-5:]}")
        time.sleep(1)  # a second delivery of any event (two workers taking one) would arrive by now
        ids = [event["id"] for event in Receiver.received]
        assert len(ids) == len(set(ids)) == len(filed)
    finally:
        receiver.shutdown()


def test_a_review_page_on_one_server_hears_a_change_made_on_the_other(cluster):
    head = sign_in(cluster["people"]["sales_head"])
    status, _, body = request(SERVER_PORTS[0], "POST", "/api/v1/reviews", token=head)
    assert status == 201, body
    # The page's live stream on server two, signed in with the head's session cookie.
    stream = socket.create_connection(("127.0.0.1", SERVER_PORTS[1]), timeout=10)
    try:
        stream.sendall(f"GET /review/events HTTP/1.1\r\nHost: localhost\r\nCookie: roadwork_session={head}\r\n\r\n".encode())
        heard = b""
        while b"retry:" not in heard:
            heard += stream.recv(4096)
        assert b" 200 " in heard.split(b"\r\n")[0]
        status, _, body = request(SERVER_PORTS[0], "PUT", f"/api/v1/reviews/{body['id']}/lineup",
                                  {"opportunities": [], "obstacles": [], "notes": "Heard on the other server"}, token=head)
        assert status == 200, body
        while b"event: review" not in heard:
            chunk = stream.recv(4096)
            assert chunk, "the stream ended before the change was heard"
            heard += chunk
    finally:
        stream.close()
