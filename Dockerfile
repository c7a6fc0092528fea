# The leadbeam ingest: `docker build -t leadbeam .` then
#   docker run -p 8787:8787 -v leadbeam-data:/data -e LEADBEAM_SECRET_KEY=… leadbeam
# Without LEADBEAM_SECRET_KEY the admin key is made on the first start and kept in /data/secret-key.
# Other commands run in the same image: docker run --rm -v leadbeam-data:/data leadbeam node dist/ingest/src/cli/leadbeam.js migrate

# Builder: compilers for better-sqlite3's native module, all dependencies, the build.
FROM node:20-slim AS builder
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first: a source change does not reinstall (or recompile) them.
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY shared ./shared
COPY sdk ./sdk
COPY ingest ./ingest
RUN npm run build
# Only what runs is shipped: the compiled better-sqlite3 stays, the build tools go.
RUN npm prune --omit=dev

# Runtime: node and the built files, no compilers.
FROM node:20-slim
ENV NODE_ENV=production PORT=8787 DATABASE_URL=sqlite:/data/leadbeam.db
WORKDIR /app
COPY --from=builder /app/package.json ./package.json
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
COPY --from=builder /app/ingest/config ./ingest/config
COPY --from=builder /app/sdk/dist ./sdk/dist
# The dashboard's stylesheet, script and icon, served as they are (createAssetsRoute.ts).
COPY --from=builder /app/ingest/src/dashboard/assets ./ingest/src/dashboard/assets
# The database and the key file live in /data, owned by the user the server runs as.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8787
# No curl in the slim image: node's own fetch asks /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (docker stop): queued events are committed first.
CMD ["node", "dist/ingest/src/cli/leadbeam.js", "serve"]
