// End-to-end: the SDTM AE and DM domains as SAS transport files (XPT v5), over HTTP and from
// `pvmon export sdtm --format xpt`, read back by a real reader, R's haven::read_xpt (Debian
// r-cran-haven), and compared value by value with pvmon's CSV export of the same pair, label by
// label with the SDTMIG v3.3 domain specifications.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

/// RFC 4180 (both pvmon's CRLF and R's LF line ends; quoted fields with doubled quotes).
std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(cell), cell.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      row.push_back(cell), cell.clear();
      rows.push_back(row), row.clear();
    } else {
      cell += c, any = true;
    }
  }
  if (!cell.empty() || !row.empty()) row.push_back(cell), rows.push_back(row);
  (void)any;
  return rows;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// What haven::read_xpt makes of a transport file: its values as CSV (numbers in full, missing
/// as empty), each variable's name, label and type, and the data set's label.
struct RRead {
  std::vector<std::vector<std::string>> values;
  std::map<std::string, std::pair<std::string, std::string>> variables;  // name -> label, num|char
  std::vector<std::string> order;
  std::string dataset_label;
};

constexpr const char* kRScript = R"(options(scipen = 100)
args <- commandArgs(trailingOnly = TRUE)
d <- haven::read_xpt(args[1])
write.csv(as.data.frame(d), args[2], row.names = FALSE, na = "")
label <- function(x) { l <- attr(x, "label"); if (is.null(l)) "" else l }
m <- data.frame(name = names(d), label = vapply(d, label, ""),
                type = vapply(d, function(x) if (is.numeric(x)) "num" else "char", ""))
write.csv(m, args[3], row.names = FALSE)
writeLines(label(d), args[4])
)";

RRead read_with_haven(const fs::path& dir, const std::string& xpt, const std::string& stem) {
  const fs::path file = dir / (stem + ".xpt"), script = dir / "read.R";
  std::ofstream(file, std::ios::binary) << xpt;
  std::ofstream(script) << kRScript;
  const fs::path values = dir / (stem + "-values.csv"), vars = dir / (stem + "-vars.csv"),
                 dslabel = dir / (stem + "-label.txt");
  auto [rc, out] = run_command("Rscript --vanilla " + script.string() + " " + file.string() + " " + values.string() +
                               " " + vars.string() + " " + dslabel.string() + " 2>&1");
  REQUIRE_MESSAGE(rc == 0, out);
  RRead r;
  r.values = parse_csv(read_file(values));
  const auto meta = parse_csv(read_file(vars));
  for (std::size_t i = 1; i < meta.size(); ++i) {
    r.variables[meta[i].at(0)] = {meta[i].at(1), meta[i].at(2)};
    r.order.push_back(meta[i].at(0));
  }
  r.dataset_label = read_file(dslabel);
  while (!r.dataset_label.empty() && r.dataset_label.back() == '\n') r.dataset_label.pop_back();
  return r;
}

// SDTMIG v3.3 §6.2 AE and §5.2 DM: each variable's label and type, as the IG's domain
// specification tables give them.
const std::map<std::string, std::pair<std::string, std::string>> kIgAe = {
    {"STUDYID", {"Study Identifier", "char"}},
    {"DOMAIN", {"Domain Abbreviation", "char"}},
    {"USUBJID", {"Unique Subject Identifier", "char"}},
    {"AESEQ", {"Sequence Number", "num"}},
    {"AESPID", {"Sponsor-Defined Identifier", "char"}},
    {"AETERM", {"Reported Term for the Adverse Event", "char"}},
    {"AELLT", {"Lowest Level Term", "char"}},
    {"AELLTCD", {"Lowest Level Term Code", "num"}},
    {"AEDECOD", {"Dictionary-Derived Term", "char"}},
    {"AEPTCD", {"Preferred Term Code", "num"}},
    {"AEHLT", {"High Level Term", "char"}},
    {"AEHLTCD", {"High Level Term Code", "num"}},
    {"AEHLGT", {"High Level Group Term", "char"}},
    {"AEHLGTCD", {"High Level Group Term Code", "num"}},
    {"AEBODSYS", {"Body System or Organ Class", "char"}},
    {"AEBDSYCD", {"Body System or Organ Class Code", "num"}},
    {"AESOC", {"Primary System Organ Class", "char"}},
    {"AESOCCD", {"Primary System Organ Class Code", "num"}},
    {"AESER", {"Serious Event", "char"}},
    {"AEACN", {"Action Taken with Study Treatment", "char"}},
    {"AEREL", {"Causality", "char"}},
    {"AEOUT", {"Outcome of Adverse Event", "char"}},
    {"AESCONG", {"Congenital Anomaly or Birth Defect", "char"}},
    {"AESDISAB", {"Persist or Signif Disability/Incapacity", "char"}},
    {"AESDTH", {"Results in Death", "char"}},
    {"AESHOSP", {"Requires or Prolongs Hospitalization", "char"}},
    {"AESLIFE", {"Is Life Threatening", "char"}},
    {"AESMIE", {"Other Medically Important Serious Event", "char"}},
    {"AETOXGR", {"Standard Toxicity Grade", "char"}},
    {"AESTDTC", {"Start Date/Time of Adverse Event", "char"}},
    {"AEENDTC", {"End Date/Time of Adverse Event", "char"}},
    {"AESTDY", {"Study Day of Start of Adverse Event", "num"}},
    {"AEENDY", {"Study Day of End of Adverse Event", "num"}},
};
const std::map<std::string, std::pair<std::string, std::string>> kIgDm = {
    {"STUDYID", {"Study Identifier", "char"}},
    {"DOMAIN", {"Domain Abbreviation", "char"}},
    {"USUBJID", {"Unique Subject Identifier", "char"}},
    {"SUBJID", {"Subject Identifier for the Study", "char"}},
    {"RFSTDTC", {"Subject Reference Start Date/Time", "char"}},
    {"RFICDTC", {"Date/Time of Informed Consent", "char"}},
    {"RFPENDTC", {"Date/Time of End of Participation", "char"}},
    {"DTHDTC", {"Date/Time of Death", "char"}},
    {"DTHFL", {"Subject Death Flag", "char"}},
    {"SITEID", {"Study Site Identifier", "char"}},
    {"AGE", {"Age", "num"}},
    {"AGEU", {"Age Units", "char"}},
    {"SEX", {"Sex", "char"}},
};

/// Every value haven read equals pvmon's CSV cell; every label and type is the IG's.
void same_as_csv(const RRead& r, const std::string& csv,
                 const std::map<std::string, std::pair<std::string, std::string>>& ig) {
  const auto rows = parse_csv(csv);
  REQUIRE(rows.size() >= 2);
  CHECK(r.values.size() == rows.size());
  CHECK(r.order == rows[0]);
  for (std::size_t i = 0; i < rows.size() && i < r.values.size(); ++i) {
    CAPTURE(i);
    CHECK(r.values[i] == rows[i]);
  }
  CHECK(r.variables.size() == ig.size());
  for (const auto& [name, want] : ig) {
    CAPTURE(name);
    REQUIRE(r.variables.count(name) == 1);
    CHECK(r.variables.at(name) == want);
  }
}

std::string cell_of(const std::vector<std::vector<std::string>>& rows, std::size_t row, const std::string& name) {
  for (std::size_t i = 0; i < rows.at(0).size(); ++i)
    if (rows[0][i] == name) return rows.at(row).at(i);
  FAIL("no column " << name);
  return {};
}

}  // namespace

TEST_CASE("SDTM as SAS transport: ae.xpt and dm.xpt read back by haven equal the CSV, with the IG's labels") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  enrol_new(d, "S01-0007");
  enrol_new(d, "S01-0008");
  auto c = d.client();
  auto post = [&](const json& body, const char* type = "application/json") {
    auto r = c.Post((std::string(kStudy) + "/ae").c_str(), bearer("demo-site-s01"), body.dump(), type);
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, r->body);
  };
  // A verbatim with a comma and quotes (CSV quoting against haven's reading).
  json a = ae_body("AE-1");
  a["verbatim"] = "ALT raised, \"marked\"";
  post(a);
  // No action recorded, on a subject not yet treated: AEACN NOT APPLICABLE, never blank.
  json b = ae_body("AE-2", "S01-0008");
  b["term"] = "Fatigue";
  b["verbatim"] = "tired";
  b["grade"] = 1;
  b.erase("lab");
  b["serious"] = {{"death", false}, {"life_threatening", false}, {"hospitalization", false},
                  {"disability", false}, {"congenital_anomaly", false}, {"medically_important", false}};
  b.erase("action_taken");
  b["resolved"] = "2026-10-09";
  b["outcome"] = "recovered";
  post(b);
  // A FHIR report coded by MedDRA with no event.text: AETERM is the term, never the code.
  json f = json::parse(read_file(fs::path(PVMON_SOURCE_DIR) / "tests/data/fhir/hcc-hypertension-sae.json"));
  f["event"].erase("text");
  post(f, "application/fhir+json");

  // One (cut-off, as-of) pair for every download: the transport files and the CSVs see the
  // same data, and the offline export gives the same bytes (the headers are dated at the as-of).
  const std::string cutoff = day(0);
  // The as-of to the millisecond: at or after every version recorded above.
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char now[32];
  std::strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%S", &tm);
  const std::string as_of = std::string(now) + "." + std::to_string(1000 + ms % 1000).substr(1) + "Z";
  const std::string q = "?cutoff=" + cutoff + "&as_of=" + as_of;
  auto get = [&](const std::string& path) {
    auto r = c.Get((std::string(kStudy) + path).c_str(), bearer("demo-dsmb"));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    return r;
  };
  const std::string ae_text = get("/export/sdtm/ae.csv" + q)->body;
  auto ae_xpt = get("/export/sdtm/ae.xpt" + q);
  CHECK(ae_xpt->get_header_value("Content-Type") == "application/x-sas-xport");
  CHECK(ae_xpt->get_header_value("Content-Disposition") == "attachment; filename=\"ae.xpt\"");
  CHECK(ae_xpt->body.size() % 80 == 0);
  const RRead ae = read_with_haven(tmp.path, ae_xpt->body, "ae");
  CHECK(ae.dataset_label == "Adverse Events");
  same_as_csv(ae, ae_text, kIgAe);

  const auto rows = parse_csv(ae_text);
  REQUIRE(rows.size() == 4);
  // S01-0007: the ALT increase (onset 10-02), then the hypertension (10-20); S01-0008: fatigue.
  CHECK(cell_of(rows, 1, "AETERM") == "ALT raised, \"marked\"");
  CHECK(cell_of(rows, 1, "AELLT") == "Alanine aminotransferase increased");
  CHECK(cell_of(rows, 1, "AELLTCD") == "10001551");
  CHECK(cell_of(rows, 1, "AESOCCD") == "10022891");
  CHECK(cell_of(rows, 1, "AEACN") == "DOSE REDUCED");
  CHECK(cell_of(rows, 2, "AETERM") == "Hypertension");
  CHECK(cell_of(rows, 2, "AEDECOD") == "Hypertension");
  CHECK(cell_of(rows, 2, "AESOC") == "Vascular disorders");
  CHECK(cell_of(rows, 2, "AESOCCD") == "10047065");
  CHECK(cell_of(rows, 2, "AEACN") == "DRUG INTERRUPTED");
  CHECK(cell_of(rows, 3, "AETERM") == "tired");
  CHECK(cell_of(rows, 3, "AEACN") == "NOT APPLICABLE");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    CHECK(cell_of(rows, i, "AEPTCD").empty());  // MedDRA's hierarchy is licensed: null
    CHECK(cell_of(rows, i, "AEHLT").empty());
  }

  auto dm_xpt = get("/export/sdtm/dm.xpt" + q);
  CHECK(dm_xpt->get_header_value("Content-Disposition") == "attachment; filename=\"dm.xpt\"");
  const RRead dm = read_with_haven(tmp.path, dm_xpt->body, "dm");
  CHECK(dm.dataset_label == "Demographics");
  same_as_csv(dm, get("/export/sdtm/dm.csv" + q)->body, kIgDm);

  // Offline from a backup: the same bytes for the same pair.
  {
    const std::string copy = offline_db_args(d, tmp.path / "copy.db");
    auto [xrc, xout] = run_command(std::string(PVMON_PATH) + " export sdtm --format xpt " + copy +
                                   " --study hcc-pvtt-imrt --cutoff " + cutoff + " --as-of " + as_of +
                                   " 2>/dev/null");
    CHECK(xrc == 0);
    CHECK(xout == ae_xpt->body);
    auto [mrc, mout] = run_command(std::string(PVMON_PATH) + " export sdtm --domain dm --format xpt " +
                                   copy + " --study hcc-pvtt-imrt --cutoff " + cutoff + " --as-of " + as_of +
                                   " 2>/dev/null");
    CHECK(mrc == 0);
    CHECK(mout == dm_xpt->body);
  }
  auto [frc, fout] = run_command(std::string(PVMON_PATH) + " export sdtm --format sas7bdat --db " +
                                 (tmp.path / "none.db").string() + " --study hcc-pvtt-imrt 2>&1");
  CHECK(frc == 2);
  CHECK(fout.find("--format must be csv or xpt") != std::string::npos);

  // Bad input names the field, as for the CSV.
  auto future = c.Get((std::string(kStudy) + "/export/sdtm/ae.xpt?cutoff=2999-01-01").c_str(), bearer("demo-dsmb"));
  REQUIRE(future);
  CHECK(future->status == 422);
  CHECK(json::parse(future->body)["errors"][0]["field"] == "cutoff");
  auto site = c.Get((std::string(kStudy) + "/export/sdtm/ae.xpt").c_str(), bearer("demo-site-s01"));
  REQUIRE(site);
  CHECK(site->status == 403);
}
