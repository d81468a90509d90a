package enterprise

import (
	"context"
	"sync"
	"time"

	"github.com/cbec-platform/cbec/internal/errs"
)

// Cache keeps recently read enterprises and API keys in memory: every message
// needs its sender authenticated and every inventory its parties checked, at
// thousands per second. Changes made through this process's Service are seen
// at once; changes made by another node are seen within the TTL.
type Cache struct {
	Store Store
	TTL   time.Duration
	Now   func() time.Time

	mu     sync.RWMutex
	byCode map[string]cached
	byKey  map[string]cachedKey
}

type cached struct {
	e       *Enterprise // nil: not registered
	expires time.Time
}

type cachedKey struct {
	code    string // "": no live key with this hash
	expires time.Time
}

// NewCache returns a cache over store.
func NewCache(store Store, ttl time.Duration) *Cache {
	return &Cache{Store: store, TTL: ttl, Now: time.Now, byCode: map[string]cached{}, byKey: map[string]cachedKey{}}
}

// Get returns the enterprise with code, or nil when none is registered.
// The returned value is shared: callers must not modify it.
func (c *Cache) Get(ctx context.Context, code string) (_ *Enterprise, err error) {
	defer errs.Wrap(&err, "enterprise.Cache.Get(%q)", code)
	now := c.Now()
	c.mu.RLock()
	hit, ok := c.byCode[code]
	c.mu.RUnlock()
	if ok && now.Before(hit.expires) {
		return hit.e, nil
	}
	e, err := c.Store.GetEnterprise(ctx, code)
	if errs.KindOf(err) == errs.NotFound {
		e, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.byCode[code] = cached{e: e, expires: now.Add(c.TTL)}
	c.mu.Unlock()
	return e, nil
}

// ByKeyHash returns the enterprise holding a live key with this hash, or nil.
func (c *Cache) ByKeyHash(ctx context.Context, hash string) (_ *Enterprise, err error) {
	defer errs.Wrap(&err, "enterprise.Cache.ByKeyHash")
	now := c.Now()
	c.mu.RLock()
	hit, ok := c.byKey[hash]
	c.mu.RUnlock()
	if ok && now.Before(hit.expires) {
		if hit.code == "" {
			return nil, nil
		}
		return c.Get(ctx, hit.code)
	}
	e, err := c.Store.EnterpriseByKeyHash(ctx, hash)
	if errs.KindOf(err) == errs.NotFound {
		e, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	entry := cachedKey{expires: now.Add(c.TTL)}
	c.mu.Lock()
	if e != nil {
		entry.code = e.Code
		c.byCode[e.Code] = cached{e: e, expires: now.Add(c.TTL)}
	}
	c.byKey[hash] = entry
	c.mu.Unlock()
	return e, nil
}

// Invalidate forgets an enterprise and every cached key, after a change.
func (c *Cache) Invalidate(code string) {
	c.mu.Lock()
	delete(c.byCode, code)
	// Keys are few per enterprise but the map is keyed by hash: dropping all is
	// simpler than an index, and changes are rare.
	clear(c.byKey)
	c.mu.Unlock()
}
