package httpapi

// catalogRoutes registers the reference-data endpoints (contract §6).
func (a *API) catalogRoutes() {}
