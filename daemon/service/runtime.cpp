// The config in force and what is derived from it: term resolvers, stopping boundaries.
#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

Result<std::shared_ptr<const Runtime>> make_runtime(config::Config c) {
  auto rt = std::make_shared<Runtime>();
  for (const auto& [id, study] : c.studies) {
    std::vector<ctcae::ProtocolTermDef> defs;
    for (const auto& t : study.protocol_terms) {
      ctcae::ProtocolTermDef d{t.code, t.term, t.synonyms, {}, t.definition};
      for (std::size_t g = 0; g < 5 && g < t.grades.size(); ++g) d.grades[g] = t.grades[g];
      defs.push_back(std::move(d));
    }
    auto r = ctcae::Resolver::with_protocol_terms(std::move(defs));
    if (!r) return Error::of(Errc::invalid, study.source + ": " + r.error().message);
    rt->resolvers.emplace(id, std::make_shared<const ctcae::Resolver>(std::move(r.value())));
    auto& bounds = rt->boundaries[id];
    for (const auto& rule : study.rules.stopping) {
      Boundary b{rule, {}, {}, 0, std::nullopt};
      if (rule.method == safety::StoppingMethod::pocock) {
        auto t = stats::toxicity_boundary({rule.n_max, rule.p_lo, rule.p_hi, rule.alpha, rule.shape, {}, {}});
        if (!t) return Error::of(Errc::invalid, study.source + ": stopping rule " + rule.id + ": " + t.error().message);
        b.rows = t->rows;
        b.oc = t->oc;
        b.type1_error = t->type1_error;
        b.power = t->power;  // at p_hi, the rate the design must stop for
      } else {
        auto t = stats::bayes_boundary({rule.prior_a, rule.prior_b, rule.p0, rule.cutoff, rule.n_max, {}, {}, 0});
        if (!t) return Error::of(Errc::invalid, study.source + ": stopping rule " + rule.id + ": " + t.error().message);
        b.rows = t->rows;
        b.oc = t->oc;
        b.type1_error = t->type1_error;
        // Thall & Simon's rule as configured has no alternative rate: its power is not
        // applicable, not 0 (issue 17).
      }
      bounds.push_back(std::move(b));
    }
  }
  rt->config = std::make_shared<const config::Config>(std::move(c));
  return std::shared_ptr<const Runtime>(std::move(rt));
}

}  // namespace pvmon::service
