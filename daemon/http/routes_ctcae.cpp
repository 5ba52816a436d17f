// The CTCAE v5.0 dictionary over HTTP: term search, whole entries and lab grading. Read-only
// and stateless: every route answers from the embedded dictionary, for any authenticated caller.
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/ctcae.hpp"
#include "pvmon/fields.hpp"
#include "routes.hpp"

namespace pvmon::http {

namespace ct = pvmon::ctcae;
using config::Role;
using nlohmann::json;

namespace {

constexpr std::size_t kDefaultLimit = 5;
constexpr std::size_t kMaxLimit = 20;
constexpr std::size_t kMaxQuery = 200;

// Study protocol terms are not served here: these routes describe CTCAE itself, the same for
// every study. The dictionary is immutable after construction, so one instance serves every
// worker thread.
const ct::Resolver& resolver() {
  static const ct::Resolver r;
  return r;
}

json search_item(const ct::Term& t, double score, std::string_view via) {
  return {{"meddra_code", std::string(t.meddra_code)},
          {"term", std::string(t.term)},
          {"soc", std::string(t.soc)},
          {"score", std::round(score * 1000.0) / 1000.0},  // ranks, not measurements
          {"via", std::string(via)}};
}

}  // namespace

/// GET /v1/ctcae/terms (and the desk's term search): the ranked answer to the request's `q` and `limit`.
Result<json> ctcae_term_search(const Request& req) {
  std::vector<FieldError> errs;
  const std::string q = req.has_param("q") ? req.param("q") : std::string();
  // Matching ignores everything but letters and digits, so "  " or "--" asks for nothing.
  if (ct::normalize_key(q).empty())
    errs.push_back({"q", "is required: a term, synonym or MedDRA code to look up"});
  else if (q.size() > kMaxQuery)
    errs.push_back({"q", "is longer than " + std::to_string(kMaxQuery) + " characters"});
  std::size_t limit = kDefaultLimit;
  if (auto n = int_param(req, "limit", 1, static_cast<std::int64_t>(kMaxLimit), errs))
    limit = static_cast<std::size_t>(*n);
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");

  json items = json::array();
  const ct::Resolution res = resolver().resolve(q, limit);
  const ct::Term* matched = nullptr;
  if (res.match) {
    const ct::Match& m = *res.match;
    matched = m.term;
    // Code, exact and synonym matches are certain, not ranked: score 1.
    json item = search_item(*m.term, 1.0, m.synonym.empty() ? m.term->term : m.synonym);
    item["match"] = std::string(ct::to_string(m.kind));
    if (!m.synonym.empty()) item["synonym"] = std::string(m.synonym);
    items.push_back(std::move(item));
  }
  // A resolved query still lists its neighbours (a site may have meant one of them); the
  // resolver only suggests when nothing resolved, so ask for suggestions explicitly.
  const auto suggestions = res.match ? resolver().suggest(q, limit) : res.suggestions;
  for (const ct::Suggestion& s : suggestions) {
    if (items.size() >= limit) break;
    if (s.term == matched) continue;
    items.push_back(search_item(*s.term, s.score, s.via));
  }
  return json(
      {{"query", q}, {"version", std::string(ct::kVersion)}, {"items", std::move(items)}});
}

/// GET /v1/ctcae/terms/{meddra_code} (and the desk's grades of a chosen term): one whole entry.
Result<json> ctcae_term_entry(const std::string& meddra_code) {
  const ct::Term* t = resolver().find_code(meddra_code);
  if (!t)
    return Error::field(Errc::not_found, "meddra_code",
                        "no CTCAE v5.0 term with MedDRA code '" + meddra_code + "'");
  json grades = json::object();
  for (int g : t->allowed_grades())
    grades[std::to_string(g)] = std::string(t->grades[static_cast<std::size_t>(g - 1)]);
  return json(
      {{"meddra_code", std::string(t->meddra_code)},
       {"term", std::string(t->term)},
       {"soc", std::string(t->soc)},
       {"grades", std::move(grades)},
       {"allowed_grades", t->allowed_grades()},
       {"definition", std::string(t->definition)},
       {"navigational_note",
        t->navigational_note.empty() ? json(nullptr) : json(std::string(t->navigational_note))},
       {"other_specify", t->other_specify},
       {"version", std::string(ct::kVersion)}});
}

namespace {

Result<Reply> search_terms(Call& c) {
  auto out = ctcae_term_search(c.req);
  if (!out) return out.error();
  return json_reply(200, std::move(out.value()));
}

Result<Reply> get_term(Call& c) {
  auto out = ctcae_term_entry(c.params[0]);
  if (!out) return out.error();
  return json_reply(200, std::move(out.value()));
}

// The body of POST /v1/ctcae/grade as a LabInput; every problem is collected in `errs`.
ct::LabInput read_lab(const json& body, std::vector<FieldError>& errs) {
  ct::LabInput in;
  if (!body.is_object()) {
    errs.push_back({"body", "must be a JSON object"});
    return in;
  }
  constexpr double kAny = std::numeric_limits<double>::max();  // ranges are grade_lab's call
  FieldReader r(body, "", errs);
  in.test = r.string("test", true).value_or("");
  in.unit = r.string("unit", false, 40).value_or("");
  in.uln = r.number("uln", false, -kAny, kAny);
  in.lln = r.number("lln", false, -kAny, kAny);
  in.baseline = r.number("baseline", false, -kAny, kAny);
  in.baseline_abnormal = r.boolean("baseline_abnormal", false).value_or(false);
  in.on_anticoagulation = r.boolean("on_anticoagulation", false).value_or(false);
  in.systolic = r.number("systolic", false, -kAny, kAny);
  in.diastolic = r.number("diastolic", false, -kAny, kAny);
  // Hypertension is graded from the pressures alone; every other test needs a value, which
  // for a urine dipstick may be the reading as written ("2+").
  const bool pressure = in.systolic || in.diastolic;
  if (const json* v = r.get("value", !pressure)) {
    if (v->is_number() && std::isfinite(v->get<double>())) {
      in.value = v->get<double>();
    } else if (auto d = v->is_string() ? ct::parse_dipstick(v->get_ref<const std::string&>())
                                       : std::nullopt) {
      in.value = *d;
    } else {
      r.error("value", "must be a number (or a dipstick reading such as \"2+\")");
    }
  }
  r.finish();
  return in;
}

Result<Reply> grade(Call& c) {
  auto body = json_body(c.req);
  if (!body) return body.error();
  std::vector<FieldError> errs;
  const ct::LabInput in = read_lab(body.value(), errs);
  if (!errs.empty()) return Error::invalid(std::move(errs));
  auto g = ct::grade_lab(in);
  if (!g) {
    // grade_lab names fields as they sit in an AE report ("lab.uln"); here the lab object is
    // the whole body.
    Error e = g.error();
    for (FieldError& f : e.fields) {
      if (f.field.rfind("lab.", 0) == 0) f.field.erase(0, 4);
      // The library's "unit '' is not accepted" reads oddly when no unit was sent; keep its
      // list of accepted units.
      if (f.field == "unit" && in.unit.empty()) {
        const auto list = f.message.find("use one of");
        f.message =
            "is required" + (list == std::string::npos ? "" : "; " + f.message.substr(list));
        if (e.fields.size() == 1) e.message = "unit " + f.message;
      }
    }
    return e;
  }
  const ct::LabGrade& lg = g.value();
  return json_reply(200, {{"meddra_code", std::string(lg.term->meddra_code)},
                     {"term", std::string(lg.term->term)},
                     {"grade", lg.grade},
                     {"criterion", lg.criterion},
                     {"basis", lg.basis},
                     {"version", std::string(ct::kVersion)},
                     {"is_ae", lg.grade > 0}});
}

}  // namespace

// Services are unused: the dictionary is compiled in and the same for every study.
std::vector<RouteDef> ctcae_routes(Services&) {
  const std::vector<Role> anyone{Role::site, Role::officer, Role::dsmb, Role::admin};
  return {
      {"GET", "/v1/ctcae/terms", anyone, search_terms},
      {"GET", "/v1/ctcae/terms/{meddra_code}", anyone, get_term},
      {"POST", "/v1/ctcae/grade", anyone, grade},
  };
}

}  // namespace pvmon::http
