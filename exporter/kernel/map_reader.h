// Reading whole BPF maps from user space at scrape time.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace apiscope {

struct MapReadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// All entries of a hash map, as raw key and value bytes, read in batches
// (BPF_MAP_LOOKUP_BATCH), or one by one on kernels without batch support.
// A per-CPU map gives `cpus` values per key, each `value_size` apart.
struct RawEntries {
    size_t key_size, value_size, cpus = 1;
    std::vector<uint8_t> keys, values;
    size_t size() const { return key_size ? keys.size() / key_size : 0; }
    const void* key(size_t i) const { return keys.data() + i * key_size; }
    const void* value(size_t i, size_t cpu = 0) const {
        return values.data() + (i * cpus + cpu) * value_size;
    }
};
RawEntries read_hash_map(int fd, const std::string& name);

// Number of entries (walks keys only).
uint64_t count_entries(int fd, size_t key_size);

// Sum over CPUs of each slot of a per-CPU array of u64.
std::vector<uint64_t> read_percpu_counters(int fd, uint32_t slots);

}  // namespace apiscope
