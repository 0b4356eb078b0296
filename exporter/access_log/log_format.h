// One access log event as one JSON line, with OpenTelemetry semantic
// convention field names, and every secret redacted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "apiscope_shared.h"
#include "config/config.h"
#include "config/redact.h"

namespace apiscope {

// A log record unpacked (struct as_log_rec): each capture whole, as the
// formatter reads it.
struct LogEvent {
    as_call call;
    uint8_t has_req;  // the captures below are valid
    uint8_t has_resp;
    as_hdr_vals req, resp;
};

// A field of a record that is not a request/response event (the GenAI and
// MCP details of a call): a string, or a number already in JSON form.
struct LogField {
    std::string name, value;
    bool number = false;
};

// An event made in user space (an HTTP/2 exchange): what its call alone
// cannot say.
struct UserLogEvent {
    LogEvent e;
    std::string method, route, error;  // labels, as the metrics have them
    std::vector<LogField> extra;       // after the event's own fields (gRPC's rpc.*)
};

// The kernel's packed record, size bytes, into e (ebpf/log_record.h); false
// if its lengths do not add up to what came.
bool unpack_log_record(const void* data, size_t size, LogEvent& e);

class LogFormatter {
public:
    // the http.route of a kernel route id of a service
    using RouteText = std::function<std::string(const std::string& service, uint64_t route_id)>;
    // the pod's and container's fields of a call's cgroup (k8s.pod.name, ...)
    using Where = std::function<std::vector<std::pair<std::string, std::string>>(uint64_t cgroup)>;
    LogFormatter(const Config& cfg, RouteText route, Where where = {});

    // wall_offset_ns: CLOCK_REALTIME minus CLOCK_MONOTONIC, to date the event.
    void append(std::string& out, const LogEvent& e, int64_t wall_offset_ns) const;
    void append(std::string& out, const UserLogEvent& u, int64_t wall_offset_ns) const;
    std::string line(const LogEvent& e, int64_t wall_offset_ns) const;
    // A line of its own: the timestamp of start_ns, then the fields in order.
    void append(std::string& out, uint64_t start_ns, const std::vector<LogField>& fields,
                int64_t wall_offset_ns) const;

private:
    void event(std::string& out, const LogEvent& e, const UserLogEvent* u, int64_t wall_offset_ns) const;
    void headers(std::string& out, const as_hdr_vals& v, int dir) const;
    void timestamp(std::string& out, int64_t ns) const;

    const Config& cfg_;
    RouteText route_;
    Where where_;
    Redactor redactor_;
    std::vector<std::string> names_[2];  // ,"http.request.header.NAME":[
    std::vector<bool> sensitive_[2];
    // one formatter per thread: the second's text is reused
    mutable int64_t cached_second_ = -1;
    mutable std::string cached_prefix_;
};

}  // namespace apiscope
