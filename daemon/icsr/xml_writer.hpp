// pvmon::icsr::detail::XmlWriter — the small streaming XML 1.0 writer the ICSR builder uses:
// UTF-8 in, well-formed UTF-8 out whatever the input. Text and attribute values are escaped
// (& < > ", and tab/CR/LF in attributes so that they survive attribute normalisation); the
// characters XML 1.0 forbids (C0 controls other than tab, LF, CR; surrogates; U+FFFE, U+FFFF)
// are removed and invalid UTF-8 becomes U+FFFD. One instance per thread; no errors: a misuse
// (end() with nothing open) is a programmer error and asserts.
#pragma once

#include <cassert>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pvmon::icsr::detail {

/// One attribute. An empty value is not written: no HL7 attribute (st, cs, uid, ts) may be
/// empty, so the caller writes a nullFlavor where the element needs one.
struct Attr {
  std::string_view name;
  std::string_view value;
};

/// `s` as XML 1.0 may carry it: forbidden characters removed, invalid UTF-8 as U+FFFD.
inline std::string xml_clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto allowed = [](std::uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      len = 1, cp = c;
    } else if ((c >> 5) == 0x6) {
      len = 2, cp = c & 0x1Fu, min = 0x80;
    } else if ((c >> 4) == 0xE) {
      len = 3, cp = c & 0x0Fu, min = 0x800;
    } else if ((c >> 3) == 0x1E) {
      len = 4, cp = c & 0x07u, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out += "\xEF\xBF\xBD";  // U+FFFD for the one byte that starts no valid sequence
      ++i;
      continue;
    }
    if (allowed(cp)) out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

class XmlWriter {
 public:
  XmlWriter() { out_ = R"(<?xml version="1.0" encoding="UTF-8"?>)"; }

  /// Opens <name attrs...>; children or text follow, then end().
  void start(std::string_view name, std::initializer_list<Attr> attrs = {}) {
    open_tag(name, attrs);
    stack_.emplace_back(name);
    pending_ = true;
  }
  void end() {
    assert(!stack_.empty() && "XmlWriter::end() with no element open");
    const std::string name = std::move(stack_.back());
    stack_.pop_back();
    if (pending_) {
      out_ += "/>";
      pending_ = false;
      return;
    }
    newline();
    out_ += "</";
    out_ += name;
    out_ += '>';
  }
  /// <name attrs.../>
  void leaf(std::string_view name, std::initializer_list<Attr> attrs = {}) {
    open_tag(name, attrs);
    out_ += "/>";
  }
  /// <name attrs...>text</name>; <name attrs.../> when nothing of the text is left.
  void text_element(std::string_view name, std::initializer_list<Attr> attrs,
                    std::string_view text) {
    open_tag(name, attrs);
    const std::string clean = xml_clean(text);
    if (clean.empty()) {
      out_ += "/>";
      return;
    }
    out_ += '>';
    for (const char ch : clean) {
      switch (ch) {
        case '&': out_ += "&amp;"; break;
        case '<': out_ += "&lt;"; break;
        case '>': out_ += "&gt;"; break;
        case '\r': out_ += "&#13;"; break;  // a raw CR would be read back as LF
        default: out_ += ch;
      }
    }
    out_ += "</";
    out_ += name;
    out_ += '>';
  }

  /// The document; every element must have been ended.
  std::string finish() && {
    assert(stack_.empty() && "XmlWriter::finish() with elements open");
    out_ += '\n';
    return std::move(out_);
  }

 private:
  void open_tag(std::string_view name, std::initializer_list<Attr> attrs) {
    if (pending_) {
      out_ += '>';
      pending_ = false;
    }
    newline();
    out_ += '<';
    out_ += name;
    for (const Attr& a : attrs) {
      const std::string value = xml_clean(a.value);
      if (value.empty()) continue;
      out_ += ' ';
      out_ += a.name;
      out_ += "=\"";
      for (const char ch : value) {
        switch (ch) {
          case '&': out_ += "&amp;"; break;
          case '<': out_ += "&lt;"; break;
          case '>': out_ += "&gt;"; break;
          case '"': out_ += "&quot;"; break;
          case '\t': out_ += "&#9;"; break;
          case '\n': out_ += "&#10;"; break;
          case '\r': out_ += "&#13;"; break;
          default: out_ += ch;
        }
      }
      out_ += '"';
    }
  }
  void newline() {
    out_ += '\n';
    out_.append(stack_.size() * 2, ' ');
  }

  std::string out_;
  std::vector<std::string> stack_;
  bool pending_ = false;  // a start tag whose '>' is not written yet
};

}  // namespace pvmon::icsr::detail
