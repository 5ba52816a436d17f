// pvmon report: a DSMB report built offline from a database copy.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

int cmd_report(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
/// pvmon export sdtm: a CDISC SDTM domain (CSV or SAS transport) from a database copy.
int cmd_export(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
