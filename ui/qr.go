package ui

import (
	"fmt"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// qrQuiet is the light margin around a QR code, in modules: the four the
// standard asks for, which readers need to find the code on a busy page.
const qrQuiet = 4

// qrMatrix encodes text as a QR code: dark[y][x] for each module, without
// the quiet zone. Medium error correction (15%) keeps a long link's code
// readable across a classroom from a projector while keeping modules large.
func qrMatrix(text string) ([][]bool, error) {
	q, err := qrcode.NewWith(text,
		qrcode.WithEncodingMode(qrcode.EncModeByte),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("QR code of the link: %w", err)
	}
	var m matrixWriter
	if err := q.Save(&m); err != nil {
		return nil, fmt.Errorf("QR code of the link: %w", err)
	}
	return m.dark, nil
}

// matrixWriter keeps the modules the library hands its writers.
type matrixWriter struct{ dark [][]bool }

func (w *matrixWriter) Write(mat qrcode.Matrix) error {
	w.dark = make([][]bool, mat.Height())
	for y := range w.dark {
		w.dark[y] = make([]bool, mat.Width())
	}
	mat.Iterate(qrcode.IterDirection_ROW, func(x, y int, v qrcode.QRValue) {
		w.dark[y][x] = v.IsSet()
	})
	return nil
}

func (w *matrixWriter) Close() error { return nil }

// qrSVG is the SVG markup of text's QR code, to go inside an <svg> whose
// viewBox is 0 0 size size (size counts the quiet zone): a white square and
// one path of the dark modules, each row's runs of dark modules as one
// rectangle, so that the path stays short.
func qrSVG(text string) (markup string, size int, err error) {
	dark, err := qrMatrix(text)
	if err != nil {
		return "", 0, err
	}
	size = len(dark) + 2*qrQuiet
	var d strings.Builder
	for y, row := range dark {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			w := 1
			for x+w < len(row) && row[x+w] {
				w++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", x+qrQuiet, y+qrQuiet, w, w)
			x += w
		}
	}
	markup = fmt.Sprintf(`<rect width="%d" height="%d" fill="#fff"></rect><path d="%s" fill="#000" shape-rendering="crispEdges"></path>`,
		size, size, d.String())
	return markup, size, nil
}
