// Parses and validates a ticketd YAML file into config::config, collecting every error.
// Pure function of the text and the environment; no I/O besides reading token files.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace ticketd::config {

struct config_error {
  std::string file;
  int line = 0;      // 1-based; 0 when the error is about the file as a whole
  int column = 0;    // 1-based
  std::string path;  // key path, e.g. queues.billing.wait_weight
  std::string message;

  // FILE:LINE:COL: key.path: message
  std::string to_string() const;
};

struct load_result {
  std::shared_ptr<const config> value;  // null when errors is not empty
  std::vector<config_error> errors;
  std::vector<std::string> warnings;  // accepted, but worth telling the operator
};

// Looks up an environment variable (token_env); injectable for tests.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
env_lookup process_environment();

load_result load_config_text(std::string_view yaml, const std::string& file_name,
                             const env_lookup& env = process_environment());
load_result load_config_file(const std::filesystem::path& file,
                             const env_lookup& env = process_environment());

}  // namespace ticketd::config
