package ui

import (
	"fmt"
	"strconv"

	"github.com/vugu/vugu"
)

// TransportBar is Reset, Play, Pause, Step, the step counter, the speed and
// the stop step.
type TransportBar struct {
	wired
}

// classes are the panel's: with-speed when it shows the speed and stop step
// (on a phone those scroll away and the buttons stay in view).
func (c *TransportBar) classes() string {
	if c.Lab.Settings.Hidden("speed") {
		return "panel transport"
	}
	return "panel transport with-speed"
}

func (c *TransportBar) canPlay() bool {
	l := c.Lab
	return l.CanRun() && !l.Playing && l.Live.Step < l.Live.Report.Config.Steps
}

func (c *TransportBar) step() string {
	if c.Lab.Live == nil {
		return "0"
	}
	return strconv.Itoa(c.Lab.Live.Step)
}

func (c *TransportBar) of() string {
	if c.Lab.Live == nil {
		return ""
	}
	return fmt.Sprintf("of %d", c.Lab.Live.Report.Config.Steps)
}

func (c *TransportBar) fill() string {
	l := c.Lab.Live
	if l == nil || l.Report.Config.Steps == 0 {
		return "width:0"
	}
	return fmt.Sprintf("width:%.1f%%", 100*float64(l.Step)/float64(l.Report.Config.Steps))
}

func (c *TransportBar) stopAt() string {
	if c.Lab.Settings.StopAt == 0 {
		return ""
	}
	return strconv.Itoa(c.Lab.Settings.StopAt)
}

func (c *TransportBar) paused() string {
	if c.Lab.Live == nil || c.Lab.Playing {
		return ""
	}
	return c.Lab.Live.Paused
}

func (c *TransportBar) setSpeed(e vugu.DOMEvent) {
	if s, err := strconv.ParseFloat(e.PropString("target", "value"), 64); err == nil {
		c.Lab.SetSpeed(s)
	}
}

func (c *TransportBar) setStop(e vugu.DOMEvent) {
	v := e.PropString("target", "value")
	if v == "" {
		c.Lab.SetStopAt(0)
		return
	}
	if n, err := strconv.Atoi(v); err == nil {
		c.Lab.SetStopAt(n)
	}
}
