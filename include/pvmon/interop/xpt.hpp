// pvmon::interop::xpt — SAS transport files, version 5 (the XPORT format FDA requires for
// submitted datasets), written per SAS TS-140 "The Record Layout of a Data Set in SAS Transport
// (XPORT) Format". One data set per file. Pure: the same data set and time give the same bytes;
// safe from any thread. A value that does not fit (a name, label or text too long for the format)
// is an Error naming the variable and row, never truncated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/time.hpp"

namespace pvmon::interop::xpt {

/// A cell: null, text (character variables) or a number (numeric variables). A null number is
/// SAS missing (.), a null or empty text is blanks.
using Value = std::variant<std::monostate, std::string, double>;

/// TS-140 limits: names of 1-8 characters, labels of up to 40, character values up to 200 bytes.
inline constexpr std::size_t kMaxName = 8, kMaxLabel = 40, kMaxCharLength = 200;

struct Variable {
  std::string name, label;
  bool numeric = false;
  std::size_t length = 8;  // bytes in each observation: 8 for numbers, 1..200 for text
};

struct Dataset {
  std::string name, label;  // member name (<= 8), data set label (<= 40)
  std::vector<Variable> variables;
  std::vector<std::vector<Value>> rows;  // each row has one Value per variable
};

/// A double as an IBM System/370 double (hexadecimal floating point: sign, excess-64 base-16
/// exponent, 56-bit fraction), big-endian, as TS-140 stores numbers. Missing (nullopt) is
/// 2E 00 00 00 00 00 00 00. Values beyond the format's range (about 7.2e75) are refused by
/// write(); subnormal-small ones become 0.
std::array<std::uint8_t, 8> ibm_double(std::optional<double> value);

/// The transport file: library header, member header, one 140-byte NAMESTR per variable, then
/// the observations, each section padded with blanks to 80-byte records. `created` goes into
/// the headers' created/modified fields (ddMMMyy:hh:mm:ss, UTC).
Result<std::string> write(const Dataset& data, Timestamp created);

}  // namespace pvmon::interop::xpt
