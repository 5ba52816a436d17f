// The synthetic trial. Its shape follows the protocol of the first study (CLINICAL.md):
// neoadjuvant IMRT (18 Gy in 6 fractions, as in Wei et al., J Clin Oncol 2019;37:2141-51, for
// HCC with PVTT) with camrelizumab 200 mg q3w and apatinib 250 mg daily, apatinib held a week
// before hepatectomy with thrombectomy, then follow-up. AE incidences and grades are round
// numbers of the order reported for camrelizumab + apatinib in HCC (RESCUE: Xu et al., Clin
// Cancer Res 2021;27:1003-11; CARES-310: Qin et al., Lancet 2023;402:1133-46), scaled down for
// a six-week neoadjuvant course. They shape a demonstration; they are not data.
#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <utility>

#include "pvmon/sim.hpp"

namespace pvmon::sim {

using nlohmann::json;

namespace {

/// Uniform draws from std::mt19937_64, whose output the standard fixes bit for bit.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : e_(seed) {}
  double uniform() { return static_cast<double>(e_() >> 11) * 0x1.0p-53; }
  int between(int lo, int hi) { return lo + static_cast<int>(uniform() * (hi - lo + 1)); }
  bool chance(double p) { return uniform() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))]; }

 private:
  std::mt19937_64 e_;
};

/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): independent seeds per subject or report.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

const std::vector<std::string> kInterventions = {"camrelizumab", "apatinib", "imrt", "surgery"};

json no_criteria() {
  return {{"death", false},      {"life_threatening", false},   {"hospitalization", false},
          {"disability", false}, {"congenital_anomaly", false}, {"medically_important", false}};
}

int draw_grade(Rng& r, const TermShape& t) {
  double u = r.uniform(), acc = 0;
  for (int g = 0; g < 5; ++g) {
    acc += t.grade_p[g];
    if (u < acc) return g + 1;
  }
  return 1;
}

/// Causality per intervention: the suspect probable or possible, the rest unlikely or
/// unrelated; surgery is unrelated to what happens before it. No suspect (the disease itself):
/// unrelated to every intervention.
json causality_for(Rng& r, const std::string& suspect, bool post_op) {
  json c = json::object();
  for (const auto& iv : kInterventions) {
    if (suspect.empty())
      c[iv] = "unrelated";
    else if (iv == suspect)
      c[iv] = r.chance(0.6) ? "probable" : "possible";
    else if (iv == "surgery" && !post_op)
      c[iv] = "unrelated";
    else if ((iv == "camrelizumab" || iv == "apatinib") && (suspect == "camrelizumab" || suspect == "apatinib"))
      c[iv] = r.chance(0.3) ? "possible" : "unlikely";
    else
      c[iv] = r.chance(0.5) ? "unlikely" : "unrelated";
  }
  return c;
}

/// What the lab plan reads of an AE report: nothing of it is drawn for the labs.
struct AeNote {
  std::string term;
  Date onset;
  int grade = 0;                 // the worst it reaches (a follow-up may upgrade it)
  std::optional<Date> resolved;  // from its resolution follow-up; a fatal one's death
};

/// Follow-up visits, as days from surgery (from enrolment if never operated): see follow_up().
std::vector<int> visit_days(bool operated) {
  constexpr int kEvery = 91, kYears2 = 730;
  std::vector<int> days;
  if (operated) days = {35, 95};
  for (int d = operated ? 2 * kEvery : kEvery; d <= kYears2; d += kEvery) days.push_back(d);
  return days;
}

struct SubjectPlan {
  std::vector<Step> steps;
  Date today;
  std::string site, subject;
  int ae_seq = 0;
  std::vector<AeNote> ae_notes;  // every AE report planned, posted by today or not

  void add(Date day, int order, StepKind kind, json body, std::string report = "", int delay = 0) {
    if (day > today) return;  // has not happened yet
    Step s;
    s.day = day;
    s.order = order;
    s.site = site;
    s.subject = subject;
    s.kind = kind;
    s.body = std::move(body);
    s.report_id = std::move(report);
    s.aware_delay_hours = delay;
    s.late = delay > 24;
    steps.push_back(std::move(s));
  }
  void event(Date day, const std::string& kind, json fields = json::object()) {
    fields["kind"] = kind;
    fields["date"] = format_date(day);
    add(day, kind == "death" ? 90 : 10, StepKind::event, std::move(fields));
  }
  /// Follow-up visits, each a last_known_alive contact: the protocol follows a subject for two
  /// years, every three months, from surgery (from enrolment if never operated). Days 35 and 95
  /// after surgery are visits of their own (the 30- and 90-day mortality windows close on
  /// them), so an operated subject's 3-month visit is day 95 and the cadence resumes at day
  /// 182. None on or after `death`; none after today (add() drops those).
  void follow_up(Date from, bool operated, Date death) {
    for (int d : visit_days(operated))
      if (from.plus_days(d) < death) event(from.plus_days(d), "last_known_alive");
  }
  /// An AE report posted `post_after` days after onset, with follow-ups as the event evolves.
  /// A fatal one is posted `post_after` days after onset too: on the day of the death.
  std::string ae(Rng& r, const TermShape& t, Date onset, int grade, int post_after, bool fatal = false) {
    char id[64];
    std::snprintf(id, sizeof id, "%s-AE-%03d", subject.c_str(), ++ae_seq);
    json serious = no_criteria();
    if (fatal) {
      serious["death"] = true;
    } else if (grade >= 3 && r.chance(0.35)) {
      serious["hospitalization"] = true;
      if (grade == 4 && r.chance(0.5)) serious["life_threatening"] = true;
    }
    json body{{"report_id", id},
              {"subject", subject},
              {"term", t.term},
              {"grade", grade},
              {"onset", format_date(onset)},
              {"resolved", nullptr},
              {"serious", serious},
              {"causality", causality_for(r, t.suspect, t.post_operative)},
              {"outcome", fatal ? "fatal" : (r.chance(0.5) ? "recovering" : "not_recovered")},
              {"narrative", "synthetic report (pvmon simulate)"}};
    const Date posted = onset.plus_days(post_after);
    // A fatal AE ends on the day of the death (E2B(R3) E.i.5), which it dates: the death event
    // of that day must agree (issue 17 §1: one death, one day).
    if (fatal) body["resolved"] = format_date(posted);
    const std::string suspect = t.suspect;
    if (suspect == "camrelizumab" || suspect == "apatinib")
      body["action_taken"] = {{suspect, grade >= 3 ? "drug_interrupted" : "dose_not_changed"}};
    // Most reports reach the sponsor within hours; a few are late. Only a serious one is
    // late by the rules: ICH E6 4.11.1, the protocol's 24 h site-to-sponsor window.
    bool any = false;
    for (const auto& [k, v] : serious.items()) any = any || v.get<bool>();
    const int delay = r.chance(any ? 0.15 : 0.06) ? r.between(30, 96) : r.between(1, 18);
    add(posted, 50, StepKind::ae, body, id, delay);
    if (!steps.empty() && steps.back().report_id == id) steps.back().late = any && delay > 24;
    ae_notes.push_back({t.term, onset, grade, fatal ? std::optional<Date>(posted) : std::nullopt});
    if (fatal) return id;

    // Follow-ups: resolution for most; an upgrade to grade 3 with hospitalisation for a few
    // grade-2 reports.
    int fu = 0;
    auto followup = [&](Date day, json changes) {
      char fid[80];
      std::snprintf(fid, sizeof fid, "%s-FU%d", id, ++fu);
      add(day, 60, StepKind::followup, json{{"followup_id", fid}, {"changes", std::move(changes)}}, id);
    };
    Date last = posted;
    if (grade == 2 && !serious["hospitalization"].get<bool>() && r.chance(0.08)) {
      json up = serious;
      up["hospitalization"] = true;
      last = posted.plus_days(r.between(1, 5));
      followup(last, {{"grade", 3}, {"serious", up}});
      ae_notes.back().grade = 3;
    }
    if (r.chance(0.6)) {
      const Date resolved = std::max(last, onset.plus_days(r.between(3, 28)));
      ae_notes.back().resolved = resolved;
      followup(resolved.plus_days(r.between(0, 4)), {{"resolved", format_date(resolved)}, {"outcome", "recovered"}});
    }
    return id;
  }
};

// The fatal post-operative event (CTCAE v5.0 Hepatic failure, grades 3-5): not drawn with the
// others, but for the few subjects who die within 30 days of surgery.
const TermShape kHepaticFailure{"Hepatic failure", 0, {0, 0, 0, 0, 1}, "surgery", true};
// Death from the tumour (CTCAE v5.0 Disease progression, grade 5 only): unrelated to every
// intervention.
const TermShape kDiseaseProgression{"Disease progression", 0, {0, 0, 0, 0, 1}, "", true};

// ---- Efficacy ------------------------------------------------------------------------------
// Response to the neoadjuvant course (mRECIST for the primary tumour, Cheng's type for the PVTT),
// the pathology of the resected specimen and relapses after the hepatectomy, shaped like the
// published series of the regimen's parts, loosely: neoadjuvant radiotherapy for HCC with PVTT
// (Wei et al., J Clin Oncol 2019;37:2141: about 20% partial responses, PVTT downstaging in a
// good share, and recurrence after hepatectomy common and early); neoadjuvant camrelizumab +
// apatinib (Xia et al., J Immunother Cancer 2022;10:e004656, and similar series: ORR by mRECIST
// of the order of 20-45%, major pathological response 20-35%, a few complete). Aimed at:
// primary CR ~3%, PR ~25%, SD the rest, PD the ~8% who progress before surgery; PVTT downstaged
// in ~40% (so ~40% respond overall by the protocol's rule), upstaged only in early progressors;
// MPR (<= 10% viable) in ~27% of specimens, ~5% pCR; relapse after the hepatectomy in ~1/3
// within 2 years, so that 1-year EFS (with the early progressions and deaths) is ~65%. A
// demonstration, not data.

/// Cheng's types in order of extent; an index into it stands for a type.
const std::vector<std::string> kCheng = {"none", "I0", "I", "II", "III", "IV"};
constexpr int kChengI = 2, kChengIV = 5;

/// What the subject's plan decided before its efficacy is drawn.
struct Course {
  Date tx, surgery;
  bool progresses_early = false;  // progression (event) on `progression`, no surgery
  Date progression;
  std::string margin;             // operated: the surgery's margin
  bool may_relapse = false;       // operated, alive past 30 days, no post-operative progression
};

json assessment(const std::string& primary, int before, int now, bool flow) {
  return {{"primary", primary},
          {"pvtt_before", kCheng[static_cast<std::size_t>(before)]},
          {"pvtt_now", kCheng[static_cast<std::size_t>(now)]},
          {"portal_flow_restored", flow}};
}

/// The subject's efficacy events, all drawn from `e` (never from the plan's own generator, so
/// that everything planned before them stays as it was).
void plan_efficacy(Rng& e, SubjectPlan& p, const Course& c) {
  // Cheng's type before treatment: mostly II-III, some I, IV rare (I0 is microscopic: not an
  // imaging finding).
  const double b = e.uniform();
  const int before = b < 0.15 ? kChengI : b < 0.60 ? kChengI + 1 : b < 0.97 ? kChengI + 2 : kChengIV;
  const double u = e.uniform();  // how well this tumour responds, shared by the findings below
  const double v = e.uniform();
  const bool interim = e.chance(0.75);  // an assessment around week 4 besides the last one
  const int interim_day = e.between(25, 30);

  if (c.progresses_early) {
    // Progression before surgery: the assessment that finds it (PD of the primary tumour, or a
    // thrombus that extends), on the day of the progression event.
    const bool primary_pd = e.chance(0.75) || before == kChengIV;
    const int now = (!primary_pd || e.chance(0.5)) ? std::min(before + 1, kChengIV) : before;
    const Date early = c.tx.plus_days(interim_day - 5);
    if (interim && early <= c.progression.plus_days(-7))
      p.event(early, "response_assessment", assessment("SD", before, before, false));
    p.event(c.progression, "response_assessment",
            assessment(primary_pd ? "PD" : "SD", before, now, false));
    return;
  }

  // The pre-operative assessment, a few days before the hepatectomy, gives the best response.
  const std::string primary = u >= 0.965 ? "CR" : u >= 0.72 ? "PR" : "SD";
  const bool downstaged = 0.75 * u + 0.25 * v >= 0.56;
  int now = before;
  if (downstaged) {
    now = before - (e.chance(0.3) ? 2 : 1);
    if (now <= 1 || primary == "CR") now = 0;  // gone on imaging (I0 is not seen)
  }
  const bool flow = downstaged ? e.chance(0.55) : e.chance(0.03);
  const Date preop = c.surgery.plus_days(-e.between(1, 6));
  const Date week4 = c.tx.plus_days(interim_day);
  if (interim && week4 <= preop.plus_days(-7)) {
    // Around week 4 the response is on its way: no better than the last one, never PD.
    const std::string first = primary == "CR" ? "PR" : primary == "PR" && e.chance(0.5) ? "PR" : "SD";
    const bool early_down = downstaged && e.chance(0.5);
    p.event(week4, "response_assessment",
            assessment(first, before, early_down ? now : before, flow && e.chance(0.5)));
  }
  p.event(preop, "response_assessment", assessment(primary, before, now, flow));

  // Pathology of the resected specimen, dated by it (the surgery's day) and reported about a
  // week later: a specimen of the last days is pending. Its margin is the surgery's.
  // P(major response: <= 10% viable), P(complete: none viable) by the response before surgery;
  // a complete response only when the tumour was all resected (R0).
  const auto [p_mpr, p_any_pcr] = primary == "CR" ? std::pair{0.85, 0.50}
                                  : primary == "PR" ? std::pair{0.55, 0.12}
                                  : downstaged      ? std::pair{0.30, 0.04}
                                                    : std::pair{0.10, 0.01};
  const double p_pcr = c.margin == "R0" ? p_any_pcr : 0.0;
  const double w = e.uniform();
  const int viable = w < p_pcr           ? 0
                     : w < p_mpr         ? e.between(1, 10)
                     : primary == "SD"   ? e.between(15, 95)
                                         : e.between(11, 60);
  if (c.surgery.plus_days(e.between(5, 10)) <= p.today)
    p.event(c.surgery, "pathology", {{"viable_tumour_percent", viable}, {"margin", c.margin}});

  // Relapse after the hepatectomy (mRECIST), found on the surveillance imaging of a follow-up
  // visit (days 95, 182, 273, ... after surgery), early ones the more frequent; never on the
  // last planned visit (day 728) nor after it: the follow-up that would see it is over.
  const bool relapses = e.chance(0.32);
  const int t = 60 + std::min(e.between(0, 577), e.between(0, 577));
  if (!c.may_relapse || !relapses) return;
  for (int d = 95; d < 728; d = d == 95 ? 182 : d + 91)
    if (d >= t) {
      p.event(c.surgery.plus_days(d), "relapse", {{"criteria", "mRECIST"}});
      return;
    }
}

// ---- Laboratory panels ---------------------------------------------------------------------
// Liver tests, blood counts and creatinine on the protocol's schedule: screening at enrolment
// (the subject's baseline), every 3 weeks on neoadjuvant treatment (days 22 and 43, the days of
// camrelizumab's 2nd and 3rd cycles, before the hepatectomy or the progression that rules it
// out), days 1, 3, 7 and 30 after the hepatectomy, and at each follow-up visit; none on or
// after the day of death. Shaped, loosely, like the liver tests of HCC on camrelizumab +
// apatinib (RESCUE, CARES-310: AST or ALT increased in about half, grade >= 3 in 5-8%) and after
// major hepatectomy (transaminases peaking at 3-10 x ULN on day 1 and falling within a week,
// bilirubin peaking around day 3; post-hepatectomy liver failure by the 50-50 criteria).
// Chronic liver disease: ~40% start with ALT/AST above ULN. Values follow the AE reports the
// plan posted (a panel during a reported rise shows its grade), so that a grade >= 3 value
// without a report is the exception the lab_without_ae rule is for. A demonstration, not data.

enum Analyte { kAlt, kAst, kAlp, kBili, kPlt, kAnc, kHb, kCreat, kAnalytes };

struct LabTest {
  const char* test;  // as posted: a name ctcae::grade_lab resolves (synonym or lab test name)
  const char* key;   // the enrolment baseline's analyte key
  const char* unit;  // one ctcae/lab.cpp accepts for it
  double ref;        // ULN, or LLN for the counts and haemoglobin (men's; 120 g/L for women)
  bool high;         // graded above ULN; else below LLN
  int decimals;
};
constexpr LabTest kLabs[kAnalytes] = {
    {"ALT", "alt", "U/L", 40, true, 0},
    {"AST", "ast", "U/L", 40, true, 0},
    {"ALP", "alp", "U/L", 120, true, 0},
    {"total bilirubin", "bilirubin", "umol/L", 21, true, 0},
    {"platelets", "platelets", "10^9/L", 100, false, 0},
    {"neutrophils", "neutrophils", "10^9/L", 2.0, false, 2},
    {"haemoglobin", "haemoglobin", "g/L", 130, false, 0},
    {"creatinine", "creatinine", "umol/L", 110, true, 0},
};

/// The AE term whose reports move an analyte (the plan's lab-graded terms).
Analyte analyte_of_term(const std::string& term) {
  if (term == "Alanine aminotransferase increased") return kAlt;
  if (term == "Aspartate aminotransferase increased") return kAst;
  if (term == "Blood bilirubin increased") return kBili;
  if (term == "Platelet count decreased") return kPlt;
  return kAnalytes;
}

bool liver_term(const std::string& term) {
  const Analyte a = analyte_of_term(term);
  return a == kAlt || a == kAst || a == kBili || term == "Hepatic failure";
}

double rounded(double v, int decimals) {
  double f = 1.0;
  for (int i = 0; i < decimals; ++i) f *= 10.0;
  return std::round(v * f) / f;
}

/// A whole number as a JSON integer (38, not 38.0).
json number(double v) { return v == std::floor(v) ? json(static_cast<std::int64_t>(v)) : json(v); }

/// A value of CTCAE v5.0 grade g (1-4) as ctcae/lab.cpp grades it: liver tests in multiples of
/// the ULN, or of the baseline when the baseline is above it; platelets in 10^9/L. `u` places it
/// inside the grade's range, clear of its bounds so that rounding keeps it there.
double value_of_grade(Analyte a, int g, double base, double uln, double u) {
  g = std::clamp(g, 1, 4);
  const auto in = [u](double lo, double hi) { return lo + u * (hi - lo); };
  const std::size_t i = static_cast<std::size_t>(g);
  switch (a) {
    case kAlt:
    case kAst: {
      static constexpr double lo[] = {0, 1.25, 3.3, 5.6, 21}, hi[] = {0, 2.8, 4.8, 9.5, 28};
      if (base > uln) return base * (g == 1 ? in(1.65, 2.8) : in(lo[i], hi[i]));
      return uln * in(lo[i], hi[i]);
    }
    case kBili: {
      static constexpr double lo[] = {0, 1.12, 1.65, 3.3, 11}, hi[] = {0, 1.42, 2.8, 5.5, 14};
      return std::max(base, uln) * in(lo[i], hi[i]);
    }
    case kPlt: {
      static constexpr double lo[] = {0, 77, 53, 28, 12}, hi[] = {0, 97, 73, 47, 23};
      return in(lo[i], hi[i]);
    }
    default: return base;
  }
}

/// What the lab plan needs of the subject's course (all of it decided before the labs).
struct LabCourse {
  Date enrolled, tx;
  std::optional<Date> surgery;      // operated on that day
  std::optional<Date> progression;  // before surgery (early) or after it
  Date death{INT32_MAX};
  bool liver_failure = false;  // dies of post-hepatectomy liver failure
  bool female = false;
  bool hys_law = false;        // the demo's potential DILI case (see plan())
};

/// Draws of `e`, a fixed number at a time, so that each value keeps its draw whatever the
/// branches taken before it.
template <std::size_t N>
std::array<double, N> draws(Rng& e) {
  std::array<double, N> u{};
  for (auto& x : u) x = e.uniform();
  return u;
}

/// The subject's panels, from `e` alone. Returns the enrolment's `baseline` object (the
/// screening panel's values).
json plan_labs(Rng& e, SubjectPlan& p, const LabCourse& c) {
  const auto s = draws<24>(e);  // the subject's: baseline and how its tests move
  const auto in = [](double u, double lo, double hi) { return lo + u * (hi - lo); };
  std::array<double, kAnalytes> ref{};
  for (int a = 0; a < kAnalytes; ++a) ref[a] = kLabs[a].ref;
  if (c.female) ref[kHb] = 120;

  // Baseline (screening). Chronic liver disease: ALT/AST 1-2.5 x ULN in ~40%; bilirubin mostly
  // normal; ALP often mildly raised; platelets low in some (portal hypertension).
  std::array<double, kAnalytes> b{};
  const bool abnormal_liver = s[0] < 0.40;
  const double alt_x = abnormal_liver ? in(s[1], 1.08, 2.5) : in(s[1], 0.35, 0.92);
  b[kAlt] = ref[kAlt] * alt_x;
  b[kAst] = ref[kAst] * (abnormal_liver ? std::min(2.5, std::max(1.08, alt_x * in(s[2], 0.9, 1.35)))
                                        : in(s[2], 0.45, 0.95));
  b[kBili] = ref[kBili] * (s[3] < 0.85 ? in(s[4], 0.35, 0.92) : in(s[4], 1.08, 1.45));
  b[kAlp] = ref[kAlp] * (s[5] < 0.65 ? in(s[6], 0.5, 0.95) : in(s[6], 1.05, 1.8));
  b[kPlt] = s[7] < 0.12 ? in(s[8], 72, 96) : in(s[8], 105, 280);
  b[kAnc] = s[9] < 0.05 ? in(s[10], 1.6, 1.95) : in(s[10], 2.1, 6.2);
  b[kHb] = c.female ? in(s[11], 112, 148) : in(s[11], 122, 162);
  b[kCreat] = c.female ? in(s[12], 48, 92) : in(s[12], 60, 106);
  for (int a = 0; a < kAnalytes; ++a) b[a] = rounded(b[a], kLabs[a].decimals);

  json baseline = json::object();
  for (int a = 0; a < kAnalytes; ++a) {
    const LabTest& t = kLabs[a];
    baseline[t.key] = {{"value", number(b[a])}, {"unit", t.unit}, {t.high ? "uln" : "lln", number(ref[a])}};
  }

  // On treatment: transaminases wander (mild rises in some, an unreported grade 3 in a few),
  // platelets and neutrophils dip (apatinib).
  bool alt_reported = false, ast_reported = false;
  for (const auto& n : p.ae_notes) {
    alt_reported = alt_reported || analyte_of_term(n.term) == kAlt;
    ast_reported = ast_reported || analyte_of_term(n.term) == kAst;
  }
  const bool severe = s[13] < 0.06 && !alt_reported && !ast_reported && !c.hys_law;
  const bool mild = !severe && s[13] < 0.16;
  // After the hepatectomy: the transaminases' day-1 peak (x ULN), a few of grade 3.
  const double op_alt = s[14] < 0.05 ? in(s[15], 5.6, 9.5) : in(s[15], 3.2, 4.8);
  const double op_ast = s[14] < 0.05 ? op_alt * in(s[16], 0.95, 1.3) : std::min(4.8, op_alt * in(s[16], 0.95, 1.3));
  const double plt_dip = in(s[17], 0.62, 0.95), anc_dip = in(s[18], 0.6, 0.95);

  // The schedule, whole (today only decides which are posted), numbered in its order.
  std::vector<Date> days{c.enrolled};
  std::vector<Date> on_treatment;
  const Date stop = c.surgery ? c.surgery->plus_days(-1) : c.progression.value_or(c.tx.plus_days(42));
  for (int d = 21; c.tx.plus_days(d) < stop; d += 21) on_treatment.push_back(c.tx.plus_days(d));
  days.insert(days.end(), on_treatment.begin(), on_treatment.end());
  if (c.surgery)
    for (int d : {1, 3, 7, 30}) days.push_back(c.surgery->plus_days(d));
  for (int d : visit_days(c.surgery.has_value())) days.push_back((c.surgery ? *c.surgery : c.enrolled).plus_days(d));
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  days.erase(std::remove_if(days.begin(), days.end(), [&](Date d) { return d >= c.death; }), days.end());

  int seq = 0;
  for (const Date day : days) {
    const auto u = draws<32>(e);  // this panel's
    const int minute = 390 + static_cast<int>(u[0] * 270);  // collected 06:30-10:59
    std::array<double, kAnalytes> v = b;
    const auto jitter = [&](std::size_t k, double lo, double hi) { return in(u[k], lo, hi); };
    const int since_op = c.surgery ? day.days - c.surgery->days : -1;
    const auto treat = std::find(on_treatment.begin(), on_treatment.end(), day);
    const bool hys_panel = c.hys_law && treat == on_treatment.begin() && treat != on_treatment.end();
    bool keep_bilirubin = false;  // a reported bilirubin rise outranks the transaminases here

    if (day == c.enrolled) {
      // The screening panel is the baseline.
    } else if (treat != on_treatment.end()) {
      const bool first = treat == on_treatment.begin();
      v[kAlt] = b[kAlt] * jitter(1, 0.8, 1.2);
      if (severe && first) {
        v[kAlt] = value_of_grade(kAlt, 3, b[kAlt], ref[kAlt], u[2]);
      } else if ((severe || mild) && u[3] < 0.8) {
        v[kAlt] = std::max(v[kAlt], value_of_grade(kAlt, u[4] < 0.7 ? 1 : 2, b[kAlt], ref[kAlt], u[2]));
      }
      // AST rises with ALT, somewhat less.
      v[kAst] = b[kAst] * jitter(5, 0.85, 1.2) + std::max(0.0, v[kAlt] - b[kAlt]) * jitter(26, 0.45, 0.85);
      v[kBili] = b[kBili] * jitter(6, 0.85, mild || severe ? 1.35 : 1.2);
      v[kAlp] = b[kAlp] * jitter(7, 0.9, 1.25);
      v[kPlt] = std::max(52.0, b[kPlt] * plt_dip * jitter(8, 0.92, 1.08));
      v[kAnc] = std::max(1.05, b[kAnc] * anc_dip * jitter(9, 0.92, 1.08));
      v[kHb] = std::max(85.0, b[kHb] * jitter(10, 0.9, 1.0));
      v[kCreat] = b[kCreat] * jitter(11, 0.92, 1.12);
      if (hys_panel) {
        // The demo's potential DILI case (FDA guidance 2009, Hy's law): hepatocellular injury
        // (ALT >= 3 x ULN, and >= 3 x an abnormal baseline) with total bilirubin >= 2 x ULN and
        // ALP below 2 x ULN, in the same panel, three weeks into camrelizumab and apatinib.
        v[kAlt] = std::max(b[kAlt], ref[kAlt]) * jitter(12, 5.6, 8.0);
        v[kAst] = std::max(b[kAst], ref[kAst]) * jitter(13, 4.0, 6.5);
        v[kBili] = std::max(b[kBili], ref[kBili]) * jitter(14, 2.3, 2.9);
        v[kAlp] = std::min(1.85 * ref[kAlp], std::max(b[kAlp], ref[kAlp]) * jitter(15, 1.02, 1.2));
      } else if (c.hys_law) {
        // Recovering after the case.
        v[kAlt] = std::max(b[kAlt], ref[kAlt]) * jitter(12, 1.6, 2.6);
        v[kAst] = std::max(b[kAst], ref[kAst]) * jitter(13, 1.3, 2.2);
        v[kBili] = std::max(b[kBili], ref[kBili]) * jitter(14, 1.2, 1.7);
      }
    } else if (since_op >= 1 && since_op <= 30) {
      // After the hepatectomy: the transaminases peak on day 1, bilirubin around day 3; liver
      // failure (the 50-50 criteria) in those who die of it.
      const double k1 = since_op == 1 ? 1.0 : since_op == 3 ? jitter(1, 0.45, 0.75) : jitter(1, 0.15, 0.35);
      const double k2 = since_op == 1 ? 1.0 : since_op == 3 ? jitter(2, 0.35, 0.6) : jitter(2, 0.1, 0.25);
      if (since_op <= 7) {
        v[kAlt] = std::max(b[kAlt] * jitter(3, 0.9, 1.2), op_alt * ref[kAlt] * k1);
        v[kAst] = std::max(b[kAst] * jitter(4, 0.9, 1.2), op_ast * ref[kAst] * k2);
      } else {
        v[kAlt] = b[kAlt] * jitter(3, 0.8, 1.2);
        v[kAst] = b[kAst] * jitter(4, 0.8, 1.2);
      }
      // Bilirubin peaks around day 3, at 2 x ULN or more in about one in six; in liver failure
      // above 50 umol/L by day 5 (the 50-50 criteria), grade 2.
      const double bili_x = since_op == 1 ? (c.liver_failure ? jitter(5, 1.5, 1.9) : jitter(5, 1.05, 1.6))
                            : since_op == 3 ? (c.liver_failure ? jitter(5, 2.1, 2.8) : in(u[5] * u[5], 1.2, 2.4))
                            : since_op == 7 ? (c.liver_failure ? jitter(5, 2.45, 2.9) : jitter(5, 0.9, 1.5))
                                            : 0.0;
      v[kBili] = since_op == 30 ? b[kBili] * jitter(6, 0.85, 1.15) : std::max(b[kBili], ref[kBili] * bili_x);
      const double alp_k[] = {jitter(7, 0.75, 0.95), jitter(7, 0.85, 1.1), jitter(7, 1.1, 1.6), jitter(7, 1.0, 1.3)};
      const double plt_k[] = {jitter(8, 0.6, 0.8), jitter(8, 0.55, 0.75), jitter(8, 0.85, 1.15), jitter(8, 1.0, 1.35)};
      const double anc_k[] = {jitter(9, 1.6, 2.6), jitter(9, 1.5, 2.4), jitter(9, 1.0, 1.5), jitter(9, 0.85, 1.15)};
      const double hb_k[] = {jitter(10, 0.8, 0.92), jitter(10, 0.78, 0.9), jitter(10, 0.85, 0.95), jitter(10, 0.92, 1.02)};
      const std::size_t at = since_op == 1 ? 0 : since_op == 3 ? 1 : since_op == 7 ? 2 : 3;
      v[kAlp] = b[kAlp] * alp_k[at];
      v[kPlt] = std::max(52.0, b[kPlt] * plt_k[at]);
      v[kAnc] = b[kAnc] * anc_k[at];
      v[kHb] = std::max(82.0, b[kHb] * hb_k[at]);
      v[kCreat] = b[kCreat] * (c.liver_failure && at >= 1 && at <= 2 ? jitter(11, 1.4, 1.9)
                               : at <= 1                          ? jitter(11, 1.0, 1.25)
                                                                  : jitter(11, 0.9, 1.1));
    } else {
      // A follow-up visit: about the baseline, apatinib's counts after surgery, and the
      // cholestatic drift of a progressing tumour.
      v[kAlt] = b[kAlt] * jitter(1, 0.8, 1.25);
      v[kAst] = b[kAst] * jitter(2, 0.8, 1.25);
      v[kAlp] = b[kAlp] * jitter(3, 0.9, 1.2);
      v[kBili] = b[kBili] * jitter(4, 0.85, 1.2);
      v[kPlt] = b[kPlt] * (c.surgery ? jitter(5, 0.78, 1.12) : jitter(5, 0.85, 1.15));
      v[kAnc] = b[kAnc] * (c.surgery ? jitter(6, 0.75, 1.1) : jitter(6, 0.85, 1.15));
      v[kHb] = b[kHb] * jitter(7, 0.93, 1.04);
      v[kCreat] = b[kCreat] * jitter(8, 0.9, 1.1);
      if (c.progression && day > *c.progression) {
        v[kBili] *= jitter(9, 1.2, 1.8);
        v[kAlp] *= jitter(10, 1.3, 2.0);
        v[kAlt] *= jitter(11, 1.1, 1.5);
        v[kAst] *= jitter(12, 1.1, 1.5);
      }
    }

    // The AE reports of this time: a panel within a week of a report's onset shows its grade;
    // later, while it lasts (unresolved, up to six weeks), a grade lower (at most 2), so that a
    // grade >= 3 value lies near the onset of the report that answers it. ALT and AST move
    // together: the other one a grade or two lower, at most grade 2.
    if (day != c.enrolled && !hys_panel) {
      for (const auto& n : p.ae_notes) {
        const Analyte a = analyte_of_term(n.term);
        const int since = day.days - n.onset.days;
        if (a == kAnalytes || since < 0 || since > 42 || (n.resolved && *n.resolved < day)) continue;
        const int g = since <= 7 ? n.grade : std::max(1, std::min(n.grade - 1, 2));
        const double x = value_of_grade(a, g, b[a], ref[a], u[16 + static_cast<std::size_t>(a)]);
        if (a == kPlt) {
          v[a] = std::min(v[a], x);
          continue;
        }
        v[a] = std::max(v[a], x);
        if (a == kBili && g >= 3) keep_bilirubin = true;
        if (a == kAlt || a == kAst) {
          const Analyte other = a == kAlt ? kAst : kAlt;
          const int og = std::max(1, std::min(g, 2) - (u[24] < 0.5 ? 1 : 0));
          v[other] = std::max(v[other], value_of_grade(other, og, b[other], ref[other], u[25]));
        }
      }
    }

    for (int a = 0; a < kAnalytes; ++a) v[a] = rounded(std::max(v[a], kLabs[a].decimals ? 0.05 : 1.0), kLabs[a].decimals);
    // One potential Hy's law case in the trial, the one above: anywhere else, transaminases at
    // 3 x ULN or more never meet bilirubin at 2 x ULN or more in a panel (whatever the
    // baselines, and whatever ALP is).
    if (!hys_panel && (v[kAlt] >= 3 * ref[kAlt] || v[kAst] >= 3 * ref[kAst]) && v[kBili] >= 2 * ref[kBili]) {
      if (keep_bilirubin) {
        v[kAlt] = std::min(v[kAlt], std::floor(2.9 * ref[kAlt]));
        v[kAst] = std::min(v[kAst], std::floor(2.9 * ref[kAst]));
      } else {
        v[kBili] = std::floor(1.9 * ref[kBili]);
      }
    }

    char id[64], at[32];
    std::snprintf(id, sizeof id, "%s-LAB-%03d", p.subject.c_str(), ++seq);
    std::snprintf(at, sizeof at, "T%02d:%02d:00Z", minute / 60, minute % 60);
    json results = json::array();
    for (int a = 0; a < kAnalytes; ++a) {
      const LabTest& t = kLabs[a];
      results.push_back({{"test", t.test}, {"value", number(v[a])}, {"unit", t.unit}, {t.high ? "uln" : "lln", number(ref[a])}});
    }
    p.add(day, 30, StepKind::lab, {{"panel_id", id}, {"collected_at", format_date(day) + at}, {"results", results}}, id);
  }
  return baseline;
}

}  // namespace

const std::vector<TermShape>& term_shapes() {
  //                 term                                    incidence   P(grade 1..5)                 suspect    post-op
  static const std::vector<TermShape> k = {
      {"Hypertension", 0.45, {0.30, 0.45, 0.25, 0, 0}, "apatinib", false},
      {"Palmar-plantar erythrodysesthesia syndrome", 0.30, {0.50, 0.40, 0.10, 0, 0}, "apatinib", false},
      {"Reactive cutaneous capillary endothelial proliferation", 0.20, {0.80, 0.20, 0, 0, 0}, "camrelizumab", false},
      {"Aspartate aminotransferase increased", 0.35, {0.60, 0.25, 0.12, 0.03, 0}, "camrelizumab", false},
      {"Alanine aminotransferase increased", 0.30, {0.65, 0.22, 0.10, 0.03, 0}, "camrelizumab", false},
      {"Platelet count decreased", 0.30, {0.55, 0.30, 0.12, 0.03, 0}, "apatinib", false},
      {"Proteinuria", 0.25, {0.60, 0.35, 0.05, 0, 0}, "apatinib", false},
      {"Blood bilirubin increased", 0.20, {0.60, 0.30, 0.10, 0, 0}, "camrelizumab", false},
      {"Diarrhea", 0.15, {0.70, 0.25, 0.05, 0, 0}, "apatinib", false},
      {"Fatigue", 0.25, {0.70, 0.28, 0.02, 0, 0}, "imrt", false},
      {"Hypothyroidism", 0.08, {0.40, 0.60, 0, 0, 0}, "camrelizumab", false},
      {"Pneumonitis", 0.02, {0, 0, 1.0, 0, 0}, "camrelizumab", false},  // not in the RSI: a SUSAR when serious
      {"Ascites", 0.12, {0.40, 0.45, 0.15, 0, 0}, "surgery", true},
      {"Pleural effusion", 0.10, {0.50, 0.35, 0.15, 0, 0}, "surgery", true},
      {"Wound infection", 0.06, {0, 0.70, 0.30, 0, 0}, "surgery", true},
      {"Biliary fistula", 0.05, {0, 0.60, 0.40, 0, 0}, "surgery", true},
  };
  return k;
}

std::vector<Step> plan(const Options& o) {
  std::vector<Step> all;
  if (o.subjects <= 0 || o.sites.empty()) return all;
  const Date start = o.today.plus_days(-(o.enrolment_days + o.follow_up_days));
  std::vector<int> per_site(o.sites.size(), 0);
  std::vector<std::pair<SubjectPlan, LabCourse>> planned;
  for (int i = 0; i < o.subjects; ++i) {
    Rng r(mix(o.seed ^ mix(static_cast<std::uint64_t>(i) + 1)));
    SubjectPlan p;
    p.today = o.today;
    const std::size_t site = static_cast<std::size_t>(i) % o.sites.size();
    p.site = o.sites[site];
    char sid[32];
    // Numbered from 0101, clear of the README tour's S01-0007.
    std::snprintf(sid, sizeof sid, "%s-%04d", p.site.c_str(), 100 + ++per_site[site]);
    p.subject = sid;

    const Date enrolled = start.plus_days(i * o.enrolment_days / o.subjects + r.between(0, 6));
    const bool male = r.chance(0.85);
    const int age = r.between(38, 76);
    p.add(enrolled, 0, StepKind::enrol,
          {{"subject", p.subject}, {"enrolled", format_date(enrolled)}, {"sex", male ? "M" : "F"}, {"age", age}});

    // Neoadjuvant phase.
    const Date tx = enrolled.plus_days(r.between(3, 7));
    p.event(tx, "radiotherapy_start", {{"dose_gy", 18}, {"fractions", 6}});
    p.event(tx, "drug_start", {{"drug", "camrelizumab"}, {"dose", 200}, {"dose_unit", "mg"}});
    p.event(tx, "drug_start", {{"drug", "apatinib"}, {"dose", 250}, {"dose_unit", "mg"}});
    p.event(tx.plus_days(8), "radiotherapy_end", {{"dose_gy", 18}, {"fractions", 6}});
    const bool progresses_early = r.chance(0.08);
    const Date surgery = tx.plus_days(r.between(35, 49));
    Course course{tx, surgery, progresses_early, surgery.plus_days(-10), "", false};
    LabCourse lab{enrolled, tx, std::nullopt, std::nullopt, Date{INT32_MAX}, false, !male, false};

    for (const auto& t : term_shapes()) {
      if (t.post_operative || !r.chance(t.incidence)) continue;
      const Date onset = tx.plus_days(r.between(3, std::max(4, (surgery.days - tx.days) - 2)));
      p.ae(r, t, onset, draw_grade(r, t), r.between(0, 2));
    }
    if (progresses_early) {
      // Progression before surgery: no hepatectomy; follow-up goes on.
      p.event(course.progression, "progression", {{"criteria", "mRECIST"}});
      p.event(surgery.plus_days(-9), "drug_stop", {{"drug", "apatinib"}, {"reason", "progression"}});
      p.follow_up(enrolled, false, Date{INT32_MAX});
      lab.progression = course.progression;
    } else {
      lab.surgery = surgery;
      p.event(surgery.plus_days(-7), "drug_hold", {{"drug", "apatinib"}, {"reason", "pre-operative hold"}});
      const int m = r.between(1, 100);
      course.margin = m <= 88 ? "R0" : m <= 98 ? "R1" : "R2";
      p.event(surgery, "surgery", {{"procedure", "hepatectomy with portal vein thrombectomy"}, {"margin", course.margin}});
      // Deaths within 30 days of surgery: a few, of post-hepatectomy liver failure.
      const bool dies_30d = r.chance(0.06);
      const Date death = surgery.plus_days(r.between(6, 28));
      if (r.chance(0.03))
        p.event(surgery.plus_days(r.between(1, 4)), "reoperation", {{"reason", "post-operative bleeding"}});
      if (r.chance(0.35)) {
        static const std::vector<std::string> kCd = {"I", "I", "II", "II", "II", "IIIa", "IIIa", "IIIb", "IVa"};
        static const std::vector<std::string> kTerms = {"bile leak", "ascites", "pleural effusion",
                                                        "wound infection", "post-hepatectomy liver failure"};
        p.event(surgery.plus_days(r.between(1, 5)), "surgical_complication",
                {{"grade", r.pick(kCd)}, {"term", r.pick(kTerms)}});
      }
      for (const auto& t : term_shapes()) {
        if (!t.post_operative || !r.chance(t.incidence)) continue;
        p.ae(r, t, surgery.plus_days(r.between(1, 5)), draw_grade(r, t), r.between(0, 2));
      }
      const Date discharge = surgery.plus_days(r.between(6, 14));
      if (!(dies_30d && death <= discharge)) {
        p.event(discharge, "discharge");
        if (r.chance(0.08) && !(dies_30d && death <= discharge.plus_days(3)))
          p.event(discharge.plus_days(r.between(2, 20)), "readmission", {{"reason", "fever and abdominal pain"}});
      }
      if (dies_30d) {
        // Liver failure from a few days before the death, reported (grade 5, fatal) on the day
        // of the death, which names the report.
        const Date onset = death.plus_days(-r.between(0, 3));
        const std::string ae = p.ae(r, kHepaticFailure, onset, 5, death.days - onset.days, true);
        p.event(death, "death", {{"cause", "post-hepatectomy liver failure"}, {"related_ae", ae}});
        lab.death = death;
        lab.liver_failure = true;
      } else {
        p.event(surgery.plus_days(r.between(30, 40)), "drug_start", {{"drug", "apatinib"}, {"dose", 250}, {"dose_unit", "mg"}});
        Date tumour_death{INT32_MAX};
        if (r.chance(0.05)) {
          const Date prog = surgery.plus_days(r.between(100, 200));
          p.event(prog, "progression", {{"criteria", "mRECIST"}});
          tumour_death = prog.plus_days(r.between(20, 90));
          // The site's record of a death from the tumour: a grade 5 AE report (CTCAE v5.0
          // Disease progression, serious by death, fatal) dated on the death, which names it.
          const std::string ae = p.ae(r, kDiseaseProgression, tumour_death, 5, 0, true);
          p.event(tumour_death, "death", {{"cause", "tumour progression"}, {"related_ae", ae}});
          lab.progression = prog;
          lab.death = tumour_death;
        }
        course.may_relapse = tumour_death == Date{INT32_MAX};
        p.follow_up(surgery, true, tumour_death);
      }
    }
    // Response, pathology and relapse: from a generator of their own, so that adding them left
    // every draw above (enrolment, AEs, surgery, deaths, follow-up) as it was.
    Rng e(mix(o.seed ^ mix(static_cast<std::uint64_t>(i) + 1) ^ 0xeff1ca5eULL));
    plan_efficacy(e, p, course);
    planned.emplace_back(std::move(p), lab);
  }
  // The demo's potential DILI case (one potential Hy's law case in the trial), on the week-3
  // panel of a subject who has no liver AE report (so that the case is the lab stream's own, a
  // finding for the DSMB rather than an echo of a report) and whose week-3 panel is due by
  // today: the first never operated (progression on neoadjuvant treatment), else the first
  // whose week-6 panel shows the recovery before the hepatectomy, else the first.
  const auto eligible = [&](const std::pair<SubjectPlan, LabCourse>& s) {
    const Date week3 = s.second.tx.plus_days(21);
    if (week3 > o.today || week3 >= s.second.death) return false;
    return std::none_of(s.first.ae_notes.begin(), s.first.ae_notes.end(),
                        [](const AeNote& n) { return liver_term(n.term); });
  };
  auto hys = std::find_if(planned.begin(), planned.end(), [&](const auto& s) { return eligible(s) && !s.second.surgery; });
  if (hys == planned.end())
    hys = std::find_if(planned.begin(), planned.end(), [&](const auto& s) {
      return eligible(s) && s.second.surgery && s.second.tx.plus_days(42) < s.second.surgery->plus_days(-1) &&
             s.second.tx.plus_days(42) <= o.today;
    });
  if (hys == planned.end()) hys = std::find_if(planned.begin(), planned.end(), eligible);
  if (hys != planned.end()) hys->second.hys_law = true;

  for (std::size_t i = 0; i < planned.size(); ++i) {
    auto& [p, lab] = planned[i];
    // Laboratory panels: from a third generator of the subject's own, after everything else,
    // so that every step above stayed as it was; the screening panel is also the enrolment's
    // baseline.
    Rng l(mix(o.seed ^ mix(static_cast<std::uint64_t>(i) + 1) ^ 0x1ab5ULL));
    json baseline = plan_labs(l, p, lab);
    if (!p.steps.empty() && p.steps.front().kind == StepKind::enrol) p.steps.front().body["baseline"] = std::move(baseline);
    // Nothing is posted about a subject after the day of death.
    Date died{INT32_MAX};
    for (const auto& s : p.steps)
      if (s.kind == StepKind::event && s.body.value("kind", "") == "death") died = s.day;
    for (auto& s : p.steps)
      if (s.day <= died) all.push_back(std::move(s));
  }
  // Posting order: by day, then the order within a day; a subject's own steps keep the order
  // they were planned in.
  std::stable_sort(all.begin(), all.end(), [](const Step& a, const Step& b) {
    return a.day != b.day ? a.day < b.day : a.order < b.order;
  });
  return all;
}

Summary summarise(const std::vector<Step>& steps) {
  Summary s;
  std::map<std::string, Date> surgery;
  for (const auto& st : steps) {
    switch (st.kind) {
      case StepKind::enrol: ++s.subjects; break;
      case StepKind::event: {
        ++s.events;
        const std::string kind = st.body.value("kind", "");
        s.contacts += kind == "last_known_alive";
        if (kind == "surgery") {
          ++s.surgeries;
          surgery[st.subject] = st.day;
        }
        if (kind == "death") {
          ++s.deaths;
          if (auto it = surgery.find(st.subject); it != surgery.end() && st.day.days - it->second.days <= 30)
            ++s.deaths_30d_post_surgery;
        }
        break;
      }
      case StepKind::ae: {
        ++s.reports;
        bool serious = false;
        for (const auto& [k, v] : st.body["serious"].items()) serious = serious || v.get<bool>();
        s.serious += serious;
        s.susars += serious && std::string(st.body.value("term", "")) == "Pneumonitis";
        s.late += st.late;
        break;
      }
      case StepKind::followup: ++s.followups; break;
      case StepKind::lab:
        ++s.panels;
        s.lab_results += static_cast<int>(st.body["results"].size());
        break;
    }
  }
  return s;
}

Step scale_enrolment(const ScaleOptions& o, int i) {
  Rng r(mix(o.seed ^ 0x5ca1e ^ mix(static_cast<std::uint64_t>(i))));
  Step s;
  s.site = o.sites[static_cast<std::size_t>(i) % o.sites.size()];
  char sid[32];
  std::snprintf(sid, sizeof sid, "%s-X%05d", s.site.c_str(), i);
  s.subject = sid;
  s.kind = StepKind::enrol;
  s.day = o.today.plus_days(-730 + r.between(0, 360));
  s.body = {{"subject", s.subject}, {"enrolled", format_date(s.day)}, {"sex", r.chance(0.85) ? "M" : "F"},
            {"age", r.between(38, 76)}};
  return s;
}

Step scale_report(const ScaleOptions& o, std::int64_t i) {
  const int subject = static_cast<int>(i % o.subjects);
  const Step who = scale_enrolment(o, subject);
  Rng r(mix(o.seed ^ mix(static_cast<std::uint64_t>(i) + 0x9e37)));
  const auto& shapes = term_shapes();
  const TermShape& t = shapes[static_cast<std::size_t>(r.between(0, static_cast<int>(shapes.size()) - 1))];
  int grade = draw_grade(r, t);
  const Date onset = who.day.plus_days(r.between(1, o.today.days - who.day.days - 1));
  json serious = no_criteria();
  if (grade >= 3 && r.chance(0.05)) serious["hospitalization"] = true;
  char id[48];
  std::snprintf(id, sizeof id, "X%08lld", static_cast<long long>(i));
  const Date resolved = std::min(o.today, onset.plus_days(r.between(2, 30)));
  Step s;
  s.site = who.site;
  s.subject = who.subject;
  s.kind = StepKind::ae;
  s.day = o.today;
  s.report_id = id;
  s.aware_delay_hours = 1;
  s.body = {{"report_id", id},          {"subject", who.subject},     {"term", t.term},
            {"grade", grade},           {"onset", format_date(onset)}, {"resolved", format_date(resolved)},
            {"serious", serious},       {"causality", causality_for(r, t.suspect, t.post_operative)},
            {"outcome", "recovered"}};
  return s;
}

}  // namespace pvmon::sim
