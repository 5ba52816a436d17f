// The two dates of a report: parsing and checking the (cut-off, as-of) pair, and clipping a
// snapshot taken at the as-of time to what happened by the cut-off.
#include "pvmon/service/cutoff.hpp"

#include <algorithm>
#include <vector>

namespace pvmon::service {

Timestamp end_of_day(Date d) { return start_of(d.plus_days(1)).plus_ms(-1); }

std::optional<Date> parse_cutoff_date(std::string_view text) {
  if (auto d = parse_date(text)) return d;
  if (auto t = parse_timestamp(text)) return t->date();
  return std::nullopt;
}

Result<CutoffInput> parse_cutoff_input(std::optional<std::string_view> cutoff,
                                       std::optional<std::string_view> as_of) {
  CutoffInput in;
  std::vector<FieldError> errs;
  if (cutoff) {
    in.cutoff = parse_cutoff_date(*cutoff);
    if (!in.cutoff)
      errs.push_back({"cutoff", kCutoffFormat});
    else if (auto why = input_date_problem(*in.cutoff))
      errs.push_back({"cutoff", *why});
  }
  if (as_of) {
    in.as_of = parse_timestamp(*as_of);
    if (!in.as_of)
      errs.push_back({"as_of", kAsOfFormat});
    else if (auto why = input_date_problem(*in.as_of))
      errs.push_back({"as_of", *why});
  }
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid cut-off");
  return in;
}

Result<DataCutoff> data_cutoff(std::optional<Date> cutoff, std::optional<Timestamp> as_of, Timestamp now) {
  DataCutoff out{cutoff.value_or(as_of.value_or(now).date()), as_of.value_or(now)};
  std::vector<FieldError> errs;
  if (out.as_of > now) errs.push_back({"as_of", "is in the future"});
  if (cutoff && *cutoff > now.date()) errs.push_back({"cutoff", "is in the future"});
  // (With a cut-off after today every as-of is before its day: that error says it all.)
  if (errs.empty() && out.as_of < start_of(out.cutoff))
    errs.push_back({"as_of", "is before the cut-off day " + format_date(out.cutoff) +
                                 " began: give an as-of at or after " + format_timestamp(start_of(out.cutoff))});
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid cut-off");
  return out;
}

void clip_to_cutoff(store::Snapshot& snap, Date cutoff) {
  const Timestamp end = end_of_day(cutoff);
  for (const auto& s : snap.subjects)
    if (s.enrolled > cutoff) snap.events.erase(s.subject);
  std::erase_if(snap.subjects, [&](const store::SubjectRow& s) { return s.enrolled > cutoff; });
  for (auto& [subject, events] : snap.events)
    std::erase_if(events, [&](const safety::SubjectEvent& e) { return e.date > cutoff; });
  std::erase_if(snap.reports, [&](const nlohmann::json& r) {
    const auto onset = r.contains("onset") && r["onset"].is_string()
                           ? parse_date(r["onset"].get<std::string>())
                           : std::nullopt;
    return onset && *onset > cutoff;
  });
  std::erase_if(snap.facts, [&](const safety::AeFact& f) { return f.onset && *f.onset > cutoff; });
  auto late_clock = [&](const store::ClockRow& c) { return c.clock.started_at > end; };
  std::erase_if(snap.open_clocks, late_clock);
  std::erase_if(snap.all_clocks, late_clock);
  std::erase_if(snap.alerts, [&](const store::AlertRow& a) { return a.raised_at > end; });
}

}  // namespace pvmon::service
