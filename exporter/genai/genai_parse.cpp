#include "genai/genai_parse.h"

#include <algorithm>
#include <map>
#include <set>

#include "genai/json_scan.h"
#include "kernel/kernel_route.h"

namespace apiscope {

std::vector<GenaiRouteInfo> genai_route_table(const GenaiConfig& cfg) {
    static const std::vector<GenaiRoute> builtin = {
        {"/v1/chat/completions", "chat", "openai"},   {"/v1/completions", "text_completion", "openai"},
        {"/v1/embeddings", "embeddings", "openai"},   {"/v1/responses", "chat", "openai"},
        {"/chat/completions", "chat", "openai"},      {"/completions", "text_completion", "openai"},
        {"/embeddings", "embeddings", "openai"},      {"/v1/messages", "chat", "anthropic"},
        {"/api/chat", "chat", "ollama"},              {"/api/generate", "text_completion", "ollama"},
        {"/api/embed", "embeddings", "ollama"},       {"/api/embeddings", "embeddings", "ollama"},
    };
    std::vector<GenaiRouteInfo> out;
    std::set<std::string> seen;
    auto add = [&](GenaiRouteInfo info, const std::string& path) {
        info.route = kernel_route(path);
        if (out.size() < AS_GENAI_MAX_ROUTES && seen.insert(info.route).second) out.push_back(std::move(info));
    };
    for (const auto* list : {&cfg.routes, &builtin})  // configured first: they may redefine a built-in
        for (const auto& r : *list) add({"", false, r.operation, r.provider}, r.path);
    for (const auto& p : cfg.mcp_paths) add({"", true, "", ""}, p);
    return out;
}

std::string genai_window(const as_genai_call& g, int dir) {
    std::string out(g.head[dir], std::min<size_t>(g.head_len[dir], AS_GENAI_HEAD));
    std::vector<std::pair<uint16_t, int>> tails;  // (segment, slot)
    for (int t = 0; t < AS_GENAI_TAILS; t++)
        if (g.tail_len[dir][t]) tails.push_back({g.tail_seg[dir][t], t});
    std::sort(tails.begin(), tails.end());
    for (auto [seg, t] : tails) {
        if (!out.empty()) out += '\n';  // a gap, or the join of two segments: both fine to a reader of lines
        out.append(g.tail[dir][t], std::min<size_t>(g.tail_len[dir][t], AS_GENAI_TAIL));
    }
    return out;
}

LlmCall parse_llm(const as_genai_call& g, const GenaiRouteInfo& route) {
    LlmCall c;
    std::string req = genai_window(g, 0), resp = genai_window(g, 1);
    c.request_model = json_first_string(req, "model");
    auto stream = json_first_bool(req, "stream");
    bool ollama_streams = route.provider == "ollama" && route.operation != "embeddings";  // its default
    auto starts = [&](const char* p) { return resp.rfind(p, 0) == 0; };
    c.streaming = stream ? *stream : (ollama_streams || starts("data:") || starts("event:"));
    c.response_model = json_first_string(resp, "model");
    for (const char* k : {"prompt_tokens", "input_tokens", "prompt_eval_count"})
        if (auto v = json_last_int(resp, k); v && *v >= 0) c.input_tokens = *v;
    for (const char* k : {"completion_tokens", "output_tokens", "eval_count"})
        if (auto v = json_last_int(resp, k); v && *v >= 0) c.output_tokens = *v;
    if (c.streaming && g.first_body_ns > g.call.start_ns)
        c.first_chunk_seconds = (g.first_body_ns - g.call.start_ns) / 1e9;
    return c;
}

namespace {

std::string id_text(const JsonValue* id) {
    if (!id) return "";
    return id->kind == JsonValue::String ? "s" + id->str : "n" + id->str;
}

// Each JSON-RPC message in a body: one object, a batch, or SSE events.
std::vector<JsonValue> messages(const std::string& body) {
    std::vector<JsonValue> out;
    auto take = [&](std::string_view text) {
        auto v = json_parse(text);
        if (!v) return;
        if (v->kind == JsonValue::Array) {
            for (auto& m : v->items)
                if (m.kind == JsonValue::Object) out.push_back(std::move(m));
        } else if (v->kind == JsonValue::Object) {
            out.push_back(std::move(*v));
        }
    };
    size_t first = body.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (body[first] == '{' || body[first] == '[')) {
        take(body);
        return out;
    }
    size_t pos = 0;  // SSE: a JSON-RPC message per data line
    while (pos < body.size()) {
        size_t end = body.find('\n', pos);
        if (end == std::string::npos) end = body.size();
        std::string_view line(body.data() + pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.rfind("data:", 0) == 0) take(line.substr(5));
        pos = end + 1;
    }
    return out;
}

}  // namespace

McpExchange parse_mcp(const as_genai_call& g) {
    McpExchange x;
    std::string req = genai_window(g, 0), resp = genai_window(g, 1);
    x.protocol_version.assign(g.proto, std::min<size_t>(g.proto_len, sizeof(g.proto)));
    int s = g.session_len[0] ? 0 : 1;
    x.session.assign(g.session[s], std::min<size_t>(g.session_len[s], AS_HDR_VAL_MAX));

    struct Outcome {
        std::string error_type, rpc_code;
    };
    std::map<std::string, Outcome> by_id;
    std::optional<Outcome> any;  // from a response too cut to parse
    for (const auto& m : messages(resp)) {
        Outcome o;
        if (const JsonValue* e = m.get("error")) {
            const JsonValue* code = e->get("code");
            // an integer (JSON-RPC codes are): anything else would be a label value of its own
            bool integer = code && code->kind == JsonValue::Number && code->str.size() <= 7 &&
                           code->str.find_first_not_of("-0123456789") == std::string::npos;
            o.rpc_code = o.error_type = integer ? code->str : "_OTHER";
        } else if (const JsonValue* r = m.get("result")) {
            const JsonValue* is_error = r->get("isError");
            if (is_error && is_error->kind == JsonValue::Bool && is_error->b) o.error_type = "tool_error";
            if (auto v = r->string_at("protocolVersion"); v && x.protocol_version.empty()) x.protocol_version = *v;
        }
        by_id[id_text(m.get("id"))] = o;
    }
    if (by_id.empty() && !resp.empty()) {
        Outcome o;
        if (auto code = json_last_int(resp, "code"); code && resp.find("\"error\"") != std::string::npos) {
            o.rpc_code = o.error_type = std::to_string(*code);
        } else if (json_first_bool(resp, "isError").value_or(false)) {
            o.error_type = "tool_error";
        }
        any = o;
    }

    auto add = [&](const std::string& method, const std::string& tool, const std::string& id) {
        McpCall c{method, tool, "", ""};
        if (auto it = by_id.find(id); !id.empty() && it != by_id.end()) {
            c.error_type = it->second.error_type;
            c.rpc_code = it->second.rpc_code;
        } else if (any && !id.empty()) {
            c.error_type = any->error_type;
            c.rpc_code = any->rpc_code;
        }
        if (g.call.error == AS_ERR_CONN_CLOSED)
            c.error_type = "connection_closed";
        else if (g.call.status >= 400)
            c.error_type = std::to_string(g.call.status);
        if (method == "initialize") x.initialize = true;
        x.calls.push_back(std::move(c));
    };
    auto msgs = messages(req);
    if (msgs.empty() && !req.empty()) {  // cut: what the first message says of itself
        if (auto method = json_first_string(req, "method")) {
            std::string tool = *method == "tools/call" ? json_first_string(req, "name").value_or("") : "";
            add(*method, tool, req.find("\"id\"") != std::string::npos ? "?" : "");
        }
    }
    for (const auto& m : msgs) {
        auto method = m.string_at("method");
        if (!method) continue;  // a response the client sends back (sampling, elicitation)
        std::string tool;
        if (const JsonValue* p = m.get("params")) {
            if (*method == "tools/call") tool = p->string_at("name").value_or("");
            if (auto v = p->string_at("protocolVersion"); v && x.protocol_version.empty()) x.protocol_version = *v;
        }
        add(*method, tool, id_text(m.get("id")));
    }
    return x;
}

}  // namespace apiscope
