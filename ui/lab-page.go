package ui

import "fmt"

// LabPage is the whole page.
type LabPage struct {
	wired
}

func (c *LabPage) engineStatus() string {
	e := c.Lab.Engine
	switch {
	case e.Fatal != "":
		return "engine stopped"
	case !e.Booted:
		return "starting the engine…"
	case e.Loading != "":
		return "loading " + e.Loading + "…"
	case c.Lab.Live != nil && c.Lab.Live.Preparing:
		if c.Lab.Live.Report.Config.CrossSFTEpochs > 0 {
			return "fine-tuning the teacher (Cross-SFT)…"
		}
		return "preparing the run…"
	case c.Lab.Playing:
		if ms := c.Lab.Live.StepMs; ms > 0 {
			return fmt.Sprintf("training · %.2f s / step%s", ms/1000, workersNote(e.Workers))
		}
		return "training" + workersNote(e.Workers)
	}
	if e.SIMD {
		return "engine ready · SIMD kernels" + workersNote(e.Workers)
	}
	return "engine ready" + workersNote(e.Workers)
}

// memoryAttr is the trainer's last measured memory, "live_heap sys" in
// bytes, for tests and soaks to read ("" before the first measurement).
func (c *LabPage) memoryAttr() string {
	if c.Lab.Live == nil || c.Lab.Live.Memory == nil {
		return ""
	}
	m := c.Lab.Live.Memory
	return fmt.Sprintf("%d %d", m.LiveHeap, m.Sys)
}

func workersNote(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" · %d workers", n)
}

func (c *LabPage) guideLabel() string {
	if c.Lab.Guide.Open {
		return "Close the guide"
	}
	return "Guided experiments"
}

func (c *LabPage) noticeClass() string {
	if c.Lab.Notice.Error {
		return "notice error"
	}
	return "notice"
}
