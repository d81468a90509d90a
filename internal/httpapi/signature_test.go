package httpapi_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/config"
	"github.com/cbec-platform/cbec/internal/xmlsig/xmlsigtest"
)

// The signature policies of contract §1.
func TestSignaturePolicy(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	d := f.newDecl()
	signed := f.inventory(d, "1")
	unsigned := stripSignature(signed)

	if st, rs, info, _ := f.post(agent, unsigned); st != 400 || rs != "-1" || !strings.Contains(info, "1001") || !strings.Contains(info, "must carry a ds:Signature") {
		t.Errorf("required policy, unsigned: %d %s %s", st, rs, info)
	}
	tampered := bytes.Replace(signed, []byte(d.copNo), []byte(d.copNo+"X"), 1)
	if st, _, info, _ := f.post(agent, tampered); st != 400 || !strings.Contains(info, "1004") {
		t.Errorf("tampered: %d %s", st, info)
	}
	stranger := xmlsigtest.NewRSA(t)
	if st, _, info, _ := f.post(agent, stranger.Sign(t, unsigned)); st != 400 || !strings.Contains(info, "not registered for enterprise") {
		t.Errorf("unregistered certificate: %d %s", st, info)
	}
	if st, rs, _, body := f.post(agent, signed); st != 200 || rs != "120" {
		t.Errorf("properly signed: %d %s\n%s", st, rs, body)
	}

	lax := newFixture(t, apptest.SQLite, func(c *config.Config) { c.SignaturePolicy = "none" })
	d2 := lax.newDecl()
	if st, rs, info, _ := lax.post(agent, stripSignature(lax.inventory(d2, "1"))); st != 200 || rs != "120" {
		t.Errorf("policy none, unsigned: %d %s %s", st, rs, info)
	}
	opt := newFixture(t, apptest.SQLite, func(c *config.Config) { c.SignaturePolicy = "optional" })
	d3 := opt.newDecl()
	bad := bytes.Replace(opt.inventory(d3, "1"), []byte(d3.copNo), []byte(d3.copNo+"X"), 1)
	if st, _, info, _ := opt.post(agent, bad); st != 400 || !strings.Contains(info, "1004") {
		t.Errorf("policy optional, bad signature: %d %s", st, info)
	}
}

func stripSignature(doc []byte) []byte {
	i := bytes.Index(doc, []byte("<ds:Signature"))
	j := bytes.Index(doc, []byte("</ds:Signature>"))
	if i < 0 || j < 0 {
		return doc
	}
	return append(append([]byte{}, doc[:i]...), doc[j+len("</ds:Signature>"):]...)
}

// A message refused with a CEB900 is logged with its reason, so an operator
// can tell why an enterprise's messages bounce, but never with the values of
// the message (the buyer's ID number is in it).
func TestRefusalsAreLoggedWithoutValues(t *testing.T) {
	lc := &logCapture{T: t}
	f := newFixture(lc, apptest.SQLite, func(c *config.Config) { c.LogLevel = "info" })
	d := f.newDecl()
	unsigned := stripSignature(f.inventory(d, "1"))
	if st, _, _, _ := f.post(agent, unsigned); st != 400 {
		t.Fatalf("unsigned inventory: HTTP %d", st)
	}
	broken := bytes.Replace(unsigned, []byte("</ceb:CEB621Message>"), nil, 1)
	if st, _, _, _ := f.post(agent, broken); st != 400 {
		t.Fatalf("unterminated inventory: HTTP %d", st)
	}
	f.s.Stop()
	var refused []string
	for _, line := range strings.Split(string(lc.text()), "\n") {
		if strings.Contains(line, "CEB message refused") {
			refused = append(refused, line)
		}
	}
	if len(refused) != 2 || !strings.Contains(refused[0], "1001") || !strings.Contains(refused[0], agent) {
		t.Fatalf("refusal log lines: %q", refused)
	}
	if strings.Contains(refused[1], "1001") {
		t.Errorf("the unterminated message was refused for its signature, not its syntax: %s", refused[1])
	}
	for _, line := range refused {
		if strings.Contains(line, d.buyerID) {
			t.Errorf("the log holds the buyer's ID number: %s", line)
		}
	}
}
