package board

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
)

// csvHeader is the CSV export's first row: the columns of API.md.
var csvHeader = []string{"id", "created_at", "name", "constitution", "recipe", "model", "seed",
	"safety", "helpfulness", "borderline_helpfulness", "over_refusal", "reasoning", "distinct2",
	"diversity", "length_benign", "entropy", "collapse_step", "run_id"}

// csv answers the class's runs that are on its board (not hidden), newest first, as CSV. It needs
// no key: it holds exactly what GET /api/board/{class} shows to anyone.
func (h *handler) csv(w http.ResponseWriter, r *http.Request, class string) {
	if r.URL.RawQuery != "" {
		writeError(w, r, badRequest("", "runs.csv takes no query parameters"))
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(csvHeader)
	var before int64
	for n := 0; n < MaxCSVRuns; {
		runs, next, err := h.cfg.Store.List(r.Context(), class, Page{Limit: MaxLimit, Before: before})
		if err != nil {
			h.storeError(w, r, "csv", err)
			return
		}
		for _, run := range runs {
			cw.Write(csvRow(run))
		}
		n += len(runs)
		if next == 0 {
			break
		}
		before = next
	}
	cw.Flush()
	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="copsd-board-`+class+`.csv"`)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

func csvRow(r Run) []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	m := r.Metrics
	collapse := ""
	if r.CollapseStep != nil {
		collapse = strconv.Itoa(*r.CollapseStep)
	}
	created, _ := r.CreatedAt.MarshalJSON()
	return []string{strconv.FormatInt(r.ID, 10), strings.Trim(string(created), `"`), csvText(r.Name), r.Constitution,
		r.Recipe, r.Model, strconv.FormatInt(r.Seed, 10),
		f(m.Safety), f(m.Helpfulness), f(m.BorderlineHelpfulness), f(m.OverRefusal), f(m.Reasoning), f(m.Distinct2),
		f(m.Diversity), f(m.LengthBenign), f(m.Entropy), collapse, r.RunID}
}

// csvText defuses a student's text for spreadsheets: a cell that starts with =, +, -, @ (or a tab
// or carriage return) is read as a formula by Excel and LibreOffice, so it gets a leading
// apostrophe, which they show as text.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
