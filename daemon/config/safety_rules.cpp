#include "safety_rules.hpp"
#include "pvmon/ctcae.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace pvmon::config {

using nlohmann::json;

namespace {


std::vector<std::string> strings(FieldReader& r, const std::string& key,
                                 std::vector<FieldError>& errs) {
  std::vector<std::string> out;
  const json* arr = r.get(key, false);
  if (!arr) return out;
  if (!arr->is_array()) {
    r.error(key, "must be an array of strings");
    return out;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const json& v = (*arr)[i];
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > 200)
      errs.push_back({r.path(key) + "." + std::to_string(i),
                      "must be a non-empty string of at most 200 characters"});
    else
      out.push_back(v.get<std::string>());
  }
  return out;
}

// Interventions a rule names must exist in the study (when the caller knows them).
void check_interventions(FieldReader& r, const std::string& key,
                         const std::vector<std::string>& named,
                         const std::vector<std::string>& known, std::vector<FieldError>& errs) {
  if (known.empty()) return;
  for (std::size_t i = 0; i < named.size(); ++i)
    if (std::find(known.begin(), known.end(), named[i]) == known.end())
      errs.push_back({r.path(key) + "." + std::to_string(i),
                      "'" + named[i] + "' is not an intervention of this study"});
}

// A probability strictly between 0 and 1 (a rate of 0 or 1 makes every boundary degenerate).
std::optional<double> open_unit(FieldReader& r, const std::string& key, bool required) {
  auto v = r.number(key, required, 0, 1);
  if (v && (*v <= 0 || *v >= 1)) {
    r.error(key, "must be strictly between 0 and 1");
    return std::nullopt;
  }
  return v;
}

void unique_id(FieldReader& item, const std::string& id, std::set<std::string>& seen) {
  if (!id.empty() && !seen.insert(id).second) item.error("id", "is a duplicate");
}

}  // namespace

void parse_safety_rules(FieldReader& r, const std::string& key, safety::StudyRules& out,
                        std::vector<FieldError>& errs,
                        const std::vector<std::string>& known_interventions) {
  const json* obj = r.get(key, false);
  if (!obj) return;
  if (!obj->is_object()) {
    r.error(key, "must be an object");
    return;
  }
  FieldReader sr(*obj, r.path(key), errs);
  if (auto v = sr.integer("clock_warning_hours", false, 1, 24 * 15))
    out.clock_warning_hours = int(*v);
  if (auto v = sr.integer("vital_status_grace_days", false, 0, 365))
    out.vital_status_grace_days = int(*v);
  // The liver rules (safety/labs.hpp): FDA's multiples by default (2009 DILI guidance).
  if (const json* h = sr.get("hys_law", false)) {
    if (!h->is_object()) {
      sr.error("hys_law", "must be an object");
    } else {
      FieldReader hr(*h, sr.path("hys_law"), errs);
      if (auto v = hr.number("transaminase_x", false, 1, 100)) out.hys_law.transaminase_x = *v;
      if (auto v = hr.number("bilirubin_x", false, 1, 100)) out.hys_law.bilirubin_x = *v;
      if (auto v = hr.number("alp_x", false, 1, 100)) out.hys_law.alp_x = *v;
      if (auto v = hr.integer("window_days", false, 0, 30)) out.hys_law.window_days = int(*v);
      hr.finish();
    }
  }
  if (const json* l = sr.get("lab_without_ae", false)) {
    if (!l->is_object()) {
      sr.error("lab_without_ae", "must be an object");
    } else {
      FieldReader lr(*l, sr.path("lab_without_ae"), errs);
      if (auto v = lr.integer("min_grade", false, 1, 4)) out.lab_without_ae.min_grade = int(*v);
      if (auto v = lr.integer("window_days", false, 0, 60)) out.lab_without_ae.window_days = int(*v);
      // Per analyte: {"Platelet count decreased": 4, ...}, by CTCAE v5.0 term name.
      if (const json* by = lr.get("min_grade_by_term", false)) {
        if (!by->is_object()) {
          lr.error("min_grade_by_term", "must be an object of CTCAE term names to grades");
        } else {
          for (const auto& [term, g] : by->items()) {
            const std::string path = "min_grade_by_term." + term;
            if (ctcae::find_term(term) == nullptr)
              lr.error(path, "is not a CTCAE v5.0 term name");
            else if (!g.is_number_integer() || g.get<int>() < 1 || g.get<int>() > 4)
              lr.error(path, "must be a grade from 1 to 4");
            else
              out.lab_without_ae.min_grade_by_term[term] = g.get<int>();
          }
        }
      }
      lr.finish();
    }
  }

  std::set<std::string> aesi_ids;
  sr.each("aesi", false, [&](FieldReader& item) {
    safety::AesiRule a;
    if (auto v = item.id("id", true, 64)) a.id = *v;
    a.terms = strings(item, "terms", errs);
    a.socs = strings(item, "socs", errs);
    if (a.terms.empty() && a.socs.empty() && !item.get("terms", false) && !item.get("socs", false))
      item.error("terms", "is required unless socs is given");
    else if (a.terms.empty() && a.socs.empty())
      item.error("terms", "terms or socs must name at least one term or SOC");
    if (auto v = item.integer("min_grade", false, 1, 5)) a.min_grade = int(*v);
    a.interventions = strings(item, "interventions", errs);
    check_interventions(item, "interventions", a.interventions, known_interventions, errs);
    unique_id(item, a.id, aesi_ids);
    out.aesi.push_back(std::move(a));
  });

  std::set<std::string> cluster_ids;
  sr.each("clusters", false, [&](FieldReader& item) {
    safety::ClusterRule c;
    if (auto v = item.id("id", true, 64)) c.id = *v;
    if (auto v = item.string("term", true, 200)) c.term = *v;
    if (auto v = item.integer("min_grade", false, 1, 5)) c.min_grade = int(*v);
    // A cluster of one is every AE: at least two.
    if (auto v = item.integer("count", true, 2, 10000)) c.count = int(*v);
    if (auto v = item.integer("days", true, 1, 3660)) c.days = int(*v);
    unique_id(item, c.id, cluster_ids);
    out.clusters.push_back(std::move(c));
  });

  std::set<std::string> stop_ids;
  sr.each("stopping_rules", false, [&](FieldReader& item) {
    safety::StoppingRule s;
    if (auto v = item.id("id", true, 64)) s.id = *v;
    std::optional<safety::StoppingEvent> event;
    if (auto v = item.one_of("event", true,
                             std::vector<std::string>{"death_30d_post_surgery",
                                                      "grade3plus_related",
                                                      "clavien_dindo_3b_plus"}))
      event = safety::parse_stopping_event(*v);
    if (event) s.event = *event;
    s.interventions = strings(item, "interventions", errs);
    check_interventions(item, "interventions", s.interventions, known_interventions, errs);
    const bool related_event = event == safety::StoppingEvent::grade3plus_related;
    if (event && related_event && s.interventions.empty())
      item.error("interventions", "must name at least one intervention for grade3plus_related");
    if (event && !related_event && !s.interventions.empty())
      item.error("interventions", "is only used by the event grade3plus_related");
    const auto method = item.one_of("method", true, std::vector<std::string>{"pocock", "bayes"});
    if (method) s.method = *safety::parse_stopping_method(*method);
    if (auto v = item.integer("n_max", true, 1, 10000)) s.n_max = int(*v);

    const std::vector<std::string> pocock_keys = {"p_lo", "p_hi", "alpha", "shape"};
    const std::vector<std::string> bayes_keys = {"prior", "p0", "cutoff"};
    if (method && s.method == safety::StoppingMethod::pocock) {
      // Ivanova, Qaqish & Schell (2005): acceptable p_lo < unacceptable p_hi, type I error
      // alpha, shape delta (0 Pocock, 0.5 O'Brien-Fleming-like).
      auto lo = open_unit(item, "p_lo", true);
      auto hi = open_unit(item, "p_hi", true);
      if (lo) s.p_lo = *lo;
      if (hi) s.p_hi = *hi;
      if (lo && hi && *lo >= *hi) item.error("p_hi", "must be greater than p_lo");
      if (auto v = open_unit(item, "alpha", true)) s.alpha = *v;
      if (auto v = item.number("shape", false, 0, 1)) s.shape = *v;
      for (const auto& k : bayes_keys)
        if (item.get(k, false)) item.error(k, "is only used with method bayes");
    } else if (method && s.method == safety::StoppingMethod::bayes) {
      // Thall & Simon (1994): prior Beta(a, b), stop when P(p > p0 | data) > cutoff.
      if (const json* pr = item.get("prior", true)) {
        const bool ok = pr->is_array() && pr->size() == 2 &&
                        std::all_of(pr->begin(), pr->end(), [](const json& x) {
                          return x.is_number() && std::isfinite(x.get<double>()) &&
                                 x.get<double>() > 0 && x.get<double>() <= 1e6;
                        });
        if (!ok) {
          item.error("prior", "must be [a, b] with two positive numbers (a Beta(a, b) prior)");
        } else {
          s.prior_a = (*pr)[0].get<double>();
          s.prior_b = (*pr)[1].get<double>();
        }
      }
      if (auto v = open_unit(item, "p0", true)) s.p0 = *v;
      if (auto v = open_unit(item, "cutoff", true)) s.cutoff = *v;
      for (const auto& k : pocock_keys)
        if (item.get(k, false)) item.error(k, "is only used with method pocock");
    } else {
      // Method missing or wrong: mark the method's keys as read, the method error says it all.
      for (const auto& k : pocock_keys) item.get(k, false);
      for (const auto& k : bayes_keys) item.get(k, false);
    }
    unique_id(item, s.id, stop_ids);
    out.stopping.push_back(std::move(s));
  });
  sr.finish();
}

}  // namespace pvmon::config
