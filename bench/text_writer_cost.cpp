// The metrics text of a scrape written by apiscope's writer and by
// prometheus-cpp's TextSerializer, side by side on the same families:
// endpoint series shaped as apiscope exports them (a duration and two size
// histograms and a counter per endpoint), timed alternately.
//
//   build/bench/bench_text_writer_cost [endpoints=200] [rounds=50]
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "metrics/text_writer.h"

using namespace prometheus;

namespace {

std::vector<MetricFamily> families(int endpoints) {
    std::vector<MetricFamily> out;
    const std::vector<double> dur = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
    const std::vector<double> size = {100, 1000, 10000, 100000, 1e6, 1e7};
    auto hist = [&](const char* name, const std::vector<double>& b) {
        MetricFamily f{name, "A histogram of apiscope's.", MetricType::Histogram, {}};
        for (int e = 0; e < endpoints; e++) {
            auto& m = f.metric.emplace_back();
            m.label = {{"service_name", "api-server"}, {"http_request_method", "GET"},
                       {"http_route", "/r/" + std::to_string(e) + "/{id}"}, {"http_response_status_code", "200"},
                       {"url_scheme", "http"}, {"network_protocol_version", "1.1"}};
            uint64_t c = 0;
            for (double u : b) m.histogram.bucket.push_back({c += e % 7 + 1, u});
            m.histogram.sample_count = c + 3;
            m.histogram.sample_sum = 0.123456 * e;
        }
        out.push_back(std::move(f));
    };
    hist("http_server_request_duration_seconds", dur);
    hist("http_server_request_body_size_bytes", size);
    hist("http_server_response_body_size_bytes", size);
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int endpoints = argc > 1 ? atoi(argv[1]) : 200, rounds = argc > 2 ? atoi(argv[2]) : 50;
    auto f = families(endpoints);
    size_t series = 0;
    for (const auto& fam : f)
        for (const auto& m : fam.metric) series += m.histogram.bucket.size() + 3;
    std::vector<double> ours, theirs;
    std::string buffer;
    size_t bytes = 0;
    for (int r = 0; r < rounds; r++) {
        auto t0 = std::chrono::steady_clock::now();
        buffer.clear();
        apiscope::write_text(f, buffer);
        auto t1 = std::chrono::steady_clock::now();
        std::string s = TextSerializer().Serialize(f);
        auto t2 = std::chrono::steady_clock::now();
        if (s != buffer) {
            fprintf(stderr, "the two texts differ\n");
            return 1;
        }
        bytes = s.size();
        ours.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        theirs.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    printf("| Prometheus series | bytes | prometheus-cpp TextSerializer ms | apiscope's writer ms | ratio |\n");
    printf("| --- | --- | --- | --- | --- |\n");
    printf("| %zu | %zu | %.2f | %.2f | %.3f |\n", series, bytes, median(theirs), median(ours),
           median(ours) / median(theirs));
    return 0;
}
