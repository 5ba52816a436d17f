// pvmon::sim — a synthetic trial of neoadjuvant IMRT with camrelizumab and apatinib before
// hepatectomy, as the HTTP requests its sites would send. Pure and deterministic: the same
// options give the same plan on every platform (std::mt19937_64 is fully specified; no
// std:: distributions, whose algorithms are not). `pvmon simulate` plays a plan against a
// running pvmond.
//
// Laboratory panels (ALT, AST, ALP, total bilirubin, platelets, neutrophils, haemoglobin,
// creatinine) follow the protocol's visit schedule: screening at enrolment (also the enrolment's
// `baseline`), every 3 weeks on neoadjuvant treatment, days 1, 3, 7 and 30 after the
// hepatectomy, and at each follow-up visit. They come from a generator of their own, so that
// every other step of a seed is what it was before panels were planned (the enrolment body only
// gains its `baseline`).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "pvmon/time.hpp"

namespace pvmon::sim {

struct Options {
  int subjects = 40;
  std::uint64_t seed = 7;
  Date today;                      // nothing happens after it (the daemon refuses the future)
  std::vector<std::string> sites;  // subjects are spread over them in turn
  int enrolment_days = 365;        // enrolment runs this long ...
  int follow_up_days = 150;        // ... and the trial this much longer, ending today
};

enum class StepKind { enrol, event, ae, followup, lab };

/// One request a site sends, on a trial day.
struct Step {
  Date day;
  int order = 0;  // within a day: enrolment, events, lab panels, AE reports, follow-ups, deaths last
  std::string site;
  std::string subject;
  StepKind kind{};
  nlohmann::json body;         // AE reports lack site_aware_at: the player stamps it
  std::string report_id;       // an AE report's, the one a follow-up follows, or a lab panel's id
  int aware_delay_hours = 0;   // AE: the site knew this long before it posted
  bool late = false;           // AE: posted after the site-to-sponsor window (24 h)
};

/// The whole trial, in posting order.
std::vector<Step> plan(const Options& o);

struct Summary {
  int subjects = 0, events = 0, reports = 0, serious = 0, susars = 0, followups = 0, late = 0,
      surgeries = 0, deaths = 0, deaths_30d_post_surgery = 0;
  int contacts = 0;  // follow-up visits (last_known_alive events), counted among the events
  int panels = 0, lab_results = 0;  // lab panels posted, and the results they carry
};
Summary summarise(const std::vector<Step>& steps);

/// One AE shape of the regimen: a CTCAE v5.0 term (or a protocol term), how often it occurs in
/// a subject, its grade distribution, the intervention most suspected, and its window.
struct TermShape {
  const char* term;
  double incidence;          // probability a subject has it at least once
  double grade_p[5];         // P(grade 1..5), summing to 1
  const char* suspect;       // camrelizumab, apatinib, imrt, surgery; "" for none (the disease)
  bool post_operative;       // after surgery rather than during neoadjuvant treatment
};
const std::vector<TermShape>& term_shapes();

// ---- Scale mode: large synthetic studies for benchmarks ------------------------------------

struct ScaleOptions {
  int subjects = 1000;
  std::int64_t reports = 1'000'000;
  std::uint64_t seed = 7;
  Date today;
  std::vector<std::string> sites;
};
/// Subject i's enrolment (i in [0, subjects)).
Step scale_enrolment(const ScaleOptions& o, int i);
/// Report i (i in [0, reports)): computed from (seed, i) alone, so that any number of
/// connections can post them in any order.
Step scale_report(const ScaleOptions& o, std::int64_t i);

}  // namespace pvmon::sim
