package httpapi_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// TestPolicyNoticeFeeds: rules §10 — policy notices are published, like risk
// warnings, as a web page and as Atom and JSON feeds; each feed holds its own
// kind of notice only, and a withdrawn notice leaves it.
func TestPolicyNoticeFeeds(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		f := newFixture(t, engine)
		var policy, warning struct{ ID string }
		f.admin("POST", "/api/v1/policies", map[string]any{"title": "跨境电商零售进口商品清单调整公告", "body": "第一段。\n\n第二段。"}, http.StatusCreated).JSON(t, &policy)
		f.admin("POST", "/api/v1/warnings", map[string]any{"title": "某品牌面霜汞含量超标风险预警", "body": "抽检发现汞含量超标。", "riskLevel": "high", "product": "精华面霜"},
			http.StatusCreated).JSON(t, &warning)

		r := f.s.Do("GET", "/policies.atom", "", "", nil)
		var atom struct {
			Links []struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Entries []struct {
				ID      string `xml:"id"`
				Title   string `xml:"title"`
				Summary string `xml:"summary"`
				Link    struct {
					Href string `xml:"href,attr"`
				} `xml:"link"`
			} `xml:"entry"`
		}
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("GET /policies.atom: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if err := xml.Unmarshal(r.Body, &atom); err != nil {
			t.Fatalf("Atom feed: %v\n%s", err, r.Body)
		}
		if len(atom.Entries) != 1 || atom.Entries[0].ID != "urn:cbec:notice:"+policy.ID || atom.Entries[0].Title != "跨境电商零售进口商品清单调整公告" ||
			!strings.Contains(atom.Entries[0].Summary, "第二段。") || !strings.HasSuffix(atom.Entries[0].Link.Href, "/policies#"+policy.ID) {
			t.Errorf("Atom feed of policies: want the policy only, linked to /policies; got %s", r.Body)
		}
		if len(atom.Links) == 0 || !strings.HasSuffix(atom.Links[0].Href, "/policies.atom") {
			t.Errorf("Atom feed's self link: %+v", atom.Links)
		}

		r = f.s.Do("GET", "/policies.json", "", "", nil)
		var jf struct {
			FeedURL string `json:"feed_url"`
			Items   []struct {
				ID, URL, Title string
				ContentText    string `json:"content_text"`
			}
		}
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/feed+json") {
			t.Fatalf("GET /policies.json: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if err := json.Unmarshal(r.Body, &jf); err != nil {
			t.Fatalf("JSON feed: %v\n%s", err, r.Body)
		}
		if len(jf.Items) != 1 || jf.Items[0].ID != policy.ID || !strings.HasSuffix(jf.Items[0].URL, "/policies#"+policy.ID) ||
			!strings.Contains(jf.Items[0].ContentText, "第一段。") || !strings.HasSuffix(jf.FeedURL, "/policies.json") {
			t.Errorf("JSON feed of policies: want the policy only; got %s", r.Body)
		}

		// The warnings' feeds keep to warnings.
		if body := string(f.s.Do("GET", "/warnings.json", "", "", nil).Body); strings.Contains(body, policy.ID) || !strings.Contains(body, warning.ID) {
			t.Errorf("warnings feed: want the warning and not the policy: %s", body)
		}
		// The policies page names its feeds.
		page := string(f.s.Do("GET", "/policies", "", "", nil).Body)
		if !strings.Contains(page, `href="/policies.atom"`) || !strings.Contains(page, `href="/policies.json"`) {
			t.Errorf("/policies does not link its feeds")
		}

		f.admin("DELETE", "/api/v1/policies/"+policy.ID, nil, http.StatusNoContent)
		if body := string(f.s.Do("GET", "/policies.json", "", "", nil).Body); strings.Contains(body, policy.ID) {
			t.Errorf("a withdrawn policy stays in the feed: %s", body)
		}
	})
}
