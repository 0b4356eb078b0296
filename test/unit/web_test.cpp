// The metrics text writer against prometheus-cpp's own serializer, the web
// config's TLS priorities, and basic auth.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <crypt.h>
#include <limits>

#include "config/config.h"
#include "metrics/text_writer.h"
#include "web/basic_auth.h"
#include "web/web_config.h"

using namespace apiscope;

namespace {

std::string written(const std::vector<prometheus::MetricFamily>& f) {
    std::string out = "stale text from an earlier scrape\n";
    out.clear();
    write_text(f, out);
    return out;
}

}  // namespace

TEST_CASE("the text writer writes what prometheus-cpp's serializer writes", "[web]") {
    prometheus::Registry reg;
    auto& c = prometheus::BuildCounter().Name("http_requests_total").Help("Requests.").Register(reg);
    c.Add({{"route", "/items/{id}"}, {"method", "GET"}}).Increment(12345678901.0);
    c.Add({{"route", "quote\" back\\slash\nnewline"}}).Increment(0.1);
    c.Add({});
    auto& g = prometheus::BuildGauge().Name("g").Help("").Register(reg);
    for (double v : {0.0, -0.0, 1e-7, 1e20, 123456789.123456789, 1.0 / 3, -2.5,
                     std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::max(),
                     std::numeric_limits<double>::denorm_min()})
        g.Add({{"v", std::to_string(v)}}).Set(v);
    auto& h = prometheus::BuildHistogram().Name("latency_seconds").Help("Latency.").Register(reg);
    auto& hist = h.Add({{"a", "b"}}, prometheus::Histogram::BucketBoundaries{1e-7, 0.005, 0.01, 0.1, 1, 2.5, 1e20});
    for (double v : {0.001, 0.05, 0.5, 3.0, 100.0}) hist.Observe(v);
    auto& s = prometheus::BuildSummary().Name("sizes_bytes").Help("Sizes.").Register(reg);
    auto& sum = s.Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.99, 0.001}});
    for (int i = 0; i < 100; i++) sum.Observe(i * 1.5);
    auto families = reg.Collect();
    // a histogram whose last bucket is +Inf, and an untyped value with a timestamp
    prometheus::MetricFamily inf{"inf", "", prometheus::MetricType::Histogram, {}};
    auto& m = inf.metric.emplace_back();
    m.histogram.sample_count = 2;
    m.histogram.bucket = {{1, 1.0}, {2, std::numeric_limits<double>::infinity()}};
    families.push_back(inf);
    prometheus::MetricFamily untyped{"u", "An untyped one.", prometheus::MetricType::Untyped, {}};
    auto& um = untyped.metric.emplace_back();
    um.untyped.value = 7;
    um.timestamp_ms = 1700000000123;
    families.push_back(untyped);
    std::string theirs = prometheus::TextSerializer().Serialize(families);
    CHECK(written(families) == theirs);
}

TEST_CASE("the text writer appends to a reused buffer", "[web]") {
    prometheus::MetricFamily f{"a", "", prometheus::MetricType::Gauge, {}};
    f.metric.emplace_back().gauge.value = 1;
    std::string out = "x\n";
    write_text({f}, out);
    CHECK(out == "x\n# TYPE a gauge\na 1\n");
}

TEST_CASE("TLS versions and cipher suites become GnuTLS priorities", "[web]") {
    WebTls t;
    CHECK(t.priorities() == "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3");
    t.min_version = 13;
    CHECK(t.priorities() == "NORMAL:-VERS-ALL:+VERS-TLS1.3");
    t.min_version = t.max_version = 12;
    t.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"};
    CHECK(t.priorities() ==
          "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:-CIPHER-ALL:-MAC-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+AES-128-GCM:"
          "+AES-256-CBC:+AEAD:+SHA1");
}

TEST_CASE("basic auth: known users, wrong passwords, unknown users, the cache", "[web]") {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    REQUIRE(crypt_gensalt_rn("$2b$", 4, "0123456789abcdef", 16, setting, sizeof(setting)));
    struct crypt_data data = {};
    std::string hash = crypt_r("s3cret", setting, &data);
    BasicAuth auth({{"alice", hash}});
    CHECK(auth.enabled());
    CHECK(auth.check("alice", "s3cret"));
    CHECK(auth.check("alice", "s3cret"));  // from the cache
    CHECK_FALSE(auth.check("alice", "s3cret "));
    CHECK_FALSE(auth.check("alice", ""));
    CHECK_FALSE(auth.check("bob", "s3cret"));
    CHECK_FALSE(auth.check("", ""));
    CHECK_FALSE(BasicAuth({}).enabled());
}
