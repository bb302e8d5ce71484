//go:build !wasm

package browsertest

import (
	"bytes"
	"image"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/copsdlab/copsd/core/world"
	"github.com/copsdlab/copsd/ui/state"
)

// examplesFetched waits until the page has fetched the precomputed runs:
// from then on, anything they would show is on the page.
func (p *page) examplesFetched() {
	p.t.Helper()
	p.wait(`performance.getEntriesByType("resource").filter((e) => e.name.includes("/report/runs/")).length >= 3`)
	time.Sleep(500 * time.Millisecond) // their decoding and a render
}

// outcomeText is what would give an experiment's answer away: the collapse
// banner, a precomputed run's name or role (as the run picker words them), a
// collapse step. Each match is returned with the text around it.
const outcomeText = `(() => {
	const t = document.body.innerText;
	return [/collapsed at step/i, /: the collapse/, /: the control/, /COPSD: a Cross-SFT teacher/, /Example: /, /Precomputed with/]
		.map((r) => t.match(r)).filter((m) => m).map((m) => JSON.stringify(t.slice(Math.max(0, m.index - 60), m.index + 60)))
		.concat(document.querySelector('[data-testid="collapse-banner"]') ? ["the collapse banner"] : []);
})()`

// Bug: a guided link opened beneath "Predict first" on the precomputed
// collapse run, whose banner already said when it collapsed. Now nothing of
// the examples shows before the prediction is locked, and they appear after.
func TestGuidedLinkShowsNoOutcomeBeforeThePrediction(t *testing.T) {
	p := open(t, 1280, 800, 3*time.Minute)
	p.goTo("/#v=1&guide=1")
	p.wait(`!` + q("play") + `.disabled && ` + q("guide-run"))
	p.examplesFetched()
	if found := js[[]string](p, outcomeText); len(found) > 0 {
		t.Fatalf("before the prediction the page shows %v", found)
	}
	js[bool](p, `(() => { [...document.querySelectorAll('[data-testid="guide-predict"]')].find((b) => b.textContent.trim() == "shorter").click(); return true })()`)
	p.wait(`!` + q("guide-run") + `.disabled`)
	if found := js[[]string](p, outcomeText); len(found) > 0 {
		t.Fatalf("with a prediction chosen but not locked the page shows %v", found)
	}
	p.screenshot("guide-before-prediction-1280.png")
	p.click("guide-run")
	p.wait(`document.querySelectorAll(".runs .chips button").length > 1`) // the examples, once locked
	p.click("pause")
}

// A goal link: the goal shows, unmet parts wait for an evaluation, and the
// run of exercise 1 with the safety constitution ends with every part met
// (as TestExercise1SafeWithoutOverRefusalOnRho0 measures natively).
func TestGoalLinkMarksItsParts(t *testing.T) {
	p := open(t, 1280, 800, 4*time.Minute)
	safety, _ := world.PresetNamed("safety")
	link := strings.Replace(state.Exercises[0].Link, "c=none", "c="+url.QueryEscape(safety.Text), 1)
	p.goTo("/#" + link)
	p.wait(`!` + q("play") + `.disabled && ` + q("goal-panel"))
	parts := `[...document.querySelectorAll('[data-testid="goal-part"]')]`
	if got := js[[]string](p, parts+`.map((e) => e.dataset.met)`); strings.Join(got, " ") != "pending pending pending" {
		t.Fatalf("before the run the goal's parts are %v", got)
	}
	if txt := js[string](p, q("goal-panel")+`.innerText`); !strings.Contains(txt, "safety ≥ 0.9") || !strings.Contains(txt, "over-refusal ≤ 0.05") {
		t.Errorf("the goal panel says %q", txt)
	}
	p.examplesFetched()
	if found := js[[]string](p, outcomeText); len(found) > 0 {
		t.Fatalf("a goal link shows %v before its run", found)
	}
	p.click("play")
	p.wait(parts + `.some((e) => e.dataset.met != "pending")`)
	p.wait(`Number(` + q("step-count") + `.textContent) == ` + itoa(state.ExerciseSteps) + ` && ` + transportState + ` != "playing"`)
	p.wait(q("goal-status") + `.textContent.includes("Goal met")`)
	if got := js[[]string](p, parts+`.map((e) => e.dataset.met)`); strings.Join(got, " ") != "yes yes yes" {
		t.Errorf("after the run the goal's parts are %v", got)
	}
	p.screenshot("goal-met-1280.png")
}

// The projector view shows the share link's QR code large enough to read
// from a screenshot of the whole window, at a laptop's and a phone's size.
func TestQRProjectorView(t *testing.T) {
	for _, size := range []struct{ w, h int }{{1280, 800}, {390, 844}} {
		p := open(t, size.w, size.h, 2*time.Minute)
		p.goTo("/#v=1&class=cs101")
		p.wait(`!` + q("play") + `.disabled && ` + q("qr") + `.querySelector("svg")`)
		link := js[string](p, q("share-link")+`.href`)
		if label := js[string](p, q("qr")+`.querySelector("svg").getAttribute("aria-label")`); label == "" {
			t.Error("the QR code has no accessible name")
		}
		js[bool](p, q("share-projector")+`.click() || true`)
		p.wait(q("projector") + ` && ` + q("projector") + `.querySelector("svg")`)
		if !js[bool](p, `document.activeElement == `+q("projector-close")) {
			t.Error("the projector view does not take the keyboard focus")
		}
		time.Sleep(300 * time.Millisecond)
		shot, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		p.screenshot("qr-projector-" + itoa(size.w) + "x" + itoa(size.h) + ".png")
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, img); got != link {
			t.Errorf("%dx%d: the projected QR code reads %q, want the share link %q", size.w, size.h, got, link)
		}
		// Escape closes it.
		js[bool](p, `(() => { document.activeElement.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true})); return true })()`)
		p.wait(`!` + q("projector"))
	}
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code found in the screenshot: %v", err)
	}
	return res.GetText()
}

func itoa(n int) string { return strconv.Itoa(n) }
