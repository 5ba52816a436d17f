#include "pvmon/safety/endpoints.hpp"

#include <algorithm>

#include "pvmon/stats.hpp"

namespace pvmon::safety {

std::vector<stats::SurvivalObservation> SurvivalEndpoint::observations() const {
  std::vector<stats::SurvivalObservation> out;
  out.reserve(times.size());
  for (const auto& t : times) out.push_back({static_cast<double>(t.days), t.event});
  return out;
}

int SurvivalEndpoint::events() const {
  return static_cast<int>(std::count_if(times.begin(), times.end(), [](const EndpointTime& t) { return t.event; }));
}

std::optional<stats::KmEstimate> SurvivalEndpoint::at_months(double months) const {
  if (!km) return std::nullopt;
  return stats::km_at(*km, months * kDaysPerMonth);
}

namespace {

/// Time from `zero` to the first of `events` (death, progression: each with its date), else
/// censored at the last contact.
EndpointTime time_from(const std::string& subject, Date zero, Date last_contact,
                       std::initializer_list<std::optional<TumourEvent>> events) {
  std::optional<TumourEvent> first;
  for (const auto& e : events)
    if (e && (!first || e->date < first->date)) first = e;
  if (first) return {subject, std::max(0, first->date.days - zero.days), true, first->ref};
  return {subject, std::max(0, last_contact.days - zero.days), false, ""};
}

void estimate(SurvivalEndpoint& e) {
  if (e.times.empty()) return;
  if (auto km = stats::kaplan_meier(e.observations())) {
    e.median = stats::km_median(km.value());
    e.km = std::move(km.value());
  }
  if (auto fu = stats::median_follow_up(e.observations())) e.follow_up = fu.value();
}

}  // namespace

Endpoints endpoints(const std::vector<SubjectCourse>& courses, Date cutoff) {
  Endpoints out;
  out.cutoff = cutoff;
  out.enrolled = static_cast<int>(courses.size());
  int mpr = 0, with_pathology = 0, responders = 0, assessed = 0;
  for (const auto& c : courses) {
    const auto& x = c.efficacy;
    SubjectEndpoints row{.subject = c.subject,
                         .treatment_start = x.treatment_start,
                         .os = std::nullopt,
                         .efs = std::nullopt,
                         .dfs = std::nullopt,
                         .best_response = best_overall_response(x.assessments),
                         .assessments = static_cast<int>(x.assessments.size()),
                         .pathology = x.pathology,
                         .margin = c.facts.margin,
                         .operated = c.surgery.has_value(),
                         .other_progressions = x.other_progressions};
    // Death from any source, dated once by the course (course.hpp).
    std::optional<TumourEvent> death;
    if (c.death) {
      std::string ref = "death";
      if (const auto d = course_death(c.death_records)) ref += " (" + describe(*d) + ")";
      death = TumourEvent{*c.death, ref};
    }
    if (x.treatment_start) {
      ++out.treated;
      // OS and EFS from the start of study treatment (CLINICAL.md).
      row.os = time_from(c.subject, *x.treatment_start, c.last_contact, {death});
      row.efs = time_from(c.subject, *x.treatment_start, c.last_contact, {death, x.first_progression});
      out.os.times.push_back(*row.os);
      out.efs.times.push_back(*row.efs);
      if (row.assessments == 0) out.not_assessed.push_back(c.subject);
    } else {
      out.not_treated.push_back(c.subject);
      out.os.excluded.push_back(c.subject);
      out.efs.excluded.push_back(c.subject);
    }
    if (c.surgery) {
      ++out.operated;
      // DFS from the hepatectomy: relapse (or progression) after it, or death.
      row.dfs = time_from(c.subject, *c.surgery, c.last_contact, {death, x.first_progression_after_surgery});
      out.dfs.times.push_back(*row.dfs);
      if (x.pathology) {
        ++with_pathology;
        mpr += x.pathology->mpr() ? 1 : 0;
      } else {
        out.pathology_missing.push_back(c.subject);
      }
    } else {
      out.dfs.excluded.push_back(c.subject);
    }
    if (row.best_response) {
      ++assessed;
      ++out.best_response[static_cast<int>(*row.best_response)];
      responders += (*row.best_response == Response::CR || *row.best_response == Response::PR) ? 1 : 0;
    }
    out.subjects.push_back(std::move(row));
  }
  estimate(out.os);
  estimate(out.efs);
  estimate(out.dfs);
  out.efs_12_months = out.efs.at_months(kPrimaryEndpointMonths);
  out.mpr = rate_of(mpr, with_pathology);
  out.orr = rate_of(responders, assessed);
  return out;
}

}  // namespace pvmon::safety
