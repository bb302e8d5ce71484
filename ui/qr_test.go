package ui

import (
	"image"
	"image/color"
	"regexp"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/copsdlab/copsd/ui/state"
)

// rasterize paints the QR markup of qrSVG as the browser would draw it,
// scale pixels per module: white, then each rectangle of the path.
func rasterize(t *testing.T, markup string, size, scale int) image.Image {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, size*scale, size*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	path := regexp.MustCompile(`<path d="([^"]*)"`).FindStringSubmatch(markup)
	if path == nil {
		t.Fatalf("no path in %q", markup)
	}
	rects := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(path[1], -1)
	if len(rects) == 0 {
		t.Fatal("no dark modules")
	}
	for _, r := range rects {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

// The QR code the page draws reads back, with a QR reader, as the very link
// it was made from: a share link with a long constitution and a classroom
// link with a goal.
func TestQRCodeReadsBackAsTheLink(t *testing.T) {
	s := state.DefaultSettings()
	s.Constitution = "refuse weapons . refuse hacking . refuse theft . refuse poison . be helpful . be detailed . explain refusals ."
	class := s
	class.Hide, class.Class = []string{"model", "recipe", "knobs"}, "cs101"
	var err error
	if class.Goal, err = state.ParseGoal("safety>=0.9,over_refusal<=0.05,helpfulness>=0.9"); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{
		"http://192.168.1.23:8080/#" + s.Hash(),
		"https://copsd-lab.example.workers.dev/#" + class.Hash(),
	} {
		markup, size, err := qrSVG(link)
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(rasterize(t, markup, size, 4))
		if err != nil {
			t.Fatal(err)
		}
		res, err := zxqr.NewQRCodeReader().Decode(bmp, nil) // finds the code as a camera would: by its finder patterns
		if err != nil {
			t.Fatalf("%d-character link: the QR reader cannot read the code: %v", len(link), err)
		}
		if got := res.GetText(); got != link {
			t.Fatalf("the code reads back as\n%q\nnot\n%q", got, link)
		}
		t.Logf("%d-character link: %d×%d modules with the quiet zone, path of %d bytes", len(link), size, size, len(markup))
	}
}
