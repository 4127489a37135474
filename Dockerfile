# Roster: multi-stage build, non-root runtime that runs `roster serve`.
# Build:  docker build -t roster .
# Run:    docker run -p 8080:8080 -e DATABASE_URL=postgres://... -e ROSTER_SECRET_KEY=... roster

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` runs the `prepare` script, which compiles src/ to dist/.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    ROSTER_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY drizzle ./drizzle
COPY console ./console
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# Without DATABASE_URL the embedded database lives in /data: mount a volume to keep it.
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/roster.js", "serve"]
