package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/webhook"
)

const platform = "1105910159"

// start runs a server with the platform of examples/ registered and
// returns a client acting as it.
func start(t *testing.T, engine apptest.Engine) (*apptest.Server, *client.Client) {
	t.Helper()
	s := apptest.Start(t, engine)
	c, err := client.New(s.URL, s.Register(platform, "ebp", "ebc"))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// order returns examples/order.xml with its order number and guids made
// unique by n, so that each is a new document.
func order(t *testing.T, n string) []byte {
	t.Helper()
	b, err := os.ReadFile("../examples/order.xml")
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("DEMO-ORDER-0001"), []byte("DEMO-ORDER-"+n))
	return bytes.ReplaceAll(b, []byte("2B7C1D9A00"), []byte("2B7C1D9A"+n[len(n)-2:]))
}

func TestNewRefusesURLsWithPaths(t *testing.T) {
	for _, u := range []string{"ftp://h", "http://", "http://h/api", "http://h?x=1", "::"} {
		if _, err := client.New(u, "k"); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := client.New("http://127.0.0.1:8080/", "k")
	if err != nil || c.Base() != "http://127.0.0.1:8080" {
		t.Errorf("New with a trailing slash: %v %v", c, err)
	}
}

// Follow hands every receipt over once and in order, resumes after a
// stored sequence number, and stops on the callback's error.
func TestFollowResumes(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, engine apptest.Engine) {
		_, c := start(t, engine)
		ctx := context.Background()
		for _, n := range []string{"0001", "0002", "0003"} {
			if ans, err := c.SubmitCEB(ctx, order(t, n)); err != nil || ans.Status != 200 {
				t.Fatalf("order %s: %v %d %s", n, err, ans.Status, ans.Body)
			}
		}
		read := func(after int64, opt client.FollowOptions) []string {
			var got []string
			opt.UntilCaughtUp = true
			err := c.Follow(ctx, after, opt, func(r client.Receipt) error {
				got = append(got, r.OrderNo+" "+r.ReturnStatus)
				if opt.WithoutXML != (r.XML == "") {
					t.Errorf("seq %d: WithoutXML %v, XML %q", r.Seq, opt.WithoutXML, r.XML)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := strings.Join(read(0, client.FollowOptions{PageSize: 2}), ","); got != "DEMO-ORDER-0001 120,DEMO-ORDER-0002 120,DEMO-ORDER-0003 120" {
			t.Errorf("from 0, pages of 2: %s", got)
		}
		if got := strings.Join(read(2, client.FollowOptions{WithoutXML: true}), ","); got != "DEMO-ORDER-0003 120" {
			t.Errorf("after 2: %s", got)
		}
		stop := errors.New("enough")
		n := 0
		err := c.Follow(ctx, 0, client.FollowOptions{}, func(client.Receipt) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("callback error: %v after %d receipts", err, n)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := c.Follow(cancelled, 0, client.FollowOptions{}, func(client.Receipt) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v", err)
		}
	})
}

// A page that cannot be read goes to OnError, whose answer decides.
func TestFollowOnError(t *testing.T) {
	s, _ := start(t, apptest.SQLite)
	c, _ := client.New(s.URL, "cbec_revoked")
	var seen []error
	giveUp := errors.New("give up")
	err := c.Follow(context.Background(), 0, client.FollowOptions{Interval: 1, OnError: func(err error) error {
		seen = append(seen, err)
		if len(seen) == 2 {
			return giveUp
		}
		return nil // try again
	}}, func(client.Receipt) error { return nil })
	if !errors.Is(err, giveUp) || len(seen) != 2 || client.CodeOf(seen[0]) != "bad_credentials" {
		t.Errorf("Follow: %v, OnError saw %v", err, seen)
	}
	if err := c.Follow(context.Background(), 0, client.FollowOptions{}, func(client.Receipt) error { return nil }); client.StatusOf(err) != 401 {
		t.Errorf("without OnError: %v", err)
	}
}

// A message refused as a whole comes back as its CEB900 receipt, not as an
// error; error answers come back as *Error with the server's fields.
func TestSubmitAnswers(t *testing.T) {
	s, c := start(t, apptest.SQLite)
	ctx := context.Background()
	ans, err := c.SubmitCEB(ctx, []byte("<ceb:CEB311Message/>"))
	if err != nil || !ans.Refused() {
		t.Fatalf("bad XML: %v %+v", err, ans)
	}
	rs, err := ans.Results()
	if err != nil || len(rs) != 1 || rs[0].ReturnStatus == "" || rs[0].ReturnInfo == "" {
		t.Errorf("CEB900 results: %+v %v (%s)", rs, err, ans.Body)
	}

	// Two orders in one message: a result each, in order.
	two := bytes.Replace(order(t, "0004"), []byte("</ceb:Order>"),
		[]byte("</ceb:Order>"+string(orderElement(t, order(t, "0005")))), 1)
	ans, err = c.SubmitCEB(ctx, two)
	if err != nil {
		t.Fatal(err)
	}
	rs, err = ans.Results()
	if err != nil || len(rs) != 2 || rs[0].Fields["orderNo"] != "DEMO-ORDER-0004" || rs[1].Fields["orderNo"] != "DEMO-ORDER-0005" {
		t.Errorf("two orders: %+v %v (%s)", rs, err, ans.Body)
	}

	anon, _ := client.New(s.URL, "")
	_, err = anon.SubmitCEB(ctx, order(t, "0006"))
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 401 || e.Code != "credentials_missing" || e.Kind != "unauthorized" || e.RequestID == "" {
		t.Errorf("no key: %#v", err)
	}
	if _, err := c.SubmitJSON(ctx, "CEB999Message", []byte(`{}`)); client.CodeOf(err) != "message_type" {
		t.Errorf("unknown type: %v", err)
	}
}

// orderElement cuts the <ceb:Order>…</ceb:Order> out of a CEB311 message.
func orderElement(t *testing.T, msg []byte) []byte {
	i, j := bytes.Index(msg, []byte("<ceb:Order>")), bytes.Index(msg, []byte("</ceb:Order>"))
	if i < 0 || j < 0 {
		t.Fatalf("no order in %s", msg)
	}
	return msg[i : j+len("</ceb:Order>")]
}

func TestSubmitJSONResults(t *testing.T) {
	_, c := start(t, apptest.SQLite)
	doc := `{"guid":"4CDE1CFD-EDED-46B1-946C-B8022E42FC94","version":"1.0","Order":[{"OrderHead":{"guid":"4CDE1CFD-EDED-46B1-946C-B8022E42FC95",
	"appType":"1","appTime":"20261127101500","appStatus":"2","orderType":"I","orderNo":"JSON-1","ebpCode":"1105910159","ebpName":"平台",
	"ebcCode":"1105910159","ebcName":"电商","goodsValue":"400","freight":"10","discount":"0","taxTotal":"37.31","acturalPaid":"447.31",
	"currency":"142","buyerRegNo":"u1","buyerName":"王小明","buyerTelephone":"13812345678","buyerIdType":"1","buyerIdNumber":"110101199003074514",
	"consignee":"王小明","consigneeTelephone":"13812345678","consigneeAddress":"重庆市渝北区金开大道88号"},
	"OrderList":[{"gnum":"1","itemNo":"MILK-1","itemName":"婴儿配方奶粉","gmodel":"900g","unit":"011","qty":"2","price":"200","totalPrice":"400",
	"currency":"142","country":"502"}]}],"BaseTransfer":{"copCode":"1105910159","copName":"平台","dxpMode":"DXP","dxpId":"DXPENT0000000001"}}`
	ans, err := c.SubmitJSON(context.Background(), "CEB311Message", []byte(doc))
	if err != nil || ans.Status != 200 || !ans.JSON {
		t.Fatalf("JSON order: %v %+v", err, ans)
	}
	rs, err := ans.Results()
	if err != nil || len(rs) != 1 || rs[0].ReturnStatus != "120" || rs[0].Code() != "1800" || rs[0].Fields["orderNo"] != "JSON-1" {
		t.Errorf("results: %+v %v (%s)", rs, err, ans.Body)
	}
}

// The client accepts what the server's webhook signs, and nothing else.
func TestVerifySignatureAgreesWithServer(t *testing.T) {
	body := []byte(`{"enterprise":"1105910159","receipts":[{"seq":1}],"next":1}`)
	sig := webhook.Sign("s3cret", body)
	if err := client.VerifySignature("s3cret", body, sig); err != nil {
		t.Errorf("server's signature refused: %v", err)
	}
	for name, tc := range map[string]struct {
		secret, sig string
		body        []byte
	}{
		"other secret": {"other", sig, body},
		"tampered":     {"s3cret", sig, append(body[:len(body)-1:len(body)-1], ' ', '}')},
		"no prefix":    {"s3cret", strings.TrimPrefix(sig, "sha256="), body},
		"not hex":      {"s3cret", "sha256=zz", body},
		"empty":        {"s3cret", "", body},
	} {
		if err := client.VerifySignature(tc.secret, tc.body, tc.sig); !errors.Is(err, client.ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWebhookHandlerRefusesBadSignatures(t *testing.T) {
	called := 0
	h := client.WebhookHandler("s3cret", func(_ context.Context, d *client.Delivery) error {
		called++
		if d.Enterprise != "1105910159" || len(d.Receipts) != 1 || d.Receipts[0].Seq != 7 {
			t.Errorf("delivery: %+v", d)
		}
		return nil
	})
	body := `{"enterprise":"1105910159","receipts":[{"seq":7}],"next":7}`
	post := func(sig string) int {
		req := httptest.NewRequest("POST", "/hook", strings.NewReader(body))
		req.Header.Set(client.SignatureHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	if st := post(webhook.Sign("wrong", []byte(body))); st != http.StatusUnauthorized || called != 0 {
		t.Errorf("bad signature: %d, handler called %d times", st, called)
	}
	if st := post(webhook.Sign("s3cret", []byte(body))); st != http.StatusNoContent || called != 1 {
		t.Errorf("good signature: %d, handler called %d times", st, called)
	}
}
