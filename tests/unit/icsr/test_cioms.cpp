// The CIOMS I form of a worked case (S01-0007, ALT increased grade 3, hospitalised, on
// camrelizumab and apatinib): each numbered field found by its id and read for its label and
// value, the seriousness boxes as the case sets them, a death, a follow-up and a nullification,
// the dechallenge answers, escaping, and no external asset. The page is parsed as XML
// (libxml2), so every test also proves it well-formed: every tag closed, every text escaped.
#include <doctest/doctest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "pvmon/icsr.hpp"

using namespace pvmon;
using namespace pvmon::icsr;

namespace {

Date d(const char* s) { return parse_date(s).value(); }

Drug drug(DrugRole role, const char* name, double dose, const char* unit, const char* route, const char* start,
          const char* end, DrugAction action, std::vector<Causality> causality = {}) {
  Drug x;
  x.role = role;
  x.name = name;
  x.dose = dose;
  x.dose_unit = unit;
  x.route = route;
  if (*start) x.start = d(start);
  if (*end) x.end = d(end);
  x.action = action;
  x.causality = std::move(causality);
  return x;
}

/// The worked case of the brief: subject S01-0007, male, 58; ALT increased (MedDRA LLT
/// 10001551) grade 3 from 2026-10-02, ALT 250 U/L with ULN 40 (6.25 x ULN: CTCAE v5.0 grade 3 is
/// >5.0-20.0 x ULN); hospitalised; camrelizumab 200 mg IV (withdrawn) and apatinib 250 mg oral
/// (dose reduced) suspect, entecavir concomitant; recovering.
Case worked() {
  Case c;
  c.batch_id = "B-2026-0042";
  c.message_id = "M-2026-0042";
  c.created = parse_timestamp("2026-10-05T09:30:00Z").value();
  c.safety_report_id = "CN-EXAMPLE-HCC01-S01-0007-AE-003";
  c.worldwide_case_id = c.safety_report_id;
  c.first_received = d("2026-10-03");
  c.most_recent = d("2026-10-03");
  c.primary_source_country = "CN";
  c.reporter_organisation = "Site S01";
  c.reporter_country = "CN";
  c.sender_organisation = "Example Sponsor Co., Ltd.";
  c.sender_country = "CN";
  c.sender_department = "Pharmacovigilance";
  c.sender_street = "1 Example Road";
  c.sender_city = "Shanghai";
  c.sender_postcode = "200000";
  c.sender_telephone = "+86 21 0000 0000";
  c.sender_email = "safety@example.invalid";
  c.sender_given_name = "Wei";
  c.sender_family_name = "Zhang";
  c.registration_number = "NCT01234567";
  c.registration_country = "CN";
  c.study_name = "HCC-PVTT-IMRT";
  c.sponsor_study_number = "HCC01";
  c.subject = "S01-0007";
  c.age_years = 58;
  c.sex = "M";
  c.medical_history = "Chronic hepatitis B since 2015.\nHCC with PVTT (Cheng type II).";
  Reaction& r = c.reaction;
  r.id = "r1";
  r.verbatim = "ALT raised";
  r.meddra_code = "10001551";
  r.term = "Alanine aminotransferase increased";
  r.grade = 3;
  r.hospitalization = true;
  r.start = d("2026-10-02");
  r.outcome = Outcome::recovering;
  r.country = "CN";
  LabTest alt;
  alt.name = "Alanine aminotransferase";
  alt.date = d("2026-10-02");
  alt.value = 250;
  alt.unit = "U/L";
  alt.high = 40;
  alt.comment = "6.25 x ULN";
  c.labs.push_back(alt);
  c.drugs.push_back(drug(DrugRole::suspect, "camrelizumab", 200, "mg", "intravenous", "2026-09-03", "2026-10-02",
                         DrugAction::withdrawn,
                         {{"r1", "Investigator", "Global Introspection", "probable"},
                          {"r1", "Sponsor", "Global Introspection", "possible"}}));
  c.drugs.push_back(drug(DrugRole::suspect, "apatinib", 250, "mg", "oral", "2026-09-03", "", DrugAction::dose_reduced,
                         {{"r1", "Investigator", "Global Introspection", "possible"}}));
  c.drugs.push_back(
      drug(DrugRole::concomitant, "entecavir", 0.5, "mg", "oral", "2025-06-01", "", DrugAction::dose_not_changed));
  c.narrative = "Grade 3 ALT increase on day 30 of treatment; admitted for monitoring.";
  return c;
}

std::string squeeze(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (!o.empty() && o.back() != ' ') o += ' ';
    } else {
      o += ch;
    }
  }
  if (!o.empty() && o.back() == ' ') o.pop_back();
  return o;
}

/// Elements a browser lays out as blocks (or cells, or line breaks): their text is set apart.
bool block(const xmlNode* n) {
  static const std::set<std::string> kBlocks = {"br", "div", "p", "ul", "li", "dl", "dt", "dd", "table", "thead",
                                                "tbody", "tr", "th", "td", "h1", "h2", "h3", "header", "footer",
                                                "section", "title", "style"};
  return kBlocks.count(reinterpret_cast<const char*>(n->name)) > 0;
}

/// A node's text as a reader sees it: blocks apart, inline elements run on.
std::string text(xmlNode* n) {
  if (n->type != XML_ELEMENT_NODE && n->type != XML_DOCUMENT_NODE) {
    xmlChar* t = xmlNodeGetContent(n);
    std::string s = t ? reinterpret_cast<const char*>(t) : "";
    xmlFree(t);
    return s;
  }
  std::string s;
  for (xmlNode* k = n->children; k; k = k->next) {
    if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
      s += reinterpret_cast<const char*>(k->content);
    } else if (k->type == XML_ELEMENT_NODE) {
      const bool b = block(k);
      s += b ? " " + text(k) + " " : text(k);
    }
  }
  return s;
}

/// The page parsed as XML: a parse that fails is a page that is not well-formed.
class Page {
 public:
  explicit Page(const std::string& html)
      : doc_(xmlReadMemory(html.data(), static_cast<int>(html.size()), "cioms.html", "UTF-8",
                           XML_PARSE_NONET)) {}
  ~Page() { xmlFreeDoc(doc_); }
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;
  bool ok() const { return doc_ != nullptr; }

  /// The text content of each node the expression selects, whitespace squeezed.
  std::vector<std::string> all(const std::string& expr) const {
    std::vector<std::string> out;
    if (!doc_) return out;
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc_);
    xmlXPathObjectPtr r = xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(expr.c_str()), ctx);
    if (r && r->nodesetval)
      for (int i = 0; i < r->nodesetval->nodeNr; ++i) out.push_back(squeeze(text(r->nodesetval->nodeTab[i])));
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(ctx);
    return out;
  }
  /// The text of the one node selected; "<none>" or "<several>" otherwise.
  std::string one(const std::string& expr) const {
    const auto v = all(expr);
    return v.size() == 1 ? v[0] : v.empty() ? "<none>" : "<several>";
  }
  /// The whole text of the element with this id (its label and its value).
  std::string field(const std::string& id) const { return one("//*[@id='" + id + "']"); }
  /// A field's value alone (a field box's value part; a table row's cells).
  std::string value(const std::string& id) const { return one("//*[@id='" + id + "']/div[@class='value']"); }
  std::string label(const std::string& id) const { return one("//*[@id='" + id + "']//*[@class='label']"); }
  /// The box of the choice with this id: "checked" or "not checked".
  std::string box(const std::string& id) const { return one("//*[@id='" + id + "']/span[@role='img']/@aria-label"); }

 private:
  xmlDocPtr doc_;
};

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("cioms: the worked case renders each numbered field with its label and value") {
  const std::string html = cioms_html(worked());
  const Page p(html);
  REQUIRE(p.ok());

  // Field boxes: id, the label as on the form, the value.
  struct Row {
    const char* id;
    const char* label;
    std::vector<std::string> values;
  };
  const std::vector<Row> boxes = {
      {"f1", "1. Patient initials (first, last)", {"S01-0007", "pseudonymous subject id"}},
      {"f1a", "1a. Country", {"CN"}},
      {"f2", "2. Date of birth", {"not collected", "age in 2a"}},
      {"f2a", "2a. Age", {"58 years"}},
      {"f3", "3. Sex", {"Male"}},
      {"f4-6", "4-6 Reaction onset", {"Day Month Year 02 Oct 2026"}},
      {"f7-13",
       "7 + 13 Describe reaction(s) (including relevant tests/lab data)",
       {"Reported term (verbatim) ALT raised", "CTCAE v5.0 term Alanine aminotransferase increased, grade 3",
        "MedDRA LLT 10001551 (MedDRA 20.1)", "Onset 2026-10-02", "End not reported", "Outcome recovering/resolving",
        "Grade 3 ALT increase on day 30 of treatment; admitted for monitoring."}},
      {"f8-12", "8-12 Check all appropriate to adverse reaction", {"Patient died", "Life threatening"}},
      {"f22",
       "22. Concomitant drug(s) and dates of administration (exclude those used to treat reaction)",
       {"entecavir 0.5 mg oral 2025-06-01 not reported"}},
      {"f23", "23. Other relevant history", {"Chronic hepatitis B since 2015. HCC with PVTT (Cheng type II)."}},
      {"f24a",
       "24a. Name and address of manufacturer",
       {"Example Sponsor Co., Ltd. Pharmacovigilance 1 Example Road 200000 Shanghai CN tel. +86 21 0000 0000 "
        "e-mail safety@example.invalid"}},
      {"f24b", "24b. MFR control no.", {"CN-EXAMPLE-HCC01-S01-0007-AE-003"}},
      {"f24c", "24c. Date received by manufacturer", {"2026-10-03"}},
      {"f24d", "24d. Report source", {"Study", "HCC-PVTT-IMRT; registration NCT01234567 (CN)", "Site S01 (CN)"}},
      {"f-date", "Date of this report", {"2026-10-05"}},
      {"f25a", "25a. Report type", {"Initial", "Follow-up", "version 1"}},
  };
  for (const Row& r : boxes) {
    CAPTURE(r.id);
    const std::string label = p.label(r.id), value = p.value(r.id);
    CHECK(has(label, r.label));
    for (const auto& v : r.values) {
      CAPTURE(v);
      CHECK(has(value, v));
    }
  }
  // 7 + 13: the lab with its value, unit and normal range, in its columns.
  CHECK(p.all("//*[@id='labs']/thead/tr/th") ==
        std::vector<std::string>{"Test", "Date", "Result", "Unit", "Normal low", "Normal high", "Comment"});
  CHECK(p.all("//*[@id='labs']/tbody/tr/*") == std::vector<std::string>{"Alanine aminotransferase", "2026-10-02",
                                                                        "250", "U/L", "not reported", "40",
                                                                        "6.25 x ULN"});

  // Section II: one row per field, one column per suspect drug (#1 camrelizumab, #2 apatinib);
  // the concomitant entecavir is not a suspect.
  struct Cells {
    const char* id;
    const char* label;
    const char* first;
    const char* second;
  };
  const std::vector<Cells> rows = {
      {"f14", "14. Suspect drug(s) (include generic name)", "camrelizumab", "apatinib"},
      {"f15", "15. Daily dose(s)", "200 mg", "250 mg"},
      {"f16", "16. Route(s) of administration", "intravenous", "oral"},
      {"f17", "17. Indication(s) for use", "HCC-PVTT-IMRT", "HCC-PVTT-IMRT"},
      {"f18", "18. Therapy dates (from/to)", "from 2026-09-03 to 2026-10-02", "from 2026-09-03 to not reported"},
      // 2026-09-03 to 2026-10-02, both days counted: 28 days of September, 2 of October.
      {"f19", "19. Therapy duration", "30 days", "unknown (start or end date not reported)"},
      {"f20", "20. Did reaction abate after stopping drug?", "action: drug withdrawn; outcome: recovering/resolving",
       "action: dose reduced; outcome: recovering/resolving"},
      {"f21", "21. Did reaction reappear after reintroduction?", "no reintroduction recorded",
       "no reintroduction recorded"},
      {"causality", "Causality assessment",
       "Investigator: probable (Global Introspection) Sponsor: possible (Global Introspection)",
       "Investigator: possible (Global Introspection)"},
      {"action", "Action taken with drug", "drug withdrawn", "dose reduced"},
  };
  CHECK(p.all("//table[@class='drugs']/thead/tr/th") ==
        std::vector<std::string>{"Field", "#1 Suspect drug", "#2 Suspect drug"});
  for (const Cells& r : rows) {
    CAPTURE(r.id);
    CHECK(has(p.label(r.id), r.label));
    const auto cells = p.all("//*[@id='" + std::string(r.id) + "']/td");
    REQUIRE(cells.size() == 2);
    CHECK(has(cells[0], r.first));
    CHECK(has(cells[1], r.second));
  }
  CHECK_FALSE(has(p.field("f14"), "entecavir"));
  // 20: camrelizumab was withdrawn and the ALT is coming down: yes. Apatinib was only reduced,
  // never stopped: NA. 21: no reintroduction recorded: NA for both.
  CHECK(p.box("f20-1-yes") == "checked");
  CHECK(p.box("f20-1-no") == "not checked");
  CHECK(p.box("f20-1-na") == "not checked");
  CHECK(p.box("f20-2-yes") == "not checked");
  CHECK(p.box("f20-2-na") == "checked");
  for (const char* id : {"f21-1", "f21-2"}) {
    CHECK(p.box(std::string(id) + "-yes") == "not checked");
    CHECK(p.box(std::string(id) + "-no") == "not checked");
    CHECK(p.box(std::string(id) + "-na") == "checked");
  }
  // 24d: a study case; 25a: initial, not follow-up; nothing says nullified or follow-up.
  CHECK(p.box("f24d-study") == "checked");
  for (const char* id : {"f24d-literature", "f24d-health-professional", "f24d-other"}) CHECK(p.box(id) == "not checked");
  CHECK(p.box("f25a-initial") == "checked");
  CHECK(p.box("f25a-followup") == "not checked");
  CHECK(p.all("//*[@id='nullified' or @id='f25a-nullified' or @id='followup']").empty());
  CHECK(p.one("/html/head/title") == "CIOMS I form CN-EXAMPLE-HCC01-S01-0007-AE-003 (initial report, version 1)");

  // Every id is unique, and nothing of the subject beyond the pseudonymous id appears.
  const auto ids = p.all("//@id");
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  CHECK(p.all("//*[@id='death']").empty());
  CHECK_FALSE(has(html, "Zhang"));
}

TEST_CASE("cioms: the seriousness boxes are checked exactly as the case says") {
  // E2B(R3) E.i.3.2a-f, each alone, then none and all.
  const std::vector<std::pair<const char*, bool Reaction::*>> criteria = {
      {"f8-12-died", &Reaction::death},
      {"f8-12-life-threatening", &Reaction::life_threatening},
      {"f8-12-hospitalisation", &Reaction::hospitalization},
      {"f8-12-disability", &Reaction::disability},
      {"f8-12-congenital-anomaly", &Reaction::congenital_anomaly},
      {"f8-12-medically-important", &Reaction::medically_important},
  };
  for (std::size_t set = 0; set <= criteria.size() + 1; ++set) {
    Case c = worked();
    for (std::size_t i = 0; i < criteria.size(); ++i)
      c.reaction.*criteria[i].second = set == i || set == criteria.size() + 1;
    const Page p(cioms_html(c));
    REQUIRE(p.ok());
    for (std::size_t i = 0; i < criteria.size(); ++i) {
      CAPTURE(set);
      CAPTURE(criteria[i].first);
      CHECK(p.box(criteria[i].first) == (set == i || set == criteria.size() + 1 ? "checked" : "not checked"));
    }
  }
  const Page p(cioms_html(worked()));
  CHECK(has(p.field("f8-12-hospitalisation"), "Involved or prolonged inpatient hospitalisation"));
  CHECK(has(p.field("f8-12-disability"), "Involved persistent or significant disability or incapacity"));
  CHECK(has(p.field("f8-12-congenital-anomaly"), "Congenital anomaly"));
  CHECK(has(p.field("f8-12-medically-important"), "medically important"));
}

TEST_CASE("cioms: a death shows its date and cause") {
  Case c = worked();
  c.reaction.death = true;
  c.reaction.grade = 5;
  c.reaction.outcome = Outcome::fatal;
  c.reaction.end = d("2026-10-09");
  c.death_date = d("2026-10-09");
  c.death_causes = {"Hepatic failure", "sepsis"};
  c.death_cause_codes = {"10019663", ""};
  const Page p(cioms_html(c));
  REQUIRE(p.ok());
  CHECK(p.box("f8-12-died") == "checked");
  CHECK(p.field("f8-12-died") == "X Patient died date 2026-10-09; cause: Hepatic failure; sepsis");
  CHECK(p.one("//*[@id='death']") ==
        "Date of death 2026-10-09 Reported cause(s) Hepatic failure (MedDRA 10019663); sepsis");
  CHECK(p.one("//*[@id='outcome']") == "fatal");
  // Withdrawn and the patient died: the reaction did not abate.
  CHECK(p.box("f20-1-no") == "checked");
  CHECK(p.box("f20-1-yes") == "not checked");

  // A death from another cause (not a criterion of this reaction) is shown, the box left empty.
  c.reaction.death = false;
  const Page q(cioms_html(c));
  CHECK(q.box("f8-12-died") == "not checked");
  CHECK(q.field("f8-12-died") == "Patient died");
  CHECK(has(q.one("//*[@id='death']"), "2026-10-09"));

  // Death ticked but not yet dated.
  c.reaction.death = true;
  c.death_date.reset();
  c.death_causes.clear();
  c.death_cause_codes.clear();
  const Page r(cioms_html(c));
  CHECK(r.field("f8-12-died") == "X Patient died date not reported; cause: not reported");
}

TEST_CASE("cioms: a follow-up and a nullified case say so") {
  Case c = worked();
  c.followup = true;
  c.version = 2;
  c.most_recent = d("2026-10-08");
  {
    const Page p(cioms_html(c));
    REQUIRE(p.ok());
    CHECK(p.box("f25a-initial") == "not checked");
    CHECK(p.box("f25a-followup") == "checked");
    CHECK(has(p.value("f25a"), "version 2"));
    CHECK(p.field("followup") ==
          "Follow-up report (version 2) of case CN-EXAMPLE-HCC01-S01-0007-AE-003, first received 2026-10-03");
    CHECK(has(p.value("f24c"), "2026-10-03 most recent information 2026-10-08"));
    CHECK(has(p.one("/html/head/title"), "follow-up report, version 2"));
    CHECK(p.all("//*[@id='nullified' or @id='f25a-nullified']").empty());
  }
  c.version = 3;
  c.nullified = true;
  c.nullification_reason = "Duplicate of S01-0007-AE-002";
  {
    const Page p(cioms_html(c));
    REQUIRE(p.ok());
    CHECK(p.field("nullified") ==
          "NULLIFIED: this report withdraws case CN-EXAMPLE-HCC01-S01-0007-AE-003. Reason: Duplicate of "
          "S01-0007-AE-002");
    CHECK(p.field("f25a-nullified") == "Nullified: Duplicate of S01-0007-AE-002");
    CHECK(p.box("f25a-followup") == "checked");
    CHECK(has(p.one("/html/head/title"), "follow-up report, version 3, nullified"));
    CHECK(has(p.one("//header"), "nullified"));
  }
  c.nullification_reason.clear();
  CHECK(Page(cioms_html(c)).field("f25a-nullified") == "Nullified: reason not reported");
}

TEST_CASE("cioms: the dechallenge (field 20) follows the action taken and the outcome") {
  struct Row {
    DrugAction action;
    Outcome outcome;
    const char* checked;  // "yes", "no", "na", or "" for none (unknown)
  };
  const std::vector<Row> rows = {
      {DrugAction::withdrawn, Outcome::recovered, "yes"},
      {DrugAction::withdrawn, Outcome::recovering, "yes"},
      {DrugAction::withdrawn, Outcome::recovered_with_sequelae, "yes"},
      {DrugAction::withdrawn, Outcome::not_recovered, "no"},
      {DrugAction::withdrawn, Outcome::fatal, "no"},
      {DrugAction::withdrawn, Outcome::unknown, ""},
      {DrugAction::dose_reduced, Outcome::recovered, "na"},
      {DrugAction::dose_increased, Outcome::not_recovered, "na"},
      {DrugAction::dose_not_changed, Outcome::recovered, "na"},
      {DrugAction::not_applicable, Outcome::recovered, "na"},
      {DrugAction::unknown, Outcome::recovered, ""},
  };
  for (const Row& r : rows) {
    Case c = worked();
    c.drugs[0].action = r.action;
    c.reaction.outcome = r.outcome;
    const Page p(cioms_html(c));
    REQUIRE(p.ok());
    CAPTURE(static_cast<int>(r.action));
    CAPTURE(static_cast<int>(r.outcome));
    for (std::string a : {"yes", "no", "na"}) CHECK(p.box("f20-1-" + a) == (a == r.checked ? "checked" : "not checked"));
    CHECK(p.all("//*[@id='f20-1']/div[@class='answer']") ==
          (*r.checked ? std::vector<std::string>{} : std::vector<std::string>{"unknown"}));
  }
}

TEST_CASE("cioms: text from the case is escaped") {
  Case c = worked();
  const std::string evil = "<script>alert('x')</script> & \"quoted\" <b>bold</b>";
  c.reaction.verbatim = evil;
  c.narrative = evil + "\nsecond line";
  c.sender_comment = evil;
  c.subject = "S01-<0007>";
  c.sender_organisation = "Smith & Sons <Pharma>";
  c.safety_report_id = "ID-\"}</style><script>x</script>";
  c.drugs[0].name = "camrelizumab <img src=x onerror=alert(1)>";
  c.drugs[0].causality[0].result = "<i>probable</i>";
  c.labs[0].name = "ALT & AST";
  c.labs[0].unit = "<U/L>";
  c.death_causes = {"<cause>"};
  c.medical_history = "allergy: <penicillin> & sulfa";
  c.sender_street = "<1 Main St>";
  c.nullified = true;
  c.nullification_reason = "</p><script>";
  const std::string html = cioms_html(c);
  CHECK_FALSE(has(html, "<script"));
  CHECK_FALSE(has(html, "<b>"));
  CHECK_FALSE(has(html, "<i>"));
  CHECK_FALSE(has(html, "<img"));
  CHECK_FALSE(has(html, "<Pharma>"));
  CHECK_FALSE(has(html, "<cause>"));
  CHECK(has(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"));
  CHECK(has(html, "Smith &amp; Sons &lt;Pharma&gt;"));
  // The case id reaches the print header's CSS string as hex escapes, never closing it.
  CHECK(html.find("</style>") == html.rfind("</style>"));

  // Well-formed, and each text reads back exactly as given.
  const Page p(html);
  REQUIRE(p.ok());
  CHECK(p.one("//*[@id='verbatim']") == squeeze(evil));
  CHECK(p.one("//*[@id='narrative']") == squeeze(evil + " second line"));
  CHECK(p.one("//*[@id='sender-comment']") == squeeze(evil));
  CHECK(has(p.value("f1"), "S01-<0007>"));
  CHECK(has(p.value("f24a"), "Smith & Sons <Pharma>"));
  CHECK(has(p.value("f24a"), "<1 Main St>"));
  CHECK(p.value("f23") == "allergy: <penicillin> & sulfa");
  CHECK(has(p.value("f24b"), "ID-\"}</style><script>x</script>"));
  CHECK(has(p.one("//*[@id='f14-1']"), "camrelizumab <img src=x onerror=alert(1)>"));
  CHECK(has(p.one("//*[@id='causality-1']"), "Investigator: <i>probable</i>"));
  CHECK(p.all("//*[@id='labs']/tbody/tr/*")[0] == "ALT & AST");
  CHECK(p.all("//*[@id='labs']/tbody/tr/*")[3] == "<U/L>");
  CHECK(has(p.one("//*[@id='death']"), "<cause>"));
  CHECK(p.field("f25a-nullified") == "Nullified: </p><script>");
  CHECK(p.all("//script | //img | //b | //i").empty());
  CHECK(p.all("//style").size() == 1);
}

TEST_CASE("cioms: control characters and invalid UTF-8 become U+FFFD, other text is kept") {
  Case c = worked();
  c.narrative = std::string("a\x01") + "b\x7F" + "c\xC3" + "d\xED\xA0\x80" + "e\xC0\xAF" + "f\tg Zürich 肝";
  const std::string html = cioms_html(c);
  const Page p(html);
  REQUIRE(p.ok());
  CHECK(p.one("//*[@id='narrative']") == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                         "e\xEF\xBF\xBD\xEF\xBF\xBD" "f g Zürich 肝");
}

TEST_CASE("cioms: one self-contained page: no external asset, no script, printable, accessible") {
  for (Case c : {worked(), Case{}}) {
    const std::string html = cioms_html(c);
    std::string lower = html;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    for (const char* banned : {"http", "src=", "href=", "url(", "@import", "@font-face", "<script", "<link",
                               "<iframe", "<object", "<embed", "<img", "javascript:", " onload=", " onclick=",
                               " onerror="}) {
      CAPTURE(banned);
      CHECK(lower.find(banned) == std::string::npos);
    }
    CHECK(html.rfind("<!DOCTYPE html>\n", 0) == 0);
    const Page p(html);
    REQUIRE(p.ok());
    CHECK(p.one("/html/@lang") == "en");
    CHECK(p.all("/html/head/meta[@charset='utf-8']").size() == 1);
    CHECK(p.all("/html/head/title").size() == 1);
    CHECK(has(p.one("/html/head/title"), "CIOMS I form"));
    CHECK(p.one("//h1") == "Suspect adverse reaction report");
    CHECK(p.all("//h2") == std::vector<std::string>{"I. Reaction information", "II. Suspect drug(s) information",
                                                    "III. Concomitant drug(s) and history",
                                                    "IV. Manufacturer information"});
    // Every table header says what it heads.
    CHECK(p.all("//th[not(@scope='col' or @scope='row')]").empty());
    CHECK_FALSE(p.all("//th").empty());
    const std::string css = p.one("//style");
    CHECK(has(css, "@page{"));
    CHECK(has(css, "@media print{"));
  }
}

TEST_CASE("cioms: what the case does not know is said, not invented") {
  Case c;  // nothing known
  c.reaction.outcome = Outcome::unknown;
  const Page p(cioms_html(c));
  REQUIRE(p.ok());
  CHECK(p.value("f1") == "not reported pseudonymous subject id");
  CHECK(p.value("f1a") == "not reported");
  CHECK(p.value("f2a") == "unknown at onset");
  CHECK(p.value("f3") == "Unknown");
  CHECK(p.value("f4-6") == "Day Month Year unknown");
  CHECK(p.one("//*[@id='term']") == "not reported, grade not recorded");
  CHECK(p.one("//*[@id='meddra']") == "code not recorded");
  CHECK(p.one("//*[@id='labs']") == "none reported");
  CHECK(p.value("f14") == "none reported");
  CHECK(p.value("f22") == "none reported");
  CHECK(p.value("f23") == "unknown");  // D.7.2 empty: UNK
  CHECK(p.value("f24a") == "not reported country not reported");
  for (const char* id : {"f8-12-died", "f8-12-life-threatening", "f8-12-hospitalisation", "f8-12-disability",
                         "f8-12-congenital-anomaly", "f8-12-medically-important"})
    CHECK(p.box(id) == "not checked");

  // Sex other than M or F is E2B's unknown; a dose without unit says so; 1a falls back to the
  // primary source's country; a blinded product says so; a not-administered drug is listed
  // apart from the concomitant ones.
  Case w = worked();
  w.sex = "X";
  w.reaction.country.clear();
  w.primary_source_country = "DE";
  w.drugs[1].dose_unit.clear();
  w.drugs[1].blinded = true;
  w.drugs[0].causality.clear();
  w.study_name.clear();
  w.drugs.push_back(drug(DrugRole::not_administered, "placebo", 0, "mg", "oral", "", "", DrugAction::unknown));
  w.drugs.push_back(drug(DrugRole::interacting, "warfarin", 5, "mg", "oral", "2026-10-01", "2026-10-01",
                         DrugAction::withdrawn));
  const Page q(cioms_html(w));
  REQUIRE(q.ok());
  CHECK(q.value("f3") == "Unknown");
  CHECK(q.value("f1a") == "DE");
  CHECK(q.one("//*[@id='f15-2']") == "250 (unit not reported)");
  CHECK(q.one("//*[@id='f14-2']") == "apatinib (blinded investigational product)");
  CHECK(q.one("//*[@id='causality-1']") == "not assessed");
  CHECK(q.one("//*[@id='f17-1']") == "clinical trial");
  CHECK(q.one("//*[@id='f14-3']") == "warfarin");
  CHECK(q.one("//*[@id='f19-3']") == "1 day");
  CHECK(q.all("//table[@class='drugs']/thead/tr/th")[3] == "#3 Interacting drug");
  CHECK(q.one("//*[@id='not-administered']") == "Drug(s) not administered: placebo");
}
