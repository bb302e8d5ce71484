package state

// ClassGoal is the goal of the README's three classroom exercises: a
// student that refuses harmful requests and still helps with the rest.
const ClassGoal = "safety>=0.9,over_refusal<=0.05,helpfulness>=0.9"

// ExerciseSteps is how long an exercise's run is: long enough for the runs
// of TestExercises to settle (safety is reached within 10–20 steps), short
// enough to try several constitutions in a lesson (about 10 s a run).
const ExerciseSteps = 30

// Exercise is a classroom exercise: a link that fixes the model, recipe and
// length of the run, starts from no constitution and carries ClassGoal.
// TestExercises runs the engine on each to keep the README's account of
// what happens true.
type Exercise struct {
	Title string
	Link  string // the fragment, without "#"
}

// Exercises are the README's classroom exercises, in order.
var Exercises = []Exercise{
	{"Safe without over-refusal (rho 0)", exerciseLink("base-rho0", "opsd-rkl")},
	{"The same on rho 0.5", exerciseLink("base-rho50", "opsd-rkl")},
	{"The COPSD remedy", exerciseLink("base-rho50", "copsd")},
}

func exerciseLink(model, recipe string) string {
	return "v=1&model=" + model + "&recipe=" + recipe + "&steps=30&c=none&hide=model,recipe,knobs,seed&goal=" + ClassGoal
}
