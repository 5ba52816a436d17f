#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>

#include "pvmon/fields.hpp"
#include "pvmon/safety/course.hpp"
#include "pvmon/safety/events.hpp"

namespace pvmon::safety {
namespace {

using json = nlohmann::json;
using FT = FieldType;

// ---- The table ---------------------------------------------------------------------------
// Every kind has "kind", "date" (required) and "corrects" (optional id of the event it
// replaces) besides the fields listed here.

constexpr std::string_view kMargins[] = {"R0", "R1", "R2"};
// Dindo et al. 2004: I, II, IIIa, IIIb, IVa, IVb, V; suffix "d" = disability at discharge
// (not for V: the patient died).
constexpr std::string_view kClavienDindo[] = {"I",   "Id",  "II",   "IId", "IIIa", "IIIad", "IIIb",
                                              "IIIbd", "IVa", "IVad", "IVb", "IVbd", "V"};
// Response criteria used for progression and relapse; mRECIST is the HCC standard
// (Lencioni & Llovet, Semin Liver Dis 2010).
constexpr std::string_view kCriteria[] = {"mRECIST", "RECIST 1.1", "iRECIST", "clinical"};

// CLINICAL.md "The protocol's endpoints": mRECIST for the primary tumour (Lencioni & Llovet
// 2010), Cheng's classification for the PVTT (response.hpp).
constexpr std::string_view kResponses[] = {"CR", "PR", "SD", "PD", "NE"};
constexpr std::string_view kChengBefore[] = {"I0", "I", "II", "III", "IV"};
constexpr std::string_view kChengNow[] = {"none", "I0", "I", "II", "III", "IV"};

constexpr FieldSpec kRadiotherapyStart[] = {
    {.name = "dose_gy", .type = FT::number, .required = false, .min = 1, .max = 100,
     .note = "planned total dose"},
    {.name = "fractions", .type = FT::integer, .required = false, .min = 1, .max = 60},
};
constexpr FieldSpec kRadiotherapyEnd[] = {
    {.name = "dose_gy", .type = FT::number, .required = true, .min = 1, .max = 100,
     .note = "delivered total dose"},
    {.name = "fractions", .type = FT::integer, .required = true, .min = 1, .max = 60},
};
constexpr FieldSpec kDrugStart[] = {
    {.name = "drug", .type = FT::study_drug, .required = true},
    {.name = "dose", .type = FT::number, .required = false, .min = 0.001, .max = 100000},
    {.name = "dose_unit", .type = FT::string, .required = false},
};
constexpr FieldSpec kDoseChange[] = {
    {.name = "drug", .type = FT::study_drug, .required = true},
    {.name = "dose", .type = FT::number, .required = true, .min = 0.001, .max = 100000},
    {.name = "dose_unit", .type = FT::string, .required = true},
    {.name = "reason", .type = FT::string, .required = false},
};
constexpr FieldSpec kDrugHoldStop[] = {
    {.name = "drug", .type = FT::study_drug, .required = true},
    {.name = "reason", .type = FT::string, .required = false},
};
constexpr FieldSpec kSurgery[] = {
    {.name = "procedure", .type = FT::string, .required = true},
    {.name = "margin", .type = FT::enumeration, .required = true, .allowed = kMargins},
};
constexpr FieldSpec kReasonRequired[] = {
    {.name = "reason", .type = FT::string, .required = true},
};
constexpr FieldSpec kReasonOptional[] = {
    {.name = "reason", .type = FT::string, .required = false},
};
constexpr FieldSpec kComplication[] = {
    {.name = "grade", .type = FT::enumeration, .required = true, .allowed = kClavienDindo},
    {.name = "term", .type = FT::string, .required = true},
};
constexpr FieldSpec kProgression[] = {
    {.name = "criteria", .type = FT::enumeration, .required = true, .allowed = kCriteria},
};
constexpr FieldSpec kPathology[] = {
    {.name = "viable_tumour_percent", .type = FT::number, .required = true, .min = 0, .max = 100,
     .note = "viable tumour in the resected specimen, percent of the tumour bed; at most 10 is a "
             "major pathological response"},
    {.name = "margin", .type = FT::enumeration, .required = true, .allowed = kMargins,
     .note = "the pathologist's residual-tumour classification; it replaces the surgery's margin"},
};
constexpr FieldSpec kResponseAssessment[] = {
    {.name = "primary", .type = FT::enumeration, .required = true, .allowed = kResponses,
     .note = "mRECIST response of the primary tumour"},
    {.name = "pvtt_before", .type = FT::enumeration, .required = false, .allowed = kChengBefore,
     .note = "Cheng type of the portal vein tumour thrombus before treatment; with pvtt_now"},
    {.name = "pvtt_now", .type = FT::enumeration, .required = false, .allowed = kChengNow,
     .note = "Cheng type on this assessment (none: no thrombus seen); with pvtt_before"},
    {.name = "portal_flow_restored", .type = FT::boolean, .required = false,
     .note = "a conspicuous restoration of portal flow (a partial response of the PVTT)"},
};
constexpr FieldSpec kDeath[] = {
    {.name = "cause", .type = FT::string, .required = true},
    {.name = "related_ae", .type = FT::string, .required = false,
     .note = "the report id of one of the subject's AE reports in force"},
};

constexpr EventKindSpec kKinds[] = {
    {"radiotherapy_start", kRadiotherapyStart},
    {"radiotherapy_end", kRadiotherapyEnd},
    {"drug_start", kDrugStart},
    {"dose_change", kDoseChange},
    {"drug_hold", kDrugHoldStop},
    {"drug_stop", kDrugHoldStop},
    {"surgery", kSurgery},
    {"discharge", {}},
    {"readmission", kReasonRequired},
    {"reoperation", kReasonRequired},
    {"surgical_complication", kComplication},
    {"progression", kProgression},
    {"relapse", kProgression},
    {"death", kDeath},
    {"withdrawal", kReasonOptional},
    {"last_known_alive", {}},
    {"response_assessment", kResponseAssessment},
    {"pathology", kPathology},
};

constexpr std::size_t kMaxText = 2000;

// ---- Field checks ------------------------------------------------------------------------

std::string allowed_list(std::span<const std::string_view> v) {
  std::string s;
  for (auto a : v) s += (s.empty() ? "" : ", ") + std::string(a);
  return s;
}

/// Checks one field; an integer sent as 3.0 is rewritten as 3 (whole_number, as AE intake reads it).
void check_field(const FieldSpec& f, json& v, const EventContext& ctx,
                 std::vector<FieldError>& errs) {
  const std::string name(f.name);
  auto range = [&](double x) {
    if (x < f.min || x > f.max) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "must be between %g and %g", f.min, f.max);
      errs.push_back({name, buf});
    }
  };
  switch (f.type) {
    case FT::date: {
      const auto d = v.is_string() ? parse_date(v.get<std::string>()) : std::nullopt;
      if (!d)
        errs.push_back({name, "must be a date YYYY-MM-DD"});
      else if (auto why = input_date_problem(*d))
        errs.push_back({name, *why});
      return;
    }
    case FT::string:
      if (!v.is_string() || v.get<std::string>().empty())
        errs.push_back({name, "must be a non-empty string"});
      else if (v.get<std::string>().size() > kMaxText)
        errs.push_back({name, "is longer than " + std::to_string(kMaxText) + " characters"});
      return;
    case FT::enumeration: {
      const bool ok = v.is_string() && std::find(f.allowed.begin(), f.allowed.end(),
                                                 v.get<std::string>()) != f.allowed.end();
      if (!ok) errs.push_back({name, "must be one of " + allowed_list(f.allowed)});
      return;
    }
    case FT::study_drug: {
      const bool ok = v.is_string() && std::find(ctx.study_drugs.begin(), ctx.study_drugs.end(),
                                                 v.get<std::string>()) != ctx.study_drugs.end();
      if (!ok) {
        std::string s;
        for (const auto& d : ctx.study_drugs) s += (s.empty() ? "" : ", ") + d;
        errs.push_back({name, "must be one of the study's drugs: " + s});
      }
      return;
    }
    case FT::number:
      if (!v.is_number() || !std::isfinite(v.get<double>()))
        errs.push_back({name, "must be a number"});
      else
        range(v.get<double>());
      return;
    case FT::boolean:
      if (!v.is_boolean()) errs.push_back({name, "must be true or false"});
      return;
    case FT::integer:
      if (const auto n = whole_number(v)) {
        v = *n;
        range(static_cast<double>(*n));
      } else {
        errs.push_back({name, "must be a whole number"});
      }
      return;
  }
}

// ---- Chronology --------------------------------------------------------------------------

// Order within one calendar day, so that a same-day surgery and discharge, or a death and the
// events of its day, are taken in the order they must have happened.
int day_rank(std::string_view kind) {
  // The imaging that decides on a hepatectomy precedes it on the same day; a treatment's
  // response is not assessed on the day it starts.
  if (kind == "response_assessment") return -1;
  if (kind == "surgery" || kind == "drug_start" || kind == "radiotherapy_start") return 0;
  if (kind == "reoperation" || kind == "surgical_complication" || kind == "dose_change") return 1;
  if (kind == "discharge" || kind == "drug_hold") return 2;
  if (kind == "readmission" || kind == "drug_stop" || kind == "radiotherapy_end") return 3;
  if (kind == "death") return 9;
  return 4;
}

std::string describe(const SubjectEvent& e) {
  std::string s = "the " + e.kind;
  if (e.fields.contains("drug") && e.fields["drug"].is_string())
    s += " of " + e.fields["drug"].get<std::string>();
  s += " of " + format_date(e.date);
  return s + (e.id == 0 ? " (this event)" : " (event " + std::to_string(e.id) + ")");
}

struct Failure {
  std::string field;           // field of the new event to blame
  std::string text;            // message when the failing event is the new one
  const SubjectEvent* conflict = nullptr;
};

class Walk {
 public:
  explicit Walk(std::vector<const SubjectEvent*> seq) : seq_(std::move(seq)) {}

  // The first event that breaks a rule, and why.
  std::optional<std::pair<std::size_t, Failure>> run() {
    for (i_ = 0; i_ < seq_.size(); ++i_) {
      if (auto f = step(*seq_[i_])) return std::make_pair(i_, *f);
    }
    return std::nullopt;
  }

 private:
  enum class Drug { off, on, held, stopped };

  const SubjectEvent* later(std::string_view kind, std::string_view drug = {}) const {
    for (std::size_t j = i_ + 1; j < seq_.size(); ++j) {
      const auto& e = *seq_[j];
      if (e.kind != kind) continue;
      if (!drug.empty() && e.fields.value("drug", "") != drug) continue;
      return &e;
    }
    return nullptr;
  }
  static Failure before(const SubjectEvent& e, const SubjectEvent& c) {
    return {"date", format_date(e.date) + " is before " + describe(c), &c};
  }

  std::optional<Failure> step(const SubjectEvent& e) {
    if (death_ != nullptr) {
      if (e.kind == "death" && death_->kind == "death")
        return Failure{"kind",
                       "a death is already recorded: " + describe(*death_) +
                           "; send a correction with \"corrects\"",
                       death_};
      if (e.date > death_->date)
        return Failure{"date",
                       format_date(e.date) + " is after " + describe(*death_) +
                           (death_->kind == "death" ? "" : ", Clavien–Dindo V: the subject's death"),
                       death_};
    }
    const std::string& k = e.kind;
    if ((k == "drug_start" || k == "radiotherapy_start") && treated_ == nullptr) treated_ = &e;
    if (k == "death") {
      death_ = &e;
    } else if (k == "response_assessment") {
      return assessment_step(e);
    } else if (k == "pathology") {
      // The pathology of the resected specimen: of the index surgery, dated by its specimen.
      if (pathology_ != nullptr)
        return Failure{"kind",
                       "a pathology report is already recorded: " + describe(*pathology_) +
                           "; send a correction with \"corrects\"",
                       pathology_};
      if (surgery_ == nullptr) {
        if (auto* s = later("surgery"))
          return Failure{"date",
                         format_date(e.date) + " is not the day of " + describe(*s) +
                             ": a pathology report is dated by its specimen, the index surgery's",
                         s};
        return Failure{"kind", "a pathology report needs the index surgery; no surgery is recorded", nullptr};
      }
      if (e.date != surgery_->date)
        return Failure{"date",
                       format_date(e.date) + " is not the day of " + describe(*surgery_) +
                           ": a pathology report is dated by its specimen, the index surgery's",
                       surgery_};
      pathology_ = &e;
    } else if (k == "surgical_complication") {
      // Dindo et al., Ann Surg 2004: a complication is a deviation from the normal course
      // after surgery, so it follows the index surgery (same day included). Grade V is the
      // death of the patient (CLINICAL.md "Death has many sources"): nothing comes after it.
      if (surgery_ == nullptr) {
        if (auto* s = later("surgery")) return before(e, *s);
        return Failure{"kind", "a surgical complication needs the index surgery before it; no surgery is recorded",
                       nullptr};
      }
      if (e.fields.value("grade", "") == "V" && death_ == nullptr) death_ = &e;
    } else if (k == "surgery") {
      if (surgery_ != nullptr)
        return Failure{"kind",
                       "a surgery is already recorded: " + describe(*surgery_) +
                           "; a later operation is a reoperation",
                       surgery_};
      surgery_ = &e;
      admitted_ = &e;
    } else if (k == "reoperation") {
      if (surgery_ == nullptr) {
        if (auto* s = later("surgery")) return before(e, *s);
        return Failure{"kind", "a reoperation needs a prior surgery; none is recorded", nullptr};
      }
    } else if (k == "discharge") {
      if (admitted_ == nullptr) {
        if (surgery_ == nullptr) {
          if (auto* s = later("surgery")) return before(e, *s);
          return Failure{"kind", "a discharge needs a prior surgery; none is recorded", nullptr};
        }
        assert(discharged_ != nullptr && "after a surgery, only a discharge ends an admission");
        return Failure{"date",
                       format_date(e.date) + ": the subject was already discharged, " +
                           describe(*discharged_) + ", and not readmitted since",
                       discharged_};
      }
      admitted_ = nullptr;
      discharged_ = &e;
    } else if (k == "readmission") {
      if (discharged_ == nullptr) {
        if (auto* d = later("discharge")) return before(e, *d);
        return Failure{"kind", "a readmission needs a prior discharge; none is recorded", nullptr};
      }
      if (admitted_ != nullptr)
        return Failure{"date",
                       format_date(e.date) + ": the subject is still admitted since " +
                           describe(*admitted_),
                       admitted_};
      admitted_ = &e;
    } else if (k == "drug_start" || k == "dose_change" || k == "drug_hold" || k == "drug_stop") {
      return drug_step(e);
    } else if (k == "radiotherapy_start") {
      if (rt_ != nullptr)
        return Failure{"date",
                       format_date(e.date) + ": radiotherapy is already running since " +
                           describe(*rt_),
                       rt_};
      rt_ = &e;
    } else if (k == "radiotherapy_end") {
      if (rt_ == nullptr) {
        if (auto* s = later("radiotherapy_start")) return before(e, *s);
        return Failure{"kind", "a radiotherapy end needs a radiotherapy start; none is open",
                       nullptr};
      }
      rt_ = nullptr;
    }
    return std::nullopt;
  }

  // CLINICAL.md "The protocol's endpoints": the response to the neoadjuvant treatment, assessed
  // after it starts and before the hepatectomy removes the tumour.
  std::optional<Failure> assessment_step(const SubjectEvent& e) {
    if (treated_ == nullptr) {
      const SubjectEvent* start = nullptr;
      for (std::size_t j = i_ + 1; j < seq_.size() && start == nullptr; ++j)
        if (seq_[j]->kind == "drug_start" || seq_[j]->kind == "radiotherapy_start") start = seq_[j];
      if (start != nullptr && start->date == e.date)
        return Failure{"date",
                       format_date(e.date) + " is the day study treatment starts (" + describe(*start) +
                           "): a response is assessed after the start of treatment",
                       start};
      if (start != nullptr) return before(e, *start);
      return Failure{"kind",
                     "a response assessment needs the start of study treatment before it (a drug_start or "
                     "radiotherapy_start); none is recorded",
                     nullptr};
    }
    if (surgery_ != nullptr)
      return Failure{"date",
                     format_date(e.date) + " is after " + describe(*surgery_) +
                         ": the tumour is resected then; record a later finding as a relapse",
                     surgery_};
    if (e.fields.contains("pvtt_before")) {
      if (baseline_ != nullptr && baseline_->fields["pvtt_before"] != e.fields["pvtt_before"])
        return Failure{"pvtt_before",
                       "is " + e.fields["pvtt_before"].get<std::string>() + " but " + describe(*baseline_) +
                           " gives " + baseline_->fields["pvtt_before"].get<std::string>() +
                           ": the thrombus had one type before treatment; correct the wrong one",
                       baseline_};
      if (baseline_ == nullptr) baseline_ = &e;
    }
    return std::nullopt;
  }

  std::optional<Failure> drug_step(const SubjectEvent& e) {
    const std::string drug = e.fields.value("drug", "");
    auto& [state, last] = drugs_[drug];
    const std::string& k = e.kind;
    if (state == Drug::stopped)
      return Failure{"date", format_date(e.date) + " is after " + describe(*last), last};
    if (k == "drug_start") {
      if (state == Drug::on)
        return Failure{"drug", drug + " is already given since " + describe(*last), last};
      state = Drug::on;  // a start after a hold resumes the drug
    } else if (state == Drug::off) {
      if (auto* s = later("drug_start", drug)) return before(e, *s);
      return Failure{"drug", drug + " has not been started", nullptr};
    } else if (k == "dose_change") {
      state = Drug::on;  // resuming at a new dose
    } else if (k == "drug_hold") {
      if (state == Drug::held)
        return Failure{"drug", drug + " is already on hold since " + describe(*last), last};
      state = Drug::held;
    } else {
      state = Drug::stopped;
    }
    last = &e;
    return std::nullopt;
  }

  std::vector<const SubjectEvent*> seq_;
  std::size_t i_ = 0;
  const SubjectEvent* death_ = nullptr;
  const SubjectEvent* surgery_ = nullptr;
  const SubjectEvent* admitted_ = nullptr;  // surgery or readmission not yet discharged
  const SubjectEvent* discharged_ = nullptr;
  const SubjectEvent* rt_ = nullptr;
  const SubjectEvent* treated_ = nullptr;   // the first drug or radiotherapy start
  const SubjectEvent* baseline_ = nullptr;  // the first assessment giving pvtt_before
  const SubjectEvent* pathology_ = nullptr;
  std::map<std::string, std::pair<Drug, const SubjectEvent*>> drugs_;
};

void check_chronology(const SubjectEvent& ev, std::vector<const SubjectEvent*> seq,
                      const EventContext& ctx, std::vector<FieldError>& errs) {
  const std::string d = format_date(ev.date);
  if (ev.date < ctx.enrolled)
    errs.push_back({"date", d + " is before enrolment on " + format_date(ctx.enrolled)});
  if (ev.date > ctx.today)
    errs.push_back({"date", d + " is in the future (today is " + format_date(ctx.today) + ")"});

  seq.push_back(&ev);
  std::stable_sort(seq.begin(), seq.end(), [](const SubjectEvent* a, const SubjectEvent* b) {
    if (a->date != b->date) return a->date < b->date;
    const int ra = day_rank(a->kind), rb = day_rank(b->kind);
    if (ra != rb) return ra < rb;
    // Recorded events in the order they were stored; the new one (id 0) after them.
    const auto ia = a->id == 0 ? INT64_MAX : a->id, ib = b->id == 0 ? INT64_MAX : b->id;
    return ia < ib;
  });
  Walk walk(seq);
  const auto failure = walk.run();
  if (!failure) return;
  const auto& [index, f] = *failure;
  // The recorded events were consistent without the new one, so it is the cause either way;
  // when a recorded event is the one that breaks, name it as the conflict.
  if (seq[index] == &ev) {
    errs.push_back({f.field, f.text});
  } else {
    errs.push_back({"date", d + " conflicts with " + describe(*seq[index]) + ": " + f.text});
  }
}

}  // namespace

std::span<const EventKindSpec> event_kinds() { return kKinds; }

const EventKindSpec* find_event_kind(std::string_view kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return &k;
  return nullptr;
}

Result<SubjectEvent> validate_event(const json& posted, const EventContext& ctx) {
  std::vector<FieldError> errs;
  if (!posted.is_object())
    return Error::invalid({{"", "an event must be a JSON object"}});
  // As in AE intake: an explicit null is a field not given (no event field is nullable), and
  // what is stored is the normalised body.
  json body = posted;
  for (auto it = body.begin(); it != body.end();) it = it->is_null() ? body.erase(it) : std::next(it);

  const EventKindSpec* spec = nullptr;
  if (!body.contains("kind")) {
    errs.push_back({"kind", "is required"});
  } else if (!body["kind"].is_string() ||
             (spec = find_event_kind(body["kind"].get<std::string>())) == nullptr) {
    std::string s;
    for (const auto& k : kKinds) s += (s.empty() ? "" : ", ") + std::string(k.kind);
    errs.push_back({"kind", "must be one of " + s});
  }

  static constexpr FieldSpec kDate{.name = "date", .type = FT::date, .required = true};
  static constexpr FieldSpec kCorrects{
      .name = "corrects", .type = FT::integer, .required = false, .min = 1, .max = 9.0e15};
  if (!body.contains("date"))
    errs.push_back({"date", "is required"});
  else
    check_field(kDate, body["date"], ctx, errs);
  if (body.contains("corrects")) check_field(kCorrects, body["corrects"], ctx, errs);
  if (spec == nullptr) return Error::invalid(std::move(errs));

  for (const auto& f : spec->fields) {
    if (!body.contains(f.name)) {
      if (f.required) errs.push_back({std::string(f.name), "is required for " + std::string(spec->kind)});
      continue;
    }
    check_field(f, body[std::string(f.name)], ctx, errs);
  }
  for (const auto& item : body.items()) {
    const std::string& key = item.key();  // a named reference: clang 14 cannot capture a binding
    if (key == "kind" || key == "date" || key == "corrects") continue;
    const bool known = std::any_of(spec->fields.begin(), spec->fields.end(),
                                   [&](const FieldSpec& f) { return f.name == key; });
    if (!known && spec->kind == "response_assessment" && key == "overall")
      errs.push_back({key, "is derived from primary and the PVTT by the protocol's rule, never entered"});
    else if (!known)
      errs.push_back({key, "is not a field of " + std::string(spec->kind)});
  }
  if (spec->kind == "response_assessment") {
    // The PVTT's response needs its Cheng type before and now, or the portal-flow finding.
    const bool before = body.contains("pvtt_before"), now = body.contains("pvtt_now");
    if (before != now)
      errs.push_back({before ? "pvtt_now" : "pvtt_before",
                      "is required with " + std::string(before ? "pvtt_before" : "pvtt_now") +
                          ": the PVTT's Cheng type before treatment and now"});
    else if (!before && !body.contains("portal_flow_restored"))
      errs.push_back({"pvtt_now",
                      "is required (with pvtt_before) unless portal_flow_restored is given: the PVTT's "
                      "response needs its Cheng types or the portal-flow finding"});
  }
  if (!errs.empty()) return Error::invalid(std::move(errs));

  SubjectEvent ev{0, std::string(spec->kind), *parse_date(body["date"].get<std::string>()), body};
  std::vector<const SubjectEvent*> history;
  std::optional<std::int64_t> corrects;
  if (body.contains("corrects")) corrects = body["corrects"].get<std::int64_t>();
  bool found = false;
  for (const auto& e : ctx.existing) {
    if (corrects && e.id == *corrects) {
      found = true;
      if (e.kind != ev.kind)
        errs.push_back({"corrects", "event " + std::to_string(e.id) + " is a " + e.kind +
                                        ", not a " + ev.kind});
      continue;
    }
    history.push_back(&e);
  }
  if (corrects && !found)
    errs.push_back({"corrects", "no event " + std::to_string(*corrects) + " for this subject"});
  if (!errs.empty()) return Error::invalid(std::move(errs));

  check_chronology(ev, std::move(history), ctx, errs);
  for (auto& e : event_course_errors(ev, ctx.aes)) errs.push_back(std::move(e));
  if (!errs.empty()) return Error::invalid(std::move(errs));
  return ev;
}

std::optional<ClavienDindoGrade> parse_clavien_dindo(std::string_view s) {
  ClavienDindoGrade g;
  if (s.size() > 1 && s.back() == 'd' && s != "V" && s != "Vd") {
    g.disability = true;
    s.remove_suffix(1);
  }
  static constexpr std::pair<std::string_view, ClavienDindo> kNames[] = {
      {"I", ClavienDindo::I},     {"II", ClavienDindo::II},   {"IIIa", ClavienDindo::IIIa},
      {"IIIb", ClavienDindo::IIIb}, {"IVa", ClavienDindo::IVa}, {"IVb", ClavienDindo::IVb},
      {"V", ClavienDindo::V}};
  for (const auto& [name, grade] : kNames) {
    if (name == s) {
      if (grade == ClavienDindo::V && g.disability) return std::nullopt;
      g.grade = grade;
      return g;
    }
  }
  return std::nullopt;
}

std::string to_string(ClavienDindoGrade g) {
  static constexpr std::string_view kNames[] = {"I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"};
  return std::string(kNames[static_cast<int>(g.grade)]) + (g.disability ? "d" : "");
}

}  // namespace pvmon::safety
