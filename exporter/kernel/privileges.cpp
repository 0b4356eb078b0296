#include "kernel/privileges.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace apiscope {
namespace {

constexpr int kSysAdmin = 21, kPerfmon = 38, kBpf = 39, kSysPtrace = 19, kDacReadSearch = 2, kNetBind = 10;

uint64_t effective() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
    return 0;
}

}  // namespace

std::vector<std::string> missing_capabilities() {
    uint64_t caps = effective();
    auto has = [caps](int cap) { return (caps >> cap) & 1; };
    std::vector<std::string> out;
    if (has(kSysAdmin)) return out;  // covers BPF and perf events
    if (!has(kBpf)) out.push_back("CAP_BPF");
    if (!has(kPerfmon)) out.push_back("CAP_PERFMON");
    return out;
}

std::string drop_capabilities(bool tls, bool workload, bool keep_bind) {
    uint64_t keep = 0;
    if (workload) keep |= 1ULL << kDacReadSearch;  // a cgroup opened by its id (open_by_handle_at)
    // uprobes for processes found later: perf_event_open of a uprobe is
    // refused (EACCES) with CAP_PERFMON alone, so CAP_SYS_ADMIN stays too
    if (tls)
        keep |= 1ULL << kBpf | 1ULL << kPerfmon | 1ULL << kSysAdmin | 1ULL << kSysPtrace | 1ULL << kDacReadSearch;
    if (keep_bind) keep |= 1ULL << kNetBind;
    keep &= effective();
    // the bounding set first (it needs CAP_SETPCAP, which goes next)
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (!((keep >> cap) & 1) && prctl(PR_CAPBSET_READ, cap) == 1) prctl(PR_CAPBSET_DROP, cap);
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    for (int i = 0; i < 2; i++) data[i].effective = data[i].permitted = static_cast<uint32_t>(keep >> (32 * i));
    if (syscall(SYS_capset, &hdr, data) != 0) return std::string("capset: ") + strerror(errno);
    return "";
}

}  // namespace apiscope
