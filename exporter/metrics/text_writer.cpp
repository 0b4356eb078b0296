#include "metrics/text_writer.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace apiscope {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

void number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "Nan";
    } else if (std::isinf(v)) {
        out += v < 0 ? "-Inf" : "+Inf";
    } else {
        // the ostream's default notation at max_digits10 - 1 digits, as %g
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general,
                               std::numeric_limits<double>::max_digits10 - 1);
        out.append(buf, r.ptr);
    }
}

void number(std::string& out, uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
}

void label_value(std::string& out, const std::string& v) {
    if (v.find_first_of("\\\"\n") == std::string::npos) {
        out += v;
        return;
    }
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
}

// name{labels[,extra="value"]} — extra_value is a number or a string
template <typename V>
void head(std::string& out, const MetricFamily& f, const ClientMetric& m, const char* suffix, const char* extra,
          const V& extra_value) {
    out += f.name;
    out += suffix;
    if (!m.label.empty() || extra) {
        out += '{';
        const char* sep = "";
        for (const auto& l : m.label) {
            out += sep;
            out += l.name;
            out += "=\"";
            label_value(out, l.value);
            out += '"';
            sep = ",";
        }
        if (extra) {
            out += sep;
            out += extra;
            out += "=\"";
            if constexpr (std::is_same_v<V, double>) number(out, extra_value);
            else out += extra_value;
            out += '"';
        }
        out += '}';
    }
    out += ' ';
}

void head(std::string& out, const MetricFamily& f, const ClientMetric& m, const char* suffix = "") {
    head(out, f, m, suffix, nullptr, "");
}

void tail(std::string& out, const ClientMetric& m) {
    if (m.timestamp_ms != 0) {
        out += ' ';
        out += std::to_string(m.timestamp_ms);
    }
    out += '\n';
}

void value_line(std::string& out, const MetricFamily& f, const ClientMetric& m, double v) {
    head(out, f, m);
    number(out, v);
    tail(out, m);
}

void count_and_sum(std::string& out, const MetricFamily& f, const ClientMetric& m, uint64_t count, double sum) {
    head(out, f, m, "_count");
    number(out, count);
    tail(out, m);
    head(out, f, m, "_sum");
    number(out, sum);
    tail(out, m);
}

void histogram(std::string& out, const MetricFamily& f, const ClientMetric& m) {
    const auto& h = m.histogram;
    count_and_sum(out, f, m, h.sample_count, h.sample_sum);
    double last = -std::numeric_limits<double>::infinity();
    for (const auto& b : h.bucket) {
        head(out, f, m, "_bucket", "le", b.upper_bound);
        last = b.upper_bound;
        number(out, b.cumulative_count);
        tail(out, m);
    }
    if (last != std::numeric_limits<double>::infinity()) {
        head(out, f, m, "_bucket", "le", "+Inf");
        number(out, h.sample_count);
        tail(out, m);
    }
}

void summary(std::string& out, const MetricFamily& f, const ClientMetric& m) {
    const auto& s = m.summary;
    count_and_sum(out, f, m, s.sample_count, s.sample_sum);
    for (const auto& q : s.quantile) {
        head(out, f, m, "", "quantile", q.quantile);
        number(out, q.value);
        tail(out, m);
    }
}

const char* type_name(MetricType t) {
    switch (t) {
        case MetricType::Counter: return "counter";
        case MetricType::Gauge: return "gauge";
        case MetricType::Summary: return "summary";
        case MetricType::Histogram: return "histogram";
        default: return "untyped";
    }
}

}  // namespace

void write_text(const std::vector<MetricFamily>& families, std::string& out) {
    for (const auto& f : families) {
        if (!f.help.empty()) {
            out += "# HELP ";
            out += f.name;
            out += ' ';
            out += f.help;
            out += '\n';
        }
        out += "# TYPE ";
        out += f.name;
        out += ' ';
        out += type_name(f.type);
        out += '\n';
        for (const auto& m : f.metric) {
            switch (f.type) {
                case MetricType::Counter: value_line(out, f, m, m.counter.value); break;
                case MetricType::Gauge: value_line(out, f, m, m.gauge.value); break;
                case MetricType::Untyped: value_line(out, f, m, m.untyped.value); break;
                case MetricType::Histogram: histogram(out, f, m); break;
                case MetricType::Summary: summary(out, f, m); break;
            }
        }
    }
}

}  // namespace apiscope
