# OpenCloudPrint server image. Build: docker build -t opencloudprint .
# Run:   docker run -d -p 8080:8080 -p 5222:5222 -p 5223:5223 -p 5235:5235 \
#          -e OCP_PUBLIC_URL=http://print.example.lan:8080 -v ocp-data:/var/lib/ocp opencloudprint
# Admin: docker exec CONTAINER ocp user add you@example.com --password-stdin
# (docs/operations.md has the whole procedure.)

# Stage 1: production dependencies, with the toolchain better-sqlite3 falls
# back to when no prebuilt binary fits.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /opt/ocp
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Stage 2: the runtime. Sources run through tsx (a dependency): no build step.
FROM node:20-bookworm-slim
WORKDIR /opt/ocp
COPY --from=dependencies /opt/ocp/node_modules ./node_modules
COPY package.json LICENSE CHANGELOG.md ./
COPY bin ./bin
COPY src ./src
RUN ln -s /opt/ocp/bin/ocp /usr/local/bin/ocp \
 && mkdir -p /var/lib/ocp \
 && chown node:node /var/lib/ocp \
 && chmod 0700 /var/lib/ocp
ENV NODE_ENV=production \
    OCP_DATA=/var/lib/ocp \
    OCP_HOST=0.0.0.0 \
    OCP_HTTP_PORT=8080
# The database, documents, TLS material and the lock live in the volume.
VOLUME ["/var/lib/ocp"]
# HTTP, XMPP (STARTTLS), XMPP (direct TLS), CCS (direct TLS).
EXPOSE 8080 5222 5223 5235
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.OCP_HTTP_PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM stops the server cleanly (/readyz answers 503 for --shutdown-delay first).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/ocp/bin/ocp"]
CMD ["server"]
