#!/bin/sh
# First run of docker/compose.yaml: create the site's gate and keep its API key for the agent.
# `portgate gates add` shows a gate key once; this keeps it in the bootstrap volume
# (KEY_DIR/<gate>.env, mode 0600), which the agent's container reads at start. A later run
# finds the file and changes nothing. A gate that exists without its file cannot get its key
# back: the run stops with that message (remove the gate or give the agent a new key).
# Usage: bootstrap.sh SITE GATE ZONE [KEY_DIR]   (DATABASE_URL and the API's keys from the env)
set -eu
site=$1 gate=$2 zone=$3 dir=${4:-/var/lib/portgate-bootstrap}
file="$dir/$gate.env"
if [ -s "$file" ]; then
  echo "bootstrap: $file exists: gate $gate keeps its key"
  exit 0
fi
umask 077
out=$(portgate gates add "$gate" --site "$site" --zone "$zone" --lanes 2 --direction both) || {
  echo "bootstrap: gate $gate not created and $file missing: its key cannot be shown again" >&2
  exit 1
}
key=$(printf '%s\n' "$out" | tail -n 1)
printf 'PORTGATE_GATE_KEY=%s\n' "$key" > "$file.tmp"
mv "$file.tmp" "$file"
echo "bootstrap: gate $gate created at $site; its key is in $file"
