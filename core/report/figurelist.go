package report

// The figures report.md shows, in order (drawn by figures.go).

type figure struct{ file, title string }

var figureFiles = []figure{
	{"dynamics-entropy.svg", "Training dynamics: per-token entropy of the student's samples"},
	{"dynamics-length.svg", "Training dynamics: benign answer length"},
	{"dynamics-over-refusal.svg", "Training dynamics: over-refusal of benign and borderline requests"},
	{"pareto.svg", "Safety against helpfulness; bubble area is diversity"},
	{"teacher-student.svg", "Teacher against student: safety"},
	{"control.svg", "The control: opsd-rkl on rho 0 against rho 0.5"},
}
