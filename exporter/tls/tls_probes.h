// HTTPS through OpenSSL and Go's crypto/tls: finds libssl (shared, or linked
// into an executable) and Go executables in target processes, attaches the
// uprobes once per file (once per file and process with --target.pid),
// follows new processes through exec events, and reports per service whether
// TLS is attached, unsupported or failed (apiscope_tls_probe_status).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <set>
#include <tuple>

#include "config/config.h"
#include "kernel/bpf_program.h"

struct ring_buffer;

namespace apiscope {

class TlsProbes : public prometheus::Collectable {
public:
    // Scans the running processes and starts following exec events; with
    // tls.enabled off, does nothing and reports nothing.
    TlsProbes(BpfProgram& bpf, const Config& cfg);
    ~TlsProbes();
    TlsProbes(const TlsProbes&) = delete;
    TlsProbes& operator=(const TlsProbes&) = delete;

    std::vector<prometheus::MetricFamily> Collect() const override;

private:
    struct FileState {
        std::string state;   // attached, unsupported, failed
        std::string reason;  // why it failed
    };
    // Looks at a process; with report, its status is recorded even when it
    // has no OpenSSL (only processes that have a socket by then).
    void inspect(pid_t pid, bool report);
    // Attaches to the OpenSSL functions of the file at path (as reachable
    // from here) once per file, for process pid or -1 for all; `shown` is its
    // path inside the process.
    const FileState& attach_file(const std::string& path, const std::string& shown, bool must_have_ssl,
                                 pid_t pid);
    // The same for a Go executable, for process pid; `library` is set to its
    // Go version. An empty state: not a Go program.
    const FileState& attach_go(const std::string& path, const std::string& shown, pid_t pid, std::string* library);
    // Removes the probes of a process that exited or exec'd.
    void drop_go(pid_t pid);
    bool wanted(pid_t pid, const std::string& comm) const;
    void run();
    static int on_exec(void* ctx, void* data, size_t size);

    BpfProgram& bpf_;
    const Config& cfg_;
    // With --target.pid the probes are attached per process: a uprobe traps
    // only in the processes it is attached for, and each trap costs
    // microseconds, so processes apiscope ignores do not pay it.
    const bool per_process_;
    std::map<std::tuple<dev_t, ino_t, pid_t>, FileState> files_;
    // Go programs are probed per process, never per file: a file rewritten
    // in place (same inode, other code) is then never run with probes at the
    // offsets of its old code, which would break its instructions.
    struct GoProcess {
        FileState fs;
        std::string version;
        std::vector<int> links;
    };
    std::map<pid_t, GoProcess> go_procs_;
    std::atomic<uint64_t> go_probed_{0};
    std::mutex mu_;  // files and processes, held while attaching (which can take a while)
    mutable std::mutex status_mu_;  // what scrapes read: never held across an attach
    // (service_name, library, state) seen
    std::set<std::tuple<std::string, std::string, std::string>> status_;
    std::deque<std::pair<std::chrono::steady_clock::time_point, pid_t>> later_;  // second looks
    ring_buffer* rb_ = nullptr;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace apiscope
