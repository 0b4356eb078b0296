// The kernel side as one RAII object: open the skeleton, write the validated
// config into rodata and map sizes, load, fill the target maps, attach.
// Destruction detaches every link.
#pragma once

#include <cstdint>
#include <memory>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sys/types.h>
#include <stdexcept>
#include <string>
#include <vector>

#include "apiscope_shared.h"
#include "config/config.h"
#include "tls/go_binary.h"

struct apiscope_bpf;
struct bpf_link;
struct bpf_map;

namespace apiscope {

// Loading or attaching failed: the message names the cause and the fix.
struct BpfError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ProgramStats {
    std::string name;
    uint64_t run_time_ns = 0;
    uint64_t run_count = 0;
};

struct MapInfo {
    std::string name;
    int fd;
    uint32_t capacity;
};

class BpfProgram {
public:
    explicit BpfProgram(const Config& cfg);
    ~BpfProgram();
    BpfProgram(const BpfProgram&) = delete;
    BpfProgram& operator=(const BpfProgram&) = delete;

    int metrics_fd() const;
    // The text of a route id the kernel made (nullopt: none such).
    std::optional<std::string> route_text(uint64_t id) const;
    int counters_fd() const;
    int label_values_fd() const;
    int log_events_fd() const;
    int exec_events_fd() const;
    int genai_events_fd() const;
    int genai_calls_fd() const;
    int h2_events_fd() const;
    // The kernel's entry of an HTTP/2 stream past its connection's slots,
    // deleted (a stream of a closed connection, finished in user space);
    // nullopt if none, or if it is an earlier connection's on that fd.
    std::optional<as_h2_stream> take_h2_stream(uint32_t tgid, uint32_t fd, uint64_t conn, uint32_t stream) const;
    // Is the connection (tgid, fd) first seen at `id` still tracked?
    bool conn_alive(uint32_t tgid, uint32_t fd, uint64_t id) const;
    // Attaches the OpenSSL uprobes to the functions of `funcs` (SSL_read,
    // SSL_write, SSL_read_ex, SSL_write_ex, SSL_free, by their offsets) in the ELF file at path, for the
    // process pid, or with -1 for every process that maps it. Returns "" or
    // why it failed. Thread-safe.
    std::string attach_openssl(const std::string& path, const std::map<std::string, uint64_t>& funcs, pid_t pid = -1);
    // Attaches the Go crypto/tls uprobes at the sites of `go` (file offsets in
    // the file at path) for process pid, as a few uprobe_multi links. Returns
    // their fds (for detach_go), or throws BpfError naming what failed.
    // Thread-safe.
    std::vector<int> attach_go(const std::string& path, const GoBinary& go, pid_t pid);
    void detach_go(const std::vector<int>& links);
    // Forgets the Go crypto/tls calls and sockets of the processes for which
    // `gone` is true (exited, or exec'd into another program).
    void forget_go_processes(const std::function<bool(uint32_t tgid)>& gone);
    std::vector<MapInfo> maps() const;  // the maps whose fill is exported
    std::vector<ProgramStats> program_stats() const;

private:
    void configure(const Config& cfg);
    void fill_targets(const Config& cfg);

    void attach_syscalls();
    bpf_map* metrics_map() const;
    void release();

    apiscope_bpf* skel_ = nullptr;
    std::vector<struct bpf_link*> links_;
    std::set<int> uprobe_links_;  // uprobe_multi link fds: OpenSSL's and Go's
    std::mutex links_mu_;
    int stats_fd_ = -1;
};

// Resolves a cgroup v2 path (absolute, or relative to the cgroup2 mount) to
// the id BPF sees; throws ConfigError if there is no such cgroup.
uint64_t cgroup_id(const std::string& path);

}  // namespace apiscope
