// What an LLM API call or an MCP exchange was, read from the body windows
// the kernel kept (struct as_genai_call). Pure functions of those bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apiscope_shared.h"
#include "config/config.h"

namespace apiscope {

struct GenaiRouteInfo {
    std::string route;  // as the kernel normalises it
    bool mcp = false;
    std::string operation, provider;  // LLM routes
};

// The built-in LLM routes, then genai.routes, then genai.mcp_paths; a call's
// genai value is 1 + its index here. Duplicates (by route) are left out.
std::vector<GenaiRouteInfo> genai_route_table(const GenaiConfig& cfg);

// The bytes kept of one direction (0 request, 1 response): the head, then
// the tails in segment order, pieces that do not join separated by a newline.
std::string genai_window(const as_genai_call& g, int dir);

struct LlmCall {
    std::optional<std::string> request_model, response_model;
    bool streaming = false;
    std::optional<uint64_t> input_tokens, output_tokens;
    std::optional<double> first_chunk_seconds;  // streaming calls only
};
LlmCall parse_llm(const as_genai_call& g, const GenaiRouteInfo& route);

struct McpCall {
    std::string method;  // as sent; the collector bounds it
    std::string tool;    // tools/call
    std::string error_type, rpc_code;
};
struct McpExchange {
    std::vector<McpCall> calls;  // one per JSON-RPC message (a batch has several)
    std::string protocol_version;  // MCP-Protocol-Version, or initialize's
    std::string session;  // Mcp-Session-Id of the request, else of the response
    bool initialize = false;  // an initialize call: a session begins
};
McpExchange parse_mcp(const as_genai_call& g);

}  // namespace apiscope
