// The HTML report of a run directory (loop/engine.h): one self-contained file (inline SVG charts
// and CSS, no scripts, nothing fetched) with the comparison table, PDMS against N_syn, the loop's
// validation PDMS and mixture weights per iteration, per-cluster validation PDMS, a 2-D map of
// the embeddings by cluster and domain, and the resolved configuration.
#pragma once

#include <string>

namespace autoscale::loop {

// The report's HTML. Error names the file and field when a run file is missing or malformed
// (run.json and config.yaml are required; the rest appears as it exists).
std::string report_html(const std::string& run_dir);

// Writes report_html(run_dir) to out_html atomically.
void write_report(const std::string& run_dir, const std::string& out_html);

}  // namespace autoscale::loop
