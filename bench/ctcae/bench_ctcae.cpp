// bench_ctcae [out.json]: exact, synonym and fuzzy resolutions per second, lab gradings per
// second (one thread, median of 5 runs each) and the binary size the dictionary adds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pvmon/ctcae.hpp"

namespace ct = pvmon::ctcae;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::size_t g_sink = 0;

template <class F>
double median_rate(std::size_t ops_per_run, F&& run) {
  std::vector<double> rates;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    run();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(static_cast<double>(ops_per_run) / s);
  }
  std::sort(rates.begin(), rates.end());
  return rates[2];
}

long long file_size(const char* path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<long long>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string out_path = argc > 1 ? argv[1] : "bench_ctcae.json";
  ct::Resolver resolver;

  // Exact: every published term, written in lower case (normalisation is part of the cost).
  std::vector<std::string> exact;
  for (const ct::Term& t : ct::terms()) {
    std::string s(t.term);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    exact.push_back(s);
  }
  std::vector<std::string> syn;
  for (const ct::Synonym& s : ct::synonyms()) syn.emplace_back(s.text);
  const std::vector<std::string> fuzzy = {
      "fatige", "hypertenson", "alanine aminotransferase elevated", "peripheral sensory neuropathie",
      "febrile neutropenic", "chest pain", "haemorrhage", "mucositis", "rash on the hands and feet",
      "liver enzymes raised", "nausea and vomiting", "shortness of breth", "thrombocytopenic",
      "immune related colitis", "anaphylactic", "skin peeling on palms", "high blood sugar levels",
      "acute renal injury", "pulmonary embolus", "bleeding from the rectum"};

  const int kRounds = 200;
  double exact_rate = median_rate(exact.size() * kRounds, [&] {
    for (int r = 0; r < kRounds; ++r)
      for (const auto& s : exact) g_sink = g_sink + (resolver.resolve(s).match ? 1 : 0);
  });
  double syn_rate = median_rate(syn.size() * kRounds, [&] {
    for (int r = 0; r < kRounds; ++r)
      for (const auto& s : syn) g_sink = g_sink + (resolver.resolve(s).match ? 1 : 0);
  });
  const int kFuzzyRounds = 50;
  double fuzzy_rate = median_rate(fuzzy.size() * kFuzzyRounds, [&] {
    for (int r = 0; r < kFuzzyRounds; ++r)
      for (const auto& s : fuzzy) g_sink = g_sink + resolver.resolve(s).suggestions.size();
  });
  // Slowest single fuzzy query (median of 5 timings each).
  double worst_us = 0.0;
  std::string worst_query;
  for (const auto& s : fuzzy) {
    double rate = median_rate(20, [&] {
      for (int i = 0; i < 20; ++i) g_sink = g_sink + resolver.resolve(s).suggestions.size();
    });
    if (1e6 / rate > worst_us) {
      worst_us = 1e6 / rate;
      worst_query = s;
    }
  }

  std::vector<ct::LabInput> labs(6);
  labs[0].test = "ALT"; labs[0].value = 150; labs[0].unit = "U/L"; labs[0].uln = 40;
  labs[1].test = "Blood bilirubin increased"; labs[1].value = 3.1; labs[1].unit = "mg/dL"; labs[1].uln = 1.2;
  labs[1].baseline = 2.0; labs[1].baseline_abnormal = true;
  labs[2].test = "platelets"; labs[2].value = 60000; labs[2].unit = "/mm3"; labs[2].lln = 150000;
  labs[3].test = "Hb"; labs[3].value = 9.1; labs[3].unit = "g/dL"; labs[3].lln = 12;
  labs[4].test = "creatinine"; labs[4].value = 180; labs[4].unit = "µmol/L"; labs[4].uln = 97; labs[4].baseline = 70;
  labs[5].test = "Hypertension"; labs[5].systolic = 150; labs[5].diastolic = 95;
  const int kLabRounds = 5000;
  double lab_rate = median_rate(labs.size() * kLabRounds, [&] {
    for (int r = 0; r < kLabRounds; ++r)
      for (const auto& in : labs) {
        auto g = ct::grade_lab(in);
        g_sink = g_sink + (g.ok() ? static_cast<std::size_t>(g->grade) : 0);
      }
  });

  long long base = file_size(PVMON_SIZE_BASE), dict = file_size(PVMON_SIZE_DICT), full = file_size(PVMON_SIZE_FULL);
  std::printf("%-34s %16s %10s\n", "measure", "value", "target");
  std::printf("%-34s %16.0f %10s\n", "exact resolutions / s", exact_rate, "> 2e6");
  std::printf("%-34s %16.0f %10s\n", "synonym resolutions / s", syn_rate, "> 2e6");
  std::printf("%-34s %16.1f %10s\n", "fuzzy suggestion, mean us", 1e6 / fuzzy_rate, "< 200");
  std::printf("%-34s %16.1f %10s  (%s)\n", "fuzzy suggestion, slowest us", worst_us, "< 200", worst_query.c_str());
  std::printf("%-34s %16.0f %10s\n", "lab gradings / s", lab_rate, "");
  std::printf("%-34s %16lld %10s\n", "bytes added: dictionary only", dict - base, "< 1048576");
  std::printf("%-34s %16lld %10s\n", "bytes added: whole pvmon::ctcae", full - base, "< 1048576");

  std::ofstream j(out_path);
  j << "{\n  \"exact_per_s\": " << static_cast<long long>(exact_rate)
    << ",\n  \"synonym_per_s\": " << static_cast<long long>(syn_rate)
    << ",\n  \"fuzzy_mean_us\": " << 1e6 / fuzzy_rate << ",\n  \"fuzzy_worst_us\": " << worst_us
    << ",\n  \"lab_gradings_per_s\": " << static_cast<long long>(lab_rate)
    << ",\n  \"size_base_bytes\": " << base << ",\n  \"size_added_dictionary_bytes\": " << dict - base
    << ",\n  \"size_added_full_bytes\": " << full - base << ",\n  \"runs\": 5, \"statistic\": \"median\"\n}\n";
  std::printf("wrote %s\n", out_path.c_str());

  std::printf("\nsample suggestions:\n");
  for (const auto& s : fuzzy) {
    auto r = resolver.resolve(s);
    std::printf("  %-34s ->", s.c_str());
    if (r.match) std::printf(" [%s] %s", std::string(ct::to_string(r.match->kind)).c_str(), std::string(r.match->term->term).c_str());
    for (const auto& x : r.suggestions) std::printf(" %s (%.2f);", std::string(x.term->term).c_str(), x.score);
    std::printf("\n");
  }
  return 0;
}
