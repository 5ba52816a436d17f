// The safety desk: the officer's inbox and the case page (desk.hpp).
#include "desk.hpp"

namespace pvmon::http {

std::vector<RouteDef> desk_officer_routes(Services&) { return {}; }

}  // namespace pvmon::http
