#include "access_log/access_log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>


namespace apiscope {
namespace {

int64_t clock_ns(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

constexpr int kPollMs = 200;         // the longest a line waits
constexpr size_t kWriteBytes = 1 << 16;  // lines are written in pieces of about this much

// How long to sleep before the next drain: long enough to batch, short enough
// that at the rate of the last interval the ring is an eighth full when the
// reader comes back. The kernel then never has to wake the reader (an
// inter-processor interrupt per wake-up) unless a burst outruns the pace.
int next_poll_ms(uint64_t drained_bytes, int64_t interval_ns, uint64_t ring_bytes) {
    if (!drained_bytes) return kPollMs;
    double ms = double(ring_bytes) / 8 / double(drained_bytes) * double(interval_ns) / 1e6;
    return ms < 1 ? 1 : ms > kPollMs ? kPollMs : int(ms);
}

}  // namespace

AccessLog::AccessLog(const BpfProgram& bpf, const Config& cfg, RouteTable& routes, WorkloadMeta& meta)
    : cfg_(cfg),
      format_(
          cfg, [&routes](const std::string& service, uint64_t id) { return routes.label(service, id); },
          [&meta](uint64_t cgroup) { return meta.log_fields(*meta.lookup(cgroup)); }) {
    open_output();
    rb_ = ring_buffer__new(bpf.log_events_fd(), on_event, this, nullptr);
    if (!rb_) {
        if (fd_ > 2) close(fd_);
        throw BpfError(std::string("access log: reading the kernel ring buffer failed: ") + strerror(errno));
    }
    thread_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ring_buffer__free(rb_);
    if (fd_ > 2) close(fd_);
}

void AccessLog::open_output() {
    if (cfg_.access_log.output == "stdout") {
        fd_ = STDOUT_FILENO;
        return;
    }
    int fd = open(cfg_.access_log.output.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        throw ConfigError("access_log.output: cannot open '" + cfg_.access_log.output + "' (" + strerror(errno) +
                          "); give a writable file path or stdout");
    if (fd_ > 2) close(fd_);
    fd_ = fd;
}

int AccessLog::on_event(void* ctx, void* data, size_t size) {
    auto* self = static_cast<AccessLog*>(ctx);
    self->drained_bytes_ += size + BPF_RINGBUF_HDR_SZ;
    if (!unpack_log_record(data, size, self->event_)) return 0;  // only a mismatched build sends one
    self->format_.append(self->pending_, self->event_, self->wall_offset_ns_);
    self->pending_lines_++;
    // written in pieces: a drain of thousands of records would otherwise grow
    // a buffer of megabytes, page faults and all, and free it again
    if (self->pending_.size() >= kWriteBytes) self->flush();
    return 0;
}

void AccessLog::add(uint64_t start_ns, std::vector<LogField> fields) {
    std::lock_guard<std::mutex> g(added_mu_);
    added_.emplace_back(start_ns, std::move(fields));
}

void AccessLog::add(UserLogEvent&& e) {
    thread_local std::minstd_rand random{std::random_device{}()};
    const auto& l = cfg_.access_log;
    if (l.sample_ratio < 1 && std::uniform_real_distribution<double>(0, 1)(random) >= l.sample_ratio) {
        stats_.sampled++;
        return;
    }
    std::lock_guard<std::mutex> g(added_mu_);
    if (l.rate_limit_per_second) {
        uint64_t second = e.e.call.start_ns / 1000000000ULL;
        if (second != rate_second_) rate_second_ = second, rate_count_ = 0;
        if (rate_count_++ >= l.rate_limit_per_second) {
            stats_.rate_limited++;
            return;
        }
    }
    events_.push_back(std::move(e));
}

void AccessLog::flush() {
    {  // lines added from elsewhere join the batch
        std::lock_guard<std::mutex> g(added_mu_);
        for (const auto& [start, fields] : added_) format_.append(pending_, start, fields, wall_offset_ns_);
        for (const auto& e : events_) format_.append(pending_, e, wall_offset_ns_);
        pending_lines_ += added_.size() + events_.size();
        added_.clear();
        events_.clear();
    }
    size_t off = 0;
    while (off < pending_.size()) {
        ssize_t n = write(fd_, pending_.data() + off, pending_.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += n;
    }
    if (off == pending_.size()) {
        stats_.written += pending_lines_;
    } else {
        // count whole lines: those that did not get out entirely
        uint64_t lost = 0;
        for (size_t i = off; i < pending_.size(); i++) lost += pending_[i] == '\n';
        stats_.written += pending_lines_ - lost;
        stats_.write_errors += lost;
        std::cerr << "apiscope: access log: write failed (" << strerror(errno) << "); " << lost
                  << " lines lost\n";
    }
    pending_.clear();
    if (pending_.capacity() > (1u << 20)) pending_.shrink_to_fit();  // a burst's buffer is not kept
    pending_lines_ = 0;
}

void AccessLog::run() {
    int wait_ms = kPollMs;
    int64_t last = clock_ns(CLOCK_MONOTONIC);
    while (!stop_) {
        if (reopen_.exchange(false)) {
            try {
                open_output();
            } catch (const ConfigError& e) {
                std::cerr << "apiscope: " << e.what() << "\n";
            }
        }
        wall_offset_ns_ = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
        // A timed sleep paced to the traffic; the kernel wakes the reader
        // early only for a burst, so there is no wake-up per request.
        int n = ring_buffer__poll(rb_, wait_ms);
        if (n == 0) n = ring_buffer__consume(rb_);
        if (n > 0) stats_.wakeups++;
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        wait_ms = next_poll_ms(drained_bytes_, now - last, cfg_.access_log.buffer_bytes);
        drained_bytes_ = 0;
        last = now;
        flush();  // also the lines added from elsewhere; nothing to write is no write
    }
    ring_buffer__consume(rb_);
    flush();
}

}  // namespace apiscope
