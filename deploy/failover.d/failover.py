"""Failover cases against real PostgreSQL nodes on loopback and one real server; called by deploy/failover-test.

Each case builds its own nodes (a primary `a` and a synchronous standby `b`; for the replica case also `c`, which serves
reads, with `synchronous_standby_names = 'ANY 1 (b, c)'`), starts one `roadwork serve` with a multi-host write URL, lets
writers file reports with Idempotency-Keys (retrying a refused or cut-off request with the same key, as a well-made
client does) and readers read the backlog, does something bad to a node, and then checks on the surviving primary that
every acknowledged report is there exactly once.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

BIN = os.environ["ROADWORK_BIN"]
BASE_DIR = Path(os.environ["FAILOVER_DIR"])
PG_BIN = "/usr/lib/postgresql/15/bin"
SERVER_PORT = int(os.environ.get("FAILOVER_HTTP_PORT", "18121"))
FIRST_PG_PORT = int(os.environ.get("FAILOVER_PG_PORT", "5601"))
DEADLINE = 2  # ROADWORK_DB_DEADLINE_SECONDS and the connect timeout the server runs with here
WRITERS, READERS = 8, 2
PASSWORD = "failover-password"


def log(message):
    print(f"==> {message}", flush=True)


def as_postgres(*args, check=True):
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], check=check, capture_output=True, text=True)


class Node:
    def __init__(self, case_dir, name, port):
        self.name, self.port = name, port
        self.dir = case_dir / name
        self.data = self.dir / "data"

    def settings(self):
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"""
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.dir}/run'
cluster_name = '{self.name}'
max_connections = 100
shared_buffers = 128MB
logging_collector = off
""")

    def create_primary(self):
        self.prepare()
        as_postgres(f"{PG_BIN}/initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.settings()

    def create_standby(self, primary):
        self.prepare()
        # -R writes primary_conninfo and standby.signal; cluster_name becomes the standby's application_name.
        as_postgres(f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D", str(self.data),
                    "-R", "-X", "stream", "-c", "fast")
        self.settings()

    def prepare(self):
        (self.dir / "run").mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dir, "postgres", "postgres")
        shutil.chown(self.dir / "run", "postgres", "postgres")

    def start(self):
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def promote(self):
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-w", "promote")

    def processes(self):
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        return [postmaster, *map(int, children)]

    def signal_all(self, number):
        for pid in self.processes():
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass

    def sql(self, text, db="roadwork"):
        result = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                                 "-d", db, "-tA", "-c", text], check=True, capture_output=True, text=True)
        return result.stdout.strip()

    def url(self, user):
        return f"postgresql://{user}@127.0.0.1:{self.port}/roadwork"


def build_nodes(case, names, synchronous):
    case_dir = BASE_DIR / case
    if case_dir.exists():
        for name in names:
            Node(case_dir, name, 0).stop("immediate")
        shutil.rmtree(case_dir)
    case_dir.mkdir(parents=True)
    shutil.chown(case_dir, "postgres", "postgres")
    nodes = [Node(case_dir, name, FIRST_PG_PORT + index) for index, name in enumerate(names)]
    primary = nodes[0]
    primary.create_primary()
    primary.start()
    primary.sql("CREATE ROLE roadwork_owner LOGIN CREATEDB CREATEROLE; CREATE ROLE roadwork_app LOGIN NOBYPASSRLS", db="postgres")
    primary.sql("CREATE DATABASE roadwork OWNER roadwork_owner", db="postgres")
    primary.sql("ALTER SCHEMA public OWNER TO roadwork_owner")
    subprocess.run([BIN, "migrate", "--database-url", primary.url("roadwork_owner"), "--log-level", "warning"], check=True, capture_output=True)
    for command in (["org", "create", "--name", "Failover Co", "--admin-email", "admin@failover.example"],
                    ["user", "add", "--org", "Failover Co", "--email", "rep@failover.example", "--name", "Riley Rep", "--role", "rep"]):
        subprocess.run([BIN, *command, "--database-url", primary.url("roadwork_app"), "--log-level", "warning"], input=PASSWORD + "\n",
                       check=True, capture_output=True, text=True, env={**os.environ, "ROADWORK_BCRYPT_COST": "4"})
    for standby in nodes[1:]:
        standby.create_standby(primary)
        standby.start()
    # Set after the base backups, so a promoted standby does not wait for standbys of its own.
    primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = '{synchronous}'", db="postgres")
    primary.sql("SELECT pg_reload_conf()", db="postgres")
    wait_for(lambda: primary.sql("SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')", db="postgres") != "0",
             "a synchronous standby")
    return nodes


def wait_for(check, what, seconds=30):
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise SystemExit(f"failover-test: no {what} after {seconds} s")
        time.sleep(0.1)


def start_server(case, write_nodes, read_node):
    hosts = ",".join(f"127.0.0.1:{node.port}" for node in write_nodes)
    env = {**os.environ,
           "ROADWORK_DATABASE_URL": f"postgresql://roadwork_app@{hosts}/roadwork?target_session_attrs=read-write",
           "ROADWORK_READ_DATABASE_URL": read_node.url("roadwork_app"),
           "ROADWORK_DB_DEADLINE_SECONDS": str(DEADLINE), "ROADWORK_DB_CONNECT_TIMEOUT_SECONDS": str(DEADLINE),
           "ROADWORK_PORT": str(SERVER_PORT), "ROADWORK_POOL_SIZE": "8", "ROADWORK_BCRYPT_COST": "4", "ROADWORK_LOG_LEVEL": "info"}
    log_path = BASE_DIR / f"{case}-server.log"
    process = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    wait_for(lambda: process.poll() is None and status("GET", "/readyz")[0] == 200, "ready server")
    return process, log_path


def status(method, path, body=None, headers=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", SERVER_PORT, timeout=timeout)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    except OSError as error:
        return None, str(error).encode()
    finally:
        connection.close()


class Load:
    """Writers filing with Idempotency-Keys and readers of the backlog, each answer recorded with its time."""

    def __init__(self, case, token):
        self.case, self.token = case, token
        self.running = True
        self.lock = threading.Lock()
        self.acked = {}  # Idempotency-Key → report id, from the first 2xx answer
        self.writes, self.reads = [], []  # (monotonic time, status or None for a cut-off connection)
        self.threads = [threading.Thread(target=self.write, args=(n,)) for n in range(WRITERS)]
        self.threads += [threading.Thread(target=self.read) for _ in range(READERS)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.join()

    def write(self, writer):
        headers = {"Authorization": f"Bearer {self.token}"}
        number = 0
        while self.running:
            key = f"{self.case}-{writer}-{number}"
            body = {"summary": f"Prospect {number % 97} asked for the SOC 2 report again", "account": f"Account {writer}-{number % 50}"}
            while self.running:
                code, text = status("POST", "/api/v1/reports", body, {**headers, "Idempotency-Key": key})
                with self.lock:
                    self.writes.append((time.monotonic(), code))
                    if code in (200, 201):
                        self.acked.setdefault(key, json.loads(text)["report"]["id"])
                if code in (200, 201):
                    break
                time.sleep(0.05)  # a refused or cut-off filing is sent again with the same key
            number += 1

    def read(self):
        while self.running:
            code, _ = status("GET", "/api/v1/backlog?limit=20", headers={"Authorization": f"Bearer {self.token}"})
            with self.lock:
                self.reads.append((time.monotonic(), code))
            if code != 200:
                time.sleep(0.05)


def longest_gap(events, start, end):
    """The longest stretch within [start, end] without a successful answer."""
    times = [start] + sorted(t for t, code in events if code in (200, 201) and start <= t <= end) + [end]
    return max(b - a for a, b in zip(times, times[1:]))


def first_success_after(events, moment):
    return min((t for t, code in events if code in (200, 201) and t >= moment), default=None)


def verify(primary, acked):
    """Every acknowledged report is on the primary, once; every stored key has exactly one report."""
    org = primary.sql("SELECT id FROM organizations WHERE name = 'Failover Co'")
    keys = set(primary.sql(f"SELECT key FROM idempotency_keys WHERE org_id = '{org}'").split())
    ids = set(primary.sql(f"SELECT id FROM field_reports WHERE org_id = '{org}'").split())
    missing_keys = [key for key in acked if key not in keys]
    missing_reports = [key for key, report in acked.items() if report not in ids]
    return {"acknowledged": len(acked), "lost": len(set(missing_keys) | set(missing_reports)), "reports": len(ids), "keys": len(keys)}


def run_case(case):
    three = case == "replica"
    # With a read replica beside the synchronous standby, a quorum of either: the replica going away holds no commit.
    nodes = build_nodes(case, ["a", "b", "c"] if three else ["a", "b"], "ANY 1 (b, c)" if three else "b")
    a, b = nodes[0], nodes[1]
    read_node = nodes[2] if three else b
    server, log_path = start_server(case, [a, b], read_node)
    try:
        code, text = status("POST", "/api/v1/session", {"email": "rep@failover.example", "password": PASSWORD})
        assert code == 200, (code, text)
        load = Load(case, json.loads(text)["token"])
        load.start()
        time.sleep(4)
        event = time.monotonic()
        if case == "crash":
            a.stop("immediate")
        elif case == "hang":
            a.signal_all(signal.SIGSTOP)
        else:
            nodes[2].stop("immediate")
        time.sleep(3)
        recovery = time.monotonic()
        if case == "replica":
            nodes[2].start()
        else:
            b.promote()
        time.sleep(8)
        load.stop()
        end = time.monotonic()
        # The listening connection finds a hung server by a probe every 5 s and then goes through the host list: give it
        # time to show up on the surviving primary (it is judged below, with the rest).
        survivor = a if case == "replica" else b
        started = time.monotonic()
        while listener_ports(log_path)[-1:] != [str(survivor.port)] and time.monotonic() - started < 15:
            time.sleep(0.2)
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait()
    primary = a if case == "replica" else b
    result = {"case": case, **verify(primary, load.acked), "server_restarted": not alive}
    codes = [code for _, code in load.writes + load.reads]
    result["answers"] = {str(code): codes.count(code) for code in sorted(set(codes), key=str)}
    result["errors_500"] = sum(1 for code in codes if code is not None and code >= 500 and code != 503)
    result["other_refusals"] = sum(1 for code in codes if code is not None and 400 <= code < 500)
    result["writes_gap_s"] = round(longest_gap(load.writes, event - 1, end), 2)
    result["reads_gap_s"] = round(longest_gap(load.reads, event - 1, end), 2)
    if case == "replica":
        back = (result["writes_gap_s"] <= DEADLINE + 3) and (result["reads_gap_s"] <= DEADLINE + 3)
    else:
        resumed = first_success_after(load.writes, recovery)
        result["writes_back_after_promotion_s"] = round(resumed - recovery, 3) if resumed else None
        back = resumed is not None and resumed - recovery <= DEADLINE + 3
    lines = [line for line in map(json_or_none, log_path.read_text().splitlines()) if line]
    result["server_connected_to_ports"] = sorted({str(line["port"]) for line in lines if line.get("msg") == "database connection opened" and "port" in line})
    # The connection that hears other processes' announcements must follow the primary too, not stay on a dead or frozen one.
    result["listener_on_ports"] = listener_ports(log_path)
    listening = result["listener_on_ports"][-1:] == [str(primary.port)]
    result["ok"] = (listening and result["lost"] == 0 and result["keys"] == result["reports"] and not result["server_restarted"]
                    and result["errors_500"] == 0 and result["other_refusals"] == 0 and back)
    for node in nodes:
        if case == "hang" and node is a:
            node.signal_all(signal.SIGKILL)  # fencing: the frozen old primary must never come back as a primary
        else:
            node.stop("immediate")
    return result


def listener_ports(log_path):
    """The ports the server's listening connection reached, in order, from its JSON log."""
    lines = [line for line in map(json_or_none, log_path.read_text().splitlines()) if line]
    return [str(line["port"]) for line in lines if line.get("msg") == "listening for changes" and "port" in line]


def json_or_none(line):
    try:
        value = json.loads(line)
        return value if isinstance(value, dict) else None
    except ValueError:
        return None


def main():
    BASE_DIR.mkdir(parents=True, exist_ok=True)
    shutil.chown(BASE_DIR, "postgres", "postgres")
    cases = os.environ.get("FAILOVER_CASES", "crash,hang,replica").split(",")
    results = []
    for case in cases:
        log(f"case {case}")
        result = run_case(case)
        print(json.dumps(result), flush=True)
        results.append(result)
    (BASE_DIR / "results.json").write_text(json.dumps(results, indent=2))
    failed = [r["case"] for r in results if not r["ok"]]
    log("all cases passed" if not failed else f"failed: {', '.join(failed)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
