# The services' images, built from source: `docker compose up --build` needs nothing but Docker.
#   docker build --target producer -t kafka-queue/producer .
#   docker build --target consumer -t kafka-queue/consumer .
# Maven runs once, in the shared build stage. The base images are build args, so a machine without a registry can
# use local ones (scripts/build-local-images.sh; --build-arg from scripts/local-images.env):
#   BUILD_IMAGE    a JDK 17 with `mvn` on the PATH        default maven:3.9-eclipse-temurin-17
#   RUNTIME_IMAGE  a Java 17 runtime with `java` on the PATH  default eclipse-temurin:17-jre
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# The poms first: this layer resolves every dependency and plugin once (a package run with no sources), and is reused
# until a pom changes.
COPY pom.xml ./
COPY common/pom.xml common/
COPY producer-service/pom.xml producer-service/
COPY consumer-service/pom.xml consumer-service/
COPY integration-tests/pom.xml integration-tests/
RUN mvn -B -q -DskipTests -pl producer-service,consumer-service -am package \
 && rm -rf common/target producer-service/target consumer-service/target
# Then the sources (main only: the tests do not go into an image).
COPY common/src/main common/src/main
COPY producer-service/src/main producer-service/src/main
COPY consumer-service/src/main consumer-service/src/main
RUN mvn -B -q -DskipTests -pl producer-service,consumer-service -am package

# The services run as a user without root rights; they write nothing but standard output and error.
FROM ${RUNTIME_IMAGE} AS runtime
RUN useradd --system --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin app
USER app

FROM runtime AS producer
COPY --from=build /src/producer-service/target/producer-service.jar /app/producer-service.jar
ENTRYPOINT ["java", "-Xmx256m", "-jar", "/app/producer-service.jar"]

FROM runtime AS consumer
COPY --from=build /src/consumer-service/target/consumer-service.jar /app/consumer-service.jar
ENTRYPOINT ["java", "-Xmx256m", "-jar", "/app/consumer-service.jar"]
