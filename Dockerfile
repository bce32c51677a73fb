# syntax=docker/dockerfile:1
#
# The qianliyan release binary on Debian 12 (bookworm), for docker-compose.yml
# and any container platform.
#
#   docker build -t qianliyan:latest .
#   docker run --rm --init qianliyan:latest rules check Rules
#
# Build stage: the official Swift image. The project targets Swift 6.3, and
# swift:6.3-bookworm is the official image of that release on Debian 12
# (swiftlang/swift-docker 6.3/debian/12); pass
# --build-arg SWIFT_IMAGE=swift:6.3.1-bookworm (or a digest) to pin a patch
# release. Debian 12 on both sides: the runtime stage gets the same
# librdkafka (2.0.2) and libpq the binary was linked against.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build

# The C libraries of the system-library targets (CRdKafka, CLibPQ, CZlib, CZstd, CIsal, CJemalloc).
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends librdkafka-dev libpq-dev zlib1g-dev libzstd-dev libisal-dev libjemalloc-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Package.resolved is optional (it is not in git): with it, the image builds
# exactly the dependency versions resolved locally.
COPY Package.swift Package.resolve[d] ./
# SwiftPM checks every declared target's folder, so Tests/ comes along
# (.dockerignore leaves out the fixtures); only the qianliyan product is built.
COPY Sources ./Sources
COPY Tests ./Tests
COPY Rules ./Rules

# --static-swift-stdlib links the Swift runtime and Foundation into the binary:
# the runtime image needs no Swift toolchain, only the C libraries below.
# The cache mount keeps the dependency checkouts and build products between
# builds (BuildKit); the binary is copied out of it.
RUN --mount=type=cache,target=/src/.build,id=qianliyan-swiftpm \
    swift build -c release --product qianliyan --static-swift-stdlib \
    && mkdir -p /out \
    && cp "$(swift build -c release --show-bin-path)/qianliyan" /out/qianliyan \
    && strip /out/qianliyan \
    && /out/qianliyan rules check Rules

FROM ${RUNTIME_IMAGE} AS runtime

# Runtime libraries of the binary: librdkafka (Kafka, with TLS and SASL),
# libpq (PostgreSQL), ISA-L (gzip ledgers), zlib and zstd (checkpoints), jemalloc (the
# allocator the CLI links); CA certificates for
# TLS to Kafka and PostgreSQL; tzdata for TZ=Asia/Shanghai in scripts (the
# engine itself computes Asia/Shanghai time without it).
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends librdkafka1 libpq5 zlib1g libzstd1 libisal2 libjemalloc2 libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 qianliyan \
    && useradd --system --uid 10001 --gid qianliyan --home-dir /var/lib/qianliyan --create-home --shell /usr/sbin/nologin qianliyan \
    && mkdir -p /opt/qianliyan /data/reference /archive \
    && chown qianliyan:qianliyan /data/reference

COPY --from=build /out/qianliyan /usr/local/bin/qianliyan
COPY Rules /opt/qianliyan/Rules
COPY --chmod=0755 deploy/nightly-replay.sh /usr/local/bin/nightly-replay

# `run` and `replay` default to --rules Rules, `serve` reads ./Rules: both
# resolve to /opt/qianliyan/Rules from this working directory.
WORKDIR /opt/qianliyan
ENV QIANLIYAN_HOME=/var/lib/qianliyan
USER qianliyan:qianliyan

# The image must start with the libraries it has: fail the build otherwise.
RUN qianliyan rules check /opt/qianliyan/Rules

# 8080: `serve` (the analysts' queue); 9464: `run --metrics-listen 0.0.0.0:9464`.
EXPOSE 8080 9464
ENTRYPOINT ["qianliyan"]
CMD ["--help"]
