// Term resolution: code, exact, synonym, protocol terms, ambiguity and ranked suggestions.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>

#include "pvmon/ctcae.hpp"

namespace ct = pvmon::ctcae;

namespace {

const ct::Resolver& resolver() {
  static const ct::Resolver r;
  return r;
}

bool suggests(const ct::Resolution& r, std::string_view term) {
  return std::any_of(r.suggestions.begin(), r.suggestions.end(),
                     [&](const ct::Suggestion& s) { return s.term->term == term; });
}

// RCCEP and RILD as the study protocol defines them (CLINICAL.md, "Protocol-specific events").
std::vector<ct::ProtocolTermDef> study_terms() {
  ct::ProtocolTermDef rccep;
  rccep.code = "PROTO-RCCEP";
  rccep.term = "Reactive cutaneous capillary endothelial proliferation";
  rccep.synonyms = {"RCCEP", "capillary haemangioma"};
  rccep.grades = {"Nodules <= 10 mm", "Nodules > 10 mm or bleeding", "Widespread or infected", "", ""};
  rccep.definition = "Camrelizumab skin reaction";
  ct::ProtocolTermDef rild;
  rild.code = "PROTO-RILD";
  rild.term = "Radiation-induced liver disease";
  rild.synonyms = {"RILD"};
  rild.grades = {"", "", "Non-classic or classic RILD", "Liver failure", "Death"};
  return {rccep, rild};
}

}  // namespace

TEST_CASE("resolution by code, exact term and synonym") {
  auto r = resolver().resolve("10002272");
  REQUIRE(r.match);
  CHECK(r.match->kind == ct::MatchKind::code);
  CHECK(r.match->term->term == "Anemia");
  CHECK(resolver().resolve("  10002272 ").match->kind == ct::MatchKind::code);

  for (const char* text : {"Anemia", "ANEMIA", "  anemia ", "Palmar plantar erythrodysesthesia syndrome",
                           "palmar-plantar  erythro-dysesthesia SYNDROME", "rash maculopapular"}) {
    CAPTURE(text);
    auto e = resolver().resolve(text);
    REQUIRE(e.match);
    CHECK(e.match->kind == ct::MatchKind::exact);
    CHECK(e.match->synonym.empty());
    CHECK(e.suggestions.empty());
  }

  struct Case {
    const char* text;
    const char* term;
  };
  for (Case c : {Case{"ALT", "Alanine aminotransferase increased"}, Case{"sgot", "Aspartate aminotransferase increased"},
                 Case{"anaemia", "Anemia"}, Case{"Hand-Foot Syndrome", "Palmar-plantar erythrodysesthesia syndrome"},
                 Case{"HFSR", "Palmar-plantar erythrodysesthesia syndrome"}, Case{"high blood pressure", "Hypertension"},
                 Case{"throwing up", "Vomiting"}, Case{"tiredness", "Fatigue"},
                 Case{"thrombocytopenia", "Platelet count decreased"}, Case{"diarrhoea", "Diarrhea"},
                 Case{"Hyperkalaemia", "Hyperkalemia"}, Case{"low platelets", "Platelet count decreased"}}) {
    CAPTURE(c.text);
    auto s = resolver().resolve(c.text);
    REQUIRE(s.match);
    CHECK(s.match->kind == ct::MatchKind::synonym);
    CHECK(s.match->term->term == c.term);
  }
  CHECK(resolver().resolve("ALT").match->synonym == "ALT");
  CHECK(ct::to_string(ct::MatchKind::synonym) == "synonym");
}

TEST_CASE("every curated synonym resolves to an existing term, unambiguously") {
  auto syn = ct::synonyms();
  CHECK(syn.size() >= 150);
  std::map<std::string, std::string_view> keys;
  for (const ct::Term& t : ct::terms()) keys.emplace(ct::normalize_key(t.term), t.term);
  for (const ct::Synonym& s : syn) {
    CAPTURE(s.text);
    const ct::Term* target = ct::find_term(s.term);
    REQUIRE(target != nullptr);
    // A synonym must not equal another key: that would be two equally good matches.
    CHECK(keys.emplace(ct::normalize_key(s.text), s.term).second);
    auto r = resolver().resolve(s.text);
    REQUIRE(r.match);
    CHECK(r.match->kind == ct::MatchKind::synonym);
    CHECK(r.match->term == target);
    CHECK(r.match->synonym == s.text);
  }
}

TEST_CASE("ambiguous verbatims are never resolved silently") {
  // "chest pain" could be Chest pain - cardiac or Non-cardiac chest pain.
  auto r = resolver().resolve("chest pain");
  CHECK_FALSE(r.match);
  CHECK(suggests(r, "Chest pain - cardiac"));
  CHECK(suggests(r, "Non-cardiac chest pain"));
  // CTCAE v5.0 has only site-specific hemorrhage and mucositis terms.
  auto h = resolver().resolve("haemorrhage");
  CHECK_FALSE(h.match);
  CHECK(h.suggestions.size() >= 2);
  auto m = resolver().resolve("mucositis");
  CHECK_FALSE(m.match);
  CHECK(suggests(m, "Mucositis oral"));
  CHECK(suggests(m, "Rectal mucositis"));
  auto f = resolver().resolve_field("chest pain", "ae.term");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().fields.at(0).field == "ae.term");
  CHECK(f.error().fields.at(0).message.find("Non-cardiac chest pain (10062501)") != std::string::npos);
}

TEST_CASE("ranked suggestions for misspellings and paraphrases") {
  struct Case {
    const char* text;
    const char* top;
  };
  for (Case c : {Case{"fatige", "Fatigue"}, Case{"hypertenson", "Hypertension"},
                 Case{"alanine aminotransferase elevated", "Alanine aminotransferase increased"},
                 Case{"peripheral sensory neuropathie", "Peripheral sensory neuropathy"},
                 Case{"febrile neutropenic", "Febrile neutropenia"}, Case{"pneumonitis immune", "Pneumonitis"}}) {
    CAPTURE(c.text);
    auto r = resolver().resolve(c.text);
    CHECK_FALSE(r.match);
    REQUIRE_FALSE(r.suggestions.empty());
    CHECK(r.suggestions.size() <= 5);
    CHECK(r.suggestions[0].term->term == c.top);
    for (std::size_t i = 1; i < r.suggestions.size(); ++i) CHECK(r.suggestions[i - 1].score >= r.suggestions[i].score);
  }
  CHECK(resolver().resolve("qqqq zzzz").suggestions.empty());
  CHECK(resolver().resolve("").suggestions.empty());
  CHECK(resolver().suggest("nausea vomiting", 2).size() == 2);
  auto none = resolver().resolve_field("   ");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().fields.at(0).field == "term");
}

TEST_CASE("protocol terms resolve and are marked as protocol terms") {
  auto made = ct::Resolver::with_protocol_terms(study_terms());
  REQUIRE(made.ok());
  const ct::Resolver& r = *made;
  REQUIRE(r.protocol_terms().size() == 2);
  for (const char* text : {"RCCEP", "PROTO-RCCEP", "reactive cutaneous capillary endothelial proliferation",
                           "Capillary Haemangioma"}) {
    CAPTURE(text);
    auto m = r.resolve(text);
    REQUIRE(m.match);
    CHECK(m.match->kind == ct::MatchKind::protocol);
    CHECK(m.match->term->protocol);
    CHECK(m.match->term->meddra_code == "PROTO-RCCEP");
  }
  CHECK(r.resolve("capillary haemangioma").match->synonym == "capillary haemangioma");
  const ct::Term* rild = r.find_code("PROTO-RILD");
  REQUIRE(rild);
  CHECK(rild->allowed_grades() == std::vector<int>{3, 4, 5});
  CHECK(ct::allowed_grades_text(*rild) == "grades 3, 4, 5 only");
  CHECK(r.find_code("10002272")->term == "Anemia");  // the dictionary is still there
  CHECK(r.resolve("ALT").match->kind == ct::MatchKind::synonym);
  // A misspelt protocol term is suggested, not resolved.
  auto s = r.resolve("radiation induced liver diseas");
  CHECK_FALSE(s.match);
  REQUIRE_FALSE(s.suggestions.empty());
  CHECK(s.suggestions[0].term == rild);
  // Moving the resolver keeps its terms valid.
  ct::Resolver moved = std::move(*made);
  CHECK(moved.resolve("RILD").match->term->term == "Radiation-induced liver disease");
}

TEST_CASE("protocol terms that would be ambiguous are rejected") {
  auto defs = study_terms();
  defs[0].synonyms.push_back("ALT");  // already an ALT synonym
  auto r1 = ct::Resolver::with_protocol_terms(defs);
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.error().fields.at(0).field == "protocol_terms[0].synonyms[2]");

  defs = study_terms();
  defs[1].synonyms.push_back("rccep");  // RCCEP's synonym, differently written
  auto r2 = ct::Resolver::with_protocol_terms(defs);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().fields.at(0).field == "protocol_terms[1].synonyms[1]");

  defs = study_terms();
  defs[0].term = "Fatigue";  // a CTCAE term name
  CHECK_FALSE(ct::Resolver::with_protocol_terms(defs).ok());

  defs = study_terms();
  defs[0].code = "10002272";  // a MedDRA code
  CHECK_FALSE(ct::Resolver::with_protocol_terms(defs).ok());

  defs = study_terms();
  defs[1].grades = {};
  auto r3 = ct::Resolver::with_protocol_terms(defs);
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().fields.at(0).field == "protocol_terms[1].grades");
}

TEST_CASE("Other, specify terms require a verbatim") {
  auto r = resolver().resolve("Cardiac disorders - Other, specify");
  REQUIRE(r.match);
  CHECK(r.match->verbatim_required());
  auto missing = ct::check_verbatim(*r.match->term, "  ");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().fields.at(0).field == "verbatim");
  CHECK(ct::check_verbatim(*r.match->term, "bundle branch block").ok());
  const ct::Term& fatigue = *ct::find_term("Fatigue");
  CHECK(ct::check_verbatim(fatigue, "").ok());
  CHECK_FALSE(resolver().resolve("Fatigue").match->verbatim_required());
}
