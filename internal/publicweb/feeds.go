package publicweb

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/cbec-platform/cbec/internal/store"
)

// origin is the site's scheme and host as the client reached it, for the
// absolute links feeds need.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Category  *atomCat   `xml:"category,omitempty"`
	Summary   string     `xml:"summary"`
}

type atomCat struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

// noticeText is a notice's body with a warning's product and advice, for feeds.
func noticeText(n store.Notice) string {
	s := n.Body
	if n.Product != "" {
		s = tr("zh", "product") + " / Product: " + n.Product + "\n" + s
	}
	if n.Advice != "" {
		s += "\n" + tr("zh", "advice") + " / Advice: " + n.Advice
	}
	return s
}

// noticeFeed is one of the public feeds (rules §10): the notices of one kind,
// mirroring the page at /page; the feeds are /page.atom and /page.json.
type noticeFeed struct {
	page    string // warnings or policies: the page's path and its title's key
	notices func() []store.Notice
	// warnings carry a risk level and a product, as a category and _cbec
	warnings bool
}

func (s *Site) warningFeed() noticeFeed {
	return noticeFeed{page: "warnings", notices: func() []store.Notice { return s.Trace.Warnings() }, warnings: true}
}

func (s *Site) policyFeed() noticeFeed {
	return noticeFeed{page: "policies", notices: func() []store.Notice { return s.Trace.Policies() }}
}

// atom serves a feed's notices as Atom 1.0.
func (s *Site) atom(nf noticeFeed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		base := origin(r)
		list := nf.notices()
		f := atomFeed{Lang: "zh-CN", ID: base + "/" + nf.page, Title: tr("zh", nf.page) + " · " + tr("zh", "site"),
			Updated: s.Now().UTC().Format(time.RFC3339), Author: atomAuthor{Name: tr("zh", "site")},
			Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/" + nf.page + ".atom"}, {Rel: "alternate", Type: "text/html", Href: base + "/" + nf.page}}}
		if len(list) > 0 {
			f.Updated = list[0].PublishedAt.UTC().Format(time.RFC3339)
		}
		for _, n := range firstN(list, 100) {
			at := n.PublishedAt.UTC().Format(time.RFC3339)
			e := atomEntry{ID: "urn:cbec:notice:" + n.ID, Title: n.Title, Updated: at, Published: at,
				Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: base + "/" + nf.page + "#" + n.ID}}, Summary: noticeText(n)}
			if nf.warnings {
				e.Category = &atomCat{Term: n.RiskLevel, Label: tr("zh", "risk") + " " + tr("zh", "risk."+n.RiskLevel)}
			}
			f.Entries = append(f.Entries, e)
		}
		out, err := xml.MarshalIndent(f, "", " ")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=60")
		_, _ = w.Write([]byte(xml.Header))
		_, _ = w.Write(out)
	}
}

// JSONFeedItem is one notice in the JSON Feed 1.1 document; a warning's
// _cbec carries its structured fields.
type jsonFeedItem struct {
	ID            string         `json:"id"`
	URL           string         `json:"url"`
	Title         string         `json:"title"`
	ContentText   string         `json:"content_text"`
	DatePublished string         `json:"date_published"`
	Tags          []string       `json:"tags,omitempty"`
	CBEC          map[string]any `json:"_cbec,omitempty"`
}

// jsonFeed serves a feed's notices as JSON Feed 1.1.
func (s *Site) jsonFeed(nf noticeFeed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		base := origin(r)
		items := []jsonFeedItem{}
		for _, n := range firstN(nf.notices(), 100) {
			it := jsonFeedItem{ID: n.ID, URL: base + "/" + nf.page + "#" + n.ID, Title: n.Title, ContentText: noticeText(n),
				DatePublished: n.PublishedAt.UTC().Format(time.RFC3339)}
			if nf.warnings {
				it.Tags = []string{"risk:" + n.RiskLevel}
				it.CBEC = map[string]any{"riskLevel": n.RiskLevel, "product": n.Product, "ebcCode": n.EbcCode, "itemNo": n.ItemNo,
					"gtin": n.GTIN, "advice": n.Advice, "body": n.Body}
			}
			items = append(items, it)
		}
		w.Header().Set("Content-Type", "application/feed+json; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=60")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(map[string]any{
			"version": "https://jsonfeed.org/version/1.1", "title": tr("zh", nf.page) + " · " + tr("zh", "site"),
			"home_page_url": base + "/" + nf.page, "feed_url": base + "/" + nf.page + ".json", "language": "zh-CN", "items": items,
		})
	}
}
