package ui

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/copsdlab/copsd/ui/state"
)

// bundleOf is a tar of committed runs (assets/report/runs).
func bundleOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("..", "assets", "report", "runs", n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		w.WriteHeader(&tar.Header{Name: "runs/" + n + ".json", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		w.Write(data)
	}
	w.Close()
	return b.Bytes()
}

// #v=1&view=reproduce opens the Reproduce view in place of the lab's
// panels, with the data-testids its tests and its users rely on.
func TestReproduceViewRendersItsSuite(t *testing.T) {
	l := state.New(nopPort{}, "#v=1&view=reproduce&suite=full&seeds=2")
	html := render(t, l)
	for _, id := range []string{"reproduce-start", "reproduce-stop", "reproduce-suite", "reproduce-seeds", "reproduce-progress", "reproduce-export", "reproduce-import", "reproduce-clear"} {
		if !strings.Contains(html, `data-testid="`+id+`"`) {
			t.Errorf("no %s", id)
		}
	}
	if strings.Contains(html, `data-testid="play"`) {
		t.Error("the lab's transport shows in the Reproduce view")
	}
	rows := regexp.MustCompile(`<tr[^>]*data-testid="reproduce-row"[^>]*>`).FindAllString(html, -1)
	if len(rows) != 22 {
		t.Fatalf("%d rows, want the 22 jobs of the full suite on 2 seeds", len(rows))
	}
	first := rows[0]
	for _, attr := range []string{`data-recipe="opsd-rkl"`, `data-model="base-rho50"`, `data-seed="1"`, `data-status="queued"`} {
		if !strings.Contains(first, attr) {
			t.Errorf("first row %s has no %s", first, attr)
		}
	}
	if strings.Contains(html, `data-testid="reproduce-claim"`) {
		t.Error("claims before any run finished")
	}
	if l2 := state.New(nopPort{}, ""); strings.Contains(render(t, l2), `data-testid="reproduce-row"`) {
		t.Error("the Reproduce view shows in the lab's main view")
	}
}

// Finished runs (here an imported bundle of the quick suite) fill the
// report's tables and the claims, each with data-holds, and each row links
// to its run in the lab.
func TestReproduceViewShowsTablesAndClaims(t *testing.T) {
	l := state.New(nopPort{}, "#v=1&view=reproduce")
	l.ImportSuite("quick.tar", bundleOf(t, "base-rho50-opsd-rkl-s1", "base-rho0-opsd-rkl-s1", "base-rho50-copsd-s1"), nil)
	if l.Repro.Error != "" {
		t.Fatal(l.Repro.Error)
	}
	html := render(t, l)
	claims := regexp.MustCompile(`<tr[^>]*data-testid="reproduce-claim"[^>]*>`).FindAllString(html, -1)
	if len(claims) != len(l.Repro.Claims()) || len(claims) == 0 {
		t.Fatalf("%d claims rendered, %d checked", len(claims), len(l.Repro.Claims()))
	}
	for i, c := range l.Repro.Claims() {
		if want := `data-holds="` + yesNo(c.Holds) + `"`; !strings.Contains(claims[i], want) {
			t.Errorf("claim %q: %s lacks %s", c.Name, claims[i], want)
		}
	}
	if n := strings.Count(html, `data-status="done"`); n != 3 {
		t.Errorf("%d rows done", n)
	}
	if n := strings.Count(html, `data-testid="reproduce-open"`); n != 3 {
		t.Errorf("%d links to the lab", n)
	}
	for _, tb := range l.Repro.Tables() {
		for _, r := range tb.Rows {
			if !strings.Contains(html, ">"+r[1]+"<") {
				t.Errorf("table %q: cell %q not shown", tb.Title, r[1])
			}
		}
	}
}
