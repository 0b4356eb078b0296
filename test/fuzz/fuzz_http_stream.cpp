// libFuzzer target for the HTTP parser the kernel runs: the input is cut into
// syscall-sized pieces that go in and out of one connection, in the order and
// sizes the input chooses, exactly as the BPF exit program would feed them.
// Also checks invariants the BPF side relies on.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../unit/bpf_harness.h"

static void check(bool ok, const char* what) {
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

// Route normalisation as specified, written plainly: the kernel's version,
// which folds byte classes and works eight bytes a step, must agree on any bytes.
static bool reference_is_id(const std::string& g) {
    auto all = [&](auto pred) { return std::all_of(g.begin(), g.end(), pred); };
    auto any = [&](auto pred) { return std::any_of(g.begin(), g.end(), pred); };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    auto hex = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    auto b64 = [&](char c) { return digit(c) || alpha(c) || c == '-' || c == '_' || c == '+' || c == '='; };
    if (g.empty()) return false;
    if (all(digit)) return true;
    if (g.size() == 36) {
        bool uuid = true;
        for (size_t i = 0; i < 36; i++)
            uuid &= (i == 8 || i == 13 || i == 18 || i == 23) ? g[i] == '-' : hex(g[i]);
        if (uuid) return true;
    }
    if (g.size() >= 16 && all(hex) && any(digit)) return true;
    return g.size() >= 20 && all(b64) && any(digit) && any(alpha);
}

static std::string reference_route(const uint8_t* b, size_t n) {
    size_t i = 0;
    if (!n || (b[0] != '/' && b[0] != '*')) {  // absolute-form: the path starts at the third '/'
        int slashes = 0;
        while (i < n && !(b[i] == '/' && ++slashes == 3)) i++;
    }
    const size_t max = AS_ROUTE_LEN - 1;
    std::string out;
    size_t seg = 0;
    auto end_segment = [&] {
        if (reference_is_id(out.substr(seg)) && seg + 4 < AS_ROUTE_LEN) out = out.substr(0, seg) + "{id}";
    };
    for (; i < n && b[i] != '?' && b[i] != '#' && out.size() < max; i++) {
        if (b[i] == '/') {
            end_segment();
            if (out.size() >= max) break;
            out += '/';
            seg = out.size();
        } else {
            out += static_cast<char>(b[i]);
        }
    }
    end_segment();
    return out.empty() ? "/" : out.substr(0, max);
}

// The request target's end, found a word at a time by the kernel, as a byte
// loop finds it: a space ends it (at path_len), a CR, LF or NUL refuses it.
static int reference_scan_target(const uint8_t* b, size_t n, size_t from, unsigned* path_len) {
    for (size_t i = from; i < n; i++) {
        if (b[i] == ' ') {
            *path_len = i;
            return 0;
        }
        if (b[i] == '\r' || b[i] == '\n' || b[i] == 0) return -1;
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Harness h;
    // headers are captured too, with a small value_max so truncation is reached
    capture({"x-tenant", "user-agent", "authorization", "x-request-id"}, {"content-type", "x-tenant"}, 16,
            {"authorization"});
    // LLM/MCP body windows on two routes (the seed corpus has requests to both)
    as_test_genai_on = true;
    Harness::genai_routes["/v1/chat/completions"] = 1;
    Harness::genai_routes["/mcp"] = 2;
    size_t off = 0;
    uint64_t now = 1;
    // First byte of each piece: direction (bit 7), kind (bits 5-6), length (bits 0-4, x8 + 1).
    while (off < size) {
        uint8_t ctl = data[off++];
        size_t len = ((ctl & 0x1f) * 8 + 1);
        bool in = ctl & 0x80;
        len = std::min(len, size - off);
        std::string piece(reinterpret_cast<const char*>(data + off), len);
        off += len;
        now += 1000;
        switch ((ctl >> 5) & 3) {
        case 0:
        case 1:
            h.feed(in, piece, now);
            break;
        case 2:
            h.opaque(in, len);
            break;
        default:
            if (in)
                h.eof(true);
            else
                h.close(now);
        }
        check(h.conn.q_len <= AS_PIPELINE, "pending queue within bounds");
        check(h.conn.q_head < AS_PIPELINE, "queue head within bounds");
    }
    for (const auto& r : Harness::records) {
        check(r.route_id >= 100 && r.route_id - 100 < Harness::routes.size(), "record names a route");
        check(r.method < AS_METHOD_COUNT, "method in range");
        check(r.status == 0 || (r.status >= 100 && r.status <= 599), "status in range");
    }
    for (auto* caps : {&Harness::req_caps, &Harness::resp_caps})
        for (const auto& c : *caps) {
            if (!c) continue;
            for (const auto& [name, v] : c->headers) {
                if (name == "authorization") {
                    check(v == "<present>", "a presence-only header has no value");
                    continue;
                }
                check(v.size() <= 16, "value within value_max");
                check(v.find('\n') == std::string::npos, "no LF in a value");
                // trimmed; a value cut at value_max keeps exactly its first bytes, blanks included
                bool cut = c->truncated.count(name) && c->truncated.at(name);
                check(v.empty() || (v.front() != ' ' && v.front() != '\t' &&
                                    (cut || (v.back() != ' ' && v.back() != '\t' && v.back() != '\r'))),
                      "values are trimmed");
            }
            check(c->path.size() <= AS_PATH_MAX, "path within bounds");
        }
    for (const auto& g : Harness::genai) {
        if (!g) continue;
        for (int d = 0; d < 2; d++) {
            check(g->head_len[d] <= AS_GENAI_HEAD, "head window within bounds");
            for (int t = 0; t < AS_GENAI_TAILS; t++)
                check(g->tail_len[d][t] <= AS_GENAI_TAIL, "tail window within bounds");
        }
        check(!g->first_body_ns || g->first_body_ns >= g->call.start_ns, "first chunk after the request");
    }
    for (const auto& route : Harness::routes) {
        check(!route.empty() && route.size() < AS_ROUTE_LEN, "route length");
        check(route[0] == '/' || route[0] == '*', "route starts with / or *");
    }
    // the pure parsers on the raw input too
    if (size) {
        as_window w{};
        size_t n = std::min(size, sizeof(w.b));
        memcpy(w.b, data, n);
        as_start s{};
        int kind = as_parse_start(&w, n, &s);
        for (size_t from : {0, 1, 4, 7, 9, 17}) {
            as_start t{};
            unsigned want = 0;
            t.path_off = from;
            t.avail = n;
            int r = as_scan_target(&w, &t);
            check(r == reference_scan_target(w.b, n, from, &want) && t.path_len == want,
                  "target end as a byte loop finds it");
        }
        if (kind == AS_MSG_REQUEST)
            check(s.path_off + s.path_len <= n, "target inside the window");
        // the look before a connection is tracked never refuses a start line
        // the parser takes, nor any first write of it
        for (size_t k = 1; kind != AS_MSG_NONE && k <= std::min<size_t>(n, AS_FIRST_BYTES); k++)
            check(as_could_start_http(w.b, k), "first look agrees with the parser");
        as_head_scan hs{};
        as_hdr_vals cap{};
        cap.cur = AS_CAP_NONE;
        int end = as_scan_head(&hs, &w, 0, n, &cap);
        check(end == -1 || (end > 0 && (size_t)end <= n), "head end inside the window");
        as_route r{};
        as_norm g{};
        int len = as_normalize_route(&w, 0, n, &r, &g);
        check(len > 0 && len < AS_ROUTE_LEN && r.text[len] == 0, "normalised route terminated");
        check(std::string(r.text, len) == reference_route(w.b, n), "normalised route as specified");
    }
    return 0;
}
