// Term resolution: code, normalised exact name, curated synonym, protocol term; otherwise ranked
// suggestions. Every key (normalised name, synonym, protocol code/name/synonym) maps to exactly
// one term: a collision is rejected at construction, so two equally good matches can never be
// resolved silently. Suggestions are never a resolution.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <unordered_map>

#include "normalize.hpp"
#include "pvmon/ctcae.hpp"

namespace pvmon::ctcae {

namespace detail {

// (Named, not anonymous: Resolver::Impl's members have these types.)
struct SvHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct KeyEntry {
  const Term* term = nullptr;
  MatchKind kind = MatchKind::exact;
  std::string_view synonym;
};

}  // namespace detail

using detail::KeyEntry;
using detail::SvHash;

namespace {

// Levenshtein distance with an upper bound: returns bound + 1 as soon as it is exceeded.
std::size_t bounded_levenshtein(std::string_view a, std::string_view b, std::size_t bound) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > bound) return bound + 1;
  std::size_t prev[128], cur[128];
  if (a.size() + 1 > 128) return bound + 1;
  for (std::size_t j = 0; j <= a.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= b.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= a.size(); ++j) {
      std::size_t cost = (a[j - 1] == b[i - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > bound) return bound + 1;
    std::copy(cur, cur + a.size() + 1, prev);
  }
  return prev[a.size()];
}

// Edit similarity of two whole keys, 0..1.
double edit_similarity(std::string_view a, std::string_view b) {
  std::size_t longest = std::max(a.size(), b.size());
  if (longest == 0) return 0.0;
  std::size_t d = bounded_levenshtein(a, b, longest);
  return 1.0 - static_cast<double>(d) / static_cast<double>(longest);
}

// Typos tolerated per token: none for short tokens (abbreviations differ by one letter: ALT/AST).
std::size_t typo_budget(std::size_t len) { return len <= 3 ? 0 : (len <= 6 ? 1 : 2); }

}  // namespace

std::string_view to_string(MatchKind kind) {
  switch (kind) {
    case MatchKind::code: return "code";
    case MatchKind::exact: return "exact";
    case MatchKind::synonym: return "synonym";
    case MatchKind::protocol: return "protocol";
  }
  return "exact";
}

struct Resolver::Impl {
  std::unordered_map<std::string, KeyEntry, SvHash, std::equal_to<>> keys;
  std::unordered_map<std::string, const Term*, SvHash, std::equal_to<>> proto_codes;
  std::vector<ProtocolTermDef> defs;  // reserved up front: the Terms' views point into it
  std::vector<Term> proto_terms;

  // Fuzzy index over every name: published terms, synonyms, protocol names and synonyms.
  struct Name {
    std::string_view text;
    const Term* term;
    std::string key;
    std::vector<int> tokens;  // vocabulary ids
    double weight = 0.0;      // sum of its token weights
  };
  std::vector<Name> names;
  std::vector<std::string> vocab;
  std::unordered_map<std::string, int, SvHash, std::equal_to<>> vocab_ids;
  std::vector<double> idf;
  std::vector<std::vector<int>> postings;  // vocabulary id -> names
  double max_idf = 1.0;

  // Adds a key; false when it already maps to another term (the caller decides what to do).
  bool add_key(std::string key, KeyEntry e) {
    auto [it, inserted] = keys.emplace(std::move(key), e);
    return inserted || it->second.term == e.term;
  }

  void add_name(std::string_view text, const Term* term) {
    Name n{text, term, normalize_key(text), {}, 0.0};
    for (std::string& tok : detail::tokens(text)) {
      auto [it, inserted] = vocab_ids.emplace(tok, static_cast<int>(vocab.size()));
      if (inserted) {
        vocab.push_back(tok);
        postings.emplace_back();
      }
      if (std::find(n.tokens.begin(), n.tokens.end(), it->second) == n.tokens.end())
        n.tokens.push_back(it->second);
    }
    for (int id : n.tokens) postings[static_cast<std::size_t>(id)].push_back(static_cast<int>(names.size()));
    names.push_back(std::move(n));
  }

  void finish_index() {
    const double total = static_cast<double>(names.size());
    idf.assign(vocab.size(), 0.0);
    max_idf = 1.0;
    for (std::size_t v = 0; v < vocab.size(); ++v) {
      idf[v] = std::log(1.0 + total / static_cast<double>(postings[v].size()));
      max_idf = std::max(max_idf, idf[v]);
    }
    for (Name& n : names) {
      n.weight = 0.0;
      for (int id : n.tokens) n.weight += idf[static_cast<std::size_t>(id)];
    }
  }

  std::vector<Suggestion> suggest(std::string_view text, std::size_t max) const;
};

Resolver::Resolver() : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  for (const Term& t : terms()) {
    bool ok = im.add_key(normalize_key(t.term), {&t, MatchKind::exact, {}});
    assert(ok && "two CTCAE terms normalise to the same key");
    (void)ok;
    im.add_name(t.term, &t);
  }
  for (const Synonym& s : synonyms()) {
    const Term* t = find_term(s.term);
    assert(t && "synonym table names a term that is not in the dictionary");
    bool ok = im.add_key(normalize_key(s.text), {t, MatchKind::synonym, s.text});
    assert(ok && "synonym collides with another term's key");
    (void)ok;
    im.add_name(s.text, t);
  }
  im.finish_index();
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::Resolver(Resolver&&) noexcept = default;
Resolver& Resolver::operator=(Resolver&&) noexcept = default;
Resolver::~Resolver() = default;

Result<Resolver> Resolver::with_protocol_terms(std::vector<ProtocolTermDef> defs) {
  Resolver r;
  Impl& im = *r.impl_;
  std::vector<FieldError> errors;
  im.defs = std::move(defs);
  im.proto_terms.reserve(im.defs.size());
  for (std::size_t i = 0; i < im.defs.size(); ++i) {
    const ProtocolTermDef& d = im.defs[i];
    const std::string base = "protocol_terms[" + std::to_string(i) + "]";
    Term t;
    t.meddra_code = d.code;
    t.soc = "Protocol-specific terms";
    t.term = d.term;
    for (std::size_t g = 0; g < 5; ++g) t.grades[g] = d.grades[g];
    t.definition = d.definition;
    t.protocol = true;
    im.proto_terms.push_back(t);
    if (normalize_key(d.code).empty()) errors.push_back({base + ".code", "a protocol term needs a code"});
    if (normalize_key(d.term).empty()) errors.push_back({base + ".term", "a protocol term needs a name"});
    bool any_grade = std::any_of(d.grades.begin(), d.grades.end(), [](const std::string& g) { return !g.empty(); });
    if (!any_grade) errors.push_back({base + ".grades", "a protocol term needs at least one grade text"});
  }
  if (!errors.empty()) return Error::invalid(std::move(errors), "invalid protocol terms");

  for (std::size_t i = 0; i < im.defs.size(); ++i) {
    const ProtocolTermDef& d = im.defs[i];
    const Term* t = &im.proto_terms[i];
    const std::string base = "protocol_terms[" + std::to_string(i) + "]";
    auto claim = [&](std::string_view text, std::string_view synonym, const std::string& field) {
      std::string key = normalize_key(text);
      if (key.empty()) {
        errors.push_back({field, "empty after removing spaces and punctuation"});
        return;
      }
      if (ctcae::find_code(detail::trim(text)) != nullptr) {
        errors.push_back({field, detail::quoted(text) + " is a CTCAE MedDRA code"});
        return;
      }
      auto it = im.keys.find(key);
      if (it != im.keys.end() && it->second.term != t) {
        errors.push_back({field, detail::quoted(text) + " already resolves to '" +
                                     std::string(it->second.term->term) + "'; it would be ambiguous"});
        return;
      }
      im.keys.emplace(std::move(key), KeyEntry{t, MatchKind::protocol, synonym});
    };
    claim(d.code, {}, base + ".code");
    claim(d.term, {}, base + ".term");
    for (std::size_t s = 0; s < d.synonyms.size(); ++s)
      claim(d.synonyms[s], d.synonyms[s], base + ".synonyms[" + std::to_string(s) + "]");
    im.proto_codes.emplace(std::string(detail::trim(d.code)), t);
    im.add_name(d.term, t);
    for (const std::string& s : d.synonyms) im.add_name(s, t);
  }
  if (!errors.empty()) return Error::invalid(std::move(errors), "invalid protocol terms");
  im.finish_index();
  return r;
}

const Term* Resolver::find_code(std::string_view code) const {
  if (const Term* t = ctcae::find_code(code)) return t;
  auto it = impl_->proto_codes.find(detail::trim(code));
  return it == impl_->proto_codes.end() ? nullptr : it->second;
}

std::span<const Term> Resolver::protocol_terms() const { return impl_->proto_terms; }

Resolution Resolver::resolve(std::string_view text, std::size_t max_suggestions) const {
  Resolution out;
  std::string_view t = detail::trim(text);
  if (t.empty()) return out;
  if (const Term* term = ctcae::find_code(t)) {
    out.match = Match{term, MatchKind::code, {}};
    return out;
  }
  char buf[256];
  std::size_t n = detail::normalize_into(t, buf, sizeof buf);
  std::string long_key;
  std::string_view key;
  if (n == std::string_view::npos) {
    long_key = normalize_key(t);
    key = long_key;
  } else {
    key = std::string_view(buf, n);
  }
  if (!key.empty()) {
    auto it = impl_->keys.find(key);
    if (it != impl_->keys.end()) {
      out.match = Match{it->second.term, it->second.kind, it->second.synonym};
      return out;
    }
  }
  out.suggestions = impl_->suggest(t, max_suggestions);
  return out;
}

std::vector<Suggestion> Resolver::suggest(std::string_view text, std::size_t max) const {
  return impl_->suggest(detail::trim(text), max);
}

std::vector<Suggestion> Resolver::Impl::suggest(std::string_view text, std::size_t max) const {
  std::vector<Suggestion> out;
  if (max == 0) return out;
  std::vector<std::string> qtok = detail::tokens(text);
  if (qtok.empty()) return out;
  if (qtok.size() > 12) qtok.resize(12);  // bound the work on very long input
  const std::string qkey = normalize_key(text);
  const std::size_t nq = qtok.size();
  const std::size_t nn = names.size();

  // best[i * nn + n]: how well query token i matches some token of name n (0..1).
  std::vector<float> best(nq * nn, 0.0f);
  std::vector<double> qweight(nq, max_idf);
  std::vector<int> touched;
  std::vector<char> seen(nn, 0);
  for (std::size_t i = 0; i < nq; ++i) {
    const std::string& q = qtok[i];
    // A correctly spelt word counts less as a typo of another ("mucositis" is hardly
    // "myositis", but "thrombocytopenic" is still close to the synonym "thrombocytopenia").
    const bool known_word = vocab_ids.find(std::string_view(q)) != vocab_ids.end();
    double w = 0.0;
    for (std::size_t v = 0; v < vocab.size(); ++v) {
      const std::string& tok = vocab[v];
      double sim = 0.0;
      if (tok == q) {
        sim = 1.0;
      } else if (q.size() >= 4 && tok.size() > q.size() && tok.compare(0, q.size(), q) == 0) {
        sim = 0.8;  // an unfinished word: "thrombocyto" -> "thrombocytopenic"
      } else {
        std::size_t budget = typo_budget(std::min(q.size(), tok.size()));
        if (budget == 0) continue;
        std::size_t longest = std::max(q.size(), tok.size());
        std::size_t shortest = std::min(q.size(), tok.size());
        if (longest - shortest > budget) continue;
        std::size_t d = bounded_levenshtein(q, tok, budget);
        if (d > budget) continue;
        sim = 1.0 - static_cast<double>(d) / static_cast<double>(longest);
        if (known_word) sim *= 0.6;
      }
      w = std::max(w, idf[v] * sim);
      for (int nidx : postings[v]) {
        float& b = best[i * nn + static_cast<std::size_t>(nidx)];
        b = std::max(b, static_cast<float>(sim));
        if (!seen[static_cast<std::size_t>(nidx)]) {
          seen[static_cast<std::size_t>(nidx)] = 1;
          touched.push_back(nidx);
        }
      }
    }
    if (w > 0.0) qweight[i] = w;  // unknown words keep the highest weight: they matter
  }
  double qtotal = 0.0;
  for (double w : qweight) qtotal += w;

  struct Scored {
    int name;
    double score;
  };
  std::vector<Scored> scored;
  scored.reserve(touched.size());
  for (int nidx : touched) {
    const Name& n = names[static_cast<std::size_t>(nidx)];
    double matched = 0.0;
    for (std::size_t i = 0; i < nq; ++i) matched += qweight[i] * best[i * nn + static_cast<std::size_t>(nidx)];
    // Weighted Dice coefficient of the two token sets.
    scored.push_back({nidx, 2.0 * matched / (qtotal + n.weight)});
  }
  // Whole-string edit similarity only for the best token candidates (bounded work), and for
  // every name when no token matched at all (a typo across word boundaries).
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  if (scored.size() > 40) scored.resize(40);
  if (scored.empty()) {
    for (std::size_t nidx = 0; nidx < nn; ++nidx) {
      const Name& n = names[nidx];
      std::size_t longest = std::max(n.key.size(), qkey.size());
      std::size_t diff = longest - std::min(n.key.size(), qkey.size());
      if (longest == 0 || diff * 3 > longest) continue;
      scored.push_back({static_cast<int>(nidx), 0.0});
    }
  }
  for (Scored& s : scored) {
    const Name& n = names[static_cast<std::size_t>(s.name)];
    s.score = 0.7 * s.score + 0.3 * edit_similarity(qkey, n.key);
  }
  // One suggestion per term, its best-scoring name; ties ordered by published term name.
  std::sort(scored.begin(), scored.end(), [&](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    return names[static_cast<std::size_t>(a.name)].term->term < names[static_cast<std::size_t>(b.name)].term->term;
  });
  constexpr double kMinScore = 0.25;  // below this the suggestion is noise
  for (const Scored& s : scored) {
    if (s.score < kMinScore) break;
    const Name& n = names[static_cast<std::size_t>(s.name)];
    bool dup = std::any_of(out.begin(), out.end(), [&](const Suggestion& x) { return x.term == n.term; });
    if (dup) continue;
    out.push_back({n.term, s.score, n.text});
    if (out.size() == max) break;
  }
  return out;
}

Result<Match> Resolver::resolve_field(std::string_view text, std::string_view field) const {
  if (detail::trim(text).empty())
    return Error::field(Errc::invalid, std::string(field), "required: a CTCAE v5.0 term, MedDRA code or synonym");
  Resolution r = resolve(text);
  if (r.match) return *r.match;
  std::string msg = detail::quoted(detail::trim(text)) + " is not a CTCAE v5.0 term";
  if (r.suggestions.empty()) {
    msg += "; no similar term found";
  } else {
    msg += "; did you mean: ";
    for (std::size_t i = 0; i < r.suggestions.size(); ++i) {
      const Term& t = *r.suggestions[i].term;
      msg += (i ? ", " : "") + std::string(t.term) + " (" + std::string(t.meddra_code) + ")";
    }
  }
  return Error::field(Errc::invalid, std::string(field), msg);
}

Status check_verbatim(const Term& term, std::string_view verbatim, std::string_view field) {
  if (!term.other_specify) return Ok{};
  if (detail::trim(verbatim).empty())
    return Error::field(Errc::invalid, std::string(field),
                        detail::quoted(term.term) + " requires a verbatim saying what the event was");
  return Ok{};
}

}  // namespace pvmon::ctcae
