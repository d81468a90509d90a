package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

func (s *Service) linesPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if !o.May("joint") && !o.May("lines") {
		return errs.New(errs.Forbidden, "not_permitted", "department", "the %s department has no sorting-line screen", o.Department)
	}
	lines, err := s.Lines(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "lines", o, map[string]any{"Lines": lines, "Token": ""}, "")
}

func (s *Service) createLinePage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if err := r.ParseForm(); err != nil {
		return errs.Invalidf("body", "form_invalid", "the form could not be read")
	}
	if _, err := s.CreateLine(r.Context(), o, r.PostFormValue("name"), r.PostFormValue("warehouse")); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/officer/lines", http.StatusSeeOther)
	return nil
}

func (s *Service) addScannerPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if err := r.ParseForm(); err != nil {
		return errs.Invalidf("body", "form_invalid", "the form could not be read")
	}
	token, err := s.AddScanner(r.Context(), o, r.PathValue("id"), r.PostFormValue("name"))
	if err != nil {
		return err
	}
	lines, err := s.Lines(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusCreated, "lines", o, map[string]any{"Lines": lines, "Token": token}, "")
}

var screenWords = []string{"customs", "inspection", "mark", "record", "release", "return", "detain", "note", "pass", "inspect", "waiting_other",
	"detention_code", "st501", "st502", "st503", "st599"}

func (s *Service) screenPage(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if !o.May("joint") && !o.May("lines") {
		return errs.New(errs.Forbidden, "not_permitted", "department", "the %s department has no sorting-line screen", o.Department)
	}
	line, err := s.Line(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	parcels, err := s.Parcels(r.Context(), line.ID, 50)
	if err != nil {
		return err
	}
	if parcels == nil {
		parcels = []*Parcel{}
	}
	l := lang(r)
	words := map[string]string{}
	for _, k := range screenWords {
		words[k] = tr(l, k)
	}
	wb, _ := json.Marshal(words)
	return s.render(w, r, http.StatusOK, "screen", o, map[string]any{"Line": line, "Initial": parcels, "Words": string(wb), "Xray": s.XrayImageSource}, "")
}

// events streams a line's parcels to a screen (server-sent events).
func (s *Service) events(w http.ResponseWriter, r *http.Request, o *Officer) error {
	if !o.May("joint") && !o.May("lines") {
		return errs.New(errs.Forbidden, "not_permitted", "department", "the %s department has no sorting-line screen", o.Department)
	}
	line, err := s.Line(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if s.Hub == nil {
		return errs.New(errs.Unavailable, "no_hub", "", "live events are not running")
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return errs.New(errs.Unauthorized, "session_missing", "cookie", "log in first")
	}
	ch, ended, leave := s.Hub.Subscribe(line.ID, tokenHash(c.Value))
	defer leave()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	beat := time.NewTicker(15 * time.Second)
	defer beat.Stop()
	end := func() error {
		fmt.Fprint(w, "event: ended\ndata: {}\n\n")
		_ = rc.Flush()
		return nil
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.Hub.Done():
			return nil
		case <-ended: // logout on this node: at once
			return end()
		case <-beat.C:
			// The session's end (8 h, officer disabled, logout on another node) stops the screen here.
			if _, err := s.Session(r.Context(), c.Value); err != nil {
				return end()
			}
			fmt.Fprint(w, ": beat\n\n")
		case ev := <-ch:
			select {
			case <-ended: // an event queued before the logout is not shown after it
				return end()
			default:
			}
			fmt.Fprintf(w, "data: %s\n\n", ev)
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

func (s *Service) markJSON(w http.ResponseWriter, r *http.Request, o *Officer) error {
	var in struct {
		Note string `json:"note"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Mark(r.Context(), o, r.PathValue("id"), in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Service) findingJSON(w http.ResponseWriter, r *http.Request, o *Officer) error {
	var in FindingInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	p, err := s.RecordFinding(r.Context(), o, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Service) reopenJSON(w http.ResponseWriter, r *http.Request, o *Officer) error {
	var in ReopenInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Reopen(r.Context(), o, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func scannerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return "", errs.New(errs.Unauthorized, "credentials_missing", "Authorization", "send Authorization: Bearer <scanner token>")
	}
	return strings.TrimSpace(tok), nil
}

func (s *Service) scanJSON(w http.ResponseWriter, r *http.Request) error {
	tok, err := scannerToken(r)
	if err != nil {
		return err
	}
	var in ScanInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Scan(r.Context(), r.PathValue("line"), tok, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"parcelId": p.ID, "divert": p.Divert, "inventoryFound": p.InventoryID != ""})
}

func (s *Service) divertJSON(w http.ResponseWriter, r *http.Request) error {
	tok, err := scannerToken(r)
	if err != nil {
		return err
	}
	p, err := s.Divert(r.Context(), r.PathValue("line"), tok, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"parcelId": p.ID, "divert": p.Divert, "outcome": p.Outcome})
}
