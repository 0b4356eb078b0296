#include "kernel/bpf_program.h"

#include <algorithm>
#include <unordered_map>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>
#include <utility>
#include <vector>

#include "apiscope_shared.h"  // before the skeleton: its rodata holds these types
#include "apiscope_bpf.skel.h"
#include "conn_types.h"
#include "genai/genai_parse.h"
#include "kernel/capture_rodata.h"
#include "kernel/kernel_route.h"
#include "kernel/privileges.h"
#include "metrics/histogram_agg.h"
#include "workload/cgroup_fs.h"

namespace apiscope {
namespace {

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    // Debug chatter stays quiet; warnings (verifier logs on failure) go to stderr.
    if (level == LIBBPF_DEBUG || getenv("APISCOPE_QUIET_LIBBPF")) return 0;
    return vfprintf(stderr, fmt, args);
}

void ensure_tracefs() {
    // libbpf finds tracepoint ids under tracefs, which a fresh host or a
    // container may not have mounted.
    struct stat st;
    if (stat("/sys/kernel/tracing/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
        return;
    if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0)
        throw BpfError(std::string("tracefs is not mounted and mounting it failed (") + strerror(errno) +
                       "): run 'mount -t tracefs none /sys/kernel/tracing' or give apiscope "
                       "CAP_SYS_ADMIN");
}

const char* kPrivilegeFix =
    "run apiscope as root, or with CAP_BPF and CAP_PERFMON (HTTPS also needs CAP_SYS_ADMIN, "
    "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH; in a container: --cap-add them, or --privileged)";

void check_privileges() {
    auto missing = missing_capabilities();
    if (missing.empty()) return;
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : " and ") + m;
    throw BpfError("permission denied: loading BPF programs needs " + names + ", which this process lacks; " +
                   kPrivilegeFix);
}

std::string load_error(int err) {
    err = std::abs(err);
    if (err == EPERM || err == EACCES) return std::string("permission denied: ") + kPrivilegeFix;
    if (err == ENOMEM)
        return std::string(strerror(err)) + ": the BPF maps do not fit; lower maps.* in the config";
    if (err == E2BIG)
        return std::string(strerror(err)) + ": the BPF maps do not fit (lower maps.* in the config), or a "
               "program is too complex for this kernel's verifier (its log is above)";
    return std::string(strerror(err)) + " (libbpf's messages above say more)";
}

template <typename T>
void set_entries(bpf_map* map, T n) {
    bpf_map__set_max_entries(map, static_cast<uint32_t>(n));
}

// The highest PID plus one; a process above a later-raised pid_max is
// judged at every syscall instead of once.
uint32_t pid_max() {
    std::ifstream f("/proc/sys/kernel/pid_max");
    uint32_t n = 0;
    return (f >> n) && n > 0 ? n : 4194304;  // PID_MAX_LIMIT on 64-bit
}

}  // namespace

uint64_t cgroup_id(const std::string& path) {
    std::vector<std::string> candidates;
    if (!path.empty() && path[0] == '/') candidates.push_back(path);
    for (const char* root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"})
        candidates.push_back(std::string(root) + (path.empty() || path[0] != '/' ? "/" : "") + path);
    for (const auto& c : candidates) {
        struct stat st;
        if (stat(c.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return st.st_ino;
    }
    throw ConfigError("targets.cgroups: no cgroup v2 directory '" + path +
                      "' (give a path under /sys/fs/cgroup or /sys/fs/cgroup/unified)");
}

namespace {

// A link of one program to many offsets of a file (BPF_TRACE_UPROBE_MULTI,
// Linux 6.6): removed in one grace period, where single uprobes wait for one
// each (about 0.1 s on this kernel: 2.8 s for a Go program's 26 sites, 0.02
// s as one link). libbpf 1.1 and the uapi headers here predate it, hence
// the attr by hand: bpf_attr's link_create with its uprobe_multi member.
constexpr int kUprobeMulti = 48;

constexpr uint32_t kUprobeMultiReturn = 1;  // BPF_F_UPROBE_MULTI_RETURN: at the functions' returns

// The link's fd, or -1 with why it failed (naming `what`) in *why.
int attach_uprobe_multi(bpf_program* prog, const std::string& path, const std::vector<uint64_t>& offsets, pid_t pid,
                        uint32_t flags, const char* what, std::string* why) {
    struct {
        uint32_t prog_fd, target_fd, attach_type, flags;
        uint64_t path, offsets, ref_ctr_offsets, cookies;
        uint32_t cnt, multi_flags, pid;
    } attr = {};
    attr.prog_fd = static_cast<uint32_t>(bpf_program__fd(prog));
    attr.attach_type = kUprobeMulti;
    attr.path = reinterpret_cast<uintptr_t>(path.c_str());
    attr.offsets = reinterpret_cast<uintptr_t>(offsets.data());
    attr.cnt = static_cast<uint32_t>(offsets.size());
    attr.multi_flags = flags;
    attr.pid = pid > 0 ? static_cast<uint32_t>(pid) : 0;
    int fd = static_cast<int>(syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr)));
    if (fd < 0)
        *why = std::string(what) + ": " + strerror(errno) +
               (errno == EINVAL ? " (uprobe_multi links need Linux 6.6 or later)" : "");
    return fd;
}

}  // namespace

BpfProgram::BpfProgram(const Config& cfg) {
    libbpf_set_print(libbpf_print);
    check_privileges();
    struct stat st;
    if (stat("/sys/kernel/btf/vmlinux", &st) != 0)
        throw BpfError("kernel BTF not found at /sys/kernel/btf/vmlinux: apiscope needs a kernel "
                       "built with CONFIG_DEBUG_INFO_BTF=y (Linux 5.8 or later)");
    ensure_tracefs();

    skel_ = apiscope_bpf__open();
    if (!skel_) throw BpfError("opening the BPF object failed: " + load_error(errno));
    configure(cfg);
    // APISCOPE_VERIFIER_STATS=1: how much work each program is for the
    // verifier under this config (docs/benchmarks.md, "Verifier work")
    bool verifier_stats = getenv("APISCOPE_VERIFIER_STATS") != nullptr;
    std::vector<std::vector<char>> logs;
    if (verifier_stats) {
        bpf_program* prog;
        bpf_object__for_each_program(prog, skel_->obj) {
            logs.emplace_back(1 << 16);
            bpf_program__set_log_buf(prog, logs.back().data(), logs.back().size());
            bpf_program__set_log_level(prog, 4);  // statistics only
        }
    }
    int err = apiscope_bpf__load(skel_);
    if (verifier_stats && !err) {
        bpf_program* prog;
        bpf_object__for_each_program(prog, skel_->obj) {
            if (!bpf_program__autoload(prog)) continue;
            size_t size = 0;
            const char* log = bpf_program__log_buf(prog, &size);
            // "processed N insns ...", and the stack each function of the program takes
            for (const char* what : {"processed ", "stack depth "}) {
                const char* line = log ? strstr(log, what) : nullptr;
                fprintf(stderr, "verifier: %s: %.*s\n", bpf_program__name(prog),
                        line ? static_cast<int>(strcspn(line, "\n")) : 0, line ? line : "");
            }
        }
    }
    if (err) {
        apiscope_bpf__destroy(skel_);
        // privileges were checked above: EACCES now is the verifier's verdict
        if (std::abs(err) == EACCES)
            throw BpfError("the kernel's verifier rejected the BPF programs (its log is above); this is a "
                           "bug in apiscope: please report it with the log and `uname -r`");
        throw BpfError("loading the BPF programs failed: " + load_error(err));
    }
    try {
        fill_targets(cfg);
        if (cfg.bpf_stats) stats_fd_ = bpf_enable_stats(BPF_STATS_RUN_TIME);
        attach_syscalls();
        err = apiscope_bpf__attach(skel_);  // close and process exit
        if (err) throw BpfError("attaching the close/exit tracepoints failed: " + load_error(err));
    } catch (...) {
        release();
        throw;
    }
}

BpfProgram::~BpfProgram() { release(); }

void BpfProgram::release() {
    std::lock_guard<std::mutex> lock(links_mu_);
    // Each detach waits for an RCU grace period (about 70 ms here, 1.4 s for
    // the twenty tracepoints one after another); detached side by side they
    // share them.
    std::vector<std::thread> detaching;
    if (skel_ && skel_->skeleton)  // the skeleton's own (close, exit, exec, rename)
        for (int i = 0; i < skel_->skeleton->prog_cnt; i++)
            if (bpf_link** link = skel_->skeleton->progs[i].link; link && *link)
                detaching.emplace_back([l = std::exchange(*link, nullptr)] { bpf_link__destroy(l); });
    for (auto* link : links_) detaching.emplace_back([link] { bpf_link__destroy(link); });
    for (int l : uprobe_links_) detaching.emplace_back([l] { close(l); });
    for (auto& t : detaching) t.join();
    links_.clear();
    uprobe_links_.clear();
    apiscope_bpf__destroy(skel_);
    skel_ = nullptr;
    if (stats_fd_ >= 0) close(stats_fd_);
    stats_fd_ = -1;
}

void BpfProgram::attach_syscalls() {
    // One exit program serves every data syscall; it reads the arguments
    // from the saved user registers, so nothing runs at syscall entry.
    static const char* syscalls[] = {"read",    "write",   "readv",      "writev",
                                     "recvfrom", "sendto", "recvmsg",    "sendmsg",
                                     "sendfile64", "accept", "accept4", "connect"};
    for (const char* sc : syscalls) {
        std::string tp = std::string("sys_exit_") + sc;
        bpf_link* link = bpf_program__attach_tracepoint(skel_->progs.syscall_exit, "syscalls", tp.c_str());
        if (!link) throw BpfError("attaching to tracepoint syscalls/" + tp + " failed: " + load_error(errno));
        links_.push_back(link);
    }
}

static bool own_pid_namespace_only(const std::string& mode) {
    if (mode == "host") return false;
    if (mode == "own") return true;
    // auto: PROC_PID_INIT_INO is the host's (initial) PID namespace
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != 0xEFFFFFFCU;
}

void BpfProgram::configure(const Config& cfg) {
    auto* ro = skel_->rodata;
    struct stat ns;
    if (own_pid_namespace_only(cfg.targets.pid_namespace) && stat("/proc/self/ns/pid", &ns) == 0) {
        ro->filter_pidns = true;
        ro->pidns_dev = ns.st_dev;
        ro->pidns_ino = ns.st_ino;
    }
    ro->self_tgid = getpid();
    ro->self_port = parse_listen_address(cfg.listen_address).port;
    ro->filter_pid = !cfg.targets.pids.empty();
    ro->filter_comm = !cfg.targets.comms.empty();
    ro->filter_port = !cfg.targets.ports.empty();
    ro->filter_cgroup = !cfg.targets.cgroups.empty();
    if (cfg.kubernetes.enabled) {
        CgroupFs fs;
        ro->workload_cgroups = true;
        ro->cgroup2_root_id = fs.v2_root_id();
        ro->cgroup1_memory = fs.has_v1_memory();
    }
    ro->max_routes_per_service = cfg.routes_max_per_service;
    auto bounds = KernelBounds::of(cfg);  // the exporter's user-space series bucket alike
    ro->n_duration_bounds = bounds.duration_ns.size();
    for (size_t i = 0; i < bounds.duration_ns.size(); i++) ro->duration_bounds_ns[i] = bounds.duration_ns[i];
    ro->n_size_bounds = bounds.size.size();
    for (size_t i = 0; i < bounds.size.size(); i++) ro->size_bounds[i] = bounds.size[i];
    set_entries(skel_->maps.conns, cfg.maps.connections);
    set_entries(skel_->maps.target_verdicts, pid_max() / AS_VERDICTS_PER_WORD + 1);
    ro->percpu_metrics = cfg.maps.percpu_values;
    set_entries(cfg.maps.percpu_values ? skel_->maps.metrics_percpu : skel_->maps.metrics, cfg.maps.series);
    set_entries(cfg.maps.percpu_values ? skel_->maps.metrics : skel_->maps.metrics_percpu, 1);
    set_entries(skel_->maps.routes, cfg.maps.routes);
    set_entries(skel_->maps.service_routes, cfg.maps.routes);

    // Header capture and the access log cost memory only when configured.
    bool capture = capture_enabled(cfg);
    ro->capture_on = capture;
    ro->capture_cfg = capture_rodata(cfg);
    ro->max_label_values = cfg.headers.max_label_values;
    set_entries(skel_->maps.caps, capture ? cfg.maps.captures : 64);
    bool labels = ro->capture_cfg.n_labels > 0;
    set_entries(skel_->maps.label_values, labels ? cfg.maps.label_values : 1);
    set_entries(skel_->maps.label_value_count, labels ? cfg.maps.label_values : 1);
    const auto& log = cfg.access_log;
    ro->log_on = log.enabled();
    ro->log_sample_threshold = static_cast<uint64_t>(std::llround(log.sample_ratio * 4294967296.0));
    ro->log_rate_limit = log.rate_limit_per_second;
    ro->log_wake_bytes = log.buffer_bytes / 4;  // a burst the reader's pacing missed
    ro->tls_on = cfg.tls_enabled;
    // uprobes are attached per OpenSSL file by TlsProbes, not here
    for (bpf_program* p : {skel_->progs.tls_read_enter, skel_->progs.tls_write_enter,
                           skel_->progs.tls_read_ex_enter, skel_->progs.tls_write_ex_enter,
                           skel_->progs.tls_return, skel_->progs.tls_free})
        bpf_program__set_autoattach(p, false);
    bpf_program__set_autoattach(skel_->progs.process_exec, cfg.tls_enabled);
    for (bpf_program* p : {skel_->progs.go_tls_read_enter, skel_->progs.go_tls_write_enter,
                           skel_->progs.go_tls_handshake_enter, skel_->progs.go_tls_ret,
                           skel_->progs.go_tls_handshake_ret, skel_->progs.tls_read_enter,
                           skel_->progs.tls_write_enter, skel_->progs.tls_read_ex_enter,
                           skel_->progs.tls_write_ex_enter, skel_->progs.tls_return, skel_->progs.tls_free})
        bpf_program__set_expected_attach_type(p, static_cast<bpf_attach_type>(kUprobeMulti));
    set_entries(skel_->maps.log_events, log.enabled() ? log.buffer_bytes : 4096);
    ro->h2_on = cfg.http2.enabled;
    ro->h2_wake_bytes = cfg.http2.buffer_bytes / 2;
    set_entries(skel_->maps.h2_events, cfg.http2.enabled ? cfg.http2.buffer_bytes : 4096);
    set_entries(skel_->maps.h2_streams, cfg.http2.enabled ? cfg.maps.h2_streams : 1);
    ro->genai_on = cfg.genai.enabled;
    ro->genai_hdrs = genai_hdrs(cfg);
    set_entries(skel_->maps.genai_calls, cfg.genai.enabled ? cfg.maps.genai_calls : 1);
    set_entries(skel_->maps.genai_events, cfg.genai.enabled ? 4u << 20 : 4096);
    if (cfg.genai.enabled && !capture) set_entries(skel_->maps.caps, cfg.maps.captures);  // MCP session headers
}

void BpfProgram::fill_targets(const Config& cfg) {
    uint8_t one = 1;
    auto put = [&](bpf_map* map, const void* key, const std::string& what) {
        if (bpf_map__update_elem(map, key, bpf_map__key_size(map), &one, 1, BPF_ANY))
            throw BpfError("adding target " + what + " failed: " + strerror(errno));
    };
    for (auto pid : cfg.targets.pids) put(skel_->maps.target_pids, &pid, "pid " + std::to_string(pid));
    for (const auto& comm : cfg.targets.comms) {
        char key[AS_COMM_LEN] = {};
        memcpy(key, comm.data(), std::min(comm.size(), sizeof(key) - 1));
        put(skel_->maps.target_comms, key, "comm " + comm);
    }
    for (auto port : cfg.targets.ports) put(skel_->maps.target_ports, &port, "port " + std::to_string(port));
    if (cfg.genai.enabled) {
        auto table = genai_route_table(cfg.genai);
        for (size_t i = 0; i < table.size(); i++) {
            uint64_t hash = kernel_route_hash(table[i].route);
            uint8_t value = i + 1;
            if (bpf_map__update_elem(skel_->maps.genai_routes, &hash, sizeof(hash), &value, 1, BPF_ANY))
                throw BpfError("adding LLM/MCP route " + table[i].route + " failed: " + strerror(errno));
        }
    }
    for (const auto& cg : cfg.targets.cgroups) {
        uint64_t id = cgroup_id(cg);
        put(skel_->maps.target_cgroups, &id, "cgroup " + cg);
    }
}

bpf_map* BpfProgram::metrics_map() const {
    return skel_->rodata->percpu_metrics ? skel_->maps.metrics_percpu : skel_->maps.metrics;
}

int BpfProgram::metrics_fd() const { return bpf_map__fd(metrics_map()); }
std::optional<std::string> BpfProgram::route_text(uint64_t id) const {
    as_route r = {};
    if (bpf_map__lookup_elem(skel_->maps.routes, &id, sizeof(id), &r, sizeof(r), 0)) return std::nullopt;
    return std::string(r.text, strnlen(r.text, sizeof(r.text)));
}
int BpfProgram::counters_fd() const { return bpf_map__fd(skel_->maps.counters); }
int BpfProgram::label_values_fd() const { return bpf_map__fd(skel_->maps.label_values); }
int BpfProgram::log_events_fd() const { return bpf_map__fd(skel_->maps.log_events); }
int BpfProgram::exec_events_fd() const { return bpf_map__fd(skel_->maps.exec_events); }
int BpfProgram::genai_events_fd() const { return bpf_map__fd(skel_->maps.genai_events); }
int BpfProgram::h2_events_fd() const { return bpf_map__fd(skel_->maps.h2_events); }

std::optional<as_h2_stream> BpfProgram::take_h2_stream(uint32_t tgid, uint32_t fd, uint64_t conn,
                                                       uint32_t stream) const {
    as_cap_key k = {tgid, fd, stream};
    as_h2_spilled v;
    // looked up before deleted: the entry may already be a later connection's on that fd
    if (bpf_map__lookup_elem(skel_->maps.h2_streams, &k, sizeof(k), &v, sizeof(v), 0) || v.conn != conn ||
        bpf_map__delete_elem(skel_->maps.h2_streams, &k, sizeof(k), 0))
        return std::nullopt;
    const as_h2_stream& st = v.st;
    if (st.genai == AS_H2_GENAI_KEPT) {  // its body windows: the stream did not end, nothing to read
        k.slot |= AS_GENAI_H2_SLOT;
        bpf_map__delete_elem(skel_->maps.genai_calls, &k, sizeof(k), 0);
    }
    return st;
}

bool BpfProgram::conn_alive(uint32_t tgid, uint32_t fd, uint64_t id) const {
    as_conn_key k = {tgid, fd};
    as_conn c;
    return bpf_map__lookup_elem(skel_->maps.conns, &k, sizeof(k), &c, sizeof(c), 0) == 0 && c.id == id;
}
int BpfProgram::genai_calls_fd() const { return bpf_map__fd(skel_->maps.genai_calls); }

std::string BpfProgram::attach_openssl(const std::string& path, const std::map<std::string, uint64_t>& funcs,
                                       pid_t pid) {
    struct Probe {
        const char* func;
        bpf_program* entry;
        bool ret = true;  // and the return probe
    };
    const Probe probes[] = {{"SSL_read", skel_->progs.tls_read_enter},
                            {"SSL_write", skel_->progs.tls_write_enter},
                            {"SSL_read_ex", skel_->progs.tls_read_ex_enter},
                            {"SSL_write_ex", skel_->progs.tls_write_ex_enter},
                            {"SSL_free", skel_->progs.tls_free, false}};
    // uprobe_multi links, as for Go: a file's probes go at exit in one grace
    // period, not one each (2.3 s for two libraries' nine probes)
    std::vector<int> made;
    std::vector<uint64_t> rets;
    std::string why;
    auto attach = [&](bpf_program* prog, const std::vector<uint64_t>& offsets, uint32_t flags, const char* what) {
        int fd = attach_uprobe_multi(prog, path, offsets, pid, flags, what, &why);
        if (fd >= 0) made.push_back(fd);
        return fd >= 0;
    };
    bool ok = true;
    for (const auto& p : probes) {
        auto f = funcs.find(p.func);
        if (f == funcs.end()) continue;
        if (!(ok = attach(p.entry, {f->second}, 0, p.func))) break;
        if (p.ret) rets.push_back(f->second);
    }
    if (ok && !rets.empty()) ok = attach(skel_->progs.tls_return, rets, kUprobeMultiReturn, "returns");
    if (!ok) {
        for (int l : made) close(l);
        return why;
    }
    std::lock_guard<std::mutex> lock(links_mu_);
    uprobe_links_.insert(made.begin(), made.end());
    return "";
}

std::vector<int> BpfProgram::attach_go(const std::string& path, const GoBinary& go, pid_t pid) {
    std::vector<int> made;
    auto attach = [&](bpf_program* prog, const std::vector<uint64_t>& offsets, const char* what) {
        std::string why;
        int fd = attach_uprobe_multi(prog, path, offsets, pid, 0, what, &why);
        if (fd < 0) {
            for (int l : made) close(l);
            throw BpfError(why);
        }
        made.push_back(fd);
    };
    attach(skel_->progs.go_tls_read_enter, {go.read.entry}, "crypto/tls.(*Conn).Read");
    attach(skel_->progs.go_tls_write_enter, {go.write.entry}, "crypto/tls.(*Conn).Write");
    std::vector<uint64_t> rets = go.read.rets;
    rets.insert(rets.end(), go.write.rets.begin(), go.write.rets.end());
    attach(skel_->progs.go_tls_ret, rets, "the RETs of crypto/tls.(*Conn).Read and Write");
    if (!go.handshake.rets.empty()) {
        attach(skel_->progs.go_tls_handshake_enter, {go.handshake.entry}, "crypto/tls.(*Conn).handshakeContext");
        attach(skel_->progs.go_tls_handshake_ret, go.handshake.rets, "the RETs of crypto/tls.(*Conn).handshakeContext");
    }
    std::lock_guard<std::mutex> lock(links_mu_);
    uprobe_links_.insert(made.begin(), made.end());
    return made;
}

void BpfProgram::detach_go(const std::vector<int>& links) {
    std::lock_guard<std::mutex> lock(links_mu_);
    for (int l : links)
        if (uprobe_links_.erase(l)) close(l);
}

void BpfProgram::forget_go_processes(const std::function<bool(uint32_t)>& gone) {
    std::unordered_map<uint32_t, bool> seen;  // a process asked once per sweep, however many sockets it has
    auto sweep = [&](bpf_map* map, auto key) {
        int fd = bpf_map__fd(map);
        std::vector<decltype(key)> old;
        decltype(key) k, next;
        for (int rc = bpf_map_get_next_key(fd, nullptr, &next); rc == 0; rc = bpf_map_get_next_key(fd, &k, &next)) {
            k = next;
            auto [it, fresh] = seen.try_emplace(k.tgid, false);
            if (fresh) it->second = gone(k.tgid);
            if (it->second) old.push_back(k);
        }
        for (const auto& o : old) bpf_map_delete_elem(fd, &o);
    };
    sweep(skel_->maps.go_calls, as_go_key{});
    sweep(skel_->maps.go_conns, as_go_conn_key{});
}

std::vector<MapInfo> BpfProgram::maps() const {
    std::vector<MapInfo> out;
    out.push_back({"metrics", metrics_fd(), bpf_map__max_entries(metrics_map())});
    for (bpf_map* m : {skel_->maps.routes, skel_->maps.conns, skel_->maps.h2_streams, skel_->maps.go_calls,
                       skel_->maps.go_conns})
        out.push_back({bpf_map__name(m), bpf_map__fd(m), bpf_map__max_entries(m)});
    return out;
}

std::vector<ProgramStats> BpfProgram::program_stats() const {
    std::vector<ProgramStats> out;
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) {
        bpf_prog_info info = {};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) continue;
        out.push_back({bpf_program__name(prog), info.run_time_ns, info.run_cnt});
    }
    return out;
}

}  // namespace apiscope
