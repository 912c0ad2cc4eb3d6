# The tether agent image for people who build with Docker (or podman/buildah) elsewhere. It is not
# built in this repository's CI: `npm run image` builds the same layout here without a container
# engine (umoci). Both assemble the root filesystem with scripts/image/rootfs.ts: Node and the
# libraries ldd reports, /etc/passwd with uid 65532, the CA bundle and dist/tether.mjs.
#
#   docker build -t tether:0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
#   docker run --read-only -v tether-state:/var/lib/tether tether:0.1.0 \
#     agent up --platform URL --cluster NAME --psk tpsk_...

FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && node --import tsx scripts/image/rootfs.ts /rootfs

FROM scratch
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=pkg:npm/@tether-dev/tether@0.1.0
COPY --from=build /rootfs/ /
LABEL org.opencontainers.image.title="tether agent" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}"
ENV HOME=/var/lib/tether \
    TETHER_HEALTH_LISTEN=:8081 \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /var/lib/tether
VOLUME /var/lib/tether
EXPOSE 8081/tcp
ENTRYPOINT ["/usr/local/bin/node", "/app/tether.mjs"]
CMD ["--help"]
