#include "tls/tls_probes.h"

#include <bpf/libbpf.h>
#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "metrics/labels.h"
#include "tls/elf_symbols.h"
#include "tls/go_binary.h"

namespace apiscope {
namespace {

const std::set<std::string> kSslFunctions = {"SSL_read", "SSL_write", "SSL_read_ex", "SSL_write_ex", "SSL_free"};

// Where Debian, Ubuntu, Fedora and Alpine keep the system libssl: attached at
// start, so a client started later is measured from its first request.
const char* kSystemLibssl[] = {
    "/usr/lib/x86_64-linux-gnu/libssl.so.3", "/lib/x86_64-linux-gnu/libssl.so.3",
    "/usr/lib/x86_64-linux-gnu/libssl.so.1.1", "/usr/lib64/libssl.so.3", "/usr/lib/libssl.so.3",
    "/lib/libssl.so.3"};

constexpr auto kSecondLook = std::chrono::milliseconds(300);  // after exec: libraries mapped, sockets open
constexpr size_t kMaxStatus = 1000;                           // label sets, whatever runs on the host
constexpr auto kGoSweep = std::chrono::seconds(2);             // state of Go processes gone, forgotten

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

bool has_socket(pid_t pid) {
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = opendir(dir.c_str());
    if (!d) return false;
    bool found = false;
    char target[64];
    while (dirent* e = readdir(d)) {
        ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof(target) - 1);
        if (n > 0 && std::string_view(target, n).rfind("socket:", 0) == 0) {
            found = true;
            break;
        }
    }
    closedir(d);
    return found;
}

// Files mapped by the process whose name is libssl.so*, as paths inside it.
std::set<std::string> mapped_libssl(pid_t pid) {
    std::set<std::string> out;
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
        auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        std::string path = line.substr(slash);
        auto base = path.substr(path.rfind('/') + 1);
        if (base.rfind("libssl.so", 0) == 0 && path.find(" (deleted)") == std::string::npos) out.insert(path);
    }
    return out;
}

}  // namespace

TlsProbes::TlsProbes(BpfProgram& bpf, const Config& cfg)
    : bpf_(bpf), cfg_(cfg), per_process_(!cfg.targets.pids.empty()) {
    if (!cfg.tls_enabled) return;
    if (!per_process_)
        for (const char* lib : kSystemLibssl) attach_file(lib, lib, true, -1);
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            pid_t pid = atoi(e->d_name);
            if (pid > 0 && pid != getpid()) inspect(pid, has_socket(pid));
        }
        closedir(d);
    }
    rb_ = ring_buffer__new(bpf.exec_events_fd(), on_exec, this, nullptr);
    if (!rb_) {
        std::cerr << "apiscope: TLS: cannot follow new processes (" << strerror(errno)
                  << "); HTTPS of processes started from now on may be missed\n";
        return;
    }
    thread_ = std::thread([this] { run(); });
}

TlsProbes::~TlsProbes() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ring_buffer__free(rb_);
}

bool TlsProbes::wanted(pid_t pid, const std::string& comm) const {
    const auto& t = cfg_.targets;
    if (!t.pids.empty() && std::find(t.pids.begin(), t.pids.end(), static_cast<uint32_t>(pid)) == t.pids.end())
        return false;
    if (!t.comms.empty() && std::find(t.comms.begin(), t.comms.end(), comm) == t.comms.end()) return false;
    return true;
}

const TlsProbes::FileState& TlsProbes::attach_file(const std::string& path, const std::string& shown,
                                                    bool must_have_ssl, pid_t pid) {
    static const FileState missing{"", ""};
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return missing;
    auto key = std::make_tuple(st.st_dev, st.st_ino, pid);
    auto it = files_.find(key);
    if (it != files_.end()) return it->second;
    FileState fs;
    try {
        auto funcs = elf_functions(path, kSslFunctions);
        if (!funcs.count("SSL_read") && !funcs.count("SSL_read_ex")) {
            fs.state = "unsupported";
            if (must_have_ssl) fs.reason = "no SSL_read/SSL_read_ex symbol (stripped?)";
        } else {
            fs.reason = bpf_.attach_openssl(path, funcs, pid);
            fs.state = fs.reason.empty() ? "attached" : "failed";
        }
    } catch (const std::exception& e) {
        fs.state = must_have_ssl ? "failed" : "unsupported";
        fs.reason = e.what();
    }
    if (!fs.reason.empty())
        std::cerr << "apiscope: TLS: " << shown << ": " << fs.state << ": " << fs.reason << "\n";
    return files_.emplace(key, fs).first->second;
}

const TlsProbes::FileState& TlsProbes::attach_go(const std::string& path, const std::string& shown, pid_t pid,
                                                  std::string* library) {
    static const FileState missing{"", ""};
    if (auto it = go_procs_.find(pid); it != go_procs_.end()) {
        *library = it->second.version;
        return it->second.fs;
    }
    // offsets are read from, and the probes put on, this very file (through
    // its fd): a binary replaced on disk meanwhile is never probed at offsets
    // of another
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return missing;
    GoProcess g;
    try {
        GoBinary go = go_binary(fd);
        g.version = go.version;
        if (go.version.empty()) {
            close(fd);
            return missing;
        }
        if (!go.unsupported.empty()) {
            g.fs = {"unsupported", go.unsupported};
        } else {
            g.links = bpf_.attach_go("/proc/self/fd/" + std::to_string(fd), go, pid);
            g.fs = {"attached", ""};
            go_probed_++;
        }
    } catch (const std::exception& e) {
        g.fs = {"failed", e.what()};
    }
    close(fd);
    if (!g.fs.reason.empty())
        std::cerr << "apiscope: TLS: " << shown << " (" << g.version << "): " << g.fs.state << ": " << g.fs.reason
                  << "\n";
    *library = g.version;
    return go_procs_.emplace(pid, std::move(g)).first->second.fs;
}

void TlsProbes::drop_go(pid_t pid) {
    auto it = go_procs_.find(pid);
    if (it == go_procs_.end()) return;
    bpf_.detach_go(it->second.links);
    go_procs_.erase(it);
}

void TlsProbes::inspect(pid_t pid, bool report) {
    std::string proc = "/proc/" + std::to_string(pid);
    std::string comm = read_first_line(proc + "/comm");
    if (comm.empty() || !wanted(pid, comm)) return;
    std::string service = service_label(cfg_, std::string_view(comm));
    std::vector<std::pair<std::string, std::string>> found;  // library, state
    std::lock_guard<std::mutex> lock(mu_);
    pid_t only = per_process_ ? pid : -1;
    // per process, the system libssl too, mapped or not: a uprobe waits for
    // the file to be mapped, so a libssl loaded later (dlopen) is covered
    if (per_process_)
        for (const char* lib : kSystemLibssl) attach_file(proc + "/root" + lib, lib, true, pid);
    // shared libssl, through the process's root so a container's own copy is found
    for (const auto& lib : mapped_libssl(pid)) {
        const auto& fs = attach_file(proc + "/root" + lib, lib, true, only);
        if (!fs.state.empty()) found.push_back({lib, fs.state});
    }
    // OpenSSL linked into the executable (Node.js and other static builds),
    // or a Go program with its own crypto/tls
    if (found.empty()) {
        char exe[4096];
        ssize_t n = readlink((proc + "/exe").c_str(), exe, sizeof(exe) - 1);
        if (n > 0) {
            std::string shown(exe, n), go;
            const auto& fs = attach_file(proc + "/exe", shown, false, only);
            if (fs.state == "attached" || fs.state == "failed") {
                found.push_back({shown, fs.state});
            } else {
                const auto& gs = attach_go(proc + "/exe", shown, pid, &go);
                // a Go program that is not served over TLS says so only when it has a socket
                if (!gs.state.empty() && (gs.state != "unsupported" || report)) found.push_back({go, gs.state});
            }
        }
    }
    if (found.empty()) {
        if (!report) return;
        found.push_back({"", "unsupported"});  // no OpenSSL nor Go: rustls, stripped binaries, ...
    }
    for (const auto& [lib, state] : found) {
        auto key = std::make_tuple(service, lib, state);
        std::lock_guard<std::mutex> lock(status_mu_);
        if (status_.size() < kMaxStatus) status_.insert(key);
    }
}

int TlsProbes::on_exec(void* ctx, void* data, size_t size) {
    auto* self = static_cast<TlsProbes*>(ctx);
    if (size < sizeof(uint32_t)) return 0;
    pid_t pid = *static_cast<uint32_t*>(data);
    // the program it was: its Go calls, sockets and probes are no more
    self->bpf_.forget_go_processes([pid](uint32_t tgid) { return tgid == static_cast<uint32_t>(pid); });
    {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->drop_go(pid);
    }
    // at once: an executable with OpenSSL linked in, or libssl linked directly
    self->inspect(pid, false);
    self->later_.push_back({std::chrono::steady_clock::now() + kSecondLook, pid});
    return 0;
}

void TlsProbes::run() {
    auto next_sweep = std::chrono::steady_clock::now() + kGoSweep;
    while (!stop_) {
        ring_buffer__poll(rb_, 100);
        if (std::chrono::steady_clock::now() >= next_sweep) {  // Go processes that exited
            next_sweep = std::chrono::steady_clock::now() + kGoSweep;
            auto gone = [](pid_t pid) { return kill(pid, 0) && errno == ESRCH; };
            bpf_.forget_go_processes([&](uint32_t tgid) { return gone(static_cast<pid_t>(tgid)); });
            std::lock_guard<std::mutex> lock(mu_);
            for (auto it = go_procs_.begin(); it != go_procs_.end();) {
                pid_t pid = (it++)->first;
                if (gone(pid)) drop_go(pid);
            }
        }
        // a second look: libssl loaded with dlopen, and whether it serves
        auto now = std::chrono::steady_clock::now();
        while (!later_.empty() && later_.front().first <= now) {
            pid_t pid = later_.front().second;
            later_.pop_front();
            inspect(pid, has_socket(pid));
        }
    }
}

std::vector<prometheus::MetricFamily> TlsProbes::Collect() const {
    if (!cfg_.tls_enabled) return {};
    prometheus::MetricFamily f;
    f.name = "apiscope_tls_probe_status";
    f.help = "Per service and TLS library (an OpenSSL file, or the Go version of a Go program): 1 for the "
             "state the TLS uprobes are in (attached; unsupported: no OpenSSL nor Go crypto/tls, or a Go "
             "version or architecture not probed, see the log; failed: see the log).";
    f.type = prometheus::MetricType::Gauge;
    std::lock_guard<std::mutex> lock(status_mu_);
    for (const auto& key : status_) {
        prometheus::ClientMetric m;
        m.label = {{"service_name", std::get<0>(key)}, {"library", std::get<1>(key)}, {"state", std::get<2>(key)}};
        m.gauge.value = 1;
        f.metric.push_back(std::move(m));
    }
    prometheus::MetricFamily go;
    go.name = "apiscope_go_tls_processes_probed_total";
    go.help = "Go processes whose crypto/tls was probed (each process is probed on its own, a few "
              "milliseconds after it starts).";
    go.type = prometheus::MetricType::Counter;
    go.metric.emplace_back().counter.value = static_cast<double>(go_probed_);
    return {f, go};
}

}  // namespace apiscope
