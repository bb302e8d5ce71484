package board

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestTokenBucket(t *testing.T) {
	clock := newFakeClock()
	l := NewTokenBucket(TokenBucketConfig{Rate: 0.5, Burst: 3, Now: clock.Now})
	ctx := context.Background()
	allow := func(key string) (bool, time.Duration) {
		ok, wait, err := l.Allow(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	for i := range 3 {
		if ok, _ := allow("10.0.0.1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := allow("10.0.0.1")
	if ok || wait != 2*time.Second {
		t.Fatalf("4th request: got %t, wait %v; want refused, wait 2s", ok, wait)
	}
	if ok, _ := allow("10.0.0.2"); !ok {
		t.Fatal("another client was refused")
	}
	clock.Advance(time.Second)
	if ok, wait := allow("10.0.0.1"); ok || wait != time.Second {
		t.Fatalf("after 1s: got %t, wait %v; want refused, wait 1s", ok, wait)
	}
	clock.Advance(time.Second)
	if ok, _ := allow("10.0.0.1"); !ok {
		t.Fatal("after 2s: refused, want one token back")
	}
	if ok, _ := allow("10.0.0.1"); ok {
		t.Fatal("the regained token was spent twice")
	}
	// A long pause refills to the burst, not beyond.
	clock.Advance(time.Hour)
	for i := range 3 {
		if ok, _ := allow("10.0.0.1"); !ok {
			t.Fatalf("after an hour, request %d refused", i+1)
		}
	}
	if ok, _ := allow("10.0.0.1"); ok {
		t.Fatal("the bucket held more than its burst")
	}
	// A clock that steps back does not mint tokens.
	clock.Advance(-time.Hour)
	if ok, _ := allow("10.0.0.1"); ok {
		t.Fatal("stepping the clock back minted a token")
	}
}

func TestTokenBucketBoundedMemory(t *testing.T) {
	clock := newFakeClock()
	l := NewTokenBucket(TokenBucketConfig{Rate: 1, Burst: 2, MaxClients: 100, Now: clock.Now})
	for i := range 1000 {
		l.Allow(context.Background(), fmt.Sprint("client-", i))
		if n := l.Clients(); n > 100 {
			t.Fatalf("%d clients held after %d requests, want at most 100", n, i+1)
		}
	}
	// Buckets that refilled are dropped first.
	clock.Advance(time.Minute)
	l.Allow(context.Background(), "late")
	if n := l.Clients(); n != 1 {
		t.Errorf("after refilling, %d clients held, want 1", n)
	}
}

func TestTokenBucketConcurrent(t *testing.T) {
	l := NewTokenBucket(TokenBucketConfig{Rate: 1e-9, Burst: 50})
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 200 {
		wg.Go(func() {
			if ok, _, _ := l.Allow(context.Background(), "same"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Errorf("%d of 200 concurrent requests allowed, want exactly the burst of 50", allowed)
	}
}

func TestNewTokenBucketPanicsOnBadConfig(t *testing.T) {
	for _, cfg := range []TokenBucketConfig{{Rate: 0, Burst: 1}, {Rate: 1, Burst: 0}, {Rate: -1, Burst: 5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewTokenBucket(%+v) did not panic", cfg)
				}
			}()
			NewTokenBucket(cfg)
		}()
	}
}
