// libFuzzer target for reading LLM and MCP calls: any bytes as the body
// windows, lengths and headers the kernel hands over, read as every kind of
// route. Nothing may crash or read past a window; what is read is bounded.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "genai/genai_parse.h"
#include "genai/json_scan.h"

using namespace apiscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const auto table = genai_route_table(GenaiConfig{});
    as_genai_call g;
    memset(&g, 0xAA, sizeof(g));  // the kernel leaves bytes past the lengths as they were
    // the first bytes set the lengths, like a kernel entry would (bounded by it)
    auto take = [&](size_t n) {
        uint32_t v = 0;
        for (size_t i = 0; i < n && size; i++, data++, size--) v = (v << 8) | *data;
        return v;
    };
    for (int d = 0; d < 2; d++) {
        g.head_len[d] = take(2) % (AS_GENAI_HEAD + 1);
        g.segs[d] = take(1);
        for (int t = 0; t < AS_GENAI_TAILS; t++) {
            g.tail_len[d][t] = take(2) % (AS_GENAI_TAIL + 1);
            g.tail_seg[d][t] = take(1);
        }
        g.session_len[d] = take(1) % (AS_HDR_VAL_MAX + 1);
    }
    g.proto_len = take(1) % (AS_GENAI_PROTO_MAX + 1);
    g.call.status = take(2);
    g.call.error = take(1) & 1;
    g.call.start_ns = 1000;
    g.first_body_ns = take(1) ? 2000 : 0;
    // the rest fills the windows in turn
    char* dst[] = {g.head[0], g.head[1], g.tail[0][0], g.tail[1][0], g.session[0], g.proto};
    size_t room[] = {AS_GENAI_HEAD, AS_GENAI_HEAD, sizeof(g.tail[0]), sizeof(g.tail[1]), sizeof(g.session),
                     sizeof(g.proto)};
    std::string_view all(reinterpret_cast<const char*>(data), size);
    for (int i = 0; i < 6 && size; i++) {
        size_t n = std::min(size, room[i]);
        memcpy(dst[i], data, n);
        data += n;
        size -= n;
    }
    for (const auto& route : table) {
        if (!route.mcp && route.route != "/v1/chat/completions" && route.route != "/v1/messages" &&
            route.route != "/api/chat")
            continue;  // one route per body shape
        if (route.mcp) {
            McpExchange x = parse_mcp(g);
            if (x.session.size() > AS_HDR_VAL_MAX || x.calls.size() > 2 * (AS_GENAI_HEAD + AS_GENAI_TAILS * AS_GENAI_TAIL))
                abort();
        } else {
            LlmCall c = parse_llm(g, route);
            if (c.first_chunk_seconds && !c.streaming) abort();  // only streamed calls have one
        }
    }
    json_parse(all);
    json_first_string(all, "model");
    json_last_int(all, "code");
    return 0;
}
