// The Prometheus text format written straight into a buffer that is reused
// from one scrape to the next: the same bytes as prometheus-cpp's
// TextSerializer (test/unit/text_writer_test.cpp holds it to that), without
// its std::ostream writes, which were most of a large scrape's time.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace apiscope {

// Appends the families to out.
void write_text(const std::vector<prometheus::MetricFamily>& families, std::string& out);

}  // namespace apiscope
