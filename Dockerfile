# grunndata: one static binary in a distroless image, running as non-root.
#   docker build -t grunndata:dev --build-arg VERSION=$(git describe --always --dirty) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/grunndata ./cmd/grunndata

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/grunndata /usr/local/bin/grunndata
# 65532 is distroless's nonroot user; /data must be writable by it.
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/grunndata"]
CMD ["serve", "--data", "/data", "--addr", "0.0.0.0:8080", "--admin-addr", "0.0.0.0:9090"]
