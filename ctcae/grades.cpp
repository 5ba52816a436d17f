// Grade checks: a reported grade must be one the term's CTCAE v5.0 row defines ("-" in the
// published table means that grade does not exist, e.g. Alopecia has only grades 1 and 2).
#include <string>

#include "normalize.hpp"
#include "pvmon/ctcae.hpp"

namespace pvmon::ctcae {

bool grade_defined(const Term& term, int grade) { return term.has_grade(grade); }

std::string allowed_grades_text(const Term& term) {
  std::vector<int> g = term.allowed_grades();
  std::string out = g.size() == 1 ? "grade " : "grades ";
  for (std::size_t i = 0; i < g.size(); ++i) out += (i ? ", " : "") + std::to_string(g[i]);
  if (g.size() < 5) out += " only";
  return out;
}

Status check_grade(const Term& term, int grade, std::string_view field) {
  if (term.has_grade(grade)) return Ok{};
  std::string msg = grade < 1 || grade > 5
                        ? "grade must be 1 to 5"
                        : detail::quoted(term.term) + " has no grade " + std::to_string(grade);
  msg += "; CTCAE v5.0 defines " + allowed_grades_text(term) + " for '" + std::string(term.term) + "'";
  return Error::field(Errc::invalid, std::string(field), msg);
}

}  // namespace pvmon::ctcae
