// SAS transport (XPORT) version 5, per SAS TS-140 "The Record Layout of a Data Set in SAS
// Transport (XPORT) Format": 80-byte ASCII records; a library header, a member header with the
// data set's name and label, a NAMESTR header and one 140-byte NAMESTR per variable (big-endian
// integers), an OBS header, then the observations back to back. Each section ends padded with
// blanks to a whole record. Numbers are IBM System/370 doubles.
#include "pvmon/interop/xpt.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace pvmon::interop::xpt {

namespace {

constexpr std::size_t kRecord = 80;
constexpr std::size_t kNamestr = 140;

/// `s` left-justified in `width` bytes, blank-padded (callers check the length first).
std::string field(std::string_view s, std::size_t width) {
  std::string out(s.substr(0, width));
  out.resize(width, ' ');
  return out;
}

void pad_record(std::string& out) {
  if (const std::size_t r = out.size() % kRecord; r != 0) out.append(kRecord - r, ' ');
}

void put16(std::string& out, int v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

void put32(std::string& out, std::int64_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

/// TS-140's date-time: ddMMMyy:hh:mm:ss, e.g. 16FEB26:10:07:55.
std::string sas_datetime(Timestamp t) {
  static constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                           "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const Date d = t.date();
  const std::string ymd = format_date(d);  // YYYY-MM-DD
  const std::int64_t ms_of_day = t.ms - static_cast<std::int64_t>(d.days) * 86'400'000;
  const int sec = static_cast<int>(ms_of_day / 1000);
  const int month = std::stoi(ymd.substr(5, 2));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%s%s:%02d:%02d:%02d", ymd.substr(8, 2).c_str(), kMonths[month - 1],
                ymd.substr(2, 2).c_str(), sec / 3600, sec / 60 % 60, sec % 60);
  return buf;
}

std::string header(std::string_view kind, std::string_view digits) {
  // "HEADER RECORD*******" + kind (padded to 8) + "HEADER RECORD!!!!!!!" + 30 digits + 2 blanks.
  return "HEADER RECORD*******" + field(kind, 8) + "HEADER RECORD!!!!!!!" + std::string(digits) + "  ";
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > kMaxName || !(std::isupper(static_cast<unsigned char>(n[0])) || n[0] == '_'))
    return false;
  for (char c : n)
    if (!(std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

}  // namespace

std::array<std::uint8_t, 8> ibm_double(std::optional<double> value) {
  std::array<std::uint8_t, 8> out{};
  if (!value) {
    out[0] = 0x2e;  // SAS missing value "."
    return out;
  }
  const double v = *value;
  if (v == 0.0 || !std::isfinite(v)) return out;  // write() refuses the non-finite
  int e2 = 0;
  const double m = std::frexp(std::fabs(v), &e2);  // |v| = m * 2^e2, m in [0.5, 1)
  // |v| = f * 16^e16 with f in [1/16, 1): e16 = ceil(e2 / 4).
  int e16 = e2 >= 0 ? (e2 + 3) / 4 : -((-e2) / 4);
  const double f = std::ldexp(m, e2 - 4 * e16);
  if (e16 + 64 < 0) return out;  // below the format's range: 0
  // 56 bits of fraction hold the 53 of the double exactly (a shift by at most 3).
  auto fraction = static_cast<std::uint64_t>(std::ldexp(f, 56));
  if (fraction >> 56) {  // cannot happen for f < 1; kept exact by normalising
    fraction >>= 4;
    ++e16;
  }
  out[0] = static_cast<std::uint8_t>((v < 0 ? 0x80 : 0x00) | ((e16 + 64) & 0x7f));
  for (int i = 7; i >= 1; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(fraction & 0xff);
    fraction >>= 8;
  }
  return out;
}

Result<std::string> write(const Dataset& data, Timestamp created) {
  std::vector<FieldError> errors;
  if (!valid_name(data.name)) errors.push_back({"name", "'" + data.name + "' is not a SAS name of 1-8 characters"});
  if (data.label.size() > kMaxLabel) errors.push_back({"label", "is longer than 40 characters"});
  std::size_t obs_length = 0;
  for (const auto& var : data.variables) {
    if (!valid_name(var.name)) errors.push_back({var.name, "is not a SAS name of 1-8 characters"});
    if (var.label.size() > kMaxLabel) errors.push_back({var.name, "label is longer than 40 characters"});
    if (var.numeric ? var.length != 8 : (var.length < 1 || var.length > kMaxCharLength))
      errors.push_back({var.name, "length " + std::to_string(var.length) + " (numbers: 8; text: 1-200)"});
    obs_length += var.length;
  }
  for (std::size_t r = 0; r < data.rows.size(); ++r) {
    const auto& row = data.rows[r];
    if (row.size() != data.variables.size()) {
      errors.push_back({"row " + std::to_string(r + 1), "has " + std::to_string(row.size()) + " values for " +
                                                           std::to_string(data.variables.size()) + " variables"});
      continue;
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
      const auto& var = data.variables[i];
      const std::string where = var.name + " of row " + std::to_string(r + 1);
      if (const auto* s = std::get_if<std::string>(&row[i])) {
        if (var.numeric) errors.push_back({where, "is text in a numeric variable"});
        else if (s->size() > var.length)
          errors.push_back({where, "is " + std::to_string(s->size()) + " bytes; the variable holds " +
                                       std::to_string(var.length)});
      } else if (const auto* d = std::get_if<double>(&row[i])) {
        if (!var.numeric) errors.push_back({where, "is a number in a character variable"});
        else if (!std::isfinite(*d) || std::fabs(*d) > 7.2e75)
          errors.push_back({where, "is beyond the range of an IBM double"});
      }
    }
  }
  if (!errors.empty()) return Error::invalid(std::move(errors), "cannot write the SAS transport file");

  const std::string when = sas_datetime(created);
  std::string out;
  // Library header (TS-140 records 1-3).
  out += header("LIBRARY", "000000000000000000000000000000");
  out += field("SAS", 8) + field("SAS", 8) + field("SASLIB", 8) + field("9.4", 8) + field("pvmon", 8) +
         std::string(24, ' ') + when;
  out += field(when, kRecord);
  // Member header: NAMESTR records of 140 bytes (records 4-7).
  out += header("MEMBER", "000000000000000001600000000140");
  out += header("DSCRPTR", "000000000000000000000000000000");
  out += field("SAS", 8) + field(data.name, 8) + field("SASDATA", 8) + field("9.4", 8) + field("pvmon", 8) +
         std::string(24, ' ') + when;
  out += when + std::string(16, ' ') + field(data.label, kMaxLabel) + field("", 8);
  // NAMESTR header: the number of variables in positions 55-58.
  char count[8];
  std::snprintf(count, sizeof count, "%04zu", data.variables.size());
  out += header("NAMESTR", "000000" + std::string(count) + "00000000000000000000");
  std::size_t position = 0;
  for (std::size_t i = 0; i < data.variables.size(); ++i) {
    const auto& var = data.variables[i];
    const std::size_t before = out.size();
    put16(out, var.numeric ? 1 : 2);                // ntype
    put16(out, 0);                                  // nhfun
    put16(out, static_cast<int>(var.length));       // nlng
    put16(out, static_cast<int>(i + 1));            // nvar0
    out += field(var.name, 8);                      // nname
    out += field(var.label, kMaxLabel);             // nlabel
    out += field("", 8);                            // nform
    put16(out, 0);                                  // nfl
    put16(out, 0);                                  // nfd
    put16(out, 0);                                  // nfj
    out.append(2, '\0');                            // nfill
    out += field("", 8);                            // niform
    put16(out, 0);                                  // nifl
    put16(out, 0);                                  // nifd
    put32(out, static_cast<std::int64_t>(position));  // npos
    out.append(kNamestr - (out.size() - before), '\0');  // rest: unused
    position += var.length;
  }
  pad_record(out);
  out += header("OBS", "000000000000000000000000000000");
  std::string obs;
  obs.reserve(data.rows.size() * obs_length);
  for (const auto& row : data.rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      const auto& var = data.variables[i];
      if (var.numeric) {
        const auto* d = std::get_if<double>(&row[i]);
        const auto bytes = ibm_double(d ? std::optional<double>(*d) : std::nullopt);
        obs.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      } else {
        const auto* s = std::get_if<std::string>(&row[i]);
        obs += field(s ? std::string_view(*s) : std::string_view(), var.length);
      }
    }
  out += obs;
  pad_record(out);
  return out;
}

}  // namespace pvmon::interop::xpt
