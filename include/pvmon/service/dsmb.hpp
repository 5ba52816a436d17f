// pvmon::service — DSMB reports: building one from the store's snapshot at a cut-off, storing
// it (once per cut-off), the schedule that says when one is due, its CSV tables in a zip, and
// the SDTM AE export. Errors are Result values; any thread (the daemon builds on pv-dsmb).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pvmon/interop.hpp"
#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// Builds, without storing, the report of `st` for `cutoff` from the data recorded by then. Its
/// number and period follow the reports stored with an earlier cut-off (or, when one is stored
/// for this very cut-off, repeat its own), so a rebuild gives the same bytes and SHA-256.
Result<store::DsmbReportDraft> build_dsmb_report(const Runtime& rt, const config::Study& st,
                                                 store::Store& store, Timestamp cutoff,
                                                 const std::string& trigger);

/// Builds and stores the report for `cutoff`, unless one is stored for it already (then that
/// one is returned with `created` false). Logs the audit head hash after storing, so a rewrite
/// of the whole audit table is detectable from the logs.
struct MadeReport {
  store::DsmbReportRow row;
  bool created = true;
};
Result<MadeReport> make_dsmb_report(const Runtime& rt, const config::Study& st, store::Store& store,
                                    Timestamp cutoff, const std::string& trigger,
                                    const store::Actor& actor);

/// The cut-off of the scheduled report due at `now`, if one is: the latest due time of the
/// study's schedule after the newest stored report (or, before any, after the study was first
/// seen). Several due times missed while the daemon was down give one report, for the latest.
std::optional<Timestamp> dsmb_due(const config::Study& st,
                                  const std::optional<store::DsmbReportRow>& latest,
                                  Timestamp first_seen, Timestamp now);

/// One pass over every study with a schedule at cx.clock.now(): builds what is due. Returns
/// the reports built.
std::vector<store::DsmbReportRow> run_dsmb_schedule(const Context& cx);

/// Every CSV table of a report in one zip whose entries carry `when` as their time, so the same
/// report always gives the same bytes.
Result<std::string> csv_zip(const std::vector<std::pair<std::string, std::string>>& files, Timestamp when);

/// The subjects of a snapshot for the SDTM AE export, each with its RFSTDTC.
std::vector<interop::SdtmSubject> sdtm_subjects(const store::Snapshot& snap);

/// The SDTM AE domain (CSV) of the study as recorded at `as_of`.
Result<std::string> sdtm_ae_export(store::Store& store, const std::string& study, Timestamp as_of);

}  // namespace pvmon::service
