#!/usr/bin/env bash
# Builds, without an image registry, the images that stand in for the public ones:
#   kafka-queue/jre:17       Debian bookworm + OpenJDK 17 JRE      (for eclipse-temurin:17-jre)
#   kafka-queue/build:17     the same + JDK and Maven              (for maven:3.9-eclipse-temurin-17)
#   kafka-queue/kafka:4.3.1  Apache Kafka from Maven Central's jars (for apache/kafka:4.3.1)
# from Debian's packages and Maven Central. An image that already exists is left alone.
# Use them with: docker compose --env-file scripts/local-images.env up --build
set -euo pipefail
cd "$(dirname "$0")/.."

JRE=kafka-queue/jre:17
BUILD=kafka-queue/build:17
KAFKA=kafka-queue/kafka:4.3.1
KAFKA_VERSION=4.3.1

exists() { docker image inspect "$1" > /dev/null 2>&1; }
timed() { local name=$1 start; shift; start=$(date +%s); "$@"; echo "images: built $name in $(( $(date +%s) - start ))s ($(docker image inspect -f '{{.Size}}' "$name" | awk '{printf "%d MB", $1/1000000}'))"; }

mirror() {
  # The Debian mirror apt already uses here.
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

build_jre() {
  command -v debootstrap > /dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap > /dev/null; }
  local root
  root=$(mktemp -d)
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates bookworm "$root" "$(mirror)" > "$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; rm -rf "$root"; return 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import \
    --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
    --change 'ENV PATH=/usr/lib/jvm/java-17-openjdk-amd64/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' - "$JRE" > /dev/null
  rm -rf "$root" "$root.log"
}

build_build() {
  docker build -q -t "$BUILD" --build-arg "BASE_IMAGE=$JRE" - > /dev/null <<'DOCKERFILE'
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven > /dev/null \
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
}

build_kafka() {
  local context
  context=$(mktemp -d)
  cp -r docker/kafka/. "$context/"
  ./mvnw -B -q -f scripts/local-broker/pom.xml dependency:copy-dependencies -DoutputDirectory="$context/libs"
  docker build -q -t "$KAFKA" --build-arg "BASE_IMAGE=$JRE" "$context" > /dev/null
  rm -rf "$context"
}

exists "$JRE" && echo "images: $JRE already there" || timed "$JRE" build_jre
exists "$BUILD" && echo "images: $BUILD already there" || timed "$BUILD" build_build
exists "$KAFKA" && echo "images: $KAFKA already there" || timed "$KAFKA" build_kafka
