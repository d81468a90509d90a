package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cbec-platform/cbec/internal/app/apptest"
	"github.com/cbec-platform/cbec/internal/webhook"
)

// Receipts reach a registered endpoint in order and signed; while the
// endpoint fails they are retried, and none is skipped once it recovers.
func TestWebhookDeliversWithRetries(t *testing.T) {
	var (
		mu     sync.Mutex
		got    []int64
		secret string
		fail   atomic.Bool
	)
	fail.Store(true)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if fail.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get(webhook.SignatureHeader) != webhook.Sign(secret, body) {
			t.Errorf("bad signature %q", r.Header.Get(webhook.SignatureHeader))
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload: %v", err)
		}
		for _, rc := range p.Receipts {
			got = append(got, rc.Seq)
		}
	}))
	defer hook.Close()

	f := newFixture(t, apptest.SQLite, allowLoopback)
	if r := f.s.JSON("PUT", "/api/v1/webhook", f.keys[agent], map[string]any{"url": "ftp://nowhere"}); r.Status != 400 {
		t.Errorf("ftp URL accepted: %d", r.Status)
	}
	mu.Lock()
	r := f.s.JSON("PUT", "/api/v1/webhook", f.keys[agent], map[string]any{"url": hook.URL})
	var reg struct{ Secret string }
	r.JSON(t, &reg)
	secret = reg.Secret
	mu.Unlock()
	if r.Status != 200 || reg.Secret == "" {
		t.Fatalf("register webhook: %d %s", r.Status, r.Body)
	}

	d := f.newDecl()
	f.send(d)
	f.final(d.copNo)
	waitFor(t, func() bool {
		var st struct{ Failures int }
		f.s.JSON("GET", "/api/v1/webhook", f.keys[agent], nil).JSON(t, &st)
		return st.Failures > 0
	})
	fail.Store(false)
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 2 // the inventory's 120 and its 800
	})
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("receipts out of order: %v", got)
		}
	}
}

// The same documents as JSON go through the same intake.
func TestJSONDocuments(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	order := map[string]any{
		"guid": "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "version": "1.0",
		"Order": []any{map[string]any{
			"OrderHead": map[string]any{"guid": "4CDE1CFD-EDED-46B1-946C-B8022E42FC95", "appType": "1", "appTime": appTime, "appStatus": "2",
				"orderType": "I", "orderNo": "JSON-1", "ebpCode": platform, "ebpName": "平台", "ebcCode": platform, "ebcName": "电商",
				"goodsValue": "400", "freight": "10", "discount": "0", "taxTotal": "37.31", "acturalPaid": "447.31", "currency": "142",
				"buyerRegNo": "u1", "buyerName": "王小明", "buyerTelephone": "13812345678", "buyerIdType": "1", "buyerIdNumber": "110101199003074514",
				"consignee": "王小明", "consigneeTelephone": "13812345678", "consigneeAddress": "重庆市渝北区金开大道88号"},
			"OrderList": []any{map[string]any{"gnum": "1", "itemNo": "MILK-1", "itemName": "婴儿配方奶粉", "gmodel": "900g", "unit": "011",
				"qty": "2", "price": "200", "totalPrice": "400", "currency": "142", "country": "502"}},
		}},
		"BaseTransfer": map[string]any{"copCode": platform, "copName": "平台", "dxpMode": "DXP", "dxpId": "DXPENT0000000001"},
	}
	r := f.s.JSON("POST", "/api/v1/documents/CEB311Message", f.keys[platform], order)
	var ans struct {
		MessageType string
		Receipt     struct {
			OrderReturn []struct{ ReturnStatus, ReturnInfo string }
		}
	}
	r.JSON(t, &ans)
	if r.Status != 200 || ans.MessageType != "CEB312Message" || len(ans.Receipt.OrderReturn) != 1 || ans.Receipt.OrderReturn[0].ReturnStatus != "120" {
		t.Fatalf("JSON order: %d %s", r.Status, r.Body)
	}
	delete(order["Order"].([]any)[0].(map[string]any)["OrderHead"].(map[string]any), "orderNo")
	r = f.s.JSON("POST", "/api/v1/documents/CEB311Message", f.keys[platform], order)
	var bad errBody
	r.JSON(t, &bad)
	if r.Status != 400 || bad.Error.Field != "Order[1]/OrderHead/orderNo" {
		t.Errorf("missing orderNo: %d %s", r.Status, r.Body)
	}
	if r := f.s.JSON("POST", "/api/v1/documents/CEB999Message", f.keys[platform], order); r.Status != 400 {
		t.Errorf("unknown type: %d", r.Status)
	}
}
