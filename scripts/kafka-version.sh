#!/usr/bin/env bash
# Prints Apache Kafka's version as the parent pom pins it (<kafka.version>): the one place it is written.
# The scripts derive the broker's jars and image tags from it; docker-compose.yml cannot read it (see its header).
set -euo pipefail
pom="$(dirname "$0")/../pom.xml"
version=$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$pom" | head -1)
[ -n "$version" ] || { echo "no <kafka.version> in $pom" >&2; exit 1; }
echo "$version"
