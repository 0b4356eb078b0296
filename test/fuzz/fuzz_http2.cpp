// libFuzzer target for HTTP/2: the kernel's framer (ebpf/http2_stream.h) fed
// the input as syscall-sized pieces in both directions of one connection,
// then what it handed over (the records of its ring) to the exporter's
// tracker and nghttp2-backed HPACK decoding. Any bytes: no crash, no read
// out of bounds, and the invariants below.
#include <set>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../unit/bpf_harness.h"
#include "http2/h2_tracker.h"

static void check(bool ok, const char* what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (!size) return 0;
    Harness h;
    capture({"x-tenant", "authorization"}, {"content-type"}, 16, {"authorization"});
    as_test_genai_on = data[0] & 4;  // LLM/MCP body windows kept of JSON request bodies
    // how the connection starts: its preface read (a server), written (a
    // client), or first seen in its middle
    uint8_t start = data[0] % 3;
    if (start < 2) {
        static const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        h.feed(start == 0, preface, 1);
    } else {
        h.h2_midstream();
    }
    size_t off = 1;
    uint64_t now = 1;
    // First byte of each piece: direction (bit 7), close (bits 5-6 all set),
    // length (bits 0-4, x16 + 1).
    while (off < size) {
        uint8_t ctl = data[off++];
        size_t len = std::min<size_t>((ctl & 0x1f) * 16 + 1, size - off);
        std::string piece(reinterpret_cast<const char*>(data + off), len);
        off += len;
        now += 1000;
        if ((ctl & 0x60) == 0x60)
            h.close(now);
        else
            h.feed(ctl & 0x80, piece, now);
        if (h.conn.proto == AS_PROTO_H2)
            for (const auto& d : h.conn.h2) {
                check(d.have <= AS_H2_FRAME_HEAD, "frame header bytes within bounds");
                check(d.phase <= AS_H2P_PAD, "phase known");
            }
    }
    if (h.conn.proto == AS_PROTO_H2) {  // a stream open in one place only; held blocks bounded
        check(h.conn.h2_nheld <= AS_H2_HELD, "held blocks within bounds");
        std::set<uint32_t> open;
        for (const auto& st : h.conn.h2s)
            if (st.id) check(open.insert(st.id).second, "a stream in one slot");
        for (const auto& [id, v] : Harness::h2_spill)
            check(v.conn != h.conn.id || !open.count(id), "a spilled stream not in a slot too");
    }
    for (const auto& b : Harness::h2_blocks) check(b.bytes.size() <= AS_H2_CHUNK, "a record's block bytes bounded");
    for (const auto& [slot, g] : Harness::genai_calls)
        for (int dir = 0; dir < 2; dir++) {
            check(g.head_len[dir] <= AS_GENAI_HEAD, "a body window within bounds");
            for (int k = 0; k < AS_GENAI_TAILS; k++) check(g.tail_len[dir][k] <= AS_GENAI_TAIL, "tails within bounds");
        }
    for (const auto& e : Harness::h2_ends) {
        check(e.st.id == e.stream, "a stream ended is the one its record names");
        check(e.st.req_ns <= e.now, "a stream ends after it starts");
    }
    std::vector<apiscope::H2Exchange> all, some;
    apiscope::H2Tracker t(4, 4096, [&](apiscope::H2Exchange&& x) {
        for (auto* fields : {&x.request, &x.response, &x.trailers})
            for (const auto& f : *fields) check(f.name != ":unknown", "a stand-in name never comes out");
        all.push_back(std::move(x));
    });
    // the exporter decodes only the fields it reads (and keeps insertions
    // back); the tracker tells requests by :method
    static const std::vector<std::string> wanted = {":method", ":path", ":status", "content-type", "x-tenant"};
    apiscope::H2Tracker w(4, 4096, [&](apiscope::H2Exchange&& x) { some.push_back(std::move(x)); }, {}, wanted);
    for (const auto& r : Harness::h2_ring) {
        t.record(r.data(), r.size());
        w.record(r.data(), r.size());
    }
    check(all.size() == Harness::h2_ends.size(), "one exchange per stream the kernel ended");
    check(some.size() == all.size(), "the same exchanges, whatever is decoded");
    for (size_t i = 0; i < all.size() && i < some.size(); i++) {
        if (all[i].unknown || some[i].unknown) continue;  // malformed fields not decoded may not be noticed
        auto only_wanted = [](std::vector<apiscope::HeaderField> f) {
            std::erase_if(f, [](const auto& h) { return std::find(wanted.begin(), wanted.end(), h.name) == wanted.end(); });
            std::vector<std::pair<std::string, std::string>> out;
            for (auto& h : f) out.emplace_back(h.name, h.value);
            return out;
        };
        check(only_wanted(all[i].request) == only_wanted(some[i].request) &&
                  only_wanted(all[i].response) == only_wanted(some[i].response) &&
                  only_wanted(all[i].trailers) == only_wanted(some[i].trailers),
              "the wanted fields, as a decoder of every field gives them");
    }
    // and the tracker on the raw input as a record
    t.record(data, size);
    return 0;
}
