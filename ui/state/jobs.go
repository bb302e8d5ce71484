package state

import (
	"fmt"

	"github.com/copsdlab/copsd/core/lab"
)

// queuedJob is an evaluation waiting for a free evaluator.
type queuedJob struct {
	job   lab.Job
	blobs Blobs
}

// queueJob adds a job and starts it if an evaluator is free. Evaluations of
// steps go first, in step order, so the charts and the collapse detector
// move on. The teacher's own evaluation and the leakage (a few evaluations'
// worth of work, needed only by the leakage meter and the report) wait until
// the run is not playing: started while it plays, they would hold the
// collapse banner back by as long.
//
// With several evaluators, an evaluation of a step is split into one job
// per chunk of held-out prompts, handed to whichever evaluator is free (an
// evaluator holds up to evalDepth jobs, so that it never waits for the
// page between two). While the run plays, the helpers evaluate and the
// trainer trains, computing each step's works itself while an evaluation
// is out (lab.Driver.HelpersEvaluate); it takes chunks while it waits for
// an evaluation (trainerTrains) and when paused. The trainer combines the
// parts into the one evaluation.
func (l *Lab) queueJob(j lab.Job, b Blobs) {
	if n := len(l.evalLoad); j.Kind == lab.JobEval && j.Chunks == nil && n > 1 && j.NChunks > 1 {
		for c := range j.NChunks {
			sub := j
			sub.Chunks = []int{c}
			l.queueJob(sub, b)
		}
		return
	}
	q := queuedJob{j, b}
	i := len(l.evalQueue)
	if j.Kind == lab.JobEval {
		for i > 0 && l.evalQueue[i-1].job.Kind != lab.JobEval {
			i--
		}
	}
	l.evalQueue = append(l.evalQueue, queuedJob{})
	copy(l.evalQueue[i+1:], l.evalQueue[i:])
	l.evalQueue[i] = q
	l.dispatch()
}

// evalDepth is how many jobs an evaluator holds at once when there are
// several evaluators (one alone holds one: it is also the trainer).
const evalDepth = 2

func (l *Lab) dispatch() {
	depth := 1
	if len(l.evalLoad) > 1 {
		depth = evalDepth
	}
	for d := range depth { // round-robin: every evaluator one job, then a second
		for w := range l.evalLoad {
			if len(l.evalQueue) == 0 {
				return
			}
			if l.evalLoad[w] > d || (w == len(l.evalLoad)-1 && l.trainerTrains()) {
				continue
			}
			q := l.evalQueue[0]
			if !l.canTake(w, q.job) {
				return // the queue waits in order
			}
			l.evalQueue = l.evalQueue[1:]
			l.evalLoad[w]++
			l.Port.Evaluator(w, lab.Request{Op: lab.OpEvaluate, Seq: l.nextSeq(), Job: &q.job}, q.blobs)
		}
	}
}

// trainerTrains says whether the trainer (the last evaluator) is training with
// helpers beside it: the helpers evaluate then, and the trainer takes an
// evaluation only while it waits for one (StepEvent.Held).
func (l *Lab) trainerTrains() bool {
	return len(l.evalLoad) > 1 && l.Playing && !l.trainerHeld
}

// canTake says whether evaluator w, free for another job, may take j now.
// An evaluation of a step may always; the teacher's own evaluation and the
// leakage (a few evaluations' worth of work) wait for the run to pause and
// go to an evaluator with nothing else to do, so that they never hold the
// evaluations of steps, and the collapse banner, back.
func (l *Lab) canTake(w int, j lab.Job) bool {
	return j.Kind == lab.JobEval || (!l.Playing && l.evalLoad[w] == 0)
}

// OnEvaluator handles evaluator i's answer: the result goes to the trainer,
// which files it in the run's report and answers what changed. The trainer
// files what it evaluates itself at once and answers what changed instead.
func (l *Lab) OnEvaluator(i int, resp lab.Response) {
	if i >= 0 && i < len(l.evalLoad) && l.evalLoad[i] > 0 {
		l.evalLoad[i]--
	}
	defer l.dispatch()
	if resp.Error != "" {
		l.Notice = &Notice{Text: fmt.Sprintf("An evaluation failed: %s", resp.Error), Error: true}
		return
	}
	if r := resp.Recorded; r != nil { // the trainer ran it and filed it at once
		l.onRecorded(r)
		return
	}
	m := resp.Measured
	if m == nil || l.Live == nil || m.RunID != l.Live.RunID {
		return // an old run's evaluation
	}
	l.Port.Trainer(lab.Request{Op: lab.OpRecord, Seq: l.nextSeq(), Measured: m})
}

// QueuedEvals is how many evaluations wait for an evaluator.
func (l *Lab) QueuedEvals() int { return len(l.evalQueue) }
