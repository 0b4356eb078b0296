# apiscope container: a Debian 12 build stage and a slim runtime stage with
# the binary and its shared libraries only.
#
# Run as a sidecar next to an API container (shares its PID and network
# namespaces) or host-wide. It needs CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN,
# CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (docs/security.md says which does
# what), or --privileged, and the host's /sys/kernel/btf:
#   docker run --privileged --pid=container:APP --network=container:APP apiscope
#   docker run --privileged --pid=host --network=host apiscope
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
      prometheus-cpp-dev libcli11-dev libyaml-cpp-dev libssl-dev libnghttp2-dev libcapstone-dev \
      libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev nlohmann-json3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY ebpf ebpf
COPY exporter exporter
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    && cmake --build build -j"$(nproc)"

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libbpf1 libelf1 zlib1g libprometheus-cpp-core1.0 libyaml-cpp0.7 libnghttp2-14 libcapstone4 \
      libmicrohttpd12 libgnutls30 libcurl4 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/apiscope /usr/local/bin/apiscope
COPY config/apiscope.yaml /etc/apiscope/apiscope.yaml
EXPOSE 9478
ENTRYPOINT ["/usr/local/bin/apiscope"]
CMD ["--config", "/etc/apiscope/apiscope.yaml"]
