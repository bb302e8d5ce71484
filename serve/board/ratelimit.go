package board

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter decides whether a client may make a request now.
type Limiter interface {
	// Allow takes one token for key. When none is left it returns false and how long until one
	// will be. An error means the limiter could not decide; the handler then lets the request
	// through (a broken limiter must not take the board down).
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// TokenBucketConfig configures a TokenBucket.
type TokenBucketConfig struct {
	// Rate is how many tokens a client regains per second. Must be positive.
	Rate float64
	// Burst is how many tokens a client holds at most, and starts with. Must be at least 1.
	Burst int
	// MaxClients bounds memory: when more clients than this hold a bucket, full buckets (which are
	// the same as none) are dropped, then, if still too many, the whole table is reset. Zero means
	// 100000.
	MaxClients int
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// TokenBucket is an in-memory Limiter with one token bucket per key (the client's IP address).
type TokenBucket struct {
	cfg     TokenBucketConfig
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// NewTokenBucket returns a TokenBucket. It panics on a non-positive Rate or Burst.
func NewTokenBucket(cfg TokenBucketConfig) *TokenBucket {
	if !(cfg.Rate > 0) || cfg.Burst < 1 {
		panic("board: token bucket needs Rate > 0 and Burst >= 1")
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 100000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &TokenBucket{cfg: cfg, buckets: map[string]*bucket{}}
}

// Allow implements Limiter.
func (l *TokenBucket) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.cfg.MaxClients {
			l.prune(now)
		}
		b = &bucket{tokens: float64(l.cfg.Burst), at: now}
		l.buckets[key] = b
	}
	b.refill(now, l.cfg)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / l.cfg.Rate * float64(time.Second)))
	return false, wait, nil
}

func (b *bucket) refill(now time.Time, cfg TokenBucketConfig) {
	if dt := now.Sub(b.at); dt > 0 {
		b.tokens = math.Min(float64(cfg.Burst), b.tokens+dt.Seconds()*cfg.Rate)
	}
	b.at = now // a clock that steps back only delays refilling
}

// prune drops full buckets; if that frees nothing, it forgets every client (a flood of distinct
// addresses must not grow memory without bound).
func (l *TokenBucket) prune(now time.Time) {
	for k, b := range l.buckets {
		b.refill(now, l.cfg)
		if b.tokens >= float64(l.cfg.Burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.cfg.MaxClients {
		clear(l.buckets)
	}
}

// Clients returns how many clients hold a bucket (for tests and metrics).
func (l *TokenBucket) Clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
