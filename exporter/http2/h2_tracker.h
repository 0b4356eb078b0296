// HTTP/2 connections as the kernel's records describe them (ring
// h2_events, struct as_h2_rec): each direction's header blocks put together
// from their fragments and decoded in order, each stream's request and
// response headers kept until its end record comes, then handed on whole.
// Single-threaded: its owner serialises the calls.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "apiscope_shared.h"
#include "http2/hpack_decoder.h"

namespace apiscope {

// An HTTP/2 stream: what its headers say, as they come; once it is finished,
// what the kernel measured.
struct H2Exchange {
    as_call call{};  // times, body bytes, peer, process, side; status 0 (see headers)
    uint64_t end_ns = 0;  // the response's end, or the reset, or the connection's close
    uint32_t stream = 0, code = 0;  // code: RST_STREAM's (call.error == AS_ERR_H2_RESET)
    HeaderList request, response, trailers;
    bool request_seen = false, response_seen = false;
    size_t unknown = 0;  // fields of its blocks that referred to an unknown table
    TableLoss loss = TableLoss::None;  // why they did (the connection's reason)
    std::shared_ptr<const as_genai_call> genai;  // body windows, if its request body was JSON
};

// The part of HTTP/2 tracking the exporter reports on.
struct H2Stats {
    uint64_t connections = 0, connections_refused = 0;  // over http2.max_connections
    uint64_t streams_dropped = 0;                       // past the per-connection bound
    uint64_t bad_records = 0;                           // not of the kernel's layout
};

class H2Tracker {
public:
    // The kernel's entry of a stream still open when its connection (first
    // seen at conn) went, kept outside the connection's own slots (then
    // deleted there), to finish it: nullopt if there is none. The kernel
    // itself ends the streams in the slots, before the close record.
    using StreamLookup =
        std::function<std::optional<as_h2_stream>(uint32_t tgid, uint32_t fd, uint64_t conn, uint32_t stream)>;
    using Sink = std::function<void(H2Exchange&&)>;

    // wanted: the field names its user reads (empty: all); only those are
    // decoded, and the fields that change the header tables.
    H2Tracker(size_t max_connections, size_t max_table, Sink sink, StreamLookup lookup = {},
              std::vector<std::string> wanted = {});
    // One record as the ring holds it.
    void record(const void* data, size_t size);
    // Connections with no record since before cutoff_ns whose kernel entry
    // is gone (alive returns false) are finished as closed.
    void sweep(uint64_t cutoff_ns, const std::function<bool(uint32_t tgid, uint32_t fd, uint64_t conn)>& alive);
    const H2Stats& stats() const { return stats_; }
    size_t open_connections() const { return conns_.size(); }

private:
    struct Conn {
        Conn(size_t max_table, const std::vector<std::string>* wanted)
            : dec{HpackDecoder(max_table, wanted), HpackDecoder(max_table, wanted)} {}
        HpackDecoder dec[2];       // blocks written [0] and read [1] by the process
        std::string block[2];      // a block being put together
        uint32_t block_stream[2] = {};
        uint8_t block_flags[2] = {};
        // the open streams, each filled as its blocks come and handed on as
        // it is at its end: a few at a time, so a vector searched in turn (no
        // node allocated and freed per request)
        std::vector<std::pair<uint32_t, H2Exchange>> streams;
        size_t find(uint32_t id) const {  // streams.size() if it is not open
            size_t i = 0;
            while (i < streams.size() && streams[i].first != id) i++;
            return i;
        }
        H2Exchange* stream(uint32_t id) {
            size_t i = find(id);
            return i < streams.size() ? &streams[i].second : nullptr;
        }
        void drop(size_t i) {  // their order does not matter
            if (i + 1 != streams.size()) streams[i] = std::move(streams.back());
            streams.pop_back();
        }
        uint64_t last_ns = 0;
        as_call who{};             // process, peer, side: from its end and close records
        bool have_who = false;
    };
    using Key = std::tuple<uint32_t, uint32_t, uint64_t>;  // tgid, fd, connection id
    struct KeyHash {
        size_t operator()(const Key& k) const {
            auto [tgid, fd, id] = k;
            return std::hash<uint64_t>()((uint64_t(tgid) << 32 | fd) * 0x9e3779b97f4a7c15ULL ^ id);
        }
    };

    Conn* conn(const as_h2_rec& h);
    void block(Conn& c, const as_h2_rec& h, const char* bytes);
    // The blocks the kernel held back, sent after a record's fixed part.
    void held(Conn& c, const as_h2_rec& h, const char* bytes);
    void end(Conn& c, const as_h2_end& e);
    void close(Conn& c, const Key& key, uint64_t end_ns);
    // What the kernel measured of stream x (c: its connection, if followed),
    // and what is not known of it.
    void finish(const Conn* c, H2Exchange& x, uint32_t stream, const as_call& call, uint64_t end_ns,
                uint32_t code) const;

    size_t max_connections_, max_table_;
    Sink sink_;
    StreamLookup lookup_;
    std::vector<std::string> wanted_;
    std::unordered_map<Key, std::unique_ptr<Conn>, KeyHash> conns_;
    // Connections at hand, by a few bits of their key's hash: most records
    // come from a few connections in turn, and under load the hash map's
    // search took a twelfth of the exporter's time.
    struct Near {
        Key key{};
        Conn* conn = nullptr;  // conns_'s entry for key (null: none)
    };
    std::array<Near, 64> near_{};
    Near& near(const Key& key) { return near_[KeyHash()(key) % near_.size()]; }
    H2Stats stats_;
};

}  // namespace apiscope
