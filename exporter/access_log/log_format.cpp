#include "access_log/log_format.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <string_view>

#include "access_log/json_escape.h"
#include "log_record.h"
#include "metrics/labels.h"

namespace apiscope {
namespace {


// Lines are built by appending to one buffer, without allocations or printf
// per field: the writer's CPU per line is in docs/benchmarks.md (bench/soak.py).
void key(std::string& out, std::string_view name) {
    out += ",\"";
    out += name;
    out += "\":";
}

void str(std::string& out, std::string_view name, std::string_view v) {
    key(out, name);
    json_string(out, v);
}

void num(std::string& out, std::string_view name, uint64_t v) {
    key(out, name);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
}

void field(std::string& out, const LogField& f) {
    if (!f.number) return str(out, f.name, f.value);
    key(out, f.name);
    out += f.value;
}

// v as exactly width digits, zero-padded (v < 10^width), without printf
void digits(std::string& out, uint64_t v, int width) {
    char buf[20];
    for (int i = width - 1; i >= 0; i--, v /= 10) buf[i] = char('0' + v % 10);
    out.append(buf, width);
}

// "s.nnnnnnnnn" from nanoseconds, exact
void seconds(std::string& out, uint64_t ns) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), ns / 1000000000);
    out.append(buf, r.ptr);
    out += '.';
    digits(out, ns % 1000000000, 9);
}

}  // namespace

bool unpack_log_record(const void* data, size_t size, LogEvent& e) {
    as_log_rec r;  // aligned, whatever data is
    if (size > sizeof(r)) return false;
    memcpy(&r, data, size);
    if (as_log_unpack(&r, static_cast<__u32>(size), &e.req, &e.resp)) return false;
    e.call = r.call;
    e.has_req = r.has_req;
    e.has_resp = r.has_resp;
    return true;
}

LogFormatter::LogFormatter(const Config& cfg, RouteText route, Where where)
    : cfg_(cfg), route_(std::move(route)), where_(std::move(where)) {
    if (cfg.headers.redact == "hash") redactor_ = Redactor(load_redact_key(cfg.headers.redact_key_file));
    for (int dir = 0; dir < 2; dir++)
        for (const auto& h : dir ? cfg.headers.response : cfg.headers.request) {
            // OpenTelemetry: header attributes are string arrays
            names_[dir].push_back(std::string(",\"http.") + (dir ? "response" : "request") + ".header." + h.name +
                                  "\":[");
            sensitive_[dir].push_back(is_sensitive_name(h.name, cfg.headers.sensitive));
        }
}

void LogFormatter::headers(std::string& out, const as_hdr_vals& v, int dir) const {
    for (size_t k = 0; k < names_[dir].size() && k < AS_MAX_HDRS; k++) {
        if (!(v.present & (1u << k))) continue;
        out += names_[dir][k];
        std::string_view raw(v.val[k], std::min<size_t>(v.len[k], AS_HDR_VAL_MAX));
        if (sensitive_[dir][k]) {
            // the kernel never sent a value for a secret in drop mode; in hash
            // mode it did, and only its keyed hash goes out
            json_string(out, redactor_.value(raw));
        } else if (v.truncated & (1u << k)) {
            json_string(out, std::string(raw) + kTruncated);
        } else {
            json_string(out, raw);
        }
        out += ']';
    }
}

void LogFormatter::timestamp(std::string& out, int64_t ns) const {
    int64_t sec = ns / 1000000000;
    if (sec != cached_second_) {
        time_t t = sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        char buf[32];
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_second_ = sec;
        cached_prefix_ = buf;
    }
    out += "{\"timestamp\":\"";
    out += cached_prefix_;
    out += '.';
    digits(out, static_cast<uint64_t>(ns - sec * 1000000000) / 1000, 6);
    out += "Z\"";
}

void LogFormatter::append(std::string& out, const LogEvent& e, int64_t wall_offset_ns) const {
    event(out, e, nullptr, wall_offset_ns);
}

void LogFormatter::append(std::string& out, const UserLogEvent& u, int64_t wall_offset_ns) const {
    event(out, u.e, &u, wall_offset_ns);
}

void LogFormatter::event(std::string& out, const LogEvent& e, const UserLogEvent* u, int64_t wall_offset_ns) const {
    bool client = e.call.direction == AS_DIR_CLIENT;
    std::string service = service_label(cfg_, e.call.comm);
    timestamp(out, static_cast<int64_t>(e.call.start_ns) + wall_offset_ns);
    str(out, "service.name", service);
    num(out, "process.pid", e.call.tgid);
    if (where_)
        for (const auto& [name, value] : where_(e.call.cgroup)) str(out, name, value);
    str(out, "span.kind", client ? "client" : "server");
    str(out, "http.request.method", u ? u->method : method_label(e.call.method));
    str(out, "http.route", u ? u->route : route_(service, e.call.route_id));
    str(out, "url.scheme", e.call.tls ? "https" : "http");
    if (e.call.version) str(out, "network.protocol.version", version_label(e.call.version));
    if (e.has_req) {
        std::string_view target(e.req.path, std::min<size_t>(e.req.path_len, AS_PATH_MAX));
        size_t q = target.find('?');
        if (e.req.path_trunc && q == std::string_view::npos)
            str(out, "url.path", std::string(target) + kTruncated);
        else
            str(out, "url.path", target.substr(0, q));
        if (q != std::string_view::npos && cfg_.access_log.include_query)
            str(out, "url.query", redactor_.query(target.substr(q + 1), cfg_.access_log.sensitive_query_params));
    }
    if (e.call.status) num(out, "http.response.status_code", e.call.status);
    std::string error = u ? u->error : error_label(e.call.error, e.call.status, client);
    if (!error.empty()) str(out, "error.type", error);
    key(out, "duration_s");
    seconds(out, e.call.duration_ns);
    num(out, "http.request.body.size", e.call.req_bytes);
    if (e.call.status) num(out, "http.response.body.size", e.call.resp_bytes);
    std::string peer = address_label(e.call.peer_addr);
    if (!peer.empty()) {
        str(out, client ? "server.address" : "client.address", peer);
        num(out, client ? "server.port" : "client.port", e.call.peer_port);
    }
    if (u)
        for (const auto& f : u->extra) field(out, f);
    if (e.has_req) headers(out, e.req, 0);
    if (e.has_resp) headers(out, e.resp, 1);
    out += "}\n";
}

void LogFormatter::append(std::string& out, uint64_t start_ns, const std::vector<LogField>& fields,
                          int64_t wall_offset_ns) const {
    timestamp(out, static_cast<int64_t>(start_ns) + wall_offset_ns);
    for (const auto& f : fields) field(out, f);
    out += "}\n";
}

std::string LogFormatter::line(const LogEvent& e, int64_t wall_offset_ns) const {
    std::string out;
    append(out, e, wall_offset_ns);
    return out;
}

}  // namespace apiscope
