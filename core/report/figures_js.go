//go:build js

package report

import "errors"

// WriteFigures draws nothing in a browser (see figures.go): the page draws
// its charts with its own components.
func (s *Suite) WriteFigures(dir string) error {
	return errors.New("report: the figures are drawn natively only (copsd reproduce or report on a computer)")
}
