#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io and docker-compose when they are missing, starts
# dockerd in the background when it is not running, and does nothing when `docker info` already answers.
# Exits non-zero, saying why, when the engine does not answer within DOCKER_START_TIMEOUT seconds (default 60).
set -euo pipefail

timeout_s=${DOCKER_START_TIMEOUT:-60}
log=/var/log/dockerd.log
[ -w /var/log ] || log=${TMPDIR:-/tmp}/dockerd.log

if docker info > /dev/null 2>&1; then
  echo "docker: engine already running ($(docker info --format '{{.ServerVersion}}'))"
  exit 0
fi
if ! command -v dockerd > /dev/null 2>&1 || ! command -v docker > /dev/null 2>&1 \
   || ! command -v docker-compose > /dev/null 2>&1; then
  echo "docker: installing docker.io and docker-compose from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose > /dev/null
fi
if ! pgrep -x dockerd > /dev/null; then
  # A pid file left by an engine that is gone (a machine handed back as it was) stops dockerd from starting.
  rm -f /var/run/docker.pid
  echo "docker: starting dockerd (log: $log)"
  setsid dockerd > "$log" 2>&1 < /dev/null &
fi
for _ in $(seq 1 "$timeout_s"); do
  if docker info > /dev/null 2>&1; then
    echo "docker: engine up ($(docker info --format '{{.ServerVersion}}'))"
    exit 0
  fi
  sleep 1
done
echo "docker: the engine did not answer within ${timeout_s} s; the end of $log:" >&2
tail -20 "$log" >&2 || true
exit 1
