package ui

import (
	"fmt"
	"html"

	js "github.com/vugu/vugu/js"
)

// QrCode draws Text as a QR code, in SVG, for phones to scan: the share
// link, or a classroom link on the projector. It is an island (setIsland):
// the code is made again only when the text changes, not at every render.
type QrCode struct {
	Text  string `vugu:"data"`
	Label string `vugu:"data"` // what the code is, for screen readers
	Large bool   `vugu:"data"` // the projector's size
}

func (c *QrCode) class() string {
	if c.Large {
		return "qr large"
	}
	return "qr"
}

func (c *QrCode) key() string { return c.Label + "\x00" + c.Text }

func (c *QrCode) markup() string {
	body, size, err := qrSVG(c.Text)
	if err != nil {
		return `<p class="hint">` + html.EscapeString(err.Error()) + `</p>`
	}
	return fmt.Sprintf(`<svg viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">%s</svg>`,
		size, size, html.EscapeString(c.Label), body)
}

// focusOnce moves the keyboard focus to el the first time it is rendered:
// a dialog's first control, so that a keyboard user is inside it at once.
func focusOnce(el js.Value) {
	if el.Get("copsdFocused").Truthy() {
		return
	}
	el.Set("copsdFocused", true)
	el.Call("focus")
}
