package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// targetLabels are added by Prometheus when it scrapes, not exposed by cbec.
var targetLabels = map[string]bool{"instance": true, "job": true}

// Every metric the Grafana dashboard queries, and every label its selectors
// match on, is exposed by a server's /metrics after some traffic: a renamed
// metric breaks this test instead of leaving an empty panel.
func TestDashboardQueriesExist(t *testing.T) {
	exprs, err := dashboardQueries("../../docs/grafana/cbec.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(exprs) < 10 {
		t.Fatalf("only %d queries found in the dashboard", len(exprs))
	}
	exposed := scrapeAfterTraffic(t)
	for _, e := range exprs {
		used, err := selectors(e)
		if err != nil {
			t.Errorf("query %q: %v", e, err)
			continue
		}
		if len(used) == 0 {
			t.Errorf("query %q uses no metric", e)
		}
		for name, labels := range used {
			have, ok := exposed[name]
			if !ok {
				t.Errorf("query %q: metric %s is not exposed on /metrics", e, name)
				continue
			}
			for _, l := range labels {
				if !have[l] && !targetLabels[l] {
					t.Errorf("query %q: metric %s has no label %q", e, name, l)
				}
			}
		}
	}
}

// dashboardQueries returns the PromQL of every panel target (rows included)
// and the label_values queries of the template variables, rewritten as
// selectors.
func dashboardQueries(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	type panel struct {
		Targets []struct{ Expr string } `json:"targets"`
		Panels  []json.RawMessage       `json:"panels"`
	}
	var d struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	var out []string
	var walk func([]json.RawMessage) error
	walk = func(ps []json.RawMessage) error {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			for _, t := range p.Targets {
				out = append(out, t.Expr)
			}
			if err := walk(p.Panels); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d.Panels); err != nil {
		return nil, fmt.Errorf("dashboard panels: %w", err)
	}
	labelValues := regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			return nil, fmt.Errorf("template variable query %q: want label_values(metric, label)", v.Definition)
		}
		out = append(out, m[1]+`{`+m[2]+`!=""}`)
	}
	return out, nil
}

// scrapeAfterTraffic starts a server, sends it some traffic (accepted and
// refused requests, a CEB message, the feed) and returns each exposed
// series name with its label names.
func scrapeAfterTraffic(t *testing.T) map[string]map[string]bool {
	t.Helper()
	s := apptest.Start(t, apptest.SQLite)
	ctx := context.Background()
	api, err := client.New(s.URL, s.Register("1105910159", "ebp", "ebc"))
	if err != nil {
		t.Fatal(err)
	}
	order, err := os.ReadFile("../../examples/order.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.SubmitCEB(ctx, order); err != nil {
		t.Fatal(err)
	}
	if _, err := api.Receipts(ctx, 0, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := api.As("cbec_wrong").Receipts(ctx, 0, 10); client.StatusOf(err) != 401 {
		t.Fatalf("a wrong key: %v", err)
	}
	body, err := api.Do(ctx, "GET", "/metrics", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	exposed := map[string]map[string]bool{}
	add := func(name string, m *dto.Metric, extra ...string) {
		if exposed[name] == nil {
			exposed[name] = map[string]bool{}
		}
		for _, l := range m.GetLabel() {
			exposed[name][l.GetName()] = true
		}
		for _, l := range extra {
			exposed[name][l] = true
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(name+"_bucket", m, "le")
				add(name+"_sum", m)
				add(name+"_count", m)
			case dto.MetricType_SUMMARY:
				add(name, m, "quantile")
				add(name+"_sum", m)
				add(name+"_count", m)
			default:
				add(name, m)
			}
		}
	}
	return exposed
}

// Words of PromQL that are not metric names: operators, modifiers and the
// aggregations, which may be followed by a grouping before their "(".
var promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true,
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true, "count": true,
	"count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true}

// grouping keywords are followed by a list of label names, not expressions.
var grouping = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// selectors returns the metric names a PromQL expression selects, each with
// the label names its matchers use. It knows enough of the grammar for
// dashboards: strings, range and subquery brackets, label matchers,
// function calls, grouping clauses, numbers and Grafana's $variables.
func selectors(expr string) (map[string][]string, error) {
	out := map[string][]string{}
	last := "" // the metric just read, whose matchers may follow
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(expr, i)
			if err != nil {
				return nil, err
			}
			i, last = end, ""
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at %d", i)
			}
			i, last = i+end+1, ""
		case c == '{':
			end, labels, err := matchers(expr, i)
			if err != nil {
				return nil, err
			}
			if last != "" {
				out[last] = append(out[last], labels...)
			}
			i, last = end, ""
		case c == '$':
			i++
			for i < len(expr) && isIdent(expr[i], true) {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(expr) && (isIdent(expr[i], true) || expr[i] == '.') {
				i++
			}
			last = ""
		case isIdent(c, false):
			start := i
			for i < len(expr) && isIdent(expr[i], true) {
				i++
			}
			word := expr[start:i]
			next := strings.TrimLeft(expr[i:], " \t\n")
			switch {
			case grouping[strings.ToLower(word)]:
				if strings.HasPrefix(next, "(") { // a label list
					end := strings.IndexByte(expr[i:], ')')
					if end < 0 {
						return nil, fmt.Errorf("unclosed label list after %s", word)
					}
					i += end + 1
				}
				last = ""
			case promKeywords[strings.ToLower(word)] || strings.HasPrefix(next, "("):
				last = "" // a keyword or a function
			default:
				if _, ok := out[word]; !ok {
					out[word] = nil
				}
				last = word
			}
		default:
			if c != ' ' && c != '\t' && c != '\n' {
				last = ""
			}
			i++
		}
	}
	for name, labels := range out {
		slices.Sort(labels)
		out[name] = slices.Compact(labels)
	}
	return out, nil
}

func isIdent(c byte, inside bool) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || inside && c >= '0' && c <= '9'
}

// skipString returns the index after the string literal starting at i.
func skipString(s string, i int) (int, error) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string at %d", i)
}

// matchers reads the label matchers {a="x", b=~"y"} starting at i and
// returns the index after them and the label names.
func matchers(s string, i int) (int, []string, error) {
	var labels []string
	j := i + 1
	for j < len(s) {
		switch c := s[j]; {
		case c == '}':
			return j + 1, labels, nil
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(s, j)
			if err != nil {
				return 0, nil, err
			}
			j = end
		case isIdent(c, false):
			start := j
			for j < len(s) && isIdent(s[j], true) {
				j++
			}
			labels = append(labels, s[start:j])
		default:
			j++
		}
	}
	return 0, nil, fmt.Errorf("unclosed { at %d", i)
}

// The reader of queries itself, on the shapes dashboards use.
func TestSelectors(t *testing.T) {
	for expr, want := range map[string]string{
		`histogram_quantile(0.99, sum by (le, route) (rate(x_bucket{route="a{b}=c", instance=~"$instance"}[$__rate_interval])))`: `x_bucket[instance route]`,
		`sum(rate(a_total[5m])) by (job) / on(instance) group_left(route) b offset 5m * 1e3`:                                     `a_total[] b[]`,
		`go_gc_duration_seconds{quantile="1"} * 1000 and ignoring(x) up`:                                                         `go_gc_duration_seconds[quantile] up[]`,
		`max_over_time(m:rate5m{a!="1"}[1h:5m]) > bool 0.5`:                                                                      `m:rate5m[a]`,
	} {
		got, err := selectors(expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(got)) {
			parts = append(parts, fmt.Sprintf("%s%v", name, got[name]))
		}
		if s := strings.Join(parts, " "); s != want {
			t.Errorf("%s:\n got %s\nwant %s", expr, s, want)
		}
	}
	for _, bad := range []string{`a{b="c}`, `rate(a[5m)`, `a{b="c"`} {
		if _, err := selectors(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
