package httpapi

// officerRoutes mounts the officers' console under /console/officer/ and the
// sorting lines' scan API (package console, issue 8); the routes are listed in
// openapi/90-console.json.
func (a *API) officerRoutes() {
	if a.Officers == nil {
		return
	}
	for _, rt := range a.Officers.Routes() {
		a.handle(rt.Pattern, rt.Handler)
	}
}
