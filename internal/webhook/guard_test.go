package webhook

import (
	"context"
	"errors"
	"testing"
)

// The guard refuses internal addresses in every notation, at registration and
// at connection time, and opens exactly what the operator's allow-list names.
func TestGuard(t *testing.T) {
	g, err := NewGuard([]string{"10.20.0.0/16", "192.168.7.9", "erp.internal"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://8.8.8.8/hook", true},
		{"http://[2001:4860:4860::8888]/hook", true},
		{"http://10.20.3.4/hook", true},          // allowed CIDR
		{"http://[::ffff:10.20.3.4]/hook", true}, // the same, IPv4-mapped
		{"http://192.168.7.9:8443/", true},       // allowed address
		{"http://ERP.internal./x", true},         // allowed name
		{"http://10.21.0.1/", false},
		{"http://192.168.7.10/", false},
		{"http://127.0.0.1/", false},
		{"http://[::ffff:7f00:1]/", false},
		{"http://[fe80::1%25eth0]/", false},
		{"http://[64:ff9b::a00:1]/", false}, // NAT64 of 10.0.0.1
		{"http://198.18.0.1/", false},
		{"http://localhost/", false},
		{"http://0x7f000001/", false},
		{"ftp://8.8.8.8/", false},
		{"http://user:pw@8.8.8.8/", false},
	} {
		err := g.CheckURL(context.Background(), c.url)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want allowed %v", c.url, err, c.ok)
		}
	}
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"8.8.8.8:443", true}, {"10.20.0.1:80", true},
		{"127.0.0.1:80", false}, {"[::1]:80", false}, {"[::ffff:169.254.169.254]:80", false}, {"0.0.0.0:80", false},
		{"[ff02::1]:80", false}, {"100.64.1.1:80", false}, {"not-an-address:80", false},
	} {
		err := g.control("tcp", c.addr, nil)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrAddress)) {
			t.Errorf("dial %s: %v, want allowed %v", c.addr, err, c.ok)
		}
	}
}

// What the enterprise sees of a failure names a category, never the cause's detail.
func TestCategory(t *testing.T) {
	g, _ := NewGuard(nil)
	err := g.control("tcp", "10.1.2.3:8080", nil)
	if got := Category(err); got != "address not allowed" {
		t.Errorf("%v: %q", err, got)
	}
	for code, want := range map[int]string{302: "endpoint answered a redirect (not followed)", 401: "endpoint answered HTTP 401", 503: "endpoint answered HTTP 503"} {
		if got := Category(statusError(code)); got != want {
			t.Errorf("%d: %q, want %q", code, got, want)
		}
	}
	if got := Category(errors.New("read tcp 10.0.0.1:5432: EOF")); got != "delivery failed" {
		t.Errorf("unknown cause shown as %q", got)
	}
}
