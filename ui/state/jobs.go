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
// With several evaluators, an evaluation of a step is split into as many
// jobs, each with an interleaved share of its chunks of held-out prompts;
// the trainer combines their parts into the one evaluation.
func (l *Lab) queueJob(j lab.Job, b Blobs) {
	if n := len(l.evalBusy); j.Kind == lab.JobEval && j.Chunks == nil && n > 1 && j.NChunks > 1 {
		for e := range min(n, j.NChunks) {
			sub := j
			for c := e; c < j.NChunks; c += min(n, j.NChunks) {
				sub.Chunks = append(sub.Chunks, c)
			}
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

func (l *Lab) dispatch() {
	for w := range l.evalBusy {
		if len(l.evalQueue) == 0 {
			return
		}
		if l.evalBusy[w] {
			continue
		}
		q := l.evalQueue[0]
		if q.job.Kind != lab.JobEval && l.Playing {
			return
		}
		l.evalQueue = l.evalQueue[1:]
		l.evalBusy[w] = true
		l.Port.Evaluator(w, lab.Request{Op: lab.OpEvaluate, Seq: l.nextSeq(), Job: &q.job}, q.blobs)
	}
}

// OnEvaluator handles evaluator i's answer: the result goes to the trainer,
// which files it in the run's report and answers what changed.
func (l *Lab) OnEvaluator(i int, resp lab.Response) {
	if i >= 0 && i < len(l.evalBusy) {
		l.evalBusy[i] = false
	}
	defer l.dispatch()
	if resp.Error != "" {
		l.Notice = &Notice{Text: fmt.Sprintf("An evaluation failed: %s", resp.Error), Error: true}
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
