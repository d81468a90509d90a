package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
)

// The OpenAPI description is kept in fragments, one per area of the API
// (openapi/NN-area.json), merged in name order at start: the first is the
// base document; the others add paths and components. TestOpenAPICoversRoutes
// fails when a registered route is missing.
//
//go:embed openapi/*.json
var openapiFS embed.FS

// openapiJSON is the merged document, built once.
var openapiJSON = mustMergeOpenAPI()

func mustMergeOpenAPI() []byte {
	b, err := mergeOpenAPI(openapiFS)
	if err != nil {
		panic(err) // the fragments are embedded at build time; a test covers them
	}
	return b
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("openapi fragments: %v", err)
	}
	sort.Strings(names)
	var doc map[string]any
	for i, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var frag map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("openapi fragment %s: %w", name, err)
		}
		if i == 0 {
			doc = frag
			continue
		}
		if err := mergeInto(doc, frag, name); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

// mergeInto adds frag's maps into doc, refusing to overwrite a key twice.
func mergeInto(doc, frag map[string]any, where string) error {
	for k, v := range frag {
		sub, isMap := v.(map[string]any)
		have, exists := doc[k]
		if !exists {
			doc[k] = v
			continue
		}
		haveMap, ok := have.(map[string]any)
		if !isMap || !ok {
			return fmt.Errorf("openapi fragment %s: %q is defined twice", where, k)
		}
		if err := mergeInto(haveMap, sub, where); err != nil {
			return err
		}
	}
	return nil
}

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openapiJSON)
	return err
}
