package httpapi

import (
	"net/http"
	"strconv"

	"github.com/cbec-platform/cbec/internal/enterprise"
	"github.com/cbec-platform/cbec/internal/errs"
)

func (a *API) createEnterprise(w http.ResponseWriter, r *http.Request) error {
	var in enterprise.Input
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, key, err := a.Enterprises.Create(r.Context(), in)
	if err != nil {
		return err
	}
	a.Log.InfoContext(r.Context(), "enterprise registered", "code", e.Code, "roles", e.Roles)
	return writeJSON(w, http.StatusCreated, map[string]any{"code": e.Code, "apiKey": key, "enterprise": e})
}

func (a *API) listEnterprises(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := enterprise.Filter{After: q.Get("after"), Status: enterprise.Status(q.Get("status"))}
	if v := q.Get("role"); v != "" {
		role, err := enterprise.ParseRole(v)
		if err != nil {
			return withField(err, "role")
		}
		f.Role = role
	}
	if v := q.Get("creditClass"); v != "" {
		c, err := enterprise.ParseCreditClass(v)
		if err != nil {
			return err
		}
		f.CreditClass = c
	}
	switch f.Status {
	case "", enterprise.StatusActive, enterprise.StatusDisabled:
	default:
		return errs.Invalidf("status", "status_unknown", "status %q is not active or disabled", f.Status)
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errs.Invalidf("limit", "limit_range", "limit %q must be a whole number from 1 to 1000", v)
		}
		f.Limit = n
	}
	list, err := a.Enterprises.Store.ListEnterprises(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(list) == f.Limit {
		next = list[len(list)-1].Code
	}
	return writeJSON(w, http.StatusOK, map[string]any{"enterprises": list, "next": next})
}

func withField(err error, field string) error {
	if e, ok := errs.As(err); ok {
		e.Field = field
	}
	return err
}

func (a *API) getEnterprise(w http.ResponseWriter, r *http.Request) error {
	e, err := a.Enterprises.Store.GetEnterprise(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) updateEnterprise(w http.ResponseWriter, r *http.Request) error {
	var in enterprise.Input
	if err := readJSON(r, &in); err != nil {
		return err
	}
	e, err := a.Enterprises.Update(r.Context(), r.PathValue("code"), in)
	if err != nil {
		return err
	}
	a.Log.InfoContext(r.Context(), "enterprise updated", "code", e.Code)
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) disableEnterprise(w http.ResponseWriter, r *http.Request) error {
	e, err := a.Enterprises.Disable(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	a.Log.InfoContext(r.Context(), "enterprise disabled", "code", e.Code)
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) enableEnterprise(w http.ResponseWriter, r *http.Request) error {
	e, err := a.Enterprises.Enable(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	a.Log.InfoContext(r.Context(), "enterprise enabled", "code", e.Code)
	return writeJSON(w, http.StatusOK, e)
}

func (a *API) rotateKey(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	key, err := a.Enterprises.RotateKey(r.Context(), code)
	if err != nil {
		return err
	}
	a.Log.InfoContext(r.Context(), "API key rotated", "code", code)
	return writeJSON(w, http.StatusCreated, map[string]string{"code": code, "apiKey": key})
}

func (a *API) revokeKeys(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	if err := a.Enterprises.RevokeKeys(r.Context(), code); err != nil {
		return err
	}
	a.Log.InfoContext(r.Context(), "API keys revoked", "code", code)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
