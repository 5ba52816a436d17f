// pvmon::cli — `pvmon audit verify`, `pvmon backup` and `pvmon restore`, over
// the database maintenance functions of pvmon::store. Run on the calling
// thread, write only to the given streams, nothing throws. Exit codes: 0 done,
// 1 could not do it (or a broken chain), 2 bad usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

/// args excludes "pvmon" and "audit": `verify --db FILE`. Prints rows checked
/// and the head hash; on a broken chain prints the first broken row and
/// returns 1.
int cmd_audit(const std::vector<std::string> &args, std::ostream &out,
              std::ostream &err);

/// `--db FILE --to FILE`: an online backup, safe while pvmond runs.
/// pvmon migrate --from-sqlite FILE --to-dsn DSN: a SQLite database into PostgreSQL, verified.
int cmd_migrate(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);
int cmd_backup(const std::vector<std::string> &args, std::ostream &out,
               std::ostream &err);

/// `--from FILE --db FILE [--force]`: restores a verified backup; pvmond must
/// be stopped.
int cmd_restore(const std::vector<std::string> &args, std::ostream &out,
                std::ostream &err);

} // namespace pvmon::cli
