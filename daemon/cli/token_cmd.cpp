#include <string>

#include "commands.hpp"
#include "pvmon/crypto.hpp"

namespace pvmon::cli {

int cmd_token(const Args& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << "pvmon token: expected 'hash [TOKEN]' or 'new'\n";
    return 2;
  }
  if (args[0] == "hash") {
    std::string token;
    if (args.size() == 2) {
      token = args[1];
    } else if (args.size() == 1) {
      std::getline(in, token);  // from stdin, so the token stays out of shell history
    } else {
      err << "pvmon token hash: takes at most one TOKEN\n";
      return 2;
    }
    if (token.size() < 12) {
      err << "pvmon token hash: a token must have at least 12 characters\n";
      return 1;
    }
    out << crypto::sha256_hex(token) << "\n";
    return 0;
  }
  if (args[0] == "new" && args.size() == 1) {
    // 32 random bytes, URL-safe: 256 bits of entropy.
    std::string t = crypto::base64_encode(crypto::random_bytes(32));
    for (char& c : t) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!t.empty() && t.back() == '=') t.pop_back();
    t = "pvm_" + t;
    out << "token:        " << t << "\ntoken_sha256: " << crypto::sha256_hex(t) << "\n";
    return 0;
  }
  err << "pvmon token: unknown subcommand '" << args[0] << "'\n";
  return 2;
}

}  // namespace pvmon::cli
