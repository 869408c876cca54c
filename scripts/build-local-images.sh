#!/usr/bin/env bash
# Builds, without an image registry, the images that stand in for the public ones:
#   kafka-queue/jre:17       Debian bookworm + OpenJDK 17 JRE      (for eclipse-temurin:17-jre)
#   kafka-queue/build:17     the same + JDK and Maven              (for maven:3.9-eclipse-temurin-17)
#   kafka-queue/kafka:V      Apache Kafka V from Maven Central's jars (for apache/kafka:V)
# from Debian's packages and Maven Central, where V is the parent pom's <kafka.version> (scripts/kafka-version.sh).
# An image that already exists is left alone, so a second run does nothing. It (re)writes scripts/local-images.env,
# which names the three images; use them with: docker compose --env-file scripts/local-images.env up --build
#
# LOCAL_JRE_IMAGE, LOCAL_BUILD_IMAGE, LOCAL_KAFKA_IMAGE override the three names (e.g. to time a build from nothing
# without touching the images in use).
set -euo pipefail
cd "$(dirname "$0")/.."

JRE=${LOCAL_JRE_IMAGE:-kafka-queue/jre:17}
BUILD=${LOCAL_BUILD_IMAGE:-kafka-queue/build:17}
KAFKA_VERSION=$(scripts/kafka-version.sh)
KAFKA=${LOCAL_KAFKA_IMAGE:-kafka-queue/kafka:$KAFKA_VERSION}
JAVA_HOME_IN_IMAGE=/usr/lib/jvm/java-17-openjdk-amd64

exists() { docker image inspect "$1" > /dev/null 2>&1; }
size() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%d MB", $1 / 1000000}'; }
build() {
  local name=$1 start; shift
  if exists "$name"; then echo "images: $name already there ($(size "$name"))"; return 0; fi
  echo "images: building $name"
  start=$(date +%s)
  "$@" || { echo "images: building $name failed" >&2; return 1; }
  echo "images: built $name in $(( $(date +%s) - start ))s ($(size "$name"))"
}

mirror() {
  # The Debian mirror apt already uses here.
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
                         | grep -v security | awk '{print $2}' | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

build_jre() {
  if ! command -v debootstrap > /dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap > /dev/null
  fi
  local root
  root=$(mktemp -d)
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates bookworm "$root" "$(mirror)" \
    > "$root.log" 2>&1 || { tail -20 "$root.log" >&2; rm -rf "$root" "$root.log"; return 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  for tool in /bin/sh /bin/bash "$JAVA_HOME_IN_IMAGE/bin/java"; do
    [ -x "$root$tool" ] || { echo "images: no $tool in the debootstrap tree" >&2; rm -rf "$root" "$root.log"; return 1; }
  done
  # docker import keeps no environment: give the image its PATH, JAVA_HOME and locale explicitly.
  tar -C "$root" -c . | docker import \
    --change "ENV JAVA_HOME=$JAVA_HOME_IN_IMAGE" \
    --change "ENV PATH=$JAVA_HOME_IN_IMAGE/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' - "$JRE" > /dev/null
  rm -rf "$root" "$root.log"
  trust_host_cas
}

trust_host_cas() {
  # The CAs this host trusts on top of Debian's (/usr/local/share/ca-certificates: a TLS-intercepting proxy's, a
  # company's), trusted in the image too, for apt and Java alike: Maven inside a `docker build` on these images
  # reaches Maven Central through the same network as the host.
  local cas=(/usr/local/share/ca-certificates/*.crt) context
  [ -e "${cas[0]}" ] || return 0
  context=$(mktemp -d)
  cp "${cas[@]}" "$context/"
  cat > "$context/Dockerfile" <<DOCKERFILE
FROM $JRE
COPY *.crt /usr/local/share/ca-certificates/
RUN update-ca-certificates > /dev/null 2>&1 \\
 && for crt in /usr/local/share/ca-certificates/*.crt; do \\
      keytool -list -cacerts -storepass changeit -alias "debian:\$(basename "\$crt" .crt).pem" > /dev/null || exit 1; \\
    done
DOCKERFILE
  docker build -q -t "$JRE" "$context" > /dev/null || { rm -rf "$context"; return 1; }
  rm -rf "$context"
}

build_build() {
  # On top of the JRE image (its layer is shared); the container fetches from the same Debian mirror.
  docker build -q -t "$BUILD" --build-arg "BASE_IMAGE=$JRE" - > /dev/null <<'DOCKERFILE'
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven > /dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mvn -v > /dev/null
DOCKERFILE
}

build_kafka() {
  # Kafka's jars (broker and tools, with their runtime dependencies) are resolved on the host from Maven Central by
  # scripts/local-broker/pom.xml (versions from the parent pom), then copied into the image. `validate` runs the
  # enforcer first: an slf4j-api 1.x among them (the broker would print nothing) fails here.
  local context
  context=$(mktemp -d)
  cp -r docker/kafka/. "$context/"
  ./mvnw -B -q -f scripts/local-broker/pom.xml validate dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$context/libs" || { rm -rf "$context"; return 1; }
  docker build -q -t "$KAFKA" --build-arg "BASE_IMAGE=$JRE" "$context" > /dev/null
  rm -rf "$context"
}

write_env() {
  # The images for `docker compose --env-file` and for the tests; written from the names above, so it follows a new
  # <kafka.version> in the pom. Left alone when the names are overridden (LOCAL_*_IMAGE): that run is an experiment.
  local env=scripts/local-images.env text
  [ -z "${LOCAL_JRE_IMAGE:-}${LOCAL_BUILD_IMAGE:-}${LOCAL_KAFKA_IMAGE:-}" ] || return 0
  text="# The locally built stand-ins for the public images, for machines with no registry. Written by
# scripts/build-local-images.sh from pom.xml's kafka.version: do not edit. Use:
#   docker compose --env-file scripts/local-images.env up --build
KAFKA_IMAGE=$KAFKA
BUILD_IMAGE=$BUILD
RUNTIME_IMAGE=$JRE"
  [ "$(cat "$env" 2>/dev/null)" = "$text" ] || { printf '%s\n' "$text" > "$env"; echo "images: wrote $env"; }
}

build "$JRE" build_jre
build "$BUILD" build_build
build "$KAFKA" build_kafka
write_env
