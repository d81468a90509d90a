package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"time"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/app/apptest"
)

// exampleServer starts a real cbec server on a fresh embedded database and
// registers the e-commerce platform of the examples/ messages; it returns
// the server's URL, the platform's API key and a function that stops it.
func exampleServer() (url, key string, stop func()) {
	dir, err := os.MkdirTemp("", "cbec-example-*")
	if err != nil {
		log.Fatal(err)
	}
	cfg := apptest.Config(dir)
	// The webhook example's receiver listens on loopback, which webhooks may
	// reach only when the operator allows it.
	cfg.Webhook.Allow = []string{"127.0.0.1"}
	srv, stopServer, err := apptest.Launch(cfg, io.Discard)
	if err != nil {
		log.Fatal(err)
	}
	admin, err := client.New(srv.URL, apptest.AdminToken)
	if err != nil {
		log.Fatal(err)
	}
	var reg struct{ APIKey string }
	err = admin.Call(context.Background(), "POST", "/api/v1/enterprises",
		map[string]any{"code": "1105910159", "name": "重庆示例跨境电商平台", "roles": []string{"ebp", "ebc"}}, &reg)
	if err != nil {
		log.Fatal(err)
	}
	return srv.URL, reg.APIKey, func() { _ = stopServer(); os.RemoveAll(dir) }
}

// Submit an order (CEB311) as CEB XML and read its receipt.
func ExampleClient_SubmitCEB() {
	server, apiKey, stop := exampleServer()
	defer stop()

	c, err := client.New(server, apiKey)
	if err != nil {
		log.Fatal(err)
	}
	order, err := os.ReadFile("../examples/order.xml")
	if err != nil {
		log.Fatal(err)
	}
	ans, err := c.SubmitCEB(context.Background(), order)
	if err != nil {
		log.Fatal(err) // not reached the server, or an error answer (*client.Error)
	}
	results, err := ans.Results()
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(ans.Status, r.Fields["orderNo"], r.ReturnStatus, r.Code())
	}
	// Output:
	// 200 DEMO-ORDER-0001 120 1800
}

// Follow the receipts feed from a stored sequence number. Here it reads to
// the end and returns; without UntilCaughtUp it keeps waiting for new
// receipts until the context ends.
func ExampleClient_Follow() {
	server, apiKey, stop := exampleServer()
	defer stop()

	c, _ := client.New(server, apiKey)
	order, _ := os.ReadFile("../examples/order.xml")
	if _, err := c.SubmitCEB(context.Background(), order); err != nil {
		log.Fatal(err)
	}
	var last int64 // in an integration: the Seq stored after the last receipt handled
	err := c.Follow(context.Background(), last, client.FollowOptions{UntilCaughtUp: true}, func(r client.Receipt) error {
		fmt.Println(r.Seq, r.MessageType, r.OrderNo, r.ReturnStatus, r.Code())
		last = r.Seq // store it with what the receipt changed, in one transaction
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("resume after", last)
	// Output:
	// 1 CEB312Message DEMO-ORDER-0001 120 1800
	// resume after 1
}

// A JSON document that fails validation comes back as a *client.Error that
// names each field at fault.
func ExampleClient_SubmitJSON() {
	server, apiKey, stop := exampleServer()
	defer stop()

	c, _ := client.New(server, apiKey)
	order := map[string]any{"guid": "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "version": "1.0",
		"Order": []any{map[string]any{"OrderHead": map[string]any{"orderNo": "JSON-1"}}}}
	_, err := c.SubmitJSON(context.Background(), "CEB311Message", order)
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Kind, e.Code, e.Field)
		fmt.Println(len(e.Problems) > 1)
	}
	// Output:
	// 400 invalid CEB-LENGTH Order[1]/OrderHead/guid
	// true
}

// Error answers carry the server's code, field and message.
func ExampleError() {
	server, _, stop := exampleServer()
	defer stop()

	c, _ := client.New(server, "cbec_not-a-key")
	_, err := c.Receipts(context.Background(), 0, 10)
	fmt.Println(client.StatusOf(err), client.CodeOf(err))
	// Output:
	// 401 bad_credentials
}

// Verify a webhook delivery by hand: the signature header against the raw body.
func ExampleVerifySignature() {
	secret := "7f1c0e5a9b3d4c2e8f6a1b0c9d8e7f6a5b4c3d2e1f0a9b8c" // from PUT /api/v1/webhook
	body := []byte(`{"enterprise":"1105910159","receipts":[],"next":0}`)
	header := "sha256=85ddf0c5a4e9d31f807996128fa256034b374dfdfaa50dca6e362976e9462351" // X-Cbec-Signature

	fmt.Println(client.VerifySignature(secret, body, header))
	tampered := []byte(`{"enterprise":"1105910159","receipts":[],"next":9}`)
	fmt.Println(errors.Is(client.VerifySignature(secret, tampered, header), client.ErrSignature))
	// Output:
	// <nil>
	// true
}

// Receive receipts pushed to a webhook endpoint: WebhookHandler checks each
// delivery's signature before fn sees it.
func ExampleWebhookHandler() {
	server, apiKey, stop := exampleServer()
	defer stop()
	c, _ := client.New(server, apiKey)

	got := make(chan client.Receipt, 10)
	var secret atomic.Value // known once the webhook is registered
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client.WebhookHandler(secret.Load().(string), func(_ context.Context, d *client.Delivery) error {
			for _, rc := range d.Receipts {
				got <- rc // deduplicate by Seq: deliveries are at least once
			}
			return nil
		}).ServeHTTP(w, r)
	}))
	defer endpoint.Close()

	var hook struct{ Secret string }
	if err := c.Call(context.Background(), "PUT", "/api/v1/webhook", map[string]string{"url": endpoint.URL}, &hook); err != nil {
		log.Fatal(err)
	}
	secret.Store(hook.Secret)
	order, _ := os.ReadFile("../examples/order.xml")
	if _, err := c.SubmitCEB(context.Background(), order); err != nil {
		log.Fatal(err)
	}
	select {
	case r := <-got:
		fmt.Println(r.Seq, r.MessageType, r.ReturnStatus)
	case <-time.After(time.Minute):
		fmt.Println("no delivery")
	}
	// Output:
	// 1 CEB312Message 120
}
