//go:build !js

package serve

// Load tests over loopback, run by `make bench-serve` (COPSD_LOAD_SECONDS=10): skipped otherwise.
//
//   TestLoadStatic: 200 concurrent clients fetch the app's files for the duration; no request may
//   fail, and the latency percentiles are reported.
//   TestLoadBoard: 50 concurrent clients post runs to the class board (SQLite, durable writes) for
//   the duration; afterwards every acknowledged run must be listed by the API.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copsdlab/copsd/serve/board"
	"github.com/copsdlab/copsd/serve/board/sqlitestore"
)

func loadDuration(t *testing.T) time.Duration {
	s := os.Getenv("COPSD_LOAD_SECONDS")
	if s == "" {
		t.Skip("load test: set COPSD_LOAD_SECONDS (make bench-serve)")
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		t.Fatalf("COPSD_LOAD_SECONDS=%q", s)
	}
	return time.Duration(n * float64(time.Second))
}

// serveLoopback serves cfg on a loopback port until the test ends.
func serveLoopback(t *testing.T, cfg Config) string {
	t.Helper()
	s := newTestServer(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func loadClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			DisableCompression:  true, // ask for encodings explicitly, and count raw bytes
		},
	}
}

// latencies summarises request times.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(l)-1))
	return l[i]
}

func (l latencies) String() string {
	return fmt.Sprintf("p50 %v, p90 %v, p99 %v, max %v", l.pct(50).Round(time.Microsecond), l.pct(90).Round(time.Microsecond),
		l.pct(99).Round(time.Microsecond), l.pct(100).Round(time.Microsecond))
}

func TestLoadStatic(t *testing.T) {
	d := loadDuration(t)
	app := newTestApp(t)
	base := serveLoopback(t, Config{App: app.fsys})

	type target struct {
		path, encoding string
		size           int64 // expected body bytes
	}
	var targets []target
	for name, data := range app.orig {
		if name == "asset-manifest.json" || strings.HasPrefix(name, ".") {
			continue
		}
		p := "/" + name
		if name == "index.html" {
			p = "/"
		}
		targets = append(targets, target{p, "", int64(len(data))})
		for _, enc := range []struct{ name, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
			if f, ok := app.fsys[name+enc.suffix]; ok {
				targets = append(targets, target{p, enc.name, int64(len(f.Data))})
			}
		}
	}
	slices.SortFunc(targets, func(a, b target) int { return strings.Compare(a.path+a.encoding, b.path+b.encoding) })

	const clients = 200
	client := loadClient(clients)
	var mu sync.Mutex
	var all latencies
	var errs []string
	var bytesRead int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var mine latencies
			var n int64
			var myErrs []string
			for i := c; time.Now().Before(deadline); i++ {
				tg := targets[i%len(targets)]
				req, _ := http.NewRequest("GET", base+tg.path, nil)
				if tg.encoding != "" {
					req.Header.Set("Accept-Encoding", tg.encoding)
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					myErrs = append(myErrs, err.Error())
					continue
				}
				got, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(start))
				n += got
				if err != nil || resp.StatusCode != 200 || got != tg.size || resp.Header.Get("Content-Encoding") != tg.encoding {
					myErrs = append(myErrs, fmt.Sprintf("%s (%s): %d, %d bytes, encoding %q, %v",
						tg.path, tg.encoding, resp.StatusCode, got, resp.Header.Get("Content-Encoding"), err))
				}
			}
			mu.Lock()
			all = append(all, mine...)
			errs = append(errs, myErrs...)
			bytesRead += n
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	t.Logf("static: %d clients for %v: %d requests (%.0f/s), %.1f MB, %d errors; latency %v",
		clients, d, len(all), float64(len(all))/d.Seconds(), float64(bytesRead)/1e6, len(errs), all)
	if len(errs) > 0 {
		t.Fatalf("%d failed requests, first: %s", len(errs), errs[0])
	}
}

func TestLoadBoard(t *testing.T) {
	d := loadDuration(t)
	store, err := sqlitestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	api := board.NewHandler(board.Config{Store: store, Logger: quietLogger()}) // no rate limit: one client IP
	base := serveLoopback(t, Config{App: newTestApp(t).fsys, API: api, OnClose: store.Close})

	const clients = 50
	const class = "load-test"
	client := loadClient(clients)
	var mu sync.Mutex
	acked := map[int64]int64{} // id → seed
	var all latencies
	var errs []string
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var mine latencies
			var myErrs []string
			mineAcked := map[int64]int64{}
			for i := 0; time.Now().Before(deadline); i++ {
				seed := int64(c)*1_000_000 + int64(i)
				body := fmt.Sprintf(`{"name":"client %d","constitution":"refuse weapons . refuse theft . be helpful .","recipe":"copsd",
					"model":"base-rho50","seed":%d,"metrics":{"safety":0.875,"helpfulness":0.75,"borderline_helpfulness":0.5,
					"over_refusal":0.125,"reasoning":0.5,"distinct2":0.625,"diversity":0.5,"length_benign":17.25,"entropy":1.5},
					"collapse_step":%d}`, c, seed, i%500)
				start := time.Now()
				resp, err := client.Post(base+"/api/board/"+class+"/runs", "application/json", strings.NewReader(body))
				if err != nil {
					myErrs = append(myErrs, err.Error())
					continue
				}
				data, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(start))
				var r board.Run
				if err != nil || resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &r) != nil || r.Seed != seed {
					myErrs = append(myErrs, fmt.Sprintf("%d %s %v", resp.StatusCode, data, err))
					continue
				}
				mineAcked[r.ID] = seed
			}
			mu.Lock()
			for id, seed := range mineAcked {
				if _, dup := acked[id]; dup {
					myErrs = append(myErrs, fmt.Sprintf("id %d acknowledged twice", id))
				}
				acked[id] = seed
			}
			all = append(all, mine...)
			errs = append(errs, myErrs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	t.Logf("board: %d clients posting for %v: %d runs acknowledged (%.0f/s), %d errors; latency %v",
		clients, d, len(acked), float64(len(acked))/d.Seconds(), len(errs), all)
	if len(errs) > 0 {
		t.Fatalf("%d failed posts, first: %s", len(errs), errs[0])
	}

	// Every acknowledged run is listed, through the API, page by page.
	listed := map[int64]int64{}
	next := ""
	for pages := 0; ; pages++ {
		q := "?limit=100"
		if next != "" {
			q += "&before=" + next
		}
		resp, err := client.Get(base + "/api/board/" + class + q)
		if err != nil {
			t.Fatal(err)
		}
		var l board.ListResponse
		err = json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("list: %d %v", resp.StatusCode, err)
		}
		for _, r := range l.Runs {
			if _, dup := listed[r.ID]; dup {
				t.Fatalf("run %d listed twice", r.ID)
			}
			listed[r.ID] = r.Seed
		}
		if l.Next == nil {
			break
		}
		next = *l.Next
	}
	missing := 0
	for id, seed := range acked {
		if listed[id] != seed {
			missing++
		}
	}
	t.Logf("board: %d runs listed afterwards, %d acknowledged runs missing", len(listed), missing)
	if missing > 0 || len(listed) != len(acked) {
		t.Fatalf("%d acknowledged runs missing; %d listed, %d acknowledged", missing, len(listed), len(acked))
	}
}
