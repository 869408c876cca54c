#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io and docker-compose when they are missing, starts
# dockerd in the background when it is not running, and does nothing when `docker info` already answers.
set -euo pipefail

if docker info > /dev/null 2>&1; then
  echo "docker: engine already running ($(docker info --format '{{.ServerVersion}}'))"
  exit 0
fi
if ! command -v dockerd > /dev/null 2>&1 || ! command -v docker-compose > /dev/null 2>&1; then
  echo "docker: installing docker.io and docker-compose from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose > /dev/null
fi
if ! pgrep -x dockerd > /dev/null; then
  echo "docker: starting dockerd (log: /var/log/dockerd.log)"
  setsid dockerd > /var/log/dockerd.log 2>&1 < /dev/null &
fi
for _ in $(seq 1 60); do
  if docker info > /dev/null 2>&1; then
    echo "docker: engine up ($(docker info --format '{{.ServerVersion}}'))"
    exit 0
  fi
  sleep 1
done
echo "docker: the engine did not answer within 60 s; see /var/log/dockerd.log" >&2
tail -20 /var/log/dockerd.log >&2 || true
exit 1
