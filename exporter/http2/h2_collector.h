// HTTP/2 and gRPC in user space. A thread drains the kernel's h2_events
// ring on a timer (and every scrape drains it first), H2Tracker puts each
// stream together, and each finished one is counted: an HTTP/2 request in the
// HTTP series (UserSeries, merged with the kernel's HTTP/1 series by the HTTP
// collector), a gRPC call in the RPC histograms, and either in the access log.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "access_log/access_log.h"
#include "genai/genai_collector.h"
#include "http2/h2_tracker.h"
#include "kernel/bpf_program.h"
#include "kernel/capture_rodata.h"
#include "metrics/route_table.h"
#include "metrics/user_series.h"
#include "workload/pod_series.h"

struct ring_buffer;

namespace apiscope {

class H2Collector : public prometheus::Collectable {
public:
    // bpf may be null (unit tests call handle() directly); log, genai
    // (which gets the LLM and MCP calls) and meta (pod and container names)
    // may be null.
    H2Collector(const BpfProgram* bpf, const Config& cfg, RouteTable& routes, UserSeries& series,
                AccessLog* log = nullptr, GenaiCollector* genai = nullptr, WorkloadMeta* meta = nullptr);
    ~H2Collector() override;
    // The RPC histograms and HTTP/2's self-metrics, after draining the ring.
    std::vector<prometheus::MetricFamily> Collect() const override;

    // Records of the ring, as one drain reads them, and one finished stream
    // (public for tests and benchmarks).
    void records(const std::vector<std::string>& ring);
    void handle(H2Exchange&& x);

private:
    void run();
    int drain() const;  // records read
    template <class Read>
    int counting(Read&& read) const;
    // path_route: the request's :path in the kernel's route form (null: none)
    // w: the pod or container the call's process runs in
    // The HTTP series of a request: what its labels are made from, and the
    // labels and series made from that.
    struct HttpSeries {
        std::shared_ptr<const Workload> where;  // the pod or container when it was made
        UserSeries::Ref ref;
        std::string method, route, error;  // labels, for the access log
        uint16_t code = 0;
        int genai = -1;  // its route's in the GenAI routes (genai_route)
    };
    // What of the call itself a request's labels are made from (bytes with no
    // padding: they start http_key).
    struct CallKey {
        uint64_t route_id;
        uint32_t code;  // RST_STREAM's
        uint16_t peer_port;
        uint8_t client, tls, method, error;
        uint8_t peer_addr[16];
        char comm[AS_COMM_LEN];
        uint8_t pad[6];
        bool operator==(const CallKey& o) const { return !memcmp(this, &o, sizeof(o)); }  // no padding
    };
    static CallKey call_key(const H2Exchange& x, bool client);
    const std::string& http_key(const H2Exchange& x, const CallKey& call);
    HttpSeries http_series(const H2Exchange& x, bool client, std::shared_ptr<const Workload> where);
    struct Recent;
    static uint64_t duration(const H2Exchange& x);
    void http(const H2Exchange& x, bool client, const std::shared_ptr<const Workload>& where, const CallKey& call,
              Recent& r);
    void http_done(const H2Exchange& x, const HttpSeries& s);
    void rpc(const H2Exchange& x, const std::string& service, bool client, const std::string* path_route,
             const Workload& w);
    std::vector<std::string> header_labels(const H2Exchange& x, const std::string& service);
    void log(const H2Exchange& x, uint16_t status, uint64_t duration_ns, std::string method, std::string route,
             std::string error, std::vector<LogField> extra);
    void unknown(const H2Exchange& x);
    const std::shared_ptr<const Workload>& workload(const as_call& c);
    // The index of a route (in the kernel's form) among the GenAI routes, -1 if none.
    int genai_route(const std::string& path_route) const;
    void genai(const H2Exchange& x, int route);

    const BpfProgram* bpf_;
    const Config& cfg_;
    RouteTable& routes_;
    UserSeries& series_;
    AccessLog* log_;
    GenaiCollector* genai_;
    WorkloadMeta* meta_;
    std::vector<GenaiRouteInfo> genai_routes_;
    as_capture_cfg capture_;
    std::vector<HeaderLabel> labels_;
    KernelBounds bounds_;

    mutable std::mutex mu_;  // the tracker, the ring and what handle() touches
    mutable bool held_ = false;  // the series' lock is held (a drain of the ring): series_ calls take no other
    H2Tracker tracker_;
    ValueCap rpc_methods_, label_values_;
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Histogram>* rpc_duration_[2];
    mutable PodSeries pods_;  // RPC series of pods, removed when they are gone
    std::unordered_map<std::string, HttpSeries> http_series_;  // by http_key
    std::string key_;                                           // http_key's
    // The series of recent requests by the very lists of fields their blocks
    // decoded to: the decoder gives a repeated block's list again, so a
    // request like an earlier one on its connection finds its series without
    // reading a field. Holding the lists keeps their addresses from being
    // reused for others.
    struct Recent {
        HeaderList request, response;
        CallKey call{};
        HttpSeries* series = nullptr;  // in http_series_
    };
    std::array<Recent, 64> recent_;
    std::shared_ptr<const Workload> where_;  // workload()'s last answer: for where_cgroup_, at where_ns_
    uint64_t where_cgroup_ = 0, where_ns_ = 0;
    std::map<TableLoss, uint64_t> unknown_;  // requests counted with fields not known, by why
    ring_buffer* rb_ = nullptr;
    int epoll_fd_ = -1, stop_fd_ = -1;  // the ring's wake-ups and the stop
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace apiscope
