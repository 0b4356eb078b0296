// LLM and MCP calls through the kernel's framing (bpf_harness.h) and the
// exporter's reader: the windows kept, and what is read from them.
#include <catch2/catch.hpp>

#include "bpf_harness.h"
#include "genai/genai_collector.h"
#include "genai/genai_parse.h"
#include "genai/json_scan.h"

using namespace apiscope;

namespace {

// One chunk of a chunked body.
std::string chunk(const std::string& data) {
    char size[16];
    snprintf(size, sizeof(size), "%zx\r\n", data.size());
    return size + data + "\r\n";
}
const std::string kLastChunk = "0\r\n\r\n";
const std::string kChunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string request(const std::string& path, const std::string& body, const std::string& headers = "") {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A harness with the default GenAI routes marked, as the exporter marks them.
struct GenaiHarness : Harness {
    std::vector<GenaiRouteInfo> table = genai_route_table(GenaiConfig{});
    GenaiHarness() {
        as_test_genai_on = true;
        for (size_t i = 0; i < table.size(); i++) genai_routes[table[i].route] = i + 1;
        capture({"mcp-session-id", "mcp-protocol-version"}, {"mcp-session-id"});
        as_test_capture_on = false;  // captured for MCP calls only
        genai_hdrs = {{0, 0}, 1, {}};  // where capture() put them, as capture_rodata.cpp tells the kernel
    }
    // server side: reads the request, writes the response in `writes`
    as_genai_call serve(const std::string& req, const std::vector<std::string>& writes, uint64_t t0 = 1000) {
        feed(true, req, t0);
        uint64_t t = t0 + 1000000;
        for (const auto& w : writes) feed(false, w, t += 1000000);
        REQUIRE(records.size() >= 1);
        REQUIRE(genai.back());
        as_genai_call g = *genai.back();
        return g;
    }
    const GenaiRouteInfo& route(const as_genai_call& g) { return table.at(g.kind - 1); }
};

}  // namespace

TEST_CASE("json: key searches survive cut text and ignore keys inside strings") {
    CHECK(json_first_string(R"({"messages":[{"content":"say \"model\": \"x\""}],"model":"gpt-4o"})", "model") ==
          "gpt-4o");
    CHECK(json_first_string(R"({"properties":{"model":{"type":"string"}},"model":"m1"})", "model") == "m1");
    CHECK(json_last_int(R"(..."usage":{"prompt_tokens":12,"completion_tokens":345}})", "completion_tokens") == 345);
    CHECK_FALSE(json_last_int(R"("completion_tokens":34)", "completion_tokens"));  // cut: maybe 345
    CHECK(json_last_int(R"({"error":{"code":-32601}})", "code") == -32601);
    CHECK(json_first_bool(R"({"stream" : true})", "stream") == true);
    auto v = json_parse(R"([{"a":"\u00e9\n","b":[1,2.5e1,null,false]}])");
    REQUIRE(v);
    CHECK(v->items[0].string_at("a") == "\xc3\xa9\n");
    CHECK_FALSE(json_parse(R"({"a":1)"));
    CHECK_FALSE(json_parse(std::string(100, '[') + std::string(100, ']')));  // depth bounded
}

TEST_CASE("genai: the kernel's route of every built-in LLM path and /mcp is marked") {
    auto table = genai_route_table(GenaiConfig{});
    std::set<std::string> routes;
    for (const auto& r : table) routes.insert(r.route);
    for (const char* p : {"/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/api/chat", "/mcp"})
        CHECK(routes.count(p));
    GenaiConfig cfg;
    cfg.routes.push_back({"/gw/v1/chat/completions", "chat", "openai"});
    cfg.routes.push_back({"/v1/messages", "chat", "bedrock"});  // redefines a built-in
    table = genai_route_table(cfg);
    CHECK(table[0].route == "/gw/v1/chat/completions");
    for (const auto& r : table)
        if (r.route == "/v1/messages") CHECK(r.provider == "bedrock");
}

TEST_CASE("genai: a non-streamed chat completion") {
    GenaiHarness h;
    std::string body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";
    std::string resp_body =
        R"({"id":"c1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,)"
        R"("message":{"role":"assistant","content":"hello"}}],"usage":{"prompt_tokens":9,"completion_tokens":12,)"
        R"("total_tokens":21}})";
    auto g = h.serve(request("/v1/chat/completions", body),
                     {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(resp_body.size()) + "\r\n\r\n" + resp_body});
    REQUIRE(h.route(g).operation == "chat");
    LlmCall c = parse_llm(g, h.route(g));
    CHECK(c.request_model == "gpt-4o-mini");
    CHECK(c.response_model == "gpt-4o-mini-2024-07-18");
    CHECK_FALSE(c.streaming);
    CHECK(c.input_tokens == 9);
    CHECK(c.output_tokens == 12);
    CHECK_FALSE(c.first_chunk_seconds);
}

TEST_CASE("genai: a streamed chat completion, many chunks, usage in the last one") {
    GenaiHarness h;
    std::string prompt(5000, 'x');  // the request body is longer than the head window
    std::string body = R"({"model":"llama3","messages":[{"role":"user","content":")" + prompt + R"("}],"stream":true,)"
                       R"("stream_options":{"include_usage":true}})";
    std::vector<std::string> writes = {kChunkedHead};
    for (int i = 0; i < 200; i++)
        writes.push_back(chunk(R"(data: {"id":"c","object":"chat.completion.chunk","model":"llama3:8b",)"
                               R"("choices":[{"index":0,"delta":{"content":"tok"}}],"usage":null})"
                               "\n\n"));
    writes.push_back(chunk(R"(data: {"id":"c","model":"llama3:8b","choices":[],"usage":{"prompt_tokens":1234,)"
                           R"("completion_tokens":200,"total_tokens":1434}})"
                           "\n\n"));
    writes.push_back(chunk("data: [DONE]\n\n"));
    writes.push_back(kLastChunk);
    auto g = h.serve(request("/v1/chat/completions", body), writes, 5000);
    LlmCall c = parse_llm(g, h.route(g));
    CHECK(c.request_model == "llama3");
    CHECK(c.streaming);  // "stream":true sits after the long prompt: read from the tail
    CHECK(c.response_model == "llama3:8b");
    CHECK(c.input_tokens == 1234);
    CHECK(c.output_tokens == 200);
    REQUIRE(c.first_chunk_seconds);
    CHECK(*c.first_chunk_seconds == Approx(0.003));  // the first chunk (third write), not the head
    CHECK(g.segs[1] == 202);
    CHECK(g.call.duration_ns == 205000000);  // to the last write: the whole stream
}

TEST_CASE("genai: Anthropic and Ollama shapes") {
    GenaiHarness h;
    std::string sse =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4\","
        "\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n";
    std::string end = "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}\n\n";
    auto g = h.serve(request("/v1/messages", R"({"model":"claude-sonnet-4","stream":true,"max_tokens":64})"),
                     {kChunkedHead, chunk(sse), chunk("event: content_block_delta\ndata: {}\n\n"), chunk(end),
                      kLastChunk});
    LlmCall c = parse_llm(g, h.route(g));
    CHECK(h.route(g).provider == "anthropic");
    CHECK(c.input_tokens == 25);
    CHECK(c.output_tokens == 15);
    CHECK(c.streaming);

    GenaiHarness o;
    std::string lines = "{\"model\":\"qwen2\",\"message\":{\"content\":\"a\"},\"done\":false}\n";
    std::string last = "{\"model\":\"qwen2\",\"done\":true,\"prompt_eval_count\":26,\"eval_count\":290}\n";
    g = o.serve(request("/api/chat", R"({"model":"qwen2","messages":[]})"),
                {kChunkedHead, chunk(lines), chunk(last) + kLastChunk});
    c = parse_llm(g, o.route(g));
    CHECK(c.streaming);  // Ollama streams unless told not to
    CHECK(c.input_tokens == 26);
    CHECK(c.output_tokens == 290);
}

TEST_CASE("genai: routes that are not LLM or MCP keep nothing") {
    GenaiHarness h;
    h.feed(true, request("/api/users", R"({"model":"x"})"), 1);
    h.feed(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 2);
    REQUIRE(h.records.size() == 1);
    CHECK_FALSE(h.genai[0]);
    CHECK(h.genai_calls.empty());
    CHECK(h.caps.empty());  // no capture either: only MCP calls capture the session headers
}

TEST_CASE("mcp: a batch, a tool error, a JSON-RPC error, sessions") {
    GenaiHarness h;
    std::string batch =
        R"([{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}},)"
        R"({"jsonrpc":"2.0","id":"b","method":"tools/call","params":{"name":"fail"}},)"
        R"({"jsonrpc":"2.0","id":3,"method":"nope/nope"},)"
        R"({"jsonrpc":"2.0","method":"notifications/progress","params":{}}])";
    std::string sse = "event: message\ndata: "
                      R"([{"jsonrpc":"2.0","id":1,"result":{"content":[]}},)"
                      R"({"jsonrpc":"2.0","id":"b","result":{"content":[],"isError":true}},)"
                      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found"}}])"
                      "\n\n";
    auto g = h.serve(request("/mcp", batch, "Mcp-Session-Id: 5f1e-aa\r\nMCP-Protocol-Version: 2025-06-18\r\n"),
                     {kChunkedHead + chunk(sse) + kLastChunk});
    McpExchange x = parse_mcp(g);
    REQUIRE(x.calls.size() == 4);
    CHECK(x.calls[0].method == "tools/call");
    CHECK(x.calls[0].tool == "add");
    CHECK(x.calls[0].error_type == "");
    CHECK(x.calls[1].tool == "fail");
    CHECK(x.calls[1].error_type == "tool_error");
    CHECK(x.calls[2].error_type == "-32601");
    CHECK(x.calls[2].rpc_code == "-32601");
    CHECK(x.calls[3].method == "notifications/progress");
    CHECK(x.session == "5f1e-aa");
    CHECK(x.protocol_version == "2025-06-18");

    // initialize: the session id comes back in the response header
    GenaiHarness i;
    g = i.serve(request("/mcp", R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26"}})"),
                {"HTTP/1.1 200 OK\r\nmcp-session-id: abc\r\nContent-Type: application/json\r\nContent-Length: 62\r\n\r\n"
                 R"({"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-03-26"}})"});
    x = parse_mcp(g);
    CHECK(x.initialize);
    CHECK(x.session == "abc");
    CHECK(x.protocol_version == "2025-03-26");
}

TEST_CASE("mcp: sessions open at initialize, close at DELETE or after idling; ids are not labels") {
    Config cfg;
    cfg.genai.session_idle_timeout_seconds = 60;
    GenaiCollector col(nullptr, cfg);
    auto table = genai_route_table(cfg.genai);
    uint8_t mcp = 0;
    for (size_t k = 0; k < table.size(); k++)
        if (table[k].mcp) mcp = k + 1;
    auto call = [&](const char* session, int resp_session, uint8_t method, uint64_t start_s, const char* body) {
        as_genai_call g{};
        g.kind = mcp;
        g.call.status = 200;
        g.call.method = method;
        g.call.start_ns = start_s * 1000000000ULL;
        g.call.duration_ns = 10000000;
        strcpy(g.call.comm, "mcp-server");
        g.session_len[resp_session] = strlen(session);
        memcpy(g.session[resp_session], session, strlen(session));
        g.head_len[0] = strlen(body);
        memcpy(g.head[0], body, strlen(body));
        col.handle(g);
    };
    auto text = [&] {
        std::string out;
        for (const auto& f : col.Collect())
            for (const auto& m : f.metric) {
                out += f.name;
                for (const auto& l : m.label) out += " " + l.name + "=" + l.value;
                out += " " + std::to_string(f.type == prometheus::MetricType::Histogram ? m.histogram.sample_count
                                                                                          : m.gauge.value) +
                       "\n";
            }
        return out;
    };
    call("s1", 1, AS_METHOD_POST, 100, R"({"jsonrpc":"2.0","id":0,"method":"initialize"})");
    call("s1", 0, AS_METHOD_POST, 101, R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    call("s2", 1, AS_METHOD_POST, 102, R"({"jsonrpc":"2.0","id":0,"method":"initialize"})");
    CHECK(text().find("mcp_server_active_sessions service_name=mcp-server 2") != std::string::npos);
    call("s1", 0, AS_METHOD_DELETE, 130, "");
    std::string t = text();
    CHECK(t.find("mcp_server_active_sessions service_name=mcp-server 1") != std::string::npos);
    CHECK(t.find("mcp_server_session_duration_seconds service_name=mcp-server 1") != std::string::npos);
    CHECK(t.find("s1") == std::string::npos);
    col.expire_sessions(102 * 1000000000ULL + 61 * 1000000000ULL);
    t = text();
    CHECK(t.find("mcp_server_active_sessions service_name=mcp-server 0") != std::string::npos);
    CHECK(t.find("mcp_server_session_duration_seconds service_name=mcp-server 2") != std::string::npos);
    CHECK(t.find("mcp_method_name=initialize") != std::string::npos);
}

TEST_CASE("mcp: the session id's hash is keyed from the key file, the same across restarts") {
    char dir[] = "/tmp/apiscope-key-XXXXXX";
    REQUIRE(mkdtemp(dir));
    auto key_file = [&](const char* name, const std::string& bytes) {
        std::string path = std::string(dir) + "/" + name;
        FILE* f = fopen(path.c_str(), "w");
        fwrite(bytes.data(), 1, bytes.size(), f);
        fclose(f);
        return path;
    };
    Config a, b;
    a.headers.redact_key_file = key_file("a", std::string(32, 'a'));
    b.headers.redact_key_file = key_file("b", std::string(32, 'b'));
    const std::string id = "3f1c2b9e-0d7a-4c2e-9b6f-1a2b3c4d5e6f";
    // a restart is a new collector reading the same file
    std::string first = GenaiCollector(nullptr, a).session_hash(id);
    CHECK(first.size() == 16);
    CHECK(GenaiCollector(nullptr, a).session_hash(id) == first);
    CHECK(GenaiCollector(nullptr, b).session_hash(id) != first);
    CHECK(first == [&] {  // SipHash-2-4 under that key, as headers are hashed with it
        char hex[17];
        snprintf(hex, sizeof(hex), "%016llx",
                 static_cast<unsigned long long>(siphash24(load_redact_key(a.headers.redact_key_file), id)));
        return std::string(hex);
    }());
    // no key file: a key of this process, so ids cannot be guessed from their hash elsewhere
    Config none;
    CHECK(GenaiCollector(nullptr, none).session_hash(id) != GenaiCollector(nullptr, none).session_hash(id));
    std::string rm = std::string("rm -r ") + dir;
    CHECK(system(rm.c_str()) == 0);
}
