package httpapi

import (
	_ "embed"
	"net/http"
)

// openapiJSON is the OpenAPI description of every endpoint, with examples.
// TestOpenAPICoversRoutes fails when a registered route is missing from it.
//
//go:embed openapi.json
var openapiJSON []byte

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openapiJSON)
	return err
}
