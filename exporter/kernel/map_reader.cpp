#include "kernel/map_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace apiscope {
namespace {

bpf_map_info map_info(int fd, const std::string& name) {
    bpf_map_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len))
        throw MapReadError("map " + name + ": get info: " + strerror(errno));
    return info;
}

void read_one_by_one(int fd, RawEntries& out, const std::string& name) {
    std::vector<uint8_t> key(out.key_size), next(out.key_size), val(out.value_size * out.cpus);
    void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        if (bpf_map_lookup_elem(fd, next.data(), val.data()) == 0) {
            out.keys.insert(out.keys.end(), next.begin(), next.end());
            out.values.insert(out.values.end(), val.begin(), val.end());
        } else if (errno != ENOENT) {
            throw MapReadError("map " + name + ": lookup: " + strerror(errno));
        }
        key = next;
        prev = key.data();
    }
}

}  // namespace

RawEntries read_hash_map(int fd, const std::string& name) {
    auto info = map_info(fd, name);
    RawEntries out{info.key_size, info.value_size, 1, {}, {}};
    if (info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
        out.value_size = (info.value_size + 7) / 8 * 8;  // the kernel pads each CPU's copy
        out.cpus = libbpf_num_possible_cpus();
    }
    const size_t stride = out.value_size * out.cpus;
    const uint32_t chunk = 1024;
    std::vector<uint8_t> keys(chunk * out.key_size), vals(chunk * stride);
    uint64_t in_batch = 0, out_batch = 0;  // opaque position tokens (hash: bucket index)
    bool first = true;
    for (;;) {
        uint32_t count = chunk;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        int err = bpf_map_lookup_batch(fd, first ? nullptr : &in_batch, &out_batch, keys.data(),
                                       vals.data(), &count, &opts);
        int e = err ? errno : 0;
        if (err && e == EINVAL && first) {
            out.keys.clear();
            out.values.clear();
            read_one_by_one(fd, out, name);  // no batch ops on this kernel
            return out;
        }
        if (err && e == ENOSPC) {
            // a bucket holds more than a chunk: retry bigger
            keys.resize(keys.size() * 2);
            vals.resize(vals.size() * 2);
            continue;
        }
        if (err && e != ENOENT) throw MapReadError("map " + name + ": batch lookup: " + strerror(e));
        out.keys.insert(out.keys.end(), keys.begin(), keys.begin() + count * out.key_size);
        out.values.insert(out.values.end(), vals.begin(), vals.begin() + count * stride);
        if (err) break;  // ENOENT: that was the last batch
        in_batch = out_batch;
        first = false;
    }
    return out;
}

uint64_t count_entries(int fd, size_t key_size) {
    std::vector<uint8_t> key(key_size), next(key_size);
    void* prev = nullptr;
    uint64_t n = 0;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        n++;
        key = next;
        prev = key.data();
    }
    return n;
}

std::vector<uint64_t> read_percpu_counters(int fd, uint32_t slots) {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<uint64_t> out(slots), percpu(ncpu > 0 ? ncpu : 1);
    for (uint32_t i = 0; i < slots; i++) {
        if (bpf_map_lookup_elem(fd, &i, percpu.data()))
            throw MapReadError(std::string("counters: lookup: ") + strerror(errno));
        for (auto v : percpu) out[i] += v;
    }
    return out;
}

}  // namespace apiscope
