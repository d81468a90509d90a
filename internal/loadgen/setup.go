package loadgen

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/cbec-platform/cbec/client"
	"github.com/cbec-platform/cbec/internal/ident"
)

// ErrNoCEBIntake means the server answers 404 on POST /api/v1/ceb: it does
// not take CEB messages (yet), so there is nothing to drive.
var ErrNoCEBIntake = errors.New("the server has no CEB intake: POST /api/v1/ceb answers 404")

// Register creates every party on the server (contract §2) and keeps the
// API keys. Credit class general gives the ordinary inspection rate.
func Register(ctx context.Context, c *Client, ps *Parties) error {
	var seed [16]byte
	_, _ = crand.Read(seed[:]) // USCCs must not repeat between runs, so not from the run's seed
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	for _, p := range ps.All() {
		in := map[string]any{
			"code": p.Code, "name": p.Name, "uscc": ident.RandomUSCC(r), "roles": p.Roles,
			"creditClass": "general", "certificates": []string{string(p.Identity.CertPEM)},
		}
		var out struct {
			APIKey string `json:"apiKey"`
		}
		if err := c.admin.Call(ctx, http.MethodPost, "/api/v1/enterprises", in, &out); err != nil {
			return fmt.Errorf("register enterprise %s: %w", p.Code, err)
		}
		if out.APIKey == "" {
			return fmt.Errorf("register enterprise %s: no apiKey in the answer", p.Code)
		}
		p.Key = out.APIKey
	}
	return entrust(ctx, c, ps)
}

// entrust has every shop entrust every declaring agent with its inventories
// (contract §8): without it the agents' inventories are refused 1108. A
// server without the entrustments route (404) does not ask for them.
func entrust(ctx context.Context, c *Client, ps *Parties) error {
	for _, shop := range ps.Shops {
		for _, agent := range ps.Agents {
			err := c.As(shop.Key).Call(ctx, http.MethodPost, "/api/v1/entrustments", map[string]string{"agentCode": agent.Code}, nil)
			var answer *client.Error
			if errors.As(err, &answer) && answer.Status == http.StatusNotFound {
				return nil
			}
			if err != nil {
				return fmt.Errorf("entrust %s with %s's inventories: %w", agent.Code, shop.Code, err)
			}
		}
	}
	return nil
}

// upload posts a CSV file with the key (the administrator's when empty).
func (c *Client) upload(ctx context.Context, path, key string, csv []byte) error {
	api := c.admin
	if key != "" {
		api = c.As(key)
	}
	_, err := api.Do(ctx, http.MethodPost, path, "text/csv", csv)
	return err
}

// LoadReferenceData uploads the tariff and positive-list rows of the
// generator's goods (admin) and each shop's product filing (the shop's key),
// contract §6, then lodges a guarantee for each shop (§7). An endpoint that
// answers 404 is skipped with a warning, so a run works against servers
// that do not have it yet; any other failure stops the run.
func LoadReferenceData(ctx context.Context, c *Client, ps *Parties, warn func(string)) error {
	skip := func(what string, err error) error {
		if IsNotFound(err) {
			warn(what + ": the server answers 404; skipped")
			return nil
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := c.upload(ctx, "/api/v1/tariff", "", TariffCSV()); err != nil {
		if err := skip("tariff upload", err); err != nil {
			return err
		}
	}
	if err := c.upload(ctx, "/api/v1/positive-list", "", PositiveListCSV()); err != nil {
		if err := skip("positive-list upload", err); err != nil {
			return err
		}
	}
	if err := FileProducts(ctx, c, ps); err != nil {
		if err := skip("product filing", err); err != nil {
			return err
		}
	}
	for _, shop := range ps.Shops {
		if err := c.guarantee(ctx, shop.Code); err != nil {
			if err := skip("guarantee", err); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

// FileProducts uploads each shop's product filing (contract §6) with the
// shop's key.
func FileProducts(ctx context.Context, c *Client, ps *Parties) error {
	for i, shop := range ps.Shops {
		if err := c.upload(ctx, "/api/v1/products", shop.Key, ProductsCSV(i)); err != nil {
			return err
		}
	}
	return nil
}

// SameDeployment checks that peer knows the enterprises registered through
// another node, i.e. that both serve one database: a run spread over servers
// that do not share one would only collect 401 answers.
func SameDeployment(ctx context.Context, peer *Client, ps *Parties) error {
	_, err := peer.As(ps.Platform.Key).Receipts(ctx, 0, 1)
	if st := client.StatusOf(err); st != 0 {
		return fmt.Errorf("server %s does not know the enterprises just registered through the first server (%w): all servers must be nodes of one deployment on one database", peer.Base(), err)
	}
	if err != nil {
		return fmt.Errorf("server %s: %w", peer.Base(), err)
	}
	return nil
}

// benchStock is the zone entry of a bench run: more than any run sells.
const benchStock = 10000000

// LoadBondedStock opens an account book for each agent's bonded-zone
// warehouse, registers every shop's goods as its items and records a zone
// entry with stock for any run, so bonded (1210) inventories find their
// items. These endpoints are the project's own, not the contract's: a server
// without them (404) is warned about and bonded inventories will be refused.
func LoadBondedStock(ctx context.Context, c *Client, ps *Parties, warn func(string)) error {
	return LoadBondedStockOf(ctx, c, ps, benchStock, warn)
}

// LoadBondedStockOf is LoadBondedStock with qty pieces of each item, for
// tests that need stock to run out.
func LoadBondedStockOf(ctx context.Context, c *Client, ps *Parties, qty int64, warn func(string)) error {
	for _, agent := range ps.Agents {
		ems := emsNo(agent)
		err := c.postJSON(ctx, "/api/v1/books", map[string]string{"emsNo": ems, "operatorCode": agent.Code, "name": "保税仓账册 " + agent.Name})
		if IsNotFound(err) {
			warn("bonded account books: the server answers 404; skipped (bonded inventories will be refused)")
			return nil
		}
		if err != nil {
			return fmt.Errorf("open account book %s: %w", ems, err)
		}
		type item struct {
			ItemRecordNo string `json:"itemRecordNo"`
			EbcCode      string `json:"ebcCode"`
			ItemNo       string `json:"itemNo"`
			Name         string `json:"name"`
			Unit         string `json:"unit"`
		}
		type line struct {
			ItemRecordNo string `json:"itemRecordNo"`
			Qty          string `json:"qty"`
		}
		var items []item
		var lines []line
		for s, shop := range ps.Shops {
			for i, g := range goods {
				items = append(items, item{ItemRecordNo: itemRecordNo(s, i), EbcCode: shop.Code, ItemNo: g.ItemNo, Name: g.Name, Unit: g.Unit})
				lines = append(lines, line{ItemRecordNo: itemRecordNo(s, i), Qty: strconv.FormatInt(qty, 10)})
			}
		}
		if err := c.postJSON(ctx, "/api/v1/books/"+ems+"/items", map[string]any{"items": items}); err != nil {
			return fmt.Errorf("account book %s items: %w", ems, err)
		}
		if err := c.postJSON(ctx, "/api/v1/books/"+ems+"/entries", map[string]any{"entryNo": "EN" + ems, "items": lines}); err != nil {
			return fmt.Errorf("account book %s zone entry: %w", ems, err)
		}
	}
	return nil
}

// postJSON posts v as the administrator.
func (c *Client) postJSON(ctx context.Context, path string, v any) error {
	return c.admin.Call(ctx, http.MethodPost, path, v, nil)
}

// guarantee lodges a guarantee large enough for any run.
func (c *Client) guarantee(ctx context.Context, assure string) error {
	return c.postJSON(ctx, "/api/v1/guarantees", map[string]string{
		"assureCode": assure, "amount": "100000000.00", "reference": "bench bank guarantee " + assure,
		"validUntil": time.Now().AddDate(1, 0, 0).Format("2006-01-02"),
	})
}

// ProbeCEB checks that the server takes the documents in format: an empty
// message must be refused as a bad message (400), not as an unknown route
// (404). XML goes to POST /api/v1/ceb, JSON to POST /api/v1/documents/{type}.
func ProbeCEB(ctx context.Context, c *Client, key, format string) error {
	api, missing := c.As(key), ErrNoCEBIntake
	var err error
	if format == "json" {
		missing = ErrNoJSONAPI
		_, err = api.SubmitJSON(ctx, TypeOrder, []byte(nil))
	} else {
		_, err = api.SubmitCEB(ctx, nil)
	}
	switch client.StatusOf(err) {
	case 0:
		if err != nil {
			return fmt.Errorf("probe CEB intake: %w", err)
		}
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return missing
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("probe CEB intake: %w", err)
	}
	return nil
}
