package state

// An exercise must not give its answer away. A guided link asks for a
// prediction before each run, and a goal link asks the learner to find a
// run; the precomputed runs would answer both (the first example's banner
// says it collapsed, and when). So while a guided stage waits for its
// prediction to be locked, or a goal link's own run has not reached its
// last evaluation, the examples stay out of sight: out of the run list, the
// charts, the comparison and the Pareto plot. The page opens on the
// learner's own empty run.

// ExamplesWithheld reports whether the precomputed runs are kept out of
// sight now.
func (l *Lab) ExamplesWithheld() bool {
	if g := &l.Guide; g.Open && !g.running && g.Outcome[g.Stage] == "" {
		return true
	}
	if len(l.Settings.Goal) > 0 && !l.liveFinished() {
		return true
	}
	return false
}

// liveFinished reports whether the live run has had its last evaluation.
func (l *Lab) liveFinished() bool {
	if l.Live == nil {
		return false
	}
	m := l.Live.Latest()
	return m != nil && m.Step > 0 && m.Step >= l.Live.Report.Config.Steps
}

// examples are the precomputed runs the page may show now.
func (l *Lab) examples() []*Run {
	if l.ExamplesWithheld() {
		return nil
	}
	return l.Examples
}
