#include "autoscale/core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "autoscale/core/error.h"

namespace autoscale {

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

void init_logging(const LogOptions& options) {
  const auto level = spdlog::level::from_str(options.level);
  // from_str maps anything unknown to "off"; only accept that when it was asked for.
  AUTOSCALE_CHECK(level != spdlog::level::off || options.level == "off",
                  "--log-level: expected one of trace, debug, info, warn, error, off, got {}", quote(options.level));

  std::vector<spdlog::sink_ptr> sinks;
  auto terminal = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  terminal->set_level(options.quiet ? spdlog::level::warn : level);
  terminal->set_pattern("%^[%H:%M:%S %l]%$ %v");
  sinks.push_back(terminal);
  if (!options.file.empty()) {
    try {
      auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, /*truncate=*/false);
      file->set_level(level);
      file->set_pattern("[%Y-%m-%d %H:%M:%S.%e %l] %v");
      sinks.push_back(file);
    } catch (const spdlog::spdlog_ex& e) {
      AUTOSCALE_THROW("--log-file {}: {}", quote(options.file), e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("autoscale", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace autoscale
