//go:build unix && !wasm

package browsertest

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/copsdlab/copsd/core/report"
)

// The Reproduce view in Firefox ESR and WebKitGTK: a bundle of the quick
// suite's committed runs imports, its tables link every number to a run,
// its figures draw a line per recipe on a model and a bubble per recipe and
// base, and nothing is wider than a laptop's window or a phone's. With
// COPSD_SCREENSHOTS set it saves the view at both sizes.
func TestFirefoxReproduceView(t *testing.T) { reproduceSubset(t, startFirefox(t), "firefox") }

func TestWebKitReproduceView(t *testing.T) { reproduceSubset(t, startWebKit(t), "webkit") }

// quickBundle is a tar of the quick suite's committed runs, seed 1.
func quickBundle(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, j := range report.QuickJobs(1) {
		data, err := os.ReadFile(filepath.Join("..", "..", "assets", "report", "runs", j.Name()+".json"))
		if err != nil {
			t.Fatal(err)
		}
		w.WriteHeader(&tar.Header{Name: "runs/" + j.Name() + ".json", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		w.Write(data)
	}
	w.Close()
	return b.Bytes()
}

func reproduceSubset(t *testing.T, r *remote, engine string) {
	r.goTo("/#v=1&view=reproduce")
	r.wait(reproRows + `.length === 3`)
	// WebDriver cannot pick a file in a file dialog: the file goes into the
	// input as the dialog would put it, and the input says it changed.
	rjs[bool](r, fmt.Sprintf(`(() => {
  const bytes = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], "quick.tar", {type: "application/x-tar"}));
  const input = %s;
  input.files = dt.files;
  input.dispatchEvent(new Event("change", {bubbles: true}));
  return true;
})()`, base64.StdEncoding.EncodeToString(quickBundle(t)), q("reproduce-import")))
	r.wait(`document.querySelectorAll('[data-status="done"]').length === 3 && document.querySelectorAll('[data-testid="chart-suite-length"] polyline').length > 0 && ` + q("chart-suite-pareto") + ` !== null`)
	for _, id := range []string{"chart-suite-over-refusal", "chart-suite-entropy", "chart-suite-length"} {
		r.wait(fmt.Sprintf(`document.querySelectorAll('[data-testid=%q] polyline').length === 3`, id))
	}
	if n := rjs[int](r, `document.querySelectorAll('[data-testid="chart-suite-pareto"] circle').length`); n != 5 {
		t.Errorf("%d bubbles, want 3 recipes and 2 base models", n)
	}
	if got := rjs[[]int](r, `[[...document.querySelectorAll('.reproduce-table td')].filter((e) => e.textContent !== "–").length, document.querySelectorAll('.reproduce-table td > a[data-testid="reproduce-cell"][href]').length]`); got[0] == 0 || got[0] != got[1] {
		t.Errorf("%d of %d cells with a number link to a run", got[1], got[0])
	}
	fits := func(size string) {
		t.Helper()
		if w := rjs[[]int](r, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
			t.Errorf("%s: the page is %d px wide in a %d px window", size, w[0], w[1])
		}
		for _, part := range []string{".reproduce-tables", ".reproduce-charts"} {
			rjs[bool](r, `(document.querySelector("`+part+`").scrollIntoView(), true)`)
			time.Sleep(200 * time.Millisecond) // a frame for the islands
			r.screenshot(fmt.Sprintf("%s-reproduce-%s-%s.png", engine, size, part[1:]))
		}
	}
	fits("1280")
	if err := r.b.Resize(390, 844); err != nil {
		t.Fatal(err)
	}
	for tries := 0; rjs[int](r, `innerWidth`) >= 500; tries++ {
		if tries == 100 {
			t.Fatalf("the window did not narrow to a phone's width: innerWidth %d", rjs[int](r, `innerWidth`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	fits("390")
}
