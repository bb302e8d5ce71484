package board

import (
	"context"
	"sync"
	"time"
)

// MemStore is an in-memory Store, for tests of the handler and of its clients (the lab's page). Err,
// when set, is what every call fails with.
type MemStore struct {
	Err     error
	mu      sync.Mutex
	runs    []Run
	hidden  map[int64]bool
	classes map[string]string
}

// Add implements Store.
func (s *MemStore) Add(_ context.Context, class string, r Run) (Run, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return Run{}, false, s.Err
	}
	for _, old := range s.runs {
		if old.Class == class && old.RunID == r.RunID && r.RunID != "" {
			return old, false, nil
		}
	}
	r.ID, r.Class = int64(len(s.runs)+1), class
	s.runs = append(s.runs, r)
	return r, true, nil
}

// List implements Store.
func (s *MemStore) List(_ context.Context, class string, p Page) ([]Run, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, 0, s.Err
	}
	var out []Run
	for i := len(s.runs) - 1; i >= 0; i-- {
		if r := s.runs[i]; r.Class == class && !s.hidden[r.ID] && (p.Before <= 0 || r.ID < p.Before) {
			out = append(out, r)
		}
	}
	var next int64
	if len(out) > p.Limit {
		out = out[:p.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// Hide implements Store.
func (s *MemStore) Hide(_ context.Context, class string, id int64, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return false, s.Err
	}
	if id < 1 || id > int64(len(s.runs)) || s.runs[id-1].Class != class {
		return false, nil
	}
	if s.hidden == nil {
		s.hidden = map[int64]bool{}
	}
	s.hidden[id] = true
	return true, nil
}

// Claim implements Store.
func (s *MemStore) Claim(_ context.Context, class, keyHash string, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return false, s.Err
	}
	if _, ok := s.classes[class]; ok {
		return false, nil
	}
	if s.classes == nil {
		s.classes = map[string]string{}
	}
	s.classes[class] = keyHash
	return true, nil
}

// KeyHash implements Store.
func (s *MemStore) KeyHash(_ context.Context, class string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.classes[class], s.Err
}
