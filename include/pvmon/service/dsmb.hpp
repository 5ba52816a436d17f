// pvmon::service — DSMB reports: building one from the store's snapshot at its as-of time,
// clipped to its clinical cut-off (service/cutoff.hpp), storing it (once per (cut-off, as-of)
// pair), the schedule that says when one is due, its CSV tables in a zip, and the SDTM AE
// export. Errors are Result values; any thread (the daemon builds on pv-dsmb).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pvmon/interop.hpp"
#include "pvmon/service/cutoff.hpp"
#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// Builds, without storing, the report of `st` for `at`: what happened by the end of the
/// cut-off day as recorded at the as-of time (`at` is checked by the caller: data_cutoff()).
/// Its number and period follow the reports stored before it in (cut-off, as-of) order (or,
/// when one is stored for this very pair, repeat its own), so a rebuild gives the same bytes and
/// SHA-256. The period starts at the latest earlier cut-off: a report built again for the same
/// cut-off from a later as-of covers the same period.
Result<store::DsmbReportDraft> build_dsmb_report(const Runtime& rt, const config::Study& st,
                                                 store::Store& store, const DataCutoff& at,
                                                 const std::string& trigger);

/// Builds and stores the report for `at`, unless one is stored for that pair already (then that
/// one is returned with `created` false). A pair must come after the latest report's: a later
/// cut-off, or the same cut-off with a later as-of (a new number); else Errc::conflict naming
/// the latest report. Logs the audit head hash after storing, so a rewrite of the whole audit
/// table is detectable from the logs.
struct MadeReport {
  store::DsmbReportRow row;
  bool created = true;
};
Result<MadeReport> make_dsmb_report(const Runtime& rt, const config::Study& st, store::Store& store,
                                    const DataCutoff& at, const std::string& trigger,
                                    const store::Actor& actor);

/// The due time of the scheduled report due at `now`, if one is: the latest due time of the
/// study's schedule after the newest stored report's cut-off (or, before any, after the study
/// was first seen). Several due times missed while the daemon was down give one report, for the
/// latest. The report's cut-off is the due time's UTC date, its as-of the time it is built.
std::optional<Timestamp> dsmb_due(const config::Study& st,
                                  const std::optional<store::DsmbReportRow>& latest,
                                  Timestamp first_seen, Timestamp now);

/// One pass over every study with a schedule at cx.clock.now(): builds what is due. Returns
/// the reports built.
std::vector<store::DsmbReportRow> run_dsmb_schedule(const Context& cx);

/// Every CSV table of a report in one zip whose entries carry `when` as their time, so the same
/// report always gives the same bytes.
Result<std::string> csv_zip(const std::vector<std::pair<std::string, std::string>>& files, Timestamp when);

/// The subjects of a snapshot for the SDTM exports, each with its RFSTDTC and treatment start.
std::vector<interop::SdtmSubject> sdtm_subjects(const store::Snapshot& snap);

/// The SDTM AE domain of the study: versions as recorded at `at.as_of`, AEs with onset on or
/// before `at.cutoff` (the clinical cut-off, as for DSMB reports and /safety).
Result<interop::SdtmDataset> sdtm_ae_dataset(store::Store& store, const std::string& study, const DataCutoff& at);
/// The SDTM DM domain: each subject enrolled by the cut-off, with death (DTHFL, DTHDTC) and end
/// of participation from its reconciled course, as every other view has them.
Result<interop::SdtmDataset> sdtm_dm_dataset(store::Store& store, const std::string& study, const DataCutoff& at);

/// An SDTM export: which domain, in which format.
enum class SdtmDomain { ae, dm };
enum class SdtmFormat { csv, xpt };
/// The domain written as CSV or as a SAS transport v5 file whose headers are dated at the as-of
/// (so the same pair gives the same bytes over HTTP and from `pvmon export`).
Result<std::string> sdtm_export(store::Store& store, const std::string& study, SdtmDomain domain,
                                SdtmFormat format, const DataCutoff& at);

}  // namespace pvmon::service
