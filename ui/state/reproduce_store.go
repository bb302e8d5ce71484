package state

import "fmt"

// Store keeps the suite's finished runs across reloads: the page's is the
// browser's IndexedDB (wasm/page). Calls return at once; answers come back
// through Reproduce's OnStore* methods.
type Store interface {
	// Put keeps a finished run's JSON under its job's key; it answers
	// OnStorePut.
	Put(key string, data []byte)
	// List reads every kept run; it answers OnStoreList.
	List()
	// Clear forgets every kept run; it answers OnStoreList with none.
	Clear()
	// Usage measures the bytes the kept runs take; it answers OnStoreUsage.
	Usage()
}

// Attach connects the view to the page's workers and store, and reads the
// store's finished runs (the suite resumes with them).
func (r *Reproduce) Attach(runner Runner, store Store) {
	r.Runner, r.Store = runner, store
	if store != nil {
		store.List()
		store.Usage()
	}
}

// OnStoreList takes the store's runs by key: the queued rows they finish
// are done.
func (r *Reproduce) OnStoreList(runs map[string][]byte, err error) {
	if err != nil {
		r.Error = fmt.Sprintf("the browser's storage cannot be read: %v", err)
		return
	}
	r.stored = runs
	r.Stored = len(runs)
	r.resume()
	if r.Store != nil {
		r.Store.Usage()
	}
}

// OnStorePut says whether a run was kept.
func (r *Reproduce) OnStorePut(key string, data []byte, err error) {
	if err != nil {
		r.Error = fmt.Sprintf("a finished run could not be kept in the browser's storage (%v); it stays on this page until it closes", err)
		return
	}
	if r.stored == nil {
		r.stored = map[string][]byte{}
	}
	r.stored[key] = data
	r.Stored = len(r.stored)
	if r.Store != nil {
		r.Store.Usage()
	}
}

// OnStoreUsage says how many bytes the kept runs take.
func (r *Reproduce) OnStoreUsage(bytes int64, err error) {
	if err == nil {
		r.Usage = bytes
	}
}

// ClearStore forgets the kept runs. The rows on show stay as they are.
func (r *Reproduce) ClearStore() {
	if r.Store != nil {
		r.Store.Clear()
	}
}
