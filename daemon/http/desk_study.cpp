// The safety desk: the study page and the subject page (desk.hpp).
#include "desk.hpp"

namespace pvmon::http {

std::vector<RouteDef> desk_study_routes(Services&) { return {}; }

}  // namespace pvmon::http
