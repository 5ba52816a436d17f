#include "version_facts.hpp"

#include "pvmon/safety/ae_facts.hpp"

namespace pvmon::store {

using nlohmann::json;

namespace {

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::optional<std::string> text_of(const json* j) {
  if (j && j->is_string()) return j->get<std::string>();
  return std::nullopt;
}

bool is_true(const json* j) { return j && j->is_boolean() && j->get<bool>(); }

void append(std::optional<std::string>& list, std::string_view item) {
  if (!list) list.emplace();
  else list->push_back(',');
  list->append(item);
}

}  // namespace

VersionFacts version_facts(const json& record) {
  VersionFacts f;
  if (const json* g = member(record, "grade"); g && g->is_number_integer()) f.grade = g->get<std::int64_t>();
  const json* ct = member(record, "ctcae");
  if (ct) {
    f.meddra_code = text_of(member(*ct, "meddra_code"));
    f.term = text_of(member(*ct, "term"));
    f.soc = text_of(member(*ct, "soc"));
    f.protocol_term = is_true(member(*ct, "protocol_term"));
  }
  f.onset = text_of(member(record, "onset"));
  f.resolved = text_of(member(record, "resolved"));
  f.outcome = text_of(member(record, "outcome"));
  if (const json* s = member(record, "safety")) {
    f.serious = is_true(member(*s, "serious"));
    f.susar = is_true(member(*s, "susar"));
    f.fatal_or_life_threatening = is_true(member(*s, "fatal_or_life_threatening"));
    if (const json* c = member(*s, "criteria"); c && c->is_array())
      for (const auto& x : *c)
        if (x.is_string())
          for (std::size_t i = 0; i < safety::kSeriousnessCriteria.size(); ++i)
            if (x.get_ref<const std::string&>() == safety::kSeriousnessCriteria[i]) f.criteria |= 1 << i;
    if (const json* r = member(*s, "related_to"); r && r->is_array())
      for (const auto& x : *r)
        if (x.is_string()) append(f.related_to, x.get_ref<const std::string&>());
    if (const json* p = member(*s, "products"); p && p->is_array())
      for (const auto& x : *p) {
        const json* iv = member(x, "intervention");
        if (!iv || !iv->is_string()) continue;
        append(f.expected, iv->get_ref<const std::string&>() + (is_true(member(x, "expected")) ? "=1" : "=0"));
      }
  }
  if (const json* c = member(record, "causality"); c && c->is_object())
    for (auto it = c->begin(); it != c->end(); ++it)
      if (it->is_string()) append(f.causality, it.key() + "=" + it->get_ref<const std::string&>());
  if (const json* a = member(record, "action_taken"); a && (a->is_object() || a->is_array()))
    for (const auto& x : *a)
      if (x.is_string() && x.get_ref<const std::string&>() == "drug_withdrawn") f.drug_withdrawn = true;
  if (const json* a = member(record, "action_taken"); a && a->is_object())
    for (auto it = a->begin(); it != a->end(); ++it)
      if (it->is_string()) append(f.action_taken, it.key() + "=" + it->get_ref<const std::string&>());
  f.verbatim = text_of(member(record, "verbatim"));
  f.reported_term = text_of(member(record, "term"));
  return f;
}

void insert_version(Db& db, std::int64_t report, int version, std::string_view kind,
                    std::string_view recorded_at, std::string_view recorded_by,
                    std::string_view text, const VersionFacts& f) {
  auto st = db.cached(
      "INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record, grade, "
      "meddra_code, term, soc, protocol_term, onset, resolved, outcome, serious, susar, "
      "fatal_or_life_threatening, criteria, related_to, causality, expected, drug_withdrawn, "
      "verbatim, reported_term, action_taken) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  st.bind(1, report)
      .bind(2, version)
      .bind(3, kind)
      .bind(4, recorded_at)
      .bind(5, recorded_by)
      .bind(6, text)
      .bind(7, f.grade)
      .bind(8, f.meddra_code)
      .bind(9, f.term)
      .bind(10, f.soc)
      .bind(11, f.protocol_term ? 1 : 0)
      .bind(12, f.onset)
      .bind(13, f.resolved)
      .bind(14, f.outcome)
      .bind(15, f.serious ? 1 : 0)
      .bind(16, f.susar ? 1 : 0)
      .bind(17, f.fatal_or_life_threatening ? 1 : 0)
      .bind(18, f.criteria)
      .bind(19, f.related_to)
      .bind(20, f.causality)
      .bind(21, f.expected)
      .bind(22, f.drug_withdrawn ? 1 : 0)
      .bind(23, f.verbatim)
      .bind(24, f.reported_term)
      .bind(25, f.action_taken)
      .run();
}

}  // namespace pvmon::store
