# Shared by deploy/run, deploy/test and deploy/bench: a private PostgreSQL 15 cluster in a folder of the repo.
# Source it; it defines functions only.

PG_BIN=/usr/lib/postgresql/15/bin

# Installs PostgreSQL 15 (server, contrib for pg_trgm), libpq-dev and libcurl's headers (SMTP) with apt when missing.
ensure_postgres() {
    local missing=()
    [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15 postgresql-contrib)
    [ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
    [ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || missing+=(libcurl4-openssl-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "==> installing ${missing[*]} with apt"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    id postgres >/dev/null 2>&1 || { echo "deploy: no 'postgres' user after installing PostgreSQL" >&2; exit 1; }
}

# Picks a cluster folder the postgres user can reach: the repo's .roadwork/NAME, or /tmp when the repo is private.
cluster_dir() {
    local name=$1 root=$2
    local dir="$root/.roadwork/$name"
    mkdir -p "$root/.roadwork"
    if runuser -u postgres -- test -x "$root/.roadwork" 2>/dev/null; then
        echo "$dir"
    else
        echo "/tmp/roadwork-$(echo "$root" | md5sum | cut -c1-8)-$name"
    fi
}

# Creates (once) and starts a cluster in DIR listening only on a Unix socket in DIR/run with PORT as its number.
start_cluster() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/run'
port = $port
max_connections = 200
shared_buffers = 256MB
fsync = on
logging_collector = off
CONF
    fi
    runuser -u postgres -- mkdir -p "$dir/run"
    if ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
    fi
}

# Creates (once) and starts a streaming standby of the cluster in PRIMARY_DIR (PRIMARY_PORT) in DIR, listening on PORT.
start_standby() {
    local dir=$1 port=$2 primary_dir=$3 primary_port=$4
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        # -R writes primary_conninfo and standby.signal; the copied settings are overridden below (the last line wins).
        runuser -u postgres -- "$PG_BIN/pg_basebackup" -h "$primary_dir/run" -p "$primary_port" -U postgres -D "$dir/data" -R -X stream -c fast
        cat >> "$dir/data/postgresql.conf" <<CONF
unix_socket_directories = '$dir/run'
port = $port
CONF
    fi
    runuser -u postgres -- mkdir -p "$dir/run"
    if ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
    fi
}

stop_cluster() {
    local dir=$1
    [ -f "$dir/data/PG_VERSION" ] || return 0
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# Runs SQL as the superuser on the cluster in DIR.
cluster_psql() {
    local dir=$1 port=$2 db=$3; shift 3
    psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres -d "$db" "$@"
}

# Creates the owner role (runs migrations, owns tables) and the app role (serves; RLS applies), and DATABASE.
create_database() {
    local dir=$1 port=$2 db=$3
    cluster_psql "$dir" "$port" postgres <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roadwork_owner') THEN
        CREATE ROLE roadwork_owner LOGIN CREATEDB CREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roadwork_app') THEN
        CREATE ROLE roadwork_app LOGIN NOBYPASSRLS;
    ELSE
        ALTER ROLE roadwork_app LOGIN NOBYPASSRLS;
    END IF;
END
\$\$;
SQL
    if ! cluster_psql "$dir" "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        cluster_psql "$dir" "$port" postgres -c "CREATE DATABASE $db OWNER roadwork_owner"
        cluster_psql "$dir" "$port" "$db" -c "ALTER SCHEMA public OWNER TO roadwork_owner"
    fi
}

# libpq connection URLs for a role on the cluster in DIR.
database_url() {
    local dir=$1 port=$2 db=$3 user=$4
    echo "postgresql:///$db?host=$dir/run&port=$port&user=$user"
}

# A Python venv with the test tools from PyPI: aiosmtpd (the mail tests' SMTP server), Playwright and pytest, and
# schemathesis (the API contract run).
ensure_python_tools() {
    local venv=$1
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import playwright, pytest, aiosmtpd, schemathesis" 2>/dev/null; then
        echo "==> creating $venv with playwright, pytest, aiosmtpd and schemathesis"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q playwright pytest aiosmtpd "schemathesis==4.32.5"
    fi
}

# Debian's chromium and the venv above (Playwright downloads no browser of its own).
ensure_browser_tools() {
    local venv=$1
    ensure_python_tools "$venv"
    if [ ! -x /usr/bin/chromium ]; then
        echo "==> installing chromium with apt"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
}

# HAProxy from Debian: the load balancer in front of several servers (deploy/test runs two behind it).
ensure_load_balancer() {
    if ! command -v haproxy >/dev/null; then
        echo "==> installing haproxy with apt"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
    fi
}
