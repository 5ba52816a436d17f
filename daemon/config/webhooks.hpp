// The "webhooks" array of pvmond.json: endpoint URL, signing secret (read from a file or an
// environment variable, both injected so tests need neither), subscribed events, severity
// floor, payload format and timeouts. Private to pvmon::config; pure apart from the injected
// getenv/read_file; any thread. No error message ever contains a secret.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/fields.hpp"
#include "pvmon/notify.hpp"

namespace pvmon::config {

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;
using ReadFile = std::function<Result<std::string>(const std::string&)>;

/// Appends one Endpoint per valid entry of r[key] (absent: none) and one FieldError per
/// problem, with dotted paths ("webhooks.0.url") as FieldReader records them. `secret_file`
/// is passed to `read_file` as written, after expanding a leading ${CREDENTIALS_DIRECTORY}.
void parse_webhooks(FieldReader& r, const std::string& key, std::vector<notify::Endpoint>& out,
                    std::vector<FieldError>& errs, const GetEnv& getenv, const ReadFile& read_file);

}  // namespace pvmon::config
