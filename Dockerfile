# chaski as a single binary, run as an unprivileged user.
#
#   docker build -t chaski .
#   docker run -d -p 25:25 -p 465:465 -p 587:587 \
#     -v /srv/chaski/etc:/etc/chaski:ro -v /srv/chaski/data:/var/lib/chaski chaski
#
# /etc/chaski holds chaski.yaml (or chasquid.conf), certs/ and domains/ and is
# only read; /var/lib/chaski is data_dir (the SQLite database and the queue)
# and must be writable by the chaski user (uid and gid 999 in this image).
# Binding 25, 465 and 587 without root relies on the container runtime
# setting net.ipv4.ip_unprivileged_port_start=0, which Docker (20.10+) and
# Podman do for containers with their own network namespace. With
# --network=host, pass that --sysctl or publish high ports instead.

# --- build: bun from npm compiles src/main.ts into one binary (offline step).
FROM node:22-bookworm-slim AS build
RUN npm install --global bun@1.4.4
WORKDIR /src
# Runtime dependencies only (yaml, kysely, dns-packet), pinned in package.json.
COPY package.json ./
RUN bun install --production
COPY src/ src/
RUN bun build --compile --outfile /out/chaski src/main.ts \
  && /out/chaski --version

# --- runtime: the binary needs glibc only.
FROM debian:bookworm-slim
# CA roots for hooks and MDAs that talk TLS; chaski itself uses Bun's.
RUN apt-get update \
  && apt-get install --yes --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 999 chaski \
  && useradd --system --uid 999 --gid chaski --home-dir /var/lib/chaski \
    --no-create-home --shell /usr/sbin/nologin chaski \
  && mkdir -p /etc/chaski /var/lib/chaski \
  && chown chaski:chaski /var/lib/chaski \
  && chmod 0750 /var/lib/chaski
COPY --from=build /out/chaski /usr/local/bin/chaski
USER chaski
WORKDIR /var/lib/chaski
VOLUME ["/etc/chaski", "/var/lib/chaski"]
EXPOSE 25 465 587
ENTRYPOINT ["/usr/local/bin/chaski"]
CMD ["serve", "--config-dir", "/etc/chaski"]
