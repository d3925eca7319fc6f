# syntax=docker/dockerfile:1
# The ha-validate image for users with a registry: the npm package (compiled JavaScript, no TypeScript compiler)
# and its production dependencies on node:20-slim, run as a fixed non-root uid, nothing written outside what is
# mounted (reports) and /tmp, so it runs with a read-only root file system.
#
#   docker build -t ha-validate .
#   docker run --rm --read-only -v "$PWD/my-deployment:/target:ro" ha-validate --target /target/target.yaml
#
# scripts/build-offline-images makes the same image without a registry (support/environments/docker/images/,
# VALIDATOR_IMAGE: same paths, entry point, user and labels; test/scripts/image.test.ts keeps the two in step).
# No HEALTHCHECK: a one-shot validation has nothing to probe, and `ha-validate serve` is probed by Kubernetes
# over HTTP (deploy/kubernetes); the offline image has no shell or curl to run one either.
ARG NODE_IMAGE=node:20-slim

# 1. Build: every dependency (the compiler included), then `npm pack`, whose `prepare` runs `npm run build`.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md ./
COPY scripts/ scripts/
COPY support/ support/
COPY docs/target-schema.json docs/
RUN npm pack --pack-destination /pkg --loglevel=error

# 2. Install: the package as packed, with its production dependencies at the locked versions (no install scripts).
FROM ${NODE_IMAGE} AS install
WORKDIR /opt/ha-conformance
COPY --from=build /pkg/ /pkg/
COPY package-lock.json ./
RUN tar -xzf /pkg/ha-conformance-*.tgz --strip-components=1 \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf /pkg

# 3. Run: node and the installed package only.
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
RUN groupadd --gid 10001 ha-validate \
 && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin ha-validate
COPY --from=install /opt/ha-conformance /opt/ha-conformance
LABEL org.opencontainers.image.title="ha-validate" \
      org.opencontainers.image.description="Conformance test harness and validator for highly available Hyperledger Fabric and Corda Enterprise deployments" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="ha-conformance"
USER 10001:10001
ENV NODE_ENV=production
ENTRYPOINT ["/usr/local/bin/node", "/opt/ha-conformance/scripts/ha-validate.mjs"]
CMD ["--help"]
