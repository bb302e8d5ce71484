package ui

import (
	"fmt"
	"html"
	"strings"

	"github.com/copsdlab/copsd/ui/state"
)

// RolloutLog lists the probe prompts' answers every few steps, newest
// first, so the drift reads as text.
type RolloutLog struct {
	wired
}

// maxLogShown bounds the entries rendered (the newest).
const maxLogShown = 80

func (c *RolloutLog) entries() []state.LogEntry {
	log := c.Lab.Live.Log
	out := make([]state.LogEntry, 0, min(len(log), maxLogShown))
	for i := len(log) - 1; i >= 0 && len(out) < maxLogShown; i-- {
		out = append(out, log[i])
	}
	return out
}

func (c *RolloutLog) hint() string {
	if c.Lab.Live == nil || len(c.Lab.Live.Log) == 0 {
		return fmt.Sprintf("The probe prompts' answers appear here every %d steps of your run.", state.LogEvery)
	}
	var prompts []string
	for _, p := range c.Lab.Live.Probes {
		prompts = append(prompts, "“"+p.Prompt+"”")
	}
	return fmt.Sprintf("Answers to %s, every %d steps, newest first.", strings.Join(prompts, " and "), state.LogEvery)
}

func (c *RolloutLog) meta(e state.LogEntry) string {
	v := ""
	if e.Refused {
		v = " · refused"
	}
	return fmt.Sprintf("step %d · %s · %d words%s", e.Step, e.Family, len(strings.Fields(e.Answer)), v)
}

func (c *RolloutLog) key() string {
	return fmt.Sprintf("%d|%d", c.Lab.Live.RunID, len(c.Lab.Live.Log))
}

func (c *RolloutLog) markup() string {
	var b strings.Builder
	for _, e := range c.entries() {
		class := "entry"
		if e.Refused {
			class = "entry refused"
		}
		fmt.Fprintf(&b, `<li class="%s"><span class="meta">%s</span><span class="answer">%s</span></li>`,
			class, html.EscapeString(c.meta(e)), html.EscapeString(e.Answer))
	}
	return b.String()
}
