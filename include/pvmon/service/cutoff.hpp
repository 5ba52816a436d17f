// pvmon::service — the two dates of a DSMB report and of GET /safety (issue 17 §3, "Two
// dates for a cut-off"). The data cut-off is a clinical date: what happened on or before it
// counts. Data keep arriving after it, so the figures are also read "as of" an instant, the
// database state they are built from: what was recorded by then. The pair (cut-off, as-of) makes
// a report reproducible: the same pair gives the same bytes. Pure; any thread.
#pragma once

#include <optional>
#include <string_view>

#include "pvmon/core.hpp"
#include "pvmon/store.hpp"
#include "pvmon/time.hpp"

namespace pvmon::service {

/// The last millisecond of `d` (23:59:59.999Z): the clinical cut-off as an instant.
Timestamp end_of_day(Date d);

/// A checked (cut-off, as-of) pair: start_of(cutoff) <= as_of <= the time it was checked at.
struct DataCutoff {
  Date cutoff;
  Timestamp as_of;
  bool operator==(const DataCutoff&) const = default;
};

/// A cut-off as a user gives it: a date YYYY-MM-DD, or (as before the cut-off was a date) a
/// date-time with offset, whose UTC date it is. nullopt for anything else.
std::optional<Date> parse_cutoff_date(std::string_view text);

/// What a `cutoff` (a clinical date) or an `as_of` (an instant) that does not parse is told,
/// wherever it is given: /safety, the SDTM exports, DSMB reports, the command line.
inline constexpr const char* kCutoffFormat =
    "must be a date YYYY-MM-DD (or a date-time with offset, whose UTC date is used)";
inline constexpr const char* kAsOfFormat = "must be a date-time with offset, e.g. 2026-04-07T09:00:00Z";

/// A (cut-off, as-of) pair as given; either may be absent.
struct CutoffInput {
  std::optional<Date> cutoff;
  std::optional<Timestamp> as_of;
};

/// The pair as a user gives it, as text (a query, a body, the command line): the one reading of
/// both. Errc::invalid naming each that does not parse (kCutoffFormat, kAsOfFormat) or lies
/// before 1900-01-01 (input_date_problem). data_cutoff then checks the pair against now.
Result<CutoffInput> parse_cutoff_input(std::optional<std::string_view> cutoff,
                                       std::optional<std::string_view> as_of);

/// Completes and checks a pair at `now`. Without an as-of it is `now`; without a cut-off it is
/// the as-of's UTC date. Refused (Errc::invalid, naming the field): a cut-off after today; an
/// as-of in the future; an as-of before the cut-off day began (nothing of that day could have
/// been recorded yet). An as-of later on the cut-off day itself, or any time after it, is fine.
Result<DataCutoff> data_cutoff(std::optional<Date> cutoff, std::optional<Timestamp> as_of, Timestamp now);

/// Keeps in `snap` (taken at the as-of time: versions, stops and acknowledgements as recorded
/// by then) only what happened by the end of `cutoff`:
/// - subjects enrolled on or before it, and their events dated on or before it;
/// - AE reports (records or facts) whose onset is on or before it (one without an onset, which
///   intake never accepts, is kept);
/// - clocks started, and alerts raised, by the end of the cut-off day.
/// The only place the cut-off filters a snapshot: /safety and DSMB reports both call it.
void clip_to_cutoff(store::Snapshot& snap, Date cutoff);

}  // namespace pvmon::service
