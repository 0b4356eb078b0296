// The access log: drains the kernel's ring buffer of request/response events
// on its own thread and writes one JSON line per event. The metric path never
// waits for it: if it falls behind, the kernel drops events and counts them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "access_log/log_format.h"
#include "config/config.h"
#include "kernel/bpf_program.h"
#include "metrics/route_table.h"
#include "workload/workload_meta.h"

struct ring_buffer;

namespace apiscope {

struct AccessLogStats {
    std::atomic<uint64_t> written{0};       // lines written
    std::atomic<uint64_t> sampled{0};       // events made in user space, left out by sampling
    std::atomic<uint64_t> rate_limited{0};  // or over access_log.rate_limit_per_second
    std::atomic<uint64_t> write_errors{0};  // lines lost to a failed write
    std::atomic<uint64_t> wakeups{0};       // batches read: far fewer than events
};

class AccessLog {
public:
    // Opens the output (throws ConfigError if it cannot) and starts reading.
    // routes: shared with the metrics, so both name a route alike.
    // meta: names the pod or container of each line's process.
    AccessLog(const BpfProgram& bpf, const Config& cfg, RouteTable& routes, WorkloadMeta& meta);
    ~AccessLog();  // drains what is left, then stops
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    void reopen() { reopen_ = true; }  // SIGHUP: after logrotate moved the file
    // A line from another source (an LLM or MCP call's details), written with
    // the next batch. Thread-safe.
    void add(uint64_t start_ns, std::vector<LogField> fields);
    // An event made in user space (an HTTP/2 exchange), sampled and rate
    // limited as the kernel does its events. Thread-safe.
    void add(UserLogEvent&& e);
    const AccessLogStats& stats() const { return stats_; }

private:
    static int on_event(void* ctx, void* data, size_t size);
    void run();
    void open_output();
    void flush();

    const Config& cfg_;
    LogFormatter format_;
    ring_buffer* rb_ = nullptr;
    int fd_ = -1;
    std::string pending_;
    std::mutex added_mu_;
    std::vector<std::pair<uint64_t, std::vector<LogField>>> added_;
    std::vector<UserLogEvent> events_;
    uint64_t rate_second_ = 0, rate_count_ = 0;  // the user-space events' rate limit
    uint64_t pending_lines_ = 0;
    uint64_t drained_bytes_ = 0;  // since the last poll: paces the next
    LogEvent event_;              // the record being formatted (2.7 KiB: not on the stack)
    int64_t wall_offset_ns_ = 0;
    AccessLogStats stats_;
    std::atomic<bool> stop_{false}, reopen_{false};
    std::thread thread_;
};

}  // namespace apiscope
