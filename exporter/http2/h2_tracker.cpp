#include "http2/h2_tracker.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace apiscope {
namespace {

constexpr size_t kMaxStreams = 1024;         // open streams followed per connection
constexpr size_t kMaxBlock = 256 * 1024;     // a header block, put together
constexpr uint32_t kIn = AS_H2R_IN;

bool has(const std::vector<HeaderField>& fields, std::string_view name) {
    return std::any_of(fields.begin(), fields.end(), [&](const HeaderField& f) { return f.name == name; });
}

// An informational response (1xx): the final one is still to come.
bool interim(const std::vector<HeaderField>& fields) {
    for (const auto& f : fields)
        if (f.name == ":status") return f.value.size() == 3 && f.value[0] == '1';
    return false;
}

}  // namespace

H2Tracker::H2Tracker(size_t max_connections, size_t max_table, Sink sink, StreamLookup lookup,
                     std::vector<std::string> wanted)
    : max_connections_(max_connections),
      max_table_(max_table),
      sink_(std::move(sink)),
      lookup_(std::move(lookup)),
      wanted_(std::move(wanted)) {}

H2Tracker::Conn* H2Tracker::conn(const as_h2_rec& h) {
    Key key{h.tgid, h.fd, h.conn};
    Near& n = near(key);
    if (!n.conn || n.key != key) {
        auto it = conns_.find(key);
        if (it == conns_.end()) {
            if (h.kind == AS_H2R_CLOSE) return nullptr;
            if (conns_.size() >= max_connections_) {
                stats_.connections_refused++;
                return nullptr;
            }
            it = conns_.emplace(key, std::make_unique<Conn>(max_table_, wanted_.empty() ? nullptr : &wanted_)).first;
            stats_.connections++;
        }
        n = {key, it->second.get()};
    }
    Conn& c = *n.conn;
    if (h.flags & (AS_H2R_MIDSTREAM | AS_H2R_LOST))
        for (auto& d : c.dec) {
            if (d.loss() != TableLoss::None) continue;
            d.lose(h.flags & AS_H2R_MIDSTREAM ? TableLoss::Midstream : TableLoss::Lost);
        }
    c.last_ns = h.ns;
    return &c;
}

void H2Tracker::record(const void* data, size_t size) {
    as_h2_rec h;
    if (size < sizeof(h)) {
        stats_.bad_records++;
        return;
    }
    memcpy(&h, data, sizeof(h));
    Conn* c = conn(h);
    switch (h.kind) {
    case AS_H2R_BLOCK:
        if (size < sizeof(h) + h.len) break;
        if (c) block(*c, h, static_cast<const char*>(data) + sizeof(h));
        return;
    case AS_H2R_HELD:
        if (size < sizeof(h) + h.len) break;
        if (c) held(*c, h, static_cast<const char*>(data) + sizeof(h));
        return;
    case AS_H2R_GENAI: {  // comes just before the stream's end record
        if (size < sizeof(h) + sizeof(as_genai_call)) break;
        if (!c) return;
        H2Exchange* s = c->stream(h.stream);
        if (!s) return;  // its headers were not followed: its route is not known
        auto g = std::make_shared<as_genai_call>();
        memcpy(g.get(), static_cast<const char*>(data) + sizeof(h), sizeof(*g));
        s->genai = std::move(g);
        return;
    }
    case AS_H2R_END:
    case AS_H2R_CLOSE: {
        as_h2_end e;
        if (size < sizeof(e) + h.len) break;
        memcpy(&e, data, sizeof(e));
        if (c && h.len) held(*c, h, static_cast<const char*>(data) + sizeof(e));
        if (h.kind == AS_H2R_CLOSE) {
            if (c) {
                c->who = e.call;
                c->have_who = true;
                Key key{h.tgid, h.fd, h.conn};
                close(*c, key, e.end_ns);
                conns_.erase(key);
                near(key) = {};
            }
            return;
        }
        if (c) {
            end(*c, e);
        } else {  // a connection past the bound: counted, its headers unknown
            H2Exchange x{};
            x.unknown = 1;
            finish(nullptr, x, h.stream, e.call, e.end_ns, e.code);
            x.loss = TableLoss::Untracked;
            sink_(std::move(x));
        }
        return;
    }
    }
    stats_.bad_records++;
}

void H2Tracker::held(Conn& c, const as_h2_rec& h, const char* bytes) {
    for (size_t at = 0; at + sizeof(as_h2_held) <= h.len; at += sizeof(as_h2_held)) {
        as_h2_held one;  // its fields; the bytes are read where they lie
        memcpy(&one, bytes + at, offsetof(as_h2_held, b));
        if (one.len >= AS_H2_HELD_BYTES) {
            stats_.bad_records++;
            continue;
        }
        as_h2_rec b = h;
        b.ns = one.ns;
        b.stream = one.stream;
        b.len = one.len;
        b.kind = AS_H2R_BLOCK;
        b.flags = one.flags;
        block(c, b, bytes + at + offsetof(as_h2_held, b));
    }
}

void H2Tracker::block(Conn& c, const as_h2_rec& h, const char* bytes) {
    int dir = (h.flags & kIn) ? 1 : 0;
    std::string& b = c.block[dir];
    if (h.flags & AS_H2R_FIRST) {
        if (!b.empty()) b.clear();
        c.block_stream[dir] = h.stream;
        c.block_flags[dir] = h.flags;
    }
    DecodedBlock d;
    if ((h.flags & AS_H2R_FIRST) && (h.flags & AS_H2R_END_HEADERS)) {
        d = c.dec[dir].decode(std::string_view(bytes, h.len));  // a whole block, as most are: read where it lies
    } else {
        if (b.size() + h.len > kMaxBlock) {  // past any header list a peer would accept
            b.clear();
            c.dec[dir].lose(TableLoss::DecodeError);
            return;
        }
        b.append(bytes, h.len);
        if (!(h.flags & AS_H2R_END_HEADERS)) return;
        d = c.dec[dir].decode(b);
        b.clear();
    }
    uint8_t flags = c.block_flags[dir];
    if (flags & AS_H2R_PUSH) return;  // only its effect on the table matters
    uint32_t id = c.block_stream[dir];
    H2Exchange* found = c.stream(id);
    if (!found) {
        if (c.streams.size() >= kMaxStreams) {
            stats_.streams_dropped++;
            return;
        }
        found = &c.streams.emplace_back(id, H2Exchange{}).second;
    }
    H2Exchange& s = *found;
    s.unknown += d.unknown;
    bool request = (flags & AS_H2R_REQUEST) || has(d.fields, ":method");
    if (request) {
        if (!s.request_seen) {
            s.request = std::move(d.fields);
            s.request_seen = true;
        }
    } else if (!s.response_seen) {
        if (!interim(d.fields)) {
            s.response = std::move(d.fields);
            s.response_seen = true;
        }
    } else {
        s.trailers = std::move(d.fields);
    }
}

void H2Tracker::finish(const Conn* c, H2Exchange& x, uint32_t stream, const as_call& call, uint64_t end_ns,
                       uint32_t code) const {
    x.call = call;
    x.stream = stream;
    x.end_ns = end_ns;
    x.code = code;
    // a block never came: lost, or before apiscope (the request of stream 1
    // after an h2c upgrade was HTTP/1: the kernel sent its method and route)
    if ((!x.request_seen && !call.route_id) || (!x.response_seen && !call.error)) x.unknown++;
    if (x.unknown && c)
        for (const auto& d : c->dec)
            if (d.loss() != TableLoss::None) x.loss = d.loss();
    if (x.unknown && x.loss == TableLoss::None) x.loss = TableLoss::Lost;
}

void H2Tracker::end(Conn& c, const as_h2_end& e) {
    c.who = e.call;
    c.have_who = true;
    size_t i = c.find(e.h.stream);
    if (i == c.streams.size()) c.streams.emplace_back(e.h.stream, H2Exchange{});  // none of its blocks came
    H2Exchange& x = c.streams[i].second;
    finish(&c, x, e.h.stream, e.call, e.end_ns, e.code);
    sink_(std::move(x));
    c.drop(i);
}

// Streams still open when the connection went: what the kernel measured of
// them, ended by the close.
void H2Tracker::close(Conn& c, const Key& key, uint64_t end_ns) {
    auto [tgid, fd, id] = key;
    std::sort(c.streams.begin(), c.streams.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [stream, s] : c.streams) {
        std::optional<as_h2_stream> st = lookup_ ? lookup_(tgid, fd, id, stream) : std::nullopt;
        if (!st) continue;  // not followed in the kernel (or ended there): not a request it saw
        as_call call = c.who;
        call.start_ns = st->req_ns;
        call.duration_ns = st->resp_ns > st->req_ns ? st->resp_ns - st->req_ns : 0;
        call.req_bytes = st->req_bytes;
        call.resp_bytes = st->resp_bytes;
        call.error = AS_ERR_CONN_CLOSED;
        finish(&c, s, stream, call, end_ns, 0);
        sink_(std::move(s));
    }
    c.streams.clear();
}

void H2Tracker::sweep(uint64_t cutoff_ns, const std::function<bool(uint32_t, uint32_t, uint64_t)>& alive) {
    for (auto it = conns_.begin(); it != conns_.end();) {
        auto [tgid, fd, id] = it->first;
        if (it->second->last_ns < cutoff_ns && !alive(tgid, fd, id)) {
            close(*it->second, it->first, cutoff_ns);
            it = conns_.erase(it);
            near_ = {};
        } else {
            ++it;
        }
    }
}

}  // namespace apiscope
