package httpapi

import (
	"net/http"

	"github.com/cbec-platform/cbec/internal/ceb"
	"github.com/cbec-platform/cbec/internal/errs"
)

// submitJSON takes the same documents as POST /api/v1/ceb in JSON: the CEB
// message's structure with the spec's element names (case-insensitive), e.g.
// {"guid": "…", "version": "1.0", "Order": [{"OrderHead": {…}, "OrderList": [{…}]}], "BaseTransfer": {…}}.
// The message is written as CEB XML and goes through the very same intake;
// the answer is the receipt as JSON. JSON carries no XML signature, so under
// the "required" signature policy a CEB621 must come as signed XML.
func (a *API) submitJSON(w http.ResponseWriter, r *http.Request) error {
	msgType := r.PathValue("type")
	if !a.Intake.Accepts(msgType) {
		return errs.Invalidf("type", "message_type", "%q is not accepted; use CEB311Message, CEB411Message, CEB511Message, CEB513Message or CEB621Message", msgType)
	}
	m, _ := ceb.New(msgType)
	if err := readJSON(r, m); err != nil {
		return err
	}
	res, err := a.submitDocument(r.Context(), caller(r).enterprise, m)
	if err != nil {
		return err
	}
	if res.Receipt == nil {
		return jsonProblems(res.Problems)
	}
	return writeJSON(w, res.Status, map[string]any{"messageType": res.Receipt.Type, "receipt": res.Receipt.Message})
}

// jsonProblems reports every validation problem of a JSON message with its element path.
func jsonProblems(problems []ceb.Problem) error {
	var list errs.List
	for _, p := range problems {
		if p.Severity == ceb.Error {
			list = append(list, errs.Invalidf(p.Path, p.Code, "%s", p.Message))
		}
	}
	return list
}
