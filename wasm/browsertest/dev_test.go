//go:build !wasm

package browsertest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestDevFull(t *testing.T) {
	for _, sz := range [][2]int{{1280, 800}, {390, 844}} {
		p := open(t, sz[0], sz[1], 3*time.Minute)
		p.goTo("/#v=1&stop=6")
		p.wait(`!` + q("play") + `.disabled`)
		p.click("play")
		p.wait(q("step-count") + `.textContent == "6" && ` + transportState + ` == "paused"`)
		p.click("token")
		time.Sleep(500 * time.Millisecond)
		chromedp.Do(p.ctx, chromedp.EmulateViewport(int64(sz[0]), 4000))
		time.Sleep(500 * time.Millisecond)
		png, _ := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
		os.WriteFile(filepath.Join("/tmp/shots", "full-"+map[int]string{1280: "wide", 390: "phone"}[sz[0]]+".png"), png, 0o644)
		t.Log(js[string](p, `document.documentElement.scrollWidth + " " + innerWidth + " h " + document.documentElement.scrollHeight`))
	}
}
