// DSMB reports: from the store's snapshot at the as-of time, clipped to the clinical cut-off,
// to pvmon::reports' input, building and storing a report, and the schedule that decides when
// one is due. The report model and its renderings are pvmon::reports'; this file only gathers
// the data and keeps the books.
#include <spdlog/spdlog.h>
#include <zip.h>

#include <algorithm>
#include <memory>
#include <set>
#include <tuple>

#include "pvmon/crypto.hpp"
#include "pvmon/reports.hpp"
#include "pvmon/service/dsmb.hpp"
#include "pvmon/service/figures.hpp"

namespace pvmon::service {

using nlohmann::json;

namespace {

/// Takes the snapshot's reports (a study may have a million: they are moved, not copied).
/// `snap` is clipped to the cut-off already (clip_to_cutoff).
reports::Input input_of(const Runtime& rt, const config::Study& st, store::Snapshot& snap,
                        Date cutoff, std::vector<safety::SubjectCourse> courses, safety::SurgicalSafety surg,
                        safety::Endpoints endpoints, int number, std::optional<Timestamp> previous) {
  reports::Input in;
  in.study = st.id;
  in.title = st.title;
  in.sites = st.sites;
  for (const auto& iv : st.interventions) in.interventions.push_back({iv.id, iv.kind});
  in.aesi = st.rules.aesi;
  in.cutoff = end_of_day(cutoff);
  in.as_of = snap.as_of;
  in.number = number;
  in.previous_cutoff = previous;
  in.protocol_sha256 = st.sha256;
  for (std::size_t i = 0; i < snap.subjects.size(); ++i) {
    const auto& sub = snap.subjects[i];
    reports::SubjectInput s{sub.subject, sub.site, sub.enrolled, {}, std::move(courses[i])};
    if (auto it = snap.events.find(sub.subject); it != snap.events.end()) s.events = it->second;
    in.subjects.push_back(std::move(s));
  }
  std::sort(in.subjects.begin(), in.subjects.end(),
            [](const auto& a, const auto& b) { return a.subject < b.subject; });
  for (const auto& c : snap.all_clocks)
    in.clocks.push_back({c.report, c.report_ref, c.subject, c.site, c.clock.kind, c.clock.started_at,
                         c.clock.due_at, c.stopped_at, c.stop_reason, c.late});
  for (const auto& a : snap.alerts)
    in.alerts.push_back({a.id, a.rule, a.severity, a.title, a.subject, a.raised_at, a.acked_at, a.acked_by});
  for (const auto& b : evaluate_boundaries(rt, st, snap, surg)) {
    const auto& rule = b.boundary->rule;
    in.boundaries.push_back({rule.id, std::string(safety::to_string(rule.event)),
                             std::string(safety::to_string(rule.method)), rule.n_max, b.boundary->rows,
                             b.boundary->oc, b.boundary->type1_error, b.boundary->power, b.n, b.events,
                             b.crossed, b.design_complete, b.path, b.crossed_at});
  }
  in.ae_counts = safety::count_aes(snap.facts, snap.fact_tables);
  in.surgical = std::move(surg);
  in.endpoints = std::move(endpoints);
  in.reports = std::move(snap.facts);
  in.tables = std::move(snap.fact_tables);
  snap.facts.clear();
  return in;
}

/// The lab stream's figures at the cut-off (safety/labs.hpp), once: eDISH, shift tables, the
/// time courses of the subjects in the Hy's law quadrant, and the potential Hy's law alerts raised
/// by the cut-off with their assessment as of the as-of. nullopt when the study has no results.
Result<std::optional<reports::LabsInput>> labs_input(store::Store& store, const config::Study& st,
                                                    const reports::Input& in, const DataCutoff& at) {
  auto by_subject = store.study_labs(st.id, in.cutoff, at.as_of);
  if (!by_subject) return by_subject.error();
  if (by_subject->empty()) return std::optional<reports::LabsInput>{};
  reports::LabsInput out;
  out.edish = safety::edish(by_subject.value(), in.cutoff);
  out.shifts = safety::shift_tables(by_subject.value(), in.cutoff);
  for (const auto& p : out.edish.points) {
    if (p.quadrant != safety::EdishQuadrant::hys_law) continue;
    auto& series = out.hys_law_series[p.subject];
    for (const auto& r : by_subject->at(p.subject))
      if (r.analyte == safety::Analyte::alt || r.analyte == safety::Analyte::ast ||
          r.analyte == safety::Analyte::bilirubin)
        series.push_back(r);
  }
  auto assessed = store.alert_assessments(st.id, at.as_of);
  if (!assessed) return assessed.error();
  for (const auto& a : in.alerts) {
    if (a.rule != safety::rule::kPotentialHysLaw || a.raised_at > in.cutoff) continue;
    auto x = assessed->find(a.id);
    out.cases.push_back({a.subject, a.raised_at, a.title, x == assessed->end() ? std::string() : x->second});
  }
  return std::optional<reports::LabsInput>(std::move(out));
}

/// The figures the dsmb.report webhook carries: enough for a DSMB member to see at a glance
/// whether to open the report now. The same AE counts and surgical figures as the report's.
json summary_of(const reports::Input& in) {
  int deaths = 0;
  for (const auto& s : in.subjects) deaths += s.course.dead() ? 1 : 0;  // from any source
  json crossed = json::array();
  for (const auto& b : in.boundaries)
    if (b.crossed) crossed.push_back(b.id);
  const auto& surg = in.surgical;
  return {{"enrolled", in.subjects.size()},
          {"subjects_with_ae", in.ae_counts.subjects_with_ae},
          {"subjects_with_sae", in.ae_counts.subjects_with_sae},
          {"subjects_with_fatal_ae", in.ae_counts.subjects_with_fatal_ae},
          {"deaths", deaths},
          {"operated", surg.operated},
          {"mortality_30d", {{"deaths", surg.mortality30.events},
                             {"evaluable", surg.mortality30.n},
                             {"pending", surg.pending30.size()}}},
          {"stopping_boundaries_crossed", crossed}};
}

std::string base_url(const config::Config& c) {
  if (!c.public_url.empty()) return c.public_url;
  if (!c.link_base.empty()) return c.link_base;
  return config::link_base_of(c, "");
}

}  // namespace

Result<store::DsmbReportDraft> build_dsmb_report(const Runtime& rt, const config::Study& st,
                                                 store::Store& store, const DataCutoff& at,
                                                 const std::string& trigger) {
  auto stored = store.list_dsmb_reports(st.id);
  if (!stored) return stored.error();
  const Timestamp cutoff = end_of_day(at.cutoff);
  // Newest first: the number and period come from what precedes this (cut-off, as-of) pair;
  // the period from the latest earlier cut-off.
  int number = 1;
  std::optional<Timestamp> previous;
  for (const auto& r : stored.value()) {
    if (r.cutoff == cutoff && r.as_of == at.as_of) {
      number = r.number;
      previous = r.previous_cutoff;
      break;
    }
    if (std::tie(r.cutoff, r.as_of) < std::tie(cutoff, at.as_of)) {
      number = r.number + 1;
      previous = r.cutoff < cutoff ? std::optional(r.cutoff) : r.previous_cutoff;
      break;
    }
  }
  store::Store::SnapshotOptions opts;
  opts.facts = true;  // compact rows: a study of a million reports fits in memory
  auto snap = store.snapshot(st.id, at.as_of, opts);
  if (!snap) return snap.error();
  clip_to_cutoff(snap.value(), at.cutoff);
  // Each figure once: the surgical figures feed the stopping rules, the report and the summary.
  auto courses = courses_of(snap.value(), at.cutoff);
  auto surg = surgical_of(courses, at.cutoff);
  auto endpoints = safety::endpoints(courses, at.cutoff);
  auto in = input_of(rt, st, snap.value(), at.cutoff, std::move(courses), std::move(surg), std::move(endpoints), number,
                     previous);
  auto labs = labs_input(store, st, in, at);
  if (!labs) return labs.error();
  in.labs = std::move(labs.value());
  auto summary = summary_of(in);
  store::DsmbReportDraft d;
  d.study = st.id;
  d.number = number;
  d.cutoff = cutoff;
  d.as_of = at.as_of;
  d.previous_cutoff = previous;
  d.trigger = trigger;
  // `in` is given up: the model releases its facts before it builds the listings.
  const json model = reports::build(std::move(in));
  d.body = reports::canonical_json(model);
  // The primary endpoint too, as the report's benefit–risk section gives it.
  const json& pe = model["benefit_risk"]["primary_endpoint"];
  summary["efs_1_year"] = {{"rate", pe["rate"]}, {"ci95", pe["ci95"]}, {"n_risk", pe["n_risk"]},
                           {"events", pe["events"]}, {"n", pe["n"]}};
  d.sha256 = crypto::sha256_hex(d.body);
  d.protocol_sha256 = st.sha256;
  const std::string url = base_url(*rt.config) + "/v1/studies/" + st.id + "/dsmb-reports/";
  d.webhook_data = [summary, url, d](std::int64_t id) {
    return json{{"study", d.study},
                {"number", d.number},
                {"data_cutoff", format_date(d.cutoff.date())},
                {"as_of", format_timestamp(d.as_of)},
                {"period_from", d.previous_cutoff ? json(format_date(d.previous_cutoff->date())) : json(nullptr)},
                {"trigger", d.trigger},
                {"sha256", d.sha256},
                {"url", url + std::to_string(id)},
                {"html_url", url + std::to_string(id) + "?format=html"},
                {"summary", summary}};
  };
  return d;
}

Result<MadeReport> make_dsmb_report(const Runtime& rt, const config::Study& st, store::Store& store,
                                    const DataCutoff& at, const std::string& trigger,
                                    const store::Actor& actor) {
  // Twice at most: a second builder that overtook us between the read and the write is rare,
  // and the rebuild then follows its report.
  for (int attempt = 0;; ++attempt) {
    auto existing = store.dsmb_report_at(st.id, end_of_day(at.cutoff), at.as_of);
    if (!existing) return existing.error();
    if (existing.value()) return MadeReport{std::move(*existing.value()), false};
    auto draft = build_dsmb_report(rt, st, store, at, trigger);
    if (!draft) return draft.error();
    auto row = store.insert_dsmb_report(draft.value(), actor);
    if (!row && row.error().code == Errc::conflict && attempt == 0) continue;
    if (!row) return row.error();
    spdlog::info("DSMB report {} #{} built ({}, cut-off {}, as-of {}, sha256 {})", st.id, row->number,
                 trigger, format_date(at.cutoff), format_timestamp(at.as_of), row->sha256);
    if (auto head = store.audit_head())
      spdlog::info("audit head seq={} sha256={}", head->first, head->second);
    return MadeReport{std::move(row.value()), true};
  }
}

std::optional<Timestamp> dsmb_due(const config::Study& st,
                                  const std::optional<store::DsmbReportRow>& latest,
                                  Timestamp first_seen, Timestamp now) {
  if (!st.dsmb_schedule) return std::nullopt;
  // A due time equal to the study's first sighting counts: "after" is one millisecond before.
  const Timestamp after = latest ? latest->cutoff : first_seen.plus_ms(-1);
  return schedule::latest_in(*st.dsmb_schedule, after, now);
}

std::vector<store::DsmbReportRow> run_dsmb_schedule(const Context& cx) {
  const Runtime& rt = cx.rt;
  store::Store& store = cx.store;
  const Clock& clock = cx.clock;
  std::vector<store::DsmbReportRow> built;
  for (const auto& [id, st] : rt.config->studies) {
    if (!st.dsmb_schedule) continue;
    const Timestamp now = clock.now();
    auto latest = store.get_dsmb_report(id, 0);
    auto first = store.protocol_at(id, Timestamp{0});
    if (!latest || !first) {
      spdlog::warn("scheduler: DSMB report for {}: {}", id,
                   (!latest ? latest.error() : first.error()).message);
      continue;
    }
    const Timestamp first_seen = first.value() ? first.value()->first_seen : now;
    auto due = dsmb_due(st, latest.value(), first_seen, now);
    if (!due) continue;
    // The due date is the cut-off, the build time (at or after the due time) the as-of.
    auto made = make_dsmb_report(rt, st, store, DataCutoff{due->date(), now}, "scheduled",
                                 store::Actor{"pvmond", ""});
    if (!made) {
      spdlog::error("scheduler: DSMB report for {} due {} not built: {}", id, format_timestamp(*due),
                    made.error().message);
      continue;
    }
    if (made->created) built.push_back(std::move(made->row));
  }
  return built;
}

Result<std::string> csv_zip(const std::vector<std::pair<std::string, std::string>>& files, Timestamp when) {
  // libzip, in memory.
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (!src) return Error::of(Errc::internal, "zip: " + std::string(zip_error_strerror(&err)));
  zip_source_keep(src);
  std::unique_ptr<zip_source_t, decltype(&zip_source_free)> keep(src, zip_source_free);
  zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  if (!za) return Error::of(Errc::internal, "zip: " + std::string(zip_error_strerror(&err)));
  for (const auto& [name, text] : files) {
    zip_source_t* fs = zip_source_buffer(za, text.data(), text.size(), 0);
    const zip_int64_t idx = fs ? zip_file_add(za, name.c_str(), fs, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (fs) zip_source_free(fs);
      zip_discard(za);
      return Error::of(Errc::internal, "zip: cannot add " + name);
    }
    zip_file_set_mtime(za, static_cast<zip_uint64_t>(idx), static_cast<time_t>(when.ms / 1000), 0);
  }
  if (zip_close(za) != 0) {
    const std::string why = zip_strerror(za);
    zip_discard(za);
    return Error::of(Errc::internal, "zip: " + why);
  }
  std::string out;
  if (zip_source_open(src) != 0) return Error::of(Errc::internal, "zip: cannot read the archive");
  zip_source_seek(src, 0, SEEK_END);
  out.resize(static_cast<std::size_t>(zip_source_tell(src)));
  zip_source_seek(src, 0, SEEK_SET);
  zip_source_read(src, out.data(), out.size());
  zip_source_close(src);
  return out;
}

std::vector<interop::SdtmSubject> sdtm_subjects(const store::Snapshot& snap) {
  // RFSTDTC: the start of study treatment (safety::treatment_start, the endpoints' time zero);
  // enrolment until then.
  std::vector<interop::SdtmSubject> out;
  for (const auto& sub : snap.subjects) {
    std::optional<Date> first;
    if (auto it = snap.events.find(sub.subject); it != snap.events.end()) first = safety::treatment_start(it->second);
    out.push_back({sub.subject, first.value_or(sub.enrolled), first});
  }
  return out;
}

namespace {

/// The subjects, their events and AE facts of `study` for the SDTM domains, clipped to the pair.
Result<store::Snapshot> sdtm_snapshot(store::Store& store, const std::string& study, const DataCutoff& at) {
  store::SnapshotStore::SnapshotOptions opts;
  opts.facts = true;
  opts.alerts = false;
  auto snap = store.snapshot(study, at.as_of, opts);
  if (snap) clip_to_cutoff(snap.value(), at.cutoff);
  return snap;
}

}  // namespace

Result<interop::SdtmDataset> sdtm_ae_dataset(store::Store& store, const std::string& study, const DataCutoff& at) {
  // The subjects and their events (RFSTDTC); the AE rows from the fact columns.
  auto snap = sdtm_snapshot(store, study, at);
  if (!snap) return snap.error();
  auto rows = store.sdtm_rows(study, at.as_of);
  if (!rows) return rows.error();
  std::erase_if(rows.value(), [&](const interop::SdtmAe& r) {
    const auto onset = parse_date(r.onset);
    return onset && *onset > at.cutoff;  // as clip_to_cutoff does for the facts
  });
  return interop::sdtm_ae(study, sdtm_subjects(snap.value()), rows.value());
}

Result<interop::SdtmDataset> sdtm_dm_dataset(store::Store& store, const std::string& study, const DataCutoff& at) {
  auto snap = sdtm_snapshot(store, study, at);
  if (!snap) return snap.error();
  const auto courses = courses_of(snap.value(), at.cutoff);
  const auto refs = sdtm_subjects(snap.value());
  std::vector<interop::SdtmDm> dm;
  for (std::size_t i = 0; i < snap->subjects.size(); ++i) {
    const auto& sub = snap->subjects[i];
    const auto& c = courses[i];
    interop::SdtmDm d;
    d.subject = sub.subject;
    d.site = sub.site;
    d.sex = sub.record.value("sex", "");
    if (sub.record.contains("age") && sub.record["age"].is_number_integer()) d.age = sub.record["age"].get<int>();
    d.enrolled = sub.enrolled;
    d.reference_start = refs[i].reference_start;
    d.death = c.death;
    d.participation_end = c.death.value_or(c.last_contact);
    dm.push_back(std::move(d));
  }
  return interop::sdtm_dm(study, dm);
}

Result<std::string> sdtm_export(store::Store& store, const std::string& study, SdtmDomain domain,
                                SdtmFormat format, const DataCutoff& at) {
  auto data = domain == SdtmDomain::dm ? sdtm_dm_dataset(store, study, at) : sdtm_ae_dataset(store, study, at);
  if (!data) return data.error();
  if (format == SdtmFormat::csv) return interop::sdtm_csv(data.value());
  return interop::sdtm_xpt(data.value(), at.as_of);
}

}  // namespace pvmon::service
