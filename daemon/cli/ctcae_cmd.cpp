// `pvmon term` and `pvmon grade`: argument parsing and printing only; the logic is pvmon::ctcae.
#include "ctcae_cmd.hpp"

#include "commands.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>

#include "pvmon/ctcae.hpp"

namespace pvmon::cli {

namespace {

namespace ct = pvmon::ctcae;

constexpr const char* kTermUsage =
    "usage: pvmon term search TEXT...\n"
    "       pvmon term show CODE\n";
constexpr const char* kGradeUsage =
    "usage: pvmon grade --term T --value V --unit U [--uln X] [--lln X]\n"
    "                   [--baseline X --baseline-abnormal] [--on-anticoagulation]\n"
    "                   [--systolic S --diastolic D]\n";

std::string score_text(double s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

void print_entry(const ct::Term& t, std::ostream& out) {
  out << t.meddra_code << "  " << t.term << (t.protocol ? "  (protocol term)" : "") << "\n"
      << "SOC: " << t.soc << "\n"
      << "CTCAE version: " << ct::kVersion << "\n";
  for (int g = 1; g <= 5; ++g) {
    std::string_view text = t.grades[static_cast<std::size_t>(g - 1)];
    out << "Grade " << g << ": " << (text.empty() ? "- (not defined)" : text) << "\n";
  }
  if (!t.definition.empty()) out << "Definition: " << t.definition << "\n";
  if (!t.navigational_note.empty()) out << "Navigational note: " << t.navigational_note << "\n";
  if (t.other_specify) out << "A verbatim saying what the event was is required.\n";
}

}  // namespace

int cmd_term(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() < 2 || (args[0] != "search" && args[0] != "show")) {
    err << kTermUsage;
    return 2;
  }
  static const ct::Resolver resolver;
  if (args[0] == "show") {
    if (args.size() != 2) {
      err << kTermUsage;
      return 2;
    }
    const ct::Term* t = resolver.find_code(args[1]);
    if (!t) {
      err << "pvmon term show: no CTCAE v5.0 term has the code '" << args[1]
          << "' (try: pvmon term search TEXT)\n";
      return 1;
    }
    print_entry(*t, out);
    return 0;
  }
  std::string text;
  for (std::size_t i = 1; i < args.size(); ++i) text += (i > 1 ? " " : "") + args[i];
  ct::Resolution r = resolver.resolve(text);
  if (r.match) {
    const ct::Term& t = *r.match->term;
    out << t.meddra_code << "  " << t.term << "  [" << ct::to_string(r.match->kind);
    if (!r.match->synonym.empty()) out << " via '" << r.match->synonym << "'";
    out << "]\n";
    if (r.match->verbatim_required()) out << "A verbatim saying what the event was is required.\n";
    return 0;
  }
  if (r.suggestions.empty()) {
    err << "pvmon term search: nothing in CTCAE v5.0 resembles '" << text << "'\n";
    return 1;
  }
  out << "'" << text << "' is not a CTCAE v5.0 term. Closest:\n";
  for (const ct::Suggestion& s : r.suggestions)
    out << "  " << s.term->meddra_code << "  " << s.term->term << "  (score " << score_text(s.score)
        << (s.via != s.term->term ? ", via '" + std::string(s.via) + "'" : std::string()) << ")\n";
  return 0;
}

int cmd_grade(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ct::LabInput in;
  bool have_value = false;
  std::string value_text;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--baseline-abnormal") {
      in.baseline_abnormal = true;
      continue;
    }
    if (a == "--on-anticoagulation") {
      in.on_anticoagulation = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      out << kGradeUsage;
      return 0;
    }
    if (i + 1 >= args.size()) {
      err << "pvmon grade: " << a << " needs a value\n" << kGradeUsage;
      return 2;
    }
    const std::string& v = args[++i];
    if (a == "--term") {
      in.test = v;
    } else if (a == "--unit") {
      in.unit = v;
    } else if (a == "--value") {
      value_text = v;
      have_value = true;
    } else if (a == "--uln" || a == "--lln" || a == "--baseline" || a == "--systolic" || a == "--diastolic") {
      auto n = parse_finite(v);
      if (!n) {
        err << "pvmon grade: " << a << " expects a number, got '" << v << "'\n";
        return 2;
      }
      if (a == "--uln") in.uln = n;
      else if (a == "--lln") in.lln = n;
      else if (a == "--baseline") in.baseline = n;
      else if (a == "--systolic") in.systolic = n;
      else in.diastolic = n;
    } else {
      err << "pvmon grade: unknown option '" << a << "'\n" << kGradeUsage;
      return 2;
    }
  }
  if (in.test.empty()) {
    err << "pvmon grade: --term is required\n" << kGradeUsage;
    return 2;
  }
  const bool pressure = in.systolic || in.diastolic;
  if (!have_value && !pressure) {
    err << "pvmon grade: --value is required (or --systolic/--diastolic for hypertension)\n" << kGradeUsage;
    return 2;
  }
  if (have_value) {
    auto n = parse_finite(value_text);
    if (!n) n = ct::parse_dipstick(value_text);
    if (!n) {
      err << "pvmon grade: --value expects a number (or a dipstick reading such as 2+), got '" << value_text
          << "'\n";
      return 2;
    }
    in.value = *n;
  }
  auto r = ct::grade_lab(in);
  if (!r) {
    const Error& e = r.error();
    err << "pvmon grade: cannot grade: ";
    if (!e.fields.empty()) err << e.fields.front().field << ": ";
    err << e.message << "\n";
    return 1;
  }
  const ct::LabGrade& g = *r;
  out << "Grade " << g.grade << (g.grade == 0 ? " (not an adverse event)" : "") << "  " << g.term->term << " ("
      << g.term->meddra_code << "), CTCAE v" << ct::kVersion << ", basis " << g.basis << "\n"
      << g.criterion << "\n";
  return 0;
}

}  // namespace pvmon::cli
