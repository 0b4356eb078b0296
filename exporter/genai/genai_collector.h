// LLM API and MCP metrics (OpenTelemetry GenAI and MCP conventions): calls
// the kernel hands over whole (ring genai_events) are read on a thread, and
// before every scrape, into histograms. Model and tool names are capped per
// service; MCP sessions are followed by their Mcp-Session-Id, kept hashed.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "access_log/access_log.h"
#include "config/config.h"
#include "config/redact.h"
#include "genai/genai_parse.h"
#include "kernel/bpf_program.h"
#include "metrics/labels.h"
#include "workload/pod_series.h"

struct ring_buffer;

namespace apiscope {

class GenaiCollector : public prometheus::Collectable {
public:
    // bpf may be null (unit tests feed handle() directly); log, if given,
    // gets a line per LLM call and per MCP message; meta, if given, names the
    // pod or container of each call's process.
    GenaiCollector(const BpfProgram* bpf, const Config& cfg, AccessLog* log = nullptr, WorkloadMeta* meta = nullptr);
    ~GenaiCollector() override;
    std::vector<prometheus::MetricFamily> Collect() const override;

    // One finished call; now_ns is CLOCK_MONOTONIC (sessions expire by it).
    void handle(const as_genai_call& g);
    // One finished call from another thread (HTTP/2's, which user space puts together).
    void add(const as_genai_call& g);
    void expire_sessions(uint64_t now_ns);
    // Mcp-Session-Id as the access log shows it: a SipHash keyed from
    // headers.redact_key_file (stable across restarts), or from a key of this
    // process when there is none.
    std::string session_hash(const std::string& session) const;

private:
    struct Session {
        uint64_t opened_ns, last_ns;
        std::string service;
        bool client;
        std::shared_ptr<const Workload> where;
    };

    void run();
    void drain() const;
    void llm(const as_genai_call& g, const GenaiRouteInfo& route, const std::string& service, bool client,
             const std::shared_ptr<const Workload>& w);
    void mcp(const as_genai_call& g, const GenaiRouteInfo& route, const std::string& service, bool client,
             const std::shared_ptr<const Workload>& w);
    void close_session(uint64_t key, uint64_t end_ns);
    std::vector<LogField> log_fields(const as_genai_call& g, const GenaiRouteInfo& route, const std::string& service,
                                     bool client, const Workload& w) const;

    const BpfProgram* bpf_;
    AccessLog* log_;
    WorkloadMeta* meta_;
    Config cfg_;
    std::vector<GenaiRouteInfo> routes_;
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Histogram>*duration_[2], *tokens_[2], *first_chunk_[2], *per_token_,
        *mcp_duration_[2], *session_duration_[2];
    prometheus::Family<prometheus::Gauge>* sessions_active_[2];
    prometheus::Family<prometheus::Counter>* events_;

    mutable std::mutex mu_;  // the ring, the maps below and the families' use
    ring_buffer* rb_ = nullptr;
    ValueCap models_, tools_;  // per service and side
    mutable std::map<uint64_t, Session> sessions_;  // a gone pod's go at a scrape
    mutable PodSeries pods_;
    std::shared_ptr<const Workload> nowhere_ = std::make_shared<Workload>();
    RedactKey session_key_;
    std::atomic<bool> stop_{false};
    std::condition_variable cv_;
    std::mutex cv_mu_;
    std::thread thread_;
};

}  // namespace apiscope
