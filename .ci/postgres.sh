#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server: .ci/postgres.sh COMMAND [ARG...]
#
# Starts a server of its own (initdb + pg_ctl) with its data, socket and log in a temporary
# folder, listening on a free port of 127.0.0.1 only, runs COMMAND with
# MENDBOT_TEST_POSTGRES_URL naming a database on it (user `mendbot`, CREATEDB, a random password),
# then stops the server and removes the folder whatever happens (trap), and exits with COMMAND's
# status. Used by .ci/run and `make test-pg`, so CI and a developer test on the same kind of server.
#
# The server is tuned for tests, never for data anyone keeps: no fsync, no synchronous commit, no
# full-page writes (a crash loses it: it is thrown away anyway), and enough connections for the
# xdist workers and the bot processes the end-to-end tests start.
#
# initdb refuses to run as root, so as root (CI) the server runs as PG_RUN_AS (default: the
# `postgres` user Debian's package creates, else `nobody`). PG_BIN names the folder of initdb and
# pg_ctl; by default the newest /usr/lib/postgresql/*/bin, else pg_config's, else the PATH's.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-300}

find_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        echo "$PG_BIN"
        return
    fi
    local newest
    newest=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$newest" ]; then
        echo "$newest"
    elif command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
    elif command -v initdb >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

BIN=$(find_bin)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ] || [ ! -x "$BIN/pg_ctl" ]; then
    cat >&2 <<'EOF'
postgres.sh: the PostgreSQL server programs (initdb, pg_ctl, postgres) were not found.
Install them, then run this again:
    Debian/Ubuntu:  sudo apt-get install postgresql
    Fedora/RHEL:    sudo dnf install postgresql-server
    macOS:          brew install postgresql@16
or set PG_BIN to the folder that holds initdb and pg_ctl.
EOF
    exit 2
fi

RUN_AS=""
if [ "$(id -u)" -eq 0 ]; then
    RUN_AS=${PG_RUN_AS:-$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)}
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mendbot-pg.XXXXXX")
DATA="$WORK/data"
LOG="$WORK/server.log"
[ -z "$RUN_AS" ] || chown "$RUN_AS" "$WORK"

# Run a server program as the server's owner, from the work folder (root's own may be unreadable).
as_owner() {
    if [ -n "$RUN_AS" ]; then
        (cd "$WORK" && runuser -u "$RUN_AS" -- "$@")
    else
        (cd "$WORK" && "$@")
    fi
}

stop_server() {
    if [ -f "$DATA/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -t 30 stop >/dev/null 2>&1 ||
            as_owner "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {  # one the kernel hands out; without python3, a random one (start_server retries)
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
        2>/dev/null || echo $((40000 + RANDOM % 20000))
}

locale_args=(--no-locale)
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    locale_args=(--locale=C.UTF-8)
fi
# The bootstrap superuser `postgres` has no password: it logs in only through the socket, which
# only the server's owner may open; tests log in over TCP as `mendbot` with a password.
as_owner "$BIN/initdb" -D "$DATA" -U postgres --encoding=UTF8 "${locale_args[@]}" \
    --auth-local=trust --auth-host=scram-sha-256 >"$WORK/initdb.log" 2>&1 || {
    cat "$WORK/initdb.log" >&2
    exit 1
}

start_server() {
    PORT=$(free_port)
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "-p $PORT" start >/dev/null
}

as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF
# throwaway test server (.ci/postgres.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
unix_socket_permissions = 0700
max_connections = $MAX_CONNECTIONS
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 4GB
checkpoint_timeout = 1h
autovacuum = off
jit = off
EOF

# A port found free may be taken before the server binds it: try another.
for attempt in 1 2 3; do
    if start_server; then
        break
    fi
    if [ "$attempt" -eq 3 ]; then
        echo "postgres.sh: the server did not start; its log:" >&2
        cat "$LOG" >&2
        exit 1
    fi
done

PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# The password goes through stdin, never a command line that `ps` shows.
as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d postgres \
    >/dev/null <<EOF
CREATE ROLE mendbot LOGIN CREATEDB PASSWORD '$PASSWORD';
CREATE DATABASE mendbot_test OWNER mendbot;
EOF

export MENDBOT_TEST_POSTGRES_URL="postgresql://mendbot:$PASSWORD@127.0.0.1:$PORT/mendbot_test"
echo "postgres.sh: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" \
    "(data in $WORK, stopped and removed at exit)" >&2

# In the background, so a TERM or INT to this script is handled at once (bash runs a trap only
# between commands, and `wait` is one it interrupts), and in a process group of its own (set -m),
# so the signal reaches all of COMMAND (make, pytest's workers, the bot processes they started);
# then the server stops.
set -m
"$@" &
child=$!
set +m
trap 'kill -TERM -- "-$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -INT -- "-$child" 2>/dev/null; wait "$child"; exit 130' INT
set +e
wait "$child"
status=$?
set -e
exit "$status"
