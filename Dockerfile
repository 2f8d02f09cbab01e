# meshloom operator image: multi-stage, current Node LTS, production dependencies only, non-root,
# runs with a read-only root filesystem (nothing is written at run time).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY operator ./operator
COPY cdk8s ./cdk8s
COPY webhooks ./webhooks
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 65532:65532
EXPOSE 9443 8080
ENTRYPOINT ["/nodejs/bin/node", "dist/operator/main.js"]
