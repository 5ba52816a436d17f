// The safety desk: a site's lists and its forms (enrol, AE report, follow-up, subject event) (desk.hpp).
#include "desk.hpp"

namespace pvmon::http {

std::vector<RouteDef> desk_site_routes(Services&) { return {}; }

}  // namespace pvmon::http
