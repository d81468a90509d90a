package publicweb

import (
	"hash/maphash"
	"sync"
	"time"
)

// Limiter is a token bucket per client key (the client's IP address): each
// key may spend Burst requests at once and gains Rate per second. Idle keys
// are forgotten, so memory stays bounded by the clients of the last minutes.
type Limiter struct {
	Rate  float64
	Burst float64
	Now   func() time.Time

	seed   maphash.Seed
	shards [32]limitShard
}

type limitShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	adds    int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter makes a limiter of rate requests per second with a burst.
func NewLimiter(rate, burst float64, now func() time.Time) *Limiter {
	l := &Limiter{Rate: rate, Burst: burst, Now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// idle is how long a full bucket is kept before it is forgotten.
const idle = 10 * time.Minute

// Allow spends one token of key; false when none is left, with the wait until the next.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	return l.use(key, true)
}

// Wait is how long until key has a token, 0 when it has one now; it spends
// nothing (a limit on failures checks before trying and spends after failing).
func (l *Limiter) Wait(key string) time.Duration {
	_, wait := l.use(key, false)
	return wait
}

func (l *Limiter) use(key string, spend bool) (bool, time.Duration) {
	now := l.Now()
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.Burst, last: now}
		sh.buckets[key] = b
		if sh.adds++; sh.adds >= 4096 {
			sh.adds = 0
			for k, v := range sh.buckets {
				if now.Sub(v.last) > idle {
					delete(sh.buckets, k)
				}
			}
		}
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(l.Burst, b.tokens+dt*l.Rate)
	}
	b.last = now
	if b.tokens >= 1 {
		if spend {
			b.tokens--
		}
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
}
