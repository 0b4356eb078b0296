#!/usr/bin/env python3
"""Writes the Grafana dashboards in this folder from one description, so
that every panel uses the datasource variable, ids are unique and the
queries follow the same conventions. Run it after editing; a test checks
that the JSON files are what it writes.

usage: dashboards/generate.py [--check]
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}
RI = "$__rate_interval"
S = 'service_name=~"$service_name"'
SR = S + ', http_route=~"$http_route", http_request_method=~"$http_request_method"'


def error_ratio(by, m, sel):
    """Failed over all requests; 0, not "no data", when nothing failed."""
    errors = 'sum by (%s) (rate(%s_count{%s, error_type!=""}[%s]))' % (by, m, sel, RI)
    total = 'sum by (%s) (rate(%s_count{%s}[%s]))' % (by, m, sel, RI)
    return "(%s or %s * 0) / %s" % (errors, total, total)


def target(expr, legend="", ref="A", instant=False, fmt="time_series"):
    t = {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref}
    if instant:
        t.update({"instant": True, "range": False, "format": fmt})
    return t


class Board:
    def __init__(self, uid, title, description, variables):
        self.uid, self.title, self.description = uid, title, description
        self.variables = variables
        self.panels = []
        self.y = 0
        self.x = 0
        self.row_h = 0

    def row(self, title):
        self.newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def newline(self):
        self.y += self.row_h
        self.x = 0
        self.row_h = 0

    def panel(self, kind, title, targets, unit="short", w=8, h=8, description="", **extra):
        if self.x + w > 24:
            self.newline()
        p = {"type": kind, "title": title, "description": description, "datasource": DS,
             "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y}, "targets": targets,
             "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
        p.update(extra)
        self.panels.append(p)
        self.x += w
        self.row_h = max(self.row_h, h)

    def json(self):
        for i, p in enumerate(self.panels, 1):
            p["id"] = i
        templating = [{"name": "datasource", "label": "Data source", "type": "datasource",
                       "query": "prometheus", "current": {}, "hide": 0, "refresh": 1}]
        for name, query, multi, *regex in self.variables:
            templating.append({
                "name": name, "label": name, "type": "query", "datasource": DS,
                "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                "definition": query, "refresh": 2, "includeAll": True, "multi": multi, "regex": "".join(regex),
                "allValue": ".*", "current": {"text": "All", "value": "$__all"}, "sort": 1, "hide": 0})
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["apiscope", "http", "ebpf"], "timezone": "browser", "editable": True,
            "schemaVersion": 39, "version": 1, "refresh": "30s",
            "time": {"from": "now-1h", "to": "now"},
            "templating": {"list": templating}, "annotations": {"list": []},
            "panels": self.panels, "links": [
                {"title": "apiscope dashboards", "type": "dashboards", "tags": ["apiscope"], "asDropdown": True}],
        }


SERVICES = ('label_values({__name__=~"http_(server|client)_request_duration_seconds_count|'
            'rpc_(server|client)_call_duration_seconds_count"}, service_name)')
# Pods: the namespace, and the workload (a Deployment, StatefulSet, DaemonSet or
# Job, guessed from pod names). A series carries at most one owner label, so
# the workload variable's value is a regex of its pods' names, made by
# label_replace per owner kind; "All" (.*) also matches series outside pods.
K = ', k8s_namespace_name=~"$k8s_namespace_name", k8s_pod_name=~"${workload:pipe}"'
SK, SRK = S + K, SR + K
HTTP_SERIES = '{__name__=~"http_(server|client)_request_duration_seconds_count|rpc_(server|client)_call_duration_seconds_count"'
POD_PATTERNS = (("k8s_deployment_name", "-[a-z0-9]{6,10}-[a-z0-9]{5}"), ("k8s_statefulset_name", "-[0-9]+"),
                ("k8s_daemonset_name", "-[a-z0-9]{5}"), ("k8s_job_name", "-[a-z0-9]{5}"))
WORKLOADS = "query_result(count by (workload, pods) (%s))" % " or ".join(
    'label_replace(label_replace(%s, %s!="", k8s_namespace_name=~"$k8s_namespace_name"}, "workload", "${1}", '
    '"%s", "(.+)"), "pods", "${1}%s", "%s", "(.+)")' % (HTTP_SERIES, owner, owner, pods, owner)
    for owner, pods in POD_PATTERNS)
K8S_VARIABLES = [("k8s_namespace_name", "label_values(%s}, k8s_namespace_name)" % HTTP_SERIES, True),
                 ("workload", WORKLOADS, True, r'/pods="(?<value>[^"]+)",workload="(?<text>[^"]+)"/')]
RPC_METHODS = 'label_values(rpc_server_call_duration_seconds_count{%s}, rpc_method)' % SK


def grpc_panels(b, side, sel):
    """gRPC calls of one side: rate and errors by method and status, latency."""
    m = "rpc_%s_call_duration_seconds" % side
    b.panel("timeseries", "gRPC calls by method", [target(
        'sum by (service_name, rpc_method) (rate(%s_count{%s}[%s]))' % (m, sel, RI), "{{service_name}} {{rpc_method}}")],
        "reqps", description="Calls per second completed, streaming calls at the stream's end.")
    b.panel("timeseries", "gRPC errors by method and status", [target(
        'sum by (rpc_method, rpc_response_status_code) (rate(%s_count{%s, rpc_response_status_code!="OK"}[%s]))'
        % (m, sel, RI), "{{rpc_method}} {{rpc_response_status_code}}")], "reqps",
        description="Calls whose grpc-status was not OK (a reset or a lost connection included).")
    b.panel("timeseries", "gRPC latency p50 / p99", [target(
        'histogram_quantile(%s, sum by (le) (rate(%s_bucket{%s}[%s])))' % (q, m, sel, RI), n, ref)
        for q, n, ref in (("0.5", "p50", "A"), ("0.99", "p99", "B"))], "s",
        description="From the request's first header byte to the end of the response stream.")


def overview():
    b = Board("apiscope-overview", "apiscope / API overview",
              "Rate, errors, latency and payload of every API apiscope measures, server and client side apart.",
              K8S_VARIABLES + [("service_name", SERVICES, True),
               ("http_route", 'label_values({__name__=~"http_(server|client)_request_duration_seconds_count", %s}, http_route)' % SK, True),
               ("http_request_method", 'label_values({__name__=~"http_(server|client)_request_duration_seconds_count", %s}, http_request_method)' % SK, True)])
    for side in ("server", "client"):
        m = "http_%s_request_duration_seconds" % side
        b.row("%s side (%s)" % (side.capitalize(), "requests served" if side == "server" else "requests made"))
        b.panel("timeseries", "Request rate", [target(
            'sum by (service_name) (rate(%s_count{%s}[%s]))' % (m, SRK, RI), "{{service_name}}")], "reqps",
            description="Requests per second completed, by service.")
        b.panel("timeseries", "Error ratio", [target(
            error_ratio("service_name", m, SRK), "{{service_name}}")], "percentunit",
            description="Share of requests with an error_type: 5xx%s, or no response." % (
                " and 4xx" if side == "client" else ""))
        b.panel("timeseries", "Latency p50 / p90 / p99", [target(
            'histogram_quantile(%s, sum by (le) (rate(%s_bucket{%s}[%s])))' % (q, m, SRK, RI), "p" + n, ref)
            for q, n, ref in (("0.5", "50", "A"), ("0.9", "90", "B"), ("0.99", "99", "C"))], "s",
            description="From the request's first byte to the response's first byte.")
        sz = "http_%s_response_body_size_bytes" % side
        b.panel("timeseries", "Response payload: average and p95", [
            target('sum(rate(%s_sum{%s}[%s])) / sum(rate(%s_count{%s}[%s]))' % (sz, SRK, RI, sz, SRK, RI), "average"),
            target('histogram_quantile(0.95, sum by (le) (rate(%s_bucket{%s}[%s])))' % (sz, SRK, RI), "p95", "B")],
            "bytes")
        rq = "http_%s_request_body_size_bytes" % side
        b.panel("timeseries", "Request payload: average and p95", [
            target('sum(rate(%s_sum{%s}[%s])) / sum(rate(%s_count{%s}[%s]))' % (rq, SRK, RI, rq, SRK, RI), "average"),
            target('histogram_quantile(0.95, sum by (le) (rate(%s_bucket{%s}[%s])))' % (rq, SRK, RI), "p95", "B")],
            "bytes")
        b.panel("timeseries", "Requests by protocol version", [target(
            'sum by (network_protocol_version) (rate(%s_count{%s}[%s]))' % (m, SRK, RI),
            "HTTP/{{network_protocol_version}}")], "reqps", description="HTTP/1.0, HTTP/1.1 and HTTP/2 (h2 and h2c).")
        by = "service_name, http_request_method, http_route" + (", server_address, server_port" if side == "client" else "")
        b.panel("table", "Top endpoints", [
            target('topk(20, sum by (%s) (rate(%s_count{%s}[%s])))' % (by, m, SRK, RI), "", "A", True, "table"),
            target("100 * " + error_ratio(by, m, SRK), "", "B", True, "table"),
            target('histogram_quantile(0.99, sum by (le, %s) (rate(%s_bucket{%s}[%s])))' % (by, m, SRK, RI), "", "C", True, "table"),
            target('sum by (%s) (rate(%s_sum{%s}[%s])) / sum by (%s) (rate(%s_count{%s}[%s]))'
                   % (by, sz, SRK, RI, by, sz, SRK, RI), "", "D", True, "table")],
            w=24, h=10, description="Busiest endpoints: rate (A), error % (B), p99 seconds (C), average response bytes (D).",
            transformations=[{"id": "merge", "options": {}},
                             {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": {
                                 "Value #A": "req/s", "Value #B": "error %", "Value #C": "p99 (s)", "Value #D": "avg response bytes"}}}])
    for side in ("server", "client"):
        b.row("gRPC %s side (%s)" % (side, "calls served" if side == "server" else "calls made"))
        grpc_panels(b, side, SK)
    return b


def endpoint():
    b = Board("apiscope-endpoint", "apiscope / Endpoint detail",
              "One route over time: latency distribution, status codes, payload sizes and its callers.",
              K8S_VARIABLES + [("service_name", SERVICES, False),
               ("http_route", 'label_values(http_server_request_duration_seconds_count{%s}, http_route)' % SK, False),
               ("http_request_method", 'label_values(http_server_request_duration_seconds_count{%s}, http_request_method)' % SK, True),
               ("rpc_method", RPC_METHODS, True)])
    m = "http_server_request_duration_seconds"
    b.row("Served")
    b.panel("heatmap", "Latency distribution", [target(
        'sum by (le) (increase(%s_bucket{%s}[%s]))' % (m, SRK, RI), "{{le}}", fmt="heatmap")], "s", w=12,
        options={"calculate": False, "yAxis": {"unit": "s"}, "cellGap": 1},
        description="Requests per latency bucket, from the kernel-side histogram.")
    b.panel("timeseries", "Status codes", [target(
        'sum by (http_response_status_code) (rate(%s_count{%s}[%s]))' % (m, SRK, RI), "{{http_response_status_code}}")],
        "reqps", w=12)
    b.panel("timeseries", "Latency p50 / p99", [target(
        'histogram_quantile(%s, sum by (le) (rate(%s_bucket{%s}[%s])))' % (q, m, SRK, RI), n, ref)
        for q, n, ref in (("0.5", "p50", "A"), ("0.99", "p99", "B"))], "s", w=8)
    for kind in ("request", "response"):
        sz = "http_server_%s_body_size_bytes" % kind
        b.panel("timeseries", "%s payload: average and p95" % kind.capitalize(), [
            target('sum(rate(%s_sum{%s}[%s])) / sum(rate(%s_count{%s}[%s]))' % (sz, SRK, RI, sz, SRK, RI), "average"),
            target('histogram_quantile(0.95, sum by (le) (rate(%s_bucket{%s}[%s])))' % (sz, SRK, RI), "p95", "B")],
            "bytes", w=8)
    c = "http_client_request_duration_seconds"
    b.row("Called (client side, every process calling this route)")
    b.panel("timeseries", "Callers: requests by caller and server", [target(
        'sum by (service_name, server_address, server_port) (rate(%s_count{http_route=~"$http_route", http_request_method=~"$http_request_method"}[%s]))'
        % (c, RI), "{{service_name}} -> {{server_address}}:{{server_port}}")], "reqps", w=12)
    b.panel("timeseries", "Callers: p99 as they see it", [target(
        'histogram_quantile(0.99, sum by (le, service_name) (rate(%s_bucket{http_route=~"$http_route", http_request_method=~"$http_request_method"}[%s])))'
        % (c, RI), "{{service_name}}")], "s", w=12)
    rs = SK + ', rpc_method=~"$rpc_method"'
    b.row("gRPC methods served")
    grpc_panels(b, "server", rs)
    b.panel("timeseries", "gRPC callers by server", [target(
        'sum by (service_name, server_address, server_port) (rate(rpc_client_call_duration_seconds_count{rpc_method=~"$rpc_method"}[%s]))'
        % RI, "{{service_name}} -> {{server_address}}:{{server_port}}")], "reqps", w=24,
        description="Every process calling these methods, as its client side sees them.")
    return b


def health():
    b = Board("apiscope-health", "apiscope / Health",
              "Is apiscope itself well: BPF cost, map fill, losses, route overflow, scrape cost.", [])
    b.row("BPF cost")
    b.panel("timeseries", "BPF CPU time per program", [target(
        'sum by (instance, program) (rate(apiscope_bpf_program_run_seconds_total[%s]))' % RI,
        "{{instance}} {{program}}")], "percentunit", description="Share of one CPU spent in each program.")
    b.panel("timeseries", "ns per program run", [target(
        '1e9 * sum by (instance, program) (rate(apiscope_bpf_program_run_seconds_total[%s])) / sum by (instance, program) (rate(apiscope_bpf_program_runs_total[%s]))'
        % (RI, RI), "{{instance}} {{program}}")], "ns")
    b.panel("timeseries", "BPF ns per request", [target(
        '1e9 * sum by (instance) (rate(apiscope_bpf_program_run_seconds_total[%s])) / sum by (instance) (rate(apiscope_requests_observed_total[%s]))'
        % (RI, RI), "{{instance}}")], "ns", description="All programs' time over requests counted, client and server sides.")
    b.panel("timeseries", "Program runs per second", [target(
        'sum by (instance, program) (rate(apiscope_bpf_program_runs_total[%s]))' % RI, "{{instance}} {{program}}")], "ops")
    b.row("Capacity and losses")
    b.panel("timeseries", "Map fill", [target(
        'apiscope_bpf_map_entries / apiscope_bpf_map_capacity', "{{instance}} {{map}}")], "percentunit",
        options={}, description="Connections map entries are evicted least-recently-used; metrics and routes stop growing.")
    b.panel("timeseries", "Dropped requests by reason", [target(
        'sum by (instance, reason) (rate(apiscope_events_dropped_total[%s]))' % RI, "{{instance}} {{reason}}")], "reqps")
    b.panel("timeseries", "Parse failures by reason", [target(
        'sum by (instance, reason) (rate(apiscope_parse_failures_total[%s]))' % RI, "{{instance}} {{reason}}")], "ops")
    b.panel("timeseries", "Route overflow", [
        target('sum by (instance) (rate(apiscope_route_overflow_requests_total[%s]))' % RI, "{{instance}} requests/s to _other"),
        target('apiscope_route_overflow_routes', "{{instance}} routes folded at export", "B")], "short")
    b.row("HTTP/2")
    b.panel("timeseries", "Requests with headers not known, by reason", [target(
        'sum by (instance, reason) (rate(apiscope_http2_requests_unknown_total[%s]))' % RI, "{{instance}} {{reason}}")],
        "reqps", description="Counted with _unknown where a header table was not known (attached mid-connection, "
                             "records lost, tables past http2.max_table_bytes).")
    b.panel("timeseries", "Connections followed", [target('apiscope_http2_connections', "{{instance}}")], "short",
            description="HTTP/2 connections whose header tables the exporter keeps (bound: http2.max_connections).")
    b.panel("timeseries", "Not followed, by reason", [target(
        'sum by (instance, reason) (rate(apiscope_http2_dropped_total[%s]))' % RI, "{{instance}} {{reason}}")], "ops")
    b.row("Exporter")
    b.panel("timeseries", "Scrape duration", [target('apiscope_scrape_duration_seconds', "{{instance}}")], "s")
    b.panel("timeseries", "Series exported", [target('apiscope_http_series', "{{instance}}")], "short")
    b.panel("timeseries", "Endpoint: mean scrape time", [target(
        'rate(apiscope_web_scrape_seconds_total[%s]) / rate(apiscope_web_scrapes_total[%s])' % (RI, RI),
        "{{instance}}")], "s", description="Collecting, writing and compressing a scrape.")
    b.panel("timeseries", "Endpoint: answers by code", [target(
        'sum by (instance, code) (rate(apiscope_web_requests_total[%s]))' % RI, "{{instance}} {{code}}")], "reqps")
    b.panel("timeseries", "Endpoint: refusals by reason", [target(
        'sum by (instance, reason) (rate(apiscope_web_requests_rejected_total[%s]))' % RI,
        "{{instance}} {{reason}}")], "ops",
        description="Wrong credentials, client certificates, TLS handshakes, connections without a request, "
                    "connection bounds (docs/security.md).")
    b.panel("table", "Build", [target('apiscope_build_info', "", "A", True, "table")], w=8,
            transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}}}])
    return b


def llm_mcp():
    b = Board("apiscope-llm-mcp", "apiscope / LLM gateways and MCP servers",
              "LLM API calls by model and provider (tokens, time to first token) and MCP calls by method and tool, "
              "served and made.",
              [("service_name", 'label_values({__name__=~"(gen_ai|mcp)_.*_duration_seconds_count"}, service_name)',
                True)])
    for side in ("server", "client"):
        m = "gen_ai_server_request_duration_seconds" if side == "server" else "gen_ai_client_operation_duration_seconds"
        first = ("gen_ai_server_time_to_first_token_seconds" if side == "server"
                 else "gen_ai_client_operation_time_to_first_chunk_seconds")
        b.row("LLM calls %s" % ("served (model servers, gateways)" if side == "server" else "made (apps, gateways)"))
        b.panel("timeseries", "Calls by model and provider", [target(
            'sum by (service_name, gen_ai_provider_name, gen_ai_request_model) (rate(%s_count{%s}[%s]))' % (m, S, RI),
            "{{service_name}} {{gen_ai_provider_name}} {{gen_ai_request_model}}")], "reqps")
        b.panel("timeseries", "Error ratio by model", [target(
            error_ratio("gen_ai_request_model", m, S), "{{gen_ai_request_model}}")], "percentunit",
            description="Calls with an error_type: an HTTP error status or no response.")
        b.panel("timeseries", "Tokens per second, in and out", [target(
            'sum by (gen_ai_token_type) (rate(gen_ai_%s_token_usage_sum{%s}[%s]))' % (side, S, RI),
            "{{gen_ai_token_type}}")], "short", description="From the usage each response reported.")
        b.panel("timeseries", "Time to first %s vs total, p50 / p95" % ("token" if side == "server" else "chunk"), [
            target('histogram_quantile(%s, sum by (le) (rate(%s_bucket{%s}[%s])))' % (q, metric, S, RI), legend, ref)
            for q, metric, legend, ref in (("0.5", first, "first chunk p50", "A"), ("0.95", first, "first chunk p95", "B"),
                                           ("0.5", m, "total p50", "C"), ("0.95", m, "total p95", "D"))], "s", w=12,
            description="Streamed calls: the first chunk of the response; every call: to the response's end.")
        b.panel("timeseries", "Latency p95 by model", [target(
            'histogram_quantile(0.95, sum by (le, gen_ai_request_model) (rate(%s_bucket{%s}[%s])))' % (m, S, RI),
            "{{gen_ai_request_model}}")], "s", w=12)
    b.panel("timeseries", "Time per output token (served), p50", [target(
        'histogram_quantile(0.5, sum by (le, gen_ai_request_model) (rate(gen_ai_server_time_per_output_token_seconds_bucket{%s}[%s])))'
        % (S, RI), "{{gen_ai_request_model}}")], "s", w=24)
    for side in ("server", "client"):
        m = "mcp_%s_operation_duration_seconds" % side
        b.row("MCP %s" % ("served" if side == "server" else "calls made"))
        b.panel("timeseries", "Calls by method", [target(
            'sum by (mcp_method_name) (rate(%s_count{%s}[%s]))' % (m, S, RI), "{{mcp_method_name}}")], "reqps")
        b.panel("timeseries", "Tool calls by tool", [target(
            'sum by (gen_ai_tool_name) (rate(%s_count{%s, mcp_method_name="tools/call"}[%s]))' % (m, S, RI),
            "{{gen_ai_tool_name}}")], "reqps")
        b.panel("timeseries", "Tool error ratio", [target(
            error_ratio("gen_ai_tool_name", m, S + ', mcp_method_name="tools/call"'), "{{gen_ai_tool_name}}")],
            "percentunit", description="tools/call ending in a JSON-RPC error or a result with isError: true.")
        b.panel("timeseries", "Latency p95 by method", [target(
            'histogram_quantile(0.95, sum by (le, mcp_method_name) (rate(%s_bucket{%s}[%s])))' % (m, S, RI),
            "{{mcp_method_name}}")], "s")
        b.panel("timeseries", "Active sessions", [target(
            'sum by (service_name) (mcp_%s_active_sessions{%s})' % (side, S), "{{service_name}}")], "short")
        b.panel("timeseries", "Session duration p50", [target(
            'histogram_quantile(0.5, sum by (le) (rate(mcp_%s_session_duration_seconds_bucket{%s}[%s])))'
            % (side, S, "5m"), "p50")], "s", description="Sessions ended by DELETE or idle timeout.")
    return b


def main():
    check = "--check" in sys.argv
    stale = []
    for name, board in (("apiscope-overview.json", overview()), ("apiscope-endpoint.json", endpoint()),
                        ("apiscope-health.json", health()), ("llm-mcp.json", llm_mcp())):
        text = json.dumps(board.json(), indent=2) + "\n"
        path = os.path.join(HERE, name)
        if check:
            if not os.path.exists(path) or open(path).read() != text:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        sys.exit("dashboards out of date, run dashboards/generate.py: " + ", ".join(stale))


if __name__ == "__main__":
    main()
