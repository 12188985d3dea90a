# syntax=docker/dockerfile:1

# Build stage: the Go version of go.mod, a static binary without cgo so that it runs on an
# image without a C library.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w" -o /out/chatpulse ./cmd/chatpulse

# Final stage: distroless static carries CA certificates and time zone data, no shell, and
# runs as the unprivileged user nonroot (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chatpulse /usr/local/bin/chatpulse
USER 65532:65532
# /healthz, /readyz and /metrics (CHATPULSE_HTTP_ADDR)
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/chatpulse"]
CMD ["run"]
