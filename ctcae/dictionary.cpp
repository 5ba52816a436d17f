// Lookups over the generated table (ctcae_terms.cpp): by code and by published name.
#include <string>
#include <unordered_map>

#include "normalize.hpp"
#include "pvmon/ctcae.hpp"

namespace pvmon::ctcae {

namespace {

struct Indexes {
  std::unordered_map<std::string_view, const Term*> by_code;
  std::unordered_map<std::string_view, const Term*> by_name;
  Indexes() {
    for (const Term& t : terms()) {
      by_code.emplace(t.meddra_code, &t);
      by_name.emplace(t.term, &t);
    }
  }
};

const Indexes& indexes() {
  static const Indexes idx;  // built once; thread-safe initialisation
  return idx;
}

}  // namespace

std::vector<int> Term::allowed_grades() const {
  std::vector<int> out;
  for (int g = 1; g <= 5; ++g)
    if (has_grade(g)) out.push_back(g);
  return out;
}

const Term* find_code(std::string_view meddra_code) {
  const auto& m = indexes().by_code;
  auto it = m.find(detail::trim(meddra_code));
  return it == m.end() ? nullptr : it->second;
}

const Term* find_term(std::string_view name) {
  const auto& m = indexes().by_name;
  auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

std::string normalize_key(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text)
    if (detail::is_alnum_ascii(c)) out += detail::lower_ascii(c);
  return out;
}

}  // namespace pvmon::ctcae
