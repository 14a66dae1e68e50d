#!/usr/bin/env bash
# From an empty Debian 12 server to a live terminal: docs/install.md is this script, step by
# step (tests/install/test_install_path.py checks that the two agree, and runs the steps).
#
# Conventions, read by testkit/install_path.py:
#   "# === Step N: title" starts a step; step 0 (settings) comes first in every step's run.
#   A line ending in "# root" changes the system (apt, users, systemd): on a real server it
#   runs as root; the install-path test does not run it.
#   A line starting with "#test: " runs in the test only: the stand-in for the root lines
#   above it (a private PostgreSQL and mosquitto, services as background processes).
# Run on a server as root, with a PortGate release in $SRC: bash scripts/install-path.sh
set -euo pipefail

# === Step 0: Settings
# Names of this terminal, where PortGate lives, the ports. Every later step reads these.
export SITE=rotterdam-t1 GATE=gate-a ZONE=quay
export SRC=${SRC:-/opt/portgate}                 # the PortGate release; its venv: $SRC/.venv
export CONF=${CONF:-/etc/portgate}               # configs and secrets (files 0600)
export DATA=${DATA:-/var/lib/portgate}           # outbox, replica, heartbeats, command keys
export BROKER_HOST=${BROKER_HOST:-localhost}     # the name in the broker's TLS certificate
export MQTT_PORT=${MQTT_PORT:-1883} MQTTS_PORT=${MQTTS_PORT:-8883}
export DB_PORT=${DB_PORT:-5432} API_PORT=${API_PORT:-8000}
export PORTGATE="$SRC/.venv/bin/portgate" PY="$SRC/.venv/bin/python"

# === Step 1: Debian packages and PortGate
apt-get update && apt-get install -y --no-install-recommends postgresql mosquitto openssl curl python3-venv libzbar0  # root
python3 -m venv /opt/uv && /opt/uv/bin/pip install uv  # root
cd "$SRC" && /opt/uv/bin/uv sync --frozen --no-dev --extra api --extra agent --extra bridge  # root
#test: command -v mosquitto openssl curl psql createdb
"$PORTGATE" health --help > /dev/null

# === Step 2: User and directories
useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin portgate  # root
install -d -m 0750 "$CONF" "$CONF/tls" "$DATA" "$DATA/command-keys"
chown portgate:portgate "$DATA" "$DATA/command-keys"  # root
#test: install -d "$DATA/pids"

# === Step 3: Database
# Debian's PostgreSQL runs after the install; PortGate gets a role and a database of its own.
DB_PASSWORD=$(openssl rand -hex 24)
runuser -u postgres -- psql -p "$DB_PORT" -q -c "CREATE ROLE portgate LOGIN PASSWORD '$DB_PASSWORD'"  # root
runuser -u postgres -- createdb -p "$DB_PORT" -O portgate portgate  # root
#test: psql -h 127.0.0.1 -p "$DB_PORT" -U postgres -q -c "CREATE ROLE portgate LOGIN PASSWORD '$DB_PASSWORD'"
#test: createdb -h 127.0.0.1 -p "$DB_PORT" -U postgres -O portgate portgate
umask 077
echo "DATABASE_URL=postgresql+psycopg://portgate:$DB_PASSWORD@127.0.0.1:$DB_PORT/portgate" > "$CONF/db.env"

# === Step 4: Keys
# The API's secrets, from the OS's random source; never in the repository or an image.
umask 077
{
  echo "PORTGATE_SECRET_KEY=$(openssl rand -hex 32)"
  echo "PORTGATE_TEMPLATE_KEY=$(openssl rand -base64 32)"
  echo "PORTGATE_METRICS_TOKEN=$(openssl rand -hex 32)"
  echo "PORTGATE_AUDIT_KEY=$(openssl rand -hex 32)"
  "$PY" -c 'import base64, secrets
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
seed = secrets.token_bytes(32)
public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
print("PORTGATE_PASS_SIGNING_KEY=K1=" + base64.b64encode(seed).decode())
print("PORTGATE_PASS_PUBLIC_KEYS=K1=" + base64.b64encode(public).decode())'
} > "$CONF/keys.env"

# === Step 5: TLS for the broker
# A CA of this site signs the broker's certificate; agents and bridges trust this CA only.
# (With a company CA, put its ca.crt and the broker's server.crt/server.key here instead.)
cd "$CONF/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=PortGate $SITE CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout ca.key -out ca.crt 2> /dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$BROKER_HOST" -keyout server.key -out server.csr 2> /dev/null
printf "subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n" "$BROKER_HOST" > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -extfile server.ext -out server.crt 2> /dev/null
chmod 0600 ca.key server.key
chown mosquitto: server.key  # root

# === Step 6: Broker
# One broker user per node, ACLs that keep each gate to its own topics, TLS on $MQTTS_PORT
# for the gates and plain MQTT on the loopback only (for the API on this host).
cat > "$CONF/site.yaml" << EOF
site: $SITE
gates:
  - id: $GATE
broker:
  tls: {port: $MQTTS_PORT, cert_file: $CONF/tls/server.crt, key_file: $CONF/tls/server.key, ca_file: $CONF/tls/ca.crt}
EOF
"$PORTGATE" broker users --site-config "$CONF/site.yaml" --out "$CONF/broker" --conf --port "$MQTT_PORT"
chown -R mosquitto: "$CONF/broker"  # root
install -m 0644 "$CONF/broker/mosquitto.conf" /etc/mosquitto/mosquitto.conf && systemctl restart mosquitto  # root
#test: (cat "$CONF/broker/mosquitto.conf"; echo "user root") > "$DATA/mosquitto.conf"
#test: nohup mosquitto -c "$DATA/mosquitto.conf" > "$DATA/mosquitto.log" 2>&1 & echo $! > "$DATA/pids/mosquitto"
for _ in $(seq 60); do openssl s_client -connect "$BROKER_HOST:$MQTTS_PORT" -CAfile "$CONF/tls/ca.crt" -verify_hostname "$BROKER_HOST" -verify_return_error < /dev/null > /dev/null 2>&1 && break; sleep 1; done
openssl s_client -brief -connect "$BROKER_HOST:$MQTTS_PORT" -CAfile "$CONF/tls/ca.crt" -verify_hostname "$BROKER_HOST" -verify_return_error < /dev/null

# === Step 7: Database schema
set -a && . "$CONF/db.env" && set +a
"$PORTGATE" db upgrade

# === Step 8: API
umask 077
(. "$CONF/broker/credentials.env" && cat "$CONF/db.env" "$CONF/keys.env" && echo "MQTT_URL=mqtt://api:$PORTGATE_MQTT_PASSWORD_API@127.0.0.1:$MQTT_PORT" && echo "PORTGATE_SITE=$SITE") > "$CONF/api.env"
install -m 0644 "$SRC/configs/systemd/portgate-api.service" /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now portgate-api  # root
#test: (set -a && . "$CONF/api.env" && set +a && exec "$PORTGATE" api --port "$API_PORT") > "$DATA/api.log" 2>&1 & echo $! > "$DATA/pids/api"
for _ in $(seq 120); do curl -fsS "http://127.0.0.1:$API_PORT/healthz" > /dev/null 2>&1 && break; sleep 1; done
curl -fsS "http://127.0.0.1:$API_PORT/healthz"

# === Step 9: First admin
# Passwords go to files only root reads; hand them over and delete the files.
set -a && . "$CONF/api.env" && set +a
umask 077
openssl rand -base64 24 > "$CONF/admin.password"
PORTGATE_PASSWORD=$(cat "$CONF/admin.password") "$PORTGATE" users add admin --role admin

# === Step 10: Site and gates
# `gates add` creates the site and the zone when new, and prints the gate's API key once:
# it goes straight into the agent's environment file.
set -a && . "$CONF/api.env" && set +a
umask 077
GATE_KEY=$("$PORTGATE" gates add "$GATE" --site "$SITE" --zone "$ZONE" --lanes 2 --direction both --no-face | tail -n 1)
echo "PORTGATE_GATE_KEY=$GATE_KEY" > "$CONF/agent.env"
"$PORTGATE" gates list

# === Step 11: Groups
set -a && . "$CONF/api.env" && set +a
"$PORTGATE" groups add dockers --site "$SITE" --zone "$ZONE"

# === Step 12: People
# A security-desk user enrolls people over the API (the desk's own tools do the same).
set -a && . "$CONF/api.env" && set +a
umask 077
openssl rand -base64 24 > "$CONF/desk.password"
PORTGATE_PASSWORD=$(cat "$CONF/desk.password") "$PORTGATE" users add desk --role security_desk --site "$SITE"
export PORTGATE_API_URL="http://127.0.0.1:$API_PORT" PORTGATE_TOKEN_FILE="$CONF/desk.token"
PORTGATE_PASSWORD=$(cat "$CONF/desk.password") "$PORTGATE" enroll login --user desk
PERSON=$("$PORTGATE" enroll person add --name "Ada Quay" --kind staff --site "$SITE" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["id"])')
"$PORTGATE" enroll badge bind "$PERSON" 4711 --format wiegand26
"$PORTGATE" groups grant dockers --site "$SITE" --person "$PERSON"

# === Step 13: Gate agent
umask 077
sed -n "s/^PORTGATE_MQTT_PASSWORD_AGENT_$(echo "$GATE" | tr 'a-z.-' 'A-Z__')=/PORTGATE_MQTT_PASSWORD=/p" "$CONF/broker/credentials.env" >> "$CONF/agent.env"
echo "PORTGATE_REPLICA_KEY=$(openssl rand -base64 32)" >> "$CONF/agent.env"
cat > "$CONF/agent.yaml" << EOF
site: $SITE
gate: $GATE
lanes:
  - {lane: 0, direction: entry}
  - {lane: 1, direction: exit}
mqtt:
  url: mqtts://$BROKER_HOST:$MQTTS_PORT
  ca_file: $CONF/tls/ca.crt
  username: agent-$GATE
  password_env: PORTGATE_MQTT_PASSWORD
api:
  url: http://127.0.0.1:$API_PORT
  gate_key_env: PORTGATE_GATE_KEY
face:
  enabled: false
outbox:
  path: $DATA/agent-outbox.sqlite3
replica_path: $DATA/agent-replica.json
replica_key_env: PORTGATE_REPLICA_KEY
bridge_command_keys_path: $DATA/command-keys/$GATE.json
heartbeat_path: $DATA/agent-heartbeat
EOF
install -m 0644 "$SRC/configs/systemd/portgate-agent.service" /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now portgate-agent  # root
#test: (set -a && . "$CONF/agent.env" && set +a && exec "$PORTGATE" agent --config "$CONF/agent.yaml") > "$DATA/agent.log" 2>&1 & echo $! > "$DATA/pids/agent"
for _ in $(seq 120); do test -s "$DATA/command-keys/$GATE.json" && break; sleep 1; done
test -s "$DATA/command-keys/$GATE.json"

# === Step 14: Bridge
umask 077
sed -n "s/^PORTGATE_MQTT_PASSWORD_BRIDGE_$(echo "$GATE" | tr 'a-z.-' 'A-Z__')=/PORTGATE_MQTT_PASSWORD=/p" "$CONF/broker/credentials.env" > "$CONF/bridge.env"
cat > "$CONF/bridge.yaml" << EOF
site: $SITE
gate: $GATE
mqtt:
  url: mqtts://$BROKER_HOST:$MQTTS_PORT
  ca_file: $CONF/tls/ca.crt
  username: bridge-$GATE
  password_env: PORTGATE_MQTT_PASSWORD
lanes:
  - {lane: 0, direction: entry}
  - {lane: 1, direction: exit}
hardware:
  driver: simulated
  reader_id: sim-reader
state_dir: $DATA/bridge-state
heartbeat_path: $DATA/bridge-heartbeat
require_signed_commands: true
command_keys_file: $DATA/command-keys/$GATE.json
EOF
install -m 0644 "$SRC/configs/systemd/portgate-bridge.service" /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now portgate-bridge  # root
#test: echo "the test runs this bridge inside the test process, which holds a badge to the simulated reader"

# === Step 15: Check
for _ in $(seq 60); do test -e "$DATA/bridge-heartbeat" && break; sleep 1; done
"$PORTGATE" health --heartbeat "$DATA/agent-heartbeat" --max-age 30
"$PORTGATE" health --heartbeat "$DATA/bridge-heartbeat" --max-age 30
curl -fsS "http://127.0.0.1:$API_PORT/healthz" | grep -q '"database":true,"mqtt":true'
set -a && . "$CONF/db.env" && set +a
"$PORTGATE" audit verify
