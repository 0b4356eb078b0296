#include "log_format.h"

#include <cstring>
#include <ctime>
#include <string_view>

#include "json.h"
#include "labels.h"

namespace apiscope {
namespace {

const char* kTruncated = "\u2026";  // appended to a value cut at value_max_bytes

void field(std::string& out, const char* name) {
    out += out.size() > 1 ? ",\"" : "\"";
    out += name;
    out += "\":";
}

void field_str(std::string& out, const char* name, std::string_view v) {
    field(out, name);
    json_string(out, v);
}

void field_num(std::string& out, const char* name, uint64_t v) {
    field(out, name);
    out += std::to_string(v);
}

std::string rfc3339(int64_t ns) {
    time_t sec = ns / 1000000000;
    struct tm tm;
    gmtime_r(&sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%06lldZ", static_cast<long long>(ns % 1000000000 / 1000));
    return buf;
}

}  // namespace

LogFormatter::LogFormatter(const Config& cfg, RouteText route)
    : cfg_(cfg), route_(std::move(route)) {
    if (cfg.headers.redact == "hash") redactor_ = Redactor(load_redact_key(cfg.headers.redact_key_file));
    for (int dir = 0; dir < 2; dir++)
        for (const auto& h : dir ? cfg.headers.response : cfg.headers.request) {
            names_[dir].push_back(h.name);
            sensitive_[dir].push_back(is_sensitive_header(h.name, cfg.headers.sensitive));
        }
}

void LogFormatter::headers(std::string& out, const as_hdr_vals& v, int dir) const {
    const char* prefix = dir ? "http.response.header." : "http.request.header.";
    for (size_t k = 0; k < names_[dir].size() && k < AS_MAX_HDRS; k++) {
        if (!(v.present & (1u << k))) continue;
        // the kernel never sent a value for a secret in drop mode; in hash
        // mode it did, and only its keyed hash goes out
        std::string_view raw(v.val[k], std::min<size_t>(v.len[k], AS_HDR_VAL_MAX));
        std::string value = sensitive_[dir][k] ? redactor_.value(raw) : std::string(raw);
        if (!sensitive_[dir][k] && (v.truncated & (1u << k))) value += kTruncated;
        field(out, (prefix + names_[dir][k]).c_str());
        out += '[';  // OpenTelemetry: header attributes are string arrays
        json_string(out, value);
        out += ']';
    }
}

std::string LogFormatter::line(const as_log_event& e, int64_t wall_offset_ns) const {
    bool client = e.direction == AS_DIR_CLIENT;
    std::string out = "{";
    field_str(out, "timestamp", rfc3339(static_cast<int64_t>(e.start_ns) + wall_offset_ns));
    std::string comm(e.comm, strnlen(e.comm, sizeof(e.comm)));
    field_str(out, "service.name", cfg_.service_name.empty() ? comm : cfg_.service_name);
    field_num(out, "process.pid", e.tgid);
    field_str(out, "span.kind", client ? "client" : "server");
    field_str(out, "http.request.method", method_label(e.method));
    field_str(out, "http.route", route_(e.route_id));
    if (e.has_req) {
        std::string_view target(e.req.path, std::min<size_t>(e.req.path_len, AS_PATH_MAX));
        size_t q = target.find('?');
        std::string path(target.substr(0, q));
        if (e.req.path_trunc && q == std::string_view::npos) path += kTruncated;
        field_str(out, "url.path", path);
        if (q != std::string_view::npos && cfg_.access_log.include_query)
            field_str(out, "url.query",
                      redactor_.query(target.substr(q + 1), cfg_.access_log.sensitive_query_params));
    }
    if (e.status) field_num(out, "http.response.status_code", e.status);
    std::string error = error_label(e.error, e.status, client);
    if (!error.empty()) field_str(out, "error.type", error);
    field(out, "duration_s");
    char dur[32];
    snprintf(dur, sizeof(dur), "%.9f", e.duration_ns / 1e9);
    out += dur;
    field_num(out, "http.request.body.size", e.req_bytes);
    if (e.status) field_num(out, "http.response.body.size", e.resp_bytes);
    std::string peer = address_label(e.peer_addr);
    if (!peer.empty()) {
        field_str(out, client ? "server.address" : "client.address", peer);
        field_num(out, client ? "server.port" : "client.port", e.peer_port);
    }
    if (e.has_req) headers(out, e.req, 0);
    if (e.has_resp) headers(out, e.resp, 1);
    out += "}\n";
    return out;
}

}  // namespace apiscope
