// Capabilities: which apiscope needs, which are missing, and dropping the
// rest once the BPF programs are attached.
#pragma once

#include <string>
#include <vector>

namespace apiscope {

// The capabilities loading and attaching need that the process lacks (names
// such as "CAP_PERFMON"); empty when it has them (or CAP_SYS_ADMIN).
std::vector<std::string> missing_capabilities();

// Keeps only what running needs from now on: with TLS, what finding and
// attaching to OpenSSL in new processes takes (CAP_BPF, CAP_PERFMON,
// CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH); without, nothing. workload
// keeps CAP_DAC_READ_SEARCH (opening a cgroup by its id); keep_bind keeps
// CAP_NET_BIND_SERVICE for a port below 1024. Call before any thread starts:
// capabilities are per thread. Returns "" or why it could not.
std::string drop_capabilities(bool tls, bool workload, bool keep_bind);

}  // namespace apiscope
