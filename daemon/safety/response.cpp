#include "pvmon/safety/response.hpp"

#include <algorithm>

namespace pvmon::safety {

namespace {
constexpr std::string_view kResponseNames[] = {"CR", "PR", "SD", "PD", "NE"};
constexpr std::string_view kChengNames[] = {"none", "I0", "I", "II", "III", "IV"};
}  // namespace

std::string_view to_string(Response r) { return kResponseNames[static_cast<int>(r)]; }

std::optional<Response> parse_response(std::string_view s) {
  for (int i = 0; i < 5; ++i)
    if (kResponseNames[i] == s) return static_cast<Response>(i);
  return std::nullopt;
}

std::string_view to_string(ChengType t) { return kChengNames[static_cast<int>(t)]; }

std::optional<ChengType> parse_cheng(std::string_view s) {
  for (int i = 0; i < 6; ++i)
    if (kChengNames[i] == s) return static_cast<ChengType>(i);
  return std::nullopt;
}

Response pvtt_response(std::optional<ChengType> before, std::optional<ChengType> now,
                       std::optional<bool> portal_flow_restored) {
  // The protocol: downstaging or conspicuous restoration of portal flow = PR; upstaging = PD;
  // otherwise SD. Cheng's types are ordered by extent (response.hpp), `none` below I0.
  if (before && now) {
    if (*now > *before) return Response::PD;
    if (*now < *before) return Response::PR;
    return portal_flow_restored.value_or(false) ? Response::PR : Response::SD;
  }
  if (portal_flow_restored) return *portal_flow_restored ? Response::PR : Response::SD;
  return Response::NE;
}

Response overall_response(Response primary, Response pvtt, std::optional<ChengType> pvtt_now) {
  using R = Response;
  // The protocol's rule: PD if either is PD.
  if (primary == R::PD || pvtt == R::PD) return R::PD;
  // Not evaluable without both (RECIST 1.1 table 1: a target NE is NE).
  if (primary == R::NE || pvtt == R::NE) return R::NE;
  // RECIST 1.1 table 1, the PVTT as non-target: CR needs every lesion gone.
  if (primary == R::CR) return pvtt_now == ChengType::none ? R::CR : R::PR;
  // The protocol's rule: PR if either is PR and the other SD (or both PR).
  if (primary == R::PR || pvtt == R::PR) return R::PR;
  return R::SD;
}

std::optional<Response> best_overall_response(const std::vector<Assessment>& assessments) {
  std::optional<Response> best;
  for (const auto& a : assessments)
    if (!best || a.overall < *best) best = a.overall;
  return best;
}

std::optional<Date> treatment_start(const std::vector<SubjectEvent>& events) {
  std::optional<Date> first;
  for (const auto& e : events)
    if ((e.kind == "drug_start" || e.kind == "radiotherapy_start") && (!first || e.date < *first)) first = e.date;
  return first;
}

Assessment assessment_of(const SubjectEvent& e) {
  Assessment a;
  a.event = e.id;
  a.date = e.date;
  const auto& f = e.fields;
  a.primary = parse_response(f.value("primary", "")).value_or(Response::NE);
  const auto before = parse_cheng(f.value("pvtt_before", ""));
  const auto now = parse_cheng(f.value("pvtt_now", ""));
  std::optional<bool> flow;
  if (f.contains("portal_flow_restored") && f["portal_flow_restored"].is_boolean())
    flow = f["portal_flow_restored"].get<bool>();
  a.pvtt = pvtt_response(before, now, flow);
  a.overall = overall_response(a.primary, a.pvtt, now);
  return a;
}

SubjectEfficacy efficacy_from_events(const std::vector<SubjectEvent>& events, std::optional<Date> surgery) {
  SubjectEfficacy x;
  x.treatment_start = treatment_start(events);
  std::vector<TumourEvent> counted;
  for (const auto& e : events) {
    const std::string ref = "event " + std::to_string(e.id);
    if (e.kind == "response_assessment") {
      x.assessments.push_back(assessment_of(e));
      if (x.assessments.back().overall == Response::PD)
        counted.push_back({e.date, ref + " (response assessment: PD)"});
    } else if (e.kind == "pathology") {
      x.pathology = Pathology{e.id, e.date, e.fields.value("viable_tumour_percent", 100.0), e.fields.value("margin", "")};
    } else if (e.kind == "progression" || e.kind == "relapse") {
      // CLINICAL.md: EFS counts progression or relapse by mRECIST.
      const std::string criteria = e.fields.value("criteria", "");
      TumourEvent t{e.date, ref + " (" + e.kind + ", " + criteria + ")"};
      (criteria == "mRECIST" ? counted : x.other_progressions).push_back(std::move(t));
    }
  }
  std::stable_sort(x.assessments.begin(), x.assessments.end(),
                   [](const Assessment& a, const Assessment& b) { return a.date < b.date; });
  auto by_date = [](const TumourEvent& a, const TumourEvent& b) { return a.date < b.date; };
  std::stable_sort(counted.begin(), counted.end(), by_date);
  std::stable_sort(x.other_progressions.begin(), x.other_progressions.end(), by_date);
  if (!counted.empty()) x.first_progression = counted.front();
  if (surgery)
    for (const auto& t : counted)
      if (t.date > *surgery) {
        x.first_progression_after_surgery = t;
        break;
      }
  return x;
}

}  // namespace pvmon::safety
