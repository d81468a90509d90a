package httpapi_test

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// fromAddress is a client whose connections come from the given loopback
// address (127.0.0.2, …): another machine, as far as the server can tell.
func fromAddress(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func officerLoginFrom(t *testing.T, s *apptest.Server, client *http.Client, username, password string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/console/officer/login", strings.NewReader(url.Values{"username": {username}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Issue 18: failed sign-ins lock the user name only from the address they
// came from: anyone could otherwise lock an officer out by typing wrong
// passwords under the officer's name. The address that failed backs off.
func TestOfficerLoginLockIsPerAddress(t *testing.T) {
	s := apptest.Start(t, apptest.SQLite)
	addOfficer(t, s, "li.wei", "customs")
	attacker, officer := fromAddress("127.0.0.2"), fromAddress("127.0.0.1")
	for i := range 5 {
		if r := officerLoginFrom(t, s, attacker, "li.wei", "guess-"+strconv.Itoa(i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, r.StatusCode)
		}
	}
	r := officerLoginFrom(t, s, attacker, "li.wei", officerPassword)
	if r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the guessing address, sixth try: %d, want 429", r.StatusCode)
	} else if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if r := officerLoginFrom(t, s, officer, "li.wei", officerPassword); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the officer, from its own address: %d, want signed in (303)", r.StatusCode)
	}
}
